"""Statistical forensics for cheating detection: answer copying, person fit, response times.

Pure numpy/scipy on top of the IRT engine in :mod:`scoring`; no web framework, no database.
Persons are rows everywhere. Dichotomous items follow (logistic metric, D = 1)::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))

and polytomous (weighted-option) items the GRM / GPCM of :mod:`scoring.models`.

A module per statistic, each with its source; the names below are re-exported here:

* :mod:`~proctoring.forensics.copying`: answer copying, Wollack's omega (Wollack 1997) for every
  ordered pair of candidates, and the option-probability models it rests on.
* :mod:`~proctoring.forensics.fit`: person fit lz* (Snijders 2001).
* :mod:`~proctoring.forensics.response_times`: van der Linden's (2006) lognormal model, the
  aberrance statistic of van der Linden & Guo (2008) and rapid guessing (Wise & Ma 2012).

Validation by simulation with planted copiers and pre-knowledge lives with the tests, in
``tests/proctoring/forensics_simulation.py``.
"""

from proctoring.forensics.copying import (
    CopyingIndex,
    SourceMatch,
    correct_probabilities,
    distractor_shares,
    omega,
    omega_from_option_probabilities,
    option_probabilities,
    score_choices,
    strongest_sources,
    weighted_option_probabilities,
)
from proctoring.forensics.fit import PersonFit, person_fit
from proctoring.forensics.response_times import (
    LognormalFit,
    RapidGuessing,
    ResponseTimeAberrance,
    fit_lognormal_rt,
    rapid_guesses,
    rt_aberrance,
)

__all__ = [
    "CopyingIndex",
    "LognormalFit",
    "PersonFit",
    "RapidGuessing",
    "ResponseTimeAberrance",
    "SourceMatch",
    "correct_probabilities",
    "distractor_shares",
    "fit_lognormal_rt",
    "omega",
    "omega_from_option_probabilities",
    "option_probabilities",
    "person_fit",
    "rapid_guesses",
    "rt_aberrance",
    "score_choices",
    "strongest_sources",
    "weighted_option_probabilities",
]
