"""The stages of a selection, applied to column arrays by sorting, never a loop over applicants.

Stages, in order::

    administrative pass/fail -> basic test thresholds -> shortlist -> final ranking -> appointment

Every decision is taken by ``np.lexsort`` over the configured keys grouped by position; when two
applicants are equal on every configured key, the registration number (ascending) decides.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..arrays import FloatArray, IntArray, readonly
from .data import Applicants, Positions
from .errors import SelectionRuleError, data_error
from .result import ABSENT_BASIC, ABSENT_FIELD, SelectionResult, Status
from .rules import SelectionRules

__all__ = ["select", "shortlist"]


def shortlist(
    applicants: Applicants,
    positions: Positions,
    rules: SelectionRules,
    *,
    progress: Callable[[str], None] | None = None,
) -> SelectionResult:
    """Run the stages up to the shortlist: administrative check, thresholds, shortlist.

    National CPNS rules (PermenPANRB No. 27/2021 and its successors): applicants who passed the
    administrative verification and every basic-test threshold of their category are ranked per
    position; the best ``multiple * quota`` go on to the field test, together with everyone tied
    with the last of them on all keys of ``rules.shortlist.order``.

    Parameters
    ----------
    applicants : Applicants
        n applicants; ``field_scores`` is not needed.
    positions : Positions
        n_positions positions.
    rules : SelectionRules
    progress : callable, optional
        Called with the name of each phase as it ends (for logging and benchmarks).

    Returns
    -------
    SelectionResult
        Status ADMIN_FAILED, ABSENT, BELOW_THRESHOLD, NOT_SHORTLISTED or SHORTLISTED; final
        scores are NaN, ranks 0.
    """
    return _run(applicants, positions, rules, final=False, progress=progress)


def select(
    applicants: Applicants,
    positions: Positions,
    rules: SelectionRules,
    *,
    progress: Callable[[str], None] | None = None,
) -> SelectionResult:
    """Run every stage: administrative check, thresholds, shortlist, final ranking, appointment.

    National CPNS rules (PermenPANRB No. 27/2021 and its successors): after :func:`shortlist`,
    shortlisted applicants who sat the field test get ``final = basic_weight * 100 *
    basic_total / basic_maximum + field_weight * field_score`` and are ranked per position by
    ``rules.tie_break.order`` (then registration number); the first ``quota`` are SELECTED.
    When ``rules.fill_vacancies`` is set, seats still empty in a position of an equivalence
    group go to the group's NOT_SELECTED applicants, best first by the same order across the
    group, seats offered by ``(priority, position index)``; they become SELECTED_BY_FILLING.

    Parameters
    ----------
    applicants : Applicants
        n applicants, with ``field_scores`` of shape (n, n_components).
    positions : Positions
        n_positions positions.
    rules : SelectionRules
    progress : callable, optional
        Called with the name of each phase as it ends (for logging and benchmarks).

    Returns
    -------
    SelectionResult
    """
    return _run(applicants, positions, rules, final=True, progress=progress)


# --------------------------------------------------------------------------- internals


def _check_consistency(applicants: Applicants, positions: Positions, rules: SelectionRules, final: bool) -> None:
    n_sections = len(rules.sections)
    if applicants.basic_scores.shape[1] != n_sections:
        raise SelectionRuleError(
            "applicant_shape_mismatch",
            f"basic_scores must have one column per section ({n_sections}).",
            column="basic_scores",
        )
    n = len(applicants)
    if n == 0:
        return
    if applicants.position.min() < 0 or applicants.position.max() >= len(positions):
        raise data_error("position", f"position indexes from 0 to {len(positions) - 1}")
    if applicants.category.min() < 0 or applicants.category.max() >= len(rules.thresholds):
        raise data_error("category", f"category codes from 0 to {len(rules.thresholds) - 1}")
    ids = np.sort(applicants.applicant_id)
    if (ids[1:] == ids[:-1]).any():
        raise SelectionRuleError(
            "applicant_id_repeated",
            "Two applicants have the same registration number.",
            column="applicant_id",
        )
    maxima = np.array([s.maximum for s in rules.sections])
    scores = applicants.basic_scores
    if ((scores < 0) | (scores > maxima)).any():
        raise data_error("basic_scores", "scores between 0 and the section maximum (or NaN if absent)")
    if final and applicants.field_scores is not None:
        components = rules.weights.components
        if applicants.field_scores.shape[1] != len(components):
            raise SelectionRuleError(
                "applicant_shape_mismatch",
                f"field_scores must have one column per field component ({len(components)}).",
                column="field_scores",
            )
        cmax = np.array([c.maximum for c in components])
        if ((applicants.field_scores < 0) | (applicants.field_scores > cmax)).any():
            raise data_error("field_scores", "scores between 0 and the component maximum (or NaN if absent)")


class _Keys:
    """Sort keys of a subset of applicants, computed on demand and cached."""

    def __init__(self, applicants: Applicants, rules: SelectionRules, rows: np.ndarray, **extra: np.ndarray):
        self.applicants = applicants
        self.rules = rules
        self.rows = rows
        self.cache: dict[str, np.ndarray] = dict(extra)
        self.section_index = {s.name: i for i, s in enumerate(rules.sections)}
        self.component_index = {c.name: i for i, c in enumerate(rules.weights.components)}

    def ascending(self, key: str) -> np.ndarray:
        """The key as an array where smaller sorts first (better)."""
        kind, _, name = key.partition(":")
        a = self.applicants
        if key in self.cache:
            values = self.cache[key]
        elif kind == "section":
            values = a.basic_scores[self.rows, self.section_index[name]]
        elif kind == "field" and name:
            values = a.field_scores[self.rows, self.component_index[name]]  # type: ignore[index]
        elif key == "education":
            values = a.education[self.rows]
        elif key == "birth_date":
            older_first: IntArray = a.birth_date[self.rows]  # earlier (smaller) is better
            return older_first
        else:  # pragma: no cover - keys are validated by the rules
            raise KeyError(key)
        smaller_first: FloatArray = -values  # declared: numpy's stubs type fancy indexing as Any
        return smaller_first

    def subset(self, mask: np.ndarray) -> _Keys:
        """The keys of ``self.rows[mask]``, reusing the computed ones."""
        cached = {key: values[mask] for key, values in self.cache.items()}
        return _Keys(self.applicants, self.rules, self.rows[mask], **cached)

    def order(self, group: np.ndarray, order: tuple[str, ...], ids: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Permutation sorting by ``group``, then ``order``, then ``ids``; and the sorted keys."""
        keys = [self.ascending(key) for key in order]
        permutation = np.lexsort([ids, *reversed(keys), group])
        return permutation, [k[permutation] for k in keys]


