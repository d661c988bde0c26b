"""Calibration runs: response data in, a draft of new parameter versions out, published after review.

A run estimates item parameters with the scoring engine's marginal maximum likelihood EM (Bock &
Aitkin 1981; :class:`scoring.calibration.MMLCalibrator`) in one of two modes:

``fixed``
    Fixed-parameter calibration (Kim 2006): operational items with current parameters are held at
    their bank values (anchors), so the other items (pilot, new) are estimated on the bank's scale.
    Only the estimated items get new parameter versions.
``recalibrate``
    Every item is estimated freely, then put on the bank's scale with Stocking & Lord's (1983)
    characteristic-curve method through the operational items; anchors that drifted are left out
    of the linking constants (:func:`scoring.linking.link`). Every item gets a new version.

Both modes report, per item, the change from the current parameters, S-X2 fit (Orlando & Thissen
2000) where complete response vectors allow it, classical statistics, and anchor drift (robust z
of the difficulty displacement after linking, Huynh & Meyer 2010). Nothing changes in the bank
until a second person publishes the run: previous parameter versions are kept, and scores keep
pointing at the versions they used.
"""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from itembank.calibration_guards import GuardReason, guard_reasons
from itembank.database import utcnow
from itembank.item_types import item_type
from itembank.models import CalibrationRun, Item, ItemEvent, ItemParameter
from itembank.parameters import DICHOTOMOUS, to_engine, usable
from itembank.refusal import Refusal
from itembank.services import Actor
from scoring.calibration import MMLCalibrator
from scoring.classical import ItemStatistics, item_statistics
from scoring.dif import mantel_haenszel
from scoring.fit import s_x2
from scoring.linking import LinkingResult, link
from scoring.models import ItemParameters

MODES = ("fixed", "recalibrate")
#: The model an item gets when it has no parameters yet.
DEFAULT_MODELS = {"weighted_options": "gpcm"}
RUN_ROLES = ("reviewer", "admin")
MIN_PERSONS = 30
MIN_RESPONSES = 20
MIN_LINK_ANCHORS = 5
MAX_ERRORS = 50
#: Review flags: a change of difficulty of more than this many logits, a fit p-value below this,
#: a rest-score correlation below this.
LARGE_CHANGE = 0.5
MISFIT_P = 0.01
LOW_DISCRIMINATION = 0.1
#: Column of an uploaded file that holds each person's group for DIF (any attribute).
GROUP_COLUMN = "kelompok"
#: DIF is studied when both of the two largest groups have at least this many complete responses.
MIN_DIF_GROUP = 100

#: A problem of an uploaded file: (line, code, message parameters).
Problem = tuple[int, str, dict[str, Any]]
#: A JSON summary or statistics object as stored on a run or parameter row.
Json = dict[str, Any]


class ResponseFileError(ValueError):
    """An uploaded response file with problems: ``problems`` is a list of (line, code, params)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


@dataclass(frozen=True)
class ResponseData:
    """Responses to calibrate: one row per person, one column per item; NaN = not administered.

    Values are response categories 0..K-1 (0/1 for dichotomous items).
    """

    item_ids: tuple[int, ...]
    responses: np.ndarray
    source: str  #: "sessions" or "upload"
    label: str  #: what the data is (schedule codes, file name), for the run's page
    notes: Json = field(default_factory=dict)
    #: A group label per row (or None) for DIF, and what the grouping is (e.g. "jenis kelamin").
    groups: tuple[str | None, ...] | None = None
    grouping: str = ""


def category_count(item: Item) -> int:
    """How many response categories the item's current version has."""
    return int(item_type(item.item_type).category_count(item.current_version.answer))


def _item_model(item: Item) -> str:
    current = item.current_parameter
    if current is not None and usable(current):
        return current.model
    if category_count(item) > 2:
        return DEFAULT_MODELS.get(item.item_type, "gpcm")
    return "2pl"


