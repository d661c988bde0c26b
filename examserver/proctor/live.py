"""The proctor's live room: one row per candidate, read in a fixed handful of statements however
many candidates the room holds, and the refresh token that lets the page's five-second refresh ask
only for the rows that changed since its last answer.

A row changes when something is written with a time: the session is seen, started, authorised,
paused or ended; an answer is saved; an event is recorded (every proctor action records one, a
resume and an extension included); or its deadline passes. A refresh sends the rows with such a
time since the previous refresh's read, less :data:`OVERLAP` (a write stamped before that read may
commit after it). What changes without a time (an adaptive item drawn, an outage credited to the
deadline) shows at the next full refresh, at most :data:`FULL_EVERY` later.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from examserver.accounts.models import User
from examserver.delivery.models import Answer, ExamSchedule, ExamSession, SessionItem
from examserver.delivery.progress import progress_counts
from examserver.delivery.services import expire_if_due, overdue, remaining_seconds
from examserver.labels import label
from proctoring.models import IntegrityEvent

#: How far before the previous refresh's read a refresh looks for changes.
OVERLAP = timedelta(seconds=15)
#: A refresh this long after the last full one is full again.
FULL_EVERY = timedelta(seconds=60)

#: Per kind of event: (count, milliseconds away, newest id, newest time).
EventCounts = dict[str, tuple[int, int, int, datetime]]


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class RefreshToken:
    """What the page sends back with its next refresh: when it last had every row, and when the
    server read the rows of its last answer."""

    full_at: datetime
    read_at: datetime

    def encode(self) -> str:
        return f"{_millis(self.full_at)}.{_millis(self.read_at)}"

    @classmethod
    def parse(cls, text: str | None, now: datetime) -> RefreshToken | None:
        """The token ``text`` if it still allows a partial refresh at ``now``, else None (missing,
        malformed, from the future, or its last full refresh too long ago)."""
        try:
            full_ms, read_ms = (int(part) for part in (text or "").split("."))
            token = cls(datetime.fromtimestamp(full_ms / 1000, UTC), datetime.fromtimestamp(read_ms / 1000, UTC))
        except (ValueError, OverflowError, OSError):
            return None
        if not token.full_at <= token.read_at <= now or now - token.full_at >= FULL_EVERY:
            return None
        return token


def event_counts(
    session: Session, schedule_id: int, session_ids: Collection[int] | None = None
) -> dict[int, EventCounts]:
    """Per session of a schedule (or of those of ``session_ids``) and kind of event: (count,
    milliseconds away, newest id, newest time), read in one grouped query, so a flood of events
    costs the live room nothing extra."""
    query = (
        select(
            IntegrityEvent.session_id,
            IntegrityEvent.kind,
            func.count(),
            func.coalesce(func.sum(IntegrityEvent.duration_ms), 0),
            func.max(IntegrityEvent.id),
            func.max(IntegrityEvent.received_at),
        )
        .join(ExamSession)
        .where(ExamSession.schedule_id == schedule_id)
        .group_by(IntegrityEvent.session_id, IntegrityEvent.kind)
    )
    if session_ids is not None:
        query = query.where(IntegrityEvent.session_id.in_(session_ids))
    counts: dict[int, EventCounts] = {}
    for session_id, kind, count, away, newest, at in session.execute(query):
        counts.setdefault(session_id, {})[kind] = (count, away, newest, at)
    return counts


def changed_since(schedule: ExamSchedule, since: datetime, now: datetime) -> ColumnElement[bool]:
    """Which sessions of ``schedule`` have changed since ``since`` (see the module's docstring);
    a session due to expire counts too, since reading the room expires it."""
    grace = timedelta(seconds=schedule.grace_seconds)
    stamped = [
        column >= since
        for column in (
            ExamSession.last_seen_at,
            ExamSession.started_at,
            ExamSession.authorised_at,
            ExamSession.paused_at,
            ExamSession.ended_at,
        )
    ]
    event = exists().where(IntegrityEvent.session_id == ExamSession.id, IntegrityEvent.received_at >= since)
    answer = (
        exists()
        .where(SessionItem.session_id == ExamSession.id, Answer.session_item_id == SessionItem.id)
        .where(Answer.saved_at >= since)
    )
    deadline_passed = ExamSession.deadline_at.between(since - grace, now)
    due = and_(
        ExamSession.status == "in_progress", ExamSession.paused_at.is_(None), ExamSession.deadline_at < now - grace
    )
    return or_(*stamped, event, answer, deadline_passed, due)


@dataclass(slots=True)
class Seat:
    """What a row of the room shows of one session, read as plain columns (the room is polled
    every few seconds by every proctor: no ORM object per candidate), with the schedule's grace
    for :func:`examserver.delivery.services.overdue`."""

    id: int
    registration_number: str
    status: str
    paused_at: datetime | None
    authorised_at: datetime | None
    last_seen_at: datetime | None
    deadline_at: datetime | None
    browser_events_dropped: dict | None
    grace_seconds: int

    @classmethod
    def of(cls, exam: ExamSession) -> Seat:
        return cls(
            exam.id, exam.registration_number, exam.status, exam.paused_at, exam.authorised_at,
            exam.last_seen_at, exam.deadline_at, exam.browser_events_dropped, exam.grace_seconds,
        )  # fmt: skip


_SEATS = (
    ExamSession.id, ExamSession.registration_number, ExamSession.status, ExamSession.paused_at,
    ExamSession.authorised_at, ExamSession.last_seen_at, ExamSession.deadline_at, ExamSession.browser_events_dropped,
)  # fmt: skip


def _sessions(session: Session, schedule: ExamSchedule, where: ColumnElement[bool]) -> list[tuple[Seat, str]]:
    query = (
        select(*_SEATS, User.full_name)
        .join(User, User.id == ExamSession.candidate_id)
        .where(ExamSession.schedule_id == schedule.id, where)
        .order_by(ExamSession.id)
    )
    grace = schedule.grace_seconds
    return [
        (Seat(id_, number, status, paused, authorised, seen, deadline, dropped, grace), name)
        for id_, number, status, paused, authorised, seen, deadline, dropped, name in session.execute(query).tuples()
    ]


def _expire_due(session: Session, found: list[tuple[Seat, str]], now: datetime) -> int:
    """Expire the overdue sessions among ``found`` (loaded as ORM objects, only those), and show
    them as they are left."""
    expired = 0
    for index, (seat, name) in enumerate(found):
        if overdue(seat, now):
            exam = session.get(ExamSession, seat.id)
            assert exam is not None, "read a moment ago, in this transaction"
            if expire_if_due(session, exam, now=now):
                expired += 1
                found[index] = (Seat.of(exam), name)
    return expired


def _row(exam: Seat, name: str, kinds: EventCounts, progress: tuple[int, int], moment: datetime, labels: dict) -> dict:
    focus_losses, away_ms, _, _ = kinds.get("focus_lost", (0, 0, 0, None))
    last = max(kinds, key=lambda kind: kinds[kind][2], default=None)
    last_at = kinds[last][3] if last is not None else None
    return {
        "id": exam.id,
        "registration_number": exam.registration_number,
        "name": name,
        "status": exam.status,
        "paused": exam.paused_at is not None,
        "authorised": exam.authorised_at is not None,
        "seen_seconds_ago": round((moment - exam.last_seen_at).total_seconds()) if exam.last_seen_at else None,
        "answered": progress[1],
        "items": progress[0],
        "remaining_minutes": (round(remaining_seconds(exam, moment) / 60, 1) if exam.status == "in_progress" else None),
        "focus_losses": focus_losses,
        "seconds_away": round(away_ms / 1000),
        "clipboard": sum(kinds.get(kind, (0,))[0] for kind in ("copy", "cut", "paste")),
        "dropped_events": sum((exam.browser_events_dropped or {}).values()),
        "last_event": last,
        "last_event_label": _label_once(labels, last) if last is not None else None,
        "last_event_ago": round((moment - last_at).total_seconds()) if last_at is not None else None,
    }


def _label_once(labels: dict, kind: str) -> str:
    """The event's label, translated once per reading of the room (a few kinds, forty rows)."""
    found = labels.get(kind)
    if found is None:
        found = labels[kind] = str(label("session_event", kind))
    return found


@dataclass(frozen=True)
class Room:
    """One reading of the live room: the rows (every candidate's, or only the changed ones when
    ``full`` is false), the token for the next refresh, and how many sessions the reading expired
    (flushed, for the caller to commit)."""

    rows: list[dict]
    token: RefreshToken
    full: bool
    expired: int


def read_room(session: Session, schedule: ExamSchedule, *, now: datetime, since: RefreshToken | None = None) -> Room:
    """The live state of every candidate of ``schedule``, or with ``since`` of those that changed
    after it; overdue sessions are expired on the way. Four statements at most besides any expiry,
    and one when nothing changed."""
    where = changed_since(schedule, since.read_at - OVERLAP, now) if since is not None else true()
    found = _sessions(session, schedule, where)
    expired = _expire_due(session, found, now)
    token = RefreshToken(full_at=now if since is None else since.full_at, read_at=now)
    rows: list[dict] = []
    if found:
        ids = None if since is None else [exam.id for exam, _ in found]
        counts = event_counts(session, schedule.id, ids)
        progress = progress_counts(session, schedule.id, ids)
        labels: dict[str, str] = {}
        for exam, name in found:
            rows.append(_row(exam, name, counts.get(exam.id, {}), progress.get(exam.id, (0, 0)), now, labels))
    return Room(rows, token, since is None, expired)
