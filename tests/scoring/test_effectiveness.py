"""Recruitment effectiveness: hand-worked correlations, corrections and rates; simulation recovery.

Hand values: for x = 1..5, y = (2, 1, 4, 3, 5) the centred cross-products sum to 8 and both sums of
squares to 10, so r = 0.8 and the Fisher interval is tanh(atanh(0.8) ± 1.95996 / sqrt(2)).
Thorndike case II with r = 0.3 and U = 2: 0.6 / sqrt(1 + 0.09 x 3) = 0.532414.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.effectiveness import (
    Interval,
    adverse_impact,
    correct_range_restriction,
    predictive_validity,
    simulate_selection,
    validity_coverage,
)

X = np.arange(1.0, 6.0)
Y = np.array([2.0, 1.0, 4.0, 3.0, 5.0])


# --------------------------------------------------------------------------- range restriction


def test_case_two_worked_values():
    assert correct_range_restriction(0.3, 5.0, 10.0) == pytest.approx(0.5324139, abs=1e-7)
    assert correct_range_restriction(0.3, 7.0, 7.0) == pytest.approx(0.3)  # no restriction
    assert correct_range_restriction(0.0, 1.0, 3.0) == 0.0
    assert correct_range_restriction(-0.3, 5.0, 10.0) == pytest.approx(-0.5324139, abs=1e-7)
    np.testing.assert_allclose(
        correct_range_restriction(np.array([0.3, np.nan]), np.array([5.0, 5.0]), 10.0), [0.5324139, np.nan]
    )


@settings(max_examples=60, deadline=None)
@given(r=st.floats(-0.99, 0.99), u=st.floats(1.0, 5.0))
def test_case_two_inverts_and_stays_a_correlation(r, u):
    corrected = correct_range_restriction(r, 1.0, u)
    assert -1.0 <= corrected <= 1.0
    assert abs(corrected) >= abs(r) - 1e-12  # restriction only ever attenuates
    assert correct_range_restriction(corrected, u, 1.0) == pytest.approx(r, abs=1e-9)


@pytest.mark.parametrize(
    ("r", "s", "big_s", "message"),
    [(1.2, 1.0, 2.0, r"\[-1, 1\]"), (0.3, 0.0, 2.0, "restricted_sd"), (0.3, 1.0, -2.0, "unrestricted_sd")],
)
def test_case_two_bad_inputs(r, s, big_s, message):
    with pytest.raises(ValueError, match=message):
        correct_range_restriction(r, s, big_s)


# --------------------------------------------------------------------------- predictive validity


def test_validity_worked_example():
    result = predictive_validity(X, Y, n_boot=500, rng=0)
    assert result.n == 5
    assert result.r == pytest.approx(0.8)
    half = 1.959964 / np.sqrt(2.0)
    assert result.ci_fisher.low == pytest.approx(np.tanh(np.arctanh(0.8) - half), abs=1e-6)
    assert result.ci_fisher.high == pytest.approx(np.tanh(np.arctanh(0.8) + half), abs=1e-6)
    assert result.corrected is None and result.corrected_ci_bca is None and result.u is None
    assert -1.0 <= result.ci_percentile.low <= result.ci_percentile.high <= 1.0


def test_missing_performance_is_dropped():
    with_gaps = predictive_validity(np.r_[X, 9.0], np.r_[Y, np.nan], n_boot=200, rng=1)
    assert with_gaps.n == 5 and with_gaps.r == pytest.approx(0.8)


def test_correction_uses_selected_and_applicant_sd():
    result = predictive_validity(X, Y, applicant_sd=2 * X.std(ddof=1), n_boot=200, rng=2)
    assert result.u == pytest.approx(0.5)
    assert result.corrected == pytest.approx(1.6 / np.sqrt(1 + 0.64 * 3))  # case II with U = 2


def test_bootstrap_is_reproducible_and_seeded_by_generator():
    sim = simulate_selection(600, 120, 0.4, rng=5)
    first = predictive_validity(sim.scores, sim.performance, applicant_sd=sim.applicant_sd, rng=9)
    again = predictive_validity(
        sim.scores, sim.performance, applicant_sd=sim.applicant_sd, rng=np.random.default_rng(9)
    )
    assert first == again
    other = predictive_validity(sim.scores, sim.performance, applicant_sd=sim.applicant_sd, rng=10)
    assert other.ci_bca != first.ci_bca
    for interval in (
        first.ci_percentile,
        first.ci_bca,
        first.corrected_ci_percentile,
        first.corrected_ci_bca,
    ):
        assert interval.low < interval.high and interval.confidence == 0.95
    assert first.r in first.ci_percentile and first.r in first.ci_bca
    assert first.corrected in first.corrected_ci_bca
    assert first.corrected_ci_bca.low > first.ci_bca.low  # the whole interval moves up


def _pearson(a, b, axis=-1):
    a = a - a.mean(axis=axis, keepdims=True)
    b = b - b.mean(axis=axis, keepdims=True)
    return (a * b).sum(axis=axis) / np.sqrt((a * a).sum(axis=axis) * (b * b).sum(axis=axis))


def test_bca_agrees_with_scipy():
    """Same method, independent code (scipy.stats.bootstrap): with 20,000 replicates each, the
    intervals differ only by Monte Carlo error (about 0.003 here)."""
    from scipy import stats

    sim = simulate_selection(1000, 60, 0.5, rng=3)
    ours = predictive_validity(sim.scores, sim.performance, n_boot=20_000, rng=4)
    theirs = stats.bootstrap(
        (sim.scores, sim.performance),
        _pearson,
        paired=True,
        vectorized=True,
        n_resamples=20_000,
        method="BCa",
        rng=np.random.default_rng(5),
    ).confidence_interval
    assert ours.ci_bca.low == pytest.approx(theirs.low, abs=0.01)
    assert ours.ci_bca.high == pytest.approx(theirs.high, abs=0.01)
    percentile = stats.bootstrap(
        (sim.scores, sim.performance),
        _pearson,
        paired=True,
        vectorized=True,
        n_resamples=20_000,
        method="percentile",
        rng=np.random.default_rng(6),
    ).confidence_interval
    assert ours.ci_percentile.low == pytest.approx(percentile.low, abs=0.01)
    assert ours.ci_percentile.high == pytest.approx(percentile.high, abs=0.01)


@pytest.mark.parametrize(
    ("scores", "performance", "kwargs", "message"),
    [
        (X, Y[:4], {}, "5 values"),
        (X[:3], Y[:3], {}, "At least 4"),
        (np.ones(5), Y, {}, "no variance"),
        (X, np.full(5, 3.0), {}, "no variance"),
        (X, Y, {"applicant_sd": 0.0}, "applicant_sd"),
        (X, Y, {"n_boot": 10}, "n_boot"),
        (X, Y, {"confidence": 1.5}, "confidence"),
        (X.reshape(5, 1), Y, {}, "1-dimensional"),
        (np.r_[X[:4], np.inf], Y, {}, "finite"),
    ],
)
def test_validity_bad_inputs(scores, performance, kwargs, message):
    with pytest.raises(ValueError, match=message):
        predictive_validity(scores, performance, **kwargs)


# --------------------------------------------------------------------------- simulation


def test_simulation_selects_top_down():
    sim = simulate_selection(500, 50, 0.5, rng=1)
    assert sim.selected.sum() == 50
    assert sim.scores.min() >= sim.applicant_scores[~sim.selected].max()
    assert sim.applicant_sd == pytest.approx(sim.applicant_scores.std(ddof=1))
    # The applicant pool carries the true validity, up to sampling error (SE about 0.03).
    assert np.corrcoef(sim.applicant_scores, sim.applicant_performance)[0, 1] == pytest.approx(0.5, abs=0.1)


def test_simulation_bad_inputs():
    with pytest.raises(ValueError, match="true_validity"):
        simulate_selection(100, 10, 1.0)
    with pytest.raises(ValueError, match="n_selected"):
        simulate_selection(100, 200, 0.5)


def test_one_selection_recovers_the_truth():
    """One large simulated selection (top 20% of 5,000, ρ = 0.5): r is attenuated far below the
    truth (expected about 0.26), the corrected value lands near 0.5 and its intervals cover it."""
    sim = simulate_selection(5000, 1000, 0.5, rng=2024)
    result = predictive_validity(sim.scores, sim.performance, applicant_sd=sim.applicant_sd, rng=1)
    assert result.r == pytest.approx(0.26, abs=0.06)
    assert 0.5 not in result.ci_percentile and 0.5 not in result.ci_bca
    assert abs(result.corrected - 0.5) < abs(result.r - 0.5) / 3
    assert 0.5 in result.corrected_ci_percentile and 0.5 in result.corrected_ci_bca
    assert result.u == pytest.approx(0.43, abs=0.05)


def test_coverage_over_repeated_selections():
    """200 selections (top 200 of 1,000, ρ = 0.5, 1,000 replicates each). This seed gives coverage
    0.915 (percentile) and 0.920 (BCa) for the corrected value, 0.03 for the uncorrected one;
    over 1,000 replications the corrected coverages are 0.937 and 0.940. The bound 0.90 sits
    about two binomial SDs (0.017) below the long-run value."""
    result = validity_coverage(0.5, n_replications=200, n_applicants=1000, n_selected=200, rng=7)
    assert result.n_replications == 200
    assert result.mean_r == pytest.approx(0.27, abs=0.03)  # attenuated
    assert result.mean_corrected == pytest.approx(0.5, abs=0.02)  # moved to the truth
    assert result.coverage_r_percentile < 0.05
    assert 0.90 <= result.coverage_percentile <= 0.99
    assert 0.90 <= result.coverage_bca <= 0.99


def test_interval_membership():
    interval = Interval(0.1, 0.4, 0.95)
    assert 0.1 in interval and 0.4 in interval and 0.5 not in interval
    assert 0.2 not in Interval(np.nan, np.nan, 0.95)


# --------------------------------------------------------------------------- adverse impact


def test_adverse_impact_worked_example():
    # Region A: 50 of 100 selected (0.5); region B: 24 of 80 (0.3). Impact ratio 0.3 / 0.5 = 0.6.
    from scipy import stats

    selected = np.r_[np.ones(50), np.zeros(50), np.ones(24), np.zeros(56)].astype(bool)
    groups = np.r_[["A"] * 100, ["B"] * 80]
    result = adverse_impact(selected, groups)
    assert result.groups.tolist() == ["A", "B"]
    assert result.applicants.tolist() == [100, 80] and result.selected.tolist() == [50, 24]
    assert result.rate == pytest.approx([0.5, 0.3])
    assert result.reference == "A"
    assert result.impact_ratio == pytest.approx([1.0, 0.6])
    assert result.four_fifths_flag.tolist() == [False, True]
    # Pooled rate 74/180; SE = sqrt(p(1-p)(1/100 + 1/80)) = 0.0738053; z = 0.2 / SE = 2.70983.
    assert result.p_ztest[1] == pytest.approx(2 * stats.norm.sf(2.7098325), rel=1e-6)
    assert result.p_ztest[1] == pytest.approx(0.0067317, abs=1e-6)
    assert result.p_fisher[0] == 1.0 and result.p_fisher[1] < 0.05
    assert result.significant.tolist() == [False, True]


def test_small_sample_ratio_without_significance():
    """3 of 3 selected against 0 of 3: the ratio is 0 (flagged) but Fisher's exact p is
    2 / C(6, 3) = 0.1, so the sample cannot show the difference is real."""
    result = adverse_impact([1, 1, 1, 0, 0, 0], ["L", "L", "L", "P", "P", "P"])
    assert result.impact_ratio.tolist() == [1.0, 0.0]
    assert result.four_fifths_flag.tolist() == [False, True]
    assert result.p_fisher[1] == pytest.approx(0.1)
    assert not result.significant[1]


def test_adverse_impact_reference_and_labels():
    selected = [1, 0, 1, 1, 1, 0, 0, 0]
    groups = ["a", "a", "b", "b", "b", "c", "c", "c"]
    result = adverse_impact(selected, groups, labels=["c", "b", "a"], reference="a", threshold=0.9)
    assert result.groups.tolist() == ["c", "b", "a"]
    assert result.rate == pytest.approx([0.0, 1.0, 0.5])
    assert result.impact_ratio == pytest.approx([0.0, 2.0, 1.0])
    assert result.four_fifths_flag.tolist() == [True, False, False]


@pytest.mark.parametrize(
    ("selected", "groups", "kwargs", "message"),
    [
        ([1, 0, 1], ["a", "b"], {}, "same length"),
        ([1, 0, 1], ["a", "a", "a"], {}, "two groups"),
        ([1, 0, 1, 0], ["a", "a", "b", "b"], {"labels": ["a", "b", "c"]}, "without applicants"),
        ([1, 0, 1, 0], ["a", "a", "b", "b"], {"labels": ["a"]}, "not in labels"),
        ([0, 0, 0, 0], ["a", "a", "b", "b"], {}, "selected nobody"),
        ([1, 0, 1, 0], ["a", "a", "b", "b"], {"reference": "z"}, "reference"),
        ([1, 0, 1, 0], ["a", "a", "b", "b"], {"threshold": 0.0}, "threshold"),
        ([1, 0, 2, 0], ["a", "a", "b", "b"], {}, "booleans"),
    ],
)
def test_adverse_impact_bad_inputs(selected, groups, kwargs, message):
    with pytest.raises(ValueError, match=message):
        adverse_impact(selected, groups, **kwargs)


def test_tiny_sample_drops_resamples_without_variance():
    """Four equal scores of six: some resamples (and one leave-one-out sample) have constant scores;
    they are dropped and counted, and the intervals are still formed."""
    result = predictive_validity([1, 1, 1, 1, 2, 3], [1, 2, 3, 1, 2, 5], applicant_sd=2.0, n_boot=300, rng=1)
    assert result.n_degenerate > 0
    for interval in (result.ci_percentile, result.ci_bca, result.corrected_ci_bca):
        assert np.isfinite(interval.low) and np.isfinite(interval.high)
