"""Applicants whose basic-test session was invalidated: status INVALIDATED, out of every count.

The independent check: running the selection with the invalidated applicants marked must give
everyone else exactly what running it without those applicants at all gives them.
"""

from __future__ import annotations

import numpy as np
import pytest

from scoring.selection import Applicants, Positions, Status, ThresholdRule, national_rules, select, shortlist

RULES = national_rules(thresholds=(ThresholdRule("general", minimums=(("TWK", 65.0), ("TIU", 80.0))),))


def applicants(rng: np.random.Generator, n: int, invalidated=None) -> Applicants:
    return Applicants(
        applicant_id=np.arange(1, n + 1) * 7,
        position=rng.integers(0, 3, n),
        category=np.zeros(n, dtype=np.int64),
        basic_scores=np.column_stack([rng.integers(50, 150, n), rng.integers(60, 175, n), rng.integers(120, 225, n)])
        .astype(float),
        education=rng.uniform(2.5, 4.0, n).round(2),
        birth_date=rng.integers(8000, 12000, n),
        admin_passed=rng.random(n) < 0.95,
        field_scores=rng.uniform(40, 100, (n, 1)).round(1),
        invalidated=invalidated,
    )  # fmt: skip


def subset(a: Applicants, keep: np.ndarray) -> Applicants:
    return Applicants(
        applicant_id=a.applicant_id[keep], position=a.position[keep], category=a.category[keep],
        basic_scores=a.basic_scores[keep], education=a.education[keep], birth_date=a.birth_date[keep],
        admin_passed=a.admin_passed[keep], field_scores=a.field_scores[keep],
    )  # fmt: skip


def test_the_value_is_new_and_stable():
    assert Status.INVALIDATED.value == 8
    assert [s.value for s in Status if s is not Status.INVALIDATED] == list(range(8))


@pytest.mark.parametrize("run", [shortlist, select])
def test_invalidated_applicants_drop_out_and_the_others_get_what_they_would_without_them(run):
    rng = np.random.default_rng(14)
    base = applicants(rng, 300)
    positions = Positions(quota=np.array([4, 2, 6]), group=np.array([0, 0, -1]))
    before = run(base, positions, RULES)
    # Invalidate some of the best: the shortlisted and selected ones, plus a few at random.
    winners = np.flatnonzero(np.isin(before.status, [Status.SELECTED, Status.SHORTLISTED]))
    marked = np.zeros(len(base), dtype=bool)
    marked[winners[::3]] = True
    marked[rng.choice(len(base), 10, replace=False)] = True
    marked_applicants = Applicants(**{**base.__dict__, "invalidated": marked})
    after = run(marked_applicants, positions, RULES)
    out = marked & base.admin_passed
    assert (after.status[out] == Status.INVALIDATED).all()
    assert (after.rank[out] == 0).all() and (after.shortlist_rank[out] == 0).all()
    assert (after.appointed_position[out] == -1).all()
    assert np.isnan(after.basic_total[out]).all() and np.isnan(after.final_score[out]).all()
    # Administrative failure comes first: an invalidated applicant who failed it stays ADMIN_FAILED.
    assert (after.status[marked & ~base.admin_passed] == Status.ADMIN_FAILED).all()

    keep = ~out
    without = run(subset(base, keep), positions, RULES)
    for name in ("status", "reason", "shortlist_rank", "rank", "appointed_position"):
        np.testing.assert_array_equal(getattr(after, name)[keep], getattr(without, name), err_msg=name)
    np.testing.assert_array_equal(after.final_score[keep], without.final_score)
    for name in ("filled", "filled_by_filling", "shortlisted"):
        np.testing.assert_array_equal(getattr(after, name), getattr(without, name), err_msg=name)
    # Someone moved up into the places the invalidated applicants left.
    moved_up = (after.status[keep] != before.status[keep]) | (after.rank[keep] != before.rank[keep])
    assert moved_up.any()


def test_the_reason_of_an_invalidated_applicant_names_the_status():
    rng = np.random.default_rng(3)
    base = applicants(rng, 5, invalidated=np.array([True, False, False, False, False]))
    base = Applicants(**{**base.__dict__, "admin_passed": np.ones(5, dtype=bool)})
    result = select(base, Positions(quota=np.array([1, 1, 1])), RULES)
    assert result.reason_of(0).code == "INVALIDATED" and result.reason_of(0).params == ()


def test_the_invalidated_column_must_be_true_false_per_applicant():
    rng = np.random.default_rng(5)
    with pytest.raises(ValueError):
        applicants(rng, 4, invalidated=np.array([1, 0, 0, 0]))
    with pytest.raises(ValueError):
        applicants(rng, 4, invalidated=np.array([True, False]))
