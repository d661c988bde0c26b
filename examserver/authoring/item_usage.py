"""How an item has performed in real sittings: exposure, classical statistics and distractors.

Classical statistics follow Lord & Novick (1968): the p-value is the mean item score over its
maximum; the point-biserial correlates the item score with the rest score (the candidate's total
share without this item). Distractor analysis (Haladyna & Rodriguez 2013) gives, per option, the
share of candidates who chose it and the correlation of choosing it with the rest score: the key
should correlate positively, a working distractor negatively. Exposure is the share of the sessions
of the sittings that used the item in which it was shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from examserver.delivery.models import ExamSession, SessionItem, SessionResult
from itembank.item_types import item_type, letters
from itembank.models import Item

MIN_FOR_STATISTICS = 10


@dataclass(frozen=True)
class OptionUse:
    letter: str
    share: float
    correlation: float | None
    is_key: bool


@dataclass(frozen=True)
class ItemUsage:
    shown: int
    sessions: int
    exposure: float | None
    scored: int
    p_value: float | None
    point_biserial: float | None
    options: list[OptionUse]


def _correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    if x.size < 3 or np.std(x) == 0 or np.std(y) == 0:
        return None
    return round(float(np.corrcoef(x, y)[0, 1]), 3)


def exposure_rates(session: Session) -> dict[int, float]:
    """Exposure of every item that has been shown: shown / sessions of the sittings that used it."""
    per_schedule = dict(
        session.execute(select(ExamSession.schedule_id, func.count(ExamSession.id)).group_by(ExamSession.schedule_id))
        .tuples()
        .all()
    )
    rows = session.execute(
        select(SessionItem.item_id, ExamSession.schedule_id, func.count(SessionItem.id))
        .join(ExamSession, ExamSession.id == SessionItem.session_id)
        .group_by(SessionItem.item_id, ExamSession.schedule_id)
    ).all()
    shown: dict[int, int] = {}
    possible: dict[int, int] = {}
    for item_id, schedule_id, count in rows:
        shown[item_id] = shown.get(item_id, 0) + count
        possible[item_id] = possible.get(item_id, 0) + per_schedule.get(schedule_id, 0)
    return {item_id: shown[item_id] / possible[item_id] for item_id in shown if possible[item_id]}


def item_usage(session: Session, item: Item) -> ItemUsage:
    """Exposure, p-value, point-biserial and distractor analysis of ``item`` from ended sessions."""
    rows = session.execute(
        select(SessionItem, SessionResult)
        .join(ExamSession, ExamSession.id == SessionItem.session_id)
        .outerjoin(SessionResult, SessionResult.session_id == ExamSession.id)
        .where(SessionItem.item_id == item.id)
        .options(contains_eager(SessionItem.session), joinedload(SessionItem.answer))  # not two loads per row
    ).all()
    shown = len(rows)
    schedules = {si.session.schedule_id for si, _ in rows}
    sessions = (
        session.execute(select(func.count(ExamSession.id)).where(ExamSession.schedule_id.in_(schedules))).scalar_one()
        if schedules
        else 0
    )
    kind = item_type(item.item_type)
    scores, rests, choices = [], [], []
    for si, result in rows:
        if result is None:
            continue
        answer = si.version.answer
        top = kind.max_points(answer)
        response = si.answer.response if si.answer is not None else None
        score = kind.score(answer, response)
        if result.total_max - top <= 0:
            continue
        scores.append(score / top if top else 0.0)
        rests.append((result.total_raw - score) / (result.total_max - top))
        choices.append(response if isinstance(response, str) else None)
    scored = len(scores)
    options: list[OptionUse] = []
    p_value = point_biserial = None
    if scored >= MIN_FOR_STATISTICS:
        score_array, rest_array = np.asarray(scores), np.asarray(rests)
        p_value = round(float(score_array.mean()), 3)
        point_biserial = _correlation(score_array, rest_array)
        version = item.current_version
        if version.options and item.item_type in ("single_choice", "true_false", "weighted_options"):
            best = kind.max_points(version.answer)
            for letter in letters(len(version.options)):
                chose = np.asarray([c == letter for c in choices], dtype=float)
                options.append(
                    OptionUse(
                        letter,
                        round(float(chose.mean()), 3),
                        _correlation(chose, rest_array),
                        kind.score(version.answer, letter) == best,
                    )
                )
    return ItemUsage(
        shown=shown,
        sessions=sessions,
        exposure=round(shown / sessions, 3) if sessions else None,
        scored=scored,
        p_value=p_value,
        point_biserial=point_biserial,
        options=options,
    )
