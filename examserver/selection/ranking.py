"""From the database to ``scoring.selection`` and back: the ranking table of a period.

Basic-test scores are the SessionResults of the period's sitting; each blueprint section maps to
the rules' section named by the last part of its competency code (``SKD.TWK`` -> ``TWK``). Field
components come from FieldScore rows, and rubric components (interview, track record) from the
mean of the scorers' rubrics once ``interviewers_required`` of them are in. A missing score is NaN: the engine marks the
applicant absent from that test. A session that does not count by its standing
(``proctoring.standing``: a confirmed invalidation that stands) makes the applicant INVALIDATED:
no scores, no rank, and the next applicant moves up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from examserver.accounts.models import User
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.selection.models import Application, FieldScore, RubricScore, SelectionPeriod
from examserver.selection.rubrics import rubric_of
from examserver.selection.rules import rules_from_json
from proctoring.standing import Standing, standings
from scoring.selection import Applicants, Positions, SelectionRules, Status, shortlist
from scoring.selection import select as run_select

EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class RankedRow:
    """One applicant's line of the ranking, in the order it is shown and published."""

    application_id: int
    registration_number: str
    name: str
    position_code: str
    category: str
    sections: tuple[float | None, ...]
    basic_total: float | None
    field_score: float | None
    final_score: float | None
    shortlist_rank: int
    rank: int
    status: str
    appointed_code: str | None
    tie_unresolved: bool
    session_id: int | None
    #: The standing of the basic-test session (None without one): why INVALIDATED, or under review.
    standing: Standing | None = None


@dataclass(frozen=True)
class Ranking:
    """The ranking of a period at one stage: rows, section names and seats per position."""

    stage: str
    rules: SelectionRules
    rows: tuple[RankedRow, ...]
    section_names: tuple[str, ...]
    seats: dict[str, dict[str, int]]


def _section_names(session: Session, schedule_id: int) -> dict[int, str]:
    schedule = session.get(ExamSchedule, schedule_id)
    assert schedule is not None, "a period's schedule_id is a foreign key"
    return {s.id: s.competency.code.rsplit(".", 1)[-1] for s in schedule.blueprint.sections}


def period_sessions(session: Session, period_id: int) -> dict[int, str]:
    """The basic-test sessions of a period's applicants: session id -> the application's registration number."""
    period = session.get(SelectionPeriod, period_id)
    if period is None or period.schedule_id is None:
        return {}
    return dict(
        session.execute(
            select(ExamSession.id, Application.registration_number)
            .join(Application, Application.candidate_id == ExamSession.candidate_id)
            .where(Application.period_id == period.id, ExamSession.schedule_id == period.schedule_id)
        )
        .tuples()
        .all()
    )


def voided_registrations(session: Session, period_id: int) -> set[str]:
    """Registration numbers of a period's applicants whose basic-test session does not count (invalidated)."""
    number_of = period_sessions(session, period_id)
    return {number_of[i] for i, standing in standings(session, number_of).items() if not standing.counts}


