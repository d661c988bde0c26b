"""Public pages: file a complaint (no account needed), follow it with its code and secret, and the
complaint statistics per period (counts only, no names)."""

from __future__ import annotations

from pathlib import Path

from flask import render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from examserver import access
from examserver.delivery.models import ExamSchedule
from examserver.errors import flash_refusal
from examserver.extensions import db, limiter
from examserver.hr.evaluation_views import public_post_limit, too_many_posts
from examserver.hr.honeypot import trapped
from examserver.oversight import bp, services
from examserver.oversight.forms import ComplaintForm, FollowForm, evidence_files
from examserver.selection.models import SelectionPeriod
from examserver.selection.web import list_periods, newest_periods, upload_dir

bp.register_error_handler(429, too_many_posts)


def evidence_dir() -> Path:
    """Where evidence files are kept (``OVERSIGHT_UPLOAD_DIR``, else ``uploads/oversight`` in the instance folder)."""
    return upload_dir("OVERSIGHT_UPLOAD_DIR", "oversight")


@bp.before_request
def refuse_filled_honeypot():
    """Pretend to accept a complaint whose honeypot is filled, and store nothing."""
    if request.method != "POST" or request.endpoint != "oversight.complaint":
        return None
    return trapped(_("Terima kasih. Pengaduan Anda diterima."))


def _complaint_form() -> ComplaintForm:
    form = list_periods(ComplaintForm())
    schedules = db.session.scalars(select(ExamSchedule).order_by(ExamSchedule.opens_at.desc()).limit(100)).all()
    form.schedule.choices = [("", _("(tidak ada)"))] + [(s.id, f"{s.code} · {s.title}") for s in schedules]
    return form


@bp.route("/pengaduan", methods=["GET", "POST"])
@access.public
@limiter.limit(public_post_limit, methods=["POST"], scope="oversight-public-post")
def complaint():
    """Public form: report a suspected irregularity, with or without an account, named or anonymous."""
    form = _complaint_form()
    if form.validate_on_submit():
        period = db.get_or_404(SelectionPeriod, form.period.data)
        with flash_refusal(form.description):
            filed = services.file_complaint(
                db.session,
                period,
                category=form.category.data,
                subject_kind=form.subject_kind.data,
                schedule_id=form.schedule.data,
                subject_text=form.subject_text.data or "",
                description=form.description.data,
                reporter_name=form.reporter_name.data,
                reporter_contact=form.reporter_contact.data,
                files=evidence_files(form.evidence),
                upload_dir=evidence_dir(),
            )
            db.session.commit()
            # Shown once, in this answer only: the secret is not kept anywhere but in its hash.
            return render_template("oversight/filed.html", complaint=filed.complaint, secret=filed.secret)
    return render_template("oversight/complaint.html", form=form)


@bp.route("/pengaduan/lacak", methods=["GET", "POST"])
@access.public
@limiter.limit(public_post_limit, methods=["POST"], scope="oversight-follow")
def follow():
    """The reporter follows a complaint with its tracking code and secret: status and public conclusion."""
    form = FollowForm()
    found = None
    if form.validate_on_submit():
        with flash_refusal(form.secret):
            found = services.follow(db.session, form.tracking_code.data, form.secret.data)
    return render_template("oversight/follow.html", form=form, found=found)


@bp.route("/pengaduan/statistik")
@access.public
def statistics():
    """Per period: complaints by category and outcome, sanctions imposed by kind; no names."""
    periods = newest_periods()
    code = request.args.get("periode")
    period = next((p for p in periods if p.code == code), periods[0] if periods else None)
    stats = services.statistics(db.session, period) if period is not None else None
    return render_template(
        "oversight/statistics.html",
        periods=periods,
        period=period,
        stats=stats,
    )