def _column_items(session: Session, codes: list[str]) -> dict[str, Item]:
    """The items the header's columns name, by code; every unnamed, repeated or unknown column is
    raised together in a :class:`ResponseFileError` (line 1)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for code in codes:
        if not code:
            problems.append((1, "column_unnamed", {}))
        elif code in seen:
            problems.append((1, "column_duplicate", {"code": code}))
        seen.add(code)
    items = {item.code: item for item in session.scalars(select(Item).where(Item.code.in_(seen)))}
    for code in codes:
        if code and code not in items:
            problems.append((1, "item_unknown", {"code": code}))
    if problems:
        raise ResponseFileError(problems)
    return items


def read_response_csv(session: Session, text: str, *, label: str) -> ResponseData:
    """Parse an uploaded response matrix.

    The header names the items by code; an optional first column ``peserta`` (or ``id``) labels
    the persons and is ignored. Each cell is the response category (0..K-1; 0/1 for dichotomous
    items) or blank when the item was not administered. Every problem is collected (up to
    :data:`MAX_ERRORS`) and raised together in a :class:`ResponseFileError`.
    """
    problems: list[Problem] = []
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise ResponseFileError([(1, "responses_empty", {})])
    header = [cell.strip() for cell in rows[0]]
    skip = 1 if header and header[0].lower() in ("peserta", "id", "person") else 0
    group_at = next((j for j, cell in enumerate(header) if cell.lower() == GROUP_COLUMN), None)
    codes = [cell for j, cell in enumerate(header) if j >= skip and j != group_at]
    items = _column_items(session, codes)
    counts = [category_count(items[code]) for code in codes]
    matrix = np.full((len(rows) - 1, len(codes)), np.nan)
    groups: list[str | None] = []
    for r, row in enumerate(rows[1:]):
        line = r + 2
        if group_at is not None:
            groups.append((row[group_at].strip() or None) if group_at < len(row) else None)
        cells = [cell for j, cell in enumerate(row) if j >= skip and j != group_at]
        if len(cells) != len(codes):
            problems.append((line, "row_width", {"n": len(cells), "expected": len(codes)}))
            continue
        for j, cell in enumerate(cells):
            value = cell.strip()
            if not value:
                continue
            if not value.isdigit() or int(value) >= counts[j]:
                problems.append((line, "category_range", {"code": codes[j], "value": value, "max": counts[j] - 1}))
                continue
            matrix[r, j] = int(value)
        if len(problems) >= MAX_ERRORS:
            break
    if problems:
        raise ResponseFileError(problems[:MAX_ERRORS])
    return ResponseData(
        tuple(items[code].id for code in codes),
        matrix,
        "upload",
        label,
        groups=tuple(groups) if group_at is not None else None,
        grouping=header[group_at] if group_at is not None else "",
    )


def _round(value: float, digits: int = 4) -> float | None:
    value = float(value)
    return round(value, digits) if np.isfinite(value) else None


def _engine_rows(params: ItemParameters, j: int) -> Json:
    """One engine item as the columns of an ItemParameter row."""
    model = params.models[j]
    thresholds = params.thresholds[j][np.isfinite(params.thresholds[j])]
    se = params.se_thresholds[j] if params.se_thresholds is not None else None
    dichotomous = model in DICHOTOMOUS
    return {
        "model": model,
        "a": _round(params.a[j]),
        "b": _round(thresholds[0] if dichotomous else thresholds.mean()),
        "c": _round(params.c[j]) if model == "3pl" else None,
        "thresholds": [] if dichotomous else [_round(t) for t in thresholds],
        "se_a": _round(params.se_a[j]) if params.se_a is not None else None,
        "se_b": _round(se[0]) if se is not None and dichotomous else None,
        "se_c": _round(params.se_c[j]) if params.se_c is not None and model == "3pl" else None,
    }


def _estimate_notes(params: ItemParameters, j: int) -> Json:
    """What the guards need beyond the columns: which estimates or SEs the engine returned as NaN
    or infinite (stored as None), and the SEs of a polytomous item's thresholds."""
    model = params.models[j]
    width = int(params.n_categories[j]) - 1
    named = [("a", params.a[j]), ("se_a", params.se_a[j] if params.se_a is not None else 0.0)]
    notes: Json = {}
    if model in DICHOTOMOUS:
        named += [("b", params.thresholds[j][0])]
        if params.se_thresholds is not None:
            named.append(("se_b", params.se_thresholds[j][0]))
        if model == "3pl":
            named += [("c", params.c[j]), ("se_c", params.se_c[j] if params.se_c is not None else 0.0)]
    else:
        named += [(f"b{k + 1}", params.thresholds[j][k]) for k in range(width)]
        if params.se_thresholds is not None:
            errors = params.se_thresholds[j][:width]
            named += [(f"se_b{k + 1}", se) for k, se in enumerate(errors)]
            notes["se_thresholds"] = [_round(se) for se in errors]
    nonfinite = [name for name, value in named if not np.isfinite(float(value))]
    if nonfinite:
        notes["nonfinite"] = nonfinite
    return notes


