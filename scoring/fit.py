"""Item fit (S-X2) and person fit (lz, lz*).

Item response functions (logistic metric, D = 1)::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))

with the GRM / GPCM for polytomous items (:mod:`scoring.models`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import chdtrc

from .ability import check_responses
from .models import PROBABILITY_FLOOR, ItemParameters, LatentDistribution, probabilities, theta_derivatives
from .quadrature import Quadrature, rectangular

__all__ = ["ItemFit", "lz", "lz_star", "s_x2"]

#: Free parameters per item, for the degrees of freedom of S-X2.
_N_PARAMS = {"rasch": 1, "1pl": 1, "2pl": 2, "3pl": 3}


@dataclass(frozen=True)
class ItemFit:
    """S-X2 item fit statistics.

    Attributes
    ----------
    statistic : ndarray of shape (n_items,)
    df : ndarray of int, shape (n_items,)
    p_value : ndarray of shape (n_items,)
    n_persons : int
        Persons with complete responses used.
    """

    statistic: np.ndarray
    df: np.ndarray
    p_value: np.ndarray
    n_persons: int


def _lord_wingersky(prob: np.ndarray, k: np.ndarray, skip: int | None = None) -> np.ndarray:
    """Summed-score likelihoods (n_scores, Q) from probabilities (Q, J, K), leaving out ``skip``."""
    q = prob.shape[0]
    dist = np.ones((1, q))
    for j in range(prob.shape[1]):
        if j == skip:
            continue
        kk = int(k[j])
        new = np.zeros((dist.shape[0] + kk - 1, q))
        for cat in range(kk):
            new[cat : cat + dist.shape[0]] += dist * prob[:, j, cat]
        dist = new
    return dist


def s_x2(
    responses: np.ndarray,
    params: ItemParameters,
    *,
    prior: LatentDistribution | None = None,
    quadrature: Quadrature | None = None,
    min_expected: float = 1.0,
) -> ItemFit:
    """Summed-score item fit S-X2 (Orlando & Thissen 2000; polytomous: Kang & Chen 2008).

    For each summed score s the observed proportions in each category of item j are compared with
    the model-implied ones, ``E_jk(s) = ∫ P_jk(θ) f_{-j}(s - k | θ) g(θ) dθ / ∫ f(s | θ) g(θ) dθ``,
    where f are Lord-Wingersky summed-score likelihoods. Extreme scores are left out, and
    adjacent score groups are merged until every expected count reaches ``min_expected``.

    Parameters
    ----------
    responses : array_like of shape (n_persons, n_items)
        Only persons who answered every item are used (summed scores need a common form).
    params : ItemParameters
    prior : LatentDistribution, optional
        Default N(0, 1).
    quadrature : Quadrature, optional
        Default 61 equally spaced nodes on [-6, 6].
    min_expected : float
        Smallest expected count per cell after merging (mirt's default is 1).

    Returns
    -------
    ItemFit
    """
    x = check_responses(responses, params)
    x = x[~np.isnan(x).any(axis=1)]
    if x.shape[0] == 0:
        raise ValueError("S-X2 needs persons who answered every item.")
    prior = prior or LatentDistribution()
    quad = quadrature or rectangular(61, 6.0)
    w = quad.weights(prior.mean, prior.sd)
    k = params.n_categories
    prob = probabilities(params, quad.nodes)
    full = _lord_wingersky(prob, k) * w  # (S+1, Q)
    denom = full.sum(axis=1)
    total = x.sum(axis=1).astype(int)
    s_max = full.shape[0] - 1
    scores = np.arange(1, s_max)
    n_s = np.bincount(total, minlength=s_max + 1)[scores].astype(float)
    stat = np.full(params.n_items, np.nan)
    df = np.zeros(params.n_items, dtype=int)
    for j in range(params.n_items):
        kk = int(k[j])
        rest = _lord_wingersky(prob, k, skip=j) * w
        expected = np.zeros((scores.size, kk))
        for cat in range(kk):
            s_rest = scores - cat
            ok = (s_rest >= 0) & (s_rest < rest.shape[0])
            expected[ok, cat] = (rest[s_rest[ok]] * prob[:, j, cat]).sum(axis=1) / denom[scores[ok]]
        observed = np.zeros((scores.size, kk))
        inside = (total >= 1) & (total < s_max)
        np.add.at(observed, (total[inside] - 1, x[inside, j].astype(int)), 1.0)
        exp_count = expected * n_s[:, None]
        groups_o, groups_e = [], []
        acc_o, acc_e = np.zeros(kk), np.zeros(kk)
        for row in range(scores.size):
            acc_o += observed[row]
            acc_e += exp_count[row]
            if (acc_e >= min_expected).all():
                groups_o.append(acc_o)
                groups_e.append(acc_e)
                acc_o, acc_e = np.zeros(kk), np.zeros(kk)
        if acc_e.sum() > 0 and groups_e:
            groups_o[-1] = groups_o[-1] + acc_o
            groups_e[-1] = groups_e[-1] + acc_e
        if not groups_e:
            continue
        go, ge = np.array(groups_o), np.maximum(np.array(groups_e), 1e-12)
        stat[j] = float(((go - ge) ** 2 / ge).sum())
        n_par = _N_PARAMS.get(params.models[j], kk)
        df[j] = len(groups_e) * (kk - 1) - n_par
    with np.errstate(invalid="ignore"):
        p = np.where(df > 0, chdtrc(np.maximum(df, 1), stat), np.nan)
    return ItemFit(stat, df, p, int(x.shape[0]))


def lz(responses: np.ndarray, params: ItemParameters, theta: np.ndarray) -> np.ndarray:
    """Standardised log-likelihood person fit lz (Drasgow, Levine & Williams 1985).

    ``lz = (l0 - E[l0]) / sqrt(Var[l0])`` over the administered items, evaluated at θ̂; the
    polytomous form of Drasgow, Levine & Williams (1985). Large negative values flag aberrant
    patterns.

    Parameters
    ----------
    responses : array_like of shape (n_persons, n_items); NaN = not administered
    params : ItemParameters
    theta : ndarray of shape (n_persons,)
        Ability estimates (finite).

    Returns
    -------
    ndarray of shape (n_persons,)
        NaN where no item was administered or the variance is zero.
    """
    x = check_responses(responses, params)
    theta = np.asarray(theta, dtype=float)
    out = np.full(x.shape[0], np.nan)
    step = max(256, 2_000_000 // max(params.n_items * params.max_categories, 1))
    for s in range(0, x.shape[0], step):
        xs, ts = x[s : s + step], theta[s : s + step]
        admin = ~np.isnan(xs)
        p = np.maximum(probabilities(params, ts), PROBABILITY_FLOOR)
        logp = np.log(p)
        onehot = np.where(admin, xs, -1)[:, :, None] == np.arange(p.shape[2])
        real = np.arange(p.shape[2])[None, :] < params.n_categories[:, None]
        pl = np.where(real, p * logp, 0.0)
        l0 = np.where(onehot, logp, 0.0).sum(axis=(1, 2))
        mean_j = pl.sum(axis=2)
        var_j = np.where(real, p * logp**2, 0.0).sum(axis=2) - mean_j**2
        e = (mean_j * admin).sum(axis=1)
        v = (var_j * admin).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[s : s + step] = np.where(v > 0, (l0 - e) / np.sqrt(v), np.nan)
    return out


def lz_star(
    responses: np.ndarray,
    params: ItemParameters,
    theta: np.ndarray,
    *,
    method: str = "mle",
    prior: LatentDistribution | None = None,
) -> np.ndarray:
    """lz corrected for the estimation of θ (Snijders 2001), for dichotomous items.

    With ``w_j = log(P_j / (1 - P_j))``, ``r_j = P_j' / (P_j (1 - P_j))`` and the estimating
    equation ``sum_j (x_j - P_j) r_j + r_0(θ) = 0`` of the ability estimator (r_0 = 0 for MLE,
    Warm's ``J / (2 I)`` for WLE, ``-(θ - μ) / σ²`` for MAP), following Magis, Raîche & Béland
    (2012)::

        c_n = sum P_j' w_j / sum P_j' r_j,   w~_j = w_j - c_n r_j
        lz* = (sum (x_j - P_j) w_j + c_n r_0) / sqrt(sum w~_j² P_j (1 - P_j))

    Asymptotically N(0, 1) under the model even though θ is estimated.

    Parameters
    ----------
    responses : array_like of shape (n_persons, n_items); 0/1, NaN = not administered
    params : ItemParameters
        Dichotomous items only.
    theta : ndarray of shape (n_persons,)
        Estimates from ``method``.
    method : {"mle", "wle", "map"}
    prior : LatentDistribution, optional
        The MAP prior (default N(0, 1)).

    Returns
    -------
    ndarray of shape (n_persons,)
    """
    if (params.n_categories != 2).any():
        raise ValueError("lz* is defined here for dichotomous items only.")
    if method not in ("mle", "wle", "map"):
        raise ValueError("method must be 'mle', 'wle' or 'map'.")
    prior = prior or LatentDistribution()
    x = check_responses(responses, params)
    theta = np.asarray(theta, dtype=float)
    admin = ~np.isnan(x)
    p_all, dp_all, d2p_all = theta_derivatives(params, theta)
    p = np.clip(p_all[:, :, 1], 1e-12, 1 - 1e-12)
    dp, d2p = dp_all[:, :, 1], d2p_all[:, :, 1]
    q = 1.0 - p
    w = np.log(p / q)
    r = dp / (p * q)
    xs = np.where(admin, x, 0.0)
    c_n = (admin * dp * w).sum(axis=1) / (admin * dp * r).sum(axis=1)
    if method == "mle":
        r0 = np.zeros_like(theta)
    elif method == "wle":
        info = (admin * dp * dp / (p * q)).sum(axis=1)
        jj = (admin * dp * d2p / (p * q)).sum(axis=1)
        r0 = jj / (2.0 * info)
    else:
        r0 = -(theta - prior.mean) / prior.sd**2
    w_tilde = w - c_n[:, None] * r
    num = (admin * (xs - p) * w).sum(axis=1) + c_n * r0
    den = np.sqrt((admin * w_tilde**2 * p * q).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)
