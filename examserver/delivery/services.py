"""Delivery rules: enrolment, start and resume, idempotent answer saves, the server-owned clock,
submission, expiry and scoring. Functions add and flush; the caller commits.

Time is always the server's ``now`` (passed in, so tests can move it). The candidate's device
clock is never used for any decision.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Protocol

import numpy as np
import orjson
from sqlalchemy import ColumnElement, and_, bindparam, insert, inspect, select, text, update
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from examserver.delivery import adaptive, integrity, statements
from examserver.delivery.models import ENDED, Answer, ExamSchedule, ExamSession, SessionItem, SessionResult
from examserver.delivery.scoring import AnswerSheet, read_sheet, score_session
from examserver.delivery.version_cache import VersionCache
from itembank.blueprints import PoolEntry, blueprint_pool_entries, form_entries
from itembank.database import MAX_INTEGER
from itembank.item_types import item_type, letters
from itembank.models import Item, ItemVersion, TestBlueprint, TestForm
from itembank.refusal import Refusal
from itembank.services import Actor
from proctoring import chain, ledger, receipts
from proctoring.models import IntegrityEvent, LogEntry

MAX_SAVES_PER_REQUEST = 50
#: Start PINs are this many digits, drawn by the server (a person only reads them out and types them).
START_PIN_DIGITS = 6
#: This many wrong start PINs in a row lock the session's start for ``PIN_LOCK_MINUTES``.
PIN_MAX_FAILURES = 5
PIN_LOCK_MINUTES = 5
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by people


#: A result's verification code: three groups of four characters of ``CODE_ALPHABET``, dashed.
VERIFICATION_GROUP = 4
VERIFICATION_GROUPS = 3


def _code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def verification_code(typed: str) -> str:
    """A verification code as a person may type it (spaces, no dashes, small letters) in the form it
    is printed and stored: ``"ab12 cd34ef56"`` -> ``"AB12-CD34-EF56"``."""
    plain = receipts.normalise(typed)
    return "-".join(plain[i : i + VERIFICATION_GROUP] for i in range(0, len(plain), VERIFICATION_GROUP))


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
        raise Refusal("delivery.role_not_allowed", 403)
    if closes_at <= opens_at:
        raise Refusal("delivery.window_empty", 422)
    if blueprint.delivery_mode == "adaptive":
        try:
            adaptive.check_blueprint(session, blueprint)
        except Refusal as refused:
            raise Refusal(refused.code, 422, **refused.params) from refused
    if blueprint.delivery_mode == "fixed" and not any(f.status == "published" for f in blueprint.forms):
        raise Refusal("delivery.no_published_form", 422)
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


@dataclass(frozen=True, slots=True)
class DrawnItem:
    """Where a start put an item and what it put there: what the start's reply carries (the state
    and every item's payload, so the player need not ask for the items again)."""

    position: int
    section_id: int
    version_id: int
    version_at: datetime
    option_order: list[str]


def _draw_items(
    session: Session, exam: ExamSession, rng: np.random.Generator, started: dict[str, Any]
) -> list[DrawnItem] | None:
    """Put the session's items in place: its fixed form, or a random draw to the blueprint, written
    in one insert (a random draw reads every section's pool in one statement, no ORM objects).
    Returns the items written, in position order (None for an adaptive session's first item); the
    fixed form given goes into ``started``, the values the start writes to the session's row."""
    blueprint = exam.schedule.blueprint
    if blueprint.delivery_mode == "adaptive":
        _choose_next(session, exam, rng)  # the first item only; each next one on request
        return None
    entries: list[tuple[int, PoolEntry]] = []  # (section id, item) in position order
    if blueprint.delivery_mode == "fixed":
        forms = [f for f in blueprint.forms if f.status == "published"]
        if not forms:
            raise Refusal("delivery.no_published_form", 422)
        form: TestForm = forms[exam.id % len(forms)]  # spread candidates over parallel forms
        started["form_id"] = form.id
        entries = form_entries(session, form.id)
    else:
        pools = blueprint_pool_entries(session, blueprint.id)  # every section's pool in one statement
        for section in blueprint.sections:
            pool = pools.get(section.id, [])
            if len(pool) < section.item_count:
                raise Refusal("delivery.pool_too_small", 422, section=section.title)
            entries.extend(
                (section.id, pool[int(index)]) for index in rng.choice(len(pool), section.item_count, replace=False)
            )
    orders = []
    for _, member in entries:
        order = letters(member.option_count)
        if member.shuffle_options and item_type(member.item_type).shufflable:
            order = [order[i] for i in rng.permutation(len(order))]
        orders.append(order)
    session.flush()
    _insert_drawn(session, exam.id, entries, orders)
    session.expire(exam, ["items"])
    return [
        DrawnItem(position, section_id, member.version_id, member.version_at, order)
        for position, ((section_id, member), order) in enumerate(zip(entries, orders, strict=True), start=1)
    ]


