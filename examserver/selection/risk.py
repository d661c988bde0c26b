"""Positions at risk of going unfilled: from the database to ``scoring.selection.forecast`` and back.

* Earlier sittings are the recruitment intakes kept by HR (``hr_intake_applicant``) other than
  this period's own: each applicant's SKD section scores, region and qualification.
* An earlier applicant *passed* when every section reaches this period's minimum for the general
  category (the national thresholds unless the period's decree set others) and the total its
  total minimum, if any; applicants without every section score are left out.
* Pass rates are estimated per (education level, region) and shrunk towards the education level
  (``estimate_pass_rates``); this period's applicants are counted in the forecast unless rejected
  at the administrative check (those still awaiting it count as meeting the requirements for now).
  An applicant's level is that of the position's qualification; the region is the province of
  the NIK (unknown without one).
* Outreach targets of a flagged position: regions and programmes of earlier qualified applicants
  to the same position code, else with the same qualification, else of the same education level,
  else of everyone.
* After the period (its SKD result announced): the number who passed the thresholds per position
  (``rank_period``) against the forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from examserver.accounts.models import User
from examserver.hr.regions import province_of
from examserver.selection.models import Announcement, Application, Position, SelectionPeriod
from examserver.selection.qualifications import education_level, qualification
from examserver.selection.ranking import rank_period
from examserver.selection.rules import rules_from_json
from scoring.selection import (
    Forecast,
    ForecastCheck,
    Status,
    ThresholdRule,
    compare_forecast,
    estimate_pass_rates,
    forecast_passing,
    outreach_targets,
)

LEVEL = 0.95
DRAWS = 4000
#: Earlier applicants' worth of the education level's rate in a region's prior.
PRIOR_STRENGTH = 10.0
PASSED = {Status.NOT_SHORTLISTED, Status.SHORTLISTED, Status.NOT_SELECTED, Status.SELECTED, Status.SELECTED_BY_FILLING}


@dataclass(frozen=True)
class Target:
    """A region or programme where qualified applicants came from: how many and what share of its applicants."""

    name: str
    qualified: int
    rate: float


@dataclass(frozen=True)
class PositionRisk:
    """One position's line of the at-risk table."""

    position: Position
    level: str
    applicants: int
    meeting: int
    pending: int
    counted: int
    pass_rate: float
    expected: float
    lower: int
    upper: int
    shortfall: float
    flagged: bool
    regions: tuple[Target, ...]
    programmes: tuple[Target, ...]
    actual: int | None
    inside: bool | None

    @property
    def per_seat(self) -> float:
        return self.expected / self.position.quota

    @property
    def per_seat_lower(self) -> float:
        return self.lower / self.position.quota

    @property
    def per_seat_upper(self) -> float:
        return self.upper / self.position.quota


@dataclass(frozen=True)
class RegionBar:
    """A region of the chart: expected passers among this period's applicants, and qualified before."""

    region: str
    expected: float
    earlier_qualified: int


@dataclass(frozen=True)
class RiskReport:
    """The at-risk analysis of a period."""

    period: SelectionPeriod
    rows: tuple[PositionRisk, ...]
    regions: tuple[RegionBar, ...]
    earlier_sat: int
    earlier_passed: int
    thresholds: ThresholdRule
    level: float
    check: ForecastCheck | None


@dataclass(frozen=True)
class _Earlier:
    """Earlier applicants with a usable score, as columns."""

    passed: np.ndarray
    level: list[str]
    region: list[str]
    programme: list[str]
    position_code: list[str]


def _passes(scores: dict, rule: ThresholdRule, sections: list[str]) -> bool | None:
    values = [scores.get(f"SKD.{name}") for name in sections]
    if any(v is None for v in values):
        return None
    if any(float(scores[f"SKD.{name}"]) < minimum for name, minimum in rule.minimums):
        return False
    return rule.total_minimum is None or float(sum(values)) >= rule.total_minimum  # type: ignore[arg-type]


def _earlier(session: Session, period: SelectionPeriod, rule: ThresholdRule, sections: list[str]) -> _Earlier:
    from examserver.hr.models import IntakeApplicant, RecruitmentIntake  # hr's models import selection's

    rows = session.scalars(
        select(IntakeApplicant)
        .join(RecruitmentIntake)
        .where((RecruitmentIntake.period_id.is_(None)) | (RecruitmentIntake.period_id != period.id))
        .order_by(IntakeApplicant.id)
    )
    passed, level, region, programme, code = [], [], [], [], []
    for applicant in rows:
        verdict = _passes(applicant.scores or {}, rule, sections)
        if verdict is None:
            continue
        passed.append(verdict)
        level.append(education_level(applicant.education))
        region.append(applicant.region or "")
        programme.append(qualification(applicant.education))
        code.append(applicant.position_code or "")
    return _Earlier(np.array(passed, dtype=bool), level, region, programme, code)


def _general_rule(period: SelectionPeriod) -> tuple[ThresholdRule, list[str]]:
    rules = rules_from_json(period.rules)
    by_name = {t.category: t for t in rules.thresholds}
    return by_name.get("general", rules.thresholds[0]), [s.name for s in rules.sections]


def _applications(session: Session, period: SelectionPeriod) -> list[tuple[Application, str]]:
    """This period's submitted applications with the applicant's province ("" when unknown)."""
    applications = session.scalars(
        select(Application).where(Application.period_id == period.id, Application.status != "draft")
    ).all()
    niks = dict(
        session.execute(select(User.id, User.nik).where(User.id.in_([a.candidate_id for a in applications])))
        .tuples()
        .all()
    )
    return [(a, province_of(niks.get(a.candidate_id)) or "") for a in applications]


