"""The proctor console: live room, actions, review queue, timelines, decisions, appeals, export."""

from __future__ import annotations

from flask import abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from examserver import access
from examserver.accounts.roles import ADMIN, PROCTOR
from examserver.accounts.services import full_names
from examserver.auth.forms import ConfirmForm
from examserver.auth.login import identity
from examserver.auth.views import safe_next
from examserver.delivery.integrity import anchor_file
from examserver.delivery.models import Answer, ExamSchedule, ExamSession, SessionItem
from examserver.downloads import csv_attachment
from examserver.errors import flash_refusal
from examserver.extensions import db
from examserver.labels import label
from examserver.outcome import committed
from examserver.proctor import bp
from examserver.proctor.actions import act, assigned_schedules, can_watch
from examserver.proctor.forms import ActionForm, AppealOutcomeForm, ConfirmInvalidationForm, DecisionForm
from examserver.proctor.live import RefreshToken, Room, read_room
from examserver.proctor.messages import (
    flag_text,
    reason_category_label,
    standing_note,
)
from examserver.proctor.review import SessionRisk, copying_flags, review_queue
from examserver.proctor.stored_forensics import STORED
from examserver.wtforms_i18n import FlaskForm
from itembank.database import utcnow
from proctoring import chain, services
from proctoring.models import Appeal, ProctorDecision
from proctoring.standing import standing_of, standings

STAFF = (PROCTOR, ADMIN)


def watched_schedule(schedule_id: int) -> ExamSchedule:
    schedule = db.session.get(ExamSchedule, schedule_id)
    if schedule is None or not _may_watch(schedule.id):
        abort(404)
    return schedule


def watched_session(session_id: int) -> ExamSession:
    exam = db.session.get(ExamSession, session_id)
    if exam is None or not _may_watch(exam.schedule_id):
        abort(404)
    return exam


def _may_watch(schedule_id: int) -> bool:
    """By the request's signed-in identity (the access rule let only staff in), without loading
    the account: the live room is polled every few seconds by every proctor."""
    signed_in = identity()
    return signed_in is not None and can_watch(db.session, signed_in.user_id, signed_in.role, schedule_id)


@bp.app_context_processor
def proctor_helpers():  # also used by the candidate's result page
    return {
        "flag_text": flag_text,
        "reason_category_label": reason_category_label,
        "standing_note": standing_note,
    }


@bp.route("/")
@access.roles(*STAFF)
def index():
    """Proctors' home: sessions assigned to them and the review queue."""
    schedules = assigned_schedules(db.session, current_user.id, current_user.role)
    open_appeals = db.session.scalar(select(func.count(Appeal.id)).where(Appeal.status == "open"))
    pending = db.session.scalar(
        select(func.count(ProctorDecision.id)).where(
            ProctorDecision.decision == "invalidated", ProctorDecision.confirmed_by_id.is_(None)
        )
    )
    return render_template("proctor/index.html", schedules=schedules, open_appeals=open_appeals, pending=pending)


def commit_expiries(live: Room) -> Room:
    """Commit the sessions a reading of the room expired (the request's one commit)."""
    if live.expired:
        db.session.commit()
    return live


@bp.route("/jadwal/<int:schedule_id>")
@access.roles(*STAFF)
def room(schedule_id: int):
    """The live room: every candidate's status, heartbeat, progress and flags, with actions."""
    schedule = watched_schedule(schedule_id)
    live = commit_expiries(read_room(db.session, schedule, now=utcnow()))
    return render_template(
        "proctor/room.html", schedule=schedule, rows=live.rows, token=live.token.encode(), action_form=ActionForm()
    )


@bp.route("/jadwal/<int:schedule_id>/langsung.json")
@access.roles(*STAFF)
def room_data(schedule_id: int):
    """The live room as JSON, polled every few seconds by the room page: with the token of its
    previous answer (``sejak``) only the rows that changed since, else every row."""
    schedule = watched_schedule(schedule_id)
    now = utcnow()
    since = RefreshToken.parse(request.args.get("sejak"), now)
    live = commit_expiries(read_room(db.session, schedule, now=now, since=since))
    return jsonify(server_time=now.isoformat(), token=live.token.encode(), full=live.full, rows=live.rows)


@bp.route("/sesi/<int:session_id>/tindakan", methods=["POST"])
@access.roles(*STAFF)
def session_action(session_id: int):
    """Authorise, pause, resume, extend, message, allow another device, or terminate; a mistake
    shows the timeline again with every error beside its field and what was typed."""
    exam = watched_session(session_id)
    back = safe_next(request.form.get("next")) or url_for("proctor.room", schedule_id=exam.schedule_id)
    form = ActionForm()
    if form.validate_on_submit():
        with flash_refusal():  # the session's state, not what was typed: above the form
            act(
                db.session,
                exam,
                form.action.data,
                actor_id=current_user.id,
                category=form.category.data,
                comment=form.comment.data,
                now=utcnow(),
                seconds=form.seconds.data,
                message=form.message.data,
            )
            return committed(_("%(reg)s: tindakan dicatat.", reg=exam.registration_number), back)
    return timeline_page(exam, action_form=form)