#: PostgreSQL: the drawn items as one JSON parameter (``json_to_recordset`` makes the rows), so
#: neither psycopg nor the server handles a statement of 660 placeholders at every start (nor
#: psycopg's per-element quoting of arrays); the statement is built once and stays in both caches.
_DRAWN_RECORDSET = text(
    "INSERT INTO session_item (session_id, position, section_id, item_id, version_id, option_order) "
    "SELECT :session_id, drawn.position, drawn.section_id, drawn.item_id, drawn.version_id, drawn.option_order "
    "FROM json_to_recordset(CAST(:drawn AS JSON)) AS drawn(position INTEGER, section_id INTEGER, "
    "item_id INTEGER, version_id INTEGER, option_order JSON)"
)
#: Elsewhere (SQLite): RETURNING makes SQLAlchemy send the rows as one multi-row VALUES
#: ("insertmanyvalues") instead of one execution per item.
_DRAWN_ROWS = statements.items.insert().returning(statements.items.c.id)


def _insert_drawn(
    session: Session, exam_id: int, entries: list[tuple[int, PoolEntry]], orders: list[list[str]]
) -> None:
    """Insert the session's drawn items, ``entries`` with their option ``orders``, in position order."""
    rows = [
        {
            "position": position,
            "section_id": section_id,
            "item_id": member.item_id,
            "version_id": member.version_id,
            "option_order": order,
        }
        for position, ((section_id, member), order) in enumerate(zip(entries, orders, strict=True), start=1)
    ]
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_DRAWN_RECORDSET, {"session_id": exam_id, "drawn": orjson.dumps(rows).decode()})
    else:
        connection.execute(_DRAWN_ROWS, [{"session_id": exam_id, **row} for row in rows]).all()


def _choose_next(session: Session, exam: ExamSession, rng: np.random.Generator | None = None) -> SessionItem | None:
    try:
        return adaptive.choose_next(session, exam, rng)
    except Refusal as refused:
        raise Refusal(refused.code, 409, **refused.params) from refused
    except ValueError as error:  # the CAT engine refused (a CATError): the pool changed under us
        raise Refusal("delivery.adaptive_bank_invalid", 409) from error


def reach_item(
    session: Session, exam: ExamSession, position: int, *, rng: np.random.Generator | None = None
) -> SessionItem:
    """The session's item at ``position``; in an adaptive session, the next position is chosen
    now by a CAT step once the last shown item is answered (asking again returns the same item)."""
    if exam.status != "in_progress":
        raise Refusal("delivery.session_ended" if exam.is_ended else "delivery.not_started")
    si = next((si for si in exam.items if si.position == position), None)
    if si is not None:
        return si
    shown = len(exam.items)
    if exam.schedule.blueprint.delivery_mode != "adaptive" or position != shown + 1:
        raise Refusal("delivery.position_unknown", 404, position=position)
    if position > exam.schedule.blueprint.item_count:
        raise Refusal("delivery.position_unknown", 404, position=position)
    last = exam.items[-1] if exam.items else None
    if last is not None and (last.answer is None or last.answer.response is None):
        raise Refusal("delivery.adaptive_answer_first", 409, position=last.position)
    chosen = _choose_next(session, exam, rng)
    if chosen is None:
        raise Refusal("delivery.position_unknown", 404, position=position)
    return chosen


@dataclass(frozen=True)
class StartRequest:
    """What a browser sends to start or resume (and the address it came from)."""

    client_id: str
    pin: str | None = None
    ip_address: str | None = None


@dataclass(frozen=True)
class Started:
    """A start or resume as :func:`begin` made it: the session, and the items a first start drew
    (None for a resume and for an adaptive session, whose items come one by one)."""

    exam: ExamSession
    drawn: list[DrawnItem] | None
    #: Whether the proctor has sent the session any message (read with the chain's head).
    has_messages: bool = True


