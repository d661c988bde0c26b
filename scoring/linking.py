"""Scale linking through common (anchor) items, and a drift check on the anchors.

A new calibration has its own θ scale; the bank's scale is reached by the linear map
``θ_bank = A θ_new + B``. Item parameters follow (logistic metric, D = 1)::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))
    a_bank = a_new / A,   b_bank = A b_new + B,   c unchanged

and thresholds of GRM/GPCM items transform like ``b``. Methods (Kolen & Brennan 2014, ch. 6):

* ``"mean-mean"``: ``A = mean(a_new) / mean(a_bank)`` (Loyd & Hoover 1980).
* ``"mean-sigma"``: ``A = sd(b_bank) / sd(b_new)`` (Marco 1977).
  Both then take ``B = mean(b_bank) - A mean(b_new)``; every threshold counts as a ``b``.
* ``"haebara"``: minimise the squared differences of item category curves summed over anchors,
  categories and a θ grid (Haebara 1980).
* ``"stocking-lord"``: minimise the squared difference of the anchors' test characteristic
  curves (Stocking & Lord 1983).

The characteristic-curve criteria are the one-directional (new → bank) versions, evaluated on 41
points of [-4, 4] weighted by N(0, 1) on the bank scale, minimised with ``scipy.optimize``
(BFGS) from the mean-sigma solution.

Drift: after linking, the difference ``d_j = b_bank - b_new*`` of each anchor (mean threshold
for polytomous items) is checked. ``"robust-z"`` flags ``|d_j - median(d)| / (1.4826 MAD(d)) >
1.645`` (the robust z of Huynh & Meyer 2010; the scale ``1.4826 MAD`` is floored at 0.05 logits
so that near-identical anchors are not flagged for tiny moves); ``"displacement"`` flags ``|d_j| > 0.3`` logits
(the displacement rule common in Rasch practice). Flagged anchors are dropped and the link is
recomputed once from the others (:func:`link`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from .arrays import FloatArray
from .models import ItemParameters, probabilities
from .quadrature import rectangular

__all__ = ["LINKING_METHODS", "DriftCheck", "LinkingResult", "check_drift", "link", "linking_constants", "transform"]

LINKING_METHODS = ("mean-mean", "mean-sigma", "haebara", "stocking-lord")

#: Smallest scale (logits) of the robust z: nearly identical anchors are not flagged for tiny moves.
MAD_FLOOR = 0.05


def transform(params: ItemParameters, slope: float, intercept: float) -> ItemParameters:
    """Parameters on the target scale ``θ* = slope θ + intercept``.

    ``a* = a / slope``, ``b* = slope b + intercept`` (thresholds likewise), ``c* = c``; standard
    errors scale by the same factors.

    Parameters
    ----------
    params : ItemParameters
    slope, intercept : float
        ``A`` and ``B``.

    Returns
    -------
    ItemParameters
    """
    if not slope > 0:
        raise ValueError("The linking slope A must be positive.")
    return params.replace(
        a=params.a / slope,
        b=slope * params.b + intercept,
        thresholds=slope * params.thresholds + intercept,
        se_a=params.se_a / slope,
        se_b=params.se_b * slope,
        se_thresholds=params.se_thresholds * slope,
    )


def _common(
    new: ItemParameters, bank: ItemParameters, anchors: Sequence[str] | None
) -> tuple[list[str], ItemParameters, ItemParameters]:
    ids = [i for i in new.ids if i in set(bank.ids)] if anchors is None else [str(i) for i in anchors]
    missing = [i for i in ids if i not in new.ids or i not in bank.ids]
    if missing:
        raise ValueError(f"Anchor item {missing[0]!r} is not in both calibrations.")
    if len(ids) < 2:
        raise ValueError(f"Linking needs at least 2 anchor items; {len(ids)} in common.")
    n, b = new.subset(ids), bank.subset(ids)
    for j, item in enumerate(ids):
        if n.models[j] != b.models[j] and not {n.models[j], b.models[j]} <= {"rasch", "1pl", "2pl"}:
            raise ValueError(f"Anchor {item!r} is a {n.models[j]} item here and a {b.models[j]} item in the bank.")
        if n.n_categories[j] != b.n_categories[j]:
            raise ValueError(f"Anchor {item!r} has different numbers of categories in the two calibrations.")
    return ids, n, b


def _thresholds(params: ItemParameters) -> FloatArray:
    values: FloatArray = params.thresholds[np.isfinite(params.thresholds)]
    return values


def _moment_constants(new: ItemParameters, bank: ItemParameters, method: str) -> tuple[float, float]:
    bn, bb = _thresholds(new), _thresholds(bank)
    if method == "mean-mean":
        slope = float(np.mean(new.a) / np.mean(bank.a))
    else:
        sd_new = float(np.std(bn))
        if sd_new == 0:
            raise ValueError("mean-sigma needs anchors with different difficulties.")
        slope = float(np.std(bb) / sd_new)
    return slope, float(np.mean(bb) - slope * np.mean(bn))


def _curve_loss(method: str, new: ItemParameters, bank: ItemParameters) -> Callable[[FloatArray], float]:
    quad = rectangular(41, 4.0)
    nodes, weights = quad.nodes, quad.weights(0.0, 1.0)
    target = probabilities(bank, nodes)  # (Q, J, K)
    scores = np.arange(target.shape[2], dtype=float)
    target_tcc = target @ scores  # (Q, J)

    def loss(x: FloatArray) -> float:
        moved = transform(new, float(np.exp(x[0])), float(x[1]))
        p = probabilities(moved, nodes)
        if method == "haebara":
            return float(weights @ ((p - target) ** 2).sum(axis=(1, 2)))
        return float(weights @ ((p @ scores).sum(axis=1) - target_tcc.sum(axis=1)) ** 2)

    return loss


def linking_constants(
    new: ItemParameters,
    bank: ItemParameters,
    method: str = "stocking-lord",
    *,
    anchors: Sequence[str] | None = None,
) -> tuple[float, float]:
    """Linking constants ``A, B`` with ``θ_bank = A θ_new + B`` from anchor items.

    Parameters
    ----------
    new : ItemParameters
        The new calibration (its own scale).
    bank : ItemParameters
        Bank parameters (the target scale).
    method : {"mean-mean", "mean-sigma", "haebara", "stocking-lord"}
    anchors : sequence of str, optional
        Anchor ids; default every id in both.

    Returns
    -------
    A, B : float
    """
    if method not in LINKING_METHODS:
        raise ValueError(f"Unknown linking method {method!r}; use one of {', '.join(LINKING_METHODS)}.")
    _, n, b = _common(new, bank, anchors)
    start = _moment_constants(n, b, "mean-sigma")
    if method in ("mean-mean", "mean-sigma"):
        return _moment_constants(n, b, method) if method == "mean-mean" else start
    loss = _curve_loss(method, n, b)
    x0 = np.array([np.log(max(start[0], 1e-3)), start[1]])
    result = minimize(loss, x0, method="BFGS", options={"gtol": 1e-10})
    return float(np.exp(result.x[0])), float(result.x[1])


@dataclass(frozen=True)
class DriftCheck:
    """Anchor drift after linking.

    Attributes
    ----------
    ids : tuple of str
    difference : ndarray of shape (n_anchors,)
        ``b_bank - b_new*`` (mean thresholds for polytomous items).
    statistic : ndarray of shape (n_anchors,)
        Robust z, or the difference itself for the displacement rule.
    flagged : ndarray of bool, shape (n_anchors,)
    method : str
    critical : float
    """

    ids: tuple[str, ...]
    difference: np.ndarray
    statistic: np.ndarray
    flagged: np.ndarray
    method: str
    critical: float

    @property
    def flagged_ids(self) -> tuple[str, ...]:
        """Ids of the drifting anchors."""
        return tuple(i for i, f in zip(self.ids, self.flagged, strict=True) if f)


def check_drift(
    linked: ItemParameters,
    bank: ItemParameters,
    *,
    anchors: Sequence[str] | None = None,
    method: str = "robust-z",
    critical: float | None = None,
) -> DriftCheck:
    """Flag anchors whose difficulty moved between the bank and a (linked) new calibration.

    Parameters
    ----------
    linked : ItemParameters
        New calibration already on the bank scale (:func:`transform`).
    bank : ItemParameters
    anchors : sequence of str, optional
    method : {"robust-z", "displacement"}
        Robust z of the differences (Huynh & Meyer 2010), critical 1.645 by default; or the
        absolute displacement, critical 0.3 logits by default.
    critical : float, optional

    Returns
    -------
    DriftCheck
    """
    ids, n, b = _common(linked, bank, anchors)
    diff = b.b - n.b
    if method == "robust-z":
        crit = 1.645 if critical is None else float(critical)
        centre = np.median(diff)
        mad = max(1.4826 * np.median(np.abs(diff - centre)), MAD_FLOOR)
        stat = (diff - centre) / mad
    elif method == "displacement":
        crit = 0.3 if critical is None else float(critical)
        stat = diff.copy()
    else:
        raise ValueError(f"Unknown drift method {method!r}; use robust-z or displacement.")
    return DriftCheck(tuple(ids), diff, stat, np.abs(stat) > crit, method, crit)


@dataclass(frozen=True)
class LinkingResult:
    """A new calibration put on the bank scale.

    Attributes
    ----------
    slope, intercept : float
        ``θ_bank = slope θ_new + intercept``.
    method : str
    anchors : tuple of str
        Anchors used for the final constants (drifting ones removed).
    drift : DriftCheck
        Drift check with the first-pass constants (all anchors).
    params : ItemParameters
        Every item of the new calibration on the bank scale.
    """

    slope: float
    intercept: float
    method: str
    anchors: tuple[str, ...]
    drift: DriftCheck
    params: ItemParameters


def link(
    new: ItemParameters,
    bank: ItemParameters,
    method: str = "stocking-lord",
    *,
    anchors: Sequence[str] | None = None,
    drift: str | None = "robust-z",
    critical: float | None = None,
    min_anchors: int = 5,
) -> LinkingResult:
    """Put a new calibration on the bank's scale through anchor items, dropping drifting anchors.

    Computes the constants from all anchors, checks drift (:func:`check_drift`), and when anchors
    are flagged and at least ``min_anchors`` remain, recomputes the constants without them.

    Parameters
    ----------
    new, bank : ItemParameters
    method : {"mean-mean", "mean-sigma", "haebara", "stocking-lord"}
    anchors : sequence of str, optional
    drift : {"robust-z", "displacement"} or None
    critical : float, optional
    min_anchors : int

    Returns
    -------
    LinkingResult
    """
    ids, _, _ = _common(new, bank, anchors)
    slope, intercept = linking_constants(new, bank, method, anchors=ids)
    check = check_drift(transform(new, slope, intercept), bank, anchors=ids, method=drift or "robust-z",
                        critical=critical)  # fmt: skip
    if drift is None:
        check = DriftCheck(check.ids, check.difference, check.statistic, np.zeros(len(ids), bool), "none", np.inf)
    kept = [i for i, f in zip(ids, check.flagged, strict=True) if not f]
    if len(kept) < len(ids) and len(kept) >= min_anchors:
        slope, intercept = linking_constants(new, bank, method, anchors=kept)
    else:
        kept = ids
    return LinkingResult(slope, intercept, method, tuple(kept), check, transform(new, slope, intercept))
