"""The item bank of adaptive testing: item parameters and every table that does not depend on a candidate.

Item response functions (logistic metric, D = 1) for dichotomous items::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))

and the GRM / GPCM for polytomous items (:mod:`scoring.models`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..arrays import IntArray
from ..information import item_information
from ..models import PROBABILITY_FLOOR, ItemParameters, LatentDistribution, probabilities
from ..quadrature import Quadrature, rectangular
from .errors import CATError

__all__ = ["Bank"]


class Bank:
    """An item bank prepared for adaptive testing; immutable once built, safe to share.

    Parameters
    ----------
    params : ItemParameters
        ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))`` for dichotomous items; GRM/GPCM allowed.
    categories : sequence of str, length n_items, optional
        Content category (competency) of each item; default one category ``"all"``.
    pilot : sequence of bool, length n_items, optional
        Pilot (unscored) items; they are only given at the rules' pilot positions.
    exposure : sequence of float in (0, 1], length n_items, optional
        Sympson-Hetter exposure parameters ``K_j = P(administer | selected)``; default 1.
    prior : LatentDistribution, optional
        Prior of the EAP estimate; default N(0, 1).
    n_nodes, bound : int, float
        The θ grid: ``n_nodes`` equally spaced points on [-bound, bound] (default step 0.1, which
        keeps the EAP exact to about 1e-4 for posteriors with SD above 0.1).

    Attributes
    ----------
    nodes : ndarray of shape (n_nodes,)
    log_p : ndarray of shape (n_items, max_categories, n_nodes)
        ``log P_jk(θ_q)``.
    info : ndarray of shape (n_nodes, n_items)
        Fisher information ``I_j(θ_q)`` (from :func:`scoring.information.item_information`).
    category : ndarray of int, shape (n_items,)
        Index into ``category_names``.
    """

    def __init__(
        self,
        params: ItemParameters,
        *,
        categories: Sequence[str] | None = None,
        pilot: Sequence[bool] | np.ndarray | None = None,
        exposure: Sequence[float] | np.ndarray | None = None,
        prior: LatentDistribution | None = None,
        n_nodes: int = 101,
        bound: float = 5.0,
    ) -> None:
        n = params.n_items
        if n == 0:
            raise CATError("The item bank is empty.")
        usable = np.isfinite(params.a) & np.isfinite(params.thresholds[:, 0])
        if not usable.all():
            raise CATError(f"Item {params.ids[int(np.flatnonzero(~usable)[0])]} has no usable parameters.")
        labels = ["all"] * n if categories is None else [str(c) for c in categories]
        if len(labels) != n:
            raise CATError(f"{len(labels)} categories given for {n} items.")
        self.params = params
        self.ids = params.ids
        self.n_items = n
        self.category_names: tuple[str, ...] = tuple(dict.fromkeys(labels))
        lookup = {c: i for i, c in enumerate(self.category_names)}
        self.category = np.array([lookup[c] for c in labels], dtype=np.intp)
        self.pilot = np.zeros(n, bool) if pilot is None else np.asarray(pilot, dtype=bool).copy()
        self.exposure = np.ones(n) if exposure is None else np.asarray(exposure, dtype=float).copy()
        if self.pilot.shape != (n,) or self.exposure.shape != (n,):
            raise CATError(f"pilot and exposure need one value per item ({n}).")
        if not ((self.exposure > 0) & (self.exposure <= 1)).all():
            raise CATError("Exposure parameters must lie in (0, 1].")
        self.n_pilot = int(self.pilot.sum())
        self.prior = prior or LatentDistribution()
        self.quadrature: Quadrature = rectangular(n_nodes, bound)
        self.nodes = self.quadrature.nodes
        self.step = float(self.nodes[1] - self.nodes[0])
        self.log_prior = self.quadrature.log_weights(self.prior.mean, self.prior.sd)
        self._moments = np.column_stack([np.ones_like(self.nodes), self.nodes, self.nodes * self.nodes])
        prob = probabilities(params, self.nodes)  # (Q, J, K)
        self.log_p = np.ascontiguousarray(np.log(np.maximum(prob, PROBABILITY_FLOOR)).transpose(1, 2, 0))
        self.info = np.ascontiguousarray(item_information(params, self.nodes))
        self.n_categories = params.n_categories
        self._where = {item: j for j, item in enumerate(self.ids)}
        self._pools: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._kl_tables: tuple[np.ndarray, np.ndarray] | None = None
        for array in (self.category, self.pilot, self.exposure, self.log_p, self.info):
            array.setflags(write=False)

    def with_exposure(self, exposure: np.ndarray) -> Bank:
        """A bank sharing every table but with other Sympson-Hetter parameters."""
        exposure = np.asarray(exposure, dtype=float)
        if exposure.shape != (self.n_items,) or not ((exposure > 0) & (exposure <= 1)).all():
            raise CATError(f"Exposure parameters must be {self.n_items} values in (0, 1].")
        new = object.__new__(Bank)
        new.__dict__.update(self.__dict__)
        new.exposure = exposure.copy()
        new.exposure.setflags(write=False)
        return new

    def index(self, ids: Sequence[str]) -> np.ndarray:
        """Positions of item ids; raises :class:`CATError` naming an unknown id."""
        try:
            return np.fromiter((self._where[str(i)] for i in ids), dtype=np.intp, count=len(ids))
        except KeyError as error:
            raise CATError(f"Item {error.args[0]!r} is not in the item bank.") from None

    def node(self, theta: npt.ArrayLike) -> IntArray:
        """Index of the grid node nearest to each θ, int array of the same shape."""
        q = np.rint((np.asarray(theta, dtype=float) - self.nodes[0]) / self.step).astype(np.intp)
        nearest: IntArray = np.clip(q, 0, self.nodes.shape[0] - 1)
        return nearest

    def pool(self, category: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Operational (non-pilot) items of a category (``None``: all) and their ranking.

        Returns
        -------
        items : ndarray of int, shape (n_pool,)
        ranking : ndarray of int32, shape (n_nodes, n_pool)
            At each node, the pool's items (bank positions) by decreasing information.
        """
        key = -1 if category is None else int(category)
        cached = self._pools.get(key)
        if cached is None:
            keep = ~self.pilot if category is None else (~self.pilot & (self.category == category))
            items = np.flatnonzero(keep)
            order = np.argsort(-self.info[:, items], axis=1, kind="stable")
            ranking = items[order].astype(np.int32)
            items.setflags(write=False)
            ranking.setflags(write=False)
            cached = self._pools[key] = (items, ranking)
        return cached

    def kl_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities (n_items, K, n_nodes) and cumulative log probabilities (n_items, K, n_nodes + 1)."""
        if self._kl_tables is None:
            p = np.exp(self.log_p)
            cum = np.concatenate([np.zeros(self.log_p.shape[:2] + (1,)), np.cumsum(self.log_p, axis=2)], axis=2)
            self._kl_tables = (p, cum)
        return self._kl_tables

    def estimate(self, loglik: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """EAP θ and posterior SD from log-likelihoods on the grid (Bock & Mislevy 1982).

        Parameters
        ----------
        loglik : ndarray of shape (n_persons, n_nodes)

        Returns
        -------
        theta, se : ndarray of shape (n_persons,)
        """
        post = loglik + self.log_prior
        post -= post.max(axis=1, keepdims=True)
        np.maximum(post, -80.0, out=post)  # weights below e^-80 are nil; subnormal exponentials are slow
        np.exp(post, out=post)
        moments = post @ self._moments  # the total, Σ θ and Σ θ² weights in one pass
        mean = moments[:, 1] / moments[:, 0]
        second = moments[:, 2] / moments[:, 0]
        return mean, np.sqrt(np.maximum(second - mean * mean, 0.0))
