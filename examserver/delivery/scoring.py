"""Scoring an ended session: raw points per section under the blueprint's rules, pass/fail per
section threshold, and θ with its standard error on the bank's current parameters."""

from __future__ import annotations

import numpy as np

from examserver.delivery.models import ExamSession
from itembank.item_types import item_type
from itembank.parameters import to_engine, usable
from scoring.ability import ReportingScale, estimate_ability


def section_scores(exam: ExamSession) -> list[dict]:
    """Raw and maximum points per blueprint section, and whether each threshold is met.

    ``points_per_correct`` sections give that many points for each fully correct answer (the
    national SKD gives 5); ``weighted_options`` sections add the chosen option's weight.
    Unanswered items score 0.
    """
    sections = {section.id: section for section in exam.schedule.blueprint.sections}
    totals = {sid: {"raw": 0.0, "max": 0.0, "answered": 0, "items": 0} for sid in sections}
    for si in exam.items:
        section = sections[si.section_id]
        kind = item_type(si.item.item_type)
        key = si.version.answer
        response = si.answer.response if si.answer is not None else None
        points = kind.score(key, response)
        best = kind.max_points(key)
        if section.scoring_rule == "points_per_correct" and not kind.polytomous:
            points, best = points * section.points_per_correct, best * section.points_per_correct
        bucket = totals[si.section_id]
        bucket["raw"] += points
        bucket["max"] += best
        bucket["items"] += 1
        bucket["answered"] += response is not None
    result = []
    for section in exam.schedule.blueprint.sections:
        bucket = totals[section.id]
        threshold = section.pass_threshold
        result.append(
            {
                "id": section.id,
                "title": section.title,
                "raw": bucket["raw"],
                "max": bucket["max"],
                "items": bucket["items"],
                "answered": bucket["answered"],
                "threshold": threshold,
                "passed": threshold is None or bucket["raw"] >= threshold,
            }
        )
    return result


def score_session(exam: ExamSession) -> dict:
    """Everything stored in a SessionResult except its identity and timestamps."""
    sections = section_scores(exam)
    theta, se, scaled, parameter_ids = ability(exam)
    return {
        "sections": sections,
        "total_raw": sum(s["raw"] for s in sections),
        "total_max": sum(s["max"] for s in sections),
        "passed": all(s["passed"] for s in sections),
        "theta": theta,
        "theta_se": se,
        "scaled": scaled,
        "parameter_ids": parameter_ids,
    }


def reporting_scale(scale: dict) -> ReportingScale:
    """The blueprint's linear reporting scale: a θ range onto [min, max], or mean + sd · θ."""
    if scale.get("kind") == "normal":
        return ReportingScale.from_mean_sd(float(scale["mean"]), float(scale["sd"]), decimals=1)
    return ReportingScale.from_range(
        float(scale.get("min", 0)),
        float(scale.get("max", 100)),
        theta_min=float(scale.get("theta_min", -3)),
        theta_max=float(scale.get("theta_max", 3)),
        decimals=1,
    )


def ability(exam: ExamSession) -> tuple[float | None, float | None, float | None, list[int]]:
    """θ by EAP (standard normal prior) with its standard error, the reporting-scale score, and
    the ids of the parameter rows used.

    Every item the session showed is scored; an unanswered item counts as its lowest category, as
    in the raw score. If any item has no usable current parameters, θ is not reported (None):
    scoring some items by IRT and others not would mislead.
    """
    rows, responses = [], []
    for si in exam.items:
        parameter = si.item.current_parameter
        if parameter is None or not usable(parameter):
            return None, None, None, []
        kind = item_type(si.item.item_type)
        response = si.answer.response if si.answer is not None else None
        rows.append(parameter)
        responses.append(kind.category(si.version.answer, response))
    if not rows:
        return None, None, None, []
    params = to_engine(rows)
    estimate = estimate_ability(np.asarray([responses], dtype=float), params, method="eap")
    theta, se = float(estimate.theta[0]), float(estimate.se[0])
    scale = reporting_scale(exam.schedule.blueprint.reporting_scale or {})
    scaled = float(np.asarray(scale.transform(np.asarray([theta])))[0])
    return round(theta, 4), round(se, 4), scaled, [row.id for row in rows]
