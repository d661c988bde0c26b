"""Recruitment effectiveness: did selection scores predict performance, and was it fair?

* :func:`predictive_validity` -- Pearson correlation between a selection score (an instrument or
  a section) and later performance among the hired, with bootstrap percentile and BCa intervals,
  corrected for direct range restriction (Thorndike case II) with intervals for the corrected
  value as well.
* :func:`correct_range_restriction` -- the case II formula on its own, vectorised.
* :func:`adverse_impact` -- selection rate per group, impact ratio against the highest-rate
  group, the four-fifths rule, and Fisher exact / two-proportion z tests.
* :func:`simulate_selection` and :func:`validity_coverage` -- applicants with a known true
  validity, selected top-down, to check that the estimate is attenuated, that the correction
  moves it toward the truth and that the intervals cover it at their nominal rate.

Orientation: one row per person; ``scores`` and ``performance`` have shape (n_persons,).
Randomness only through ``rng: np.random.Generator | int | None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from scoring.arrays import FloatArray, readonly

__all__ = [
    "AdverseImpact",
    "CoverageResult",
    "Interval",
    "SimulatedSelection",
    "ValidityResult",
    "adverse_impact",
    "correct_range_restriction",
    "predictive_validity",
    "simulate_selection",
    "validity_coverage",
]

#: Largest number of (replicate x person) cells drawn at once in the bootstrap.
BOOTSTRAP_CHUNK = 2_000_000
#: The fewest bootstrap replicates that give a usable interval.
MIN_BOOTSTRAP = 100


def _vector(values: object, name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric.") from exc
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {array.shape}.")
    return array


# --------------------------------------------------------------------------- range restriction


def correct_range_restriction(
    r: np.ndarray | float, restricted_sd: np.ndarray | float, unrestricted_sd: np.ndarray | float
) -> np.ndarray:
    """Correct a correlation for direct range restriction on the predictor (Thorndike case II).

    With ``U = unrestricted_sd / restricted_sd`` (applicant pool SD over selected SD)::

        R = r U / sqrt(1 + r² (U² - 1))

    (Thorndike 1949, case II; Hunter, Schmidt & Le 2006 on when direct restriction applies and
    how it differs from indirect restriction). Exact under top-down selection on the predictor when the
    regression of the criterion on the predictor is linear and homoscedastic.

    Parameters
    ----------
    r : float or ndarray of any shape
        Correlations in the selected group, in [-1, 1]; NaN passes through.
    restricted_sd, unrestricted_sd : float or ndarray broadcastable with ``r``
        Predictor SD among the selected and in the applicant pool, > 0.

    Returns
    -------
    ndarray of the broadcast shape
        Corrected correlations, in [-1, 1].

    Raises
    ------
    ValueError
        If |r| > 1 or an SD is not positive and finite.
    """
    r = np.asarray(r, dtype=float)
    s = np.asarray(restricted_sd, dtype=float)
    big_s = np.asarray(unrestricted_sd, dtype=float)
    if np.any(np.abs(r[~np.isnan(r)]) > 1 + 1e-12):
        raise ValueError("Correlations must lie in [-1, 1].")
    for sd, name in ((s, "restricted_sd"), (big_s, "unrestricted_sd")):
        if np.any(~np.isfinite(sd)) or np.any(sd <= 0):
            raise ValueError(f"{name} must be positive and finite.")
    u = big_s / s
    corrected: FloatArray = r * u / np.sqrt(1.0 + r**2 * (u**2 - 1.0))
    return corrected


# --------------------------------------------------------------------------- predictive validity


@dataclass(frozen=True)
class Interval:
    """A confidence interval: ``low``, ``high`` at level ``confidence``; NaN if it cannot be formed."""

    low: float
    high: float
    confidence: float

    def __contains__(self, value: object) -> bool:
        return bool(self.low <= float(value) <= self.high)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ValidityResult:
    """Predictive validity of one selection score.

    Attributes
    ----------
    n : int
        Pairs used (persons with both a score and a performance rating).
    r : float
        Observed Pearson correlation among the selected.
    ci_percentile, ci_bca : Interval
        Bootstrap intervals of ``r`` (Efron & Tibshirani 1993, ch. 13-14; Efron 1987).
    ci_fisher : Interval
        Fisher z interval of ``r``, for comparison (Fisher 1921).
    corrected : float or None
        Thorndike case II value; None without ``applicant_sd``.
    corrected_ci_percentile, corrected_ci_bca : Interval or None
        Bootstrap intervals of the corrected value (each replicate corrected with its own
        selected SD).
    u : float or None
        ``restricted SD / applicant SD`` (the selection ratio of variability, < 1 under selection).
    n_boot : int
        Bootstrap replicates drawn.
    n_degenerate : int
        Replicates dropped because a resample had no variance.
    """

    n: int
    r: float
    ci_percentile: Interval
    ci_bca: Interval
    ci_fisher: Interval
    corrected: float | None
    corrected_ci_percentile: Interval | None
    corrected_ci_bca: Interval | None
    u: float | None
    n_boot: int
    n_degenerate: int


def _pearson_rows(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise Pearson r and SD of x (ddof=1); x, y of shape (n_rows, n). NaN if no variance."""
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    sxx = np.einsum("ij,ij->i", xc, xc)
    syy = np.einsum("ij,ij->i", yc, yc)
    sxy = np.einsum("ij,ij->i", xc, yc)
    denominator = np.sqrt(sxx * syy)
    # Relative to the raw sums of squares: a constant column leaves only rounding noise.
    degenerate = (sxx <= 1e-20 * np.einsum("ij,ij->i", x, x) + 1e-300) | (
        syy <= 1e-20 * np.einsum("ij,ij->i", y, y) + 1e-300
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(degenerate, np.nan, sxy / np.where(degenerate, 1.0, denominator))
    return np.clip(r, -1.0, 1.0), np.sqrt(sxx / (x.shape[1] - 1))


def _jackknife(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out r and SD of x, shape (n,), from sums (no n x n matrix)."""
    n = x.size
    x = x - x.mean()
    y = y - y.mean()
    m = n - 1
    sx, sy = x.sum() - x, y.sum() - y
    sxx, syy, sxy = (x * x).sum() - x * x, (y * y).sum() - y * y, (x * y).sum() - x * y
    vx = sxx - sx**2 / m
    vy = syy - sy**2 / m
    cxy = sxy - sx * sy / m
    # Leaving out the only deviating value can leave a constant column: r is then undefined.
    degenerate = (vx <= 1e-12 * (x * x).sum()) | (vy <= 1e-12 * (y * y).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(degenerate, np.nan, cxy / np.sqrt(np.where(degenerate, 1.0, vx * vy)))
    return np.clip(r, -1.0, 1.0), np.sqrt(np.maximum(vx, 0.0) / (m - 1))


def _percentile_interval(replicates: np.ndarray, confidence: float) -> Interval:
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(replicates, [tail, 1.0 - tail])
    return Interval(float(low), float(high), confidence)


def _bca_interval(replicates: np.ndarray, estimate: float, jackknife: np.ndarray, confidence: float) -> Interval:
    """BCa interval (Efron 1987): bias correction z0 from the replicates, acceleration a from
    the jackknife, ``α_j = Φ(z0 + (z0 + z_j) / (1 - a (z0 + z_j)))``."""
    b = replicates.size
    share_below = (np.count_nonzero(replicates < estimate) + 0.5 * np.count_nonzero(replicates == estimate)) / b
    if not 0.0 < share_below < 1.0:
        return Interval(np.nan, np.nan, confidence)
    z0 = special.ndtri(share_below)
    jackknife = jackknife[np.isfinite(jackknife)]
    a = 0.0
    if jackknife.size >= 2:
        deviation = jackknife.mean() - jackknife
        denominator = 6.0 * np.sum(deviation**2) ** 1.5
        a = float(np.sum(deviation**3) / denominator) if denominator > 0 else 0.0
    tail = (1.0 - confidence) / 2.0
    z = special.ndtri([tail, 1.0 - tail])
    alphas = special.ndtr(z0 + (z0 + z) / (1.0 - a * (z0 + z)))
    low, high = np.quantile(replicates, alphas)
    return Interval(float(low), float(high), confidence)


def predictive_validity(
    scores: np.ndarray | Sequence[float],
    performance: np.ndarray | Sequence[float],
    *,
    applicant_sd: float | None = None,
    n_boot: int = 2000,
    confidence: float = 0.95,
    rng: np.random.Generator | int | None = None,
) -> ValidityResult:
    """Correlation of selection scores with later performance, with bootstrap intervals.

    Pairs with a NaN in either array are dropped. The bootstrap resamples persons (pairs) with
    replacement, ``n_boot`` times, all replicates computed at once in chunks. Intervals:

    * percentile: the ``(1-c)/2`` and ``(1+c)/2`` quantiles of the replicates;
    * BCa (Efron 1987): quantiles shifted by the bias correction ``z0 = Φ⁻¹(share of
      replicates below r)`` and the acceleration ``a`` from the jackknife skewness.

    The selected are a top slice of the applicants, so the predictor's variance is restricted
    and ``r`` underestimates the validity in the applicant pool. With ``applicant_sd`` the value
    is corrected by Thorndike's case II (Thorndike 1949; Hunter, Schmidt & Le 2006), see
    :func:`correct_range_restriction`. Each replicate is corrected with its own selected SD, so
    the intervals of the corrected value carry the uncertainty of both r and that SD (the
    applicant SD comes from the full pool and is treated as known).

    Parameters
    ----------
    scores : array_like of shape (n_persons,)
        Selection score of each hired person (one instrument or section).
    performance : array_like of shape (n_persons,)
        Later performance rating; NaN = not yet rated.
    applicant_sd : float, optional
        SD (ddof=1) of ``scores`` among all applicants; enables the correction.
    n_boot : int, default 2000
        Bootstrap replicates, >= 100.
    confidence : float, default 0.95
        Interval level, in (0, 1).
    rng : numpy.random.Generator, int or None
        Source of the resampling.

    Returns
    -------
    ValidityResult

    Raises
    ------
    ValueError
        On arrays of different lengths, fewer than 4 complete pairs, no variance in either
        array, a non-positive ``applicant_sd``, ``n_boot < 100`` or ``confidence`` outside (0, 1).
    """
    x = _vector(scores, "scores")
    y = _vector(performance, "performance")
    if x.shape != y.shape:
        raise ValueError(f"scores has {x.size} values but performance has {y.size}.")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}.")
    if n_boot < MIN_BOOTSTRAP:
        raise ValueError(f"n_boot must be at least {MIN_BOOTSTRAP} for a usable interval.")
    if applicant_sd is not None and (not np.isfinite(applicant_sd) or applicant_sd <= 0):
        raise ValueError("applicant_sd must be positive and finite.")
    if np.isinf(x).any() or np.isinf(y).any():
        raise ValueError("scores and performance must be finite or NaN.")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    n = x.size
    if n < 4:
        raise ValueError(f"At least 4 persons with both a score and a rating are needed, got {n}.")
    r_obs, sd_obs = _pearson_rows(x[None, :], y[None, :])
    if np.isnan(r_obs[0]):
        raise ValueError("scores or performance has no variance; the correlation is undefined.")
    r_hat, s_hat = float(r_obs[0]), float(sd_obs[0])

    generator = np.random.default_rng(rng)
    boot_r = np.empty(n_boot)
    boot_sd = np.empty(n_boot)
    chunk = max(1, BOOTSTRAP_CHUNK // n)
    for start in range(0, n_boot, chunk):
        stop = min(start + chunk, n_boot)
        index = generator.integers(0, n, size=(stop - start, n))
        boot_r[start:stop], boot_sd[start:stop] = _pearson_rows(x[index], y[index])
    good = ~np.isnan(boot_r)
    n_degenerate = int(n_boot - good.sum())
    if good.sum() < 0.9 * n_boot:
        raise ValueError("Too many bootstrap resamples had no variance; the sample is too small.")
    boot_r, boot_sd = boot_r[good], boot_sd[good]
    jack_r, jack_sd = _jackknife(x, y)

    fisher_half = special.ndtri(0.5 + confidence / 2.0) / np.sqrt(n - 3) if n > 3 else np.inf
    z_hat = np.arctanh(np.clip(r_hat, -1 + 1e-15, 1 - 1e-15))
    ci_fisher = Interval(float(np.tanh(z_hat - fisher_half)), float(np.tanh(z_hat + fisher_half)), confidence)

    corrected = corrected_pct = corrected_bca = u = None
    if applicant_sd is not None:
        u = s_hat / applicant_sd
        corrected = float(correct_range_restriction(r_hat, s_hat, applicant_sd))
        boot_corrected = correct_range_restriction(boot_r, boot_sd, applicant_sd)
        jack_ok = np.isfinite(jack_r) & (jack_sd > 0)
        jack_corrected = np.full(n, np.nan)
        jack_corrected[jack_ok] = correct_range_restriction(jack_r[jack_ok], jack_sd[jack_ok], applicant_sd)
        corrected_pct = _percentile_interval(boot_corrected, confidence)
        corrected_bca = _bca_interval(boot_corrected, corrected, jack_corrected, confidence)

    return ValidityResult(
        n=n,
        r=r_hat,
        ci_percentile=_percentile_interval(boot_r, confidence),
        ci_bca=_bca_interval(boot_r, r_hat, jack_r, confidence),
        ci_fisher=ci_fisher,
        corrected=corrected,
        corrected_ci_percentile=corrected_pct,
        corrected_ci_bca=corrected_bca,
        u=u,
        n_boot=n_boot,
        n_degenerate=n_degenerate,
    )


# --------------------------------------------------------------------------- adverse impact


@dataclass(frozen=True, eq=False)
class AdverseImpact:
    """Selection rates and impact ratios by group; arrays have shape (n_groups,), read-only.

    Attributes
    ----------
    groups : ndarray
        Group labels.
    applicants, selected : ndarray of int
    rate : ndarray
        ``selected / applicants``.
    reference : object
        Label of the comparison group (highest rate unless given).
    impact_ratio : ndarray
        ``rate / rate[reference]``.
    four_fifths_flag : ndarray of bool
        ``impact_ratio < threshold`` (Uniform Guidelines 1978, §4D).
    p_fisher : ndarray
        Two-sided Fisher exact test of the group against the reference (1 for the reference).
    p_ztest : ndarray
        Two-sided pooled two-proportion z test (NaN where undefined).
    significant : ndarray of bool
        ``p_fisher < alpha``.
    threshold, alpha : float
    """

    groups: np.ndarray
    applicants: np.ndarray
    selected: np.ndarray
    rate: np.ndarray
    reference: object
    impact_ratio: np.ndarray
    four_fifths_flag: np.ndarray
    p_fisher: np.ndarray
    p_ztest: np.ndarray
    significant: np.ndarray
    threshold: float
    alpha: float


def _group_index(
    group_array: np.ndarray, labels: np.ndarray | Sequence[object] | None
) -> tuple[np.ndarray, np.ndarray]:
    """The reported groups (``labels`` or the sorted distinct groups) and each applicant's row in them."""
    distinct, index = np.unique(group_array, return_inverse=True)
    if labels is None:
        return distinct, index
    label_array = np.asarray(labels)
    if label_array.ndim != 1 or np.unique(label_array).size != label_array.size:
        raise ValueError("labels must be a 1-D sequence without repeats.")
    missing = np.setdiff1d(distinct, label_array)
    if missing.size:
        raise ValueError(f"Applicants belong to groups not in labels: {missing.tolist()}.")
    empty = np.setdiff1d(label_array, distinct)
    if empty.size:
        raise ValueError(f"Groups without applicants cannot be compared: {empty.tolist()}.")
    order = np.argsort(label_array)
    return label_array, order[np.searchsorted(label_array[order], group_array)]


def adverse_impact(
    selected: np.ndarray | Sequence[bool],
    groups: np.ndarray | Sequence[object],
    *,
    labels: np.ndarray | Sequence[object] | None = None,
    reference: object | None = None,
    threshold: float = 0.8,
    alpha: float = 0.05,
) -> AdverseImpact:
    """Adverse-impact ratios between groups (region, gender) with the four-fifths rule and tests.

    The Uniform Guidelines on Employee Selection Procedures (1978, 29 CFR 1607.4D) regard a
    selection rate below four-fifths of the highest group's rate as evidence of adverse impact,
    and note that with small samples the ratio alone is unreliable; hence the Fisher exact test
    (Fisher 1935; exact for any sample size) and the pooled two-proportion z test (Agresti 2013,
    ch. 3), each of one group against the reference group.

    Parameters
    ----------
    selected : array_like of bool, shape (n_applicants,)
        Whether each applicant was selected (passed the stage being examined).
    groups : array_like of shape (n_applicants,)
        Group label of each applicant.
    labels : array_like of shape (n_groups,), optional
        Groups to report, in this order; default the sorted distinct labels. Every label must
        have applicants and every applicant's group must be listed.
    reference : object, optional
        Comparison group; default the group with the highest rate (first in order on ties).
    threshold : float, default 0.8
        Impact ratio below which a group is flagged, in (0, 1].
    alpha : float, default 0.05
        Significance level of the tests.

    Returns
    -------
    AdverseImpact

    Raises
    ------
    ValueError
        On different lengths, fewer than two groups, a listed group without applicants, an
        unknown reference, a reference group with a zero rate (ratios undefined), or bad
        threshold / alpha.
    """
    chosen = np.asarray(selected)
    if chosen.dtype != bool:
        if not np.all(np.isin(chosen, (0, 1))):
            raise ValueError("selected must hold booleans (or 0/1).")
        chosen = chosen.astype(bool)
    group_array = np.asarray(groups)
    if chosen.ndim != 1 or group_array.shape != chosen.shape:
        raise ValueError("selected and groups must be 1-D arrays of the same length.")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold}.")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}.")
    label_array, index = _group_index(group_array, labels)
    n_groups = label_array.size
    if n_groups < 2:
        raise ValueError("Adverse impact needs at least two groups with applicants.")
    applicants = np.bincount(index, minlength=n_groups)
    n_selected = np.bincount(index, weights=chosen.astype(float), minlength=n_groups).astype(np.int64)
    rate = n_selected / applicants
    if reference is None:
        ref = int(np.argmax(rate))
    else:
        matches = np.flatnonzero(label_array == reference)
        if matches.size != 1:
            raise ValueError(f"The reference group {reference!r} is not among the groups.")
        ref = int(matches[0])
    if rate[ref] == 0:
        raise ValueError("The reference group selected nobody; impact ratios are undefined.")
    ratio = rate / rate[ref]

    from scipy import stats  # here, not at the top: scipy.stats costs every process 0.3 s to import

    p_fisher = np.ones(n_groups)
    for g in range(n_groups):
        if g != ref:
            table = [
                [n_selected[g], applicants[g] - n_selected[g]],
                [n_selected[ref], applicants[ref] - n_selected[ref]],
            ]
            p_fisher[g] = stats.fisher_exact(table, alternative="two-sided").pvalue
    pooled = (n_selected + n_selected[ref]) / (applicants + applicants[ref])
    se = np.sqrt(pooled * (1 - pooled) * (1 / applicants + 1 / applicants[ref]))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (rate - rate[ref]) / se
    p_z = np.where(se > 0, 2 * special.ndtr(-np.abs(z)), np.nan)
    p_z[ref] = 1.0
    return AdverseImpact(
        groups=readonly(label_array, copy=True),
        applicants=readonly(applicants, copy=True),
        selected=readonly(n_selected, copy=True),
        rate=readonly(rate, copy=True),
        reference=label_array[ref].item() if hasattr(label_array[ref], "item") else label_array[ref],
        impact_ratio=readonly(ratio, copy=True),
        four_fifths_flag=readonly(ratio < threshold, copy=True),
        p_fisher=readonly(p_fisher, copy=True),
        p_ztest=readonly(p_z, copy=True),
        significant=readonly(p_fisher < alpha, copy=True),
        threshold=float(threshold),
        alpha=float(alpha),
    )


