"""Item selection rules: rank the eligible items of a pool for each person, best first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from scoring.arrays import BoolArray, FloatArray, IntArray

if TYPE_CHECKING:
    from .bank import Bank
    from .step import _Persons

__all__ = ["SELECTION_RULES", "KullbackLeibler", "MaximumInformation", "RandomItem", "SelectionRule"]


class SelectionRule:
    """Ranks the eligible items of a pool for each person, best first."""

    name = ""

    def candidates(
        self, bank: Bank, pool: int | None, persons: _Persons, need: int, rng: np.random.Generator
    ) -> IntArray:
        """Up to ``need`` eligible items per person, best first, padded with -1.

        Parameters
        ----------
        bank : Bank
        pool : int or None
            Category index (``None`` = every operational item).
        persons : _Persons
            The persons' state (θ node, counts, blocked items).
        need : int
        rng : numpy.random.Generator

        Returns
        -------
        ndarray of int, shape (n_persons, need)
        """
        raise NotImplementedError

    def to_dict(self) -> dict[str, object]:
        """Plain-data form, the inverse of the registry lookup."""
        return {"rule": self.name}


def _top_from_scores(scores: FloatArray, items: IntArray, blocked: BoolArray, need: int) -> IntArray:
    """Best ``need`` unblocked items per row from a (n_persons, n_pool) score matrix."""
    scores = np.where(blocked, -np.inf, scores)
    need_here = min(need, items.shape[0])
    if need_here < items.shape[0]:
        top = np.argpartition(-scores, need_here - 1, axis=1)[:, :need_here]
    else:
        top = np.broadcast_to(np.arange(items.shape[0]), scores.shape).copy()
    top_scores = np.take_along_axis(scores, top, axis=1)
    order = np.argsort(-top_scores, axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    ok = np.isfinite(np.take_along_axis(top_scores, order, axis=1))
    out = np.full((scores.shape[0], need), -1, dtype=np.intp)
    out[:, :need_here] = np.where(ok, items[top], -1)
    return out


@dataclass(frozen=True)
class MaximumInformation(SelectionRule):
    """Maximum Fisher information at θ̂ (Lord 1980), read from the bank's precomputed ranking."""

    name = "mfi"

    def candidates(
        self, bank: Bank, pool: int | None, persons: _Persons, need: int, rng: np.random.Generator
    ) -> IntArray:
        items, ranking = bank.pool(pool)
        width = min(items.shape[0], need + int(persons.n_blocked.max(initial=0)))
        ranked = ranking[persons.node, :width]  # (n, width)
        ok = ~np.take_along_axis(persons.blocked, ranked.astype(np.intp), axis=1)
        order = np.argsort(~ok, axis=1, kind="stable")[:, :need]
        picked = np.take_along_axis(ranked, order, axis=1).astype(np.intp)
        good = np.take_along_axis(ok, order, axis=1)
        out = np.full((ranked.shape[0], need), -1, dtype=np.intp)
        out[:, : picked.shape[1]] = np.where(good, picked, -1)
        return out


@dataclass(frozen=True)
class KullbackLeibler(SelectionRule):
    """Kullback-Leibler information over ``θ̂ ± z / sqrt(n)`` (Chang & Ying 1996).

    ``KL_j(θ̂) = ∫ sum_k P_jk(θ̂) log(P_jk(θ̂) / P_jk(θ)) dθ`` over the window, integrated on the
    bank's grid; n is the number of scored items (at least 1).
    """

    z: float = 3.0
    name = "kl"

    def candidates(
        self, bank: Bank, pool: int | None, persons: _Persons, need: int, rng: np.random.Generator
    ) -> IntArray:
        items, _ = bank.pool(pool)
        p, cum = bank.kl_tables()
        n_nodes = bank.nodes.shape[0]
        half = np.rint(self.z / np.sqrt(np.maximum(persons.n_scored, 1)) / bank.step).astype(np.intp)
        lo = np.maximum(persons.node - half, 0)
        hi = np.minimum(persons.node + half, n_nodes - 1)
        width = (hi - lo + 1).astype(float)
        p0 = p[items][:, :, persons.node]  # (J, K, n)
        lp0 = bank.log_p[items][:, :, persons.node]
        window = cum[items][:, :, hi + 1] - cum[items][:, :, lo]
        kl = (p0 * (width * lp0 - window)).sum(axis=1).T * bank.step  # (n, J)
        return _top_from_scores(kl, items, persons.blocked[:, items], need)

    def to_dict(self) -> dict[str, object]:
        return {"rule": self.name, "z": self.z}


@dataclass(frozen=True)
class RandomItem(SelectionRule):
    """Items in random order: the non-adaptive baseline."""

    name = "random"

    def candidates(
        self, bank: Bank, pool: int | None, persons: _Persons, need: int, rng: np.random.Generator
    ) -> IntArray:
        items, _ = bank.pool(pool)
        scores = rng.random((persons.node.shape[0], items.shape[0]))
        return _top_from_scores(scores, items, persons.blocked[:, items], need)


#: Item selection rules by name.
SELECTION_RULES: dict[str, type[SelectionRule]] = {
    "mfi": MaximumInformation,
    "kl": KullbackLeibler,
    "random": RandomItem,
}
