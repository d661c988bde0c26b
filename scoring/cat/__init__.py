"""Computerized adaptive testing (CAT): a precomputed item bank and a stateless CAT step.

Item response functions (logistic metric, D = 1) for dichotomous items::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))

and the GRM / GPCM for polytomous items (:mod:`scoring.models`).

A module per concept:

* :mod:`~scoring.cat.bank`: :class:`Bank` holds everything that does not depend on a candidate:
  the item parameters, a content category, a pilot flag and a Sympson-Hetter exposure parameter
  per item, and tables on an equally spaced θ grid (log category probabilities, Fisher
  information, and for every node the items ranked by information). Build it once per blueprint
  and keep it in memory.
* The rules of a test, each a small class from a registry: :mod:`~scoring.cat.selection`
  (:data:`SELECTION_RULES`: maximum Fisher information, Kullback-Leibler, random),
  :mod:`~scoring.cat.exposure` (:data:`EXPOSURE_RULES`: none, randomesque, Sympson-Hetter),
  :mod:`~scoring.cat.content` (:data:`CONTENT_RULES`: blueprint balancing, shadow test, whose
  MILP is in :mod:`~scoring.cat.shadow`) and :mod:`~scoring.cat.stopping` (:data:`STOPPING_RULES`:
  maximum length, SE, time limit, SPRT).
* :mod:`~scoring.cat.rules`: :class:`CATRules` holds one test's rules;
  :meth:`CATRules.from_dict` builds them from plain validated data.
* :mod:`~scoring.cat.step`: :func:`next_item` is the stateless step: from the administered items
  and responses it returns θ, SE, whether to stop (and why) and the next item. Nothing is kept
  between calls; the only per-candidate state is what the caller passes in (administered items,
  responses, items set aside by Sympson-Hetter, elapsed time).

Every module raises :class:`CATError` (:mod:`~scoring.cat.errors`) for bad input or
configuration.
"""

from .bank import Bank
from .content import CONTENT_RULES, ContentBalancing, ContentRule, ShadowTest
from .errors import CATError
from .exposure import EXPOSURE_RULES, ExposureRule, NoExposureControl, Randomesque, SympsonHetter
from .rules import CATRules
from .selection import SELECTION_RULES, KullbackLeibler, MaximumInformation, RandomItem, SelectionRule
from .shadow import assemble_shadow_test
from .step import CATStep, next_item
from .stopping import SPRT, STOPPING_RULES, MaxLength, StandardErrorStop, StoppingRule, TimeLimit

__all__ = [
    "CONTENT_RULES",
    "EXPOSURE_RULES",
    "SELECTION_RULES",
    "SPRT",
    "STOPPING_RULES",
    "Bank",
    "CATError",
    "CATRules",
    "CATStep",
    "ContentBalancing",
    "ContentRule",
    "ExposureRule",
    "KullbackLeibler",
    "MaxLength",
    "MaximumInformation",
    "NoExposureControl",
    "RandomItem",
    "Randomesque",
    "SelectionRule",
    "ShadowTest",
    "StandardErrorStop",
    "StoppingRule",
    "SympsonHetter",
    "TimeLimit",
    "assemble_shadow_test",
    "next_item",
]