# --------------------------------------------------------------------------- simulation


@dataclass(frozen=True, eq=False)
class SimulatedSelection:
    """Applicants with a known validity, selected top-down on the score.

    Attributes
    ----------
    applicant_scores, applicant_performance : ndarray of shape (n_applicants,)
        Performance is what each applicant *would* show if hired (observed only for the selected).
    selected : ndarray of bool, shape (n_applicants,)
    scores, performance : ndarray of shape (n_selected,)
        The selected persons' scores and performance (what an analyst sees).
    applicant_sd : float
        SD (ddof=1) of the scores of all applicants.
    true_validity : float
        Population correlation used to generate the data.
    """

    applicant_scores: np.ndarray
    applicant_performance: np.ndarray
    selected: np.ndarray
    scores: np.ndarray
    performance: np.ndarray
    applicant_sd: float
    true_validity: float


def simulate_selection(
    n_applicants: int,
    n_selected: int,
    true_validity: float,
    *,
    score_mean: float = 300.0,
    score_sd: float = 50.0,
    rng: np.random.Generator | int | None = None,
) -> SimulatedSelection:
    """Draw applicants from a bivariate normal with correlation ``true_validity``; hire the top.

    Score and performance are standard bivariate normal with correlation ρ (the score then put
    on ``score_mean`` / ``score_sd``); the ``n_selected`` highest scores are hired (direct range
    restriction, the case Thorndike's case II corrects exactly).

    Parameters
    ----------
    n_applicants : int
    n_selected : int
        Hired, 4 <= n_selected <= n_applicants.
    true_validity : float
        ρ in (-1, 1).
    score_mean, score_sd : float
        Scale of the selection score.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    SimulatedSelection
    """
    if not -1.0 < true_validity < 1.0:
        raise ValueError("true_validity must lie strictly between -1 and 1.")
    if not 4 <= n_selected <= n_applicants:
        raise ValueError("Need 4 <= n_selected <= n_applicants.")
    if score_sd <= 0:
        raise ValueError("score_sd must be positive.")
    generator = np.random.default_rng(rng)
    z = generator.standard_normal((2, n_applicants))
    performance = true_validity * z[0] + np.sqrt(1.0 - true_validity**2) * z[1]
    scores = score_mean + score_sd * z[0]
    top = np.argsort(-scores, kind="stable")[:n_selected]
    selected = np.zeros(n_applicants, dtype=bool)
    selected[top] = True
    return SimulatedSelection(
        applicant_scores=readonly(scores, copy=True),
        applicant_performance=readonly(performance, copy=True),
        selected=readonly(selected, copy=True),
        scores=readonly(scores[selected], copy=True),
        performance=readonly(performance[selected], copy=True),
        applicant_sd=float(scores.std(ddof=1)),
        true_validity=float(true_validity),
    )


