"""Item calibration by marginal maximum likelihood with the EM algorithm (Bock & Aitkin 1981).

Models (mixable item by item) are those of :mod:`scoring.models`; dichotomous items follow
(logistic metric, D = 1)::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))

How the estimator is made fast and safe:

* E-step as two BLAS matrix products per chunk of persons: with one-hot response indicators
  ``Y`` (persons x categories 1..K-1) and the administered mask ``M``, the log-likelihood at the
  quadrature nodes is ``Y @ (log P_k - log P_0).T + M @ log P_0.T``; expected counts are
  ``Y.T @ posterior`` and ``M.T @ posterior``. Identical response patterns are collapsed into
  weights when that pays. Float32 is used for the big matrices, float64 for every sum.
* M-step: Fisher scoring on the slope-intercept form, vectorised across all items of a model,
  with step halving; a common 1PL slope is solved jointly with the intercepts (arrowhead
  system). Optional priors make the M-step a MAP step (Mislevy 1986): a log-normal prior on
  slopes and a beta prior on the 3PL lower asymptote keep estimates away from Heywood cases.
* Acceleration by SQUAREM (Varadhan & Roland 2008, scheme S3) with a monotonicity safeguard.
* Start values from classical statistics (biserial correlations and proportions correct).
* Standard errors from the cross-product of individual score vectors (the empirical
  information; Louis 1982, Mislevy 1986) or by Oakes' (1999) identity.

Groups of persons have their own latent N(μ, σ²) (Bock & Zimowski 1997); the first group is the
reference N(0, 1) unless anchor items fix the scale (fixed-parameter calibration, Kim 2006), in
which case every group's mean and variance are estimated. With only Rasch items (slope fixed at
1) the reference variance is estimated.

A module per concept:

* :mod:`~scoring.calibration.data`: :func:`response_categories` (category counts, checking the
  codes), the indicator layout the E-step multiplies with and the classical start values.
* :mod:`~scoring.calibration.priors`: slope and guessing priors of the MAP M-step.
* :mod:`~scoring.calibration.mstep`: item blocks (one model and category count each) and their
  Fisher-scoring M-step.
* :mod:`~scoring.calibration.em`: the packed parameter vector, E-step, M-step and SQUAREM.
* :mod:`~scoring.calibration.standard_errors`: information matrices and delta-method SEs.
* :mod:`~scoring.calibration.estimator`: :class:`MMLCalibrator` and :func:`calibrate`.
* :mod:`~scoring.calibration.results`: :class:`CalibrationResult` and the warnings.
"""

from .data import response_categories
from .estimator import MMLCalibrator, calibrate
from .results import CalibrationResult, ConvergenceWarning, EstimationWarning

__all__ = [
    "CalibrationResult",
    "ConvergenceWarning",
    "EstimationWarning",
    "MMLCalibrator",
    "calibrate",
    "response_categories",
]