def commit_stored() -> None:
    """Commit the forensic statistics a reading stored (the sitting's first reading since they
    changed); otherwise a reading writes nothing, and committing would only expire what it loaded."""
    if db.session.info.pop(STORED, False):
        db.session.commit()


def sitting_review(schedule: ExamSchedule) -> list[SessionRisk]:
    """The review queue of ``schedule``, from its stored forensic statistics."""
    rows = review_queue(db.session, schedule)
    commit_stored()
    return rows


@bp.route("/jadwal/<int:schedule_id>/telaah")
@access.roles(*STAFF)
def queue(schedule_id: int):
    """After the session: candidates ordered by risk, each with the reasons it was flagged."""
    schedule = watched_schedule(schedule_id)
    rows = sitting_review(schedule)  # first: a commit of what it stored would expire the rest
    marks = standings(db.session, [exam.id for exam in schedule.sessions])
    decisions = {exam_id: standing.in_force for exam_id, standing in marks.items()}
    return render_template(
        "proctor/queue.html",
        schedule=schedule,
        rows=rows,
        names=full_names(db.session, (exam.candidate_id for exam in schedule.sessions)),
        decisions=decisions,
        checkpoint=chain.latest_checkpoint,
    )


def confirmation_mark(decision: ProctorDecision | None) -> str:
    """ya / tidak for invalidations (confirmed by a second person or not), empty otherwise."""
    if decision is None or decision.decision != "invalidated":
        return ""
    return _("ya") if decision.confirmed_by_id else _("tidak")


def irregularities_header() -> list[object]:
    """The irregularities export's columns: labels for people, each code column next to its label."""
    return [
        _("Nomor peserta"), _("Skor risiko"), _("Tanda"), _("Keputusan"), _("Keputusan (kode)"), _("Kategori"),
        _("Kategori (kode)"), _("Alasan"), _("Dikonfirmasi"),
    ]  # fmt: skip


def irregularity_row(row, shown: ProctorDecision | None) -> list[object]:
    """One flagged or decided session of the export (``row`` from the review queue)."""
    decision, category = (shown.decision, shown.category) if shown else ("", "")
    return [
        row.session.registration_number, row.score, "; ".join(flag_text(flag) for flag in row.flags),
        label("proctor_decision", decision or None), decision, reason_category_label(category) if category else "",
        category, shown.reason if shown else "", confirmation_mark(shown),
    ]  # fmt: skip


def latest_decisions(schedule: ExamSchedule) -> dict[int, ProctorDecision]:
    """Per session of ``schedule``, its latest decision, in one statement."""
    found = db.session.scalars(
        select(ProctorDecision)
        .join(ExamSession, ExamSession.id == ProctorDecision.session_id)
        .where(ExamSession.schedule_id == schedule.id)
        .order_by(ProctorDecision.id)
    )
    return {decision.session_id: decision for decision in found}


@bp.route("/jadwal/<int:schedule_id>/pelanggaran.csv")
@access.roles(*STAFF)
def export_irregularities(schedule_id: int):
    """CSV of every flagged session and decision (for the committee's minutes)."""
    schedule = watched_schedule(schedule_id)
    rows: list[list[object]] = [irregularities_header()]
    reviewed = sitting_review(schedule)
    marks = standings(db.session, [row.session.id for row in reviewed])
    latest = latest_decisions(schedule)
    for row in reviewed:
        decided = latest.get(row.session.id)
        if not row.flags and decided is None:
            continue
        rows.append(irregularity_row(row, marks[row.session.id].in_force or decided))
    return csv_attachment(rows, f"pelanggaran-{schedule.code}.csv")


def answered_items(exam: ExamSession) -> list[SessionItem]:
    """The session's answered items in the order they were saved, with their answers, in one
    statement (not one per item)."""
    return list(
        db.session.scalars(
            select(SessionItem)
            .join(Answer, Answer.session_item_id == SessionItem.id)
            .where(SessionItem.session_id == exam.id)
            .options(contains_eager(SessionItem.answer))
            .order_by(Answer.saved_at, SessionItem.position)
        )
    )


@bp.route("/sesi/<int:session_id>")
@access.roles(*STAFF)
def timeline(session_id: int):
    """One candidate's timeline: answers and events in order, decisions, appeals."""
    return timeline_page(watched_session(session_id))