def _runs(sorted_group: np.ndarray, sorted_keys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Start index of each row's group and of its run of rows equal on all keys, shape (m,)."""
    m = sorted_group.shape[0]
    index = np.arange(m)
    new_group = np.ones(m, dtype=bool)
    np.not_equal(sorted_group[1:], sorted_group[:-1], out=new_group[1:])
    new_run = new_group.copy()
    for key in sorted_keys:
        new_run[1:] |= key[1:] != key[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, index, 0))
    run_start = np.maximum.accumulate(np.where(new_run, index, 0))
    return group_start, run_start


class _Outcome:
    """The output arrays of a selection, written stage by stage."""

    def __init__(self, n: int, quota: IntArray) -> None:
        self.status = np.full(n, Status.ADMIN_FAILED, dtype=np.int8)
        self.reason = np.zeros(n, dtype=np.int32)
        self.shortlist_rank = np.zeros(n, dtype=np.int32)
        self.rank = np.zeros(n, dtype=np.int32)
        self.field_score = np.full(n, np.nan)
        self.final_score = np.full(n, np.nan)
        self.appointed = np.full(n, -1, dtype=np.int64)
        self.tie_unresolved = np.zeros(n, dtype=bool)
        # per position; declared because numpy's stubs give zeros(shape) a 0-d shape type
        self.quota = quota.copy()
        self.filled: IntArray = np.zeros(quota.shape, dtype=np.int64)
        self.filled_by_filling: IntArray = np.zeros(quota.shape, dtype=np.int64)
        self.shortlisted: IntArray = np.zeros(quota.shape, dtype=np.int64)

    def result(self, basic_total: np.ndarray, rules: SelectionRules) -> SelectionResult:
        return SelectionResult(
            status=readonly(self.status),
            reason=readonly(self.reason),
            basic_total=readonly(basic_total),
            shortlist_rank=readonly(self.shortlist_rank),
            field_score=readonly(self.field_score),
            final_score=readonly(self.final_score),
            rank=readonly(self.rank),
            appointed_position=readonly(self.appointed),
            tie_unresolved=readonly(self.tie_unresolved),
            quota=readonly(self.quota),
            filled=readonly(self.filled),
            filled_by_filling=readonly(self.filled_by_filling),
            shortlisted=readonly(self.shortlisted),
            rules=rules,
        )


