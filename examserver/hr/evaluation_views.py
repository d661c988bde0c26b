"""Performance evaluation: periods, supervisor ratings against targets, the public community
feedback form (no account, rate-limited), the moderation queue and the nine-box talent map."""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from examserver import access
from examserver.errors import back_on_refusal, flash_refusal, refusal_message
from examserver.extensions import client_address, db, limiter
from examserver.hr import bp
from examserver.hr.analysis import latest_period, load_workforce, performance
from examserver.hr.analysis import talent_map as build_talent_map
from examserver.hr.forms import APPROVAL_CONSEQUENCES, EvaluationPeriodForm, FeedbackForm, ModerationForm, RatingForm
from examserver.hr.messages import nine_box_reason
from examserver.hr.models import CommunityFeedback, ConsultationComment, Employee, EvaluationPeriod, SupervisorRating
from examserver.hr.services import moderate, rate, save_period, sender_hash, submit_feedback
from examserver.hr.views import HR
from examserver.labels import label
from examserver.outcome import committed
from scoring.training_needs import BOX_CODES

#: Public posts (feedback, consultation comments) per address; a flood past this gets HTTP 429.
DEFAULT_PUBLIC_LIMIT = "5 per 10 minutes"


def public_post_limit() -> str:
    """The rate limit of the public forms (``HR_PUBLIC_POST_LIMIT``)."""
    return current_app.config.get("HR_PUBLIC_POST_LIMIT", DEFAULT_PUBLIC_LIMIT)


@bp.errorhandler(429)
def too_many_posts(error):
    """A refused flood on a public form: a translated 429, nothing stored."""
    from examserver.errors import error_response

    return error_response(
        429, "too_many_requests", _("Terlalu banyak kiriman dari alamat Anda. Tunggu beberapa menit lalu coba lagi.")
    )


@bp.route("/penilaian")
@access.roles(*HR)
def evaluation_periods():
    """Evaluation periods."""
    periods = db.session.scalars(select(EvaluationPeriod).order_by(EvaluationPeriod.starts_on.desc())).all()
    return render_template("hr/evaluation_periods.html", periods=periods)


@bp.route("/penilaian/baru", methods=["GET", "POST"])
@bp.route("/penilaian/<int:period_id>/ubah", methods=["GET", "POST"])
@access.roles(*HR)
def evaluation_period_form(period_id: int | None = None):
    """Create or edit a period and how supervisor and community scores combine."""
    period = db.get_or_404(EvaluationPeriod, period_id) if period_id is not None else None
    form = EvaluationPeriodForm(obj=period)
    if form.validate_on_submit():
        with flash_refusal():
            period = save_period(
                db.session,
                period,
                code=form.code.data.strip(),
                title=form.title.data.strip(),
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                supervisor_weight=form.supervisor_weight.data,
                is_feedback_open=form.is_feedback_open.data,
                actor_id=current_user.id,
            )
            return committed(_("Periode penilaian disimpan."), url_for("hr.evaluation_period", period_id=period.id))
    return render_template("hr/evaluation_period_form.html", form=form, period=period)


@bp.route("/penilaian/<int:period_id>")
@access.roles(*HR)
def evaluation_period(period_id: int):
    """A period: every employee's supervisor score, community score and the combination."""
    period = db.get_or_404(EvaluationPeriod, period_id)
    employees = tuple(db.session.scalars(select(Employee).order_by(Employee.unit, Employee.full_name)))
    rows = performance(db.session, period, employees)
    return render_template("hr/evaluation_period.html", period=period, rows=rows)


@bp.route("/penilaian/<int:period_id>/pegawai/<int:employee_id>", methods=["GET", "POST"])
@access.roles(*HR)
def rating_form(period_id: int, employee_id: int):
    """Enter the supervisor's rating of an employee against up to three targets."""
    period = db.get_or_404(EvaluationPeriod, period_id)
    person = db.get_or_404(Employee, employee_id)
    existing = db.session.scalar(
        select(SupervisorRating).where(
            SupervisorRating.period_id == period.id, SupervisorRating.employee_id == person.id
        )
    )
    form = RatingForm()
    if request.method == "GET" and existing is not None:
        for entry, target in zip(form.targets.entries, existing.targets, strict=False):
            entry.form.target.data = target["target"]
            entry.form.weight.data = target["weight"]
            entry.form.achieved.data = target["achieved"]
        form.comment.data = existing.comment
    if form.validate_on_submit():
        targets = [
            {"target": e.form.target.data.strip(), "weight": e.form.weight.data or 0, "achieved": e.form.achieved.data}
            for e in form.targets.entries
            if (e.form.target.data or "").strip() and e.form.achieved.data is not None
        ]
        with flash_refusal():
            rate(db.session, period, person, current_user.id, targets, form.comment.data or "")
            return committed(
                _("Penilaian %(name)s disimpan.", name=person.full_name),
                url_for("hr.evaluation_period", period_id=period.id),
            )
    return render_template("hr/rating_form.html", form=form, period=period, person=person)


# --------------------------------------------------------------------------- public feedback


def _open_periods():
    return db.session.scalars(
        select(EvaluationPeriod).where(EvaluationPeriod.is_feedback_open.is_(True)).order_by(EvaluationPeriod.starts_on)
    ).all()


