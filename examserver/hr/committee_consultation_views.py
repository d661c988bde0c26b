"""The selection committee's page for public consultations: open one on a period's criteria and
follow it (comments are moderated by HR; the summary page is shared).

Its own blueprint under ``/panitia/konsultasi``: it is a committee page, while the ``hr`` blueprint
holds the HR officers' pages and the public forms.
"""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from examserver import access
from examserver.accounts.roles import ADMIN, COMMITTEE
from examserver.extensions import db
from examserver.hr.consultation_views import WIB
from examserver.hr.forms import ConsultationForm
from examserver.hr.messages import error_message
from examserver.hr.models import PublicConsultation
from examserver.hr.services import HRError, open_consultation
from examserver.selection.models import SelectionPeriod
from itembank.database import utcnow

bp = Blueprint("committee_consultation", __name__)


@bp.route("/", methods=["GET", "POST"])
@access.roles(COMMITTEE, ADMIN)
def consultations():
    """Every selection period with its consultation, and the form that opens one for a period."""
    periods = db.session.scalars(select(SelectionPeriod).order_by(SelectionPeriod.id.desc())).all()
    consultations = {
        c.period_id: c for c in db.session.scalars(select(PublicConsultation).order_by(PublicConsultation.id))
    }
    form = ConsultationForm()
    form.period.choices = [(p.id, f"{p.code} · {p.title}") for p in periods if p.id not in consultations]
    if form.validate_on_submit():
        period = next((p for p in periods if p.id == form.period.data), None)
        if period is None:
            form.period.errors.append(error_message("consultation_exists"))
        else:
            try:
                consultation = open_consultation(
                    db.session,
                    period,
                    question=form.question.data.strip(),
                    opens_at=form.opens_at.data.replace(tzinfo=WIB).astimezone(UTC),
                    closes_at=form.closes_at.data.replace(tzinfo=WIB).astimezone(UTC),
                    actor_id=current_user.id,
                )
            except HRError as error:
                db.session.rollback()
                flash(error_message(error.code), "error")
            else:
                db.session.commit()
                flash(_("Konsultasi publik dibuka."), "success")
                return redirect(url_for("hr.consultation_summary", consultation_id=consultation.id)), 303
    rows = [(p, consultations.get(p.id)) for p in periods]
    return render_template(
        "hr/committee_consultations.html",
        form=form,
        rows=rows,
        now=utcnow(),
        wib=WIB,
        can_open=bool(form.period.choices),
    )
