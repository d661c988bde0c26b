"""Success profiles: a position's top performers' competency levels, proposed as its required
profile for the next recruitment, accepted (as proposed or edited) by HR, and turned into the
committee's competency profile (levels 1-5 by competency key) of the position's next vacancies.

Performance is each employee's combined evaluation (supervisor and community,
``analysis.combine``) averaged over the last :data:`PERIODS` evaluation periods in which they
were rated; the numbers come from ``scoring.training_needs.success_profile``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from examserver.hr.analysis import performance
from examserver.hr.models import Employee, EvaluationPeriod, PositionProfile, SuccessProfile
from examserver.selection.models import Position, SelectionPeriod
from itembank.database import utcnow
from itembank.models import Competency
from itembank.refusal import Refusal
from scoring.training_needs import SuccessProfile as SuccessNumbers
from scoring.training_needs import committee_levels, success_profile

#: Evaluation periods averaged, the most recent first.
PERIODS = 2
#: The range HR may set a required level in (θ, logits), as on the position profile form.
THETA_RANGE = (-4.0, 4.0)


@dataclass(frozen=True, eq=False)
class SuccessAnalysis:
    """The numbers behind a proposal: employees as rows, competencies as columns."""

    profile: PositionProfile
    employees: tuple[Employee, ...]
    competencies: tuple[Competency, ...]
    periods: tuple[EvaluationPeriod, ...]
    performance: np.ndarray
    result: SuccessNumbers


def recent_periods(session: Session, last: int = PERIODS) -> tuple[EvaluationPeriod, ...]:
    """The ``last`` evaluation periods that end last."""
    return tuple(
        session.scalars(
            select(EvaluationPeriod).order_by(EvaluationPeriod.ends_on.desc(), EvaluationPeriod.id.desc()).limit(last)
        )
    )


def analyse(session: Session, profile: PositionProfile) -> SuccessAnalysis:
    """Top tertile against the rest for the employees of ``profile``; refused with fewer than three rated."""
    employees = tuple(
        session.scalars(
            select(Employee)
            .where(Employee.profile_id == profile.id)
            .options(selectinload(Employee.estimates))
            .order_by(Employee.id)
        )
    )
    periods = recent_periods(session)
    combined: list[list[float]] = [[] for _ in employees]
    for period in periods:
        for i, row in enumerate(performance(session, period, employees)):
            if row.combined is not None:
                combined[i].append(row.combined)
    perf = np.array([np.mean(values) if values else np.nan for values in combined])
    competency_ids = {e.competency_id for employee in employees for e in employee.estimates}
    competency_ids |= {r.competency_id for r in profile.requirements}
    competencies = tuple(
        session.scalars(select(Competency).where(Competency.id.in_(competency_ids)).order_by(Competency.code))
    )
    column = {c.id: j for j, c in enumerate(competencies)}
    theta = np.full((len(employees), len(competencies)), np.nan)
    se = np.ones_like(theta)
    for i, employee in enumerate(employees):
        for estimate in employee.estimates:
            theta[i, column[estimate.competency_id]] = estimate.theta
            se[i, column[estimate.competency_id]] = estimate.se
    rated = int((~np.isnan(perf)).sum())
    if rated < 3 or not competencies:
        raise Refusal("hr.success_too_few", n=rated)
    return SuccessAnalysis(profile, employees, competencies, periods, perf, success_profile(perf, theta, se))


def _rounded(x: float) -> float | None:
    return None if math.isnan(x) else round(float(x), 3)


def propose(session: Session, profile: PositionProfile, actor_id: int | None) -> SuccessProfile:
    """Save the current analysis of ``profile`` as a proposal."""
    analysis = analyse(session, profile)
    result = analysis.result
    proposed, detail = {}, {}
    for j, competency in enumerate(analysis.competencies):
        detail[competency.code] = {
            key: _rounded(getattr(result, key)[j])
            for key in ("top_mean", "rest_mean", "top_se", "rest_se", "difference", "difference_se")
        }
        detail[competency.code] |= {
            "top_n": int(result.top_n[j]),
            "rest_n": int(result.rest_n[j]),
            "credible": bool(result.credible[j]),
        }
        value = _rounded(result.proposed[j])
        if value is not None:
            proposed[competency.code] = value
    success = SuccessProfile(
        profile_id=profile.id,
        status="proposed",
        proposed=proposed,
        analysis=detail,
        periods=[p.code for p in analysis.periods],
        employees=int((~np.isnan(analysis.performance)).sum()),
        created_by_id=actor_id,
    )
    session.add(success)
    session.flush()
    return success


def committee_profile(levels: dict[str, float]) -> dict[str, int]:
    """The committee's profile of required θ by competency code: level 1-5 by competency key.

    The key is the last part of the code in lower case (``MSK.INTEGRITAS`` -> ``integritas``), or
    the whole code when two competencies would share it.
    """
    codes = sorted(levels)
    short = [code.rsplit(".", 1)[-1].lower() for code in codes]
    keys = [s if short.count(s) == 1 else code.lower().replace(".", "_") for s, code in zip(short, codes, strict=True)]
    values: list[int] = committee_levels([levels[code] for code in codes]).tolist() if codes else []
    return {key: int(v) for key, v in zip(keys, values, strict=True)}


def accept(
    session: Session, success: SuccessProfile, levels: dict[str, float], actor_id: int, now: datetime | None = None
) -> list[Position]:
    """Accept a proposal with HR's levels; the committee profile is applied to the position's next vacancies.

    ``levels`` holds a required θ for some of the proposal's competencies (those left out are not
    required). Returns the positions of periods not yet open for applications whose profile was set.
    """
    if success.status != "proposed":
        raise Refusal("hr.success_decided")
    unknown = sorted(set(levels) - set(success.analysis))
    low, high = THETA_RANGE
    bad = sorted(code for code, value in levels.items() if not (math.isfinite(value) and low <= value <= high))
    if unknown or bad:
        raise Refusal("hr.success_levels_invalid", codes=", ".join(unknown + bad))
    if not levels:
        raise Refusal("hr.success_levels_empty")
    now = now or utcnow()
    success.status, success.accepted_by_id, success.accepted_at = "accepted", actor_id, now
    success.accepted = {code: round(float(value), 3) for code, value in sorted(levels.items())}
    success.committee_profile = committee_profile(success.accepted)
    upcoming = list(
        session.scalars(
            select(Position)
            .join(SelectionPeriod)
            .where(Position.code == success.profile.code, SelectionPeriod.applications_open_at > now)
        )
    )
    for position in upcoming:
        position.competency_profile = dict(success.committee_profile)
    session.flush()
    return upcoming