@bp.route("/umpan-balik", methods=["GET", "POST"])
@access.public
@limiter.limit(public_post_limit, methods=["POST"], scope="hr-public-post")
def feedback():
    """Public form: anyone rates a unit's service, without an account; shown after moderation."""
    form = FeedbackForm()
    periods = _open_periods()
    form.period.choices = [(p.id, p.title) for p in periods]
    units = db.session.scalars(select(Employee.unit).distinct().order_by(Employee.unit)).all()
    form.unit.choices = [(u, u) for u in units]
    if form.validate_on_submit():
        period = next((p for p in periods if p.id == form.period.data), None)
        if period is None:
            form.period.errors.append(refusal_message("hr.feedback_closed"))
        else:
            with flash_refusal(form.unit):
                submit_feedback(
                    db.session,
                    period,
                    unit=form.unit.data,
                    rating=int(form.rating.data),
                    comment=(form.comment.data or "").strip(),
                    sender=sender_hash(current_app.config["SECRET_KEY"], client_address()),
                )
                return committed(
                    _("Terima kasih. Umpan balik Anda diterima dan akan ditampilkan setelah diperiksa."),
                    url_for("hr.feedback"),
                )
    return render_template("hr/feedback.html", form=form, has_periods=bool(periods))


def _moderation_page(form: ModerationForm | None = None, refused: tuple[str, int] | None = None):
    """Pending community feedback and consultation comments, oldest first; after a refused decision,
    ``form`` with its errors beside the item ``refused`` (kind, id) names."""
    feedback_items = db.session.scalars(
        select(CommunityFeedback).where(CommunityFeedback.status == "pending").order_by(CommunityFeedback.id)
    ).all()
    comments = db.session.scalars(
        select(ConsultationComment).where(ConsultationComment.status == "pending").order_by(ConsultationComment.id)
    ).all()
    return render_template(
        "hr/moderation.html",
        feedback_items=feedback_items,
        comments=comments,
        form=form or ModerationForm(formdata=None),
        refused=refused,
        consequences=APPROVAL_CONSEQUENCES,
    )


@bp.route("/moderasi")
@access.roles(*HR)
def moderation():
    """Pending community feedback and consultation comments, oldest first."""
    return _moderation_page()


@bp.route("/moderasi/<kind>/<int:item_id>", methods=["POST"])
@access.roles(*HR)
def moderate_item(kind: str, item_id: int):
    """Approve (once the box naming what that does is ticked) or reject one pending feedback or comment."""
    # One get per model: through a dict of both classes the checker would only know the common base.
    item: CommunityFeedback | ConsultationComment | None
    if kind == "umpan-balik":
        item = db.session.get(CommunityFeedback, item_id)
    elif kind == "komentar":
        item = db.session.get(ConsultationComment, item_id)
    else:
        abort(404)
    if item is None:
        abort(404)
    form = ModerationForm()
    if not form.validate_on_submit():
        if set(form.errors) != {"understood"}:
            abort(400)
        return _moderation_page(form, refused=(kind, item_id))
    back = back_on_refusal(url_for("hr.moderation"))
    moderate(item, current_user.id, approve=form.decision.data == "approve", note=(form.note.data or "").strip())
    return committed(_("Status: %(status)s.", status=label("moderation_status", item.status)), back)


# --------------------------------------------------------------------------- nine-box


def _talent(period_id: int | None):
    period = db.get_or_404(EvaluationPeriod, period_id) if period_id else latest_period(db.session)
    workforce = load_workforce(db.session)
    if period is None or workforce is None:
        return period, None, None, None
    try:
        box, rows = build_talent_map(db.session, workforce, period)
    except ValueError:
        return period, workforce, None, None
    return period, workforce, box, rows


@bp.route("/talenta")
@access.roles(*HR)
def talent_map():
    """The nine-box talent map with a recommendation and its reasons for every employee."""
    period_id = request.args.get("periode", type=int)
    period, _workforce, box, rows = _talent(period_id)
    periods = db.session.scalars(select(EvaluationPeriod).order_by(EvaluationPeriod.starts_on.desc())).all()
    entries = []
    if box is not None:
        for i, row in enumerate(rows):
            recommendation = box.recommendation[i]
            if box.box[i] == 0:
                reason = label("development_recommendation", "insufficient_data")
            else:
                reason = nine_box_reason(
                    float(box.performance[i]),
                    int(box.performance_level[i]),
                    float(box.potential[i]),
                    int(box.potential_level[i]),
                    recommendation,
                )
            entries.append(
                {
                    "employee": row.employee,
                    "box": int(box.box[i]),
                    "name": label("nine_box", box.box_code[i]),
                    "recommendation": recommendation,
                    "label": label("development_recommendation", recommendation),
                    "reason": reason,
                }
            )
        order = {"further_education": 0, "coaching": 1, "develop_in_role": 2, "insufficient_data": 3}
        entries.sort(key=lambda e: (order[e["recommendation"]], -e["box"], e["employee"].full_name))
    return render_template("hr/talent_map.html", period=period, periods=periods, box=box, entries=entries)


@bp.route("/talenta.png")
@access.roles(*HR)
def talent_map_png():
    """The nine-box chart drawn on the server."""
    period, _workforce, box, rows = _talent(request.args.get("periode", type=int))
    if box is None:
        abort(404)
    from examserver.hr.charts import decimal_sign, nine_box_png  # matplotlib: see charts.py

    names = {key: label("nine_box", code) for key, code in BOX_CODES.items()}
    image = nine_box_png(
        box.performance,
        box.potential,
        [_short_name(r.employee.full_name) for r in rows],
        performance_cuts=box.performance_cuts,
        potential_cuts=box.potential_cuts,
        axis_labels=(_("Kinerja (gabungan, 0-100)"), _("Potensi kompetensi (rata-rata θ)")),
        box_names=names,
        title=_("Peta talenta %(period)s", period=period.title),
        decimal=decimal_sign(),
    )
    return Response(image, mimetype="image/png")


def _short_name(name: str) -> str:
    """A chart label: the first name, or the number of a numbered name ("Pegawai Simulasi 07" -> "07")."""
    words = name.split() or [""]
    return words[-1] if words[-1].isdigit() else words[0]