def _run(
    applicants: Applicants,
    positions: Positions,
    rules: SelectionRules,
    *,
    final: bool,
    progress: Callable[[str], None] | None,
) -> SelectionResult:
    tick = progress or (lambda _phase: None)
    _check_consistency(applicants, positions, rules, final)
    a = applicants
    quota = positions.quota
    n_sections = len(rules.sections)
    out = _Outcome(len(a), quota)
    tick("validate")

    # Administrative check and basic-test thresholds, by category.
    # Column by column, so each row's sum is computed the same way wherever the row sits.
    basic_total = a.basic_scores[:, 0].copy()
    for s in range(1, n_sections):
        basic_total += a.basic_scores[:, s]
    invalidated = a.invalidated & a.admin_passed
    out.status[invalidated] = Status.INVALIDATED
    basic_total[invalidated] = np.nan
    absent = np.isnan(basic_total) & a.admin_passed & ~invalidated
    out.status[absent] = Status.ABSENT
    out.reason[absent] = ABSENT_BASIC
    present = a.admin_passed & ~absent & ~invalidated
    for s, section in enumerate(rules.sections):
        minimum = np.array([t.minimum_of(section.name) or 0.0 for t in rules.thresholds])
        failed = a.basic_scores[:, s] < minimum[a.category]
        out.reason[failed & present] |= 1 << s
    total_minimum = np.array([t.total_minimum or 0.0 for t in rules.thresholds])
    out.reason[(basic_total < total_minimum[a.category]) & present] |= 1 << n_sections
    out.status[present & (out.reason != 0)] = Status.BELOW_THRESHOLD
    passed = np.flatnonzero(present & (out.reason == 0))
    tick("thresholds")

    # Shortlist: per position, competition rank by the shortlist order; a run of ties that
    # starts inside the cut goes through whole.
    keys = _Keys(a, rules, passed, basic_total=basic_total[passed])
    group = a.position[passed]
    perm, sorted_keys = keys.order(group, rules.shortlist.order, a.applicant_id[passed])
    rows = passed[perm]
    sorted_position = group[perm]
    group_start, run_start = _runs(sorted_position, sorted_keys)
    competition = run_start - group_start
    is_short = competition < rules.shortlist.multiple * quota[sorted_position]
    out.shortlist_rank[rows] = competition + 1
    out.status[rows] = np.where(is_short, Status.SHORTLISTED, Status.NOT_SHORTLISTED)
    out.shortlisted += np.bincount(sorted_position[is_short], minlength=quota.shape[0])
    del keys, perm, sorted_keys, group_start, run_start, competition
    tick("shortlist")

    short_rows = rows[is_short]
    if final and short_rows.size:
        if a.field_scores is None:
            raise SelectionRuleError(
                "field_scores_missing", "Field-test scores are needed to rank the shortlisted applicants."
            )
        _final_stage(a, positions, rules, short_rows, basic_total, out, tick)
    return out.result(basic_total, rules)


