"""Response times under van der Linden's (2006) lognormal model.

:func:`fit_lognormal_rt` fits the model, :func:`rt_aberrance` gives the residual aberrance
statistic of van der Linden & Guo (2008), and :func:`rapid_guesses` flags rapid guessing with
normative thresholds (Wise & Ma 2012).

``times`` : ndarray of shape (n_persons, n_items)
    Seconds, NaN = missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import chdtrc

from scoring.arrays import readonly


def _check_times(times: np.ndarray) -> np.ndarray:
    t = np.asarray(times, dtype=float)
    if t.ndim != 2:
        raise ValueError(f"times must have shape (n_persons, n_items); got {t.shape}.")
    finite = np.isfinite(t)
    if np.isinf(t).any() or (t[finite] <= 0).any():
        row, col = np.argwhere(np.isinf(t) | (finite & (t <= 0)))[0]
        raise ValueError(f"times row {row}, column {col}: {t[row, col]} is not a positive number of seconds.")
    return t


@dataclass(frozen=True)
class LognormalFit:
    """Fitted lognormal response-time model (van der Linden 2006).

    Attributes
    ----------
    alpha : ndarray of shape (n_items,)
        Time discrimination (1 / residual SD of log time); NaN for items with < 2 times.
    beta : ndarray of shape (n_items,)
        Time intensity (mean log seconds of a person of average speed).
    tau : ndarray of shape (n_persons,)
        Speed, centred to mean 0; NaN for persons with no usable time.
    n_iter : int
    converged : bool
    """

    alpha: np.ndarray
    beta: np.ndarray
    tau: np.ndarray
    n_iter: int
    converged: bool


def _speed(y: np.ndarray, used: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares (= ML) speeds and their precisions A_i = sum_j α_j²."""
    w = np.where(used, alpha[None, :] ** 2, 0.0)
    precision = w.sum(axis=1)
    resid = np.where(used, beta[None, :] - y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.where(precision > 0, (w * resid).sum(axis=1) / precision, np.nan)
    return tau, precision


def fit_lognormal_rt(times: np.ndarray, *, max_iter: int = 500, tol: float = 1e-6) -> LognormalFit:
    """Estimate van der Linden's (2006) lognormal response-time model by alternating ML.

    ``log T_ij = β_j - τ_i + ε_ij,  ε_ij ~ N(0, α_j⁻²)`` (van der Linden 2006, JEBS 31(2); the
    first level of his 2007 hierarchical framework, Psychometrika 72). Speeds and item parameters
    are treated as fixed effects, identified by mean(τ) = 0, and estimated by alternating closed-form
    steps until they stop changing:

    * ``τ_i = sum_j α_j² (β_j - y_ij) / A_i`` with ``A_i = sum_j α_j²`` (the ML speed given items);
    * ``β_j = mean_i (y_ij + τ_i)``;
    * ``α_j⁻² = mean_i ((y_ij + τ_i - β_j)² + 1 / A_i)``: the residual variance plus 1 / A_i, the
      variance the estimated τ_i absorbed, which removes the downward bias of joint ML
      (E[r_ij²] = α_j⁻² - 1 / A_i for the WLS residual).

    Missing times (NaN) are skipped. Items with fewer than two times get NaN parameters and are not
    used for τ.

    Parameters
    ----------
    times : ndarray of shape (n_persons, n_items)
        Seconds, NaN = missing.
    max_iter : int
    tol : float
        Largest change of any parameter that counts as converged.

    Returns
    -------
    LognormalFit
    """
    t = _check_times(times)
    n, n_items = t.shape
    observed = np.isfinite(t)
    with np.errstate(divide="ignore"):
        y = np.where(observed, np.log(np.where(observed, t, 1.0)), np.nan)
    counts = observed.sum(axis=0)
    usable = counts >= 2
    used = observed & usable[None, :]
    n_used = used.sum(axis=0)
    alpha = np.where(usable, 1.0, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.where(usable, np.where(used, y, 0.0).sum(axis=0) / np.maximum(n_used, 1), np.nan)
    tau = np.full(n, np.nan)
    converged, it = False, 0
    for it in range(1, max_iter + 1):
        tau_new, precision = _speed(y, used, np.nan_to_num(alpha), np.nan_to_num(beta))
        shift = np.nanmean(tau_new) if np.isfinite(tau_new).any() else 0.0
        tau_new = tau_new - shift
        shifted = np.where(used, y + tau_new[:, None], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            beta_new = np.where(usable, shifted.sum(axis=0) / np.maximum(n_used, 1), np.nan)
            resid2 = np.where(used, (shifted - np.nan_to_num(beta_new)[None, :]) ** 2, 0.0)
            absorbed = np.where(used, 1.0 / np.where(precision > 0, precision, np.inf)[:, None], 0.0)
            var = (resid2 + absorbed).sum(axis=0) / np.maximum(n_used, 1)
            alpha_new = np.where(usable, 1.0 / np.sqrt(np.maximum(var, 1e-8)), np.nan)
        change = max(
            np.nanmax(np.abs(tau_new - tau), initial=0.0) if it > 1 else np.inf,
            np.nanmax(np.abs(beta_new - beta), initial=0.0),
            np.nanmax(np.abs(alpha_new - alpha), initial=0.0),
        )
        tau, beta, alpha = tau_new, beta_new, alpha_new
        if change < tol:
            converged = True
            break
    return LognormalFit(readonly(alpha), readonly(beta), readonly(tau), it, converged)


@dataclass(frozen=True)
class ResponseTimeAberrance:
    """Residual-based response-time aberrance (van der Linden & Guo 2008).

    Attributes
    ----------
    z : ndarray of shape (n_persons, n_items)
        ``α_j (log t_ij - (β_j - τ_i))``; negative = faster than expected. NaN where missing.
    l_t : ndarray of shape (n_persons,)
        ``sum_j z_ij²``.
    df : ndarray of int, shape (n_persons,)
        Times used minus one (for the estimated τ_i).
    p_value : ndarray of shape (n_persons,)
        Upper-tail χ²(df) p-value; NaN when df < 1.
    n_fast : ndarray of int, shape (n_persons,)
        Responses with z below ``fast_z`` (unusually fast, e.g. pre-knowledge).
    """

    z: np.ndarray
    l_t: np.ndarray
    df: np.ndarray
    p_value: np.ndarray
    n_fast: np.ndarray


def rt_aberrance(times: np.ndarray, fit: LognormalFit | None = None, *, fast_z: float = -1.96) -> ResponseTimeAberrance:
    """Person-level aberrance of response times under the lognormal model.

    Standardised residuals ``z_ij = α_j (log t_ij - (β_j - τ̂_i))`` and ``l_t = sum_j z_ij²``
    (van der Linden & Guo 2008, "Bayesian procedures for identifying aberrant response-time
    patterns", Psychometrika 73; here the frequentist plug-in version with estimated parameters,
    not their posterior predictive check). Under the model with known item parameters and the ML
    τ̂_i, l_t ~ χ²(n_i - 1): one degree of freedom goes to τ̂_i (χ²(n_i) holds for a known τ;
    with τ̂ it would be conservative). Pre-knowledge (a block of items answered far faster) and
    erratic timing both inflate l_t; ``n_fast`` says which direction.

    Parameters
    ----------
    times : ndarray of shape (n_persons, n_items)
        Seconds, NaN = missing.
    fit : LognormalFit, optional
        Item parameters (and speeds) to use; default :func:`fit_lognormal_rt` of ``times``.
        Speeds are always re-estimated from ``times`` with the fit's item parameters.
    fast_z : float
        Threshold of ``n_fast``.

    Returns
    -------
    ResponseTimeAberrance
    """
    t = _check_times(times)
    fit = fit or fit_lognormal_rt(t)
    alpha, beta = np.asarray(fit.alpha, float), np.asarray(fit.beta, float)
    if alpha.shape != (t.shape[1],) or beta.shape != (t.shape[1],):
        raise ValueError(f"fit has {alpha.shape[0]} items, times has {t.shape[1]}.")
    used = np.isfinite(t) & np.isfinite(alpha)[None, :] & np.isfinite(beta)[None, :]
    y = np.log(np.where(used, t, 1.0))
    tau, _ = _speed(y, used, np.nan_to_num(alpha), np.nan_to_num(beta))
    z = np.where(used, alpha[None, :] * (y - beta[None, :] + tau[:, None]), np.nan)
    l_t = np.where(used, z, 0.0) ** 2
    l_t = l_t.sum(axis=1)
    df = used.sum(axis=1) - 1
    with np.errstate(invalid="ignore"):
        p = np.where(df >= 1, chdtrc(np.maximum(df, 1), l_t), np.nan)
        n_fast = (np.where(used, z, 0.0) < fast_z).sum(axis=1)
    l_t = np.where(df >= 1, l_t, np.nan)
    return ResponseTimeAberrance(readonly(z), readonly(l_t), readonly(np.maximum(df, 0)), readonly(p), readonly(n_fast))


@dataclass(frozen=True)
class RapidGuessing:
    """Rapid guesses by normative thresholds (Wise & Ma 2012).

    Attributes
    ----------
    thresholds : ndarray of shape (n_items,)
        Seconds; NaN for items without times.
    is_rapid : ndarray of bool, shape (n_persons, n_items)
    count : ndarray of int, shape (n_persons,)
    proportion : ndarray of shape (n_persons,)
        Rapid guesses over timed responses (1 - response-time effort, Wise & Kong 2005); NaN
        when the person has no timed response.
    """

    thresholds: np.ndarray
    is_rapid: np.ndarray
    count: np.ndarray
    proportion: np.ndarray


def rapid_guesses(
    times: np.ndarray,
    *,
    fraction: float = 0.10,
    center: str = "mean",
    max_threshold: float | None = 10.0,
) -> RapidGuessing:
    """Flag rapid guesses with the normative threshold method NTxx (Wise & Ma 2012).

    The threshold of item j is ``fraction`` (10% for NT10) of the item's typical time over all
    candidates, capped at ``max_threshold`` seconds; a response faster than that is a rapid guess.
    Wise & Ma take the mean time and a 10 s cap; ``center="median"`` is more robust to a few very
    slow responses.

    Parameters
    ----------
    times : ndarray of shape (n_persons, n_items)
        Seconds, NaN = missing.
    fraction : float
        In (0, 1).
    center : {"mean", "median"}
    max_threshold : float or None
        Cap in seconds; None for no cap.

    Returns
    -------
    RapidGuessing
    """
    t = _check_times(times)
    if not 0 < fraction < 1:
        raise ValueError("fraction must be in (0, 1).")
    if center not in ("mean", "median"):
        raise ValueError("center must be 'mean' or 'median'.")
    observed = np.isfinite(t)
    any_time = observed.any(axis=0)
    typical = np.full(t.shape[1], np.nan)
    if any_time.any():
        reduce = np.nanmean if center == "mean" else np.nanmedian
        typical[any_time] = reduce(t[:, any_time], axis=0)
    thresholds = fraction * typical
    if max_threshold is not None:
        thresholds = np.minimum(thresholds, max_threshold)
    with np.errstate(invalid="ignore"):
        rapid = observed & (t < thresholds[None, :])
    count = rapid.sum(axis=1)
    n_timed = observed.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        proportion = np.where(n_timed > 0, count / np.maximum(n_timed, 1), np.nan)
    return RapidGuessing(readonly(thresholds), readonly(rapid), readonly(count), readonly(proportion))
