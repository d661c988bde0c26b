"""Standard errors of an MML-EM calibration.

From the cross-product of individual score vectors (the empirical information; Louis 1982,
Mislevy 1986) or by Oakes' (1999) identity, with the condition number and rank of the information
matrix (Belsley, Kuh & Welsch 1980); SEs of a, b, c and thresholds by the delta method. Dichotomous
items follow (logistic metric, D = 1)::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from scipy.special import expit

from ..arrays import FloatArray
from ..models import PROBABILITY_FLOOR
from .em import ExpectedCounts, MarginalEM, block_counts
from .mstep import ItemBlock
from .priors import prior_terms

__all__ = ["StandardErrors"]


class StandardErrors(MarginalEM):
    """The information matrix of a fitted :class:`MarginalEM` and the standard errors it gives."""

    def _scores(self, x: FloatArray) -> Iterator[tuple[FloatArray, FloatArray]]:
        """Yield per-chunk (weights, score matrix (n, P)) of individual score vectors."""
        self._unpack(x)
        d = self._design
        theta = self._quad.nodes
        n_q = theta.size
        base, contrast = self._log_tables()
        base_sum = base.sum(axis=0)
        p_max = max(b.psi.shape[1] for b in self._blocks)
        grad_log = np.zeros((d.n_items, n_q, max(b.k for b in self._blocks), p_max))
        for blk in self._blocks:
            prob, dprob = blk.model.jacobian(blk.psi, theta)
            grad_log[blk.items, :, : blk.k, : blk.psi.shape[1]] = dprob / np.maximum(prob, PROBABILITY_FLOOR)[..., None]
        g0 = grad_log[:, :, 0, :].transpose(1, 0, 2).reshape(n_q, -1)  # (Q, J*p)
        gd = grad_log[d.col_item, :, d.col_cat, :] - grad_log[d.col_item, :, 0, :]  # (C, Q, p)
        gd = gd.transpose(1, 0, 2).reshape(n_q, -1)
        log_w = np.stack([self._quad.log_weights(m, s) for m, s in zip(self._means, self._sds, strict=True)])
        # column map from (item, param) to free index
        item_index = np.full((d.n_items, p_max), -1)
        for blk in self._blocks:
            item_index[blk.items, : blk.psi.shape[1]] = blk.index
        for s, e, g in self._chunks():
            y = d.y[s:e].astype(np.float64)
            lik = y @ contrast
            if d.mask is not None:
                lik += d.mask[s:e].astype(np.float64) @ base
            else:
                lik += base_sum
            lik += log_w[g]
            lik -= lik.max(axis=1, keepdims=True)
            post = np.exp(lik)
            post /= post.sum(axis=1, keepdims=True)
            n = e - s
            t0 = (post @ g0).reshape(n, d.n_items, p_max)
            if d.mask is not None:
                t0 *= d.mask[s:e].astype(np.float64)[:, :, None]
            td = (post @ gd).reshape(n, -1, p_max) * y[:, :, None]
            for col in range(d.col_item.size):
                t0[:, d.col_item[col], :] += td[:, col, :]
            score = np.zeros((n, self._n_free))
            live = item_index >= 0
            for jj, pp in zip(*np.nonzero(live), strict=True):
                score[:, item_index[jj, pp]] += t0[:, jj, pp]
            m, sd = self._means[g], self._sds[g]
            w_prior = np.exp(log_w[g])
            z = (theta - m) / sd
            dmu = z / sd - w_prior @ (z / sd)
            dls = z * z - w_prior @ (z * z)
            if self._mean_index[g] >= 0:
                score[:, self._mean_index[g]] = post @ dmu
            if self._sd_index[g] >= 0:
                score[:, self._sd_index[g]] = post @ dls
            w = d.weights[s:e] if d.weights is not None else np.ones(n)
            yield w, score

    def _prior_information(self) -> np.ndarray:
        """Negative Hessian of the log prior over the free parameters."""
        info = np.zeros((self._n_free, self._n_free))
        for blk in self._blocks:
            _, _, neg_hess = prior_terms(blk.model, blk.psi, self._priors)
            for r in range(blk.psi.shape[0]):
                idx = blk.index[r]
                live = idx >= 0
                info[np.ix_(idx[live], idx[live])] += neg_hess[r][np.ix_(live, live)]
        return info

    def _covariance(self, x: np.ndarray, method: str) -> np.ndarray:
        """Covariance of the free parameters at ``x`` (inverse information; pseudo-inverse if singular)."""
        if method == "xpd":
            info = np.zeros((self._n_free, self._n_free))
            for w, score in self._scores(x):
                info += (score * w[:, None]).T @ score
            info += self._prior_information()
        elif method == "oakes":
            info = self._oakes_information(x)
        else:
            raise ValueError(f"Unknown se_method {method!r}; use 'xpd', 'oakes' or None.")
        self._unpack(x)
        self._condition(info)
        try:
            cov = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            cov = np.linalg.pinv(info)
        return cov

    def _condition(self, info: np.ndarray) -> None:
        """Condition number (largest over smallest singular value) and numerical rank of the
        information matrix the SEs come from (Belsley, Kuh & Welsch 1980, ch. 3): a huge or
        infinite condition, or a rank below the number of free parameters, means the data do not
        identify every parameter and the SEs are meaningless."""
        singular = np.linalg.svd(info, compute_uv=False) if info.size else np.zeros(0)
        top = float(singular[0]) if singular.size else 0.0
        tolerance = top * max(info.shape) * np.finfo(float).eps
        self.information_rank_ = int((singular > tolerance).sum())
        smallest = float(singular[-1]) if singular.size else 0.0
        self.information_condition_ = top / smallest if smallest > 0 else float("inf")

    def _complete_gradient(self, x_params: FloatArray, stats: ExpectedCounts) -> FloatArray:
        """Gradient of the complete-data log posterior at x_params given expected counts."""
        self._unpack(x_params)
        r, nj, ng = stats
        d = self._design
        theta = self._quad.nodes
        grad = np.zeros(self._n_free)
        for blk in self._blocks:
            counts = block_counts(blk, d, r, nj, theta.size)
            prob, dprob = blk.model.jacobian(blk.psi, theta)
            g = np.einsum("nqk,nqkp->np", counts / np.maximum(prob, PROBABILITY_FLOOR), dprob)
            g += prior_terms(blk.model, blk.psi, self._priors)[1]
            live = blk.index >= 0
            np.add.at(grad, blk.index[live], g[live])
        for gg in range(d.n_groups):
            m, sd = self._means[gg], self._sds[gg]
            w_prior = self._quad.weights(m, sd)
            z = (theta - m) / sd
            tot = ng[gg].sum()
            if self._mean_index[gg] >= 0:
                grad[self._mean_index[gg]] = ng[gg] @ (z / sd) - tot * (w_prior @ (z / sd))
            if self._sd_index[gg] >= 0:
                grad[self._sd_index[gg]] = ng[gg] @ (z * z) - tot * (w_prior @ (z * z))
        return grad

    def _oakes_information(self, x: np.ndarray) -> np.ndarray:
        """Observed information by Oakes' (1999) identity, with central differences."""
        n = x.size
        info = np.zeros((n, n))
        h = 1e-4
        for i in range(n):
            cols = []
            for sign in (1.0, -1.0):
                xi = x.copy()
                xi[i] += sign * h
                _, st = self._e_step(xi)
                cols.append(self._complete_gradient(xi, st))
            # d2Q/dx'dx' + d2Q/dx'dx at x' = x is the derivative of the observed score (Oakes 1999)
            info[:, i] = -(cols[0] - cols[1]) / (2 * h)
        self._unpack(x)
        return 0.5 * (info + info.T)

    def _delta_se(self, blk: ItemBlock, cov: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """SEs of a, b, c and thresholds by the delta method from the internal covariance."""
        n, p = blk.psi.shape
        a = blk.psi[:, 0]
        sa, sb, sc = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        st = np.full((n, blk.k - 1), np.nan)
        dich = not blk.model.polytomous
        for r in range(n):
            idx = blk.index[r]
            live = idx >= 0
            if not live.any():
                continue
            sub = np.zeros((p, p))
            sub[np.ix_(live, live)] = cov[np.ix_(idx[live], idx[live])]
            if live[0]:
                sa[r] = math.sqrt(max(sub[0, 0], 0.0))
            d_idx = [1] if dich else list(range(1, p))
            grads = []
            for t, di in enumerate(d_idx):
                gvec = np.zeros(p)
                gvec[0] = blk.psi[r, di] / a[r] ** 2
                gvec[di] = -1.0 / a[r]
                grads.append(gvec)
                st[r, t] = math.sqrt(max(float(gvec @ sub @ gvec), 0.0))
            gmean = np.mean(grads, axis=0)
            sb[r] = math.sqrt(max(gmean @ sub @ gmean, 0.0))
            if blk.model.guessing and live[2]:
                c = expit(blk.psi[r, 2])
                sc[r] = c * (1 - c) * math.sqrt(max(sub[2, 2], 0.0))
        return sa, sb, sc, st

    def _group_se(self, cov: FloatArray | None) -> list[tuple[float, float]]:
        """(SE of mean, SE of SD) per group; NaN where fixed or without a covariance."""
        out: list[tuple[float, float]] = []
        for g in range(len(self._means)):
            se_m = se_s = float("nan")
            if cov is not None and self._mean_index[g] >= 0:
                se_m = math.sqrt(max(cov[self._mean_index[g], self._mean_index[g]], 0.0))
            if cov is not None and self._sd_index[g] >= 0:
                se_s = self._sds[g] * math.sqrt(max(cov[self._sd_index[g], self._sd_index[g]], 0.0))
            out.append((se_m, se_s))
        return out