def _information_summary(fitted: MMLCalibrator) -> Json:
    """Condition number and rank of the information matrix behind the run's SEs (for the page)."""
    condition = float(getattr(fitted, "information_condition_", float("nan")))
    return {
        "condition": condition if np.isfinite(condition) else None,
        "rank": int(getattr(fitted, "information_rank_", 0)),
        "size": int(fitted.n_params_),
    }


def _calibrate(
    responses: np.ndarray, models: list[str], counts: list[int], codes: list[str], anchors: ItemParameters | None
) -> tuple[MMLCalibrator, list[str]]:
    calibrator = MMLCalibrator(models, n_categories=counts, se_method="xpd", min_responses=MIN_RESPONSES)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        calibrator.fit(responses, item_ids=codes, anchors=anchors)
    return calibrator, [str(w.message) for w in caught]


@dataclass(frozen=True)
class _Estimates:
    """What the engine returned for a run: the fit, the final (bank-scale) parameters, the codes
    held at their bank values, and the linking to the bank (None when there was none)."""

    fitted: MMLCalibrator
    final: ItemParameters
    held: set[str]
    linking: LinkingResult | None


def _bank_anchors(items: list[Item]) -> dict[str, ItemParameter]:
    """Operational items with usable current parameters, by code: they carry the bank's scale."""
    return {
        item.code: item.current_parameter
        for item in items
        if item.status == "operational" and item.current_parameter is not None and usable(item.current_parameter)
    }


def _fit(
    mode: str,
    responses: np.ndarray,
    models: list[str],
    counts: list[int],
    codes: list[str],
    anchor_rows: dict[str, ItemParameter],
    bank: ItemParameters | None,
) -> tuple[MMLCalibrator, list[str], ItemParameters, set[str], ItemParameters | None]:
    """The engine fit of ``mode``: ``(fitted, warnings, parameters, held codes, free parameters)``;
    the free (unanchored) parameters are what is linked to the bank, None when nothing is linked."""
    if mode == "fixed":
        if len(anchor_rows) == len(codes):
            raise Refusal("calibration.nothing_to_estimate")
        fitted, messages = _calibrate(responses, models, counts, codes, bank)
        free_params = None
        if len(anchor_rows) >= MIN_LINK_ANCHORS:
            free, _ = _calibrate(responses, models, counts, codes, None)
            free_params = free.params_
        return fitted, messages, fitted.params_, set(anchor_rows), free_params
    if len(anchor_rows) < MIN_LINK_ANCHORS:
        raise Refusal("calibration.too_few_anchors", n=len(anchor_rows), min=MIN_LINK_ANCHORS)
    fitted, messages = _calibrate(responses, models, counts, codes, None)
    return fitted, messages, fitted.params_, set(), fitted.params_


