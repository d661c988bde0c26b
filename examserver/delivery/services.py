"""Delivery rules: enrolment, start and resume, idempotent answer saves, the server-owned clock,
submission, expiry and scoring. Functions add and flush; the caller commits.

Time is always the server's ``now`` (passed in, so tests can move it). The candidate's device
clock is never used for any decision.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from examserver.delivery import adaptive, integrity
from examserver.delivery.models import Answer, ExamSchedule, ExamSession, SessionItem, SessionResult
from itembank.blueprints import section_pool
from itembank.database import MAX_INTEGER
from itembank.item_types import item_type, letters
from itembank.models import TestBlueprint, TestForm
from itembank.services import Actor

MAX_SAVES_PER_REQUEST = 50
#: Start PINs are this many digits, drawn by the server (a person only reads them out and types them).
START_PIN_DIGITS = 6
#: This many wrong start PINs in a row lock the session's start for ``PIN_LOCK_MINUTES``.
PIN_MAX_FAILURES = 5
PIN_LOCK_MINUTES = 5
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by people


class DeliveryError(ValueError):
    """A refused delivery operation; ``code`` names the reason, ``status`` the HTTP status."""

    def __init__(self, code: str, status: int = 409, **params):
        super().__init__(code)
        self.code = code
        self.status = status
        self.params = params


def _code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def new_start_pin() -> str:
    """A fresh start PIN of ``START_PIN_DIGITS`` random digits (the caller stores only its hash)."""
    return f"{secrets.randbelow(10**START_PIN_DIGITS):0{START_PIN_DIGITS}d}"


# ----------------------------------------------------------------------------------- schedules


def create_schedule(
    session: Session,
    actor: Actor,
    *,
    blueprint: TestBlueprint,
    code: str,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    location: str,
    start_pin_hash: str | None = None,
    requires_authorisation: bool = False,
    shows_score: bool = True,
    has_public_scoreboard: bool = False,
    grace_seconds: int = 30,
) -> ExamSchedule:
    """Schedule a sitting of ``blueprint``. Fixed-form blueprints need a published form; adaptive
    ones a pool whose operational items all have usable current parameters, enough per section."""
    if actor.role not in ("admin", "committee"):
        raise DeliveryError("role_not_allowed", 403)
    if closes_at <= opens_at:
        raise DeliveryError("window_empty", 422)
    if blueprint.delivery_mode == "adaptive":
        try:
            adaptive.check_blueprint(session, blueprint)
        except adaptive.AdaptiveError as refused:
            raise DeliveryError(refused.code, 422, **refused.params) from refused
    if blueprint.delivery_mode == "fixed" and not any(f.status == "published" for f in blueprint.forms):
        raise DeliveryError("no_published_form", 422)
    schedule = ExamSchedule(
        code=code.strip().upper(),
        title=title.strip(),
        blueprint=blueprint,
        opens_at=opens_at,
        closes_at=closes_at,
        location=location.strip(),
        start_pin_hash=start_pin_hash,
        requires_authorisation=requires_authorisation,
        shows_score=shows_score,
        has_public_scoreboard=has_public_scoreboard,
        grace_seconds=grace_seconds,
        created_by_id=actor.id,
    )
    session.add(schedule)
    session.flush()
    return schedule


def enrol(session: Session, schedule: ExamSchedule, candidate_id: int) -> ExamSession:
    """Give a candidate a seat in a schedule, with a fresh registration number (idempotent)."""
    existing = session.scalar(
        select(ExamSession).where(ExamSession.schedule_id == schedule.id, ExamSession.candidate_id == candidate_id)
    )
    if existing is not None:
        return existing
    exam = ExamSession(
        schedule=schedule,
        candidate_id=candidate_id,
        registration_number=f"{schedule.code}-{_code(6)}",
    )
    session.add(exam)
    session.flush()
    return exam


# ------------------------------------------------------------------------------- start, resume


def _draw_items(session: Session, exam: ExamSession, rng: np.random.Generator) -> None:
    """Put the session's items in place: its fixed form, or a random draw to the blueprint."""
    blueprint = exam.schedule.blueprint
    entries: list[tuple] = []
    if blueprint.delivery_mode == "adaptive":
        _choose_next(session, exam, rng)  # the first item only; each next one on request
        return
    if blueprint.delivery_mode == "fixed":
        forms = [f for f in blueprint.forms if f.status == "published"]
        if not forms:
            raise DeliveryError("no_published_form", 422)
        form: TestForm = forms[exam.id % len(forms)]  # spread candidates over parallel forms
        exam.form = form
        entries = [(entry.section, entry.item, entry.version) for entry in form.entries]
    else:
        for section in blueprint.sections:
            pool = section_pool(session, section)
            if len(pool) < section.item_count:
                raise DeliveryError("pool_too_small", 422, section=section.title)
            for index in rng.choice(len(pool), size=section.item_count, replace=False):
                item = pool[int(index)]
                entries.append((section, item, item.current_version))
    for position, (section, item, version) in enumerate(entries, start=1):
        order = letters(len(version.options))
        if item.shuffle_options and item_type(item.item_type).shufflable:
            order = [order[i] for i in rng.permutation(len(order))]
        exam.items.append(
            SessionItem(position=position, section=section, item=item, version=version, option_order=order)
        )