def _final_stage(
    a: Applicants,
    positions: Positions,
    rules: SelectionRules,
    short_rows: np.ndarray,
    basic_total: np.ndarray,
    out: _Outcome,
    tick: Callable[[str], None],
) -> None:
    """Final scores, final ranking and vacancy filling of the shortlisted ``short_rows``."""
    weights = rules.weights
    quota = positions.quota
    scores = a.field_scores[short_rows]  # type: ignore[index]
    field = np.zeros(short_rows.shape[0])
    for c, component in enumerate(weights.components):
        field += scores[:, c] * (100.0 * component.weight / component.maximum)
    sat = ~np.isnan(field)
    absent_rows = short_rows[~sat]
    out.status[absent_rows] = Status.ABSENT
    out.reason[absent_rows] = ABSENT_FIELD
    ranked = short_rows[sat]
    field = field[sat]
    final = weights.basic * 100.0 * basic_total[ranked] / rules.basic_maximum + weights.field * field
    if rules.score_decimals is not None:
        field = np.round(field, rules.score_decimals)
        final = np.round(final, rules.score_decimals)
    out.field_score[ranked] = field
    out.final_score[ranked] = final

    # Final ranking per position: ordinal rank by the tie-break order, then registration number.
    keys = _Keys(a, rules, ranked, basic_total=basic_total[ranked], final=final, field=field)
    group = a.position[ranked]
    perm, sorted_keys = keys.order(group, rules.tie_break.order, a.applicant_id[ranked])
    rows = ranked[perm]
    sorted_position = group[perm]
    group_start, run_start = _runs(sorted_position, sorted_keys)
    index = np.arange(rows.shape[0])
    within = index - group_start
    is_selected = within < quota[sorted_position]
    out.rank[rows] = within + 1
    out.status[rows] = np.where(is_selected, Status.SELECTED, Status.NOT_SELECTED)
    out.appointed[rows[is_selected]] = sorted_position[is_selected]
    tied_with_previous = run_start != index
    tied = tied_with_previous.copy()
    tied[:-1] |= tied_with_previous[1:]
    out.tie_unresolved[rows] = tied
    out.filled += np.bincount(sorted_position[is_selected], minlength=quota.shape[0])
    tick("final ranking")

    if rules.fill_vacancies:
        # ``is_selected`` follows the sorted ``rows``; the key arrays follow ``ranked``.
        waiting = np.empty(ranked.shape[0], dtype=bool)
        waiting[perm] = ~is_selected
        _fill(a, positions, rules, keys.subset(waiting), ranked[waiting], out)
    tick("vacancy filling")


def _fill(
    a: Applicants,
    positions: Positions,
    rules: SelectionRules,
    keys: _Keys,
    waiting: np.ndarray,
    out: _Outcome,
) -> None:
    """Give vacant seats of each equivalence group to the group's ``waiting`` rows, best first."""
    labels = positions.group
    vacancy = positions.quota - out.filled
    grouped = labels >= 0
    if not (grouped & (vacancy > 0)).any():
        return
    # Dense group codes 0..n_groups-1 for the positions that have a group.
    dense = np.full(labels.shape, -1, dtype=np.int64)
    unique, inverse = np.unique(labels[grouped], return_inverse=True)
    dense[grouped] = inverse
    seats_per_group = np.bincount(
        dense[grouped], weights=np.maximum(vacancy[grouped], 0), minlength=unique.shape[0]
    ).astype(np.int64)

    # Candidates: waiting rows of a group that has a vacant seat.
    candidate_group = dense[a.position[waiting]]
    eligible = candidate_group >= 0
    eligible[eligible] = seats_per_group[candidate_group[eligible]] > 0
    if not eligible.any():
        return
    keys = keys.subset(eligible)
    cand_group = candidate_group[eligible]
    order, _ = keys.order(cand_group, rules.tie_break.order, a.applicant_id[keys.rows])
    cand_rows = keys.rows[order]
    cand_group = cand_group[order]
    group_start, _ = _runs(cand_group, [])
    within = np.arange(cand_rows.shape[0]) - group_start
    takes = within < seats_per_group[cand_group]

    # Seats, one per vacant place, sorted by group, priority, position index.
    open_positions = np.flatnonzero(grouped & (vacancy > 0))
    seat_position = np.repeat(open_positions, vacancy[open_positions])
    seat_order = np.lexsort([seat_position, positions.priority[seat_position], dense[seat_position]])
    seat_position = seat_position[seat_order]
    seat_start = np.concatenate(([0], np.cumsum(seats_per_group)[:-1]))
    target = seat_position[seat_start[cand_group[takes]] + within[takes]]
    winners = cand_rows[takes]
    out.status[winners] = Status.SELECTED_BY_FILLING
    out.appointed[winners] = target
    by_filling = np.bincount(target, minlength=out.filled.shape[0])
    out.filled += by_filling
    out.filled_by_filling += by_filling