def _link_to_bank(
    free_params: ItemParameters, bank: ItemParameters, anchor_rows: dict[str, ItemParameter]
) -> tuple[LinkingResult, Json]:
    """Stocking & Lord linking of the free estimates through the anchors the engine could
    estimate, and its summary for the run's page."""
    estimable = {code for j, code in enumerate(free_params.ids) if np.isfinite(free_params.a[j])}
    common = [code for code in anchor_rows if code in estimable]
    linking = link(free_params, bank, "stocking-lord", anchors=common, min_anchors=MIN_LINK_ANCHORS)
    return linking, {
        "method": linking.method,
        "slope": _round(linking.slope),
        "intercept": _round(linking.intercept),
        "anchors": len(common),
        "kept": len(linking.anchors),
    }


def _estimate(
    mode: str,
    responses: np.ndarray,
    models: list[str],
    counts: list[int],
    codes: list[str],
    anchor_rows: dict[str, ItemParameter],
    summary: Json,
) -> _Estimates:
    """Fit in ``mode`` and link to the bank; engine failures become ``calibration_failed``."""
    bank = to_engine(list(anchor_rows.values()), ids=list(anchor_rows)) if anchor_rows else None
    try:
        fitted, messages, final, held, free_params = _fit(mode, responses, models, counts, codes, anchor_rows, bank)
        summary["warnings"] = messages
        summary["information"] = _information_summary(fitted)
        linking = None
        if free_params is not None and bank is not None:  # free estimates exist only with anchors
            linking, summary["linking"] = _link_to_bank(free_params, bank, anchor_rows)
            if mode == "recalibrate":
                final = linking.params
    except Refusal:
        raise
    except (ValueError, np.linalg.LinAlgError) as error:
        raise Refusal("calibration.calibration_failed", detail=str(error)) from error
    return _Estimates(fitted, final, held, linking)


def _drift(linking: LinkingResult | None) -> dict[str, Json]:
    """Anchor drift per anchor code (shift of b after linking, robust z, flagged), for review."""
    if linking is None:
        return {}
    return {
        code: {"shift": _round(-diff, 3), "z": _round(stat, 2), "flagged": bool(flagged)}
        for code, diff, stat, flagged in zip(
            linking.drift.ids, linking.drift.difference, linking.drift.statistic, linking.drift.flagged, strict=True
        )
    }


def _item_fit(
    responses: np.ndarray, codes: list[str], estimated: list[str], final: ItemParameters, summary: Json
) -> dict[str, float | None]:
    """S-X2 p-value per estimated item (Orlando & Thissen 2000), from the complete response vectors."""
    complete = responses[:, [codes.index(c) for c in estimated]]
    complete = complete[~np.isnan(complete).any(axis=1)]
    fit_p: dict[str, float | None] = {}
    if complete.shape[0] >= MIN_PERSONS:
        try:
            fit = s_x2(complete, final.subset(estimated))
            fit_p = {code: _round(p, 4) for code, p in zip(estimated, fit.p_value, strict=True)}
        except ValueError as error:
            summary["warnings"].append(f"S-X2: {error}")
    summary["fit_persons"] = int(complete.shape[0])
    return fit_p


def _parameter_values(final: ItemParameters, j: int, anchor: ItemParameter | None) -> Json:
    """The columns of an item's new parameter row: the engine's estimate, or the bank values of a
    held anchor."""
    values = _engine_rows(final, j)
    if anchor is not None:
        values.update(a=anchor.a, b=anchor.b, c=anchor.c, thresholds=list(anchor.thresholds or []),
                      se_a=anchor.se_a, se_b=anchor.se_b, se_c=anchor.se_c, model=anchor.model)  # fmt: skip
    return values


