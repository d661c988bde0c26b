"""Success profiles: the competency levels of a position's best performers against the rest.

Employees of one position are split by combined performance: the top tertile (a value equal to
the cut goes to the top, as in the nine-box) against everyone else rated. Per competency the
mean θ of each group is reported with its standard error and the difference of the means with
the standard error of the difference (Welch 1947, *Biometrika* 34, "The generalization of
'Student's' problem when several different population variances are involved").

Measurement uncertainty: each θ̂ is the true level plus an error of known SE, so the spread of the
θ̂ within a group is the spread of true levels plus the error variance (Lord & Novick 1968,
*Statistical Theories of Mental Test Scores*, §3.4). The SE of a group mean is therefore
``sqrt(max(s², mean(SE²)) / n)``: the sample variance, and never less than the measurement
error alone (which is all there is to go on when a group has one member).

The θ estimates come from the IRT engine (``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))``, logistic
metric, D = 1). The proposed profile is the top tertile's mean θ per competency; the committee's
profile states levels 1-5 instead, read off θ by :func:`committee_levels`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..arrays import BoolArray, FloatArray, IntArray, readonly
from .gaps import float_array

__all__ = ["LEVEL_CUTS", "SuccessProfile", "committee_levels", "success_profile"]

#: θ cuts between the committee's levels 1|2|3|4|5 (a θ equal to a cut takes the higher level).
LEVEL_CUTS = (-1.5, -0.5, 0.5, 1.5)


@dataclass(frozen=True, eq=False)
class SuccessProfile:
    """Top tertile against the rest; per-competency arrays have shape (n_competencies,).

    Attributes
    ----------
    top : ndarray of bool, shape (n_employees,)
        Employees in the top performance tertile (False for the unrated).
    rated : ndarray of bool, shape (n_employees,)
        Employees with a performance value.
    cut : float
        The performance value at which the top tertile starts.
    top_n, rest_n : ndarray of int
        Measured employees per group and competency.
    top_mean, rest_mean, top_se, rest_se : ndarray of float
        Mean θ and its SE per group (NaN where the group has nobody measured).
    difference, difference_se : ndarray of float
        ``top_mean - rest_mean`` and its SE.
    credible : ndarray of bool
        ``|difference| > z * difference_se``.
    proposed : ndarray of float
        The proposed required θ: the top tertile's mean (NaN where nobody in it was measured).
    """

    top: BoolArray
    rated: BoolArray
    cut: float
    top_n: IntArray
    rest_n: IntArray
    top_mean: FloatArray
    rest_mean: FloatArray
    top_se: FloatArray
    rest_se: FloatArray
    difference: FloatArray
    difference_se: FloatArray
    credible: BoolArray
    proposed: FloatArray


def _group(theta: FloatArray, se: FloatArray, members: BoolArray) -> tuple[IntArray, FloatArray, FloatArray]:
    """Count, mean and SE of the mean per competency over ``members`` (NaN θ left out)."""
    values = np.where(members[:, None], theta, np.nan)
    measured = ~np.isnan(values)
    n = measured.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(values, axis=0) / n
        deviation = np.where(measured, values - mean, 0.0)
        variance = (deviation**2).sum(axis=0) / np.maximum(n - 1, 1)
        variance = np.where(n > 1, variance, 0.0)
        error = np.where(measured, se, 0.0) ** 2
        error_variance = error.sum(axis=0) / n
        standard_error = np.sqrt(np.maximum(variance, error_variance) / n)
    mean = np.where(n > 0, mean, np.nan)
    standard_error = np.where(n > 0, standard_error, np.nan)
    return n.astype(np.intp), mean, standard_error


def success_profile(
    performance: npt.ArrayLike, theta: npt.ArrayLike, se: npt.ArrayLike, *, z: float = 1.96
) -> SuccessProfile:
    """Competency levels of the top performance tertile against the rest of the rated.

    Parameters
    ----------
    performance : array of float, shape (n_employees,)
        Combined performance (e.g. the mean over the last periods); NaN = not rated.
    theta, se : array of float, shape (n_employees, n_competencies)
        θ estimates and their standard errors; NaN θ = not measured.
    z : float
        Normal quantile for ``credible`` (1.96: two-sided 5%).
    """
    perf = float_array(performance, "performance", 1)
    values = float_array(theta, "theta", 2)
    errors = float_array(se, "se", 2)
    if values.shape != errors.shape or values.shape[0] != perf.shape[0]:
        raise ValueError("theta and se must be (n_employees, n_competencies) with one row per performance value.")
    rated = ~np.isnan(perf)
    if rated.sum() < 3:
        raise ValueError("At least three rated employees are needed for tertiles.")
    cut = float(np.quantile(perf[rated], 2.0 / 3.0))
    top = rated & (np.where(rated, perf, -np.inf) >= cut)
    rest = rated & ~top
    top_n, top_mean, top_se = _group(values, errors, top)
    rest_n, rest_mean, rest_se = _group(values, errors, rest)
    difference = top_mean - rest_mean
    difference_se = np.sqrt(top_se**2 + rest_se**2)
    with np.errstate(invalid="ignore"):
        credible = np.abs(difference) > z * difference_se
    return SuccessProfile(
        readonly(top),
        readonly(rated),
        cut,
        readonly(top_n),
        readonly(rest_n),
        readonly(top_mean),
        readonly(rest_mean),
        readonly(top_se),
        readonly(rest_se),
        readonly(difference),
        readonly(difference_se),
        readonly(credible & ~np.isnan(difference)),
        readonly(top_mean.copy()),
    )


def committee_levels(theta: npt.ArrayLike, cuts: tuple[float, ...] = LEVEL_CUTS) -> IntArray:
    """The committee's level (1 to ``len(cuts) + 1``) of each θ: one more than the cuts at or below it."""
    values = float_array(theta, "theta")
    if np.isnan(values).any():
        raise ValueError("theta must not be NaN.")
    return readonly(np.searchsorted(np.asarray(cuts), values, side="right").astype(np.intp) + 1)
