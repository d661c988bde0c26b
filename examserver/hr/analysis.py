"""From the HR tables to ``scoring.training_needs`` and ``scoring.effectiveness`` and back.

Competency columns are the taxonomy nodes that appear in a position profile or an estimate,
ordered by code. Gaps are counted only where credible given each estimate's standard error
(``scoring.training_needs.competency_gaps``, one-sided at α = 0.05).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from examserver.hr.models import (
    CommunityFeedback,
    Employee,
    EvaluationPeriod,
    IntakeApplicant,
    PositionProfile,
    RecruitmentIntake,
    SupervisorRating,
    TrainingProgramme,
)
from examserver.selection.ranking import voided_registrations
from itembank.models import Competency
from scoring.effectiveness import AdverseImpact, ValidityResult, adverse_impact, predictive_validity
from scoring.training_needs import (
    GapAnalysis,
    GapHeatmap,
    NineBox,
    TrainingCatalogue,
    aggregate_gaps,
    competency_gaps,
    competency_potential,
    nine_box,
)

ALPHA = 0.05
GROUPINGS = ("unit", "region", "position")


@dataclass(frozen=True, eq=False)
class Workforce:
    """Employees as rows, competencies as columns; arrays (n_employees, n_competencies)."""

    employees: tuple[Employee, ...]
    competencies: tuple[Competency, ...]
    theta: np.ndarray
    se: np.ndarray
    required: np.ndarray
    weights: np.ndarray
    gaps: GapAnalysis

    def row(self, employee_id: int) -> int:
        """Row of an employee."""
        return next(i for i, e in enumerate(self.employees) if e.id == employee_id)

    def group_labels(self, by: str) -> list[str]:
        """Label of each employee for a cohort view: its unit, region or position title."""
        if by == "unit":
            return [e.unit for e in self.employees]
        if by == "region":
            return [e.region for e in self.employees]
        return [e.profile.title for e in self.employees]


def load_workforce(session: Session, employee_ids: list[int] | None = None) -> Workforce | None:
    """Estimates and requirements of the employees (all, or those listed); None if there are none."""
    query = (
        select(Employee)
        .options(
            selectinload(Employee.estimates),
            selectinload(Employee.profile).selectinload(PositionProfile.requirements),
        )
        .order_by(Employee.full_name, Employee.id)
    )
    if employee_ids is not None:
        query = query.where(Employee.id.in_(employee_ids))
    employees = tuple(session.scalars(query))
    if not employees:
        return None
    competency_ids = {r.competency_id for e in employees for r in e.profile.requirements}
    competency_ids |= {est.competency_id for e in employees for est in e.estimates}
    competencies = tuple(
        session.scalars(select(Competency).where(Competency.id.in_(competency_ids)).order_by(Competency.code))
    )
    column = {c.id: j for j, c in enumerate(competencies)}
    n, k = len(employees), len(competencies)
    theta, se = np.full((n, k), np.nan), np.ones((n, k))
    required, weights = np.full((n, k), np.nan), np.zeros((n, k))
    for i, employee in enumerate(employees):
        for estimate in employee.estimates:
            theta[i, column[estimate.competency_id]] = estimate.theta
            se[i, column[estimate.competency_id]] = estimate.se
        for requirement in employee.profile.requirements:
            required[i, column[requirement.competency_id]] = requirement.required_theta
            weights[i, column[requirement.competency_id]] = requirement.weight
    if k == 0:
        theta, se, required = np.zeros((n, 0)), np.ones((n, 0)), np.zeros((n, 0))
    gaps = competency_gaps(required, theta, se, alpha=ALPHA)
    return Workforce(employees, competencies, theta, se, required, weights, gaps)


@dataclass(frozen=True, eq=False)
class Catalogue:
    """The active programmes as rows of a ``TrainingCatalogue`` over the workforce's competencies."""

    programmes: tuple[TrainingProgramme, ...]
    engine: TrainingCatalogue