def _choose_next(session: Session, exam: ExamSession, rng: np.random.Generator | None = None) -> SessionItem | None:
    try:
        return adaptive.choose_next(session, exam, rng)
    except adaptive.AdaptiveError as refused:
        raise DeliveryError(refused.code, 409, **refused.params) from refused
    except ValueError as error:  # the CAT engine refused (a CATError): the pool changed under us
        raise DeliveryError("adaptive_bank_invalid", 409) from error


def reach_item(
    session: Session, exam: ExamSession, position: int, *, rng: np.random.Generator | None = None
) -> SessionItem:
    """The session's item at ``position``; in an adaptive session, the next position is chosen
    now by a CAT step once the last shown item is answered (asking again returns the same item)."""
    if exam.status != "in_progress":
        raise DeliveryError("session_ended" if exam.is_ended else "not_started")
    si = next((si for si in exam.items if si.position == position), None)
    if si is not None:
        return si
    shown = len(exam.items)
    if exam.schedule.blueprint.delivery_mode != "adaptive" or position != shown + 1:
        raise DeliveryError("position_unknown", 404, position=position)
    if position > exam.schedule.blueprint.item_count:
        raise DeliveryError("position_unknown", 404, position=position)
    last = exam.items[-1] if exam.items else None
    if last is not None and (last.answer is None or last.answer.response is None):
        raise DeliveryError("adaptive_answer_first", 409, position=last.position)
    chosen = _choose_next(session, exam, rng)
    if chosen is None:
        raise DeliveryError("position_unknown", 404, position=position)
    return chosen


@dataclass(frozen=True)
class StartRequest:
    """What a browser sends to start or resume (and the address it came from)."""

    client_id: str
    pin: str | None = None
    ip_address: str | None = None