def _actual(session: Session, period: SelectionPeriod) -> dict[str, int] | None:
    announced = session.scalar(
        select(Announcement.id).where(Announcement.period_id == period.id, Announcement.stage == "basic")
    )
    if announced is None:
        return None
    counts: dict[str, int] = {p.code: 0 for p in period.positions}
    for row in rank_period(session, period, final=False).rows:
        if Status[row.status] in PASSED:
            counts[row.position_code] += 1
    return counts


def _targets(earlier: _Earlier, position: Position, level: str, top: int = 5) -> tuple[tuple[Target, ...], ...]:
    relevant = np.ones(earlier.passed.size, dtype=bool)
    for column, value in (
        (earlier.position_code, position.code),
        (earlier.programme, qualification(position.education)),
        (earlier.level, level),
    ):
        same = np.array(column, dtype=object) == value
        if (same & earlier.passed).any():
            relevant = same
            break
    region_names = sorted({r for r in earlier.region if r})
    programme_names = sorted({p for p in earlier.programme if p})
    region_index = {name: i for i, name in enumerate(region_names)}
    programme_index = {name: i for i, name in enumerate(programme_names)}
    found = outreach_targets(
        earlier.passed,
        [region_index.get(r, -1) for r in earlier.region],
        [programme_index.get(p, -1) for p in earlier.programme],
        relevant,
        top=top,
    )
    regions = tuple(
        Target(region_names[i], int(n), float(r))
        for i, n, r in zip(found.regions, found.region_qualified, found.region_rate, strict=True)
    )
    programmes = tuple(
        Target(programme_names[i], int(n), float(r))
        for i, n, r in zip(found.programmes, found.programme_qualified, found.programme_rate, strict=True)
    )
    return regions, programmes


def at_risk(session: Session, period: SelectionPeriod) -> RiskReport:
    """The at-risk analysis of ``period`` as it stands now (applications so far, earlier sittings)."""
    rule, sections = _general_rule(period)
    earlier = _earlier(session, period, rule, sections)
    positions = list(period.positions)
    applications = _applications(session, period)
    levels = {p.id: education_level(p.education) for p in positions}
    counted = [(a, region) for a, region in applications if a.status != "rejected"]
    level_names = sorted(set(earlier.level) | set(levels.values()))
    region_names = sorted(set(earlier.region) | {region for _a, region in counted} | {""})
    cell = {(lv, rg): i for i, (lv, rg) in enumerate((lv, rg) for lv in level_names for rg in region_names)}
    parent = [level_names.index(lv) for lv, _rg in cell]
    rates = estimate_pass_rates(
        earlier.passed,
        [cell[(lv, rg)] for lv, rg in zip(earlier.level, earlier.region, strict=True)],
        len(cell),
        parent=parent,
        prior_strength=PRIOR_STRENGTH,
    )
    index = {p.id: j for j, p in enumerate(positions)}
    forecast: Forecast = forecast_passing(
        [p.quota for p in positions],
        [index[a.position_id] for a, _region in counted],
        [cell[(levels[a.position_id], region)] for a, region in counted],
        rates,
        level=LEVEL,
        draws=DRAWS,
        rng=period.id,
    )
    actual = _actual(session, period)
    check = compare_forecast(forecast, [actual[p.code] for p in positions]) if actual is not None else None
    rows = []
    for j, position in enumerate(positions):
        mine = [a for a, _region in applications if a.position_id == position.id]
        unknown_rate = float(rates.mean[cell[(levels[position.id], "")]])
        flagged = bool(forecast.flagged[j])
        regions, programmes = _targets(earlier, position, levels[position.id]) if flagged else ((), ())
        rows.append(
            PositionRisk(
                position=position,
                level=levels[position.id],
                applicants=len(mine),
                meeting=sum(a.status == "accepted" for a in mine),
                pending=sum(a.status == "submitted" for a in mine),
                counted=int(forecast.applicants[j]),
                pass_rate=unknown_rate if np.isnan(forecast.pass_rate[j]) else float(forecast.pass_rate[j]),
                expected=float(forecast.expected[j]),
                lower=int(forecast.lower[j]),
                upper=int(forecast.upper[j]),
                shortfall=float(forecast.shortfall[j]),
                flagged=flagged,
                regions=regions,
                programmes=programmes,
                actual=None if actual is None else actual[position.code],
                inside=None if check is None else bool(check.inside[j]),
            )
        )
    return RiskReport(
        period=period,
        rows=tuple(rows),
        regions=_region_bars(rows, counted, rates.mean, cell, levels),
        earlier_sat=int(earlier.passed.size),
        earlier_passed=int(earlier.passed.sum()),
        thresholds=rule,
        level=LEVEL,
        check=check,
    )


def _region_bars(rows, counted, mean, cell, levels) -> tuple[RegionBar, ...]:
    expected: dict[str, float] = {}
    for application, region in counted:
        expected[region] = expected.get(region, 0.0) + float(mean[cell[(levels[application.position_id], region)]])
    earlier: dict[str, int] = {}
    for row in rows:
        for target in row.regions:
            earlier[target.name] = earlier.get(target.name, 0) + target.qualified
    names = sorted(set(expected) | set(earlier), key=lambda r: (-earlier.get(r, 0), -expected.get(r, 0.0), r))
    return tuple(RegionBar(name, expected.get(name, 0.0), earlier.get(name, 0)) for name in names)