def start(session: Session, exam: ExamSession, request: StartRequest, **options: Any) -> ExamSession:
    """Start the session, or resume it on the same device (or another, if the proctor allowed):
    :func:`begin` (``now``, ``pin_ok(hash, pin)`` to check the start PIN, ``rng``), the session only.
    The deadline is set once, at the first start."""
    return begin(session, exam, request, **options).exam


def begin(
    session: Session,
    exam: ExamSession,
    request: StartRequest,
    *,
    now: datetime,
    pin_ok=None,
    rng: np.random.Generator | None = None,
) -> Started:
    """:func:`start`, telling which items a first start drew (the API answers with them unread)."""
    client_id = (request.client_id or "").strip()
    if not 8 <= len(client_id) <= 64:
        raise Refusal("delivery.client_id_invalid", 400)
    expire_if_due(session, exam, now=now)
    if exam.is_ended:
        raise Refusal("delivery.session_ended")
    schedule = exam.schedule
    if exam.status == "in_progress":
        changes: dict[str, Any] = {"last_seen_at": now}
        if exam.active_client_id != client_id:
            if not exam.allows_device_change:
                raise Refusal("delivery.other_device")
            changes.update(active_client_id=client_id, allows_device_change=False)
        _write_and_lock(session, exam, changes)
        messages = _log_start(session, exam.id, first=False, ip_address=request.ip_address, now=now)
        return Started(exam, None, messages)
    if now < schedule.opens_at:
        raise Refusal("delivery.not_open_yet")
    if now >= schedule.closes_at:
        raise Refusal("delivery.window_closed")
    if schedule.start_pin_hash:
        if exam.pin_locked_until is not None and now < exam.pin_locked_until:
            raise Refusal("delivery.pin_locked", 429, minutes=PIN_LOCK_MINUTES)
        pin = request.pin if isinstance(request.pin, str) else None
        if not (pin_ok and pin and pin_ok(schedule.start_pin_hash, pin)):
            raise Refusal("delivery.pin_wrong", 403)
    if schedule.requires_authorisation and exam.authorised_at is None:
        raise Refusal("delivery.awaiting_authorisation", 403)
    started: dict[str, Any] = {}
    drawn = _draw_items(session, exam, rng or np.random.default_rng(), started)
    limit = timedelta(minutes=schedule.blueprint.time_limit_minutes)
    started |= {
        "status": "in_progress", "started_at": now,
        "deadline_at": now + limit + timedelta(seconds=exam.credited_seconds), "active_client_id": client_id,
        "last_seen_at": now, "pin_failures": 0, "pin_locked_until": None,
    }  # fmt: skip
    _write_and_lock(session, exam, started)
    messages = _log_start(session, exam.id, first=True, ip_address=request.ip_address, now=now)
    return Started(exam, drawn, messages)


def resume_here(
    session: Session, session_id: int, candidate_id: int, client_id: str, *, now: datetime, ip_address: str | None
) -> bool | None:
    """The common resume (the player's page loaded again on the device that holds the running
    session, before its deadline) without loading the session: mark it seen and lock it and its chain
    in one statement (:func:`statements.resume_touch`), then log the resume as :func:`begin` does.
    Returns whether a proctor has messaged the session, or None when this is not such a resume
    (nothing was written: :func:`begin` decides, on the loaded session)."""
    connection = session.connection()
    values = {"sid": session_id, "uid": candidate_id, "client": client_id, "seen": now}
    if connection.execute(statements.resume_touch(connection.dialect.name), values).first() is None:
        return None
    return _log_start(session, session_id, first=False, ip_address=ip_address, now=now)


def _write_and_lock(session: Session, exam: ExamSession, values: dict[str, Any]) -> None:
    """Write ``values`` to the session's row and, on PostgreSQL, take the session chain's lock in
    the same ``UPDATE ... RETURNING`` (:func:`proctoring.chain.lock_expression`): after the row lock
    the start holds, the order a save takes them in, and one round trip fewer. The loaded session
    keeps the values as its committed state (nothing left for the ORM to write)."""
    session.flush()
    connection = session.connection()
    lock = chain.lock_expression(connection.dialect.name, statements.sessions.c.id)
    written = update(statements.sessions).where(statements.sessions.c.id == exam.id).values(**values)
    connection.execute(written if lock is None else written.returning(lock)).close()
    for name, value in values.items():
        set_committed_value(exam, name, value)


