"""The verdict rule and the raw-threshold to θ conversion through a test characteristic curve."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.models import ItemParameters
from scoring.verdict import (
    THETA_BOUNDS,
    expected_scores,
    passed,
    result_verdict,
    section_verdict,
    theta_for_true_score,
)


def test_a_section_without_threshold_is_neither_met_nor_failed():
    assert section_verdict(0.0, None) == "none"
    assert section_verdict(100.0, None) == "none"
    assert section_verdict(65.0, 65.0) == "met"
    assert section_verdict(64.9, 65.0) == "not_met"
    assert section_verdict(None, 10.0) == "not_met"


def test_the_result_is_the_conjunction_of_the_thresholds_that_exist():
    assert result_verdict(["none", "none"]) == "none"
    assert result_verdict([]) == "none"
    assert result_verdict(["met", "none"]) == "pass"
    assert result_verdict(["met", "not_met", "none"]) == "fail"
    assert result_verdict(["not_met"]) == "fail"
    assert [passed(v) for v in ("pass", "fail", "none", "met", "not_met")] == [True, False, None, True, False]


def test_inverting_the_curve_of_identical_2pl_items_matches_the_closed_form():
    # n identical 2PL items worth w points: T(θ) = n w / (1 + exp(-a (θ - b))), so
    # θ = b + log(t / (n w - t)) / a.
    n, a, b, w = 4, 1.3, 0.4, 5.0
    params = ItemParameters.from_arrays([a] * n, thresholds=np.full((n, 1), b), models="2pl")
    points = np.tile([0.0, w], (n, 1))
    for t in (1.0, 7.5, 10.0, 18.0):
        expected = b + np.log(t / (n * w - t)) / a
        assert theta_for_true_score(params, points, t) == pytest.approx(expected, abs=1e-6)


def test_a_pool_curve_is_scaled_to_the_section_length():
    # 8 identical items scaled to 4 behave as 4 items.
    params8 = ItemParameters.from_arrays([1.0] * 8, thresholds=np.zeros((8, 1)), models="2pl")
    params4 = params8.subset(np.arange(4))
    points8, points4 = np.tile([0.0, 5.0], (8, 1)), np.tile([0.0, 5.0], (4, 1))
    assert theta_for_true_score(params8, points8, 12.0, factor=0.5) == pytest.approx(
        theta_for_true_score(params4, points4, 12.0), abs=1e-7
    )


def test_gpcm_curve_matches_a_hand_computed_expectation_and_inverts_on_a_grid():
    a, steps = 0.9, np.array([[-1.0, 0.0, 1.2]])
    params = ItemParameters.from_arrays([a], thresholds=steps, models="gpcm")
    weights = np.array([[1.0, 2.0, 4.0, 5.0]])
    theta = 0.3
    # GPCM (Muraki 1992): P_k ∝ exp(Σ_{v<=k} a (θ - b_v)), P_0 ∝ 1.
    logits = np.concatenate([[0.0], np.cumsum(a * (theta - steps[0]))])
    prob = np.exp(logits) / np.exp(logits).sum()
    assert expected_scores(params, weights, [theta])[0] == pytest.approx(float(prob @ weights[0]), abs=1e-10)
    grid = np.linspace(*THETA_BOUNDS, 120001)
    curve = expected_scores(params, weights, grid)
    target = 3.1
    by_grid = grid[np.argmin(np.abs(curve - target))]
    assert theta_for_true_score(params, weights, target) == pytest.approx(by_grid, abs=2e-4)


def test_scores_outside_the_curve_clip_to_the_bounds():
    params = ItemParameters.from_arrays([1.0, 1.0], c=[0.25, 0.25], thresholds=np.zeros((2, 1)), models="3pl")
    points = np.tile([0.0, 1.0], (2, 1))
    assert theta_for_true_score(params, points, 0.2) == THETA_BOUNDS[0]  # below what guessing gives
    assert theta_for_true_score(params, points, 2.0) == THETA_BOUNDS[1]
