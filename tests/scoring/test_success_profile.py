"""Success profiles: the top performance tertile against the rest, with measurement uncertainty."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.training_needs import committee_levels, success_profile


def test_a_competency_that_drives_performance_shows_a_credible_difference_and_another_does_not():
    rng = np.random.default_rng(5)
    n = 300
    driver = rng.normal(0, 1, n)
    unrelated = rng.normal(0, 1, n)
    performance = 75 + 8 * driver + rng.normal(0, 4, n)
    se = np.full((n, 2), 0.3)
    theta = np.column_stack([driver, unrelated]) + rng.normal(0, 0.3, (n, 2))
    profile = success_profile(performance, theta, se)
    assert profile.top.sum() == pytest.approx(n / 3, abs=1)
    assert profile.credible.tolist() == [True, False]
    # The SE of a mean is sd/sqrt(n) here: the spread is larger than the measurement error.
    top = theta[profile.top, 0]
    assert profile.top_se[0] == pytest.approx(top.std(ddof=1) / np.sqrt(top.size))
    assert profile.proposed[0] == pytest.approx(top.mean()) and profile.proposed[0] > 0.5
    assert profile.difference_se[1] == pytest.approx(np.hypot(profile.top_se[1], profile.rest_se[1]))


def test_the_measurement_error_is_a_floor_and_the_unrated_and_unmeasured_are_left_out():
    performance = np.array([90, 80, 70, 60, 50, 40, np.nan])
    theta = np.array([[1.0, np.nan], [1.0, 0.5], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [3.0, 3.0]])
    se = np.full(theta.shape, 0.4)
    profile = success_profile(performance, theta, se)
    assert profile.top.tolist() == [True, True, False, False, False, False, False]
    assert profile.top_n.tolist() == [2, 1] and profile.rest_n.tolist() == [4, 4]
    # Identical θ in the top group: no spread, so the SE is the measurement error over sqrt(n).
    assert profile.top_se[0] == pytest.approx(0.4 / np.sqrt(2))
    assert profile.top_se[1] == pytest.approx(0.4)
    assert profile.proposed.tolist() == pytest.approx([1.0, 0.5])
    with pytest.raises(ValueError):
        success_profile([1.0, np.nan, np.nan], np.zeros((3, 1)), np.ones((3, 1)))


def test_committee_levels_read_off_theta_with_cuts_going_up():
    assert committee_levels([-3.0, -1.5, -0.2, 0.5, 0.9, 2.4]).tolist() == [1, 2, 3, 4, 4, 5]
    with pytest.raises(ValueError):
        committee_levels([np.nan])
