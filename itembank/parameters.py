"""The bank's stored parameter rows as the IRT engine's ``ItemParameters`` (logistic metric, D = 1).

Every curve, information value and ability estimate the platform shows comes from ``scoring``;
this module only translates rows. Dichotomous items: P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)));
polytomous items (GPCM, Muraki 1992; GRM, Samejima 1969) need their category thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from scoring.information import item_information
from scoring.models import ItemParameters, probabilities

DICHOTOMOUS = ("rasch", "1pl", "2pl", "3pl")


class StoredParameters(Protocol):
    """What a parameter row offers (``itembank.models.ItemParameter`` satisfies it)."""

    model: str
    a: float
    b: float | None
    c: float | None
    thresholds: list[float]


def usable(row: StoredParameters) -> bool:
    """Whether the engine can use the row (a polytomous item needs its thresholds)."""
    return row.model in DICHOTOMOUS or bool(row.thresholds)


def to_engine(rows: Sequence[StoredParameters], ids: Sequence[str] | None = None) -> ItemParameters:
    """Translate rows into one ``ItemParameters`` (raises ValueError for an unusable row)."""
    if not rows:
        raise ValueError("no parameters")
    bad = [i for i, row in enumerate(rows) if not usable(row)]
    if bad:
        raise ValueError(f"polytomous items without thresholds at positions {bad}")
    width = max(1, *(len(row.thresholds or []) for row in rows))
    thresholds = np.full((len(rows), width), np.nan)
    for i, row in enumerate(rows):
        if row.model in DICHOTOMOUS:
            thresholds[i, 0] = float(row.b if row.b is not None else 0.0)
        else:
            thresholds[i, : len(row.thresholds)] = row.thresholds
    return ItemParameters.from_arrays(
        [float(row.a) for row in rows],
        c=[float(row.c or 0.0) for row in rows],
        thresholds=thresholds,
        models=[row.model for row in rows],
        ids=ids,
    )


@dataclass
class _Approximation:
    model: str
    a: float
    b: float | None
    c: float | None
    thresholds: list[float]


def _as_2pl(row: StoredParameters) -> StoredParameters:
    """A polytomous row without thresholds, seen as a 2PL item at its location (to draw and to
    balance forms only, never to score)."""
    return _Approximation("2pl", row.a, row.b or 0.0, 0.0, [])


def curves(row: StoredParameters, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected score as a share of the maximum, and Fisher information, at ``theta``.

    Parameters
    ----------
    row : StoredParameters
    theta : ndarray of shape (n_theta,)

    Returns
    -------
    expected, information : ndarray of shape (n_theta,) each
    """
    theta = np.asarray(theta, dtype=float)
    params = to_engine([row if usable(row) else _as_2pl(row)])
    probs = probabilities(params, theta)[:, 0, :]  # (n_theta, K)
    categories = np.arange(probs.shape[1])
    top = params.n_categories[0] - 1
    expected = np.nansum(probs * categories, axis=1) / top
    return expected, item_information(params, theta)[:, 0]


def information_matrix(rows: Sequence[StoredParameters], theta: np.ndarray) -> np.ndarray:
    """Fisher information of each item at ``theta``, shape (n_items, n_theta)."""
    theta = np.asarray(theta, dtype=float)
    if not rows:
        return np.zeros((0, theta.size))
    params = to_engine([row if usable(row) else _as_2pl(row) for row in rows])
    return np.asarray(item_information(params, theta)).T