def _response_statistics(
    column: np.ndarray, count: int, classical: ItemStatistics, j: int, sx2_p: float | None
) -> Json:
    """Classical p and point-biserial of item ``j``, its S-X2 p-value, and how often each category
    was given."""
    answered = column[~np.isnan(column)].astype(int)
    return {
        "p": _round(classical.p_value[j], 3),
        "rpbis": _round(classical.point_biserial[j], 3),
        "sx2_p": sx2_p,
        "categories": np.bincount(answered, minlength=count).tolist(),
    }


def start_run(
    session: Session, actor: Actor, data: ResponseData, *, mode: str = "fixed", note: str = ""
) -> CalibrationRun:
    """Calibrate ``data`` and store a draft run with one parameter row per item (none current yet).

    Raises
    ------
    Refusal
        ``role_not_allowed``, ``mode_unknown``, ``too_few_persons``, ``nothing_to_estimate``
        (fixed mode with only anchors), ``too_few_anchors`` (recalibration needs
        :data:`MIN_LINK_ANCHORS` operational items to link through), ``calibration_failed``.
    """
    if actor.role not in RUN_ROLES:
        raise Refusal("calibration.role_not_allowed")
    if mode not in MODES:
        raise Refusal("calibration.mode_unknown")
    responses = np.asarray(data.responses, dtype=float)
    keep = ~np.isnan(responses).all(axis=1)
    responses = responses[keep]
    if responses.shape[0] < MIN_PERSONS:
        raise Refusal("calibration.too_few_persons", n=int(responses.shape[0]), min=MIN_PERSONS)
    by_id = {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(data.item_ids)))}
    items = [by_id[i] for i in data.item_ids]
    codes = [item.code for item in items]
    models = [_item_model(item) for item in items]
    counts = [category_count(item) for item in items]
    anchor_rows = _bank_anchors(items)
    summary: Json = {"mode": mode, "label": data.label, "notes": data.notes, "warnings": []}
    estimates = _estimate(mode, responses, models, counts, codes, anchor_rows, summary)
    final, held = estimates.final, estimates.held
    drift = _drift(estimates.linking)
    # Items the engine could not estimate (too few responses, a category nobody used) are left out.
    position = {code: j for j, code in enumerate(final.ids) if np.isfinite(final.a[j])}
    estimated = [code for code in codes if code in position]
    summary["excluded"] = [code for code in codes if code not in position]
    fit_p = _item_fit(responses, codes, estimated, final, summary)
    dif = _dif(responses, data, keep, codes, summary)
    classical = item_statistics(responses, np.asarray(counts, float) - 1)
    fitted = estimates.fitted
    run = CalibrationRun(
        created_by_id=actor.id,
        source=data.source,
        model=models[0] if len(set(models)) == 1 else "mixed",
        n_persons=int(responses.shape[0]),
        n_items=len(estimated) - len(held & set(estimated)),
        n_anchors=len(held) if mode == "fixed" or estimates.linking is None else len(estimates.linking.anchors),
        loglik=_round(fitted.loglik_),
        aic=_round(fitted.aic_),
        bic=_round(fitted.bic_),
        iterations=int(fitted.n_iter_),
        converged=bool(fitted.converged_),
        summary=summary,
        note=note.strip() or None,
        status="draft",
    )
    session.add(run)
    for j, item in enumerate(items):
        code = item.code
        if code not in position:
            continue
        values = _parameter_values(final, position[code], anchor_rows[code] if code in held else None)
        statistics = _response_statistics(responses[:, j], counts[j], classical, j, fit_p.get(code))
        if code not in held:
            statistics.update(_estimate_notes(final, position[code]))
        if code in drift:
            statistics["drift"] = drift[code]
        if code in dif:
            statistics["dif"] = dif[code]
        session.add(
            ItemParameter(
                item=item,
                run=run,
                version_number=item.current_version.number,
                is_anchor=code in held,
                is_current=False,
                n_responses=int((~np.isnan(responses[:, j])).sum()),
                statistics=statistics,
                **values,
            )
        )
    session.flush()
    return run