def load_catalogue(session: Session, competencies: tuple[Competency, ...]) -> Catalogue | None:
    """Active programmes with their effects on ``competencies``; None if the catalogue is empty."""
    programmes = tuple(
        session.scalars(
            select(TrainingProgramme)
            .where(TrainingProgramme.is_active.is_(True))
            .options(selectinload(TrainingProgramme.effects))
            .order_by(TrainingProgramme.code)
        )
    )
    if not programmes:
        return None
    column = {c.id: j for j, c in enumerate(competencies)}
    effect = np.zeros((len(programmes), len(competencies)))
    for p, programme in enumerate(programmes):
        for row in programme.effects:
            if row.competency_id in column:
                effect[p, column[row.competency_id]] = row.effect
    orientation = next((p.code for p in programmes if p.is_orientation), None)
    engine = TrainingCatalogue(
        names=tuple(p.code for p in programmes),
        competencies=tuple(c.code for c in competencies),
        effect=effect,
        mode=tuple(p.mode for p in programmes),
        hours=np.asarray([p.hours for p in programmes], dtype=float),
        capacity=np.asarray([p.capacity for p in programmes], dtype=float),
        cost_per_run=np.asarray([p.cost_per_run for p in programmes], dtype=float),
        cost_per_participant=np.asarray([p.cost_per_participant for p in programmes], dtype=float),
        max_runs=np.asarray([np.inf if p.max_runs is None else p.max_runs for p in programmes], dtype=float),
        orientation=orientation,
    )
    return Catalogue(programmes, engine)


def heatmap(workforce: Workforce, by: str) -> GapHeatmap:
    """Mean credible gap and share of credible gaps per unit, region or position."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    return aggregate_gaps(
        workforce.gaps,
        np.asarray(workforce.group_labels(by), dtype=object).astype(str),
        competencies=[c.code for c in workforce.competencies],
    )


# --------------------------------------------------------------------------- performance


def community_scores(session: Session, period_id: int) -> dict[str, tuple[float, int]]:
    """Per unit: mean approved community rating on 0-100 (1 -> 0, 5 -> 100) and how many ratings."""
    rows = session.execute(
        select(CommunityFeedback.unit, func.avg(CommunityFeedback.rating), func.count())
        .where(CommunityFeedback.period_id == period_id, CommunityFeedback.status == "approved")
        .group_by(CommunityFeedback.unit)
    ).all()
    return {unit: ((float(mean) - 1.0) * 25.0, int(count)) for unit, mean, count in rows}


@dataclass(frozen=True)
class PerformanceRow:
    """An employee's performance in a period: supervisor and community parts and the combination."""

    employee: Employee
    supervisor: float | None
    community: float | None
    community_count: int
    combined: float | None


def combine(supervisor: float | None, community: float | None, supervisor_weight: float) -> float | None:
    """Weighted mean of the two parts; a missing part leaves the other alone (None if both are missing)."""
    if supervisor is None and community is None:
        return None
    if community is None:
        return supervisor
    if supervisor is None:
        return community
    return supervisor_weight * supervisor + (1.0 - supervisor_weight) * community


def performance(session: Session, period: EvaluationPeriod, employees: tuple[Employee, ...]) -> list[PerformanceRow]:
    """Every employee's performance in ``period``, in the order given."""
    ratings = {
        r.employee_id: r.score
        for r in session.scalars(select(SupervisorRating).where(SupervisorRating.period_id == period.id))
    }
    community = community_scores(session, period.id)
    rows = []
    for employee in employees:
        part, count = community.get(employee.unit, (None, 0))
        supervisor = ratings.get(employee.id)
        rows.append(
            PerformanceRow(employee, supervisor, part, count, combine(supervisor, part, period.supervisor_weight))
        )
    return rows


def latest_period(session: Session) -> EvaluationPeriod | None:
    """The evaluation period that ends last."""
    return session.scalar(
        select(EvaluationPeriod).order_by(EvaluationPeriod.ends_on.desc(), EvaluationPeriod.id.desc())
    )


def talent_map(
    session: Session, workforce: Workforce, period: EvaluationPeriod
) -> tuple[NineBox, list[PerformanceRow]]:
    """Nine-box of combined performance in ``period`` x competency potential (weighted mean θ)."""
    rows = performance(session, period, workforce.employees)
    perf = np.array([np.nan if r.combined is None else r.combined for r in rows])
    weights = np.where(workforce.weights.sum(axis=0) > 0, workforce.weights.mean(axis=0), 1.0)
    potential = (
        competency_potential(workforce.theta, weights) if workforce.theta.shape[1] else np.full(len(rows), np.nan)
    )
    if np.all(np.isnan(perf)) or np.all(np.isnan(potential)):
        raise ValueError("no_data")
    return nine_box(perf, potential), rows


