"""Simulated item parameters, abilities and responses, for recovery studies and benchmarks.

Dichotomous responses follow (logistic metric, D = 1)::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))

and polytomous ones the GRM (Samejima 1969) or GPCM (Muraki 1992), see :mod:`scoring.models`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.arrays import random_state

from .models import MODELS, ItemParameters, probabilities

__all__ = ["SimulatedData", "administration_mask", "simulate", "simulate_parameters", "simulate_responses"]


def simulate_parameters(
    n_items: int,
    model: str = "2pl",
    *,
    n_categories: int = 4,
    rng: np.random.Generator | int | None = None,
) -> ItemParameters:
    """Draw plausible item parameters.

    Slopes ~ log-normal(0, 0.3) (1 for Rasch, one common draw for 1PL), difficulties ~ N(0, 1),
    3PL lower asymptotes ~ U(0.1, 0.3), polytomous thresholds: a location ~ N(0, 1) plus ordered
    offsets spread over about ±1.5.

    Parameters
    ----------
    n_items : int
    model : str
        One of :data:`scoring.models.MODELS`.
    n_categories : int
        Categories of polytomous items.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    ItemParameters
    """
    rng = random_state(rng)
    model = model.lower()
    if model not in MODELS:
        raise ValueError(f"Unknown model {model!r}; use one of {', '.join(MODELS)}.")
    a = np.exp(rng.normal(0.0, 0.3, n_items))
    if model == "rasch":
        a[:] = 1.0
    elif model == "1pl":
        a[:] = a[0]
    if MODELS[model].polytomous:
        k = int(n_categories)
        if k < 3:
            raise ValueError("Polytomous items need at least 3 categories.")
        offsets = np.sort(rng.uniform(-1.5, 1.5, (n_items, k - 1)), axis=1)
        offsets += np.linspace(-0.3, 0.3, k - 1)  # keep neighbouring thresholds apart
        thr = rng.normal(0.0, 0.8, (n_items, 1)) + offsets
        return ItemParameters.from_arrays(a, thresholds=thr, models=model)
    b = rng.normal(0.0, 1.0, n_items)
    c = rng.uniform(0.1, 0.3, n_items) if model == "3pl" else 0.0
    return ItemParameters.from_arrays(a, b, c, models=model)


def administration_mask(
    n_persons: int, n_items: int, n_administered: int, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """A random incomplete design: each person answers exactly ``n_administered`` items.

    Returns
    -------
    ndarray of bool, shape (n_persons, n_items)
    """
    rng = random_state(rng)
    if not 0 < n_administered <= n_items:
        raise ValueError("n_administered must be between 1 and n_items.")
    keys = rng.random((n_persons, n_items), dtype=np.float32)
    kth = np.argpartition(keys, n_administered - 1, axis=1)[:, :n_administered]
    mask = np.zeros((n_persons, n_items), dtype=bool)
    np.put_along_axis(mask, kth, True, axis=1)
    return mask


def simulate_responses(
    params: ItemParameters,
    theta: np.ndarray,
    *,
    rng: np.random.Generator | int | None = None,
    fraction_administered: float | None = None,
    dtype: type = np.float64,
    chunk_size: int = 65536,
) -> np.ndarray:
    """Draw responses of persons with abilities ``theta`` to the items.

    Parameters
    ----------
    params : ItemParameters
    theta : ndarray of shape (n_persons,)
    rng : numpy.random.Generator, int or None
    fraction_administered : float, optional
        Each person answers ``round(fraction * n_items)`` items chosen at random; the others
        are NaN (not administered).
    dtype : floating dtype of the result (float32 halves the memory of large samples).
    chunk_size : int
        Persons simulated per block (bounds the temporary memory).

    Returns
    -------
    ndarray of shape (n_persons, n_items)
        Categories as floats; NaN = not administered.
    """
    rng = random_state(rng)
    theta = np.asarray(theta, dtype=float)
    n, j = theta.shape[0], params.n_items
    out: npt.NDArray[Any] = np.empty((n, j), dtype=dtype)
    dich = bool((params.n_categories == 2).all())
    for s in range(0, n, chunk_size):
        e = min(s + chunk_size, n)
        prob = probabilities(params, theta[s:e])
        u = rng.random((e - s, j))
        if dich:
            out[s:e] = u < prob[:, :, 1]
        else:
            out[s:e] = (u[:, :, None] > np.cumsum(prob, axis=2)[:, :, :-1]).sum(axis=2)
    if fraction_administered is not None:
        if not 0 < fraction_administered <= 1:
            raise ValueError("fraction_administered must be in (0, 1].")
        m = max(1, int(round(fraction_administered * j)))
        if m < j:
            for s in range(0, n, chunk_size):
                e = min(s + chunk_size, n)
                out[s:e][~administration_mask(e - s, j, m, rng)] = np.nan
    return out


@dataclass(frozen=True)
class SimulatedData:
    """Responses with the true parameters that generated them.

    Attributes
    ----------
    responses : ndarray of shape (n_persons, n_items); NaN = not administered
    theta : ndarray of shape (n_persons,)
    params : ItemParameters
    """

    responses: np.ndarray
    theta: np.ndarray
    params: ItemParameters


def simulate(
    n_persons: int,
    n_items: int,
    model: str = "2pl",
    *,
    rng: np.random.Generator | int | None = None,
    fraction_administered: float | None = None,
    n_categories: int = 4,
    theta_mean: float = 0.0,
    theta_sd: float = 1.0,
    dtype: type = np.float64,
) -> SimulatedData:
    """Simulate a calibration sample: parameters, θ ~ N(mean, sd²) and responses.

    Parameters
    ----------
    n_persons, n_items : int
    model : str
    rng : numpy.random.Generator, int or None
    fraction_administered : float, optional
        Share of items each person answers (random incomplete design).
    n_categories : int
        Categories of polytomous items.
    theta_mean, theta_sd : float
    dtype : floating dtype of the responses.

    Returns
    -------
    SimulatedData
    """
    rng = random_state(rng)
    params = simulate_parameters(n_items, model, n_categories=n_categories, rng=rng)
    theta = rng.normal(theta_mean, theta_sd, n_persons)
    responses = simulate_responses(params, theta, rng=rng, fraction_administered=fraction_administered, dtype=dtype)
    return SimulatedData(responses, theta, params)