def timeline_page(exam: ExamSession, posted_about: int | None = None, **posted: FlaskForm):
    """The timeline page with its forms blank, but for the one ``posted`` (by its name on the page,
    e.g. ``decision_form=form``), shown again as posted with its mistakes beside its fields and what
    was typed. An invalidation to confirm and an open appeal have a form each: only the one the post
    was about (``posted_about``, the decision's or the appeal's id) shows it, the others ``blank``."""
    blank = {
        "action_form": ActionForm(formdata=None),
        "decision_form": DecisionForm(formdata=None),
        "confirm_invalidation": ConfirmInvalidationForm(formdata=None),
        "appeal_form": AppealOutcomeForm(formdata=None),
    }
    copying = copying_flags(db.session, exam) if exam.is_ended else []
    commit_stored()  # before reading the rest, which a commit would expire
    record = services.timeline(db.session, exam.id)
    answers = answered_items(exam)
    involved: list[int | None] = [exam.candidate_id]
    involved += [d.decided_by_id for d in record.decisions] + [d.confirmed_by_id for d in record.decisions]
    involved += [e.actor_id for e in record.events] + [a.decided_by_id for a in record.appeals]
    people = full_names(db.session, (person for person in involved if person))
    return render_template(
        "proctor/timeline.html",
        exam=exam,
        record=record,
        answers=answers,
        copying=copying,
        people=people,
        confirm=ConfirmForm(),
        in_force=services.effective_decision(db.session, exam.id),
        standing=standing_of(db.session, exam.id),
        checkpoint=chain.latest_checkpoint(db.session, exam.id),
        blank=blank,
        posted_about=posted_about,
        **{**blank, **posted},
    )


@bp.route("/sesi/<int:session_id>/keputusan", methods=["POST"])
@access.roles(*STAFF)
def decide(session_id: int):
    """Record a decision (cleared, warning, invalidated) with its reason; a mistake shows the
    timeline again with every error beside its field and what was typed."""
    exam = watched_session(session_id)
    form = DecisionForm()
    if form.validate_on_submit():
        with flash_refusal(form.reason):
            services.decide(
                db.session,
                exam.id,
                decision=form.decision.data,
                category=form.category.data,
                reason=form.reason.data,
                actor_id=current_user.id,
                anchor_file=anchor_file(),
            )
            return committed(_("Keputusan dicatat."), url_for("proctor.timeline", session_id=exam.id))
    return timeline_page(exam, decision_form=form)


@bp.route("/keputusan/<int:decision_id>/konfirmasi", methods=["POST"])
@access.roles(*STAFF)
def confirm(decision_id: int):
    """A second proctor or admin confirms an invalidation; unticked, the timeline shows again
    with the box marked."""
    decision = db.get_or_404(ProctorDecision, decision_id)
    exam = watched_session(decision.session_id)
    form = ConfirmInvalidationForm()
    if form.validate_on_submit():
        with flash_refusal():  # the decision's state (confirmed already, by its maker): above the page
            services.confirm_invalidation(db.session, decision, actor_id=current_user.id, anchor_file=anchor_file())
            return committed(_("Pembatalan dikonfirmasi."), url_for("proctor.timeline", session_id=exam.id))
    return timeline_page(exam, confirm_invalidation=form, posted_about=decision.id)


@bp.route("/sanggah")
@access.roles(*STAFF)
def appeals():
    """Open appeals (sanggah) against decisions."""
    rows = db.session.scalars(select(Appeal).order_by(Appeal.status != "open", Appeal.filed_at)).all()
    sessions = {row.session_id: db.session.get(ExamSession, row.session_id) for row in rows}
    visible = [
        row
        for row in rows
        if can_watch(db.session, current_user.id, current_user.role, sessions[row.session_id].schedule_id)
    ]
    return render_template("proctor/appeals.html", rows=visible, sessions=sessions)


@bp.route("/sanggah/<int:appeal_id>", methods=["POST"])
@access.roles(*STAFF)
def decide_appeal(appeal_id: int):
    """Decide an appeal (someone other than whoever made the decision appealed against); a mistake
    shows the timeline again with every error beside its field and what was typed."""
    appeal = db.get_or_404(Appeal, appeal_id)
    exam = watched_session(appeal.session_id)
    form = AppealOutcomeForm()
    if form.validate_on_submit():
        with flash_refusal():  # who decides, or decided already: above the page
            services.decide_appeal(
                db.session,
                appeal,
                upheld=form.outcome.data == "upheld",
                outcome=form.reason.data,
                actor_id=current_user.id,
                anchor_file=anchor_file(),
            )
            return committed(_("Sanggahan diputuskan."), url_for("proctor.timeline", session_id=exam.id))
    return timeline_page(exam, appeal_form=form, posted_about=appeal.id)
