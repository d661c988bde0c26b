"""The at-risk forecast on simulated intakes whose pass rates are known."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.selection import compare_forecast, estimate_pass_rates, forecast_passing, outreach_targets

N_LEVELS, N_REGIONS = 4, 8
N_GROUPS = N_LEVELS * N_REGIONS


def _world(seed: int):
    """True pass rates per (education level, region), an earlier sitting drawn from them, and an intake."""
    rng = np.random.default_rng(seed)
    level_rate = rng.uniform(0.15, 0.75, N_LEVELS)
    logit = np.log(level_rate / (1 - level_rate))[:, None] + rng.normal(0, 0.5, (N_LEVELS, N_REGIONS))
    true_rate = (1 / (1 + np.exp(-logit))).ravel()
    parent = np.repeat(np.arange(N_LEVELS), N_REGIONS)
    # Earlier sitting: group sizes from nothing at all to a few hundred.
    sizes = rng.choice([0, 5, 20, 60, 200], N_GROUPS)
    earlier_group = np.repeat(np.arange(N_GROUPS), sizes)
    earlier_passed = rng.random(earlier_group.size) < true_rate[earlier_group]
    # This period: 400 positions, each open to one education level, applicants from every region.
    n_positions = 400
    seats = rng.integers(1, 6, n_positions)
    position_level = rng.integers(0, N_LEVELS, n_positions)
    applicants = rng.integers(2, 40, n_positions)
    applicant_position = np.repeat(np.arange(n_positions), applicants)
    applicant_group = position_level[applicant_position] * N_REGIONS + rng.integers(
        0, N_REGIONS, applicant_position.size
    )
    actually_passed = rng.random(applicant_position.size) < true_rate[applicant_group]
    truth = np.bincount(applicant_position, weights=actually_passed, minlength=n_positions).astype(int)
    return {
        "true_rate": true_rate,
        "parent": parent,
        "earlier": (earlier_passed, earlier_group),
        "seats": seats,
        "applicants": (applicant_position, applicant_group),
        "truth": truth,
    }


@pytest.mark.parametrize("seed", [2026, 7])
def test_the_interval_holds_the_true_number_of_qualified_finalists_for_at_least_90_percent(seed):
    world = _world(seed)
    rates = estimate_pass_rates(*world["earlier"], N_GROUPS, parent=world["parent"])
    forecast = forecast_passing(world["seats"], *world["applicants"], rates, level=0.95, draws=2000, rng=seed)
    check = compare_forecast(forecast, world["truth"])
    assert 0.90 <= check.coverage <= 0.995, check.coverage
    # Not absurdly wide: on average within 1.6 times the interval a forecaster knowing the true rates would give.
    applicant_position, applicant_group = world["applicants"]
    p = world["true_rate"][applicant_group]
    oracle_sd = np.sqrt(np.bincount(applicant_position, weights=p * (1 - p), minlength=world["seats"].size))
    width = forecast.upper - forecast.lower
    assert width.mean() <= 1.6 * (2 * 1.96 * oracle_sd).mean()


def test_a_forecast_that_ignores_the_uncertainty_of_the_rates_would_miss_more():
    """The check can fail: a rate far off (one level's earlier data are wrong) drops coverage below 90%."""
    world = _world(11)
    passed, group = world["earlier"]
    wrong = passed.copy()
    wrong[group // N_REGIONS == 0] = True  # everybody of level 0 passed, which is not how they sit
    rates = estimate_pass_rates(wrong, group, N_GROUPS, parent=world["parent"])
    forecast = forecast_passing(world["seats"], *world["applicants"], rates, rng=11, draws=1000)
    assert compare_forecast(forecast, world["truth"]).coverage < 0.90


def test_groups_nobody_sat_take_their_level_rate_and_few_applicants_are_flagged():
    # Level 0 passed 80 of 100 earlier; group 1 (level 0) never sat; level 1 (group 2) passed 10 of 100.
    passed = np.r_[np.ones(80, bool), np.zeros(20, bool), np.ones(10, bool), np.zeros(90, bool)]
    group = np.r_[np.zeros(100, int), np.full(100, 2)]
    rates = estimate_pass_rates(passed, group, 3, parent=[0, 0, 1], prior_strength=10)
    assert rates.mean[0] == pytest.approx((10 * rates.mean[1] + 80) / 110)
    assert 0.7 < rates.mean[1] < 0.8 and rates.sat.tolist() == [100, 0, 100]
    assert rates.mean[2] < 0.15
    # Position 0: 2 seats, 4 applicants of group 1 (expects ~3 of them to pass); position 1: 1 seat,
    # 5 applicants of group 2 (expects ~0.6); position 2: no applicants at all.
    forecast = forecast_passing([2, 1, 1], [0] * 4 + [1] * 5, [1] * 4 + [2] * 5, rates, rng=1)
    assert forecast.expected[0] == pytest.approx(4 * rates.mean[1])
    assert forecast.flagged.tolist() == [False, True, True]
    assert forecast.lower[2] == forecast.upper[2] == 0 and np.isnan(forecast.pass_rate[2])
    assert forecast.shortfall[1] > 0.4 and forecast.shortfall[2] == 1.0
    assert forecast.lower[0] <= 3 <= forecast.upper[0] <= 4


def test_forecast_against_what_happened():
    rates = estimate_pass_rates([True, False] * 50, [0] * 100, 1)
    forecast = forecast_passing([1, 5], [0] * 10 + [1] * 10, [0] * 20, rates, rng=3)
    check = compare_forecast(forecast, [5, 2])
    assert check.inside.tolist() == [True, True]
    assert check.error.tolist() == pytest.approx([0.0, -3.0], abs=0.01)
    # Position 1 expected 5 for 5 seats (not flagged), yet only 2 passed: the flag was wrong there.
    assert check.flag_right.tolist() == [True, False]
    assert compare_forecast(forecast, [0, 10]).inside.tolist() == [False, False]
    with pytest.raises(ValueError):
        compare_forecast(forecast, [1])


def test_outreach_targets_rank_regions_and_programmes_by_qualified_earlier_applicants():
    qualified = np.array([1, 1, 1, 0, 1, 0, 1, 1, 1], bool)
    region = np.array([2, 2, 0, 0, 1, -1, 1, 1, 3])
    programme = np.array([0, 0, 0, 1, 1, 1, 2, 2, 0])
    relevant = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0], bool)  # the last one applied for something else
    targets = outreach_targets(qualified, region, programme, relevant, top=2)
    # Region 1 gave 3 qualified, region 2 gave 2, region 0 one of two; the unknown region is left out.
    assert targets.regions.tolist() == [1, 2] and targets.region_qualified.tolist() == [3, 2]
    assert targets.region_rate.tolist() == [1.0, 1.0]
    # A tie on qualified applicants goes to the higher rate.
    tie = outreach_targets([1, 1, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0], [1, 1, 1, 1])
    assert tie.regions.tolist() == [0, 1] and tie.region_rate.tolist() == pytest.approx([2 / 3, 1.0])
    tie = outreach_targets([1, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0], [1, 1, 1, 1])
    assert tie.regions.tolist() == [1, 0]
    assert targets.programmes.tolist() == [0, 2] and targets.programme_qualified.tolist() == [3, 2]
    everything = outreach_targets(qualified, region, programme, np.ones(9, bool))
    assert 3 in everything.regions.tolist()
    assert outreach_targets(qualified, region, programme, np.zeros(9, bool)).regions.size == 0


def test_bad_input_is_refused():
    rates = estimate_pass_rates([True], [0], 1)
    with pytest.raises(ValueError):
        estimate_pass_rates([True], [1], 1)
    with pytest.raises(ValueError):
        forecast_passing([0], [0], [0], rates)
    with pytest.raises(ValueError):
        forecast_passing([1], [0, 0], [0], rates)
