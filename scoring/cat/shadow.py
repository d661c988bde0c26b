"""Shadow-test assembly: the most informative full test that meets hard content constraints.

At each step a *shadow test* of the full length is assembled by mixed-integer programming
(van der Linden & Reese 1998; van der Linden 2005): it contains every item already given,
meets every constraint, and has maximum Fisher information at the current θ̂. The next item is
the most informative free item of the shadow test (or one chosen from its best free items by the
exposure rule). Because every shadow test is feasible, the delivered test meets every constraint.

Information is that of :func:`scoring.information.item_information` at the grid node nearest to
θ̂, for items with ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))`` (logistic metric, D = 1) or
GRM/GPCM items. The MILP is solved by HiGHS through :func:`scipy.optimize.milp`, one per person
and step; the content rule that runs it is :class:`scoring.cat.content.ShadowTest`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array, vstack

from scoring.arrays import BoolArray, FloatArray, IntArray

from .errors import CATError

__all__ = ["assemble_shadow_test"]


def assemble_shadow_test(
    information: np.ndarray,
    category: np.ndarray,
    need: np.ndarray,
    eligible: np.ndarray,
    *,
    enemies: Sequence[np.ndarray] = (),
) -> np.ndarray:
    """The free part of a shadow test: the most informative feasible set of remaining items.

    Maximises ``sum_j I_j x_j`` over binary ``x`` subject to ``sum_{j in c} x_j = need_c`` for
    every category and ``sum_{j in S} x_j <= 1`` for every enemy set ``S``.

    Parameters
    ----------
    information : ndarray of shape (n_items,)
        Item information at θ̂.
    category : ndarray of int, shape (n_items,)
    need : ndarray of int, shape (n_categories,)
        Items still to give per category.
    eligible : ndarray of bool, shape (n_items,)
        Items that may still be given (not administered, not excluded).
    enemies : sequence of int arrays
        Sets of bank positions of which at most one may be in the test (sets with an item
        already given should be passed with their remaining members and a capacity of 0, i.e.
        excluded from ``eligible`` by the caller).

    Returns
    -------
    ndarray of int
        Bank positions of the selected items, by decreasing information.

    Raises
    ------
    CATError
        When no feasible shadow test exists.
    """
    if int(need.sum()) == 0:
        return np.zeros(0, np.intp)
    information = np.asarray(information, float)
    items = _prune(information, category, need, eligible, enemies)
    n = items.shape[0]
    cats = np.flatnonzero(need > 0)
    col = np.searchsorted(cats, category[items])
    rows = [csr_array((np.ones(n), (col, np.arange(n))), shape=(cats.shape[0], n))]
    lo, hi = [need[cats].astype(float)], [need[cats].astype(float)]
    if enemies:
        where = np.full(category.shape[0], -1)
        where[items] = np.arange(n)
        r_idx, c_idx = [], []
        for r, group in enumerate(enemies):
            cols = where[np.asarray(group, dtype=np.intp)]
            cols = cols[cols >= 0]
            r_idx += [r] * cols.shape[0]
            c_idx += cols.tolist()
        rows.append(csr_array((np.ones(len(c_idx)), (r_idx, c_idx)), shape=(len(enemies), n)))
        lo.append(np.zeros(len(enemies)))
        hi.append(np.ones(len(enemies)))
    matrix = vstack(rows).tocsr()
    result = milp(
        -np.asarray(information, float)[items],
        constraints=LinearConstraint(matrix, np.concatenate(lo), np.concatenate(hi)),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
    )
    if result.status != 0 or result.x is None:
        short = {int(c): int(need[c]) for c in cats}
        raise CATError(f"No shadow test meets the constraints (items still needed per category: {short}).")
    chosen = items[np.asarray(result.x, dtype=float) > 0.5]
    return chosen[np.argsort(-information[chosen], kind="stable")]


def _prune(
    information: FloatArray, category: IntArray, need: IntArray, eligible: BoolArray, enemies: Sequence[IntArray]
) -> IntArray:
    """Items that can be in an optimal shadow test: per category the best ``need_c + e_c``.

    ``e_c`` is the number of eligible enemy-set members in category c. Exact by an exchange
    argument: an optimal test using an item below that rank leaves some better item of the same
    category unused that belongs to no enemy set, and swapping them keeps every constraint.
    """
    items = np.flatnonzero(eligible & (need[category] > 0))
    in_enemy = np.zeros(category.shape[0], bool)
    for group in enemies:
        in_enemy[np.asarray(group, dtype=np.intp)] = True
    order = np.lexsort((-information[items], category[items]))
    items = items[order]
    cats = category[items]
    start = np.searchsorted(cats, cats, side="left")
    rank = np.arange(items.shape[0]) - start
    extra = np.bincount(cats[in_enemy[items]], minlength=need.shape[0])
    return np.sort(items[rank < need[cats] + extra[cats]])
