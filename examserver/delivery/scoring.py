"""Scoring an ended session: raw points per section under the blueprint's rules, θ with its
standard error on the bank's current parameters, and the verdict of each section and of the result
under the one rule in :mod:`scoring.verdict`.

Fixed and random sittings compare each section's raw points with its raw threshold. Adaptive
sittings compare each section's score on the reporting scale (θ by EAP on that section's items)
with a threshold on the same scale: the blueprint's ``scaled_threshold``, or its raw
``pass_threshold`` converted through the section pool's test characteristic curve. Raw points of
an adaptive sitting are not comparable between candidates (each saw different items), so they
are recorded but never decide.

The items of a session are scored from its answer sheet (:class:`AnswerSheet`), plain rows read in
one Core statement (:func:`read_sheet`): loading the items, their parameters, versions and answers
as ORM objects was two thirds of a submit's CPU. The blueprint and its sections, a few objects per
session, stay ORM objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Row
from sqlalchemy.orm import Session, object_session

from examserver.delivery import statements
from examserver.delivery.models import ExamSession
from itembank.item_types import item_type
from itembank.models import BlueprintSection, Item
from itembank.parameters import to_engine, usable
from itembank.refusal import Refusal
from scoring.ability import ReportingScale, estimate_ability
from scoring.verdict import passed, result_verdict, section_verdict, theta_for_true_score


@dataclass
class Parameters:
    """An item's current parameter row, as :mod:`itembank.parameters` reads it (``StoredParameters``,
    whose attributes are plain, so not frozen)."""

    id: int
    model: str
    a: float
    b: float | None
    c: float | None
    thresholds: list[float]


@dataclass(frozen=True)
class SheetItem:
    """One shown item of an ended session: where and what it was, its key, the item's current
    parameters (None when it has none) and the answer (``answer_id`` None when never saved)."""

    position: int
    section_id: int
    version_id: int
    item_type: str
    key: Any
    answer_id: int | None
    response: Any
    client_seq: int | None
    saved_at: datetime | None
    parameter: Parameters | None


#: The sheet's columns an item takes as they are: :data:`statements.SHEET_ROWS` labels them by the
#: item's field names (the parameter is assembled from the ``parameter_*`` columns).
_ITEM_COLUMNS = tuple(field.name for field in fields(SheetItem) if field.name != "parameter")


@dataclass(frozen=True)
class AnswerSheet:
    """An ended session's shown items in position order."""

    exam_id: int
    items: tuple[SheetItem, ...]


def read_sheet(session: Session, exam_id: int) -> AnswerSheet:
    """The session's answer sheet in one statement (:data:`statements.SHEET_ROWS`), as the database
    holds it: pending ORM changes are flushed first."""
    session.flush()
    rows = session.connection().execute(statements.SHEET_ROWS, {"exam_id": exam_id}).all()  # one fetch, not per row
    return AnswerSheet(exam_id, tuple(_sheet_item(row) for row in rows))


def _sheet_item(row: Row[Any]) -> SheetItem:
    position, section_id, version_id, kind, key, answer_id, response, seq, saved_at, *parameter = row
    return SheetItem(
        position, section_id, version_id, kind, key, answer_id, response, seq, saved_at,
        Parameters(*parameter) if row.parameter_id is not None else None,
    )  # fmt: skip


# The sheet's row is read by position: an item's fields in the order of SheetItem, then its
# parameter's (the ``parameter_*`` columns) in the order of Parameters.
assert tuple(statements.SHEET_ROWS.selected_columns.keys()) == (
    *_ITEM_COLUMNS,
    *(f"parameter_{field.name}" for field in fields(Parameters)),
), "the sheet's columns are its items' fields, then their parameters', in order"


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


def _points(section: BlueprintSection, kind) -> float:
    """Points per correct answer under the section's rule (1 for weighted sections)."""
    return (
        float(section.points_per_correct)
        if section.scoring_rule == "points_per_correct" and not kind.polytomous
        else 1.0
    )


def raw_scores(exam: ExamSession, sheet: AnswerSheet) -> dict[int, dict]:
    """Raw and maximum points, items and answered items per section id.

    ``points_per_correct`` sections give that many points for each fully correct answer (the
    national SKD gives 5); ``weighted_options`` sections add the chosen option's weight.
    Unanswered items score 0.
    """
    sections = {section.id: section for section in exam.schedule.blueprint.sections}
    totals = {sid: {"raw": 0.0, "max": 0.0, "answered": 0, "items": 0} for sid in sections}
    for line in sheet.items:
        section = sections[line.section_id]
        kind = item_type(line.item_type)
        response = line.response
        factor = _points(section, kind)
        bucket = totals[line.section_id]
        bucket["raw"] += kind.score(line.key, response) * factor
        bucket["max"] += kind.max_points(line.key) * factor
        bucket["items"] += 1
        bucket["answered"] += response is not None
    return totals


def estimate(
    items: Sequence[SheetItem], scale: ReportingScale
) -> tuple[float | None, float | None, float | None, list[int]]:
    """θ by EAP (standard normal prior) on ``items``, its standard error, the reporting-scale
    score and the ids of the parameter rows used.

    An unanswered item counts as its lowest category, as in the raw score. If any item has no
    usable current parameters, θ is not reported (None): scoring some items by IRT and others
    not would mislead.
    """
    rows: list[Parameters] = []
    responses = []
    for line in items:
        parameter = line.parameter
        if parameter is None or not usable(parameter):
            return None, None, None, []
        rows.append(parameter)
        responses.append(item_type(line.item_type).category(line.key, line.response))
    if not rows:
        return None, None, None, []
    params = to_engine(rows)
    fitted = estimate_ability(np.asarray([responses], dtype=float), params, method="eap")
    theta, se = float(fitted.theta[0]), float(fitted.se[0])
    scaled = float(np.asarray(scale.transform(np.asarray([theta])))[0])
    return round(theta, 4), round(se, 4), scaled, [row.id for row in rows]


