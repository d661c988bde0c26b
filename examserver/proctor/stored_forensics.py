"""The forensic statistics of a sitting, computed once and stored (issue 19: fast staff pages).

:func:`~examserver.proctor.forensic_inputs.schedule_forensics` costs from a hundred milliseconds
to seconds on sixty answer sheets, and the review queue, every timeline of the sitting and the
irregularities export all need it. It is computed when the sitting closes (by the expiry sweeper:
:func:`store_closed_sittings`) and stored in :class:`~proctoring.models.SittingForensics`; the
pages read the stored row (:func:`sitting_forensics`).

A stored row carries two bases, what its inputs were when it was computed: the sitting's ended
sessions, and the bank's published calibration runs and excluded parameter rows. A reading
compares them with the current ones (one statement) and computes the statistics again when either
moved: a session ended since (a termination, a late submit), a calibration run was published or
withdrawn, a parameter row excluded. Nothing else enters the statistics: proctors' decisions and
appeals are read live beside them, never through them, so a stored row cannot contradict one. A
sitting closed before this table existed gets its row on its first reading.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ScalarSelect, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.proctor.forensic_inputs import schedule_forensics
from itembank.database import utcnow
from itembank.models import CalibrationRun, ItemParameter
from proctoring.models import SittingForensics

#: Sittings the sweeper computes in one pass at most: the next expiry pass waits for it, so a pass
#: after a publication (which makes every stored row stale) stays short; the others follow in the
#: next passes, every 20 seconds, or on their first reading.
PER_SWEEP = 1
#: Set in the database session's ``info`` when a reading stored statistics, for the view to commit.
STORED = "forensics_stored"


def parameters_basis(session: Session) -> str:
    """The bank's parameters as far as forensics read them: the published runs (count, newest)
    and the excluded parameter rows (count, newest); one statement."""
    published = CalibrationRun.status == "published"
    excluded = ItemParameter.excluded_at.is_not(None)
    row = session.execute(
        select(
            select(func.count(CalibrationRun.id)).where(published).scalar_subquery(),
            select(func.max(CalibrationRun.id)).where(published).scalar_subquery(),
            select(func.count(ItemParameter.id)).where(excluded).scalar_subquery(),
            select(func.max(ItemParameter.id)).where(excluded).scalar_subquery(),
        )
    ).one()
    return "runs {}:{} excluded {}:{}".format(*(value or 0 for value in row))


def ended_count(schedule_id) -> ScalarSelect[int]:
    """How many sessions of ``schedule_id`` (a value, or a column to correlate with) have ended."""
    return (
        select(func.count(ExamSession.id))
        .where(ExamSession.schedule_id == schedule_id, ExamSession.ended_at.is_not(None))
        .scalar_subquery()
    )


def encode(statistics: dict[int, dict]) -> dict[str, dict]:
    """``schedule_forensics``' result as JSON holds it (string keys; the copying triple a list)."""
    return {str(session_id): dict(entry) for session_id, entry in statistics.items()}


def decode(stored: dict[str, dict]) -> dict[int, dict]:
    """The stored JSON back into exactly what ``schedule_forensics`` returned."""
    statistics = {}
    for session_id, entry in stored.items():
        entry = dict(entry)
        if "copying" in entry:
            entry["copying"] = tuple(entry["copying"])
        statistics[int(session_id)] = entry
    return statistics


def store(session: Session, schedule: ExamSchedule, bases: tuple[int, str], now: datetime) -> dict[int, dict]:
    """Compute the sitting's statistics and store them with ``bases`` (ended sessions, parameters;
    flushed, for the caller to commit); returns them. Two readers computing at once both succeed:
    the second overwrites."""
    statistics = schedule_forensics(session, schedule)
    values = {
        "ended_sessions": bases[0],
        "parameters_basis": bases[1],
        "statistics": encode(statistics),
        "computed_at": now,
    }
    row = session.get(SittingForensics, schedule.id)
    if row is None:
        try:
            with session.begin_nested():
                session.add(SittingForensics(schedule_id=schedule.id, **values))
            session.info[STORED] = True
            return statistics
        except IntegrityError:  # stored meanwhile by another request
            row = session.get(SittingForensics, schedule.id, populate_existing=True)
    assert row is not None
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    session.info[STORED] = True
    return statistics


def sitting_forensics(session: Session, schedule: ExamSchedule) -> dict[int, dict]:
    """Per session id, the forensic statistics of ``schedule`` (as ``schedule_forensics``): the
    stored ones while their bases hold, else computed and stored (flushed; the caller commits)."""
    bases = (session.scalar(select(ended_count(schedule.id))) or 0, parameters_basis(session))
    row = session.get(SittingForensics, schedule.id)
    if row is not None and (row.ended_sessions, row.parameters_basis) == bases:
        return decode(row.statistics)
    return store(session, schedule, bases, utcnow())


def store_closed_sittings(session: Session, *, now: datetime, limit: int = PER_SWEEP) -> int:
    """Compute and store the statistics of sittings that have closed (their window is over and no
    session runs) and have no stored row, or a stale one; returns how many (flushed; the caller
    commits). Run by the expiry sweeper after it ends the overdue sessions, so a sitting's row is
    there before anyone opens its review queue; two statements when none is due."""
    current = parameters_basis(session)
    ended = ended_count(ExamSchedule.id)
    running = select(ExamSession.id).where(
        ExamSession.schedule_id == ExamSchedule.id, ExamSession.status == "in_progress"
    )
    stale = or_(
        SittingForensics.schedule_id.is_(None),
        SittingForensics.parameters_basis != current,
        SittingForensics.ended_sessions != ended,
    )
    due = session.execute(
        select(ExamSchedule, ended)
        .outerjoin(SittingForensics, SittingForensics.schedule_id == ExamSchedule.id)
        .where(ExamSchedule.closes_at <= now, ~running.exists(), ended > 0, stale)
        .order_by(ExamSchedule.closes_at)
        .limit(limit)
    ).all()
    for schedule, count in due:
        store(session, schedule, (count, current), now)
    return len(due)