_EVENTS = IntegrityEvent.metadata.tables[IntegrityEvent.__tablename__]


def _start_facts():
    session_id = bindparam("session_id")
    head = select(LogEntry.position, LogEntry.entry_hash).where(LogEntry.chain_id == session_id)
    head = head.order_by(LogEntry.position.desc()).limit(1)
    last_start = (
        select(_EVENTS.c.details)
        .where(_EVENTS.c.session_id == session_id, _EVENTS.c.kind.in_(("session_started", "session_resumed")))
        .order_by(_EVENTS.c.id.desc())
        .limit(1)
    )
    messages = select(_EVENTS.c.id).where(_EVENTS.c.session_id == session_id, _EVENTS.c.kind == "message")
    return select(
        head.with_only_columns(LogEntry.position).scalar_subquery().label("head_position"),
        head.with_only_columns(LogEntry.entry_hash).scalar_subquery().label("head_hash"),
        last_start.scalar_subquery().label("last_start"),
        messages.exists().label("has_messages"),
    )


#: The session chain's head, the details of the session's latest start or resume event and whether
#: a proctor has messaged the session, in one statement (read under the chain's lock). Parameter:
#: ``session_id``.
_START_FACTS = _start_facts()
#: A server event, already at its chain position; returns its id.
_NEW_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)


def _log_start(session: Session, exam_id: int, *, first: bool, ip_address: str | None, now: datetime) -> bool:
    """Log the start or resume, and a network address other than the previous start's, on the
    session's chain, in Core statements. With the chain locked (by the caller),
    its head and the previous start are read in one statement, so each event is inserted at its
    chain position (no update after) and chained as :func:`proctoring.chain.event_record` writes it.
    Returns whether a proctor has messaged the session (so a reply without messages skips their read)."""
    logged: list[tuple[str, dict[str, Any]]] = [("session_started" if first else "session_resumed", {"ip": ip_address})]
    connection = session.connection()  # the chain is locked (:func:`_write_and_lock`)
    facts = connection.execute(_START_FACTS, {"session_id": exam_id}).one()
    last_ip = (facts.last_start or {}).get("ip")
    if last_ip and ip_address and last_ip != ip_address:
        logged.append(("new_address", {"ip": ip_address, "previous_ip": last_ip}))
    known_head = (facts.head_position or 0, facts.head_hash)
    records = []
    for offset, (kind, details) in enumerate(logged, start=1):
        values = {
            "session_id": exam_id, "source": "server", "kind": kind, "received_at": now, "client_at": None,
            "duration_ms": None, "details": details, "actor_id": None,
        }  # fmt: skip
        event_id = connection.execute(_NEW_EVENT, {**values, "chain_position": known_head[0] + offset}).scalar_one()
        records.append(("event", event_id, chain.event_record(IntegrityEvent(id=event_id, **values))))
    chain.append_many(session, exam_id, records, known_head=known_head)
    return bool(facts.has_messages)


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
    assert failures is not None, "the session row was just updated"
    if failures < PIN_MAX_FAILURES:
        return False
    session.execute(
        update(ExamSession)
        .where(ExamSession.id == exam.id)
        .values(pin_failures=0, pin_locked_until=now + timedelta(minutes=PIN_LOCK_MINUTES))
    )  # synchronised into ``exam`` too (the default "auto" strategy)
    integrity.server_event(session, exam, "pin_locked", now, ip=ip_address, failures=failures, minutes=PIN_LOCK_MINUTES)
    return True


def remaining_seconds(exam: Clocked, now: datetime) -> float:
    """Seconds left on the server's clock (frozen while paused)."""
    if exam.deadline_at is None:
        assert isinstance(exam, ExamSession), "the facts of a save are of a running session, which has a deadline"
        return float(exam.schedule.blueprint.time_limit_minutes * 60)
    reference = exam.paused_at or now
    return max(0.0, (exam.deadline_at - reference).total_seconds())


# ------------------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Save:
    """One answer save: which position, the response in display numbers, the client sequence (as
    the client sent it: :func:`apply_saves` refuses anything but an int in range)."""

    position: int
    seq: object
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
    version = si.version
    return _letters(item_type(si.item.item_type), len(version.options), version.answer, si.option_order, response)


