"""Candidate pages (session, card, result, certificate, readiness), the committee's schedule pages,
and the public certificate check and score board."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from examserver import access
from examserver.accounts.models import User
from examserver.accounts.passwords import hash_password
from examserver.accounts.roles import ADMIN, CANDIDATE, COMMITTEE, PROCTOR
from examserver.accounts.services import full_names
from examserver.auth.forms import ConfirmForm
from examserver.auth.login import identity
from examserver.delivery import bp
from examserver.delivery.forms import AppealForm, EnrolForm, ScheduleForm, VerifyForm
from examserver.delivery.integrity import anchor_file
from examserver.delivery.models import ExamSchedule, ExamSession, SessionResult
from examserver.delivery.player_text import player_text
from examserver.delivery.progress import progress_counts
from examserver.delivery.services import create_schedule, enrol, expire_if_due, new_start_pin, verification_code
from examserver.errors import back_on_refusal, flash_refusal, refusal_message
from examserver.extensions import db
from examserver.oversight.register import refuse_removed_proctors
from examserver.wib import from_wib, to_wib
from itembank.database import utcnow
from itembank.models import TestBlueprint
from itembank.refusal import Refusal
from itembank.services import Actor
from proctoring import services as proctoring_services
from proctoring.models import ScheduleProctor
from proctoring.standing import State, standing_of, standings

DEVICE_COOKIE = "ujian_perangkat"
#: The player's static files, its entry module first: the page loads (and preloads) them and the service
#: worker keeps them for a reload during an outage. Every module under static/js/player/ is listed here.
PLAYER_FILES = (
    "js/player.js",
    "js/player/api.js",
    "js/player/clock.js",
    "js/player/integrity.js",
    "js/player/render.js",
    "js/player/storage.js",
    "js/player/sync.js",
    "css/player.css",
)


def own_session(session_id: int, *, with_schedule: bool = False) -> ExamSession:
    """The signed-in candidate's session, or 404; ``with_schedule`` loads its schedule in the same
    statement. The candidate is the sign-in's identity: no account row is read."""
    signed_in = identity()
    if signed_in is None:
        abort(404)
    if with_schedule:
        exam = db.session.scalar(
            select(ExamSession)
            .where(ExamSession.id == session_id)
            .options(joinedload(ExamSession.schedule, innerjoin=True))
        )
    else:
        exam = db.session.get(ExamSession, session_id)
    if exam is None or exam.candidate_id != signed_in.user_id:
        abort(404)
    return exam


def device_id() -> tuple[str, bool]:
    """This browser's device id (from its cookie), and whether it is new."""
    value = request.cookies.get(DEVICE_COOKIE, "")
    if 16 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum():
        return value, False
    return secrets.token_urlsafe(24), True


def with_device_cookie(response, value: str, new: bool):
    if new:
        response.set_cookie(
            DEVICE_COOKIE,
            value,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            path="/",
        )
    return response


# --------------------------------------------------------------------------- candidate pages


def candidate_sessions(user_id: int) -> Sequence[ExamSession]:
    """A candidate's sessions, the open ones first."""
    rows = db.session.scalars(
        select(ExamSession)
        .where(ExamSession.candidate_id == user_id)
        .options(selectinload(ExamSession.schedule).selectinload(ExamSchedule.blueprint))
        .join(ExamSchedule)
        .order_by(ExamSchedule.opens_at)
    ).all()
    moment = utcnow()
    changed = any(expire_if_due(db.session, exam, now=moment) for exam in rows)
    if changed:
        db.session.commit()
    return rows


@bp.route("/<int:session_id>")
@access.roles(CANDIDATE)
def session_page(session_id: int):
    """Before the start: rules, PIN and the start button; during: the player; after: the result."""
    exam = own_session(session_id, with_schedule=True)
    moment = utcnow()
    if expire_if_due(db.session, exam, now=moment):
        db.session.commit()
    if exam.is_ended:
        return redirect(url_for("delivery.result", session_id=exam.id))
    device, new = device_id()
    if exam.status == "in_progress":
        page = player_page(exam, device, moment.isoformat())
    else:
        page = render_template(
            "delivery/start.html",
            exam=exam,
            device_id=device,
            server_time=moment.isoformat(),
            opens=exam.schedule.opens_at <= moment < exam.schedule.closes_at,
            player_files=PLAYER_FILES,
        )
    return with_device_cookie(make_response(page), device, new)


