"""Training-needs analysis after hiring: credible competency gaps, development plans, cohort plans.

Every employee arrives with the competency estimates of their selection test: a θ per competency
and its standard error (SE), both of shape (n_employees, n_competencies), persons are rows, NaN
where a competency was not measured. The position's profile states the required level per
competency. This module turns those into

* :func:`competency_gaps` -- the gap ``required - θ`` per cell, and whether it is *credible*: a
  measured θ below the requirement by less than its own uncertainty is not a reason to send
  anyone to training;
* :func:`development_plan` -- an ordered, explained list of programmes per employee, with the
  orientation programme first for new hires;
* :func:`cohort_plan` -- how many runs of each programme to hold and who attends, maximising the
  credible gap closed within a budget (a mixed-integer programme solved by ``scipy.optimize.milp``);
* :func:`aggregate_gaps` -- mean gap and share of credible gaps by unit, region or position, as
  (n_groups, n_competencies) arrays ready for a heat map;
* :func:`nine_box` -- the performance x potential talent map with a recommendation per employee:
  further education for the top, coaching (pembinaan) for the bottom, with plain reasons.

The θ estimates come from the IRT engine (``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))``, logistic
metric, D = 1); the gap is measured on that θ scale. Requirements may be written on a linear
reporting scale instead (:class:`ReportingScale`).

A programme's ``effect`` is the expected gain in θ (logits) per participant on each competency.
One participant of programme p closes ``min(credible gap, effect)`` on each competency: a
programme cannot close more than the gap that is there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, sparse, stats

from scoring.arrays import readonly

__all__ = [
    "BOX_LABELS",
    "CohortPlan",
    "DevelopmentPlan",
    "GapAnalysis",
    "GapHeatmap",
    "NineBox",
    "PlanItem",
    "ReportingScale",
    "TrainingCatalogue",
    "aggregate_gaps",
    "cohort_plan",
    "competency_gaps",
    "competency_potential",
    "development_plan",
    "nine_box",
]

MODES = ("online", "classroom")
PRIORITIES = ("per_hour", "per_cost", "total")


def _float_array(values: object, name: str, ndim: int | None = None) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric.") from exc
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {array.shape}.")
    return array


# --------------------------------------------------------------------------- gaps


@dataclass(frozen=True)
class ReportingScale:
    """A linear reporting scale ``reported = slope * θ + intercept`` (e.g. slope 10, intercept 50).

    Parameters
    ----------
    slope : float
        Reported units per logit; must be positive so that higher still means better.
    intercept : float
        Reported value at θ = 0.
    """

    slope: float = 1.0
    intercept: float = 0.0

    def __post_init__(self) -> None:
        if not np.isfinite(self.slope) or self.slope <= 0:
            raise ValueError("The reporting scale needs a finite positive slope.")
        if not np.isfinite(self.intercept):
            raise ValueError("The reporting scale needs a finite intercept.")

    def to_theta(self, reported: np.ndarray | float) -> np.ndarray:
        """θ of values on the reporting scale; any shape in, same shape out."""
        return (np.asarray(reported, dtype=float) - self.intercept) / self.slope

    def from_theta(self, theta: np.ndarray | float) -> np.ndarray:
        """Reporting-scale values of θ; any shape in, same shape out."""
        return self.slope * np.asarray(theta, dtype=float) + self.intercept


@dataclass(frozen=True, eq=False)
class GapAnalysis:
    """Competency gaps with their uncertainty; all arrays (n_employees, n_competencies), read-only.

    Attributes
    ----------
    required : ndarray
        Required level on the θ scale, broadcast to one row per employee; NaN = not required.
    gap : ndarray
        ``required - θ`` in logits (positive = below the requirement); NaN where θ was not measured
        or the competency is not required.
    z : ndarray
        ``gap / SE``, the one-sided test statistic.
    prob_below : ndarray
        Posterior probability that the true level is below the requirement, ``Φ(z)``.
    credible : ndarray of bool
        ``z > z_{1-α}``; False where NaN.
    credible_gap : ndarray
        ``gap`` where credible, 0 where not, NaN where not measured or not required.
    alpha : float
        One-sided significance level used.
    z_critical : float
        ``z_{1-α}``.
    """

    required: np.ndarray
    gap: np.ndarray
    z: np.ndarray
    prob_below: np.ndarray
    credible: np.ndarray
    credible_gap: np.ndarray
    alpha: float
    z_critical: float

    @property
    def measured(self) -> np.ndarray:
        """Bool (n_employees, n_competencies): the cell has a gap value (θ measured, level required)."""
        return ~np.isnan(self.gap)

    @property
    def shape(self) -> tuple[int, int]:
        """(n_employees, n_competencies)."""
        return self.gap.shape  # type: ignore[return-value]


def competency_gaps(
    required: np.ndarray | Sequence[float],
    theta: np.ndarray,
    se: np.ndarray,
    *,
    alpha: float = 0.05,
    scale: ReportingScale | None = None,
) -> GapAnalysis:
    """Gaps between required and measured competency levels, counted only where credible.

    With a normal approximation to the posterior of the true level, ``θ_true ~ N(θ̂, SE²)``
    (the usual large-sample result for maximum-likelihood or EAP estimates; Lord 1980;
    Bock & Mislevy 1982), the probability that the employee is truly below the requirement is
    ``Φ((required - θ̂) / SE)``. The gap counts as credible when the one-sided test of
    ``H0: θ_true >= required`` rejects at level α, i.e. ``(required - θ̂) / SE > z_{1-α}``.

    Parameters
    ----------
    required : array_like of shape (n_competencies,) or (n_employees, n_competencies)
        Required level per competency from the position profile(s); NaN = not required. On the θ
        scale, or on ``scale`` when given. A 1-D profile applies to every employee.
    theta : ndarray of shape (n_employees, n_competencies)
        Measured θ estimates; NaN = not measured.
    se : ndarray of shape (n_employees, n_competencies)
        Standard errors of ``theta``; must be positive where θ is measured (ignored where it is NaN).
    alpha : float, default 0.05
        One-sided significance level, in (0, 1).
    scale : ReportingScale, optional
        Scale ``required`` is written on; converted to θ before comparing.

    Returns
    -------
    GapAnalysis
        Gaps (logits), z statistics, ``P(true level < required)``, credibility flags and the
        credible-gap matrix, all (n_employees, n_competencies).

    Raises
    ------
    ValueError
        On mismatched shapes, a non-positive or non-finite SE where θ is measured, infinite θ or
        requirement, or α outside (0, 1).
    """
    theta = _float_array(theta, "theta", 2)
    se = _float_array(se, "se", 2)
    required = _float_array(required, "required")
    if se.shape != theta.shape:
        raise ValueError(f"se has shape {se.shape} but theta has shape {theta.shape}.")
    if required.ndim == 1:
        if required.shape[0] != theta.shape[1]:
            raise ValueError(f"required has {required.shape[0]} competencies but theta has {theta.shape[1]}.")
        required = np.broadcast_to(required, theta.shape)
    elif required.shape != theta.shape:
        raise ValueError(f"required has shape {required.shape} but theta has shape {theta.shape}.")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}.")
    if np.isinf(theta).any() or np.isinf(required).any():
        raise ValueError("theta and required must be finite or NaN (not infinite).")
    if scale is not None:
        required = scale.to_theta(required)
    measured = ~np.isnan(theta)
    se_measured = se[measured]
    if not np.all(np.isfinite(se_measured)) or np.any(se_measured <= 0):
        raise ValueError("Every measured θ needs a finite, positive standard error (no negative SE).")

    gap = required - theta
    safe_se = np.where(measured, se, 1.0)
    z = gap / safe_se
    prob_below = stats.norm.cdf(z)
    z_critical = float(stats.norm.ppf(1.0 - alpha))
    valid = ~np.isnan(gap)
    credible = valid & (np.nan_to_num(z, nan=-np.inf) > z_critical)
    credible_gap = np.where(credible, gap, np.where(valid, 0.0, np.nan))
    return GapAnalysis(
        required=readonly(required, copy=True),
        gap=readonly(gap, copy=True),
        z=readonly(z, copy=True),
        prob_below=readonly(prob_below, copy=True),
        credible=readonly(credible, copy=True),
        credible_gap=readonly(credible_gap, copy=True),
        alpha=float(alpha),
        z_critical=z_critical,
    )


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True, eq=False)
class TrainingCatalogue:
    """Training programmes, one entry per programme (arrays of length n_programmes).

    Parameters
    ----------
    names : sequence of str, length n_programmes
        Unique programme names.
    competencies : sequence of str, length n_competencies
        Competency names, in the column order of the gap matrices.
    effect : array_like of shape (n_programmes, n_competencies)
        Expected gain in θ (logits) per participant on each competency; 0 = not built; >= 0.
    mode : sequence of {"online", "classroom"}, length n_programmes
    hours : array_like of shape (n_programmes,)
        Duration in hours, > 0.
    capacity : array_like of int, shape (n_programmes,)
        Participants per run (cohort), >= 1.
    cost_per_run : array_like of shape (n_programmes,), default 0
        Fixed cost of holding one run (trainer, room).
    cost_per_participant : array_like of shape (n_programmes,), default 0
        Cost per participant (materials, travel, licence).
    max_runs : array_like of int, shape (n_programmes,), optional
        Most runs that can be held in the planning period; None = unlimited.
    orientation : str, optional
        Name of the orientation programme every new hire attends.
    """

    names: tuple[str, ...]
    competencies: tuple[str, ...]
    effect: np.ndarray
    mode: tuple[str, ...]
    hours: np.ndarray
    capacity: np.ndarray
    cost_per_run: np.ndarray | None = None
    cost_per_participant: np.ndarray | None = None
    max_runs: np.ndarray | None = None
    orientation: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        names = tuple(self.names)
        set_(self, "names", names)
        set_(self, "competencies", tuple(self.competencies))
        set_(self, "mode", tuple(self.mode))
        n_programmes = len(names)
        if n_programmes == 0:
            raise ValueError("The catalogue needs at least one programme.")
        if len(set(names)) != n_programmes or not all(isinstance(n, str) and n for n in names):
            raise ValueError("Programme names must be unique non-empty strings.")
        effect = _float_array(self.effect, "effect", 2)
        if effect.shape != (n_programmes, len(self.competencies)):
            raise ValueError(
                f"effect must have shape (n_programmes, n_competencies) = "
                f"({n_programmes}, {len(self.competencies)}), got {effect.shape}."
            )
        if not np.all(np.isfinite(effect)) or np.any(effect < 0):
            raise ValueError("Programme effects must be finite and non-negative.")
        set_(self, "effect", readonly(effect, copy=True))
        if len(self.mode) != n_programmes or any(m not in MODES for m in self.mode):
            raise ValueError(f"Each programme needs a mode out of {MODES}.")

        def column(value: object, name: str, default: float | None) -> np.ndarray | None:
            if value is None:
                if default is None:
                    return None
                value = np.full(n_programmes, default)
            array = _float_array(value, name, 1)
            if array.shape != (n_programmes,):
                raise ValueError(f"{name} must have one value per programme ({n_programmes}).")
            return array

        hours = column(self.hours, "hours", None)
        if hours is None or not np.all(np.isfinite(hours)) or np.any(hours <= 0):
            raise ValueError("Every programme needs a finite positive duration in hours.")
        capacity = column(self.capacity, "capacity", None)
        if (
            capacity is None
            or not np.all(np.isfinite(capacity))
            or np.any(capacity < 1)
            or np.any(capacity != np.round(capacity))
        ):
            raise ValueError("Every programme needs a whole-number capacity of at least 1 per run.")
        costs = {}
        for name in ("cost_per_run", "cost_per_participant"):
            cost = column(getattr(self, name), name, 0.0)
            if not np.all(np.isfinite(cost)) or np.any(cost < 0):
                raise ValueError(f"{name} must be finite and non-negative.")
            costs[name] = cost
        max_runs = column(self.max_runs, "max_runs", None)
        if max_runs is not None and (
            np.any(max_runs < 0) or np.any(np.isfinite(max_runs) & (max_runs != np.round(max_runs)))
        ):
            raise ValueError("max_runs must hold non-negative whole numbers (or inf).")
        if self.orientation is not None and self.orientation not in names:
            raise ValueError(f"The orientation programme {self.orientation!r} is not in the catalogue.")
        set_(self, "hours", readonly(hours, copy=True))
        set_(self, "capacity", readonly(capacity.astype(np.int64), copy=True))
        set_(self, "cost_per_run", readonly(costs["cost_per_run"], copy=True))
        set_(self, "cost_per_participant", readonly(costs["cost_per_participant"], copy=True))
        set_(self, "max_runs", None if max_runs is None else readonly(max_runs, copy=True))

    @property
    def n_programmes(self) -> int:
        """Number of programmes."""
        return len(self.names)

    @property
    def orientation_index(self) -> int | None:
        """Row of the orientation programme, or None."""
        return None if self.orientation is None else self.names.index(self.orientation)

    @property
    def unit_cost(self) -> np.ndarray:
        """Cost per participant with the run cost shared over a full run, shape (n_programmes,)."""
        return self.cost_per_participant + self.cost_per_run / self.capacity


def _gap_matrix(gaps: GapAnalysis | np.ndarray, n_competencies: int) -> np.ndarray:
    """Credible gaps as a float (n_employees, n_competencies) array with NaN -> 0."""
    matrix = gaps.credible_gap if isinstance(gaps, GapAnalysis) else _float_array(gaps, "gaps", 2)
    if matrix.ndim != 2 or matrix.shape[1] != n_competencies:
        raise ValueError(
            f"The gap matrix has shape {matrix.shape} but the catalogue has {n_competencies} competencies."
        )
    if np.any(matrix < 0):
        raise ValueError("Credible gaps must be non-negative (use GapAnalysis.credible_gap).")
    return np.nan_to_num(matrix, nan=0.0)


def _competency_weights(weights: object, n_competencies: int) -> np.ndarray:
    if weights is None:
        return np.ones(n_competencies)
    weights = _float_array(weights, "competency_weights", 1)
    if weights.shape != (n_competencies,) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"competency_weights must hold {n_competencies} finite non-negative values.")
    return weights


def _closed_per_competency(gaps: np.ndarray, effect: np.ndarray) -> np.ndarray:
    """Gap closed by one participant, shape (n_employees, n_programmes, n_competencies)."""
    return np.minimum(gaps[:, None, :], effect[None, :, :])


# --------------------------------------------------------------------------- individual plans


@dataclass(frozen=True)
class PlanItem:
    """One programme in an employee's development plan.

    Attributes
    ----------
    programme : str
    rank : int
        1 = first to attend.
    expected_gap_closed : float
        Weighted credible gap (logits) expected to close, given the programmes ranked before it.
    per_hour : float
        ``expected_gap_closed / hours``.
    unit_cost : float
        Cost per participant with the run cost shared over a full run.
    competencies : tuple of str
        Competencies with a credible gap this programme works on, largest contribution first.
    reason_code : str
        ``"orientation"`` or ``"closes_gap"``, for the web layer to translate.
    reason : str
        Plain English explanation.
    """

    programme: str
    rank: int
    expected_gap_closed: float
    per_hour: float
    unit_cost: float
    competencies: tuple[str, ...]
    reason_code: str
    reason: str


@dataclass(frozen=True)
class DevelopmentPlan:
    """Ordered development plan of one employee.

    Attributes
    ----------
    employee : int
        Row of the employee in the gap matrix.
    items : tuple of PlanItem
        Programmes in order of attendance.
    credible_gap_before : float
        Weighted sum of credible gaps before training.
    credible_gap_after : float
        Weighted sum expected to remain after the plan.
    """

    employee: int
    items: tuple[PlanItem, ...]
    credible_gap_before: float
    credible_gap_after: float


def development_plan(
    gaps: GapAnalysis | np.ndarray,
    catalogue: TrainingCatalogue,
    *,
    new_hire: np.ndarray | Sequence[bool] | bool = False,
    competency_weights: np.ndarray | Sequence[float] | None = None,
    priority: str = "per_hour",
    max_programmes: int = 3,
    min_gap_closed: float = 1e-9,
) -> tuple[DevelopmentPlan, ...]:
    """Prioritised programmes per employee, closing the largest credible gap per hour or per cost.

    Greedy in rounds, vectorised over employees: each round picks, per employee, the programme
    with the best score among those not yet chosen, then lowers the employee's remaining gaps by
    what it closes, so two programmes on the same competency are not counted twice. One
    participant of programme p closes ``Σ_k w_k min(remaining_gap_k, effect_pk)``. Scores:

    * ``"per_hour"``: gap closed / hours (time away from work is the scarce resource);
    * ``"per_cost"``: gap closed / unit cost (zero-cost programmes rank by gap closed, first);
    * ``"total"``: gap closed.

    New hires get the catalogue's orientation programme first regardless of gaps. Greedy
    ordering by benefit per unit of resource is the classic ratio rule for the knapsack
    relaxation (Dantzig 1957); it orders a plan, it does not optimise a budget (see
    :func:`cohort_plan`).

    Parameters
    ----------
    gaps : GapAnalysis or ndarray of shape (n_employees, n_competencies)
        Credible gaps (``GapAnalysis.credible_gap``; NaN is treated as no gap).
    catalogue : TrainingCatalogue
    new_hire : bool or array_like of bool, shape (n_employees,), default False
        Employees who must attend orientation.
    competency_weights : array_like of shape (n_competencies,), optional
        Importance of each competency; default 1.
    priority : {"per_hour", "per_cost", "total"}
    max_programmes : int, default 3
        Most programmes per plan besides orientation.
    min_gap_closed : float
        A programme closing less than this is not proposed.

    Returns
    -------
    tuple of DevelopmentPlan, length n_employees
        In row order; an employee with no credible gap gets only orientation (if a new hire).

    Raises
    ------
    ValueError
        On mismatched shapes, an unknown priority, ``max_programmes < 0``, or new hires without an
        orientation programme in the catalogue.
    """
    if priority not in PRIORITIES:
        raise ValueError(f"priority must be one of {PRIORITIES}, got {priority!r}.")
    if max_programmes < 0:
        raise ValueError("max_programmes must be non-negative.")
    k = len(catalogue.competencies)
    remaining = _gap_matrix(gaps, k)
    weights = _competency_weights(competency_weights, k)
    n = remaining.shape[0]
    new_hire = (
        np.broadcast_to(np.asarray(new_hire, dtype=bool), (n,))
        if np.ndim(new_hire) == 0
        else (np.asarray(new_hire, dtype=bool))
    )
    if new_hire.shape != (n,):
        raise ValueError(f"new_hire must have one flag per employee ({n}), got shape {new_hire.shape}.")
    orientation = catalogue.orientation_index
    if new_hire.any() and orientation is None:
        raise ValueError("New hires need an orientation programme: set TrainingCatalogue.orientation.")

    effect, hours, unit_cost = catalogue.effect, catalogue.hours, catalogue.unit_cost
    before = remaining @ weights
    n_programmes = catalogue.n_programmes
    chosen = np.zeros((n, n_programmes), dtype=bool)
    rows = np.arange(n)
    picks: list[np.ndarray] = []  # per round: programme per employee, -1 = none
    closed_rounds: list[np.ndarray] = []
    contrib_rounds: list[np.ndarray] = []

    def take(pick: np.ndarray) -> None:
        has = pick >= 0
        safe = np.where(has, pick, 0)
        contribution = np.minimum(remaining, effect[safe]) * has[:, None]
        remaining[...] = remaining - contribution
        chosen[rows[has], pick[has]] = True
        picks.append(pick)
        closed_rounds.append(contribution @ weights)
        contrib_rounds.append(contribution * weights)

    if orientation is not None:
        take(np.where(new_hire, orientation, -1))
    for _ in range(max_programmes):
        closed = _closed_per_competency(remaining, effect) @ weights  # (n, P)
        if priority == "per_hour":
            score = closed / hours
        elif priority == "per_cost":
            # Free programmes first (by gap closed), then by gap per unit of cost.
            score = np.where(unit_cost > 0, closed / np.where(unit_cost > 0, unit_cost, 1.0), closed * 1e12)
        else:
            score = closed.copy()
        score[chosen | (closed < min_gap_closed)] = -np.inf
        pick = np.argmax(score, axis=1)
        pick = np.where(np.isfinite(score[rows, pick]), pick, -1)
        if not (pick >= 0).any():
            break
        take(pick)

    after = remaining @ weights
    plans = []
    for i in range(n):
        items: list[PlanItem] = []
        for round_, (pick, closed_i, contrib) in enumerate(zip(picks, closed_rounds, contrib_rounds, strict=True)):
            p = int(pick[i])
            if p < 0:
                continue
            gain = float(closed_i[i])
            order = np.argsort(-contrib[i], kind="stable")
            built = tuple(catalogue.competencies[c] for c in order if contrib[i, c] > 0)
            per_hour = gain / float(hours[p])
            if orientation is not None and round_ == 0:
                code = "orientation"
                reason = "Orientation is required for every new hire"
                reason += f"; it also closes {gain:.2f} logits of credible gap." if gain > 0 else "."
            else:
                code = "closes_gap"
                reason = (
                    f"Closes an expected {gain:.2f} logits of credible gap in {', '.join(built)} "
                    f"({per_hour:.3f} per hour over {hours[p]:g} h, {catalogue.mode[p]}, "
                    f"unit cost {unit_cost[p]:,.0f})."
                )
            items.append(
                PlanItem(
                    programme=catalogue.names[p],
                    rank=len(items) + 1,
                    expected_gap_closed=gain,
                    per_hour=per_hour,
                    unit_cost=float(unit_cost[p]),
                    competencies=built,
                    reason_code=code,
                    reason=reason,
                )
            )
        plans.append(DevelopmentPlan(i, tuple(items), float(before[i]), float(after[i])))
    return tuple(plans)


# --------------------------------------------------------------------------- cohort plan


@dataclass(frozen=True, eq=False)
class CohortPlan:
    """Which programmes to run, how often, and for whom, within a budget.

    Attributes
    ----------
    programmes : tuple of str, length n_programmes
    runs : ndarray of int, shape (n_programmes,)
        Runs (cohorts) to hold.
    participants : ndarray of int, shape (n_programmes,)
    assignment : ndarray of bool, shape (n_employees, n_programmes)
        ``assignment[i, p]``: employee i attends programme p.
    cost : ndarray of shape (n_programmes,)
        ``runs * cost_per_run + participants * cost_per_participant``.
    gap_closed : ndarray of shape (n_programmes,)
        Weighted credible gap closed by each programme's participants (additive model).
    total_cost : float
    total_gap_closed : float
    budget : float
    optimal : bool
        False when the solver stopped at its time limit with a feasible plan.
    mip_gap : float
        Relative optimality gap reported by the solver.
    """

    programmes: tuple[str, ...]
    runs: np.ndarray
    participants: np.ndarray
    assignment: np.ndarray
    cost: np.ndarray
    gap_closed: np.ndarray
    total_cost: float
    total_gap_closed: float
    budget: float
    optimal: bool
    mip_gap: float

    def participants_of(self, programme: str) -> np.ndarray:
        """Rows of the employees attending ``programme``, shape (n_participants,)."""
        return np.flatnonzero(self.assignment[:, self.programmes.index(programme)])

    def rows(self) -> list[dict[str, object]]:
        """One plain dict per programme run at least once, for CSV/XLSX export."""
        return [
            {
                "programme": name,
                "runs": int(self.runs[p]),
                "participants": int(self.participants[p]),
                "cost": float(self.cost[p]),
                "gap_closed": float(self.gap_closed[p]),
            }
            for p, name in enumerate(self.programmes)
            if self.runs[p] > 0
        ]


def cohort_plan(
    gaps: GapAnalysis | np.ndarray,
    catalogue: TrainingCatalogue,
    budget: float,
    *,
    competency_weights: np.ndarray | Sequence[float] | None = None,
    employee_weights: np.ndarray | Sequence[float] | None = None,
    must_attend: np.ndarray | None = None,
    max_programmes_per_employee: int | None = None,
    time_limit: float = 30.0,
    mip_rel_gap: float = 1e-4,
) -> CohortPlan:
    """Training plan that closes the most weighted credible gap within a budget (MILP).

    Formulation. Let ``g_ik`` be employee i's credible gap on competency k, ``e_pk`` the effect of
    programme p, ``w_k`` competency weights and ``v_i`` employee weights. The benefit of sending
    i to p is ``b_ip = v_i Σ_k w_k min(g_ik, e_pk)``. Variables: ``x_ip ∈ {0, 1}`` (i attends p;
    at most once per programme) and ``r_p ∈ {0, 1, ..., R_p}`` (runs of p, integer)::

        maximise    Σ_ip b_ip x_ip
        subject to  Σ_i x_ip - C_p r_p <= 0                        for each p  (capacity)
                    Σ_p F_p r_p + Σ_ip c_p x_ip <= budget                       (budget)
                    Σ_p x_ip <= m                                  for each i  (optional)
                    x_ip = 1                          where must_attend[i, p]   (e.g. orientation)

    with ``C_p`` the run capacity, ``F_p`` the cost per run, ``c_p`` the cost per participant and
    ``m = max_programmes_per_employee``. Only pairs with ``b_ip > 0`` (or forced) get a variable,
    so employees without credible gaps cost the solver nothing. Benefits of different
    programmes add up (each capped at the gap); two programmes on the same competency can
    therefore count more than the gap itself -- limit ``m`` or the catalogue where that matters.
    Without ``m`` the relaxation is nearly integral (only the budget and capacity rows couple the
    variables) and 2,000 employees x 20 programmes solve in about a second; the per-employee rows
    make the problem markedly harder (10-30 s at that size in our trials), so ``time_limit``
    then matters and ``CohortPlan.optimal`` tells whether it was reached.
    The problem is solved by HiGHS through ``scipy.optimize.milp`` (Huangfu & Hall 2018); after
    solving, runs are trimmed to ``ceil(participants / C_p)`` so no empty run is paid for.

    Parameters
    ----------
    gaps : GapAnalysis or ndarray of shape (n_employees, n_competencies)
        Credible gaps; NaN = no gap.
    catalogue : TrainingCatalogue
    budget : float
        Money available, >= 0.
    competency_weights : array_like of shape (n_competencies,), optional
    employee_weights : array_like of shape (n_employees,), optional
        E.g. larger for new hires or critical positions; default 1, must be >= 0.
    must_attend : ndarray of bool, shape (n_employees, n_programmes), optional
        Forced assignments (new hires to orientation).
    max_programmes_per_employee : int, optional
    time_limit : float, default 30
        Seconds the solver may use.
    mip_rel_gap : float, default 1e-4
        Relative optimality gap at which the solver stops.

    Returns
    -------
    CohortPlan

    Raises
    ------
    ValueError
        On a negative budget, mismatched shapes, negative weights, or an infeasible problem
        (forced assignments that exceed the budget, ``max_runs`` or the per-employee limit).
    """
    if not np.isfinite(budget) or budget < 0:
        raise ValueError(f"The budget must be finite and non-negative, got {budget}.")
    k = len(catalogue.competencies)
    g = _gap_matrix(gaps, k)
    n, n_programmes = g.shape[0], catalogue.n_programmes
    weights = _competency_weights(competency_weights, k)
    v = np.ones(n) if employee_weights is None else _float_array(employee_weights, "employee_weights", 1)
    if v.shape != (n,) or not np.all(np.isfinite(v)) or np.any(v < 0):
        raise ValueError(f"employee_weights must hold {n} finite non-negative values.")
    forced = np.zeros((n, n_programmes), dtype=bool) if must_attend is None else np.asarray(must_attend, bool)
    if forced.shape != (n, n_programmes):
        raise ValueError(f"must_attend must have shape ({n}, {n_programmes}), got {forced.shape}.")
    if max_programmes_per_employee is not None:
        if max_programmes_per_employee < 0:
            raise ValueError("max_programmes_per_employee must be non-negative.")
        if np.any(forced.sum(axis=1) > max_programmes_per_employee):
            raise ValueError("Infeasible: an employee is forced into more programmes than allowed.")

    capacity = catalogue.capacity.astype(float)
    run_cost, part_cost = catalogue.cost_per_run, catalogue.cost_per_participant
    max_runs = np.full(n_programmes, np.inf) if catalogue.max_runs is None else catalogue.max_runs
    forced_count = forced.sum(axis=0)
    min_runs = np.ceil(forced_count / capacity)
    if np.any(min_runs > max_runs):
        raise ValueError("Infeasible: forced participants need more runs than max_runs allows.")
    forced_cost = float(min_runs @ run_cost + forced_count @ part_cost)
    if forced_cost > budget * (1 + 1e-12):
        raise ValueError(
            f"Infeasible: the forced assignments alone cost {forced_cost:,.2f}, above the budget {budget:,.2f}."
        )

    benefit = (_closed_per_competency(g, catalogue.effect) @ weights) * v[:, None]  # (n, P)
    candidate = (benefit > 0) | forced
    emp, prog = np.nonzero(candidate)
    m = emp.size
    n_vars = m + n_programmes
    objective = np.concatenate([-benefit[emp, prog], np.zeros(n_programmes)])
    lower = np.concatenate([forced[emp, prog].astype(float), np.zeros(n_programmes)])
    upper = np.concatenate([np.ones(m), max_runs])
    var_index = np.arange(m)

    # Capacity rows: Σ_i x_ip - C_p r_p <= 0.
    cap_rows = sparse.csr_array(
        (
            np.concatenate([np.ones(m), -capacity]),
            (
                np.concatenate([prog, np.arange(n_programmes)]),
                np.concatenate([var_index, m + np.arange(n_programmes)]),
            ),
        ),
        shape=(n_programmes, n_vars),
    )
    budget_row = sparse.csr_array(np.concatenate([part_cost[prog], run_cost])[None, :])
    blocks = [cap_rows, budget_row]
    upper_bounds = [np.zeros(n_programmes), np.array([budget])]
    if max_programmes_per_employee is not None:
        blocks.append(sparse.csr_array((np.ones(m), (emp, var_index)), shape=(n, n_vars)))
        upper_bounds.append(np.full(n, float(max_programmes_per_employee)))
    a_matrix = sparse.vstack(blocks, format="csr")
    ub = np.concatenate(upper_bounds)
    constraints = optimize.LinearConstraint(a_matrix, -np.inf, ub)
    result = optimize.milp(
        objective,
        integrality=np.ones(n_vars),
        bounds=optimize.Bounds(lower, upper),
        constraints=constraints,
        options={"time_limit": float(time_limit), "mip_rel_gap": float(mip_rel_gap), "presolve": True},
    )
    if result.x is None:
        if result.status == 2:
            raise ValueError("Infeasible: no plan satisfies the budget, capacities and forced assignments.")
        raise ValueError(f"The solver found no plan: {result.message}")

    attend = result.x[:m] > 0.5
    assignment = np.zeros((n, n_programmes), dtype=bool)
    assignment[emp[attend], prog[attend]] = True
    participants = assignment.sum(axis=0).astype(np.int64)
    runs = np.ceil(participants / capacity).astype(np.int64)
    cost = runs * run_cost + participants * part_cost
    gap_closed = np.where(assignment, benefit, 0.0).sum(axis=0)
    mip_gap = getattr(result, "mip_gap", np.nan)
    return CohortPlan(
        programmes=catalogue.names,
        runs=readonly(runs, copy=True),
        participants=readonly(participants, copy=True),
        assignment=readonly(assignment, copy=True),
        cost=readonly(cost, copy=True),
        gap_closed=readonly(gap_closed, copy=True),
        total_cost=float(cost.sum()),
        total_gap_closed=float(gap_closed.sum()),
        budget=float(budget),
        optimal=result.status == 0,
        mip_gap=float(mip_gap if mip_gap is not None else np.nan),
    )


# --------------------------------------------------------------------------- cohort views


@dataclass(frozen=True, eq=False)
class GapHeatmap:
    """Gaps aggregated by group; 2-D arrays are (n_groups, n_competencies), read-only.

    Attributes
    ----------
    groups : ndarray of shape (n_groups,)
        Group labels (rows of the heat map).
    competencies : tuple of str or None
        Column labels, if given.
    mean_gap : ndarray
        Mean of ``required - θ`` over measured employees of the group; NaN if none.
    mean_credible_gap : ndarray
        Mean credible gap (0 where not credible); NaN if none measured.
    credible_share : ndarray
        Share of measured employees with a credible gap; NaN if none measured.
    n_measured : ndarray of int
        Employees of the group with a gap value on the competency.
    n_employees : ndarray of int, shape (n_groups,)
    """

    groups: np.ndarray
    competencies: tuple[str, ...] | None
    mean_gap: np.ndarray
    mean_credible_gap: np.ndarray
    credible_share: np.ndarray
    n_measured: np.ndarray
    n_employees: np.ndarray


def aggregate_gaps(
    gaps: GapAnalysis,
    groups: np.ndarray | Sequence[object],
    *,
    labels: np.ndarray | Sequence[object] | None = None,
    competencies: Sequence[str] | None = None,
) -> GapHeatmap:
    """Mean gap and share of credible gaps per group (unit, region or position), for a heat map.

    Parameters
    ----------
    gaps : GapAnalysis
        From :func:`competency_gaps`, (n_employees, n_competencies).
    groups : array_like of shape (n_employees,)
        Group label of each employee. For a combined key (unit x position) pass joined strings.
    labels : array_like of shape (n_groups,), optional
        Row order of the heat map; groups absent from ``groups`` get NaN rows and zero counts.
        Default: the sorted distinct labels.
    competencies : sequence of str, optional
        Column names, carried into the result.

    Returns
    -------
    GapHeatmap

    Raises
    ------
    ValueError
        If ``groups`` does not have one label per employee, an employee's group is missing from
        ``labels``, ``labels`` repeats a value, or there are no employees.
    """
    group_array = np.asarray(groups)
    n, k = gaps.shape
    if n == 0:
        raise ValueError("There are no employees to aggregate.")
    if group_array.shape != (n,):
        raise ValueError(f"groups must have one label per employee ({n}), got shape {group_array.shape}.")
    if competencies is not None and len(competencies) != k:
        raise ValueError(f"competencies must name the {k} columns.")
    if labels is None:
        label_array, index = np.unique(group_array, return_inverse=True)
    else:
        label_array = np.asarray(labels)
        if label_array.ndim != 1 or np.unique(label_array).size != label_array.size:
            raise ValueError("labels must be a 1-D sequence without repeats.")
        order = np.argsort(label_array, kind="stable")
        position = np.searchsorted(label_array[order], group_array)
        position = np.clip(position, 0, label_array.size - 1)
        if label_array.size == 0 or np.any(label_array[order][position] != group_array):
            raise ValueError("Some employees belong to a group that is not in labels.")
        index = order[position]
    n_groups = label_array.size
    measured = gaps.measured
    one_hot = sparse.csr_array((np.ones(n), (index, np.arange(n))), shape=(n_groups, n))
    n_measured = (one_hot @ measured.astype(float)).round().astype(np.int64)
    gap_sum = one_hot @ np.where(measured, gaps.gap, 0.0)
    credible_sum = one_hot @ np.where(measured, gaps.credible_gap, 0.0)
    credible_count = one_hot @ gaps.credible.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        denominator = np.where(n_measured > 0, n_measured, np.nan)
        mean_gap = gap_sum / denominator
        mean_credible = credible_sum / denominator
        share = credible_count / denominator
    return GapHeatmap(
        groups=readonly(label_array, copy=True),
        competencies=None if competencies is None else tuple(competencies),
        mean_gap=readonly(mean_gap, copy=True),
        mean_credible_gap=readonly(mean_credible, copy=True),
        credible_share=readonly(share, copy=True),
        n_measured=readonly(n_measured, copy=True),
        n_employees=readonly(np.bincount(index, minlength=n_groups), copy=True),
    )


# --------------------------------------------------------------------------- nine-box

#: Box code and English label by (performance level, potential level); 0 = low, 2 = high.
BOX_LABELS: dict[tuple[int, int], tuple[str, str]] = {
    (0, 0): ("underperformer", "Underperformer"),
    (1, 0): ("effective", "Effective"),
    (2, 0): ("trusted_professional", "Trusted professional"),
    (0, 1): ("inconsistent", "Inconsistent player"),
    (1, 1): ("core_player", "Core player"),
    (2, 1): ("high_performer", "High performer"),
    (0, 2): ("enigma", "Enigma (potential not yet shown)"),
    (1, 2): ("growth", "Growth employee"),
    (2, 2): ("star", "Star"),
}
LEVEL_NAMES = ("low", "mid", "high")


@dataclass(frozen=True, eq=False)
class NineBox:
    """Talent map of performance x potential; per-employee arrays have shape (n_employees,).

    Attributes
    ----------
    performance_level, potential_level : ndarray of int
        0 = low, 1 = mid, 2 = high; -1 where the input is NaN.
    box : ndarray of int
        ``1 + performance_level + 3 * potential_level`` (1 = low/low ... 9 = high/high); 0 = missing.
    box_code : tuple of str
        Code of :data:`BOX_LABELS` (``"insufficient_data"`` where missing).
    label : tuple of str
    recommendation : tuple of str
        ``"further_education"``, ``"coaching"`` (pembinaan), ``"develop_in_role"`` or
        ``"insufficient_data"``.
    reason : tuple of str
        Plain English reason quoting the values and cut points.
    performance_cuts, potential_cuts : tuple of float
        (low/mid, mid/high) boundaries; a value equal to a cut goes to the higher level.
    counts : ndarray of int, shape (3, 3)
        ``counts[potential_level, performance_level]``, for the chart (row 0 = low potential).
    """

    performance_level: np.ndarray
    potential_level: np.ndarray
    box: np.ndarray
    box_code: tuple[str, ...]
    label: tuple[str, ...]
    recommendation: tuple[str, ...]
    reason: tuple[str, ...]
    performance_cuts: tuple[float, float]
    potential_cuts: tuple[float, float]
    counts: np.ndarray


def competency_potential(theta: np.ndarray, weights: np.ndarray | Sequence[float] | None = None) -> np.ndarray:
    """Competency potential as the weighted mean θ over measured competencies.

    Parameters
    ----------
    theta : ndarray of shape (n_employees, n_competencies)
        NaN = not measured.
    weights : array_like of shape (n_competencies,), optional
        Non-negative; default equal.

    Returns
    -------
    ndarray of shape (n_employees,)
        NaN for an employee with no measured competency.
    """
    theta = _float_array(theta, "theta", 2)
    w = _competency_weights(weights, theta.shape[1])
    measured = ~np.isnan(theta)
    total = measured.astype(float) @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.where(measured, theta, 0.0) @ w / np.where(total > 0, total, 1.0), np.nan)


def _cuts(values: np.ndarray, cuts: Sequence[float] | None, name: str) -> tuple[float, float]:
    if cuts is None:
        finite = values[~np.isnan(values)]
        if finite.size == 0:
            raise ValueError(f"No {name} values to derive tertiles from.")
        low, high = np.quantile(finite, [1 / 3, 2 / 3])
        return float(low), float(high)
    cuts = tuple(float(c) for c in cuts)
    if len(cuts) != 2 or not all(np.isfinite(cuts)) or cuts[0] > cuts[1]:
        raise ValueError(f"{name}_cuts must be two finite increasing values (low/mid, mid/high).")
    return cuts  # type: ignore[return-value]


def nine_box(
    performance: np.ndarray | Sequence[float],
    potential: np.ndarray | Sequence[float],
    *,
    performance_cuts: Sequence[float] | None = None,
    potential_cuts: Sequence[float] | None = None,
    top_boxes: Sequence[tuple[int, int]] = ((2, 2),),
    bottom_boxes: Sequence[tuple[int, int]] = ((0, 0),),
) -> NineBox:
    """Nine-box talent map (performance x potential) with a recommendation per employee.

    Each axis is split into low / mid / high at two cut points (default: the sample tertiles);
    a value equal to a cut goes up. The grid adapts the GE-McKinsey portfolio matrix, as HR
    talent reviews commonly do; in the civil service the top boxes are
    proposed for further education (pendidikan lanjutan) and the bottom boxes for coaching
    (pembinaan), the rest for development in the current role.

    Parameters
    ----------
    performance : array_like of shape (n_employees,)
        Performance rating (e.g. combined supervisor and community score); NaN = not rated.
    potential : array_like of shape (n_employees,)
        Competency potential, e.g. :func:`competency_potential`; NaN = not measured.
    performance_cuts, potential_cuts : (float, float), optional
        Boundaries low/mid and mid/high; default the tertiles of the non-missing values.
    top_boxes, bottom_boxes : sequence of (performance_level, potential_level)
        Boxes recommended for further education / coaching; levels 0 = low, 1 = mid, 2 = high.

    Returns
    -------
    NineBox

    Raises
    ------
    ValueError
        On arrays of different shapes, bad cut points, boxes outside 0..2, or a box listed as both
        top and bottom.
    """
    perf = _float_array(performance, "performance", 1)
    pot = _float_array(potential, "potential", 1)
    if perf.shape != pot.shape:
        raise ValueError(f"performance has shape {perf.shape} but potential has shape {pot.shape}.")
    top, bottom = {tuple(b) for b in top_boxes}, {tuple(b) for b in bottom_boxes}
    if any(len(b) != 2 or not all(level in (0, 1, 2) for level in b) for b in top | bottom):
        raise ValueError("Boxes are (performance_level, potential_level) pairs with levels 0, 1 or 2.")
    if top & bottom:
        raise ValueError("A box cannot be both a top and a bottom box.")
    perf_cuts = _cuts(perf, performance_cuts, "performance")
    pot_cuts = _cuts(pot, potential_cuts, "potential")
    missing = np.isnan(perf) | np.isnan(pot)
    perf_level = np.where(missing, -1, np.digitize(perf, perf_cuts))
    pot_level = np.where(missing, -1, np.digitize(pot, pot_cuts))
    box = np.where(missing, 0, 1 + perf_level + 3 * pot_level)
    counts = np.zeros((3, 3), dtype=np.int64)
    np.add.at(counts, (pot_level[~missing], perf_level[~missing]), 1)

    def describe(value: float, level: int, cuts: tuple[float, float], what: str) -> str:
        if level == 2:
            return f"{what} {value:.2f} is high (at or above {cuts[1]:.2f})"
        if level == 0:
            return f"{what} {value:.2f} is low (below {cuts[0]:.2f})"
        return f"{what} {value:.2f} is mid ({cuts[0]:.2f} to below {cuts[1]:.2f})"

    codes, labels, recommendations, reasons = [], [], [], []
    for i in range(perf.size):
        if missing[i]:
            absent = "performance rating" if np.isnan(perf[i]) else "competency measurement"
            codes.append("insufficient_data")
            labels.append("Not placed")
            recommendations.append("insufficient_data")
            reasons.append(f"No {absent}; the employee cannot be placed on the map.")
            continue
        key = (int(perf_level[i]), int(pot_level[i]))
        code, label = BOX_LABELS[key]
        facts = (
            f"{describe(perf[i], key[0], perf_cuts, 'Performance')} and "
            f"{describe(pot[i], key[1], pot_cuts, 'potential')}"
        )
        if key in top:
            recommendation, advice = "further_education", "further education is recommended"
        elif key in bottom:
            recommendation, advice = "coaching", "coaching (pembinaan) is recommended"
        else:
            recommendation, advice = "develop_in_role", "development in the current role is recommended"
        codes.append(code)
        labels.append(label)
        recommendations.append(recommendation)
        reasons.append(f"{facts} ({label}): {advice}.")
    return NineBox(
        performance_level=readonly(perf_level, copy=True),
        potential_level=readonly(pot_level, copy=True),
        box=readonly(box, copy=True),
        box_code=tuple(codes),
        label=tuple(labels),
        recommendation=tuple(recommendations),
        reason=tuple(reasons),
        performance_cuts=perf_cuts,
        potential_cuts=pot_cuts,
        counts=readonly(counts, copy=True),
    )
