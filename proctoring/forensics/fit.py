"""Person fit: lz* (Snijders 2001) at estimated abilities, through :func:`scoring.fit.lz_star`.

Dichotomous items, logistic metric (D = 1): ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from scoring.ability import estimate_ability
from scoring.arrays import readonly
from scoring.fit import lz_star
from scoring.models import ItemParameters, LatentDistribution


@dataclass(frozen=True)
class PersonFit:
    """lz* person fit (Snijders 2001).

    Attributes
    ----------
    theta : ndarray of shape (n_persons,)
        The ability estimates lz* was evaluated at.
    lz_star : ndarray of shape (n_persons,)
        NaN where the pattern is extreme (all wrong or all right) or nothing was answered.
    p_value : ndarray of shape (n_persons,)
        Lower-tail normal p-value (misfit gives large negative lz*).
    """

    theta: np.ndarray
    lz_star: np.ndarray
    p_value: np.ndarray


def person_fit(
    responses: np.ndarray,
    params: ItemParameters,
    theta: np.ndarray | None = None,
    *,
    method: str = "wle",
    prior: LatentDistribution | None = None,
) -> PersonFit:
    """lz* (Snijders 2001, Psychometrika 66) at estimated abilities, by :func:`scoring.fit.lz_star`.

    Snijders' correction of lz (Drasgow, Levine & Williams 1985) for the estimation of θ makes the
    statistic asymptotically N(0, 1) under the model; ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))``.
    The engine implements it for MLE, WLE and MAP (Magis, Raîche & Béland 2012); this wrapper
    estimates θ with the engine when it is not given and blanks out extreme patterns, whose
    likelihood carries no information about fit.

    Parameters
    ----------
    responses : ndarray of shape (n_persons, n_items)
        0/1, NaN = not administered (:func:`score_choices` turns choices into this).
    params : ItemParameters
        Dichotomous items.
    theta : ndarray of shape (n_persons,), optional
        Estimates made with ``method``; estimated by :func:`scoring.ability.estimate_ability` if
        omitted.
    method : {"wle", "mle", "map"}
    prior : LatentDistribution, optional
        The MAP prior.

    Returns
    -------
    PersonFit
    """
    x = np.asarray(responses, dtype=float)
    if x.ndim != 2 or x.shape[1] != params.n_items:
        raise ValueError(f"responses must have shape (n_persons, {params.n_items}); got {x.shape}.")
    if theta is None:
        theta = estimate_ability(x, params, method, prior=prior).theta
    theta = np.asarray(theta, dtype=float)
    if theta.shape != (x.shape[0],):
        raise ValueError(f"theta must have shape ({x.shape[0]},); got {theta.shape}.")
    answered = ~np.isnan(x)
    right = np.where(answered, x, 0.0).sum(axis=1)
    informative = (right > 0) & (right < answered.sum(axis=1)) & np.isfinite(theta)
    value = np.full(x.shape[0], np.nan)
    if informative.any():
        value[informative] = lz_star(x[informative], params, theta[informative], method=method, prior=prior)
    return PersonFit(readonly(theta.copy()), readonly(value), readonly(ndtr(value)))