def ability(exam: ExamSession, sheet: AnswerSheet) -> tuple[float | None, float | None, float | None, list[int]]:
    """θ, SE, reporting-scale score and parameter ids over every item the session showed."""
    return estimate(sheet.items, reporting_scale(exam.schedule.blueprint.reporting_scale or {}))


def _pool(exam: ExamSession, section: BlueprintSection) -> list[Item]:
    from examserver.delivery.adaptive import adaptive_pool  # noqa: PLC0415

    try:
        session = object_session(exam)
        assert session is not None, "the ended session being scored is loaded in a database session"
        pool = adaptive_pool(session, exam.schedule.blueprint)
    except Refusal:  # no adaptive pool to restate the cut from
        return []
    return [item for owner, item in pool if owner.id == section.id]


def raw_threshold_theta(exam: ExamSession, section: BlueprintSection) -> float | None:
    """θ at which the expected raw score of a section of this length equals its raw threshold.

    The curve is the section pool's test characteristic curve scaled to the section length,
    ``(n / N) Σ_{j in pool} E_j(θ)`` with ``E_j`` the expected points of item j under the
    section's scoring rule (Lord 1980, ch. 13; Kolen & Brennan 2014, §6.5, IRT true-score
    equating). The pool rather than the items this candidate saw: the cut on θ is then the same
    for every candidate of the sitting, whereas the items an adaptive test shows depend on the
    candidate's answers, so a curve of the seen items would move the standard with the ability
    being judged. None when the pool has no usable parameters.
    """
    items = _pool(exam, section)
    rows = [row for row in (item.current_parameter for item in items) if row is not None and usable(row)]
    if not items or len(rows) < len(items):
        return None
    threshold = section.pass_threshold
    assert threshold is not None, "section_scores restates only a section's raw threshold"
    params = to_engine(rows)
    points = np.zeros((params.n_items, params.max_categories))
    for j, item in enumerate(items):
        kind = item_type(item.item_type)
        answer = item.current_version.answer
        levels = [p * _points(section, kind) for p in kind.category_points(answer)]
        width = min(len(levels), params.max_categories)
        points[j, :width] = levels[:width]
    factor = section.item_count / len(items)
    return round(theta_for_true_score(params, points, float(threshold), factor=factor), 4)


def section_scores(exam: ExamSession, sheet: AnswerSheet) -> list[dict]:
    """Per blueprint section: raw points, θ (adaptive), the threshold compared and the verdict.

    Each entry holds ``raw``, ``max``, ``items``, ``answered``, ``threshold`` (the blueprint's raw
    threshold or None), ``basis`` ("raw" or "scaled": what the verdict compares), ``score`` and
    ``cut`` (the compared score and threshold, on the basis's scale), ``theta``, ``theta_se``,
    ``scaled``, ``parameter_ids`` (adaptive sections only, else None / []), ``threshold_theta``
    (the θ of a raw threshold converted through the test characteristic curve), ``verdict``
    ("met", "not_met", "none") and ``passed`` (True, False, None).
    """
    blueprint = exam.schedule.blueprint
    adaptive = blueprint.delivery_mode == "adaptive"
    scale = reporting_scale(blueprint.reporting_scale or {})
    totals = raw_scores(exam, sheet)
    result = []
    for section in blueprint.sections:
        bucket = totals[section.id]
        entry = {
            "id": section.id,
            "title": section.title,
            "raw": bucket["raw"],
            "max": bucket["max"],
            "items": bucket["items"],
            "answered": bucket["answered"],
            "threshold": section.pass_threshold,
            "basis": "raw",
            "score": bucket["raw"],
            "cut": section.pass_threshold,
            "theta": None,
            "theta_se": None,
            "scaled": None,
            "parameter_ids": [],
            "threshold_theta": None,
        }
        if adaptive:
            theta, se, scaled, ids = estimate([line for line in sheet.items if line.section_id == section.id], scale)
            entry.update(theta=theta, theta_se=se, scaled=scaled, parameter_ids=ids)
            cut = section.scaled_threshold
            if cut is None and section.pass_threshold is not None:
                cut_theta = raw_threshold_theta(exam, section)
                entry["threshold_theta"] = cut_theta
                cut = None if cut_theta is None else float(np.asarray(scale.transform(cut_theta)))
            if cut is not None or section.pass_threshold is None:
                # A section the sitting never reached has no scaled score and so does not meet its
                # threshold; only a pool without usable parameters falls back to the raw threshold.
                entry.update(basis="scaled", score=scaled, cut=cut)
        verdict = section_verdict(entry["score"], entry["cut"])
        entry.update(verdict=verdict, passed=passed(verdict))
        result.append(entry)
    return result


def score_session(exam: ExamSession, sheet: AnswerSheet) -> dict:
    """Everything stored in a SessionResult except its identity and timestamps: ``exam`` gives the
    blueprint, ``sheet`` (:func:`read_sheet`) the items and answers."""
    sections = section_scores(exam, sheet)
    theta, se, scaled, parameter_ids = ability(exam, sheet)
    return {
        "sections": sections,
        "total_raw": sum(s["raw"] for s in sections),
        "total_max": sum(s["max"] for s in sections),
        "passed": passed(result_verdict(s["verdict"] for s in sections)),
        "theta": theta,
        "theta_se": se,
        "scaled": scaled,
        "parameter_ids": parameter_ids,
    }