# --------------------------------------------------------------------------- effectiveness


@dataclass(frozen=True, eq=False)
class ValidityRow:
    """Predictive validity of one selection score (instrument or section) of an intake."""

    key: str
    result: ValidityResult
    applicants: int
    scores: np.ndarray
    performance: np.ndarray


@dataclass(frozen=True, eq=False)
class EffectivenessReport:
    """Validity per selection score and adverse impact per grouping, for one intake."""

    intake: RecruitmentIntake
    period: EvaluationPeriod | None
    validity: tuple[ValidityRow, ...]
    skipped: tuple[str, ...]
    impact: dict[str, AdverseImpact]
    n_applicants: int
    n_selected: int


def mean_performance(session: Session, employee_ids: list[int]) -> dict[int, float]:
    """Each employee's combined performance averaged over every period in which they have one."""
    totals: dict[int, list[float]] = {}
    employees = tuple(session.scalars(select(Employee).where(Employee.id.in_(employee_ids))))
    for period in session.scalars(select(EvaluationPeriod)):
        for row in performance(session, period, employees):
            if row.combined is not None:
                totals.setdefault(row.employee.id, []).append(row.combined)
    return {key: float(np.mean(values)) for key, values in totals.items()}


def usable_scores(session: Session, intake: RecruitmentIntake, applicants: list[IntakeApplicant]) -> dict[int, dict]:
    """Each applicant's selection scores by applicant id; none for a session invalidated since the intake was kept.

    The standing is read now (``proctoring.standing``), so an upheld appeal brings the scores back.
    """
    voided = voided_registrations(session, intake.period_id) if intake.period_id is not None else set()
    return {a.id: {} if a.registration_number in voided else dict(a.scores) for a in applicants}


def effectiveness(
    session: Session, intake: RecruitmentIntake, *, n_boot: int = 2000, rng: int | None = 2026
) -> EffectivenessReport:
    """Validity with bootstrap intervals and Thorndike case II per score; four-fifths rule by region and gender."""
    applicants = list(session.scalars(select(IntakeApplicant).where(IntakeApplicant.intake_id == intake.id)))
    hired = [(a, a.employee_id) for a in applicants if a.is_selected and a.employee_id is not None]
    perf = mean_performance(session, [employee_id for _, employee_id in hired])
    scores = usable_scores(session, intake, applicants)
    keys = sorted({key for a in applicants for key in scores[a.id]})
    rows, skipped = [], []
    for key in keys:
        pool = np.array([scores[a.id][key] for a in applicants if scores[a.id].get(key) is not None], dtype=float)
        pairs = [(scores[a.id].get(key), perf.get(employee_id)) for a, employee_id in hired]
        pairs = [(s, p) for s, p in pairs if s is not None and p is not None]
        if len(pairs) < 10 or pool.size < 3 or np.std(pool) == 0:
            skipped.append(key)
            continue
        x, y = np.array(pairs, dtype=float).T
        try:
            result = predictive_validity(x, y, applicant_sd=float(pool.std(ddof=1)), n_boot=n_boot, rng=rng)
        except ValueError:
            skipped.append(key)
            continue
        rows.append(ValidityRow(key, result, int(pool.size), x, y))
    selected = np.array([a.is_selected for a in applicants], dtype=bool)
    impact = {}
    for attribute in ("region", "gender"):
        known = [i for i, a in enumerate(applicants) if getattr(a, attribute)]
        labels = [getattr(applicants[i], attribute) for i in known]
        if len(set(labels)) < 2:
            continue
        try:
            impact[attribute] = adverse_impact(selected[known], np.array(labels, dtype=str))
        except ValueError:
            continue
    return EffectivenessReport(
        intake, latest_period(session), tuple(rows), tuple(skipped), impact, len(applicants), int(selected.sum())
    )
