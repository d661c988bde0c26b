"""The nine-box talent map: performance x competency potential, with a recommendation per employee.

Codes and numbers only: the web layer words the box names, recommendations and reasons in the
reader's language from ``box_code``, ``recommendation``, ``reason_code``, the values, levels and
cut points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..arrays import readonly
from .gaps import competency_weight_vector, float_array

__all__ = ["BOX_CODES", "LEVEL_NAMES", "NineBox", "competency_potential", "nine_box"]


#: Box code by (performance level, potential level); 0 = low, 2 = high. The web layer names them.
BOX_CODES: dict[tuple[int, int], str] = {
    (0, 0): "underperformer",
    (1, 0): "effective",
    (2, 0): "trusted_professional",
    (0, 1): "inconsistent",
    (1, 1): "core_player",
    (2, 1): "high_performer",
    (0, 2): "enigma",
    (1, 2): "growth",
    (2, 2): "star",
}
LEVEL_NAMES = ("low", "mid", "high")


@dataclass(frozen=True, eq=False)
class NineBox:
    """Talent map of performance x potential; per-employee arrays have shape (n_employees,).

    Attributes
    ----------
    performance, potential : ndarray of float
        The values placed (NaN = not rated / not measured).
    performance_level, potential_level : ndarray of int
        0 = low, 1 = mid, 2 = high; -1 where the input is NaN.
    box : ndarray of int
        ``1 + performance_level + 3 * potential_level`` (1 = low/low ... 9 = high/high); 0 = missing.
    box_code : tuple of str
        Code of :data:`BOX_CODES` (``"insufficient_data"`` where missing).
    recommendation : tuple of str
        ``"further_education"``, ``"coaching"`` (pembinaan), ``"develop_in_role"`` or
        ``"insufficient_data"``.
    reason_code : tuple of str
        ``"levels"``: placed by its two values against the cut points (the reason quotes
        ``performance``, ``potential``, their levels and cuts); ``"no_performance"`` or
        ``"no_potential"``: not placed for want of a performance rating or a competency measurement.
    performance_cuts, potential_cuts : tuple of float
        (low/mid, mid/high) boundaries; a value equal to a cut goes to the higher level.
    counts : ndarray of int, shape (3, 3)
        ``counts[potential_level, performance_level]``, for the chart (row 0 = low potential).
    """

    performance: np.ndarray
    potential: np.ndarray
    performance_level: np.ndarray
    potential_level: np.ndarray
    box: np.ndarray
    box_code: tuple[str, ...]
    recommendation: tuple[str, ...]
    reason_code: tuple[str, ...]
    performance_cuts: tuple[float, float]
    potential_cuts: tuple[float, float]
    counts: np.ndarray


def competency_potential(theta: np.ndarray, weights: np.ndarray | Sequence[float] | None = None) -> np.ndarray:
    """Competency potential as the weighted mean θ over measured competencies.

    Parameters
    ----------
    theta : ndarray of shape (n_employees, n_competencies)
        NaN = not measured.
    weights : array_like of shape (n_competencies,), optional
        Non-negative; default equal.

    Returns
    -------
    ndarray of shape (n_employees,)
        NaN for an employee with no measured competency.
    """
    theta = float_array(theta, "theta", 2)
    w = competency_weight_vector(weights, theta.shape[1])
    measured = ~np.isnan(theta)
    total = measured.astype(float) @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.where(measured, theta, 0.0) @ w / np.where(total > 0, total, 1.0), np.nan)


def _cuts(values: np.ndarray, cuts: Sequence[float] | None, name: str) -> tuple[float, float]:
    """The (low/mid, mid/high) cut points given, checked, or the tertiles of the non-NaN values."""
    if cuts is None:
        finite = values[~np.isnan(values)]
        if finite.size == 0:
            raise ValueError(f"No {name} values to derive tertiles from.")
        low, high = np.quantile(finite, [1 / 3, 2 / 3])
        return float(low), float(high)
    cuts = tuple(float(c) for c in cuts)
    if len(cuts) != 2 or not all(np.isfinite(cuts)) or cuts[0] > cuts[1]:
        raise ValueError(f"{name}_cuts must be two finite increasing values (low/mid, mid/high).")
    return cuts


def nine_box(
    performance: np.ndarray | Sequence[float],
    potential: np.ndarray | Sequence[float],
    *,
    performance_cuts: Sequence[float] | None = None,
    potential_cuts: Sequence[float] | None = None,
    top_boxes: Sequence[tuple[int, int]] = ((2, 2),),
    bottom_boxes: Sequence[tuple[int, int]] = ((0, 0),),
) -> NineBox:
    """Nine-box talent map (performance x potential) with a recommendation per employee.

    Each axis is split into low / mid / high at two cut points (default: the sample tertiles);
    a value equal to a cut goes up. The grid adapts the GE-McKinsey portfolio matrix, as HR
    talent reviews commonly do; in the civil service the top boxes are
    proposed for further education (pendidikan lanjutan) and the bottom boxes for coaching
    (pembinaan), the rest for development in the current role.

    Parameters
    ----------
    performance : array_like of shape (n_employees,)
        Performance rating (e.g. combined supervisor and community score); NaN = not rated.
    potential : array_like of shape (n_employees,)
        Competency potential, e.g. :func:`competency_potential`; NaN = not measured.
    performance_cuts, potential_cuts : (float, float), optional
        Boundaries low/mid and mid/high; default the tertiles of the non-missing values.
    top_boxes, bottom_boxes : sequence of (performance_level, potential_level)
        Boxes recommended for further education / coaching; levels 0 = low, 1 = mid, 2 = high.

    Returns
    -------
    NineBox

    Raises
    ------
    ValueError
        On arrays of different shapes, bad cut points, boxes outside 0..2, or a box listed as both
        top and bottom.
    """
    perf = float_array(performance, "performance", 1)
    pot = float_array(potential, "potential", 1)
    if perf.shape != pot.shape:
        raise ValueError(f"performance has shape {perf.shape} but potential has shape {pot.shape}.")
    top, bottom = {tuple(b) for b in top_boxes}, {tuple(b) for b in bottom_boxes}
    if any(len(b) != 2 or not all(level in (0, 1, 2) for level in b) for b in top | bottom):
        raise ValueError("Boxes are (performance_level, potential_level) pairs with levels 0, 1 or 2.")
    if top & bottom:
        raise ValueError("A box cannot be both a top and a bottom box.")
    perf_cuts = _cuts(perf, performance_cuts, "performance")
    pot_cuts = _cuts(pot, potential_cuts, "potential")
    missing = np.isnan(perf) | np.isnan(pot)
    perf_level = np.where(missing, -1, np.digitize(perf, perf_cuts))
    pot_level = np.where(missing, -1, np.digitize(pot, pot_cuts))
    box = np.where(missing, 0, 1 + perf_level + 3 * pot_level)
    counts = np.zeros((3, 3), dtype=np.int64)
    np.add.at(counts, (pot_level[~missing], perf_level[~missing]), 1)

    codes, recommendations, reasons = [], [], []
    for i in range(perf.size):
        if missing[i]:
            codes.append("insufficient_data")
            recommendations.append("insufficient_data")
            reasons.append("no_performance" if np.isnan(perf[i]) else "no_potential")
            continue
        key = (int(perf_level[i]), int(pot_level[i]))
        codes.append(BOX_CODES[key])
        recommendations.append(
            "further_education" if key in top else "coaching" if key in bottom else "develop_in_role"
        )
        reasons.append("levels")
    return NineBox(
        performance=readonly(perf, copy=True),
        potential=readonly(pot, copy=True),
        performance_level=readonly(perf_level, copy=True),
        potential_level=readonly(pot_level, copy=True),
        box=readonly(box, copy=True),
        box_code=tuple(codes),
        recommendation=tuple(recommendations),
        reason_code=tuple(reasons),
        performance_cuts=perf_cuts,
        potential_cuts=pot_cuts,
        counts=readonly(counts, copy=True),
    )
