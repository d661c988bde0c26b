"""The selection committee's pages: home, candidates (with password recovery codes)."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from wtforms import StringField
from wtforms.validators import Length, Optional

from examserver import access
from examserver.accounts import services
from examserver.accounts.models import User
from examserver.accounts.roles import ADMIN, CANDIDATE, COMMITTEE
from examserver.auth.forms import ConfirmForm
from examserver.committee import bp
from examserver.delivery.models import ExamSchedule
from examserver.extensions import db


class CandidateSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(validators=[Optional(), Length(max=100)])


@bp.route("/")
@access.roles(COMMITTEE, ADMIN)
def index():
    """Committee home: selection periods, verification and announcements."""
    schedules = db.session.scalars(select(ExamSchedule).order_by(ExamSchedule.opens_at.desc()).limit(10)).all()
    candidates = db.session.scalar(select(func.count(User.id)).where(User.role == CANDIDATE))
    return render_template("committee/index.html", schedules=schedules, candidates=candidates)


@bp.route("/peserta")
@access.roles(COMMITTEE, ADMIN)
def candidates():
    """Find a candidate by NIK, email or name."""
    form = CandidateSearchForm(request.args)
    rows = []
    if form.validate() and form.q.data:
        text = form.q.data.strip().lower()
        rows = db.session.scalars(
            select(User)
            .where(User.role == CANDIDATE)
            .where(
                or_(
                    User.nik == text,
                    User.email.like(f"%{text}%"),
                    func.lower(User.full_name).like(f"%{text}%"),
                )
            )
            .order_by(User.full_name)
            .limit(50)
        ).all()
    return render_template("committee/candidates.html", form=form, rows=rows, confirm=ConfirmForm(), code=None)


@bp.route("/peserta/<int:user_id>/kode-pemulihan", methods=["POST"])
@access.roles(COMMITTEE, ADMIN)
def issue_reset_code(user_id: int):
    """Make a one-time password recovery code to hand to the candidate (shown once)."""
    user = db.session.get(User, user_id)
    if user is None or user.role != CANDIDATE:
        abort(404)
    code = None
    if ConfirmForm().validate_on_submit():
        code = services.issue_reset_code(db.session, user, issued_by=current_user.id)
        db.session.commit()
    return render_template(
        "committee/candidates.html",
        form=CandidateSearchForm(q=user.email),
        rows=[user],
        confirm=ConfirmForm(),
        code=code,
        code_user=user,
        message=_("Kode hanya ditampilkan sekali."),
    )
