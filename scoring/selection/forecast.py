"""Positions at risk of going unfilled: how many applicants will pass the basic test, per position.

Before the basic test (SKD) is sat, each position's applicant pool is known by group (an
education level and a region, say) and the pass rate of each group under the period's SKD
thresholds is known only through earlier sittings. The forecast treats the pass rate ``p_g`` of
group ``g`` as uncertain and the number who pass at position ``j`` as a sum of binomials::

    p_g ~ Beta(α_g, β_g)                       (posterior from earlier sittings)
    X_j = Σ_g Binomial(n_jg, p_g)              (a Poisson-binomial sum given the p_g)

so its predictive distribution is a sum of beta-binomials that share their ``p_g`` across
positions (Gelman et al. 2013, *Bayesian Data Analysis*, 3rd ed., §2.4 and §5.3). Its mean is
exact, ``Σ_g n_jg α_g / (α_g + β_g)``; its interval comes from Monte Carlo draws of the
posterior predictive (ibid. §6.3), with equal-tailed quantiles of the integer counts.

The posterior of each group is an empirical-Bayes hierarchical beta-binomial (Casella 1985, "An
introduction to empirical Bayes data analysis", *The American Statistician* 39(2)): a group is
shrunk towards its parent (the education level) with the weight of ``prior_strength`` earlier
applicants, and the parent towards the overall rate the same way. A group nobody sat before
gets its parent's rate with the uncertainty of ``prior_strength`` observations, not a guess.

Persons are rows; groups and positions are integer indices. Results are codes and numbers only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..arrays import BoolArray, FloatArray, IntArray, random_state, readonly

__all__ = [
    "Forecast",
    "ForecastCheck",
    "OutreachTargets",
    "PassRates",
    "compare_forecast",
    "estimate_pass_rates",
    "forecast_passing",
    "outreach_targets",
]

#: Draws of the posterior predictive per chunk (bounds memory at chunk x filled cells).
CHUNK = 500


@dataclass(frozen=True, eq=False)
class PassRates:
    """Beta posterior of each group's pass rate; arrays of shape (n_groups,).

    Attributes
    ----------
    alpha, beta : ndarray of float
        Posterior parameters, both > 0.
    sat, passed : ndarray of int
        Earlier applicants of the group with a usable score, and how many of them passed.
    """

    alpha: FloatArray
    beta: FloatArray
    sat: IntArray
    passed: IntArray

    @property
    def mean(self) -> FloatArray:
        """Posterior mean pass rate ``α / (α + β)``."""
        return readonly(self.alpha / (self.alpha + self.beta))


def _shrunk(passed: FloatArray, sat: FloatArray, centre: FloatArray, strength: float) -> tuple[FloatArray, FloatArray]:
    alpha = strength * centre + passed
    beta = strength * (1.0 - centre) + (sat - passed)
    return alpha, beta


def estimate_pass_rates(
    passed: npt.ArrayLike,
    group: npt.ArrayLike,
    n_groups: int,
    *,
    parent: npt.ArrayLike | None = None,
    prior_strength: float = 10.0,
) -> PassRates:
    """Pass rate of each group from earlier sittings, shrunk towards its parent and the whole.

    Parameters
    ----------
    passed : array of bool, shape (n_earlier,)
        Whether each earlier applicant passed the thresholds.
    group : array of int, shape (n_earlier,)
        Group of each earlier applicant, 0 <= group < n_groups.
    n_groups : int
        Number of groups (groups nobody sat before are allowed).
    parent : array of int, shape (n_groups,), optional
        Parent of each group (e.g. its education level), 0 <= parent; default one parent for all.
    prior_strength : float
        Weight, in earlier applicants, of the parent's rate in a group's prior (> 0).

    Returns
    -------
    PassRates
        With ``α_g = m p_parent + passed_g`` and ``β_g = m (1 - p_parent) + failed_g``, where
        ``p_parent`` is the parent's posterior mean, shrunk the same way towards the overall rate
        (itself with a uniform Beta(1, 1) prior).
    """
    ok = np.asarray(passed, dtype=bool)
    groups = np.asarray(group, dtype=np.intp)
    if ok.shape != groups.shape or ok.ndim != 1:
        raise ValueError("passed and group must be one-dimensional and of the same length")
    if groups.size and (groups.min() < 0 or groups.max() >= n_groups):
        raise ValueError("group indices must lie in [0, n_groups)")
    if not prior_strength > 0:
        raise ValueError("prior_strength must be positive")
    parents = np.zeros(n_groups, dtype=np.intp) if parent is None else np.asarray(parent, dtype=np.intp)
    if parents.shape != (n_groups,) or (parents.size and parents.min() < 0):
        raise ValueError("parent must give a non-negative parent per group")
    sat = np.bincount(groups, minlength=n_groups).astype(np.intp)
    hits = np.bincount(groups, weights=ok, minlength=n_groups).astype(np.intp)
    overall = (1.0 + hits.sum()) / (2.0 + sat.sum())
    n_parents = int(parents.max()) + 1 if parents.size else 0
    parent_sat = np.bincount(parents, weights=sat, minlength=n_parents).astype(np.float64)
    parent_hits = np.bincount(parents, weights=hits, minlength=n_parents).astype(np.float64)
    p_alpha, p_beta = _shrunk(parent_hits, parent_sat, np.full(n_parents, overall), prior_strength)
    centre = (p_alpha / (p_alpha + p_beta))[parents]
    alpha, beta = _shrunk(hits.astype(np.float64), sat.astype(np.float64), centre, prior_strength)
    return PassRates(readonly(alpha), readonly(beta), readonly(sat), readonly(hits))


@dataclass(frozen=True, eq=False)
class Forecast:
    """Forecast per position; arrays of shape (n_positions,).

    Attributes
    ----------
    seats, applicants : ndarray of int
        Seats (quota) and applicants counted in the forecast.
    expected : ndarray of float
        Expected number who pass (exact mean of the predictive distribution).
    lower, upper : ndarray of int
        Equal-tailed predictive interval of the number who pass, at ``level``.
    pass_rate : ndarray of float
        ``expected / applicants`` (NaN without applicants).
    shortfall : ndarray of float
        Predictive probability that fewer pass than there are seats.
    level : float
        Coverage of the interval.
    """

    seats: IntArray
    applicants: IntArray
    expected: FloatArray
    lower: IntArray
    upper: IntArray
    pass_rate: FloatArray
    shortfall: FloatArray
    level: float

    @property
    def per_seat(self) -> FloatArray:
        """Expected qualified finalists per seat."""
        return readonly(self.expected / self.seats)

    @property
    def per_seat_interval(self) -> tuple[FloatArray, FloatArray]:
        """The interval of qualified finalists per seat."""
        return readonly(self.lower / self.seats), readonly(self.upper / self.seats)

    @property
    def flagged(self) -> BoolArray:
        """Positions expected below one qualified finalist per seat."""
        return readonly(self.expected < self.seats)


def forecast_passing(
    seats: npt.ArrayLike,
    applicant_position: npt.ArrayLike,
    applicant_group: npt.ArrayLike,
    rates: PassRates,
    *,
    level: float = 0.95,
    draws: int = 4000,
    rng: np.random.Generator | int | None = None,
) -> Forecast:
    """Predictive distribution of the number who pass, per position.

    Parameters
    ----------
    seats : array of int, shape (n_positions,)
        Seats of each position, >= 1.
    applicant_position, applicant_group : array of int, shape (n_applicants,)
        Position index and group index of each applicant counted.
    rates : PassRates
        Posterior pass rate of each group (:func:`estimate_pass_rates`).
    level : float
        Coverage of the equal-tailed interval, in (0, 1).
    draws : int
        Monte Carlo draws of the posterior predictive.
    rng : numpy Generator, int or None
        Source of the draws.
    """
    quota = np.asarray(seats, dtype=np.intp)
    position = np.asarray(applicant_position, dtype=np.intp)
    group = np.asarray(applicant_group, dtype=np.intp)
    if quota.ndim != 1 or (quota < 1).any():
        raise ValueError("seats must be one-dimensional and at least 1")
    if position.shape != group.shape or position.ndim != 1:
        raise ValueError("applicant_position and applicant_group must have the same length")
    if not 0.0 < level < 1.0 or draws < 1:
        raise ValueError("level must lie in (0, 1) and draws be positive")
    n_positions, n_groups = quota.size, rates.alpha.size
    counts = np.zeros((n_positions, n_groups), dtype=np.intp)
    np.add.at(counts, (position, group), 1)
    expected = counts @ rates.mean
    cell_position, cell_group = np.nonzero(counts)
    cell_n = counts[cell_position, cell_group]
    generator = random_state(rng)
    totals = np.empty((draws, n_positions), dtype=np.intp)
    for start in range(0, draws, CHUNK):
        size = min(CHUNK, draws - start)
        p = generator.beta(rates.alpha, rates.beta, size=(size, n_groups))
        passing = generator.binomial(cell_n, p[:, cell_group])
        block = np.zeros((size, n_positions), dtype=np.intp)
        np.add.at(block.T, cell_position, passing.T)
        totals[start : start + size] = block
    tail = (1.0 - level) / 2.0
    lower = np.quantile(totals, tail, axis=0, method="inverted_cdf").astype(np.intp)
    upper = np.quantile(totals, 1.0 - tail, axis=0, method="inverted_cdf").astype(np.intp)
    applicants = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(applicants > 0, expected / applicants, np.nan)
    shortfall = (totals < quota).mean(axis=0)
    return Forecast(
        readonly(quota, copy=True),
        readonly(applicants),
        readonly(expected),
        readonly(lower),
        readonly(upper),
        readonly(rate),
        readonly(shortfall),
        float(level),
    )


@dataclass(frozen=True, eq=False)
class ForecastCheck:
    """The forecast against what happened; arrays of shape (n_positions,).

    Attributes
    ----------
    actual : ndarray of int
        Applicants who passed.
    inside : ndarray of bool
        Whether ``actual`` lies in the forecast interval (bounds included).
    error : ndarray of float
        ``actual - expected``.
    flag_right : ndarray of bool
        Whether the flag (below one per seat) agreed with what happened.
    coverage : float
        Share of positions with ``actual`` inside its interval (NaN without positions).
    """

    actual: IntArray
    inside: BoolArray
    error: FloatArray
    flag_right: BoolArray
    coverage: float


def compare_forecast(forecast: Forecast, actual_passing: npt.ArrayLike) -> ForecastCheck:
    """Compare a forecast with the number who actually passed at each position."""
    actual = np.asarray(actual_passing, dtype=np.intp)
    if actual.shape != forecast.seats.shape:
        raise ValueError("actual_passing must give one count per position")
    inside = (forecast.lower <= actual) & (actual <= forecast.upper)
    flag_right = forecast.flagged == (actual < forecast.seats)
    coverage = float(inside.mean()) if inside.size else float("nan")
    return ForecastCheck(
        readonly(actual, copy=True),
        readonly(inside),
        readonly(actual - forecast.expected),
        readonly(flag_right),
        coverage,
    )


@dataclass(frozen=True, eq=False)
class OutreachTargets:
    """Where qualified applicants of earlier periods came from, most first.

    Attributes
    ----------
    regions, programmes : ndarray of int
        Region / programme indices, by number of qualified earlier applicants (ties: higher rate).
    region_qualified, programme_qualified : ndarray of int
        Qualified earlier applicants from each.
    region_rate, programme_rate : ndarray of float
        Share of that region's / programme's earlier applicants who qualified.
    """

    regions: IntArray
    region_qualified: IntArray
    region_rate: FloatArray
    programmes: IntArray
    programme_qualified: IntArray
    programme_rate: FloatArray


def _ranked(index: IntArray, qualified: BoolArray, top: int) -> tuple[IntArray, IntArray, FloatArray]:
    known = index >= 0
    size = int(index[known].max()) + 1 if known.any() else 0
    sat = np.bincount(index[known], minlength=size)
    hits = np.bincount(index[known], weights=qualified[known], minlength=size).astype(np.intp)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(sat > 0, hits / np.maximum(sat, 1), 0.0)
    order = np.lexsort((np.arange(size), -rate, -hits))
    order = order[hits[order] > 0][:top]
    return readonly(order.astype(np.intp)), readonly(hits[order]), readonly(rate[order])


def outreach_targets(
    qualified: npt.ArrayLike,
    region: npt.ArrayLike,
    programme: npt.ArrayLike,
    relevant: npt.ArrayLike,
    *,
    top: int = 5,
) -> OutreachTargets:
    """Regions and education programmes that gave the most qualified applicants before.

    Parameters
    ----------
    qualified : array of bool, shape (n_earlier,)
        Whether each earlier applicant passed the thresholds.
    region, programme : array of int, shape (n_earlier,)
        Region and programme index of each; -1 where unknown (left out).
    relevant : array of bool, shape (n_earlier,)
        The earlier applicants that speak for the position (same position, or same education level).
    top : int
        Most regions and programmes returned.
    """
    ok = np.asarray(qualified, dtype=bool)
    regions = np.asarray(region, dtype=np.intp)
    programmes = np.asarray(programme, dtype=np.intp)
    mask = np.asarray(relevant, dtype=bool)
    if not ok.shape == regions.shape == programmes.shape == mask.shape:
        raise ValueError("qualified, region, programme and relevant must have the same length")
    r = _ranked(regions[mask], ok[mask], top)
    p = _ranked(programmes[mask], ok[mask], top)
    return OutreachTargets(r[0], r[1], r[2], p[0], p[1], p[2])