def start(
    session: Session,
    exam: ExamSession,
    request: StartRequest,
    *,
    now: datetime,
    pin_ok=None,
    rng: np.random.Generator | None = None,
) -> ExamSession:
    """Start the session, or resume it on the same device (or another, if the proctor allowed).

    ``pin_ok(hash, pin)`` checks the start PIN; the deadline is set once, at the first start.
    """
    client_id = (request.client_id or "").strip()
    if not 8 <= len(client_id) <= 64:
        raise DeliveryError("client_id_invalid", 400)
    expire_if_due(session, exam, now=now)
    if exam.is_ended:
        raise DeliveryError("session_ended")
    schedule = exam.schedule
    if exam.status == "in_progress":
        if exam.active_client_id != client_id:
            if not exam.allows_device_change:
                raise DeliveryError("other_device")
            exam.active_client_id = client_id
            exam.allows_device_change = False
        exam.last_seen_at = now
        session.flush()
        integrity.on_start(session, exam, first=False, ip_address=request.ip_address, now=now)
        return exam
    if now < schedule.opens_at:
        raise DeliveryError("not_open_yet")
    if now >= schedule.closes_at:
        raise DeliveryError("window_closed")
    if schedule.start_pin_hash:
        if exam.pin_locked_until is not None and now < exam.pin_locked_until:
            raise DeliveryError("pin_locked", 429, minutes=PIN_LOCK_MINUTES)
        pin = request.pin if isinstance(request.pin, str) else None
        if not (pin_ok and pin and pin_ok(schedule.start_pin_hash, pin)):
            raise DeliveryError("pin_wrong", 403)
    if schedule.requires_authorisation and exam.authorised_at is None:
        raise DeliveryError("awaiting_authorisation", 403)
    _draw_items(session, exam, rng or np.random.default_rng())
    limit = timedelta(minutes=schedule.blueprint.time_limit_minutes)
    exam.status = "in_progress"
    exam.started_at = now
    exam.deadline_at = now + limit + timedelta(seconds=exam.credited_seconds)
    exam.active_client_id = client_id
    exam.last_seen_at = now
    exam.pin_failures = 0
    exam.pin_locked_until = None
    session.flush()
    integrity.on_start(session, exam, first=True, ip_address=request.ip_address, now=now)
    return exam


def note_pin_failure(session: Session, exam: ExamSession, *, now: datetime, ip_address: str | None = None) -> bool:
    """Count a wrong start PIN in the database (so every worker sees it); the ``PIN_MAX_FAILURES``-th
    in a row locks the start for ``PIN_LOCK_MINUTES`` and tells the proctor. Returns whether it locked.

    Call it after rolling back the refused start: the count must be committed, not rolled back.
    """
    # One UPDATE ... SET n = n + 1: two workers counting at once both count.
    session.execute(
        update(ExamSession)
        .where(ExamSession.id == exam.id)
        .values(pin_failures=ExamSession.pin_failures + 1)
        .execution_options(synchronize_session=False)
    )
    failures = session.scalar(select(ExamSession.pin_failures).where(ExamSession.id == exam.id))
    if failures < PIN_MAX_FAILURES:
        return False
    session.execute(
        update(ExamSession)
        .where(ExamSession.id == exam.id)
        .values(pin_failures=0, pin_locked_until=now + timedelta(minutes=PIN_LOCK_MINUTES))
    )  # synchronised into ``exam`` too (the default "auto" strategy)
    integrity.server_event(session, exam, "pin_locked", now, ip=ip_address, failures=failures, minutes=PIN_LOCK_MINUTES)
    return True


def remaining_seconds(exam: ExamSession, now: datetime) -> float:
    """Seconds left on the server's clock (frozen while paused)."""
    if exam.deadline_at is None:
        return float(exam.schedule.blueprint.time_limit_minutes * 60)
    reference = exam.paused_at or now
    return max(0.0, (exam.deadline_at - reference).total_seconds())


# ------------------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Save:
    """One answer save: which position, the response in display numbers, the client sequence."""

    position: int
    seq: int
    response: Any
    flagged: bool = False
    answered_at: str | None = None


@dataclass(frozen=True)
class SaveAck:
    """What the server now holds for a position after a save (applied or not)."""

    position: int
    seq: int
    applied: bool


def to_letters(si: SessionItem, response: Any) -> Any:
    """Map the browser's display numbers ("1".."n") back to option letters; validate the shape."""
    kind = item_type(si.item.item_type)
    if response is None:
        return None
    option_count = len(si.version.options)
    if kind.key == "numeric":
        return kind.check_response(si.version.answer, option_count, response)
    order = si.option_order

    def letter(display: Any) -> str:
        try:
            index = int(str(display)) - 1
        except ValueError as error:
            raise ValueError("unknown option") from error
        if not 0 <= index < len(order):
            raise ValueError("unknown option")
        return order[index]

    if kind.key == "multiple_response":
        if not isinstance(response, list) or len(response) > option_count:
            raise ValueError("response must be a list")
        return kind.check_response(si.version.answer, option_count, [letter(r) for r in response])
    return kind.check_response(si.version.answer, option_count, letter(response))