def player_page(exam: ExamSession, device: str, server_time: str) -> str:
    """The player, which every candidate of a room loads at the start. It has no layout (no menu,
    account or language form), so it is rendered without the context processors that feed the
    layout: Flask-Login's would read the candidate's account row for nothing."""
    template = current_app.jinja_env.get_template("delivery/player.html")
    text, messages = player_text()
    return template.render(
        text=text,
        messages=messages,
        exam=exam,
        device_id=device,
        server_time=server_time,
        player_files=PLAYER_FILES,
        current_locale=str(get_locale()),
    )


@bp.route("/<int:session_id>/kartu")
@access.roles(CANDIDATE)
def exam_card(session_id: int):
    """A printable exam card (kartu peserta)."""
    exam = own_session(session_id)
    return render_template("delivery/card.html", exam=exam)


@bp.route("/<int:session_id>/hasil")
@access.roles(CANDIDATE)
def result(session_id: int):
    """The result, at once if the schedule shows scores."""
    exam = own_session(session_id)
    if expire_if_due(db.session, exam, now=utcnow()):
        db.session.commit()
    if not exam.is_ended:
        return redirect(url_for("delivery.session_page", session_id=exam.id))
    standing = standing_of(db.session, exam.id)
    appeals = proctoring_services.timeline(db.session, exam.id).appeals
    return render_template(
        "delivery/result.html",
        exam=exam,
        result=exam.result,
        standing=standing,
        decision=appealable(standing),
        appeals=appeals,
        appeal_form=AppealForm(),
    )


def appealable(standing):
    """The decision the candidate sees and may appeal: none while an invalidation awaits confirmation."""
    return None if standing.state is State.UNDER_REVIEW else standing.decision


@bp.route("/<int:session_id>/sanggah", methods=["POST"])
@access.roles(CANDIDATE)
def file_appeal(session_id: int):
    """The candidate appeals (sanggah) against the proctors' decision on their session."""
    exam = own_session(session_id)
    decision = appealable(standing_of(db.session, exam.id))
    form = AppealForm()
    if decision is None or decision.decision == "cleared":
        abort(404)
    back = back_on_refusal(url_for("delivery.result", session_id=exam.id))
    if form.validate_on_submit():
        proctoring_services.file_appeal(db.session, decision, text=form.text.data, anchor_file=anchor_file())
        db.session.commit()
        flash(_("Sanggahan Anda tercatat dan akan diputus oleh pengawas lain."), "success")
    else:
        flash(refusal_message("proctoring.appeal_too_short"), "error")
    return redirect(back), 303


@bp.route("/<int:session_id>/sertifikat")
@access.roles(CANDIDATE)
def certificate(session_id: int):
    """A printable result certificate with its public verification code."""
    exam = own_session(session_id)
    if not exam.is_ended or not exam.schedule.shows_score:
        abort(404)
    return render_template(
        "delivery/certificate.html", exam=exam, result=exam.result, standing=standing_of(db.session, exam.id)
    )


@bp.route("/cek-perangkat")
@access.roles(CANDIDATE)
def readiness():
    """Checks the device and connection before the exam, in plain Indonesian."""
    return render_template("delivery/readiness.html")


@bp.route("/ping")
@access.roles(CANDIDATE)
def ping():
    """Latency, clock and download-speed probe for the readiness check (``?kb=`` bytes of padding)."""
    size = min(max(request.args.get("kb", 0, type=int), 0), 256)
    response = make_response(b"0" * (size * 1024) if size else b"{}")
    response.headers["Content-Type"] = "application/octet-stream" if size else "application/json"
    response.headers["X-Server-Time"] = utcnow().isoformat()
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/sw.js")
@access.roles(CANDIDATE)
def service_worker():
    """The service worker that keeps the player working offline (scope /ujian/)."""
    response = make_response(render_template("delivery/sw.js", player_files=PLAYER_FILES))
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/ujian/"
    return response


# ----------------------------------------------------------------------- public verification


