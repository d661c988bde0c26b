"""The cohort plan: how many runs of each programme to hold and who attends, within a budget (MILP)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, sparse

from ..arrays import readonly
from .catalogue import TrainingCatalogue, closed_per_competency, gap_matrix
from .gaps import GapAnalysis, competency_weight_vector, float_array

__all__ = ["CohortPlan", "cohort_plan"]


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
    g = gap_matrix(gaps, k)
    n, n_programmes = g.shape[0], catalogue.n_programmes
    weights = competency_weight_vector(competency_weights, k)
    v = np.ones(n) if employee_weights is None else float_array(employee_weights, "employee_weights", 1)
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

    benefit = (closed_per_competency(g, catalogue.effect) @ weights) * v[:, None]  # (n, P)
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