def to_display(si: SessionItem, response: Any) -> Any:
    """Option letters as the browser's display numbers (for resuming)."""
    if response is None or item_type(si.item.item_type).key == "numeric":
        return response
    number = {letter: str(index) for index, letter in enumerate(si.option_order, start=1)}
    if isinstance(response, list):
        return sorted(number[r] for r in response)
    return number[response]


def check_device(exam: ExamSession, client_id: str | None) -> None:
    """Only the device holding a running session may read its items or save to it."""
    if exam.active_client_id != client_id:
        raise DeliveryError("other_device")


def _check_writable(exam: ExamSession, client_id: str, now: datetime) -> None:
    if exam.status != "in_progress":
        raise DeliveryError("session_ended" if exam.is_ended else "not_started")
    check_device(exam, client_id)
    if exam.paused_at is not None:
        raise DeliveryError("paused")
    if now > exam.deadline_at + timedelta(seconds=exam.schedule.grace_seconds):
        raise DeliveryError("time_up")


def save_answers(
    session: Session, exam: ExamSession, client_id: str, saves: list[Save], *, now: datetime
) -> list[SaveAck]:
    """Apply a batch of saves (one, or a queue synced after an outage), all or none.

    A save applies when its sequence number is above the stored one for that position; a replay
    or an out-of-order older save is acknowledged without changing anything.
    """
    if not saves or len(saves) > MAX_SAVES_PER_REQUEST:
        raise DeliveryError("saves_count", 400)
    _check_writable(exam, client_id, now)
    # Only the saved positions, each with its item, version and answer in one query: a save must
    # stay cheap on a 110-item form (it is the request every candidate sends once a minute).
    positions = {
        save.position
        for save in saves
        if isinstance(save.position, int) and not isinstance(save.position, bool) and 0 < save.position <= MAX_INTEGER
    }
    loaded = session.scalars(
        select(SessionItem)
        .where(SessionItem.session_id == exam.id, SessionItem.position.in_(positions))
        .options(joinedload(SessionItem.item), joinedload(SessionItem.version), joinedload(SessionItem.answer))
    ).unique()
    by_position = {si.position: si for si in loaded}
    # Adaptive: the engine chose each next item from the answer before it, so only the last shown
    # position may still change (the player never goes back; a save from elsewhere must not either).
    locked_below = 0
    if exam.schedule.blueprint.delivery_mode == "adaptive":
        locked_below = (
            session.scalar(select(func.max(SessionItem.position)).where(SessionItem.session_id == exam.id)) or 0
        )
    acks = []
    applied: list[tuple[SessionItem, Answer, Any, int]] = []  # what each applied save set, in order
    for save in saves:
        si = by_position.get(save.position)
        if si is None:
            raise DeliveryError("position_unknown", 400, position=save.position)
        if not isinstance(save.seq, int) or isinstance(save.seq, bool) or not 0 <= save.seq <= MAX_INTEGER:
            raise DeliveryError("seq_invalid", 400)
        try:
            response = to_letters(si, save.response)
        except ValueError as error:
            raise DeliveryError("response_invalid", 400, position=save.position) from error
        answer = si.answer
        if answer is not None and save.seq <= answer.client_seq:
            acks.append(SaveAck(save.position, answer.client_seq, applied=False))
            continue
        if save.position < locked_below:
            raise DeliveryError("adaptive_locked", 409, position=save.position)
        if answer is None:
            answer = Answer(session_item=si, client_id=client_id, client_seq=save.seq, change_count=0)
            session.add(answer)
        answer.change_count = (answer.change_count or 0) + (answer.response != response)
        answer.response = response
        answer.is_flagged = bool(save.flagged)
        answer.client_id = client_id
        answer.client_seq = save.seq
        answer.saved_at = now
        answer.client_answered_at = (save.answered_at or "")[:40] or None
        acks.append(SaveAck(save.position, save.seq, applied=True))
        applied.append((si, answer, response, save.seq))
    exam.last_seen_at = now
    session.flush()
    integrity.on_saves(session, exam, applied)
    return acks