def _letters(kind, option_count: int, key: Any, order: list[str], response: Any) -> Any:
    """:func:`to_letters` on plain values: the item type, option count, key and option order."""
    if response is None:
        return None
    if kind.key == "numeric":
        return kind.check_response(key, option_count, response)

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
        return kind.check_response(key, option_count, [letter(r) for r in response])
    return kind.check_response(key, option_count, letter(response))


def to_display(si: SessionItem, response: Any) -> Any:
    """Option letters as the browser's display numbers (for resuming)."""
    if response is None or item_type(si.item.item_type).key == "numeric":
        return response
    number = {letter: str(index) for index, letter in enumerate(si.option_order, start=1)}
    if isinstance(response, list):
        return sorted(number[r] for r in response)
    return number[response]


def check_device(exam: ExamSession | SessionFacts, client_id: str | None) -> None:
    """Only the device holding a running session may read its items or save to it."""
    if exam.active_client_id != client_id:
        raise Refusal("delivery.other_device")


@dataclass(frozen=True)
class SessionFacts:
    """What a save needs of its session, read in one statement (no ORM object graph): the
    session row's state and deadline, the schedule's grace and the blueprint's delivery mode."""

    id: int
    status: str
    active_client_id: str | None
    paused_at: datetime | None
    deadline_at: datetime | None
    grace_seconds: int
    delivery_mode: str

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED

    @classmethod
    def of(cls, exam: ExamSession) -> SessionFacts:
        return cls(
            exam.id, exam.status, exam.active_client_id, exam.paused_at, exam.deadline_at,
            exam.grace_seconds, exam.schedule.blueprint.delivery_mode,
        )  # fmt: skip


def touch_for_save(session: Session, session_id: int, candidate_id: int, *, now: datetime) -> SessionFacts | None:
    """Lock the candidate's session row for a save (and, on PostgreSQL, its chain), mark it seen at
    ``now`` and read its facts, in one statement (:func:`statements.touch`). None when the session
    is not this candidate's. A refused save rolls the mark back."""
    connection = session.connection()
    row = connection.execute(
        statements.touch(connection.dialect.name), {"sid": session_id, "uid": candidate_id, "seen": now}
    ).first()
    return SessionFacts(*row[:7]) if row is not None else None


class Clocked(Protocol):
    """What the clock rules read of a session: a session row, the facts of a save, or a row of the
    proctor's live room."""

    @property
    def status(self) -> str: ...
    @property
    def paused_at(self) -> datetime | None: ...
    @property
    def deadline_at(self) -> datetime | None: ...
    @property
    def grace_seconds(self) -> int: ...


def overdue(exam: Clocked, now: datetime) -> bool:
    """Whether a running session is past its deadline and grace at ``now`` (a paused clock stands
    still): the one rule :func:`expire_if_due` ends sessions by and saves are refused by."""
    if exam.status != "in_progress" or exam.paused_at is not None:
        return False
    assert exam.deadline_at is not None, "a running session has a deadline (deadline_with_start)"
    return now > exam.deadline_at + timedelta(seconds=exam.grace_seconds)


def _check_writable(exam: ExamSession | SessionFacts, client_id: str, now: datetime) -> None:
    if exam.status != "in_progress":
        raise Refusal("delivery.session_ended" if exam.is_ended else "delivery.not_started")
    check_device(exam, client_id)
    if exam.paused_at is not None:
        raise Refusal("delivery.paused")
    if overdue(exam, now):
        raise Refusal("delivery.time_up")


@dataclass(frozen=True)
class VersionFacts:
    """What checking a response needs of an (immutable) item version: its item type, option count
    and key. Server-side only: the key never leaves the server."""

    kind: Any
    option_count: int
    key: Any


def _load_version_facts(session: Session, version_ids: list[int]) -> Iterator[tuple[int, datetime, VersionFacts]]:
    rows = session.execute(
        select(ItemVersion.id, ItemVersion.created_at, Item.item_type, ItemVersion.options, ItemVersion.answer)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(ItemVersion.id.in_(version_ids))
    )
    for version_id, created_at, type_key, options, key in rows:
        yield version_id, created_at, VersionFacts(item_type(type_key), len(options), key)


#: Kept per process: a save reads the facts of a version once (see :mod:`version_cache`).
_version_facts = VersionCache(_load_version_facts)


def version_facts(session: Session, versions: Iterable[tuple[int, datetime]]) -> dict[int, VersionFacts]:
    """The facts of ``versions`` (``(version id, created_at)`` pairs) by version id."""
    return _version_facts.get(session, versions)


