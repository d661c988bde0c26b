"""Item calibration by marginal maximum likelihood with the EM algorithm (Bock & Aitkin 1981).

Models (mixable item by item) are those of :mod:`scoring.models`; dichotomous items follow
(logistic metric, D = 1)::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))

How the estimator is made fast and safe:

* E-step as two BLAS matrix products per chunk of persons: with one-hot response indicators
  ``Y`` (persons x categories 1..K-1) and the administered mask ``M``, the log-likelihood at the
  quadrature nodes is ``Y @ (log P_k - log P_0).T + M @ log P_0.T``; expected counts are
  ``Y.T @ posterior`` and ``M.T @ posterior``. Identical response patterns are collapsed into
  weights when that pays. Float32 is used for the big matrices, float64 for every sum.
* M-step: Fisher scoring on the slope-intercept form, vectorised across all items of a model,
  with step halving; a common 1PL slope is solved jointly with the intercepts (arrowhead
  system). Optional priors make the M-step a MAP step (Mislevy 1986): a log-normal prior on
  slopes and a beta prior on the 3PL lower asymptote keep estimates away from Heywood cases.
* Acceleration by SQUAREM (Varadhan & Roland 2008, scheme S3) with a monotonicity safeguard.
* Start values from classical statistics (biserial correlations and proportions correct).
* Standard errors from the cross-product of individual score vectors (the empirical
  information; Louis 1982, Mislevy 1986) or by Oakes' (1999) identity.

Groups of persons have their own latent N(μ, σ²) (Bock & Zimowski 1997); the first group is the
reference N(0, 1) unless anchor items fix the scale (fixed-parameter calibration, Kim 2006), in
which case every group's mean and variance are estimated. With only Rasch items (slope fixed at
1) the reference variance is estimated.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit
from scipy.stats import norm

from .models import MODELS, PROBABILITY_FLOOR, ItemModel, ItemParameters, LatentDistribution
from .quadrature import Quadrature, rectangular

__all__ = [
    "CalibrationResult",
    "ConvergenceWarning",
    "EstimationWarning",
    "MMLCalibrator",
    "calibrate",
    "response_categories",
]


class EstimationWarning(UserWarning):
    """An item cannot be estimated (it is left out) or its estimate is implausible."""


class ConvergenceWarning(UserWarning):
    """The EM algorithm stopped at ``max_iter`` before reaching the tolerance."""


@dataclass(frozen=True)
class CalibrationResult:
    """Outcome of a calibration in the params.json layout.

    Attributes
    ----------
    params : ItemParameters
    groups : tuple of LatentDistribution
    model : str
        The model name given (``"mixed"`` for a per-item list).
    loglik, aic, bic : float
        Marginal log-likelihood at the estimate and the information criteria.
    n_params : int
        Number of free parameters.
    n_persons : int
    iterations : int
        Number of EM steps (E-steps) performed.
    converged : bool
    """

    params: ItemParameters
    groups: tuple[LatentDistribution, ...]
    model: str
    loglik: float
    aic: float
    bic: float
    n_params: int
    n_persons: int
    iterations: int
    converged: bool

    def to_dict(self) -> dict:
        """The params.json mapping: ``model, loglik, aic, bic, iterations, converged, items, groups``."""
        head = {
            "model": self.model,
            "loglik": self.loglik,
            "aic": self.aic,
            "bic": self.bic,
            "iterations": self.iterations,
            "converged": self.converged,
            "n_persons": self.n_persons,
            "n_params": self.n_params,
        }
        return {**head, **self.params.to_dict(), "groups": [g.to_dict() for g in self.groups]}


def response_categories(
    responses: np.ndarray, models: Sequence[str], n_categories: int | Sequence[int] | None = None
) -> np.ndarray:
    """Number of categories per item, checking that responses are valid category codes.

    Parameters
    ----------
    responses : ndarray of shape (n_persons, n_items)
        0/1 for dichotomous items, 0..K-1 for polytomous ones, NaN = not administered.
    models : sequence of str, length n_items
    n_categories : int or sequence of int, optional
        Category counts of polytomous items; default ``max observed + 1``.

    Returns
    -------
    ndarray of int, shape (n_items,)

    Raises
    ------
    ValueError
        Naming the first offending row and column (0-based) when a value is not a category.
    """
    n_items = responses.shape[1]
    given = None if n_categories is None else np.broadcast_to(np.asarray(n_categories, int), (n_items,))
    poly = np.array([MODELS[m].polytomous for m in models], dtype=bool)
    k = np.full(n_items, 2, dtype=int)
    missing = np.isnan(responses)
    if (~poly).any():
        sub = responses if (~poly).all() else responses[:, ~poly]
        ok = sub == 0
        ok |= sub == 1
        ok |= missing if (~poly).all() else missing[:, ~poly]
        if not ok.all():
            rows, cols = np.nonzero(~ok)
            first = np.argmin(rows * n_items + np.flatnonzero(~poly)[cols])
            row, col = int(rows[first]), int(np.flatnonzero(~poly)[cols[first]])
            raise ValueError(
                f"row {row}, column {col}: value {responses[row, col]:g} is not a category of a "
                f"{models[col]} item (expected 0 or 1)."
            )
    for j in np.flatnonzero(poly):
        col = responses[:, j]
        seen = col[~missing[:, j]]
        top = float(seen.max()) if seen.size else 0.0
        k[j] = int(given[j]) if given is not None else max(int(top) + 1 if np.isfinite(top) else 2, 2)
        bad = ~missing[:, j] & ((col != np.round(col)) | (col < 0) | (col > k[j] - 1))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"row {row}, column {j}: value {col[row]:g} is not a category of a {models[j]} item "
                f"(expected an integer 0..{k[j] - 1})."
            )
    return k


# ---------------------------------------------------------------------------- priors


@dataclass(frozen=True)
class _Priors:
    slope: tuple[float, float] | None  # log-normal (meanlog, sdlog)
    guessing: tuple[float, float] | None  # beta (alpha, beta)
    slope_models: frozenset[str]


def _prior_terms(model: ItemModel, psi: np.ndarray, priors: _Priors):
    """Log prior (n,), gradient (n, p) and negative Hessian (n, p, p) of a block."""
    n, p = psi.shape
    logp, grad, neg_hess = np.zeros(n), np.zeros((n, p)), np.zeros((n, p, p))
    if priors.slope is not None and model.name in priors.slope_models:
        mu, sd = priors.slope
        a = np.maximum(psi[:, 0], 1e-8)
        la = np.log(a)
        logp += -la - (la - mu) ** 2 / (2 * sd * sd)
        grad[:, 0] += -(1.0 + (la - mu) / (sd * sd)) / a
        neg_hess[:, 0, 0] += -(1.0 + (la - mu) / (sd * sd) - 1.0 / (sd * sd)) / (a * a)
    if priors.guessing is not None and model.guessing:
        al, be = priors.guessing
        c = expit(psi[:, 2])
        logp += (al - 1) * np.log(c) + (be - 1) * np.log1p(-c)
        grad[:, 2] += (al - 1) * (1 - c) - (be - 1) * c
        neg_hess[:, 2, 2] += (al + be - 2) * c * (1 - c)
    return logp, grad, neg_hess


# ---------------------------------------------------------------------------- blocks


class _Block:
    """Items of one model and category count, with their mutable internal parameters."""

    def __init__(self, model: ItemModel, k: int, items: np.ndarray, psi: np.ndarray, fixed: np.ndarray):
        self.model, self.k, self.items, self.psi = model, k, items, psi
        self.fixed = fixed  # (n,) anchor items
        free = np.broadcast_to(model.free(k), psi.shape).copy()
        free[fixed] = False
        self.free = free  # parameters estimated item by item
        self.common = model.slope == "common" and bool((~fixed).any())
        self.index = np.full(psi.shape, -1)  # position in the packed vector

    def valid(self, psi: np.ndarray, priors: _Priors) -> np.ndarray:
        ok = np.isfinite(psi).all(axis=1) & (np.abs(psi) < 60).all(axis=1)
        if self.model.name == "grm" and psi.shape[1] > 2:
            ok &= (np.diff(psi[:, 1:], axis=1) < 0).all(axis=1)
        if priors.slope is not None and self.model.name in priors.slope_models:
            ok &= psi[:, 0] > 0
        return ok


def _block_objective(block: _Block, psi, counts, theta, priors):
    p = np.maximum(block.model.probabilities(psi, theta), PROBABILITY_FLOOR)
    return np.einsum("nqk,nqk->n", counts, np.log(p)) + _prior_terms(block.model, psi, priors)[0]


def _m_step_block(block: _Block, counts: np.ndarray, theta: np.ndarray, priors: _Priors, n_inner: int = 4):
    """Fisher scoring with step halving for one block (Bock & Aitkin 1981, M-step).

    counts : (n, Q, K) expected category counts at the nodes.
    """
    psi = block.psi.copy()
    estimable = ~block.fixed
    if not estimable.any():
        return psi
    nq = counts.sum(axis=2)
    obj = _block_objective(block, psi, counts, theta, priors)
    for _ in range(n_inner):
        prob, dprob = block.model.jacobian(psi, theta)
        prob = np.maximum(prob, PROBABILITY_FLOOR)
        grad = np.einsum("nqk,nqkp->np", counts / prob, dprob)
        scaled = dprob / np.sqrt(prob)[..., None]
        info = np.einsum("nq,nqkp,nqkr->npr", nq, scaled, scaled)
        _, pg, ph = _prior_terms(block.model, psi, priors)
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
        new_obj = obj
        for _halving in range(12):
            cand = psi + factor[:, None] * step
            cand_obj = _block_objective(block, cand, counts, theta, priors)
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
        new_obj = np.where(good, cand_obj, obj)
        change = np.abs(np.where(good[:, None], factor[:, None] * step, 0.0)).max()
        obj = new_obj
        if change < 1e-7:
            break
    return psi


# ---------------------------------------------------------------------------- design


class _Design:
    """Response indicators in the layout the E-step multiplies with."""

    def __init__(self, responses, k, groups, dtype, collapse):
        n, j = responses.shape
        missing = np.isnan(responses)
        complete = not missing.any()
        if groups is None:
            codes = np.zeros(n, dtype=np.int64)
            self.group_labels = ("all",)
        else:
            labels, codes = np.unique(np.asarray(groups), return_inverse=True)
            self.group_labels = tuple(str(x) for x in labels)
        n_groups = len(self.group_labels)
        order = np.argsort(codes, kind="stable") if n_groups > 1 else None
        weights = None
        if collapse:
            coded = np.where(missing, -1, responses).astype(np.int16)
            key = np.concatenate([codes[:, None].astype(np.int16), coded], axis=1)
            uniq, counts = np.unique(key, axis=0, return_counts=True)
            codes = uniq[:, 0].astype(np.int64)
            responses = np.where(uniq[:, 1:] < 0, np.nan, uniq[:, 1:]).astype(float)
            missing = np.isnan(responses)
            weights = counts.astype(np.float64)
            order = np.argsort(codes, kind="stable") if n_groups > 1 else None
        if order is not None:
            responses, codes, missing = responses[order], codes[order], missing[order]
            weights = None if weights is None else weights[order]
        self.n_rows = responses.shape[0]
        self.weights = weights
        self.codes = codes
        cols_item, cols_cat = [], []
        for jj in range(j):
            for cat in range(1, int(k[jj])):
                cols_item.append(jj)
                cols_cat.append(cat)
        self.col_item = np.array(cols_item, dtype=int)
        self.col_cat = np.array(cols_cat, dtype=int)
        if (k == 2).all() and complete and responses.dtype == dtype:
            self.y = responses  # already the 0/1 indicator matrix: no copy
        else:
            y = np.empty((self.n_rows, self.col_item.size), dtype=dtype)
            step = 65536
            for s in range(0, self.n_rows, step):
                block = responses[s : s + step]
                y[s : s + step] = block[:, self.col_item] == self.col_cat
            self.y = y
        self.mask = None if complete else (~missing).astype(dtype)
        self.n_items = j
        bounds = np.flatnonzero(np.diff(codes)) + 1 if n_groups > 1 else np.zeros(0, int)
        edges = np.concatenate([[0], bounds, [self.n_rows]])
        self.group_ranges = [(int(edges[g]), int(edges[g + 1])) for g in range(len(edges) - 1)]
        self.group_of_range = [int(codes[s]) if s < self.n_rows else 0 for s, _ in self.group_ranges]
        self.n_groups = n_groups


def _start_values(responses: np.ndarray, k: np.ndarray, models: Sequence[str]):
    """Classical start values: slopes from biserial correlations, thresholds from proportions."""
    if responses.shape[0] > 20000:  # start values need no more than a systematic subsample
        responses = responses[:: -(-responses.shape[0] // 20000)]
    responses = responses.astype(np.float64)
    n, j = responses.shape
    admin = ~np.isnan(responses)
    scaled = np.where(admin, responses, 0.0) / (k - 1)
    count = admin.sum(axis=1)
    person = scaled.sum(axis=1) / np.maximum(count, 1)
    m = admin.astype(float)
    nj = np.maximum(m.sum(axis=0), 1)
    mean_x = scaled.sum(axis=0) / nj
    mean_s = (m * person[:, None]).sum(axis=0) / nj
    cov = (scaled * person[:, None]).sum(axis=0) / nj - mean_x * mean_s
    var_x = (scaled * scaled).sum(axis=0) / nj - mean_x**2
    var_s = (m * person[:, None] ** 2).sum(axis=0) / nj - mean_s**2
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(var_x * var_s)
    r = np.clip(np.nan_to_num(r, nan=0.3), 0.1, 0.85)
    p = np.clip(mean_x, 0.02, 0.98)
    rb = np.clip(r * np.sqrt(p * (1 - p)) / norm.pdf(norm.ppf(p)), 0.15, 0.9)
    slopes = np.clip(1.702 * rb / np.sqrt(1 - rb**2), 0.3, 3.0)
    thresholds = np.full((j, int(k.max()) - 1), np.nan)
    for jj in range(j):
        col = responses[admin[:, jj], jj]
        for cat in range(1, int(k[jj])):
            share = np.clip((col >= cat).mean() if col.size else 0.5, 0.01, 0.99)
            thresholds[jj, cat - 1] = np.clip(norm.ppf(1 - share) / rb[jj], -4, 4)
        if MODELS[models[jj]].polytomous:
            thresholds[jj, : k[jj] - 1] = np.sort(thresholds[jj, : k[jj] - 1]) + 1e-3 * np.arange(k[jj] - 1)
    return slopes, thresholds


# ---------------------------------------------------------------------------- estimator


class MMLCalibrator:
    """Marginal maximum likelihood calibration by EM (Bock & Aitkin 1981), scikit-learn style.

    Parameters
    ----------
    model : str or sequence of str
        ``"rasch"``, ``"1pl"``, ``"2pl"``, ``"3pl"``, ``"grm"``, ``"gpcm"``, or one per item.
    n_categories : int or sequence of int, optional
        Category counts of polytomous items (default: largest observed + 1).
    quadrature : Quadrature, optional
        Default: 41 equally spaced nodes on [-6, 6].
    max_iter : int
        Maximum number of EM steps (E-steps).
    tol : float
        Convergence when no internal parameter changes by more than ``tol`` in one EM step.
    acceleration : {"squarem", None}
        SQUAREM (Varadhan & Roland 2008) or plain EM.
    slope_prior : "auto", (meanlog, sdlog) or None
        Log-normal prior on slopes (MAP). ``"auto"``: log-normal(0, 0.5) for 3PL items only; a
        tuple applies to every item with a free slope.
    guessing_prior : "auto", (alpha, beta) or None
        Beta prior on the 3PL lower asymptote; ``"auto"`` is Beta(5, 17) (mode 0.2).
    se_method : {"xpd", "oakes", None}
        Item standard errors by the cross-product of score vectors (Mislevy 1986) or by
        Oakes' (1999) identity (exact observed information; 2 E-steps per parameter).
    min_responses : int
        Items with fewer responses are left out with an :class:`EstimationWarning`.
    collapse_patterns : bool or "auto"
        Collapse identical response patterns into weights (``"auto"``: when at most 30 items).
    dtype : numpy dtype or "auto"
        Floating type of the big E-step matrices (``"auto"``: float32 for large data).
    chunk_size : int
        Persons per E-step block.

    Attributes
    ----------
    params_ : ItemParameters
    groups_ : tuple of LatentDistribution
    loglik_, log_posterior_, aic_, bic_ : float
    n_params_, n_iter_ : int
    converged_ : bool
    information_condition_ : float
        Condition number of the information matrix behind the SEs (inf when singular; NaN when
        ``se_method`` is None).
    information_rank_ : int
        Its numerical rank, out of ``n_params_`` free parameters.
    history_ : ndarray of shape (n_iter_,)
        Log posterior (log-likelihood plus log priors) at each E-step.
    excluded_ : tuple of str
        Ids of items left out of estimation.
    result_ : CalibrationResult
    """

    def __init__(
        self,
        model: str | Sequence[str] = "2pl",
        *,
        n_categories: int | Sequence[int] | None = None,
        quadrature: Quadrature | None = None,
        max_iter: int = 2000,
        tol: float = 1e-4,
        acceleration: str | None = "squarem",
        slope_prior: str | tuple[float, float] | None = "auto",
        guessing_prior: str | tuple[float, float] | None = "auto",
        se_method: str | None = "xpd",
        min_responses: int = 10,
        collapse_patterns: bool | str = "auto",
        dtype: str | type = "auto",
        chunk_size: int = 8192,
    ) -> None:
        self.model = model
        self.n_categories = n_categories
        self.quadrature = quadrature
        self.max_iter = max_iter
        self.tol = tol
        self.acceleration = acceleration
        self.slope_prior = slope_prior
        self.guessing_prior = guessing_prior
        self.se_method = se_method
        self.min_responses = min_responses
        self.collapse_patterns = collapse_patterns
        self.dtype = dtype
        self.chunk_size = chunk_size

    # ------------------------------------------------------------------ public

    def fit(
        self,
        responses: np.ndarray,
        *,
        item_ids: Sequence[str] | None = None,
        groups: Sequence | np.ndarray | None = None,
        anchors: ItemParameters | None = None,
    ) -> MMLCalibrator:
        """Estimate item parameters (and group latent distributions) from responses.

        Parameters
        ----------
        responses : array_like of shape (n_persons, n_items)
            1.0/0.0 (dichotomous) or 0..K-1 (polytomous); NaN = not administered.
        item_ids : sequence of str, optional
            Default ``item1``, ``item2``, ...; used to match ``anchors``.
        groups : array_like of shape (n_persons,), optional
            Group label of each person; groups are sorted and the first is the reference.
        anchors : ItemParameters, optional
            Bank parameters of items held fixed (matched by id); the other items are estimated
            on the bank's scale and every group's latent mean and SD are estimated.

        Returns
        -------
        self
        """
        data = np.asarray(responses)
        if data.ndim != 2 or data.shape[0] == 0 or data.shape[1] == 0:
            raise ValueError("responses must be a non-empty 2-D array (n_persons, n_items).")
        if not np.issubdtype(data.dtype, np.floating):
            data = data.astype(np.float64)
        n_persons, n_items = data.shape
        ids = tuple(item_ids) if item_ids is not None else tuple(f"item{j + 1}" for j in range(n_items))
        if len(ids) != n_items:
            raise ValueError(f"{len(ids)} item ids for {n_items} columns.")
        models = (self.model,) * n_items if isinstance(self.model, str) else tuple(self.model)
        models = tuple(m.lower() for m in models)
        if len(models) != n_items:
            raise ValueError(f"{len(models)} models for {n_items} items.")
        for m in models:
            if m not in MODELS:
                raise ValueError(f"Unknown model {m!r}; use one of {', '.join(MODELS)}.")
        if groups is not None and len(groups) != n_persons:
            raise ValueError(f"groups has {len(groups)} entries for {n_persons} persons.")
        k = response_categories(data, models, self.n_categories)
        anchor_pos = {}
        if anchors is not None:
            for jj, item in enumerate(ids):
                if item in anchors.ids:
                    pos = anchors.ids.index(item)
                    if anchors.models[pos] != models[jj] and not (
                        {anchors.models[pos], models[jj]} <= set(("1pl", "2pl", "rasch"))
                    ):
                        models = models[:jj] + (anchors.models[pos],) + models[jj + 1 :]
                    if anchors.n_categories[pos] < k[jj]:
                        raise ValueError(f"Item {item}: responses above the anchor's categories.")
                    k[jj] = anchors.n_categories[pos]
                    anchor_pos[jj] = pos

        # items that cannot be estimated
        missing = np.isnan(data)
        complete = not missing.any()
        counts = n_persons - missing.sum(axis=0)
        seen_all = np.stack([(data == v).sum(axis=0) for v in range(int(k.max()))], axis=1)
        excluded = []
        for jj in range(n_items):
            if jj in anchor_pos:
                continue
            reason = None
            if counts[jj] < self.min_responses:
                reason = f"only {counts[jj]} responses (minimum {self.min_responses})"
            else:
                seen = seen_all[jj, : k[jj]]
                if (seen > 0).sum() < 2:
                    reason = "no variance (every response in the same category)"
                elif (seen[: k[jj]] == 0).any():
                    empty = ", ".join(str(x) for x in np.flatnonzero(seen[: k[jj]] == 0))
                    reason = f"no responses in category {empty}"
            if reason:
                warnings.warn(
                    f"Item {ids[jj]} cannot be estimated: {reason}; it is left out.",
                    EstimationWarning,
                    stacklevel=2,
                )
                excluded.append(jj)
        keep = np.array([jj for jj in range(n_items) if jj not in excluded], dtype=int)
        if keep.size == 0:
            raise ValueError("No item can be estimated.")
        sub = data[:, keep] if keep.size < n_items else data
        sub_models = tuple(models[jj] for jj in keep)
        sub_k = k[keep]
        rows_ok = None if complete else (~np.isnan(sub)).any(axis=1)
        if rows_ok is not None and not rows_ok.all():
            sub = sub[rows_ok]
            groups = None if groups is None else np.asarray(groups)[rows_ok]

        quad = self.quadrature or rectangular(41, 6.0)
        collapse = self.collapse_patterns
        if collapse == "auto":
            collapse = sub.shape[1] <= 30
        dtype = self.dtype
        if dtype == "auto":
            dtype = np.float32 if sub.shape[0] * sub.shape[1] > 2_000_000 else np.float64
        design = _Design(sub, sub_k, groups, np.dtype(dtype), bool(collapse))

        slope_models = frozenset(("3pl",)) if self.slope_prior == "auto" else frozenset(("2pl", "3pl", "grm", "gpcm"))
        priors = _Priors(
            slope=(0.0, 0.5) if self.slope_prior == "auto" else self.slope_prior,
            guessing=(5.0, 17.0) if self.guessing_prior == "auto" else self.guessing_prior,
            slope_models=slope_models,
        )

        # blocks with start values
        slopes, thr = _start_values(sub, sub_k, sub_models)
        blocks: list[_Block] = []
        sub_anchor = {i: anchor_pos[keep[i]] for i in range(keep.size) if keep[i] in anchor_pos}
        for name, kk in sorted({(m, int(x)) for m, x in zip(sub_models, sub_k, strict=True)}):
            idx = np.flatnonzero((np.array(sub_models) == name) & (sub_k == kk))
            model = MODELS[name]
            a = slopes[idx].copy()
            c = np.full(
                idx.size,
                0.2
                if priors.guessing is None
                else (priors.guessing[0] - 1) / (priors.guessing[0] + priors.guessing[1] - 2),
            )
            if model.slope == "fixed":
                a[:] = 1.0
            elif model.slope == "common":
                a[:] = np.median(a)
            t = thr[idx, : kk - 1] * (a[:, None] if model.slope == "fixed" else 1.0)
            fixed = np.zeros(idx.size, dtype=bool)
            for r, i in enumerate(idx):
                if i in sub_anchor:
                    pos = sub_anchor[i]
                    a[r] = anchors.a[pos]
                    c[r] = anchors.c[pos]
                    t[r] = anchors.thresholds[pos, : kk - 1]
                    fixed[r] = True
            psi = model.to_internal(a, t, c)
            blocks.append(_Block(model, kk, idx, psi, fixed))

        # latent distributions
        n_groups = design.n_groups
        means, sds = np.zeros(n_groups), np.ones(n_groups)
        free_mean = np.ones(n_groups, dtype=bool)
        free_sd = np.ones(n_groups, dtype=bool)
        if not sub_anchor:
            free_mean[0] = False
            all_fixed_slope = all(b.model.slope == "fixed" or b.fixed.all() for b in blocks)
            free_sd[0] = all_fixed_slope

        self._blocks, self._design, self._quad, self._priors = blocks, design, quad, priors
        self._means, self._sds, self._free_mean, self._free_sd = means, sds, free_mean, free_sd
        self._layout()
        x0 = self._pack()
        x, history, converged = self._run_em(x0)
        self._unpack(x)
        ll, _ = self._e_step(x, want_counts=False)
        logprior = self._log_prior()
        n_params = int(x.size)
        n_obs = sub.shape[0]

        cov = None
        self.information_condition_, self.information_rank_ = float("nan"), 0
        if self.se_method is not None:
            cov = self._covariance(x, self.se_method)

        # assemble parameters for all items (excluded ones NaN)
        jmax = int(k.max())
        a_all = np.full(n_items, np.nan)
        c_all = np.full(n_items, np.nan)
        thr_all = np.full((n_items, jmax - 1), np.nan)
        se_a, se_c, se_b = (np.full(n_items, np.nan) for _ in range(3))
        se_thr = np.full((n_items, jmax - 1), np.nan)
        b_all = np.full(n_items, np.nan)
        for blk in blocks:
            a, t, c = blk.model.from_internal(blk.psi)
            cols = keep[blk.items]
            a_all[cols], c_all[cols] = a, c
            thr_all[cols, : blk.k - 1] = t
            b_all[cols] = t.mean(axis=1)
            if cov is not None:
                sa, sb, sc, st = self._delta_se(blk, cov)
                se_a[cols], se_b[cols], se_c[cols] = sa, sb, sc
                se_thr[cols, : blk.k - 1] = st
        # excluded polytomous items still need their category count: keep NaN thresholds padded
        params = ItemParameters(ids, models, a_all, b_all, c_all, thr_all, se_a, se_b, se_c, se_thr, k)
        group_se = self._group_se(cov)
        self.groups_ = tuple(
            LatentDistribution(
                float(self._means[g]), float(self._sds[g]), design.group_labels[g], *map(float, group_se[g])
            )
            for g in range(n_groups)
        )
        self.params_ = params
        self.loglik_ = float(ll)
        self.log_posterior_ = float(ll + logprior)
        self.n_params_ = n_params
        self.aic_ = float(-2 * ll + 2 * n_params)
        self.bic_ = float(-2 * ll + n_params * math.log(max(n_obs, 1)))
        self.n_iter_ = len(history)
        self.converged_ = bool(converged)
        self.history_ = np.array(history)
        self.excluded_ = tuple(ids[jj] for jj in excluded)
        self.n_persons_ = n_obs
        label = self.model if isinstance(self.model, str) else (models[0] if len(set(models)) == 1 else "mixed")
        self.result_ = CalibrationResult(
            params,
            self.groups_,
            str(label).lower(),
            self.loglik_,
            self.aic_,
            self.bic_,
            n_params,
            n_obs,
            self.n_iter_,
            self.converged_,
        )
        if not converged:
            warnings.warn(
                f"EM stopped after {self.n_iter_} steps without reaching tol={self.tol:g}.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self._warn_implausible(params)
        return self

    def to_dict(self) -> dict:
        """The params.json mapping of the fitted calibration (see :class:`CalibrationResult`)."""
        return self.result_.to_dict()

    # ------------------------------------------------------------------ internals

    def _warn_implausible(self, params: ItemParameters) -> None:
        bad = []
        for j in range(params.n_items):
            if not np.isfinite(params.a[j]):
                continue
            if params.a[j] < 0:
                bad.append(f"{params.ids[j]} (negative slope {params.a[j]:.2f})")
            elif params.a[j] > 8 or np.nanmax(np.abs(params.thresholds[j])) > 10:
                bad.append(f"{params.ids[j]} (extreme estimate; a Heywood case, consider priors)")
        if bad:
            warnings.warn("Implausible item estimates: " + "; ".join(bad) + ".", EstimationWarning, stacklevel=3)

    def _layout(self) -> None:
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
        for blk in self._blocks:
            live = blk.index >= 0
            blk.psi[live] = x[blk.index[live]]
        for g in range(len(self._means)):
            if self._mean_index[g] >= 0:
                self._means[g] = x[self._mean_index[g]]
            if self._sd_index[g] >= 0:
                self._sds[g] = math.exp(x[self._sd_index[g]])

    def _valid(self, x: np.ndarray) -> bool:
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
        return float(sum(_prior_terms(b.model, b.psi, self._priors)[0][~b.fixed].sum() for b in self._blocks))

    def _log_tables(self):
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

    def _chunks(self):
        d = self._design
        for (start, stop), g in zip(d.group_ranges, d.group_of_range, strict=True):
            for s in range(start, stop, self.chunk_size):
                yield s, min(s + self.chunk_size, stop), g

    def _e_step(self, x: np.ndarray | None = None, want_counts: bool = True):
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
            if nj is not None:
                nj += d.mask[s:e].T @ lik
            ng[g] += lik.sum(axis=0, dtype=np.float64)
        if nj is None:
            nj = np.broadcast_to(ng.sum(axis=0), (d.n_items, n_q))
        return ll, (r, nj, ng)

    def _m_step(self, stats) -> None:
        r, nj, ng = stats
        d = self._design
        theta = self._quad.nodes
        for blk in self._blocks:
            if blk.fixed.all():
                continue
            counts = np.zeros((blk.items.size, theta.size, blk.k))
            pos = {item: row for row, item in enumerate(blk.items)}
            for col in range(d.col_item.size):
                row = pos.get(int(d.col_item[col]))
                if row is not None:
                    counts[row, :, d.col_cat[col]] = r[col]
            counts[:, :, 0] = nj[blk.items] - counts[:, :, 1:].sum(axis=2)
            np.maximum(counts, 0.0, out=counts)
            blk.psi = _m_step_block(blk, counts, theta, self._priors)
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

    def _map(self, x: np.ndarray):
        """One EM step: objective at x and the updated parameter vector."""
        ll, stats = self._e_step(x)
        obj = ll + self._log_prior()
        self._m_step(stats)
        return obj, self._pack()

    def _run_em(self, x0: np.ndarray):
        history: list[float] = []
        tol, max_iter = self.tol, self.max_iter

        def step(x):
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
            obj0, x1 = step(x)
            if x.size == 0 or np.abs(x1 - x).max() < tol:
                return x1, history, True
            obj1, x2 = step(x1)
            if np.abs(x2 - x1).max() < tol:
                return x2, history, True
            rr = x1 - x
            v = x2 - x1 - rr
            nv = np.linalg.norm(v)
            if nv == 0:
                x = x2
                continue
            alpha = -np.linalg.norm(rr) / nv
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

    # ------------------------------------------------------------------ standard errors

    def _scores(self, x: np.ndarray):
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
            for gg in range(d.n_groups):
                if gg != g:
                    continue
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
        info = np.zeros((self._n_free, self._n_free))
        for blk in self._blocks:
            _, _, neg_hess = _prior_terms(blk.model, blk.psi, self._priors)
            for r in range(blk.psi.shape[0]):
                idx = blk.index[r]
                live = idx >= 0
                info[np.ix_(idx[live], idx[live])] += neg_hess[r][np.ix_(live, live)]
        return info

    def _covariance(self, x: np.ndarray, method: str) -> np.ndarray | None:
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

    def _complete_gradient(self, x_params: np.ndarray, stats) -> np.ndarray:
        """Gradient of the complete-data log posterior at x_params given expected counts."""
        self._unpack(x_params)
        r, nj, ng = stats
        d = self._design
        theta = self._quad.nodes
        grad = np.zeros(self._n_free)
        for blk in self._blocks:
            counts = np.zeros((blk.items.size, theta.size, blk.k))
            pos = {item: row for row, item in enumerate(blk.items)}
            for col in range(d.col_item.size):
                row = pos.get(int(d.col_item[col]))
                if row is not None:
                    counts[row, :, d.col_cat[col]] = r[col]
            counts[:, :, 0] = nj[blk.items] - counts[:, :, 1:].sum(axis=2)
            prob, dprob = blk.model.jacobian(blk.psi, theta)
            g = np.einsum("nqk,nqkp->np", counts / np.maximum(prob, PROBABILITY_FLOOR), dprob)
            g += _prior_terms(blk.model, blk.psi, self._priors)[1]
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

    def _delta_se(self, blk: _Block, cov: np.ndarray):
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
                st[r, t] = math.sqrt(max(gvec @ sub @ gvec, 0.0))
            gmean = np.mean(grads, axis=0)
            sb[r] = math.sqrt(max(gmean @ sub @ gmean, 0.0))
            if blk.model.guessing and live[2]:
                c = expit(blk.psi[r, 2])
                sc[r] = c * (1 - c) * math.sqrt(max(sub[2, 2], 0.0))
        return sa, sb, sc, st

    def _group_se(self, cov):
        out = []
        for g in range(len(self._means)):
            se_m = se_s = float("nan")
            if cov is not None and self._mean_index[g] >= 0:
                se_m = math.sqrt(max(cov[self._mean_index[g], self._mean_index[g]], 0.0))
            if cov is not None and self._sd_index[g] >= 0:
                se_s = self._sds[g] * math.sqrt(max(cov[self._sd_index[g], self._sd_index[g]], 0.0))
            out.append((se_m, se_s))
        return out


def calibrate(responses: np.ndarray, model: str | Sequence[str] = "2pl", **options) -> CalibrationResult:
    """Calibrate items by MML-EM (Bock & Aitkin 1981); a functional shortcut.

    Parameters
    ----------
    responses : array_like of shape (n_persons, n_items)
        1.0/0.0 or 0..K-1; NaN = not administered.
    model : str or sequence of str
        Model name for all items or one per item.
    **options
        Constructor options of :class:`MMLCalibrator`, plus ``item_ids``, ``groups`` and
        ``anchors`` for :meth:`MMLCalibrator.fit`.

    Returns
    -------
    CalibrationResult
    """
    fit_keys = {"item_ids", "groups", "anchors"}
    fit_args = {k: options.pop(k) for k in list(options) if k in fit_keys}
    return MMLCalibrator(model, **options).fit(responses, **fit_args).result_


_ = logit  # re-exported helper kept for readers converting c to γ
