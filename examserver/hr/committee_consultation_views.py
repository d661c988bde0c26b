"""The selection committee's page for public consultations: open one on a period's criteria and
follow it (comments are moderated by HR; the summary page is shared).

Its own blueprint under ``/panitia/konsultasi``: it is a committee page, while the ``hr`` blueprint
holds the HR officers' pages and the public forms.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from examserver import access
from examserver.accounts.roles import ADMIN, COMMITTEE
from examserver.errors import refusal_message
from examserver.extensions import db
from examserver.hr.consultation_views import open_from_form
from examserver.hr.forms import ConsultationForm
from examserver.hr.models import PublicConsultation
from examserver.selection.web import newest_periods, period_choices
from itembank.database import utcnow

bp = Blueprint("committee_consultation", __name__)


@bp.route("/", methods=["GET", "POST"])
@access.roles(COMMITTEE, ADMIN)
def consultations():
    """Every selection period with its consultation, and the form that opens one for a period."""
    periods = newest_periods()
    consultations = {
        c.period_id: c for c in db.session.scalars(select(PublicConsultation).order_by(PublicConsultation.id))
    }
    form = ConsultationForm()
    form.period.choices = period_choices(p for p in periods if p.id not in consultations)
    if form.validate_on_submit():
        period = next((p for p in periods if p.id == form.period.data), None)
        if period is None:
            form.period.errors.append(refusal_message("hr.consultation_exists"))
        else:
            opened = open_from_form(form, period)
            if opened is not None:
                return opened
    rows = [(p, consultations.get(p.id)) for p in periods]
    return render_template(
        "hr/committee_consultations.html",
        form=form,
        rows=rows,
        now=utcnow(),
        can_open=bool(form.period.choices),
    )
