"""The EM machinery of marginal maximum likelihood (Bock & Aitkin 1981): E-step, M-step, SQUAREM.

E-step as two BLAS matrix products per chunk of persons: with one-hot response indicators ``Y``
(persons x categories 1..K-1) and the administered mask ``M``, the log-likelihood at the quadrature
nodes is ``Y @ (log P_k - log P_0).T + M @ log P_0.T``; expected counts are ``Y.T @ posterior`` and
``M.T @ posterior``. Float32 is used for the big matrices, float64 for every sum. The M-step updates
each item block (:mod:`.mstep`) and the groups' latent N(μ, σ²) (Bock & Zimowski 1997).
Acceleration by SQUAREM (Varadhan & Roland 2008, scheme S3) with a monotonicity safeguard.

Dichotomous items follow (logistic metric, D = 1)::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TypeAlias

import numpy as np

from ..arrays import FloatArray
from ..models import PROBABILITY_FLOOR
from ..quadrature import Quadrature
from .data import ResponseDesign
from .mstep import ItemBlock, m_step_block
from .priors import Priors, prior_terms

__all__ = ["ExpectedCounts", "MarginalEM", "block_counts"]

#: E-step counts: per indicator column (C, Q), persons per item (J, Q), persons per group (G, Q).
ExpectedCounts: TypeAlias = tuple[FloatArray, FloatArray, FloatArray]


def block_counts(blk: ItemBlock, design: ResponseDesign, r: np.ndarray, nj: np.ndarray, n_nodes: int) -> np.ndarray:
    """Expected category counts of a block's items at the nodes, shape (n, Q, K).

    ``r`` (C, Q) holds the expected counts per indicator column, ``nj`` (J, Q) the expected number
    of persons per item and node; category 0 gets the rest.
    """
    counts = np.zeros((blk.items.size, n_nodes, blk.k))
    pos = {item: row for row, item in enumerate(blk.items)}
    for col in range(design.col_item.size):
        row = pos.get(int(design.col_item[col]))
        if row is not None:
            counts[row, :, design.col_cat[col]] = r[col]
    counts[:, :, 0] = nj[blk.items] - counts[:, :, 1:].sum(axis=2)
    return counts


class MarginalEM:
    """State and steps of the EM algorithm, shared by the estimator and its standard errors.

    The estimator (:class:`~scoring.calibration.estimator.MMLCalibrator`) sets the state in its
    ``_initialize`` step: ``_blocks`` (list of :class:`ItemBlock`), ``_design``
    (:class:`ResponseDesign`), ``_quad`` (:class:`Quadrature`), ``_priors`` (:class:`Priors`), the
    groups' ``_means``, ``_sds`` and which of them are free (``_free_mean``, ``_free_sd``); and the
    settings ``tol``, ``max_iter``, ``acceleration`` and ``chunk_size``. Free parameters are packed
    in one vector ``x`` (slope-intercept form, log SD).
    """

    _blocks: list[ItemBlock]
    _design: ResponseDesign
    _quad: Quadrature
    _priors: Priors
    _means: np.ndarray
    _sds: np.ndarray
    _free_mean: np.ndarray
    _free_sd: np.ndarray
    tol: float
    max_iter: int
    acceleration: str | None
    chunk_size: int

    def _layout(self) -> None:
        """Number the free parameters: positions in the packed vector ``x``."""
        pos = 0
        for blk in self._blocks:
            blk.index[:] = -1
            if blk.common:
                common_pos = pos
                pos += 1
            for r in range(blk.psi.shape[0]):
                for p in range(blk.psi.shape[1]):
                    if blk.free[r, p]:
                        blk.index[r, p] = pos
                        pos += 1
                if blk.common and not blk.fixed[r]:
                    blk.index[r, 0] = common_pos
        self._mean_index = np.full(len(self._means), -1)
        self._sd_index = np.full(len(self._means), -1)
        for g in range(len(self._means)):
            if self._free_mean[g]:
                self._mean_index[g] = pos
                pos += 1
            if self._free_sd[g]:
                self._sd_index[g] = pos
                pos += 1
        self._n_free = pos

    def _pack(self) -> np.ndarray:
        """The packed vector of free parameters from the current state."""
        x = np.empty(self._n_free)
        for blk in self._blocks:
            live = blk.index >= 0
            x[blk.index[live]] = blk.psi[live]
        for g in range(len(self._means)):
            if self._mean_index[g] >= 0:
                x[self._mean_index[g]] = self._means[g]
            if self._sd_index[g] >= 0:
                x[self._sd_index[g]] = math.log(self._sds[g])
        return x

    def _unpack(self, x: np.ndarray) -> None:
        """Set the state from a packed vector."""
        for blk in self._blocks:
            live = blk.index >= 0
            blk.psi[live] = x[blk.index[live]]
        for g in range(len(self._means)):
            if self._mean_index[g] >= 0:
                self._means[g] = x[self._mean_index[g]]
            if self._sd_index[g] >= 0:
                self._sds[g] = math.exp(x[self._sd_index[g]])

    def _valid(self, x: np.ndarray) -> bool:
        """Whether a packed vector (e.g. a SQUAREM extrapolation) is a usable parameter point."""
        if not np.isfinite(x).all():
            return False
        for blk in self._blocks:
            psi = blk.psi.copy()
            live = blk.index >= 0
            psi[live] = x[blk.index[live]]
            if not blk.valid(psi, self._priors).all():
                return False
        for g in range(len(self._means)):
            if self._sd_index[g] >= 0 and not -4 < x[self._sd_index[g]] < 3:
                return False
            if self._mean_index[g] >= 0 and abs(x[self._mean_index[g]]) > 5:
                return False
        return True

    def _log_prior(self) -> float:
        """Log prior density of the estimated item parameters."""
        return float(sum(prior_terms(b.model, b.psi, self._priors)[0][~b.fixed].sum() for b in self._blocks))

    def _log_tables(self) -> tuple[FloatArray, FloatArray]:
        """log P_0 per item (J, Q) and log P_k - log P_0 per indicator column (C, Q)."""
        d = self._design
        theta = self._quad.nodes
        logp = np.zeros((d.n_items, theta.size, max(b.k for b in self._blocks)))
        for blk in self._blocks:
            p = blk.model.probabilities(blk.psi, theta)
            logp[blk.items, :, : blk.k] = np.log(np.maximum(p, PROBABILITY_FLOOR))
        base = logp[:, :, 0]
        contrast = logp[d.col_item, :, d.col_cat] - base[d.col_item]
        return base, contrast

    def _chunks(self) -> Iterator[tuple[int, int, int]]:
        """Yield (start, stop, group) of the person chunks the E-step works through."""
        d = self._design
        for (start, stop), g in zip(d.group_ranges, d.group_of_range, strict=True):
            for s in range(start, stop, self.chunk_size):
                yield s, min(s + self.chunk_size, stop), g

    def _e_step(self, x: FloatArray | None = None, want_counts: bool = True) -> tuple[float, ExpectedCounts]:
        """Log-likelihood and expected counts (Bock & Aitkin 1981, E-step)."""
        if x is not None:
            self._unpack(x)
        d = self._design
        dtype = d.y.dtype
        base, contrast = self._log_tables()
        cmat = contrast.astype(dtype)  # (C, Q)
        bmat = base.astype(dtype)  # (J, Q)
        base_sum = base.sum(axis=0)
        log_w = np.stack([self._quad.log_weights(m, s) for m, s in zip(self._means, self._sds, strict=True)])
        n_q = base.shape[1]
        r = np.zeros((d.col_item.size, n_q))
        nj = np.zeros((d.n_items, n_q)) if d.mask is not None else None
        ng = np.zeros((d.n_groups, n_q))
        ll = 0.0
        for s, e, g in self._chunks():
            y = d.y[s:e]
            lik = y @ cmat
            if d.mask is not None:
                lik += d.mask[s:e] @ bmat
                lik += log_w[g].astype(dtype)
            else:
                lik += (base_sum + log_w[g]).astype(dtype)
            top = lik.max(axis=1, keepdims=True)
            lik -= top
            # below exp(-80) float32 turns subnormal, and subnormal arithmetic is very slow
            np.maximum(lik, -80.0, out=lik)
            np.exp(lik, out=lik)
            tot = lik.sum(axis=1, dtype=np.float64)
            w = d.weights[s:e] if d.weights is not None else None
            logs = np.log(tot) + top[:, 0]
            ll += float(logs @ w) if w is not None else float(logs.sum())
            if not want_counts:
                continue
            scale = (w / tot) if w is not None else (1.0 / tot)
            lik *= scale.astype(dtype)[:, None]
            r += y.T @ lik
            if nj is not None and d.mask is not None:  # nj is kept exactly when there is a mask
                nj += d.mask[s:e].T @ lik
            ng[g] += lik.sum(axis=0, dtype=np.float64)
        if nj is None:
            nj = np.broadcast_to(ng.sum(axis=0), (d.n_items, n_q))
        return ll, (r, nj, ng)

    def _m_step(self, stats: ExpectedCounts) -> None:
        """Update every item block and the free latent means and SDs from the expected counts."""
        r, nj, ng = stats
        d = self._design
        theta = self._quad.nodes
        for blk in self._blocks:
            if blk.fixed.all():
                continue
            counts = block_counts(blk, d, r, nj, theta.size)
            np.maximum(counts, 0.0, out=counts)
            blk.psi = m_step_block(blk, counts, theta, self._priors)
        for g in range(d.n_groups):
            tot = ng[g].sum()
            if tot <= 0:
                continue
            mean = float(ng[g] @ theta / tot)
            if self._free_mean[g]:
                self._means[g] = mean
            if self._free_sd[g]:
                m = self._means[g]
                self._sds[g] = math.sqrt(max(float(ng[g] @ (theta - m) ** 2 / tot), 1e-4))

    def _map(self, x: FloatArray) -> tuple[float, FloatArray]:
        """One EM step: objective at x and the updated parameter vector."""
        ll, stats = self._e_step(x)
        obj = ll + self._log_prior()
        self._m_step(stats)
        return obj, self._pack()

    def _run_em(self, x0: FloatArray) -> tuple[FloatArray, list[float], bool]:
        """EM from ``x0``, plain or SQUAREM-accelerated: (x, log-posterior history, converged)."""
        history: list[float] = []
        tol, max_iter = self.tol, self.max_iter

        def step(x: FloatArray) -> tuple[float, FloatArray]:
            obj, nxt = self._map(x)
            history.append(obj)
            return obj, nxt

        if self.acceleration is None:
            x = x0
            while len(history) < max_iter:
                _, nxt = step(x)
                done = np.abs(nxt - x).max() < tol if x.size else True
                x = nxt
                if done:
                    return x, history, True
            return x, history, False
        if self.acceleration != "squarem":
            raise ValueError(f"Unknown acceleration {self.acceleration!r}; use 'squarem' or None.")
        x = x0
        step_max = 1.0
        while len(history) < max_iter:
            _, x1 = step(x)
            if x.size == 0 or np.abs(x1 - x).max() < tol:
                return x1, history, True
            obj1, x2 = step(x1)
            if np.abs(x2 - x1).max() < tol:
                return x2, history, True
            rr = x1 - x
            v = x2 - x1 - rr
            nv = float(np.linalg.norm(v))
            if nv == 0:
                x = x2
                continue
            alpha = -float(np.linalg.norm(rr)) / nv
            alpha = max(min(alpha, -1.0), -step_max)
            if alpha == -step_max:
                step_max *= 4.0
            xp = x - 2 * alpha * rr + alpha * alpha * v
            if alpha == -1.0 or not self._valid(xp):
                x = x2
                continue
            objp, xn = step(xp)
            if not np.isfinite(objp) or objp < obj1 - 1e-8 * (1 + abs(obj1)):
                step_max = max(1.0, step_max / 4.0)
                x = x2
                continue
            if np.abs(xn - xp).max() < tol:
                return xn, history, True
            x = xn
        return x, history, False
