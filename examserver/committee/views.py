"""The selection committee's pages: home, candidates (with password recovery codes)."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from examserver import access
from examserver.accounts import recovery
from examserver.accounts.models import PasswordReset, User
from examserver.accounts.roles import ADMIN, CANDIDATE, COMMITTEE
from examserver.auth.forms import ConfirmForm
from examserver.committee import bp
from examserver.delivery.models import ExamSchedule
from examserver.errors import back_on_refusal, error_response, refusal_message
from examserver.extensions import db
from examserver.outcome import committed
from examserver.selection.services import conflicted_candidates
from examserver.wtforms_i18n import FlaskForm
from itembank.refusal import Refusal


class CandidateSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(validators=[Optional(), Length(max=100)])


class RecoveryRequestForm(FlaskForm):
    reason = TextAreaField(
        _l("Alasan (wajib, minimal 10 karakter)"),
        validators=[DataRequired(_l("Alasan wajib diisi.")), Length(max=500)],
    )


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
    """Find a candidate by NIK, email or name; recovery codes waiting for a second member."""
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
    return _candidates_page(form, rows)


def _candidates_page(form, rows, *, status: int = 200, request_form=None, **shown):
    """The candidates page; a member never sees the recovery requests of a declared relative."""
    conflicted = conflicted_candidates(db.session, current_user.id)
    pending = [row for row in recovery.pending_requests(db.session) if row.user_id not in conflicted]
    shown.setdefault("code", None)
    page = render_template(
        "committee/candidates.html",
        form=form,
        rows=rows,
        conflicted=conflicted,
        pending=pending,
        request_form=request_form or RecoveryRequestForm(),
        confirm=ConfirmForm(),
        **shown,
    )
    return page, status


def _recovery_candidate(user_id: int) -> User:
    """The candidate whose recovery code is asked for: 404 if none, 403 to a declared relative."""
    user = db.session.get(User, user_id)
    if user is None or user.role != CANDIDATE:
        abort(404)
    if user.id in conflicted_candidates(db.session, current_user.id):
        abort(error_response(403, "conflict_of_interest", _("Anda menyatakan hubungan dengan peserta ini.")))
    return user


@bp.route("/peserta/<int:user_id>/kode-pemulihan", methods=["POST"])
@access.roles(COMMITTEE, ADMIN)
def issue_reset_code(user_id: int):
    """Request a one-time recovery code (shown once; it works after a second member confirms it)."""
    user = _recovery_candidate(user_id)
    form = RecoveryRequestForm()
    search = CandidateSearchForm(q=user.email)
    if not form.validate_on_submit():
        return _candidates_page(search, [user], status=422, request_form=form)
    try:
        code = recovery.request_code(db.session, user, requested_by=current_user.id, reason=form.reason.data)
    except Refusal as error:
        db.session.rollback()
        form.reason.errors = [refusal_message(error.code)]
        return _candidates_page(search, [user], status=422, request_form=form)
    db.session.commit()
    return _candidates_page(
        search,
        [user],
        code=code,
        code_user=user,
        message=_("Kode hanya ditampilkan sekali dan belum berlaku sampai anggota panitia lain mengonfirmasinya."),
    )


@bp.route("/kode-pemulihan/<int:reset_id>/konfirmasi", methods=["POST"])
@access.roles(COMMITTEE, ADMIN)
def confirm_reset_code(reset_id: int):
    """A second member confirms a requested recovery code, which then works."""
    reset = db.session.get(PasswordReset, reset_id)
    if reset is None:
        abort(404)
    _recovery_candidate(reset.user_id)
    # Back to the list under the search it was confirmed from (the form's address carries it).
    back = back_on_refusal(url_for("committee.candidates", q=request.args.get("q") or None))
    if ConfirmForm().validate_on_submit():
        try:
            recovery.confirm_code(db.session, reset, confirmed_by=current_user.id)
        except Refusal as error:
            if error.code != "account.reset_self_confirmation":
                raise  # the handler flashes it and goes back to the list
            db.session.rollback()  # the same person may not confirm: forbidden, not merely refused
            abort(error_response(403, "reset_self_confirmation", refusal_message(error.code)))
        return committed(_("Kode pemulihan dikonfirmasi dan sekarang berlaku 24 jam."), back)
    return redirect(back, 303)
