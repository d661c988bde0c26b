"""Individual development plans: programmes per employee, ordered by credible gap closed per resource."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..arrays import BoolArray
from .catalogue import TrainingCatalogue, closed_per_competency, gap_matrix
from .gaps import GapAnalysis, competency_weight_vector

__all__ = ["PRIORITIES", "DevelopmentPlan", "PlanItem", "development_plan"]

PRIORITIES = ("per_hour", "per_cost", "total")


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
        ``"orientation"`` or ``"closes_gap"``; the web layer words the reason in the reader's
        language from it and the numbers above.
    """

    programme: str
    rank: int
    expected_gap_closed: float
    per_hour: float
    unit_cost: float
    competencies: tuple[str, ...]
    reason_code: str


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
    remaining = gap_matrix(gaps, k)
    weights = competency_weight_vector(competency_weights, k)
    n = remaining.shape[0]
    new_hire = _new_hire_flags(new_hire, n)
    orientation = catalogue.orientation_index
    if new_hire.any() and orientation is None:
        raise ValueError("New hires need an orientation programme: set TrainingCatalogue.orientation.")
    before = remaining @ weights
    rounds = _Rounds(remaining, weights, catalogue)
    if orientation is not None:
        rounds.take(np.where(new_hire, orientation, -1))
    for _ in range(max_programmes):
        pick = rounds.best(priority, min_gap_closed)
        if not (pick >= 0).any():
            break
        rounds.take(pick)
    after = remaining @ weights
    return tuple(
        DevelopmentPlan(i, rounds.items_of(i, orientation is not None), float(before[i]), float(after[i]))
        for i in range(n)
    )


def _new_hire_flags(new_hire: np.ndarray | Sequence[bool] | bool, n: int) -> BoolArray:
    """``new_hire`` as a bool array of shape (n,), a scalar applying to everyone."""
    flags = (
        np.broadcast_to(np.asarray(new_hire, dtype=bool), (n,))
        if np.ndim(new_hire) == 0
        else (np.asarray(new_hire, dtype=bool))
    )
    if flags.shape != (n,):
        raise ValueError(f"new_hire must have one flag per employee ({n}), got shape {flags.shape}.")
    return flags


class _Rounds:
    """The greedy rounds of :func:`development_plan`, vectorised over employees.

    ``remaining`` (n_employees, n_competencies) is lowered in place by what each round's pick
    closes; per round the pick (programme per employee, -1 = none), the weighted gap closed and the
    weighted contribution per competency are kept for the plan items.
    """

    def __init__(self, remaining: np.ndarray, weights: np.ndarray, catalogue: TrainingCatalogue) -> None:
        self.remaining, self.weights, self.catalogue = remaining, weights, catalogue
        n = remaining.shape[0]
        self.rows = np.arange(n)
        self.chosen = np.zeros((n, catalogue.n_programmes), dtype=bool)
        self.picks: list[np.ndarray] = []
        self.closed: list[np.ndarray] = []
        self.contributions: list[np.ndarray] = []

    def take(self, pick: np.ndarray) -> None:
        """Record a round: employee i attends programme ``pick[i]`` (-1 = none)."""
        has = pick >= 0
        safe = np.where(has, pick, 0)
        contribution = np.minimum(self.remaining, self.catalogue.effect[safe]) * has[:, None]
        self.remaining[...] = self.remaining - contribution
        self.chosen[self.rows[has], pick[has]] = True
        self.picks.append(pick)
        self.closed.append(contribution @ self.weights)
        self.contributions.append(contribution * self.weights)

    def best(self, priority: str, min_gap_closed: float) -> np.ndarray:
        """Per employee the best programme not yet chosen by ``priority``; -1 where none closes enough."""
        catalogue = self.catalogue
        closed = closed_per_competency(self.remaining, catalogue.effect) @ self.weights  # (n, P)
        if priority == "per_hour":
            score = closed / catalogue.hours
        elif priority == "per_cost":
            unit_cost = catalogue.unit_cost
            # Free programmes first (by gap closed), then by gap per unit of cost.
            score = np.where(unit_cost > 0, closed / np.where(unit_cost > 0, unit_cost, 1.0), closed * 1e12)
        else:
            score = closed.copy()
        score[self.chosen | (closed < min_gap_closed)] = -np.inf
        pick = np.argmax(score, axis=1)
        return np.where(np.isfinite(score[self.rows, pick]), pick, -1)

    def items_of(self, i: int, orientation_first: bool) -> tuple[PlanItem, ...]:
        """Plan items of employee ``i`` in the order taken; round 0 is orientation when it was taken."""
        catalogue = self.catalogue
        hours, unit_cost = catalogue.hours, catalogue.unit_cost
        items: list[PlanItem] = []
        for round_, (pick, closed, contribution) in enumerate(
            zip(self.picks, self.closed, self.contributions, strict=True)
        ):
            p = int(pick[i])
            if p < 0:
                continue
            gain = float(closed[i])
            order = np.argsort(-contribution[i], kind="stable")
            items.append(
                PlanItem(
                    programme=catalogue.names[p],
                    rank=len(items) + 1,
                    expected_gap_closed=gain,
                    per_hour=gain / float(hours[p]),
                    unit_cost=float(unit_cost[p]),
                    competencies=tuple(catalogue.competencies[c] for c in order if contribution[i, c] > 0),
                    reason_code="orientation" if orientation_first and round_ == 0 else "closes_gap",
                )
            )
        return tuple(items)
