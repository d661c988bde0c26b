"""Ranking rules of a civil-service selection: thresholds, shortlist, final score, appointment.

The defaults follow the national CPNS rules (PermenPANRB No. 27/2021 and its successors): a
basic competency test (SKD) with three sections (TWK national insight, TIU general intelligence,
TKP personal characteristics) and per-section passing thresholds that differ by applicant
category; a shortlist of three times the quota with everyone tied at the cut going through; a
final score of 40% basic test (normalised by its maximum) and 60% field test (SKB); a field score
in which the computer test weighs at least 50%, the interview at most 30% and other tests at most
20%; a fixed tie-break order; and vacant positions filled with the next-ranked eligible candidates
of equivalent positions. Every one of these is a field of :class:`SelectionRules`: the committee
sets the values of its period's decree, and the code applies them the same way to everyone.

Stages, in order::

    administrative pass/fail -> basic test thresholds -> shortlist -> final ranking -> appointment

Inputs are column arrays (persons are rows), so millions of applicants cost a few sorts:
:class:`Applicants` holds one array per attribute, :class:`Positions` one per position. Every
decision is taken by ``np.lexsort`` over the configured keys grouped by position; there is no
Python loop over applicants. The result does not depend on the order of the input rows: when two
applicants are equal on every configured key, the registration number (``applicant_id``,
ascending) decides, and :attr:`SelectionResult.tie_unresolved` flags them so the committee sees it.

Scores on a 0-100 scale (``score_decimals`` rounds them before ranking, so the published score is
the ranked score)::

    basic_score = 100 * basic_total / basic_maximum
    field_score = sum_c weight_c * 100 * field_c / maximum_c
    final_score = basic_weight * basic_score + field_weight * field_score

A module per concept:

* :mod:`~scoring.selection.rules`: :class:`SelectionRules` and its parts (:class:`Section`,
  :class:`ThresholdRule`, :class:`WeightRule` with :class:`FieldComponent`,
  :class:`ShortlistRule`, :class:`TieBreak`) and :func:`national_rules`.
* :mod:`~scoring.selection.data`: the input columns, :class:`Applicants` and :class:`Positions`.
* :mod:`~scoring.selection.engine`: the stages, :func:`shortlist` and :func:`select`.
* :mod:`~scoring.selection.result`: :class:`Status`, :class:`SelectionResult` and :class:`Reason`.
* :mod:`~scoring.selection.errors`: :class:`SelectionRuleError`, raised for any bad rule or input.
* :mod:`~scoring.selection.forecast`: before the test, how many will pass per position
  (:func:`estimate_pass_rates`, :func:`forecast_passing`), where to look for more
  (:func:`outreach_targets`) and, after it, :func:`compare_forecast`.
"""

from .data import Applicants, Positions
from .engine import select, shortlist
from .errors import SelectionRuleError
from .forecast import (
    Forecast,
    ForecastCheck,
    OutreachTargets,
    PassRates,
    compare_forecast,
    estimate_pass_rates,
    forecast_passing,
    outreach_targets,
)
from .result import Reason, SelectionResult, Status
from .rules import (
    NATIONAL_THRESHOLDS,
    FieldComponent,
    Section,
    SelectionRules,
    ShortlistRule,
    ThresholdRule,
    TieBreak,
    WeightRule,
    national_rules,
)

__all__ = [
    "NATIONAL_THRESHOLDS",
    "Applicants",
    "FieldComponent",
    "Forecast",
    "ForecastCheck",
    "OutreachTargets",
    "PassRates",
    "Positions",
    "Reason",
    "Section",
    "SelectionResult",
    "SelectionRuleError",
    "SelectionRules",
    "ShortlistRule",
    "Status",
    "ThresholdRule",
    "TieBreak",
    "WeightRule",
    "compare_forecast",
    "estimate_pass_rates",
    "forecast_passing",
    "national_rules",
    "outreach_targets",
    "select",
    "shortlist",
]
