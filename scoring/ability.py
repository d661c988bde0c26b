"""Ability (θ) estimation from responses and item parameters, and reporting scales.

Item response functions (logistic metric, D = 1) for dichotomous items::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))

and the GRM / GPCM for polytomous items (:mod:`scoring.models`).

Methods, each with a standard error:

* ``"eap"``: posterior mean and SD over a quadrature (Bock & Mislevy 1982).
* ``"map"``: posterior mode; SE = 1 / sqrt(I(θ) + 1/σ²) (Mislevy & Bock 1990).
* ``"mle"``: maximum likelihood; SE = 1 / sqrt(I(θ)) (Lord 1980).
* ``"wle"``: Warm's (1989) weighted likelihood, bias-corrected; SE = 1 / sqrt(I(θ)).

Extreme patterns (every administered response in the lowest, or every one in the highest,
category) have no finite MLE: ``"mle"`` returns the nearer bound of ``bounds`` (default ±6) with
the SE at that bound and ``extreme=True``. WLE, MAP and EAP are finite for them (WLE for 1PL/2PL,
GRM and GPCM items; a 3PL-only all-wrong pattern can still run to the lower bound, where it is
clipped). Persons with no administered item get NaN from MLE and WLE and the prior mean and SD
from MAP and EAP.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.arrays import BoolArray, FloatArray, readonly

from .models import PROBABILITY_FLOOR, ItemParameters, LatentDistribution, probabilities, theta_derivatives
from .quadrature import Quadrature, rectangular

__all__ = [
    "AbilityEstimates",
    "ReportingScale",
    "SumScoreTable",
    "check_responses",
    "estimate_ability",
    "log_likelihood_grid",
    "sum_score_distribution",
    "sum_score_table",
    "subscores",
]

METHODS = ("eap", "map", "mle", "wle")


@dataclass(frozen=True)
class AbilityEstimates:
    """θ estimates of a set of persons.

    Attributes
    ----------
    theta : ndarray of shape (n_persons,)
    se : ndarray of shape (n_persons,)
    method : str
    n_administered : ndarray of int, shape (n_persons,)
    extreme : ndarray of bool, shape (n_persons,)
        All administered responses in the lowest or all in the highest category.
    """

    theta: np.ndarray
    se: np.ndarray
    method: str
    n_administered: np.ndarray
    extreme: np.ndarray


def check_responses(responses: np.ndarray, params: ItemParameters) -> np.ndarray:
    """Validate responses against the items' categories.

    Parameters
    ----------
    responses : array_like of shape (n_persons, n_items)
        0..K-1 per item, NaN = not administered.
    params : ItemParameters

    Returns
    -------
    ndarray of float, shape (n_persons, n_items)
        The responses as a floating array (not copied when already floating).

    Raises
    ------
    ValueError
        Naming the first offending row and column (0-based).
    """
    x = np.asarray(responses)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    if x.ndim != 2 or x.shape[1] != params.n_items:
        raise ValueError(f"responses must have shape (n_persons, {params.n_items}); got {x.shape}.")
    k = params.n_categories
    step = 131072
    for s in range(0, x.shape[0], step):
        block = x[s : s + step]
        if (k == 2).all():
            ok = block == 0
            ok |= block == 1
        else:
            ok = (block >= 0) & (block <= k - 1) & (block == np.floor(block))
        ok |= np.isnan(block)
        if not ok.all():
            rows, cols = np.nonzero(~ok)
            row, col = int(rows[0]), int(cols[0])
            raise ValueError(
                f"row {s + row}, column {col}: value {block[row, col]:g} is not a category of item "
                f"{params.ids[col]} (expected an integer 0..{k[col] - 1})."
            )
    return x


def log_likelihood_grid(
    responses: FloatArray,
    params: ItemParameters,
    nodes: FloatArray,
    *,
    chunk_size: int = 65536,
    dtype: type[np.floating[Any]] = np.float32,
) -> Iterator[tuple[int, int, npt.NDArray[np.floating[Any]]]]:
    """Log-likelihood of each person's responses at each node, by blocks of persons.

    Computed as ``Y @ (log P_k - log P_0).T + M @ log P_0.T`` with one-hot indicators ``Y`` and
    the administered mask ``M`` (the E-step of Bock & Aitkin 1981).

    Parameters
    ----------
    responses : ndarray of shape (n_persons, n_items); NaN = not administered
    params : ItemParameters
    nodes : ndarray of shape (n_nodes,)
    chunk_size : int
    dtype : floating type of the matrix products.

    Yields
    ------
    start, stop : int
        Rows of the block.
    loglik : ndarray of shape (stop - start, n_nodes)
    """
    logp = np.log(np.maximum(probabilities(params, nodes), PROBABILITY_FLOOR)).transpose(1, 0, 2)  # (J, Q, K)
    k = params.n_categories
    col_item = np.repeat(np.arange(params.n_items), k - 1)
    col_cat = np.concatenate([np.arange(1, kk) for kk in k]) if params.n_items else np.zeros(0, int)
    base = logp[:, :, 0]
    contrast = (logp[col_item, :, col_cat] - base[col_item]).astype(dtype)
    base_sum = base.sum(axis=0).astype(dtype)
    base = base.astype(dtype)
    dich = bool((k == 2).all())
    for s in range(0, responses.shape[0], chunk_size):
        x = responses[s : s + chunk_size]
        missing = np.isnan(x)
        y = (x == 1) if dich else (x[:, col_item] == col_cat)
        lik = y.astype(dtype) @ contrast
        if missing.any():
            lik += (~missing).astype(dtype) @ base
        else:
            lik += base_sum
        yield s, s + x.shape[0], lik


def _eap(
    x: FloatArray, params: ItemParameters, prior: LatentDistribution, quad: Quadrature, chunk_size: int
) -> tuple[FloatArray, FloatArray]:
    nodes = quad.nodes
    logw = quad.log_weights(prior.mean, prior.sd).astype(np.float32)
    theta = np.empty(x.shape[0])
    se = np.empty(x.shape[0])
    nodes32 = nodes.astype(np.float32)
    for s, e, lik in log_likelihood_grid(x, params, nodes, chunk_size=chunk_size):
        lik += logw
        lik -= lik.max(axis=1, keepdims=True)
        np.maximum(lik, -80.0, out=lik)  # avoid slow subnormal float32 arithmetic
        np.exp(lik, out=lik)
        tot = lik.sum(axis=1)
        m1 = (lik @ nodes32) / tot
        m2 = (lik @ (nodes32 * nodes32)) / tot
        theta[s:e] = m1
        se[s:e] = np.sqrt(np.maximum(m2 - m1 * m1, 0.0))
    return theta, se


def _newton(
    x: FloatArray,
    params: ItemParameters,
    method: str,
    prior: LatentDistribution,
    bounds: tuple[float, float],
    start: FloatArray,
    max_iter: int,
    tol: float,
) -> FloatArray:
    """Safeguarded Newton (Fisher scoring within a bisection bracket) for MLE, MAP and WLE."""
    n, j = x.shape
    k = params.max_categories
    missing = np.isnan(x)
    mask = ~missing
    onehot = (np.where(missing, -1, x)[:, :, None] == np.arange(k)).astype(float)
    lo = np.full(n, bounds[0], dtype=float)
    hi = np.full(n, bounds[1], dtype=float)
    theta = np.clip(start, bounds[0] + 1e-3, bounds[1] - 1e-3)
    var = prior.sd**2

    active = np.ones(n, dtype=bool)
    for _ in range(max_iter):
        if not active.any():
            break
        t = theta[active]
        f, info = _estimating_function(t, onehot[active], mask[active], params, method, prior)
        pos = f > 0
        lo_a, hi_a = lo[active], hi[active]
        lo_a = np.where(pos, np.maximum(lo_a, t), lo_a)
        hi_a = np.where(pos, hi_a, np.minimum(hi_a, t))
        curv = info + (1.0 / var if method == "map" else 0.0)
        new = t + f / np.maximum(curv, 1e-12)
        outside = ~((new > lo_a) & (new < hi_a))
        new = np.where(outside, 0.5 * (lo_a + hi_a), new)
        done = (np.abs(new - t) < tol) | (hi_a - lo_a < tol)
        lo[active], hi[active] = lo_a, hi_a
        theta[active] = new
        idx = np.flatnonzero(active)
        active[idx[done]] = False
    return theta


def _estimating_function(
    t: FloatArray, oh: FloatArray, m: BoolArray, params: ItemParameters, method: str, prior: LatentDistribution
) -> tuple[FloatArray, FloatArray]:
    """Score (plus prior or Warm's correction) and test information at θ = t, per person."""
    p, dp, d2p = theta_derivatives(params, t)
    p = np.maximum(p, PROBABILITY_FLOOR)
    score = np.einsum("njk,njk->n", oh, dp / p)
    info = np.einsum("nj,njk->n", m, dp * dp / p)
    f = score
    if method == "map":
        f = f - (t - prior.mean) / prior.sd**2
    elif method == "wle":
        jj = np.einsum("nj,njk->n", m, dp * d2p / p)
        f = f + jj / (2.0 * np.maximum(info, 1e-300))
    return f, info


def _information(x: FloatArray, params: ItemParameters, theta: FloatArray) -> FloatArray:
    mask = ~np.isnan(x)
    _, dp, _ = theta_derivatives(params, theta)
    p = np.maximum(probabilities(params, theta), PROBABILITY_FLOOR)
    information: FloatArray = np.einsum("nj,njk->n", mask, dp * dp / p)
    return information


def estimate_ability(
    responses: np.ndarray,
    params: ItemParameters,
    method: str = "eap",
    *,
    prior: LatentDistribution | None = None,
    quadrature: Quadrature | None = None,
    bounds: tuple[float, float] = (-6.0, 6.0),
    max_iter: int = 100,
    tol: float = 1e-6,
    chunk_size: int | None = None,
) -> AbilityEstimates:
    """Estimate θ for each person (EAP, MAP, MLE or WLE) with a standard error.

    Parameters
    ----------
    responses : array_like of shape (n_persons, n_items)
        0/1 or 0..K-1 per item, NaN = not administered; columns in the order of ``params``.
    params : ItemParameters
        ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))`` for dichotomous items.
    method : {"eap", "map", "mle", "wle"}
        EAP (Bock & Mislevy 1982), MAP, MLE (Lord 1980) or WLE (Warm 1989).
    prior : LatentDistribution, optional
        Normal prior for EAP and MAP; default N(0, 1).
    quadrature : Quadrature, optional
        Nodes for EAP; default 61 equally spaced points on [-6, 6].
    bounds : (float, float)
        Search interval of MLE/MAP/WLE; MLE of extreme patterns is set to the nearer bound.
    max_iter, tol : Newton settings for MLE/MAP/WLE.
    chunk_size : int, optional
        Persons per block (memory bound).

    Returns
    -------
    AbilityEstimates
    """
    method = method.lower()
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; use one of {', '.join(METHODS)}.")
    prior = prior or LatentDistribution()
    x = check_responses(responses, params)
    n = x.shape[0]
    administered = (~np.isnan(x)).sum(axis=1)
    k = params.n_categories
    low = np.all(np.isnan(x) | (x == 0), axis=1)
    top = np.all(np.isnan(x) | (x == k - 1), axis=1)
    extreme = (administered > 0) & (low | top)
    quad = quadrature or rectangular(61, 6.0)
    if method == "eap":
        theta, se = _eap(x, params, prior, quad, chunk_size or 65536)
    else:
        theta = np.full(n, np.nan)
        se = np.full(n, np.nan)
        step = chunk_size or max(256, 2_000_000 // max(params.n_items * params.max_categories, 1))
        for s in range(0, n, step):
            xs = x[s : s + step]
            start, _ = _eap(xs, params, prior, quad, step)
            t = _newton(xs, params, method, prior, bounds, start, max_iter, tol)
            info = _information(xs, params, t)
            if method == "map":
                info = info + 1.0 / prior.sd**2
            theta[s : s + step] = t
            se[s : s + step] = 1.0 / np.sqrt(np.maximum(info, 1e-300))
        if method == "mle":
            ext_low, ext_top = extreme & low, extreme & top & ~low
            theta[ext_low], theta[ext_top] = bounds[0], bounds[1]
            for mask_ in (ext_low, ext_top):
                if mask_.any():
                    info = _information(x[mask_], params, theta[mask_])
                    se[mask_] = 1.0 / np.sqrt(np.maximum(info, 1e-300))
    none = administered == 0
    if none.any():
        if method in ("mle", "wle"):
            theta[none], se[none] = np.nan, np.nan
        else:
            theta[none], se[none] = prior.mean, prior.sd
    return AbilityEstimates(readonly(theta), readonly(se), method, readonly(administered), readonly(extreme))


# ---------------------------------------------------------------------------- sum scores


def sum_score_distribution(params: ItemParameters, nodes: np.ndarray) -> np.ndarray:
    """Likelihood of each summed score at each node (Lord & Wingersky 1984 recursion).

    Polytomous items contribute their category number (Thissen et al. 1995).

    Parameters
    ----------
    params : ItemParameters
    nodes : ndarray of shape (n_nodes,)

    Returns
    -------
    ndarray of shape (max_score + 1, n_nodes)
        ``L[s, q] = P(sum score = s | θ_q)``.
    """
    prob = probabilities(params, nodes)  # (Q, J, K)
    dist = np.ones((1, nodes.shape[0]))
    for j in range(params.n_items):
        kk = int(params.n_categories[j])
        new = np.zeros((dist.shape[0] + kk - 1, nodes.shape[0]))
        for cat in range(kk):
            new[cat : cat + dist.shape[0]] += dist * prob[:, j, cat]
        dist = new
    return dist


@dataclass(frozen=True)
class SumScoreTable:
    """EAP[θ | summed score] table (Thissen, Pommerich, Billeaud & Williams 1995).

    Attributes
    ----------
    scores : ndarray of int, shape (n_scores,)
    theta : ndarray of shape (n_scores,)
        Posterior mean of θ given the summed score.
    se : ndarray of shape (n_scores,)
        Posterior SD.
    probability : ndarray of shape (n_scores,)
        Model-implied marginal probability of each score.
    """

    scores: np.ndarray
    theta: np.ndarray
    se: np.ndarray
    probability: np.ndarray

    def lookup(self, sum_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """θ and SE for an array of summed scores (ints within the table)."""
        s = np.asarray(sum_scores, dtype=int)
        if s.size and (s.min() < 0 or s.max() > self.scores[-1]):
            raise ValueError(f"Summed scores must lie in 0..{int(self.scores[-1])}.")
        return self.theta[s], self.se[s]


def sum_score_table(
    params: ItemParameters, *, prior: LatentDistribution | None = None, quadrature: Quadrature | None = None
) -> SumScoreTable:
    """Summed-score EAP table for a complete form (Thissen et al. 1995; Lord & Wingersky 1984).

    Parameters
    ----------
    params : ItemParameters
        The items of the form; ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))`` for dichotomous ones.
    prior : LatentDistribution, optional
        Default N(0, 1).
    quadrature : Quadrature, optional
        Default 61 equally spaced points on [-6, 6].

    Returns
    -------
    SumScoreTable
    """
    prior = prior or LatentDistribution()
    quad = quadrature or rectangular(61, 6.0)
    w = quad.weights(prior.mean, prior.sd)
    joint = sum_score_distribution(params, quad.nodes) * w
    marg = joint.sum(axis=1)
    mean = joint @ quad.nodes / marg
    var = joint @ quad.nodes**2 / marg - mean**2
    scores = np.arange(joint.shape[0])
    return SumScoreTable(*(readonly(v) for v in (scores, mean, np.sqrt(np.maximum(var, 0)), marg)))


# ---------------------------------------------------------------------------- reporting


@dataclass(frozen=True)
class ReportingScale:
    """Linear reporting scale ``score = intercept + slope * θ``, optionally clipped and rounded.

    Attributes
    ----------
    slope, intercept : float
    lower, upper : float or None
        Clip limits of reported scores.
    decimals : int or None
        Rounding of reported scores and SEs.
    """

    slope: float
    intercept: float
    lower: float | None = None
    upper: float | None = None
    decimals: int | None = None

    @classmethod
    def from_mean_sd(
        cls,
        mean: float = 500.0,
        sd: float = 100.0,
        *,
        theta_mean: float = 0.0,
        theta_sd: float = 1.0,
        lower: float | None = None,
        upper: float | None = None,
        decimals: int | None = None,
    ) -> ReportingScale:
        """Scale on which a θ distribution N(theta_mean, theta_sd²) has the given mean and SD."""
        slope = sd / theta_sd
        return cls(slope, mean - slope * theta_mean, lower, upper, decimals)

    @classmethod
    def from_range(
        cls,
        lower: float = 0.0,
        upper: float = 100.0,
        *,
        theta_min: float = -4.0,
        theta_max: float = 4.0,
        decimals: int | None = None,
    ) -> ReportingScale:
        """Map [theta_min, theta_max] linearly onto [lower, upper] and clip outside it."""
        slope = (upper - lower) / (theta_max - theta_min)
        return cls(slope, lower - slope * theta_min, lower, upper, decimals)

    def transform(self, theta: np.ndarray | float) -> np.ndarray:
        """Reported scores for θ values, same shape."""
        score = self.intercept + self.slope * np.asarray(theta, dtype=float)
        if self.lower is not None or self.upper is not None:
            score = np.clip(score, self.lower, self.upper)
        return np.round(score, self.decimals) if self.decimals is not None else score

    def transform_se(self, se: np.ndarray | float) -> np.ndarray:
        """Standard errors on the reporting scale (``|slope| * se``)."""
        out = abs(self.slope) * np.asarray(se, dtype=float)
        return np.round(out, self.decimals) if self.decimals is not None else out

    def inverse(self, score: np.ndarray | float) -> np.ndarray:
        """θ for reported scores (inside the clip limits)."""
        return (np.asarray(score, dtype=float) - self.intercept) / self.slope


def subscores(
    responses: np.ndarray,
    params: ItemParameters,
    domains: Sequence[str],
    method: str = "eap",
    **options: Any,
) -> dict[str, AbilityEstimates]:
    """θ per competency: a unidimensional estimate from the items of each domain only.

    Parameters
    ----------
    responses : array_like of shape (n_persons, n_items); NaN = not administered
    params : ItemParameters
    domains : sequence of str, length n_items
        Competency code of each item (e.g. ``"TWK"``, ``"TIU"``, ``"TKP"``).
    method : {"eap", "map", "mle", "wle"}
    **options
        Passed to :func:`estimate_ability`.

    Returns
    -------
    dict of str to AbilityEstimates
        In order of first appearance of each domain.
    """
    labels = [str(d) for d in domains]
    if len(labels) != params.n_items:
        raise ValueError(f"{len(labels)} domain labels for {params.n_items} items.")
    x = np.asarray(responses)
    out = {}
    for label in dict.fromkeys(labels):
        cols = np.array([j for j, d in enumerate(labels) if d == label])
        out[label] = estimate_ability(x[:, cols], params.subset(cols), method, **options)
    return out
