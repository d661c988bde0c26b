"""Competency gaps: credible gaps per employee and their aggregation by group for a heat map.

The gap is ``required - θ`` on the θ scale of the IRT engine (``P(θ) = c + (1 - c) / (1 + exp(-a
(θ - b)))``, logistic metric, D = 1); requirements may be written on a linear scale instead
(:class:`RequirementScale`). Arrays are (n_employees, n_competencies), persons are rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse, special

from ..arrays import BoolArray, FloatArray, readonly

__all__ = [
    "GapAnalysis",
    "GapHeatmap",
    "RequirementScale",
    "aggregate_gaps",
    "competency_gaps",
    "competency_weight_vector",
    "float_array",
]


def float_array(values: object, name: str, ndim: int | None = None) -> FloatArray:
    """``values`` as a float array, refusing non-numbers and (when given) another dimension."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric.") from exc
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {array.shape}.")
    return array


@dataclass(frozen=True)
class RequirementScale:
    """The linear scale requirements are written on: ``reported = slope * θ + intercept`` (e.g. 10, 50).

    Not :class:`scoring.ability.ReportingScale` (the published score scale of an exam).

    Parameters
    ----------
    slope : float
        Reported units per logit; must be positive so that higher still means better.
    intercept : float
        Reported value at θ = 0.
    """

    slope: float = 1.0
    intercept: float = 0.0

    def __post_init__(self) -> None:
        if not np.isfinite(self.slope) or self.slope <= 0:
            raise ValueError("The reporting scale needs a finite positive slope.")
        if not np.isfinite(self.intercept):
            raise ValueError("The reporting scale needs a finite intercept.")

    def to_theta(self, reported: np.ndarray | float) -> np.ndarray:
        """θ of values on the reporting scale; any shape in, same shape out."""
        return (np.asarray(reported, dtype=float) - self.intercept) / self.slope

    def from_theta(self, theta: np.ndarray | float) -> np.ndarray:
        """Reporting-scale values of θ; any shape in, same shape out."""
        return self.slope * np.asarray(theta, dtype=float) + self.intercept


@dataclass(frozen=True, eq=False)
class GapAnalysis:
    """Competency gaps with their uncertainty; all arrays (n_employees, n_competencies), read-only.

    Attributes
    ----------
    required : ndarray
        Required level on the θ scale, broadcast to one row per employee; NaN = not required.
    gap : ndarray
        ``required - θ`` in logits (positive = below the requirement); NaN where θ was not measured
        or the competency is not required.
    z : ndarray
        ``gap / SE``, the one-sided test statistic.
    prob_below : ndarray
        Posterior probability that the true level is below the requirement, ``Φ(z)``.
    credible : ndarray of bool
        ``z > z_{1-α}``; False where NaN.
    credible_gap : ndarray
        ``gap`` where credible, 0 where not, NaN where not measured or not required.
    alpha : float
        One-sided significance level used.
    z_critical : float
        ``z_{1-α}``.
    """

    required: FloatArray
    gap: FloatArray
    z: FloatArray
    prob_below: FloatArray
    credible: BoolArray
    credible_gap: FloatArray
    alpha: float
    z_critical: float

    @property
    def measured(self) -> BoolArray:
        """Bool (n_employees, n_competencies): the cell has a gap value (θ measured, level required)."""
        return ~np.isnan(self.gap)

    @property
    def shape(self) -> tuple[int, int]:
        """(n_employees, n_competencies)."""
        return self.gap.shape