@dataclass(frozen=True)
class SaveOutcome:
    """A save batch as applied: the acknowledgements, the session chain's new head position and its
    latest checkpoint ``(tree_size, created_at)`` (for :func:`integrity.after_save`), and the id of
    the proctor's newest message to the candidate (None: none)."""

    acks: list[SaveAck]
    chain_size: int
    latest_checkpoint: tuple[int, datetime] | None
    newest_message_id: int | None


def apply_saves(
    session: Session, exam: SessionFacts, client_id: str, saves: list[Save], *, now: datetime
) -> SaveOutcome:
    """Apply a batch of saves (one, or a queue synced after an outage), all or none, with the
    session row and its chain already locked (:func:`touch_for_save` takes both).

    A save applies when its sequence number is above the stored one for that position; a replay
    or an out-of-order older save is acknowledged without changing anything. The applied state of
    each position is written in one upsert whose ``WHERE`` keeps the rule in SQL as well (the
    stored sequence must be lower), and each applied save is chained (one insert). Core statements
    built once (:mod:`statements`): one read, one upsert, one insert.
    """
    if not saves or len(saves) > MAX_SAVES_PER_REQUEST:
        raise Refusal("delivery.saves_count", 400)
    _check_writable(exam, client_id, now)
    positions = {
        save.position
        for save in saves
        if isinstance(save.position, int) and not isinstance(save.position, bool) and 0 < save.position <= MAX_INTEGER
    }
    connection = session.connection()
    rows = connection.execute(statements.SAVE_ROWS, {"exam_id": exam.id, "positions": list(positions)}).all()
    facts = rows[0]
    by_position = {row.position: row for row in rows if row.id is not None}
    versions = version_facts(session, {(row.version_id, row.version_at) for row in by_position.values()})
    # Adaptive: the engine chose each next item from the answer before it, so only the last shown
    # position may still change (the player never goes back; a save from elsewhere must not either).
    locked_below = (facts.shown or 0) if exam.delivery_mode == "adaptive" else 0
    held = {p: (r.answer_id, r.client_seq, r.response, r.change_count) for p, r in by_position.items()}
    acks: list[SaveAck] = []
    written: dict[int, dict] = {}  # position -> the answer row as the batch leaves it
    applied: list[tuple[int, Any, int]] = []  # (position, response, seq) of each applied save, in order
    for save in saves:
        row = by_position.get(save.position)
        if row is None:
            raise Refusal("delivery.position_unknown", 400, position=save.position)
        if not isinstance(save.seq, int) or isinstance(save.seq, bool) or not 0 <= save.seq <= MAX_INTEGER:
            raise Refusal("delivery.seq_invalid", 400)
        version = versions[row.version_id]
        try:
            response = _letters(version.kind, version.option_count, version.key, row.option_order, save.response)
        except ValueError as error:
            raise Refusal("delivery.response_invalid", 400, position=save.position) from error
        answer_id, seq, stored, changes = held.get(save.position, (None, None, None, 0))
        if seq is not None and save.seq <= seq:
            acks.append(SaveAck(save.position, seq, applied=False))
            continue
        if save.position < locked_below:
            raise Refusal("delivery.adaptive_locked", 409, position=save.position)
        changes = (changes or 0) + (stored != response)
        held[save.position] = (answer_id, save.seq, response, changes)
        written[save.position] = {
            "session_item_id": row.id, "response": response, "is_flagged": bool(save.flagged),
            "client_id": client_id, "client_seq": save.seq, "saved_at": now,
            "client_answered_at": (save.answered_at or "")[:40] or None, "change_count": changes,
        }  # fmt: skip
        acks.append(SaveAck(save.position, save.seq, applied=True))
        applied.append((save.position, response, save.seq))
    size = facts.head_position or 0
    if written:
        upsert = statements.upsert(len(written))
        parameters = statements.upsert_parameters(list(written.values()))
        answer_ids: dict[int, int] = dict(connection.execute(upsert, parameters).tuples().all())
        lines = [
            ledger.SheetLine(
                position, by_position[position].version_id, answer_ids[by_position[position].id], response, seq
            )
            for position, response, seq in applied
        ]
        size, _ = integrity.chain_answers(session, exam.id, lines, now, head=(size, facts.head_hash))
    latest = (facts.checkpoint_size, facts.checkpoint_at) if facts.checkpoint_size is not None else None
    return SaveOutcome(acks, size, latest, facts.message_id)


