"""Item and test information, conditional standard error of measurement, reliability.

Fisher information of an item with categories k (Samejima 1969; for dichotomous items it reduces
to Birnbaum's ``a² (P - c)² Q / ((1 - c)² P)``)::

    I_j(θ) = sum_k P_jk'(θ)² / P_jk(θ),   with P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .ability import AbilityEstimates
from .arrays import FloatArray
from .models import PROBABILITY_FLOOR, ItemParameters, LatentDistribution, theta_derivatives
from .quadrature import Quadrature, rectangular

__all__ = [
    "conditional_sem",
    "empirical_reliability",
    "item_information",
    "marginal_reliability",
    "test_information",
]


def item_information(params: ItemParameters, theta: npt.ArrayLike) -> FloatArray:
    """Fisher information of each item at each θ (Birnbaum 1968; Samejima 1969).

    Parameters
    ----------
    params : ItemParameters
    theta : array_like of shape (n_theta,)

    Returns
    -------
    ndarray of shape (n_theta, n_items)
    """
    p, dp, _ = theta_derivatives(params, np.atleast_1d(np.asarray(theta, dtype=float)))
    information: FloatArray = np.where(p > 0, dp * dp / np.maximum(p, PROBABILITY_FLOOR), 0.0).sum(axis=2)
    return information


def test_information(params: ItemParameters, theta: npt.ArrayLike, items: npt.ArrayLike | None = None) -> FloatArray:
    """Test information ``sum_j I_j(θ)`` over all items or the selected ones.

    Parameters
    ----------
    params : ItemParameters
    theta : array_like of shape (n_theta,)
    items : array of int or bool, optional
        Items of the form; default all.

    Returns
    -------
    ndarray of shape (n_theta,)
    """
    info = item_information(params, theta)
    total: FloatArray = (info if items is None else info[:, np.asarray(items)]).sum(axis=1)
    return total


# A psychometric name, not a pytest test (through __dict__: mypy knows no __test__ on functions).
test_information.__dict__["__test__"] = False


def conditional_sem(params: ItemParameters, theta: npt.ArrayLike, items: npt.ArrayLike | None = None) -> FloatArray:
    """Conditional standard error of measurement ``1 / sqrt(I(θ))`` (Lord 1980).

    Returns
    -------
    ndarray of shape (n_theta,)
        ``inf`` where the information is zero.
    """
    info = test_information(params, theta, items)
    with np.errstate(divide="ignore"):
        sem: FloatArray = 1.0 / np.sqrt(info)
    return sem


def marginal_reliability(
    params: ItemParameters,
    prior: LatentDistribution | None = None,
    quadrature: Quadrature | None = None,
    items: npt.ArrayLike | None = None,
) -> float:
    """Marginal reliability ``σ² / (σ² + E[1 / I(θ)])`` over the latent distribution.

    Green, Bock, Humphreys, Linn & Reckase (1984); the form used by mirt's ``marginal_rxx``.

    Parameters
    ----------
    params : ItemParameters
    prior : LatentDistribution, optional
        Default N(0, 1).
    quadrature : Quadrature, optional
        Default 61 equally spaced nodes on [-6, 6].
    items : array of int or bool, optional

    Returns
    -------
    float
    """
    prior = prior or LatentDistribution()
    quad = quadrature or rectangular(61, 6.0)
    w = quad.weights(prior.mean, prior.sd)
    info = np.maximum(test_information(params, quad.nodes, items), 1e-12)
    error = float(w @ (1.0 / info))
    return prior.sd**2 / (prior.sd**2 + error)


def empirical_reliability(estimates: AbilityEstimates) -> float:
    """Empirical reliability ``var(θ̂) / (var(θ̂) + mean(SE²))`` of EAP estimates.

    Bock & Mislevy (1982); persons with NaN estimates are ignored.

    Parameters
    ----------
    estimates : AbilityEstimates

    Returns
    -------
    float
    """
    ok = np.isfinite(estimates.theta) & np.isfinite(estimates.se)
    if ok.sum() < 2:
        raise ValueError("Empirical reliability needs at least two finite estimates.")
    var = float(np.var(estimates.theta[ok]))
    return var / (var + float(np.mean(estimates.se[ok] ** 2)))
