"""Automated assembly of parallel fixed forms by mixed-integer programming.

The model follows van der Linden (2005), *Linear Models for Optimal Test Design*, ch. 6
(simultaneous assembly of multiple forms, minimax deviation from a target information function):

    variables   x[i, f] ∈ {0, 1}   item i on form f;   y ≥ 0
    minimise    y
    subject to  Σ_f x[i, f] ≤ 1                          every item on at most one form
                Σ_{i ∈ S_s} x[i, f] = n_s               section counts of the blueprint, per form
                |Σ_i I_i(θ_k) x[i, f] - T_k| ≤ y        every form close to the target at every θ_k

The target T_k is the pool's mean information at θ_k times the form length, a target every form
can reach when the pool is large enough; minimising the largest deviation makes the forms
parallel in information, hence in measurement precision, across the ability range. Solved with
HiGHS through ``scipy.optimize.milp``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array, vstack

from itembank.refusal import Refusal


@dataclass(frozen=True)
class AssembledForms:
    """Result of an assembly.

    Attributes
    ----------
    forms : list of ndarray of int
        For each form, the pool indices of its items, grouped by section in blueprint order.
    information : ndarray of shape (n_forms, n_theta)
        Test information of each form at each θ point.
    target : ndarray of shape (n_theta,)
        The target information function.
    max_deviation : float
        The largest distance of any form from the target at any θ point.
    proved_optimal : bool
        Whether the solver proved no better assembly exists; otherwise it stopped at the time
        limit with the best assembly found (the LP bound of minimax problems is weak, so proof
        often takes long while the solution found early is already close to the target).
    """

    forms: list[np.ndarray]
    information: np.ndarray
    target: np.ndarray
    max_deviation: float
    proved_optimal: bool


def assemble_parallel_forms(
    information: np.ndarray,
    section_of_item: np.ndarray,
    section_counts: list[int] | np.ndarray,
    n_forms: int,
    *,
    time_limit: float = 5.0,
    node_limit: int | None = None,
) -> AssembledForms:
    """Assemble ``n_forms`` parallel forms from an item pool.

    Parameters
    ----------
    information : ndarray of shape (n_items, n_theta)
        Fisher information of every pool item at the θ points of interest.
    section_of_item : ndarray of int, shape (n_items,)
        The blueprint section each item can fill, or -1 for an item no section can use.
    section_counts : sequence of int, length n_sections
        How many items each section needs on every form.
    n_forms : int
        Number of forms (at least 1).
    time_limit : float
        Seconds given to the solver. A search stopped by the clock ends wherever the machine's load
        let it get, so the same pool can give other forms from one run to the next.
    node_limit : int, optional
        Branch-and-bound nodes given to the solver: a stop that does not depend on the machine's
        speed, so the same pool always gives the same forms (the demo's seed relies on it).

    Returns
    -------
    AssembledForms

    Raises
    ------
    Refusal
        ``pool_too_small`` (with ``section`` and ``needed``/``available``) when a section has
        fewer eligible items than ``n_forms`` times its count; ``infeasible`` if the solver
        finds no solution in time.
    """
    information = np.asarray(information, dtype=float)
    section_of_item = np.asarray(section_of_item, dtype=int)
    counts = np.asarray(section_counts, dtype=int)
    n_items, n_theta = information.shape
    if n_forms < 1 or counts.size == 0 or np.any(counts < 1):
        raise Refusal("item.bad_request")
    for section, count in enumerate(counts):
        available = int(np.sum(section_of_item == section))
        if available < count * n_forms:
            raise Refusal("item.pool_too_small", section=section, needed=int(count * n_forms), available=available)

    usable = np.flatnonzero(section_of_item >= 0)
    info = information[usable]
    sections = section_of_item[usable]
    m = usable.size
    n_vars = m * n_forms + 1  # x[i, f] at i * n_forms + f, then y
    y = n_vars - 1
    target = info.mean(axis=0) * counts.sum()

    rows, cols, vals, lower, upper = [], [], [], [], []
    row = 0

    def add(coefficients: list[tuple[int, float]], lo: float, hi: float) -> None:
        nonlocal row
        for col, val in coefficients:
            rows.append(row)
            cols.append(col)
            vals.append(val)
        lower.append(lo)
        upper.append(hi)
        row += 1

    for i in range(m):  # each item on at most one form
        add([(i * n_forms + f, 1.0) for f in range(n_forms)], 0.0, 1.0)
    for f in range(n_forms):
        for section, count in enumerate(counts):
            members = np.flatnonzero(sections == section)
            add([(i * n_forms + f, 1.0) for i in members], count, count)
        for k in range(n_theta):
            terms = [(i * n_forms + f, info[i, k]) for i in range(m)]
            add([*terms, (y, -1.0)], -np.inf, target[k])  # Σ I x - y ≤ T
            add([*terms, (y, 1.0)], target[k], np.inf)  # Σ I x + y ≥ T
    matrix = coo_array((vals, (rows, cols)), shape=(row, n_vars)).tocsr()
    cost = np.zeros(n_vars)
    cost[y] = 1.0
    integrality = np.ones(n_vars)
    integrality[y] = 0
    bounds = Bounds(np.zeros(n_vars), np.r_[np.ones(n_vars - 1), np.inf])
    result = milp(
        cost,
        constraints=LinearConstraint(vstack([matrix]), lower, upper),
        integrality=integrality,
        bounds=bounds,
        options={"time_limit": time_limit, "disp": False}
        | ({"node_limit": node_limit} if node_limit is not None else {}),
    )
    if result.x is None:
        raise Refusal("item.infeasible")
    chosen = np.round(result.x[:-1]).astype(int).reshape(m, n_forms)
    forms = []
    for f in range(n_forms):
        picked = np.flatnonzero(chosen[:, f])
        order = np.argsort(sections[picked], kind="stable")
        forms.append(usable[picked[order]])
    form_info = np.array([information[form].sum(axis=0) for form in forms])
    deviation = float(np.max(np.abs(form_info - target)))
    return AssembledForms(forms, form_info, target, deviation, bool(result.status == 0))
