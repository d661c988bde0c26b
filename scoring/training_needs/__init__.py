"""Training-needs analysis after hiring: credible competency gaps, development plans, cohort plans.

Every employee arrives with the competency estimates of their selection test: a θ per competency
and its standard error (SE), both of shape (n_employees, n_competencies), persons are rows, NaN
where a competency was not measured. The position's profile states the required level per
competency. This package turns those into

* :func:`competency_gaps` -- the gap ``required - θ`` per cell, and whether it is *credible*: a
  measured θ below the requirement by less than its own uncertainty is not a reason to send
  anyone to training;
* :func:`development_plan` -- an ordered list of programmes per employee, each with a reason code
  and its numbers, with the orientation programme first for new hires;
* :func:`cohort_plan` -- how many runs of each programme to hold and who attends, maximising the
  credible gap closed within a budget (a mixed-integer programme solved by ``scipy.optimize.milp``);
* :func:`aggregate_gaps` -- mean gap and share of credible gaps by unit, region or position, as
  (n_groups, n_competencies) arrays ready for a heat map;
* :func:`nine_box` -- the performance x potential talent map with a recommendation per employee:
  further education for the top, coaching (pembinaan) for the bottom, with a reason code;
* :func:`success_profile` -- the competency levels of a position's top performance tertile
  against the rest, with their standard errors, as the proposed profile for the next
  recruitment (:func:`committee_levels` reads the committee's levels 1-5 off θ).

Results hold codes and numbers, never sentences: the web layer words them in the reader's language.

The θ estimates come from the IRT engine (``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))``, logistic
metric, D = 1); the gap is measured on that θ scale. Requirements may be written on a linear
scale instead (:class:`RequirementScale`).

A programme's ``effect`` is the expected gain in θ (logits) per participant on each competency.
One participant of programme p closes ``min(credible gap, effect)`` on each competency: a
programme cannot close more than the gap that is there.

A module per concept: :mod:`~scoring.training_needs.gaps` (gaps and the heat map),
:mod:`~scoring.training_needs.catalogue` (programmes and the effect model),
:mod:`~scoring.training_needs.plans` (individual plans), :mod:`~scoring.training_needs.cohort`
(the budget plan), :mod:`~scoring.training_needs.talent_map` (the nine-box) and
:mod:`~scoring.training_needs.success` (success profiles).
"""

from .catalogue import TrainingCatalogue
from .cohort import CohortPlan, cohort_plan
from .gaps import GapAnalysis, GapHeatmap, RequirementScale, aggregate_gaps, competency_gaps
from .plans import DevelopmentPlan, PlanItem, development_plan
from .success import LEVEL_CUTS, SuccessProfile, committee_levels, success_profile
from .talent_map import BOX_CODES, NineBox, competency_potential, nine_box

__all__ = [
    "BOX_CODES",
    "LEVEL_CUTS",
    "CohortPlan",
    "DevelopmentPlan",
    "GapAnalysis",
    "GapHeatmap",
    "NineBox",
    "PlanItem",
    "RequirementScale",
    "SuccessProfile",
    "TrainingCatalogue",
    "aggregate_gaps",
    "cohort_plan",
    "committee_levels",
    "competency_gaps",
    "competency_potential",
    "development_plan",
    "nine_box",
    "success_profile",
]