def save_answers(
    session: Session, exam: ExamSession, client_id: str, saves: list[Save], *, now: datetime
) -> list[SaveAck]:
    """:func:`apply_saves` on a loaded session (the API locks and reads the row itself, see
    :func:`touch_for_save`); returns the acknowledgements. Loaded answers of the session are
    expired, since the save writes them with Core statements."""
    session.flush()
    chain.lock_chain(session, exam.id)  # as :func:`touch_for_save` takes it for the API
    facts = SessionFacts.of(exam)
    acks = apply_saves(session, facts, client_id, saves, now=now).acks
    exam.last_seen_at = now
    for held in list(session.identity_map.values()):
        if isinstance(held, SessionItem) and held.session_id == exam.id:
            session.expire(held, ["answer"])
        elif isinstance(held, Answer):
            session.expire(held)
    session.flush()
    return acks


# ------------------------------------------------------------------------- ending and scoring


#: The status an ending gives, by its reason.
ENDINGS = {"candidate": "submitted", "deadline": "expired", "proctor": "terminated"}


def end(session: Session, exam: ExamSession, *, now: datetime, reason: str) -> SessionResult:
    """End the session (candidate submit, deadline, proctor) and score it; idempotent.

    One statement marks it ended (and, on PostgreSQL, takes its chain's lock), one reads the answer
    sheet, one stores the result; :func:`integrity.on_close` chains and seals the outcome."""
    if exam.is_ended:
        assert exam.result is not None, "an ended session was scored when it ended"
        return exam.result
    _load_rules(session, exam)
    if not _mark_ended(session, exam, ENDINGS[reason], reason, now):
        session.refresh(exam)  # another transaction ended it first (the sweeper reads without a lock)
        assert exam.is_ended and exam.result is not None, "an ended session was scored when it ended"
        return exam.result
    sheet = read_sheet(session, exam.id)  # one statement: what is scored is what is chained
    result = score(session, exam, sheet, now=now)
    integrity.on_close(session, exam, sheet, result, now=now)
    return result


def _load_rules(session: Session, exam: ExamSession) -> None:
    """The session's schedule, its blueprint and the blueprint's sections (what the deadline's grace
    and scoring read) in one statement, unless they are loaded already."""
    loaded = "schedule" not in inspect(exam).unloaded
    if loaded and "blueprint" not in inspect(exam.schedule).unloaded:
        loaded = "sections" not in inspect(exam.schedule.blueprint).unloaded
    if not loaded:
        schedule = session.scalars(_RULES, {"schedule_id": exam.schedule_id}).unique().one()
        set_committed_value(exam, "schedule", schedule)  # held by the session only weakly otherwise


#: A schedule with its blueprint and the blueprint's sections (parameter ``schedule_id``).
_RULES = (
    select(ExamSchedule)
    .where(ExamSchedule.id == bindparam("schedule_id"))
    .options(joinedload(ExamSchedule.blueprint).joinedload(TestBlueprint.sections))
)


@cache
def _ending(dialect: str):
    """Mark a session ended unless it changed status meanwhile: ``UPDATE ... RETURNING`` its id
    (and, on PostgreSQL, the session chain's lock, after the row's, as a save takes them).
    Parameters: ``sid``, ``was`` (the status it had), ``new_status``, ``reason``, ``at``."""
    sessions = statements.sessions
    returned = statements.with_chain_lock(dialect, [sessions.c.id])
    return (
        update(sessions)
        .where(sessions.c.id == bindparam("sid"), sessions.c.status == bindparam("was"))
        .values(
            status=bindparam("new_status"), end_reason=bindparam("reason"), ended_at=bindparam("at"), paused_at=None
        )
        .returning(*returned)
    )


def _mark_ended(session: Session, exam: ExamSession, status: str, reason: str, now: datetime) -> bool:
    """End the session's row (False when it was no longer in the status loaded) and take its chain's
    lock; the loaded object is told the new values, so nothing is flushed again."""
    session.flush()
    connection = session.connection()
    values = {"sid": exam.id, "was": exam.status, "new_status": status, "reason": reason, "at": now}
    if connection.execute(_ending(connection.dialect.name), values).first() is None:
        return False
    for name, value in (("status", status), ("end_reason", reason), ("ended_at", now), ("paused_at", None)):
        set_committed_value(exam, name, value)
    return True


