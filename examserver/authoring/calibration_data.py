"""Response data for calibration runs, taken from ended exam sessions.

Each ended session is one row; each item any chosen session showed is one column. A shown item
that was not answered counts as its lowest category (as in the score the candidate received); an
item the session did not show is missing (NaN). Responses given to an older content version of
an item than its current one are left out, since parameters belong to one version. Candidates are
grouped by sex, read from their NIK, for the run's DIF analysis.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from examserver.accounts.identity import nik_sex
from examserver.accounts.models import User
from examserver.delivery.models import ExamSchedule, ExamSession, SessionItem, SessionResult
from itembank.calibration import ResponseData
from itembank.item_types import item_type
from itembank.models import Item, ItemParameter

ENDED = ("submitted", "expired", "terminated")


def schedules_with_results(session: Session) -> list[tuple[ExamSchedule, int]]:
    """Schedules with ended sessions, newest first, with how many sessions ended."""
    rows = session.execute(
        select(ExamSchedule, ExamSession.id)
        .join(ExamSession, ExamSession.schedule_id == ExamSchedule.id)
        .where(ExamSession.status.in_(ENDED))
        .order_by(ExamSchedule.opens_at.desc())
    ).all()
    counts: dict[int, list] = {}
    for schedule, _ in rows:
        counts.setdefault(schedule.id, [schedule, 0])[1] += 1
    return [(schedule, n) for schedule, n in counts.values()]


def responses_from_schedules(session: Session, schedule_ids: Sequence[int]) -> ResponseData:
    """The ended sessions of ``schedule_ids`` as a response matrix (see the module docstring)."""
    exams = session.scalars(
        select(ExamSession)
        .where(ExamSession.schedule_id.in_(list(schedule_ids)), ExamSession.status.in_(ENDED))
        .order_by(ExamSession.id)
        .options(
            selectinload(ExamSession.items).selectinload(SessionItem.answer),
            selectinload(ExamSession.items).selectinload(SessionItem.version),
            selectinload(ExamSession.items).selectinload(SessionItem.item).selectinload(Item.versions),
        )
    ).all()
    columns: dict[int, int] = {}
    cells: list[tuple[int, int, int]] = []
    older = 0
    for row, exam in enumerate(exams):
        for si in exam.items:
            if si.version.number != si.item.current_version.number:
                older += 1
                continue
            column = columns.setdefault(si.item_id, len(columns))
            response = si.answer.response if si.answer is not None else None
            cells.append((row, column, item_type(si.item.item_type).category(si.version.answer, response)))
    matrix = np.full((len(exams), len(columns)), np.nan)
    for row, column, value in cells:
        matrix[row, column] = value
    codes = session.scalars(select(ExamSchedule.code).where(ExamSchedule.id.in_(list(schedule_ids)))).all()
    niks = dict(
        session.execute(select(User.id, User.nik).where(User.id.in_({exam.candidate_id for exam in exams})))
        .tuples()
        .all()
    )
    sexes = tuple(nik_sex(niks.get(exam.candidate_id)) for exam in exams)
    return ResponseData(
        item_ids=tuple(columns),
        responses=matrix,
        source="sessions",
        label=", ".join(sorted(codes)),
        notes={"sessions": len(exams), "older_versions_left_out": older},
        groups=sexes if any(sexes) else None,
        grouping="jenis kelamin (dari NIK)",
    )


def results_moved_by(session: Session, rows: Sequence[ItemParameter]) -> int:
    """How many stored scores used another parameter version of the items of ``rows`` for θ, so
    would move if they were rescored after ``rows`` are published (publishing rescores nothing)."""
    if not rows:
        return 0
    new = {row.id for row in rows}
    old = (
        set(session.scalars(select(ItemParameter.id).where(ItemParameter.item_id.in_({row.item_id for row in rows}))))
        - new
    )
    return sum(1 for ids in session.scalars(select(SessionResult.parameter_ids)) if old.intersection(ids or ()))