@bp.route("/verifikasi")
@access.public
def verify():
    """Anyone can check a result certificate by its code."""
    form = VerifyForm(request.args)
    found = None
    if request.args and form.validate():
        code = verification_code(form.kode.data)
        found = db.session.scalar(select(SessionResult).where(SessionResult.verification_code == code))
        if found is None or not found.session.schedule.shows_score:
            found = False
    standing = standing_of(db.session, found.session_id) if found else None
    return render_template("delivery/verify.html", form=form, found=found, standing=standing)


@bp.route("/papan-skor/<code>")
@access.public
def scoreboard(code: str):
    """A schedule's public live score board: registration number, section scores, total."""
    schedule = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == code.upper()))
    if schedule is None or not schedule.has_public_scoreboard:
        abort(404)
    # Raw points of an adaptive sitting are not comparable between candidates: rank by the scale.
    adaptive = schedule.blueprint.delivery_mode == "adaptive"
    rows = db.session.scalars(
        select(SessionResult)
        .join(ExamSession)
        .where(ExamSession.schedule_id == schedule.id)
        .order_by((SessionResult.scaled if adaptive else SessionResult.total_raw).desc(), SessionResult.computed_at)
        .options(contains_eager(SessionResult.session))  # the registration numbers, not a load per row
    ).all()
    marks = standings(db.session, [r.session_id for r in rows])
    voided = [r for r in rows if not marks[r.session_id].counts]
    rows = [r for r in rows if marks[r.session_id].counts]
    response = make_response(render_template("delivery/scoreboard.html", schedule=schedule, rows=rows, voided=voided))
    response.headers["Refresh"] = "30"
    response.headers["Cache-Control"] = "public, max-age=10"
    return response


# --------------------------------------------------------------------- committee: schedules


@bp.route("/jadwal")
@access.roles(COMMITTEE, ADMIN)
def schedules():
    """Exam schedules with their candidates' progress."""
    rows = db.session.scalars(select(ExamSchedule).order_by(ExamSchedule.opens_at.desc())).all()
    counts = {
        (sid, status): n
        for sid, status, n in db.session.execute(
            select(ExamSession.schedule_id, ExamSession.status, func.count(ExamSession.id)).group_by(
                ExamSession.schedule_id, ExamSession.status
            )
        )
    }
    return render_template("delivery/schedules.html", schedules=rows, counts=counts)


@bp.route("/jadwal/baru", methods=["GET", "POST"])
@access.roles(COMMITTEE, ADMIN)
def create_schedule_page():
    """Schedule a sitting of a blueprint."""
    form = ScheduleForm()
    blueprints = db.session.scalars(select(TestBlueprint).where(TestBlueprint.is_active.is_(True))).all()
    form.blueprint.choices = [(b.id, f"{b.code} · {b.name}") for b in blueprints]
    if request.method == "GET":
        start = to_wib(utcnow()).replace(second=0, microsecond=0)
        form.opens_at.data, form.closes_at.data = start, start + timedelta(days=1)
    if form.validate_on_submit():
        blueprint = db.session.get(TestBlueprint, form.blueprint.data)
        pin = new_start_pin() if form.uses_pin.data else None  # only its hash is kept
        with flash_refusal():  # a refusal shows the form again with what was typed
            if blueprint is None:
                raise Refusal("delivery.not_found", 404)
            if db.session.scalar(select(ExamSchedule.id).where(ExamSchedule.code == form.code.data.upper())):
                raise Refusal("delivery.duplicate", 422)
            schedule = create_schedule(
                db.session,
                Actor(current_user.id, current_user.role),
                blueprint=blueprint,
                code=form.code.data,
                title=form.title.data,
                opens_at=from_wib(form.opens_at.data),
                closes_at=from_wib(form.closes_at.data),
                location=form.location.data,
                start_pin_hash=hash_password(pin) if pin else None,
                requires_authorisation=form.requires_authorisation.data,
                shows_score=form.shows_score.data,
                has_public_scoreboard=form.has_public_scoreboard.data,
                grace_seconds=form.grace_seconds.data,
            )
            db.session.commit()
            flash(_("Jadwal %(code)s dibuat.", code=schedule.code), "success")
            if pin:
                flash(
                    _(
                        "PIN mulai: %(pin)s. Catat dan berikan kepada pengawas; PIN ini tidak ditampilkan lagi.",
                        pin=pin,
                    ),
                    "success",
                )
            return redirect(url_for("delivery.schedule_detail", schedule_id=schedule.id)), 303
    return render_template("delivery/schedule_form.html", form=form), (422 if request.method == "POST" else 200)