# ------------------------------------------------------------------------- ending and scoring


def end(session: Session, exam: ExamSession, *, now: datetime, reason: str) -> SessionResult:
    """End the session (candidate submit, deadline, proctor) and score it; idempotent."""
    if exam.is_ended:
        return exam.result
    exam.status = {"candidate": "submitted", "deadline": "expired", "proctor": "terminated"}[reason]
    exam.end_reason = reason
    exam.ended_at = now
    exam.paused_at = None
    session.flush()
    result = score(session, exam, now=now)
    integrity.on_outcome(session, exam, result)  # the answer sheet and the result, before the checkpoint
    integrity.on_end(session, exam, now=now)
    integrity.seal(session, exam)
    return result


def submit(session: Session, exam: ExamSession, client_id: str, *, now: datetime) -> SessionResult:
    """The candidate ends the exam (allowed within the grace period after the deadline)."""
    if exam.is_ended:
        return exam.result
    _check_writable(exam, client_id, now)
    return end(session, exam, now=now, reason="candidate")


def expire_if_due(session: Session, exam: ExamSession, *, now: datetime) -> bool:
    """End a session whose deadline (plus grace) has passed, even with nobody connected."""
    if exam.status != "in_progress" or exam.paused_at is not None:
        return False
    if now <= exam.deadline_at + timedelta(seconds=exam.schedule.grace_seconds):
        return False
    end(session, exam, now=exam.deadline_at, reason="deadline")
    return True


def expire_overdue(session: Session, *, now: datetime) -> int:
    """End every overdue session; run periodically by the server and by ``flask delivery expire``."""
    candidates = session.scalars(
        select(ExamSession).where(
            ExamSession.status == "in_progress",
            ExamSession.paused_at.is_(None),
            ExamSession.deadline_at < now,
        )
    ).all()
    return sum(expire_if_due(session, exam, now=now) for exam in candidates)


def credit_time(exam: ExamSession, seconds: int) -> None:
    """Give time back (an incident, an outage): moves the deadline of a running session."""
    if seconds <= 0:
        raise DeliveryError("credit_positive", 422)
    exam.credited_seconds += seconds
    if exam.deadline_at is not None and not exam.is_ended:
        exam.deadline_at += timedelta(seconds=seconds)


def credit_outage(session: Session, *, start: datetime, end: datetime) -> int:
    """Credit a server-side outage to every session that was running during it."""
    if end <= start:
        raise DeliveryError("window_empty", 422)
    affected = session.scalars(
        select(ExamSession).where(
            ExamSession.status == "in_progress", ExamSession.started_at < end, ExamSession.deadline_at > start
        )
    ).all()
    for exam in affected:
        overlap = (min(end, exam.deadline_at) - max(start, exam.started_at)).total_seconds()
        if overlap > 0:
            credit_time(exam, int(np.ceil(overlap)))
    session.flush()
    return len(affected)


def score(session: Session, exam: ExamSession, *, now: datetime) -> SessionResult:
    """Raw score per section under the blueprint's rules, pass/fail against each threshold, θ by
    EAP on the current parameters (recorded), and the reporting scale."""
    from examserver.delivery.scoring import score_session  # noqa: PLC0415

    values = score_session(exam)
    result = SessionResult(
        session_id=exam.id, verification_code=f"{_code(4)}-{_code(4)}-{_code(4)}", computed_at=now, **values
    )
    session.add(result)
    exam.result = result
    session.flush()
    return result