def _dif(
    responses: np.ndarray, data: ResponseData, keep: np.ndarray, codes: list[str], summary: Json
) -> dict[str, Json]:
    """Mantel-Haenszel DIF (Holland & Thayer 1988, ETS classes per Zieky 1993) of the dichotomous
    items between the two largest groups, the larger as reference; {} when there is no grouping or
    too few candidates."""
    if data.groups is None:
        return {}
    groups = np.asarray([g if g is not None else "" for g in data.groups], dtype=object)[keep]
    complete = ~np.isnan(responses).any(axis=1)
    labels, sizes = np.unique(groups[complete & (groups != "")].astype(str), return_counts=True)
    if labels.size < 2:
        return {}
    order = np.argsort(-sizes, kind="stable")
    reference, focal = str(labels[order[0]]), str(labels[order[1]])
    summary["dif"] = {"grouping": data.grouping, "reference": reference, "focal": focal,
                      "n_reference": int(sizes[order[0]]), "n_focal": int(sizes[order[1]])}  # fmt: skip
    if sizes[order[1]] < MIN_DIF_GROUP:
        summary["dif"]["skipped"] = "too_few"
        return {}
    try:
        result = mantel_haenszel(responses, list(groups), reference=reference, focal=focal, item_ids=codes)
    except ValueError as error:
        summary["warnings"].append(f"DIF: {error}")
        return {}
    favours = result.favours()
    return {
        code: {"ets": str(ets), "delta": _round(delta, 2), "favours": fav}
        for code, ets, delta, fav in zip(result.ids, result.ets, result.delta, favours, strict=True)
        if ets in ("A", "B", "C")
    }


@dataclass(frozen=True)
class ReviewRow:
    """One item of a run's review table: the current and proposed parameters and the flags."""

    item: Item
    proposed: ItemParameter
    current: ItemParameter | None
    change_b: float | None
    flags: tuple[str, ...]
    #: Why the estimate is not fit to publish (:mod:`itembank.calibration_guards`); anchors none.
    guards: tuple[GuardReason, ...] = ()

    @property
    def excluded(self) -> bool:
        return self.proposed.excluded_at is not None

    @property
    def blocking(self) -> bool:
        """A guard-flagged estimate that is neither excluded nor fixed: publishing is refused."""
        return bool(self.guards) and not self.excluded


def row_guards(run: CalibrationRun, row: ItemParameter) -> tuple[GuardReason, ...]:
    """The guard reasons of one estimated row of ``run`` (anchors keep bank values: none)."""
    if row.is_anchor:
        return ()
    return guard_reasons(row, converged=run.converged)


def review_rows(run: CalibrationRun) -> list[ReviewRow]:
    """The run's items with their changes and review flags (``drift``, ``misfit``, ``large_change``,
    ``low_discrimination``, ``new``) and guard reasons: items blocked by a guard first, then other
    flagged items, excluded items last."""
    rows = []
    for proposed in run.parameters:
        item = proposed.item
        current = next(
            (p for p in item.parameters if p.is_current and p.run_id != run.id),
            None,
        )
        change = None
        if current is not None and current.b is not None and proposed.b is not None and not proposed.is_anchor:
            change = round(proposed.b - current.b, 3)
        stats = proposed.statistics or {}
        flags = []
        if (stats.get("drift") or {}).get("flagged"):
            flags.append("drift")
        if stats.get("sx2_p") is not None and stats["sx2_p"] < MISFIT_P:
            flags.append("misfit")
        if change is not None and abs(change) > LARGE_CHANGE:
            flags.append("large_change")
        if stats.get("rpbis") is not None and stats["rpbis"] < LOW_DISCRIMINATION:
            flags.append("low_discrimination")
        if (stats.get("dif") or {}).get("ets") in ("B", "C"):
            flags.append("dif")
        if current is None:
            flags.append("new")
        rows.append(ReviewRow(item, proposed, current, change, tuple(flags), row_guards(run, proposed)))
    rows.sort(key=lambda r: (r.excluded, not r.guards, not [f for f in r.flags if f != "new"], r.item.code))
    return rows