def _value(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def rank_period(session: Session, period: SelectionPeriod, *, final: bool) -> Ranking:
    """Run the period's rules over its submitted applications: up to the shortlist, or every stage."""
    rules = rules_from_json(period.rules)
    applications = session.scalars(
        select(Application)
        .where(Application.period_id == period.id, Application.status != "draft")
        .order_by(Application.id)
    ).all()
    positions = list(period.positions)
    position_index = {p.id: i for i, p in enumerate(positions)}
    n, names = len(applications), [s.name for s in rules.sections]
    basic = np.full((n, len(names)), np.nan)
    session_of: dict[int, int] = {}
    if period.schedule_id is not None and applications:
        mapping = _section_names(session, period.schedule_id)
        by_candidate = {
            exam.candidate_id: exam
            for exam in session.scalars(
                select(ExamSession).where(
                    ExamSession.schedule_id == period.schedule_id,
                    ExamSession.candidate_id.in_([a.candidate_id for a in applications]),
                )
            )
        }
        for row, application in enumerate(applications):
            exam = by_candidate.get(application.candidate_id)
            if exam is None or exam.result is None:
                continue
            session_of[application.id] = exam.id
            raw = {mapping.get(s["id"]): s["raw"] for s in exam.result.sections}
            if all(name in raw for name in names):
                basic[row] = [raw[name] for name in names]
    standing_of = standings(session, session_of.values())
    invalidated = np.array(
        [not standing_of[session_of[a.id]].counts if a.id in session_of else False for a in applications], dtype=bool
    )
    basic[invalidated] = np.nan

    components = rules.weights.components
    field = np.full((n, len(components)), np.nan)
    row_of = {a.id: i for i, a in enumerate(applications)}
    if final and applications:
        column = {c.name: j for j, c in enumerate(components)}
        for score in session.scalars(select(FieldScore).where(FieldScore.application_id.in_(row_of))):
            if score.component in column:
                field[row_of[score.application_id], column[score.component]] = score.score
        rubric_totals: dict[tuple[str, int], list[float]] = {}
        for rubric_score in session.scalars(select(RubricScore).where(RubricScore.application_id.in_(row_of))):
            rubric_totals.setdefault((rubric_score.rubric, rubric_score.application_id), []).append(rubric_score.total)
        for j, component in enumerate(components):
            rubric = rubric_of(component)
            if rubric is None:
                continue
            for (kind, application_id), totals in rubric_totals.items():
                if kind == rubric and len(totals) >= period.interviewers_required:
                    field[row_of[application_id], j] = min(component.maximum, float(np.mean(totals)))

    applicants = Applicants(
        applicant_id=np.array([a.id for a in applications], dtype=np.int64),
        position=np.array([position_index[a.position_id] for a in applications], dtype=np.int64),
        category=np.array([rules.category_code(a.category) for a in applications], dtype=np.int64),
        basic_scores=basic,
        education=np.array([a.education_score for a in applications], dtype=np.float64),
        birth_date=np.array([(a.birth_date - EPOCH).days for a in applications], dtype=np.int64),
        admin_passed=np.array([a.status == "accepted" for a in applications], dtype=bool),
        field_scores=field,
        invalidated=invalidated,
    )
    table = Positions(
        quota=np.array([p.quota for p in positions], dtype=np.int64),
        group=np.array([-1 if p.equivalence_group is None else p.equivalence_group for p in positions], dtype=np.int64),
    )
    result = (run_select if final else shortlist)(applicants, table, rules)
    people = dict(
        session.execute(select(User.id, User.full_name).where(User.id.in_([a.candidate_id for a in applications])))
        .tuples()
        .all()
    )
    rows = []
    for i, application in enumerate(applications):
        appointed = int(result.appointed_position[i])
        session_id = session_of.get(application.id)
        rows.append(
            RankedRow(
                application_id=application.id,
                registration_number=application.registration_number,
                name=people.get(application.candidate_id, ""),
                position_code=application.position.code,
                category=application.category,
                sections=tuple(_value(x) for x in basic[i]),
                basic_total=_value(result.basic_total[i]),
                field_score=_value(result.field_score[i]),
                final_score=_value(result.final_score[i]),
                shortlist_rank=int(result.shortlist_rank[i]),
                rank=int(result.rank[i]),
                status=Status(int(result.status[i])).name,
                appointed_code=positions[appointed].code if appointed >= 0 else None,
                tie_unresolved=bool(result.tie_unresolved[i]),
                session_id=session_id,
                standing=None if session_id is None else standing_of.get(session_id),
            )
        )
    # Per position: the final ranking, then the shortlist ranking, then the rest by status.
    rows.sort(
        key=lambda r: (
            r.position_code,
            r.rank == 0,
            r.rank,
            r.shortlist_rank == 0,
            r.shortlist_rank,
            -Status[r.status].value,
            r.registration_number,
        )
    )
    seats = {
        p.code: {
            "quota": int(result.quota[k]),
            "filled": int(result.filled[k]),
            "by_filling": int(result.filled_by_filling[k]),
            "shortlisted": int(result.shortlisted[k]),
        }
        for k, p in enumerate(positions)
    }
    return Ranking("final" if final else "basic", rules, tuple(rows), tuple(names), seats)