@dataclass(frozen=True)
class CoverageResult:
    """How often intervals over repeated simulated selections contain the true validity.

    Attributes
    ----------
    n_replications : int
    true_validity : float
    mean_r, mean_corrected : float
        Average observed and corrected correlations.
    coverage_r_percentile : float
        Share of percentile intervals of the *uncorrected* r containing the truth (low: r is
        attenuated).
    coverage_percentile, coverage_bca : float
        Shares of the corrected value's percentile / BCa intervals containing the truth.
    confidence : float
    """

    n_replications: int
    true_validity: float
    mean_r: float
    mean_corrected: float
    coverage_r_percentile: float
    coverage_percentile: float
    coverage_bca: float
    confidence: float


def validity_coverage(
    true_validity: float,
    *,
    n_replications: int = 200,
    n_applicants: int = 1000,
    n_selected: int = 200,
    n_boot: int = 1000,
    confidence: float = 0.95,
    rng: np.random.Generator | int | None = None,
) -> CoverageResult:
    """Repeat :func:`simulate_selection` + :func:`predictive_validity` and report coverage.

    Parameters
    ----------
    true_validity : float
        ρ in (-1, 1).
    n_replications : int, default 200
    n_applicants, n_selected : int
    n_boot : int, default 1000
    confidence : float, default 0.95
    rng : numpy.random.Generator, int or None
        One generator drives every replication, so a seed reproduces the whole study.

    Returns
    -------
    CoverageResult
    """
    if n_replications < 1:
        raise ValueError("n_replications must be at least 1.")
    generator = np.random.default_rng(rng)
    r = np.empty(n_replications)
    corrected = np.empty(n_replications)
    hits = np.zeros((3, n_replications), dtype=bool)
    for rep in range(n_replications):
        sim = simulate_selection(n_applicants, n_selected, true_validity, rng=generator)
        result = predictive_validity(
            sim.scores,
            sim.performance,
            applicant_sd=sim.applicant_sd,
            n_boot=n_boot,
            confidence=confidence,
            rng=generator,
        )
        r[rep], corrected[rep] = result.r, result.corrected
        corrected_pct, corrected_bca = result.corrected_ci_percentile, result.corrected_ci_bca
        assert corrected_pct is not None and corrected_bca is not None  # the applicant SD is given
        hits[0, rep] = true_validity in result.ci_percentile
        hits[1, rep] = true_validity in corrected_pct
        hits[2, rep] = true_validity in corrected_bca
    return CoverageResult(
        n_replications=n_replications,
        true_validity=float(true_validity),
        mean_r=float(r.mean()),
        mean_corrected=float(corrected.mean()),
        coverage_r_percentile=float(hits[0].mean()),
        coverage_percentile=float(hits[1].mean()),
        coverage_bca=float(hits[2].mean()),
        confidence=float(confidence),
    )