def exclude_items(session: Session, actor: Actor, run: CalibrationRun, parameter_ids: list[int], *, reason: str) -> int:
    """Leave estimated rows of a draft run out of publishing, with a mandatory reason; their items
    keep their current parameters. Returns how many rows were newly excluded.

    Raises
    ------
    Refusal
        ``role_not_allowed``, ``run_not_draft``, ``exclusion_reason_missing``,
        ``nothing_selected`` (no estimated, not yet excluded row of the run among the ids).
    """
    if actor.role not in RUN_ROLES:
        raise Refusal("calibration.role_not_allowed")
    if run.status != "draft":
        raise Refusal("calibration.run_not_draft")
    reason = reason.strip()
    if not reason:
        raise Refusal("calibration.exclusion_reason_missing")
    wanted = set(parameter_ids)
    chosen = [p for p in run.parameters if p.id in wanted and not p.is_anchor and p.excluded_at is None]
    if not chosen:
        raise Refusal("calibration.nothing_selected")
    now = utcnow()
    for row in chosen:
        row.excluded_reason, row.excluded_by_id, row.excluded_at = reason, actor.id, now
    session.flush()
    return len(chosen)


def blocked_items(run: CalibrationRun) -> list[str]:
    """Codes of the items whose guard-flagged estimates are neither excluded nor fixed."""
    return sorted(row.item.code for row in run.parameters if row.excluded_at is None and row_guards(run, row))


def publishable_rows(run: CalibrationRun) -> list[ItemParameter]:
    """The rows publishing would make current: estimated (not anchors), not excluded."""
    return [row for row in run.parameters if not row.is_anchor and row.excluded_at is None]


def publish_run(session: Session, actor: Actor, run: CalibrationRun, *, note: str = "") -> int:
    """Make the run's estimated parameters current; older versions stay (not current).

    Anchors held at their bank values and excluded rows are not published (their items keep
    their current parameters). Refused with ``flagged_items`` while a guard-flagged estimate is
    neither excluded nor fixed (:mod:`itembank.calibration_guards`). Four-eyes: an admin who did
    not start the run publishes it. Scores are not recomputed. Returns how many items got a new
    current version.
    """
    if actor.role != "admin":
        raise Refusal("calibration.role_not_allowed")
    if run.status != "draft":
        raise Refusal("calibration.run_not_draft")
    if run.created_by_id == actor.id:
        raise Refusal("calibration.four_eyes_run")
    blocked = blocked_items(run)
    if blocked:
        shown = ", ".join(blocked[:5]) + (" …" if len(blocked) > 5 else "")
        raise Refusal("calibration.flagged_items", n=len(blocked), codes=shown)
    now = utcnow()
    published = 0
    for row in publishable_rows(run):
        item = row.item
        if item.current_version.number != row.version_number:
            raise Refusal("calibration.content_changed", code=item.code)
        for old in item.parameters:
            if old.is_current:
                old.is_current = False
        session.flush()
        row.is_current = True
        session.add(
            ItemEvent(
                item_id=item.id,
                actor_id=actor.id,
                at=now,
                action="parameters",
                version_number=row.version_number,
                comment=f"#{run.id}" + (f": {note.strip()}" if note.strip() else ""),
            )
        )
        published += 1
    run.status = "published"
    run.published_at = now
    run.published_by_id = actor.id
    if note.strip():
        run.summary = {**(run.summary or {}), "publish_note": note.strip()}
    session.flush()
    return published


def discard_run(session: Session, actor: Actor, run: CalibrationRun) -> None:
    """Set a draft run aside; its rows stay for the record and never become current."""
    if actor.role not in RUN_ROLES:
        raise Refusal("calibration.role_not_allowed")
    if run.status != "draft":
        raise Refusal("calibration.run_not_draft")
    run.status = "discarded"
    session.flush()
