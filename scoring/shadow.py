"""Shadow-test CAT: hard content constraints met by assembling a full test at every step.

At each step a *shadow test* of the full length is assembled by mixed-integer programming
(van der Linden & Reese 1998; van der Linden 2005): it contains every item already given,
meets every constraint, and has maximum Fisher information at the current θ̂. The next item is
the most informative free item of the shadow test (or one chosen from its best free items by the
exposure rule). Because every shadow test is feasible, the delivered test meets every constraint.

Information is that of :func:`scoring.information.item_information` at the grid node nearest to
θ̂, for items with ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))`` (logistic metric, D = 1) or
GRM/GPCM items. The MILP is solved by HiGHS through :func:`scipy.optimize.milp`, one per person
and step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array, vstack

from .cat import CONTENT_RULES, Bank, CATError, ContentRule

__all__ = ["ShadowTest", "assemble_shadow_test"]


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
    chosen = items[result.x > 0.5]
    return chosen[np.argsort(-information[chosen], kind="stable")]


def _prune(information, category, need, eligible, enemies) -> np.ndarray:
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


@dataclass(frozen=True)
class ShadowTest(ContentRule):
    """Blueprint counts (exact) and enemy sets as hard constraints of a shadow test.

    Attributes
    ----------
    targets : mapping of category to int
        Items per category; their sum is the test length.
    enemies : sequence of sequences of item ids
        At most one item of each set is given (e.g. items that cue each other).
    """

    targets: Mapping[str, int] = field(default_factory=dict)
    enemies: tuple[tuple[str, ...], ...] = ()
    name = "shadow"

    def __post_init__(self):
        if not self.targets or any(int(v) < 0 for v in self.targets.values()):
            raise CATError("A shadow test needs non-negative counts for at least one category.")
        object.__setattr__(self, "targets", {str(k): int(v) for k, v in self.targets.items()})
        object.__setattr__(self, "enemies", tuple(tuple(str(i) for i in g) for g in self.enemies))

    def check(self, bank: Bank) -> None:
        super().check(bank)
        for group in self.enemies:
            bank.index(group)

    def choose(self, bank: Bank, rules, sub, rng):
        """Next item per person from that person's shadow test; one MILP per person."""
        target = self.target_vector(bank)
        groups = [bank.index(g) for g in self.enemies]
        n = sub.node.shape[0]
        chosen = np.full(n, -1, dtype=np.intp)
        aside: list = []
        need_k = rules.exposure.need
        for r in range(n):
            eligible = ~sub.blocked[r] & ~bank.pilot
            for g in groups:
                if sub.given[r, g].any():
                    eligible[g] = False
            need = np.maximum(target - sub.counts[r], 0)
            shadow = assemble_shadow_test(bank.info[sub.node[r]], bank.category, need, eligible, enemies=groups)
            cands = np.full((1, need_k), -1, dtype=np.intp)
            cands[0, : min(need_k, shadow.shape[0])] = shadow[:need_k]
            pick, set_aside = rules.exposure.choose(bank, cands, rng)
            chosen[r] = pick[0]
            aside.extend((r, int(j)) for j in cands[0, set_aside[0]])
        return chosen, aside

    def to_dict(self) -> dict:
        return {"rule": self.name, "targets": dict(self.targets), "enemies": [list(g) for g in self.enemies]}


CONTENT_RULES["shadow"] = ShadowTest
