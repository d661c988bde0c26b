"""The verdict of a result: per section met / not met / no threshold, and overall pass / fail /
no threshold, plus the conversion of a raw-score threshold to θ through a test characteristic curve.

One rule, stated once, read by every page that shows a verdict:

* A section with no threshold has the verdict ``"none"`` ("tidak ada ambang"); it is neither met
  nor failed.
* A section with a threshold is ``"met"`` when its score is at least the threshold, else
  ``"not_met"``. The score and the threshold are on the same scale: raw points for fixed and
  random sittings, the reporting scale of θ for adaptive sittings.
* The result passes (``"pass"``) when every section that has a threshold meets it and fails
  (``"fail"``) when any does not. A result none of whose sections has a threshold is ``"none"``
  ("tidak ada ambang kelulusan"): neither passed nor failed, since nothing was set to pass.

Item probabilities use ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))`` for dichotomous items
(logistic metric, D = 1) and GRM (Samejima 1969) or GPCM (Muraki 1992) for polytomous ones.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq

from scoring.arrays import FloatArray
from scoring.models import ItemParameters, probabilities

SECTION_VERDICTS = ("met", "not_met", "none")
RESULT_VERDICTS = ("pass", "fail", "none")
#: θ range searched when inverting a test characteristic curve (the EAP quadrature's range).
THETA_BOUNDS = (-6.0, 6.0)


def section_verdict(score: float | None, threshold: float | None) -> str:
    """``"none"`` without a threshold, else ``"met"`` if ``score >= threshold``, else ``"not_met"``.

    A missing score (None) with a threshold is ``"not_met"``: nothing shows the threshold was
    reached.
    """
    if threshold is None:
        return "none"
    if score is None:
        return "not_met"
    return "met" if float(score) >= float(threshold) else "not_met"


def result_verdict(section_verdicts: Iterable[str]) -> str:
    """The conjunction of the thresholds that exist: ``"pass"``, ``"fail"`` or ``"none"``."""
    verdicts = [v for v in section_verdicts if v != "none"]
    if not verdicts:
        return "none"
    return "pass" if all(v == "met" for v in verdicts) else "fail"


def passed(verdict: str) -> bool | None:
    """The verdict as a nullable boolean: True (pass / met), False (fail / not met), None (none)."""
    return None if verdict == "none" else verdict in ("pass", "met")


def expected_scores(params: ItemParameters, points: npt.ArrayLike, theta: npt.ArrayLike) -> FloatArray:
    """The test characteristic curve: expected points summed over items at each θ.

    Parameters
    ----------
    params : ItemParameters
        ``n_items`` items.
    points : array_like of shape (n_items, max_categories)
        Points of each score category (e.g. ``[0, 5]`` for a 5-point dichotomous item, the
        option weights in category order for a polytomous one); ignored where the item has no
        such category.
    theta : array_like of shape (n_theta,)

    Returns
    -------
    ndarray of shape (n_theta,)
        ``Σ_j Σ_k P_jk(θ) · points_jk`` (Lord 1980, eq. 4-5).
    """
    prob = probabilities(params, theta)  # (n_theta, n_items, max_categories)
    weights = np.nan_to_num(np.asarray(points, dtype=float), nan=0.0)
    if weights.shape != prob.shape[1:]:
        raise ValueError(f"points of shape {weights.shape} for probabilities of shape {prob.shape[1:]}.")
    expected: FloatArray = np.einsum("tjk,jk->t", prob, weights)
    return expected


def theta_for_true_score(
    params: ItemParameters,
    points: npt.ArrayLike,
    true_score: float,
    *,
    factor: float = 1.0,
    bounds: tuple[float, float] = THETA_BOUNDS,
) -> float:
    """θ at which ``factor`` times the test characteristic curve equals ``true_score``.

    This is the step of IRT true-score equating that maps a number-correct score to θ (Lord 1980,
    ch. 13; Kolen & Brennan 2014, §6.5): the curve is increasing in θ, so the root is unique.
    ``factor`` rescales a pool's curve to a shorter test (e.g. section length / pool size).

    A score at or below the curve's value at the lower bound (reachable by guessing alone, or at
    the minimum) returns the lower bound; a score at or above its value at the upper bound
    returns the upper bound.
    """
    low, high = bounds

    def gap(t: float) -> float:
        return factor * float(expected_scores(params, points, np.array([t]))[0]) - float(true_score)

    if gap(low) >= 0:
        return float(low)
    if gap(high) <= 0:
        return float(high)
    return float(brentq(gap, low, high, xtol=1e-8))