def competency_gaps(
    required: np.ndarray | Sequence[float],
    theta: np.ndarray,
    se: np.ndarray,
    *,
    alpha: float = 0.05,
    scale: RequirementScale | None = None,
) -> GapAnalysis:
    """Gaps between required and measured competency levels, counted only where credible.

    With a normal approximation to the posterior of the true level, ``θ_true ~ N(θ̂, SE²)``
    (the usual large-sample result for maximum-likelihood or EAP estimates; Lord 1980;
    Bock & Mislevy 1982), the probability that the employee is truly below the requirement is
    ``Φ((required - θ̂) / SE)``. The gap counts as credible when the one-sided test of
    ``H0: θ_true >= required`` rejects at level α, i.e. ``(required - θ̂) / SE > z_{1-α}``.

    Parameters
    ----------
    required : array_like of shape (n_competencies,) or (n_employees, n_competencies)
        Required level per competency from the position profile(s); NaN = not required. On the θ
        scale, or on ``scale`` when given. A 1-D profile applies to every employee.
    theta : ndarray of shape (n_employees, n_competencies)
        Measured θ estimates; NaN = not measured.
    se : ndarray of shape (n_employees, n_competencies)
        Standard errors of ``theta``; must be positive where θ is measured (ignored where it is NaN).
    alpha : float, default 0.05
        One-sided significance level, in (0, 1).
    scale : RequirementScale, optional
        Scale ``required`` is written on; converted to θ before comparing.

    Returns
    -------
    GapAnalysis
        Gaps (logits), z statistics, ``P(true level < required)``, credibility flags and the
        credible-gap matrix, all (n_employees, n_competencies).

    Raises
    ------
    ValueError
        On mismatched shapes, a non-positive or non-finite SE where θ is measured, infinite θ or
        requirement, or α outside (0, 1).
    """
    theta = float_array(theta, "theta", 2)
    se = float_array(se, "se", 2)
    required = float_array(required, "required")
    if se.shape != theta.shape:
        raise ValueError(f"se has shape {se.shape} but theta has shape {theta.shape}.")
    if required.ndim == 1:
        if required.shape[0] != theta.shape[1]:
            raise ValueError(f"required has {required.shape[0]} competencies but theta has {theta.shape[1]}.")
        required = np.broadcast_to(required, theta.shape)
    elif required.shape != theta.shape:
        raise ValueError(f"required has shape {required.shape} but theta has shape {theta.shape}.")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}.")
    if np.isinf(theta).any() or np.isinf(required).any():
        raise ValueError("theta and required must be finite or NaN (not infinite).")
    if scale is not None:
        required = scale.to_theta(required)
    measured = ~np.isnan(theta)
    se_measured = se[measured]
    if not np.all(np.isfinite(se_measured)) or np.any(se_measured <= 0):
        raise ValueError("Every measured θ needs a finite, positive standard error (no negative SE).")

    gap = required - theta
    safe_se = np.where(measured, se, 1.0)
    z = gap / safe_se
    prob_below = special.ndtr(z)
    z_critical = float(special.ndtri(1.0 - alpha))
    valid = ~np.isnan(gap)
    credible = valid & (np.nan_to_num(z, nan=-np.inf) > z_critical)
    credible_gap = np.where(credible, gap, np.where(valid, 0.0, np.nan))
    return GapAnalysis(
        required=readonly(required, copy=True),
        gap=readonly(gap, copy=True),
        z=readonly(z, copy=True),
        prob_below=readonly(prob_below, copy=True),
        credible=readonly(credible, copy=True),
        credible_gap=readonly(credible_gap, copy=True),
        alpha=float(alpha),
        z_critical=z_critical,
    )


def competency_weight_vector(weights: object, n_competencies: int) -> np.ndarray:
    """Importance of each competency, shape (n_competencies,); default 1, finite and >= 0."""
    if weights is None:
        return np.ones(n_competencies)
    weights = float_array(weights, "competency_weights", 1)
    if weights.shape != (n_competencies,) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"competency_weights must hold {n_competencies} finite non-negative values.")
    return weights


