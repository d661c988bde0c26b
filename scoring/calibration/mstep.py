"""The M-step: Fisher scoring with step halving, vectorised over the items of one model.

Items are grouped in blocks of one model and category count (:class:`ItemBlock`); each block's
parameters are updated from the expected category counts at the quadrature nodes
(Bock & Aitkin 1981). A common 1PL slope is solved jointly with the intercepts (arrowhead system).
Dichotomous items follow (logistic metric, D = 1)::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))
"""

from __future__ import annotations

import numpy as np

from ..arrays import BoolArray, FloatArray, IntArray
from ..models import PROBABILITY_FLOOR, ItemModel
from .priors import Priors, prior_terms

__all__ = ["ItemBlock", "block_objective", "m_step_block"]


class ItemBlock:
    """Items of one model and category count, with their mutable internal parameters."""

    def __init__(self, model: ItemModel, k: int, items: IntArray, psi: FloatArray, fixed: BoolArray) -> None:
        self.model, self.k, self.items, self.psi = model, k, items, psi
        self.fixed = fixed  # (n,) anchor items
        free = np.broadcast_to(model.free(k), psi.shape).copy()
        free[fixed] = False
        self.free = free  # parameters estimated item by item
        self.common = model.slope == "common" and bool((~fixed).any())
        self.index = np.full(psi.shape, -1)  # position in the packed vector

    def valid(self, psi: FloatArray, priors: Priors) -> BoolArray:
        """Bool (n,): finite, bounded parameters, ordered GRM thresholds, positive slopes under a prior."""
        ok = np.isfinite(psi).all(axis=1) & (np.abs(psi) < 60).all(axis=1)
        if self.model.name == "grm" and psi.shape[1] > 2:
            ok &= (np.diff(psi[:, 1:], axis=1) < 0).all(axis=1)
        if priors.slope is not None and self.model.name in priors.slope_models:
            ok &= psi[:, 0] > 0
        return np.asarray(ok)  # already an array: reductions along an axis of a 2-D array


def block_objective(
    block: ItemBlock, psi: FloatArray, counts: FloatArray, theta: FloatArray, priors: Priors
) -> FloatArray:
    """Expected complete-data log posterior of each item of the block, shape (n,)."""
    p = np.maximum(block.model.probabilities(psi, theta), PROBABILITY_FLOOR)
    objective: FloatArray = np.einsum("nqk,nqk->n", counts, np.log(p)) + prior_terms(block.model, psi, priors)[0]
    return objective


def m_step_block(
    block: ItemBlock, counts: FloatArray, theta: FloatArray, priors: Priors, n_inner: int = 4
) -> FloatArray:
    """Fisher scoring with step halving for one block (Bock & Aitkin 1981, M-step).

    counts : (n, Q, K) expected category counts at the nodes.
    """
    psi = block.psi.copy()
    estimable = ~block.fixed
    if not estimable.any():
        return psi
    nq = counts.sum(axis=2)
    obj = block_objective(block, psi, counts, theta, priors)
    for _ in range(n_inner):
        prob, dprob = block.model.jacobian(psi, theta)
        prob = np.maximum(prob, PROBABILITY_FLOOR)
        grad = np.einsum("nqk,nqkp->np", counts / prob, dprob)
        scaled = dprob / np.sqrt(prob)[..., None]
        info = np.einsum("nq,nqkp,nqkr->npr", nq, scaled, scaled)
        _, pg, ph = prior_terms(block.model, psi, priors)
        grad += pg
        info += ph
        raw_grad, raw_info = grad, info
        free = block.free
        grad = np.where(free, grad, 0.0)
        info = np.where(free[:, :, None] & free[:, None, :], info, 0.0)
        eye = np.eye(psi.shape[1])[None] * (~free)[:, :, None]
        info = info + eye + 1e-9 * np.eye(psi.shape[1])[None]
        step = np.linalg.solve(info, grad[..., None])[..., 0]
        if block.common:
            live = estimable
            ga, iaa = raw_grad[live, 0].sum(), raw_info[live, 0, 0].sum()
            u, dd, gd = raw_info[live, 0, 1], raw_info[live, 1, 1], raw_grad[live, 1]
            delta_a = (ga - np.sum(u * gd / dd)) / max(iaa - np.sum(u * u / dd), 1e-12)
            step[live, 0] = delta_a
            step[live, 1] = (gd - u * delta_a) / dd
        biggest = np.abs(step).max(axis=1, keepdims=True)
        step = step * np.minimum(1.0, 2.0 / np.maximum(biggest, 1e-300))
        if block.common:
            biggest_common = np.abs(step[estimable]).max()
            step[estimable] *= min(1.0, 2.0 / max(biggest_common, 1e-300))
        factor = np.ones(psi.shape[0])
        for _halving in range(12):
            cand = psi + factor[:, None] * step
            cand_obj = block_objective(block, cand, counts, theta, priors)
            ok = block.valid(cand, priors) & np.isfinite(cand_obj)
            if block.common:
                total_ok = ok[estimable].all() and cand_obj[estimable].sum() >= obj[estimable].sum() - 1e-9
                good = np.where(estimable, total_ok, True)
            else:
                good = ok & (cand_obj >= obj - 1e-9 * (1 + np.abs(obj)))
            if good.all():
                break
            factor = np.where(good, factor, factor * 0.5)
        good = good & estimable
        psi = np.where(good[:, None], cand, psi)
        obj = np.where(good, cand_obj, obj)
        change = np.abs(np.where(good[:, None], factor[:, None] * step, 0.0)).max()
        if change < 1e-7:
            break
    return psi