def submit(session: Session, exam: ExamSession, client_id: str, *, now: datetime) -> SessionResult:
    """The candidate ends the exam (allowed within the grace period after the deadline)."""
    if exam.is_ended:
        assert exam.result is not None, "an ended session was scored when it ended"
        return exam.result
    _load_rules(session, exam)  # the grace, and then the scoring rules, in one statement
    _check_writable(exam, client_id, now)
    return end(session, exam, now=now, reason="candidate")


def expire_if_due(session: Session, exam: ExamSession, *, now: datetime) -> bool:
    """End a session whose deadline (plus grace) has passed, even with nobody connected."""
    if exam.status != "in_progress" or exam.paused_at is not None:
        return False
    assert exam.deadline_at is not None, "a running session has a deadline (deadline_with_start)"
    if now <= exam.deadline_at:
        return False  # not due whatever the grace: the schedule need not be read
    _load_rules(session, exam)  # the grace, and the scoring rules when it is due, in one statement
    if not overdue(exam, now):
        return False
    end(session, exam, now=exam.deadline_at, reason="deadline")
    return True


def _past_deadline(now: datetime) -> ColumnElement[bool]:
    """Running, not paused and past the deadline (the grace is the schedule's: checked per session)."""
    return and_(ExamSession.status == "in_progress", ExamSession.paused_at.is_(None), ExamSession.deadline_at < now)


def past_deadline_ids(session: Session, *, now: datetime) -> list[int]:
    """The ids of the sessions :func:`expire_overdue` would look at, earliest deadline first."""
    return list(session.scalars(select(ExamSession.id).where(_past_deadline(now)).order_by(ExamSession.deadline_at)))


def expire_overdue(session: Session, *, now: datetime, ids: Sequence[int] | None = None) -> int:
    """End every overdue session (of ``ids`` only, when given); run periodically by the server and
    by ``flask delivery expire``. The sessions come with their schedules, blueprints and sections
    in the same statement."""
    where = _past_deadline(now) if ids is None else and_(_past_deadline(now), ExamSession.id.in_(ids))
    candidates = (
        session.scalars(
            select(ExamSession)
            .where(where)
            .options(
                joinedload(ExamSession.schedule).joinedload(ExamSchedule.blueprint).joinedload(TestBlueprint.sections)
            )
        )
        .unique()
        .all()
    )
    return sum(expire_if_due(session, exam, now=now) for exam in candidates)


def credit_time(exam: ExamSession, seconds: int) -> None:
    """Give time back (an incident, an outage): moves the deadline of a running session."""
    if seconds <= 0:
        raise Refusal("delivery.credit_positive", 422)
    exam.credited_seconds += seconds
    if exam.deadline_at is not None and not exam.is_ended:
        exam.deadline_at += timedelta(seconds=seconds)


def credit_outage(session: Session, *, start: datetime, end: datetime) -> int:
    """Credit a server-side outage to every session that was running during it."""
    if end <= start:
        raise Refusal("delivery.window_empty", 422)
    affected = session.scalars(
        select(ExamSession).where(
            ExamSession.status == "in_progress", ExamSession.started_at < end, ExamSession.deadline_at > start
        )
    ).all()
    for exam in affected:
        assert exam.started_at is not None and exam.deadline_at is not None, "selected as running"
        overlap = (min(end, exam.deadline_at) - max(start, exam.started_at)).total_seconds()
        if overlap > 0:
            credit_time(exam, int(np.ceil(overlap)))
    session.flush()
    return len(affected)


def score(session: Session, exam: ExamSession, sheet: AnswerSheet, *, now: datetime) -> SessionResult:
    """Raw score per section under the blueprint's rules, pass/fail against each threshold, θ by
    EAP on the current parameters (recorded), and the reporting scale."""
    values = {
        "session_id": exam.id,
        "verification_code": verification_code(_code(VERIFICATION_GROUP * VERIFICATION_GROUPS)),
        "computed_at": now,
        "note": None,
        **score_session(exam, sheet),
    }
    session.connection().execute(_RESULTS, values)  # Core: no unit of work for one row
    result = SessionResult(**values)
    make_transient_to_detached(result)  # the row exists: the session holds it as loaded, not new
    session.add(result)
    # The session had no result (it was running): known, so not read again to be replaced.
    set_committed_value(exam, "result", result)
    return result


_RESULTS = insert(SessionResult.metadata.tables[SessionResult.__tablename__])