@dataclass(frozen=True, eq=False)
class GapHeatmap:
    """Gaps aggregated by group; 2-D arrays are (n_groups, n_competencies), read-only.

    Attributes
    ----------
    groups : ndarray of shape (n_groups,)
        Group labels (rows of the heat map).
    competencies : tuple of str or None
        Column labels, if given.
    mean_gap : ndarray
        Mean of ``required - θ`` over measured employees of the group; NaN if none.
    mean_credible_gap : ndarray
        Mean credible gap (0 where not credible); NaN if none measured.
    credible_share : ndarray
        Share of measured employees with a credible gap; NaN if none measured.
    n_measured : ndarray of int
        Employees of the group with a gap value on the competency.
    n_employees : ndarray of int, shape (n_groups,)
    """

    groups: np.ndarray
    competencies: tuple[str, ...] | None
    mean_gap: np.ndarray
    mean_credible_gap: np.ndarray
    credible_share: np.ndarray
    n_measured: np.ndarray
    n_employees: np.ndarray


def aggregate_gaps(
    gaps: GapAnalysis,
    groups: np.ndarray | Sequence[object],
    *,
    labels: np.ndarray | Sequence[object] | None = None,
    competencies: Sequence[str] | None = None,
) -> GapHeatmap:
    """Mean gap and share of credible gaps per group (unit, region or position), for a heat map.

    Parameters
    ----------
    gaps : GapAnalysis
        From :func:`competency_gaps`, (n_employees, n_competencies).
    groups : array_like of shape (n_employees,)
        Group label of each employee. For a combined key (unit x position) pass joined strings.
    labels : array_like of shape (n_groups,), optional
        Row order of the heat map; groups absent from ``groups`` get NaN rows and zero counts.
        Default: the sorted distinct labels.
    competencies : sequence of str, optional
        Column names, carried into the result.

    Returns
    -------
    GapHeatmap

    Raises
    ------
    ValueError
        If ``groups`` does not have one label per employee, an employee's group is missing from
        ``labels``, ``labels`` repeats a value, or there are no employees.
    """
    group_array = np.asarray(groups)
    n, k = gaps.shape
    if n == 0:
        raise ValueError("There are no employees to aggregate.")
    if group_array.shape != (n,):
        raise ValueError(f"groups must have one label per employee ({n}), got shape {group_array.shape}.")
    if competencies is not None and len(competencies) != k:
        raise ValueError(f"competencies must name the {k} columns.")
    if labels is None:
        label_array, index = np.unique(group_array, return_inverse=True)
    else:
        label_array = np.asarray(labels)
        if label_array.ndim != 1 or np.unique(label_array).size != label_array.size:
            raise ValueError("labels must be a 1-D sequence without repeats.")
        order = np.argsort(label_array, kind="stable")
        position = np.searchsorted(label_array[order], group_array)
        position = np.clip(position, 0, label_array.size - 1)
        if label_array.size == 0 or np.any(label_array[order][position] != group_array):
            raise ValueError("Some employees belong to a group that is not in labels.")
        index = order[position]
    n_groups = label_array.size
    measured = gaps.measured
    one_hot = sparse.csr_array((np.ones(n), (index, np.arange(n))), shape=(n_groups, n))
    n_measured = (one_hot @ measured.astype(float)).round().astype(np.int64)
    gap_sum = one_hot @ np.where(measured, gaps.gap, 0.0)
    credible_sum = one_hot @ np.where(measured, gaps.credible_gap, 0.0)
    credible_count = one_hot @ gaps.credible.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        denominator = np.where(n_measured > 0, n_measured, np.nan)
        mean_gap = gap_sum / denominator
        mean_credible = credible_sum / denominator
        share = credible_count / denominator
    return GapHeatmap(
        groups=readonly(label_array, copy=True),
        competencies=None if competencies is None else tuple(competencies),
        mean_gap=readonly(mean_gap, copy=True),
        mean_credible_gap=readonly(mean_credible, copy=True),
        credible_share=readonly(share, copy=True),
        n_measured=readonly(n_measured, copy=True),
        n_employees=readonly(np.bincount(index, minlength=n_groups), copy=True),
    )