@bp.route("/jadwal/<int:schedule_id>")
@access.roles(COMMITTEE, ADMIN)
def schedule_detail(schedule_id: int):
    """A schedule's candidates: registration numbers, status, time left, results."""
    schedule = loaded_schedule(schedule_id)
    moment = utcnow()
    if any([expire_if_due(db.session, exam, now=moment) for exam in schedule.sessions]):
        db.session.commit()
        schedule = loaded_schedule(schedule_id)  # the commit expired every loaded row
    sessions = schedule.sessions
    proctors = db.session.scalars(select(User).where(User.role == PROCTOR).order_by(User.full_name)).all()
    assigned = set(
        db.session.scalars(select(ScheduleProctor.proctor_id).where(ScheduleProctor.schedule_id == schedule.id))
    )
    return render_template(
        "delivery/schedule.html",
        proctors=proctors,
        assigned=assigned,
        schedule=schedule,
        names=full_names(db.session, (s.candidate_id for s in sessions)),
        progress=progress_counts(db.session, schedule.id),
        standing=standings(db.session, [s.id for s in sessions]),
        now=moment,
        enrol_form=EnrolForm(),
        confirm=ConfirmForm(),
    )


def loaded_schedule(schedule_id: int) -> ExamSchedule:
    """A schedule with its blueprint, sessions and their results, in three statements however many
    sessions it holds (the schedule page reads each of them)."""
    return db.get_or_404(
        ExamSchedule,
        schedule_id,
        options=[
            joinedload(ExamSchedule.blueprint),
            selectinload(ExamSchedule.sessions).selectinload(ExamSession.result),
        ],
        populate_existing=True,
    )


@bp.route("/jadwal/<int:schedule_id>/peserta", methods=["POST"])
@access.roles(COMMITTEE, ADMIN)
def enrol_candidates(schedule_id: int):
    """Give seats to candidates by email (unknown emails and non-candidates are listed back)."""
    schedule = db.get_or_404(ExamSchedule, schedule_id)
    form = EnrolForm()
    if form.validate_on_submit():
        emails = {line.strip().lower() for line in form.emails.data.splitlines() if line.strip()}
        users = db.session.scalars(select(User).where(User.email.in_(emails), User.role == CANDIDATE)).all()
        for user in users:
            enrol(db.session, schedule, user.id)
        db.session.commit()
        missing = sorted(emails - {u.email for u in users})
        flash(_("%(n)d peserta terdaftar.", n=len(users)), "success")
        if missing:
            flash(_("Bukan akun peserta: %(emails)s", emails=", ".join(missing[:20])), "error")
    return redirect(url_for("delivery.schedule_detail", schedule_id=schedule.id)), 303


@bp.route("/jadwal/<int:schedule_id>/pengawas", methods=["POST"])
@access.roles(COMMITTEE, ADMIN)
def assign_proctors(schedule_id: int):
    """Choose which proctors watch this schedule (each sees only the schedules given to them)."""
    schedule = db.get_or_404(ExamSchedule, schedule_id)
    if ConfirmForm().validate_on_submit():
        chosen = {int(value) for value in request.form.getlist("proctor") if value.isdigit()}
        proctors = set(db.session.scalars(select(User.id).where(User.id.in_(chosen), User.role == PROCTOR)))
        back_on_refusal(url_for("delivery.schedule_detail", schedule_id=schedule.id))
        refuse_removed_proctors(db.session, proctors, to_wib(utcnow()).date())
        db.session.execute(delete(ScheduleProctor).where(ScheduleProctor.schedule_id == schedule.id))
        db.session.add_all(ScheduleProctor(schedule_id=schedule.id, proctor_id=pid) for pid in sorted(proctors))
        db.session.commit()
        flash(_("%(n)d pengawas ditugaskan.", n=len(proctors)), "success")
    return redirect(url_for("delivery.schedule_detail", schedule_id=schedule.id)), 303
