"""Priors that make the M-step a MAP step (Mislevy 1986).

A log-normal prior on slopes and a beta prior on the 3PL lower asymptote keep estimates away from
Heywood cases. Item parameters are in the internal slope-intercept form of :mod:`scoring.models`;
for dichotomous items (logistic metric, D = 1)::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from ..arrays import FloatArray
from ..models import ItemModel

__all__ = ["Priors", "prior_terms"]


@dataclass(frozen=True)
class Priors:
    """Prior settings of one fit: slope prior, guessing prior and the models the slope prior covers."""

    slope: tuple[float, float] | None  # log-normal (meanlog, sdlog)
    guessing: tuple[float, float] | None  # beta (alpha, beta)
    slope_models: frozenset[str]


def prior_terms(model: ItemModel, psi: FloatArray, priors: Priors) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Log prior (n,), gradient (n, p) and negative Hessian (n, p, p) of a block."""
    n, p = psi.shape
    logp, grad, neg_hess = np.zeros(n), np.zeros((n, p)), np.zeros((n, p, p))
    if priors.slope is not None and model.name in priors.slope_models:
        mu, sd = priors.slope
        a = np.maximum(psi[:, 0], 1e-8)
        la = np.log(a)
        logp += -la - (la - mu) ** 2 / (2 * sd * sd)
        grad[:, 0] += -(1.0 + (la - mu) / (sd * sd)) / a
        neg_hess[:, 0, 0] += -(1.0 + (la - mu) / (sd * sd) - 1.0 / (sd * sd)) / (a * a)
    if priors.guessing is not None and model.guessing:
        al, be = priors.guessing
        c = expit(psi[:, 2])
        logp += (al - 1) * np.log(c) + (be - 1) * np.log1p(-c)
        grad[:, 2] += (al - 1) * (1 - c) - (be - 1) * c
        neg_hess[:, 2, 2] += (al + be - 2) * c * (1 - c)
    return logp, grad, neg_hess
