"""Public consultation on a selection period's criteria: HR opens it, anyone comments (no account,
rate-limited), comments are moderated, and the committee reads the summary."""

from __future__ import annotations

from flask import abort, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from examserver import access
from examserver.accounts.roles import ADMIN, COMMITTEE, HR_OFFICER
from examserver.errors import flash_refusal
from examserver.extensions import client_address, db, limiter
from examserver.hr import bp
from examserver.hr.evaluation_views import public_post_limit
from examserver.hr.forms import CommentForm, ConsultationForm, SummaryForm
from examserver.hr.models import ConsultationComment, PublicConsultation
from examserver.hr.services import add_comment, open_consultation, sender_hash, summarise, topic_counts
from examserver.hr.views import HR
from examserver.outcome import committed
from examserver.selection.messages import category_label
from examserver.selection.models import SelectionPeriod
from examserver.selection.rubrics import component_label
from examserver.selection.rules import rules_from_json
from examserver.selection.web import chosen_period, list_periods
from examserver.wib import from_wib
from itembank.database import utcnow


def open_from_form(form: ConsultationForm, period: SelectionPeriod):
    """Open the consultation ``form`` describes (times entered in WIB) and commit; the redirect to
    its summary, or None after flashing why it was refused (nothing is kept)."""
    with flash_refusal():
        consultation = open_consultation(
            db.session,
            period,
            question=form.question.data.strip(),
            opens_at=from_wib(form.opens_at.data),
            closes_at=from_wib(form.closes_at.data),
            actor_id=current_user.id,
        )
        return committed(
            _("Konsultasi publik dibuka."), url_for("hr.consultation_summary", consultation_id=consultation.id)
        )
    return None


@bp.route("/konsultasi", methods=["GET", "POST"])
@access.roles(*HR)
def consultations():
    """Consultations of every period, and the form that opens one."""
    form = list_periods(ConsultationForm())
    if form.validate_on_submit():
        period = chosen_period(form)
        opened = open_from_form(form, period)
        if opened is not None:
            return opened
    rows = db.session.scalars(select(PublicConsultation).order_by(PublicConsultation.id.desc())).all()
    return render_template("hr/consultations.html", form=form, consultations=rows)


def _criteria(period: SelectionPeriod) -> dict:
    rules = rules_from_json(period.rules)
    return {
        "thresholds": [(category_label(t.category), dict(t.minimums)) for t in rules.thresholds],
        "components": [(component_label(c), c.weight) for c in rules.weights.components],
        "basic_weight": rules.weights.basic,
        "field_weight": rules.weights.field,
    }


@bp.route("/konsultasi/<code>", methods=["GET", "POST"])
@access.public
@limiter.limit(public_post_limit, methods=["POST"], scope="hr-public-post")
def public_consultation(code: str):
    """Public page: the period's criteria, approved comments and the comment form (no account)."""
    period = db.session.scalar(select(SelectionPeriod).where(SelectionPeriod.code == code)) or abort(404)
    consultation = db.session.scalar(select(PublicConsultation).where(PublicConsultation.period_id == period.id))
    if consultation is None:
        abort(404)
    now = utcnow()
    is_open = consultation.opens_at <= now < consultation.closes_at
    form = CommentForm()
    if form.validate_on_submit():
        with flash_refusal():
            add_comment(
                db.session,
                consultation,
                topic=form.topic.data,
                text=form.text.data.strip(),
                author=(form.author.data or "").strip() or None,
                sender=sender_hash(current_app.config["SECRET_KEY"], client_address()),
                now=now,
            )
            return committed(
                _("Terima kasih. Komentar Anda akan ditampilkan setelah diperiksa."),
                url_for("hr.public_consultation", code=period.code),
            )
    approved = [c for c in consultation.comments if c.status == "approved"]
    return render_template(
        "hr/public_consultation.html",
        period=period,
        consultation=consultation,
        criteria=_criteria(period),
        approved=approved,
        form=form,
        is_open=is_open,
    )


@bp.route("/konsultasi/<int:consultation_id>/ringkasan", methods=["GET", "POST"])
@access.roles(HR_OFFICER, ADMIN, COMMITTEE)
def consultation_summary(consultation_id: int):
    """Summary for the committee: counts per criterion, approved comments and the moderator's summary."""
    consultation = db.get_or_404(PublicConsultation, consultation_id)
    form = SummaryForm(obj=consultation)
    can_write = current_user.role in HR
    if can_write and form.validate_on_submit():
        summarise(consultation, form.summary.data.strip(), current_user.id)
        return committed(_("Ringkasan disimpan."), url_for("hr.consultation_summary", consultation_id=consultation.id))
    comments = db.session.scalars(
        select(ConsultationComment)
        .where(ConsultationComment.consultation_id == consultation.id, ConsultationComment.status == "approved")
        .order_by(ConsultationComment.topic, ConsultationComment.id)
    ).all()
    return render_template(
        "hr/consultation_summary.html",
        consultation=consultation,
        counts=topic_counts(consultation),
        comments=comments,
        form=form,
        can_write=can_write,
    )
