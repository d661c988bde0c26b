"""Forensics: omega, lz*, lognormal response times, rapid guessing, and detection on simulations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from proctoring.forensics import (
    correct_probabilities,
    distractor_shares,
    fit_lognormal_rt,
    omega,
    omega_from_option_probabilities,
    option_probabilities,
    person_fit,
    rapid_guesses,
    rt_aberrance,
    score_choices,
    strongest_sources,
    weighted_option_probabilities,
)
from scoring.ability import estimate_ability
from scoring.fit import lz_star
from scoring.models import ItemParameters, probabilities
from tests.proctoring.forensics_simulation import evaluate_detection, simulate_session

# ---------------------------------------------------------------------------- option model


def test_distractor_shares_count_wrong_answers_with_smoothing():
    choices = np.array([[0, 1], [1, 1], [1, 2], [2, -1], [3, 0]])
    key = np.array([0, 1])
    shares = distractor_shares(choices, key, 4, smoothing=0.5)
    # item 0: wrong answers 1, 1, 2, 3 -> (2.5, 1.5, 1.5) / 5.5
    assert shares[0] == pytest.approx([0.0, 2.5 / 5.5, 1.5 / 5.5, 1.5 / 5.5])
    # item 1: wrong answers 2 and 0 -> (1.5, 0, 1.5, 0.5) / 3.5 over options 0, 2, 3
    assert shares[1] == pytest.approx([1.5 / 3.5, 0.0, 1.5 / 3.5, 0.5 / 3.5])
    assert shares.sum(axis=1) == pytest.approx([1.0, 1.0])


def test_option_probabilities_put_p_correct_on_the_key():
    p = np.array([[0.8, 0.3]])
    key = np.array([2, 0])
    shares = np.array([[0.5, 0.5, 0.0], [0.0, 0.25, 0.75]])
    probs = option_probabilities(p, key, shares)
    assert probs[0, 0] == pytest.approx([0.1, 0.1, 0.8])
    assert probs[0, 1] == pytest.approx([0.3, 0.175, 0.525])


def test_weighted_option_probabilities_share_a_category_between_its_options():
    cat = np.array([[[0.2, 0.3, 0.5], [0.6, 0.4, 0.0]]])  # one person, items with 3 and 2 categories
    scores = np.array([[2, 0, 1, 1], [0, 1, -1, -1]])
    probs = weighted_option_probabilities(cat, scores)
    assert probs[0, 0] == pytest.approx([0.5, 0.2, 0.15, 0.15])
    assert probs[0, 1] == pytest.approx([0.6, 0.4, 0.0, 0.0])


# ---------------------------------------------------------------------------- omega


def slow_omega(choices, option_probs):
    """Wollack's omega pair by pair, as written in the paper."""
    n = choices.shape[0]
    out = np.full((n, n), np.nan)
    for c in range(n):
        for s in range(n):
            if c == s:
                continue
            both = (choices[c] >= 0) & (choices[s] >= 0)
            h = np.sum(choices[c, both] == choices[s, both])
            pr = option_probs[c, np.flatnonzero(both), choices[s, both]]
            var = np.sum(pr * (1 - pr))
            if var > 0:
                out[c, s] = (h - pr.sum()) / np.sqrt(var)
    return out


def test_matrix_omega_equals_the_pair_by_pair_loop():
    from scipy.stats import norm

    rng = np.random.default_rng(11)
    n, items, k = 9, 15, 5
    choices = rng.integers(-1, k, (n, items))
    choices[3, :] = choices[4, :]  # a copied pair
    probs = rng.dirichlet(np.ones(k), (n, items))
    index = omega_from_option_probabilities(choices, probs)
    expected = slow_omega(choices, probs)
    assert np.array_equal(np.isnan(index.omega), np.isnan(expected))
    assert index.omega[~np.isnan(expected)] == pytest.approx(expected[~np.isnan(expected)])
    assert index.p_value[3, 4] == pytest.approx(norm.sf(expected[3, 4]))
    answered = choices >= 0
    assert index.n_common[0, 1] == np.sum(answered[0] & answered[1])
    assert index.matches[3, 4] == np.sum(answered[3])
    with pytest.raises(ValueError):
        index.omega[0, 1] = 0.0  # results are read-only


def test_omega_with_key_matches_the_loop_over_the_option_model():
    session = simulate_session(40, 30, n_copiers=3, n_preknowledge=0, rng=4)
    p = correct_probabilities(session.params, session.theta)
    shares = distractor_shares(session.choices, session.key, session.n_options)
    index = omega(session.choices, session.key, p, shares)
    expected = slow_omega(np.asarray(session.choices), option_probabilities(p, session.key, shares))
    assert index.omega[~np.isnan(expected)] == pytest.approx(expected[~np.isnan(expected)])


def null_omegas(seed: int, theta_known: bool) -> np.ndarray:
    session = simulate_session(300, 100, n_copiers=0, n_preknowledge=0, rng=seed)
    if theta_known:
        theta = session.theta
    else:
        theta = estimate_ability(score_choices(session.choices, session.key), session.params, "wle").theta
    index = omega(session.choices, session.key, correct_probabilities(session.params, theta))
    values = np.asarray(index.omega)
    return values[~np.isnan(values)]


def test_omega_is_standard_normal_without_copying_at_the_true_ability():
    from scipy.stats import norm

    values = null_omegas(21, theta_known=True)
    assert values.size == 300 * 299
    assert values.mean() == pytest.approx(0.0, abs=0.03)
    assert values.std() == pytest.approx(1.0, abs=0.03)
    assert np.mean(values > norm.ppf(0.99)) == pytest.approx(0.01, abs=0.003)


def test_omega_is_centred_and_slightly_conservative_at_estimated_ability():
    # θ̂ from the same answers fixes most of the copier's number right, which removes part of the
    # variance of h: the null is narrower than N(0, 1), so the nominal tail is an upper bound
    from scipy.stats import norm

    values = null_omegas(22, theta_known=False)
    assert values.mean() == pytest.approx(0.0, abs=0.03)
    assert 0.8 < values.std() < 1.0
    assert np.mean(values > norm.ppf(0.99)) < 0.01


def test_planted_copiers_are_found_with_their_source():
    session = simulate_session(200, 100, n_copiers=10, copy_fraction=0.75, n_preknowledge=0, rng=7)
    report = evaluate_detection(session)
    best = strongest_sources(report.index)
    copiers = np.flatnonzero(np.asarray(session.source) >= 0)
    found = best.source[copiers] == session.source[copiers]
    assert found.mean() >= 0.9
    assert (best.p_adjusted[copiers][found] < 0.01).mean() >= 0.9
    assert best.p_adjusted == pytest.approx(np.minimum(1.0, best.p_value * 199))


def test_power_and_false_positive_rate_meet_the_issue_target():
    """Issue 7: power >= 0.8 at a false-positive rate <= 0.01 for 50% copying on 100 items."""
    power, fpr = [], []
    for seed in range(4):
        report = evaluate_detection(simulate_session(500, 100, n_copiers=25, copy_fraction=0.5, rng=300 + seed))
        power.append(report.copy_power)
        fpr.append(report.copy_fpr)
        assert report.pair_threshold == pytest.approx(0.01 / 499)
    assert np.mean(power) >= 0.8
    assert np.mean(fpr) <= 0.01


# ---------------------------------------------------------------------------- edge cases


def test_nobody_answered_gives_nan_everywhere():
    choices = np.full((4, 6), -1)
    index = omega(choices, np.zeros(6, int), np.full((4, 6), 0.5), n_options=4)
    assert np.isnan(index.omega).all() and np.isnan(index.p_value).all()
    best = strongest_sources(index)
    assert (best.source == -1).all() and np.isnan(best.p_value).all()


def test_one_person_has_no_pairs():
    index = omega(np.array([[0, 1, 2]]), np.array([0, 1, 2]), np.full((1, 3), 0.6))
    assert index.omega.shape == (1, 1) and np.isnan(index.omega[0, 0])
    assert strongest_sources(index).source.tolist() == [-1]


def test_an_item_nobody_answered_changes_nothing():
    session = simulate_session(30, 20, n_copiers=2, n_preknowledge=0, rng=9)
    choices = np.asarray(session.choices).copy()
    p = correct_probabilities(session.params, session.theta)
    shares = distractor_shares(choices, session.key, session.n_options)
    choices_blank = np.concatenate([choices, np.full((30, 1), -1)], axis=1)
    key_blank = np.append(session.key, 0)
    p_blank = np.concatenate([p, np.full((30, 1), np.nan)], axis=1)
    shares_blank = distractor_shares(choices_blank, key_blank, np.append(session.n_options, 4))
    assert shares_blank[-1] == pytest.approx([0.0, 1 / 3, 1 / 3, 1 / 3, 0.0])
    base = omega(choices, session.key, p, shares)
    blank = omega(choices_blank, key_blank, p_blank, shares_blank)
    assert np.allclose(base.omega, blank.omega, equal_nan=True)


@pytest.mark.parametrize(
    ("choices", "key", "p", "message"),
    [
        (np.array([0, 1, 2]), np.array([0, 1, 2]), np.full((1, 3), 0.5), "shape"),
        (np.zeros((2, 3), int), np.array([0, 1]), np.full((2, 3), 0.5), "key must have shape"),
        (np.zeros((2, 3), int), np.array([0, 1, 2]), np.full((3, 3), 0.5), "p_correct must have the shape"),
        (np.full((2, 3), -2), np.array([0, 1, 2]), np.full((2, 3), 0.5), "not an option"),
        (np.full((2, 3), 4), np.array([0, 1, 2]), np.full((2, 3), 0.5), "options"),
        (np.zeros((2, 3), int), np.array([0, 1, 2]), np.full((2, 3), 1.5), "probability"),
        (np.full((2, 3), 0.5), np.array([0, 1, 2]), np.full((2, 3), 0.5), "integer"),
    ],
)
def test_bad_inputs_raise_clear_errors(choices, key, p, message):
    with pytest.raises(ValueError, match=message):
        omega(choices, key, p, n_options=4)


def test_bad_option_probability_shapes_raise():
    with pytest.raises(ValueError, match="option_probs must have shape"):
        omega_from_option_probabilities(np.zeros((2, 3), int), np.full((2, 4, 3), 0.3))
    with pytest.raises(ValueError, match="option_scores"):
        weighted_option_probabilities(np.full((1, 2, 3), 0.3), np.array([[0, 3], [0, 1]]))


# ---------------------------------------------------------------------------- lz*


def test_lz_star_by_hand_at_a_symmetric_rasch_mle():
    # Rasch items at ±0.5, ±1.5: a sum score of 2 has its MLE at θ = 0, where c_n = 0, so
    # lz* = sum (x - P) w / sqrt(sum w² P Q) with w = θ - b (Snijders 2001)
    from scipy.stats import norm

    b = np.array([-1.5, -0.5, 0.5, 1.5])
    params = ItemParameters.from_arrays(1.0, b, models="rasch")
    x = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    p, w = expit(-b), -b
    by_hand = np.sum((x - p) * w, axis=1) / np.sqrt(np.sum(w**2 * p * (1 - p)))
    fit = person_fit(x, params, method="mle")
    assert fit.theta == pytest.approx([0.0, 0.0], abs=1e-6)
    assert fit.lz_star == pytest.approx(by_hand, abs=1e-6)
    assert by_hand[0] == pytest.approx(1.0414, abs=1e-4)
    assert fit.p_value == pytest.approx(norm.cdf(by_hand), abs=1e-6)


def test_person_fit_is_the_engines_lz_star_and_blanks_extreme_patterns():
    session = simulate_session(200, 40, model="2pl", n_copiers=0, n_preknowledge=0, rng=12)
    x = score_choices(session.choices, session.key)
    x[0] = 1.0
    x[1] = 0.0
    x[2] = np.nan
    theta = estimate_ability(x, session.params, "wle").theta
    fit = person_fit(x, session.params, theta, method="wle")
    assert np.isnan(fit.lz_star[:3]).all()
    engine = lz_star(x[3:], session.params, theta[3:], method="wle")
    assert fit.lz_star[3:] == pytest.approx(engine)
    with pytest.raises(ValueError, match="responses must have shape"):
        person_fit(x[:, :5], session.params)


# ---------------------------------------------------------------------------- response times


def test_lognormal_parameters_are_recovered():
    session = simulate_session(500, 60, n_copiers=0, n_preknowledge=0, rng=31)
    times = np.asarray(session.times).copy()
    times[np.random.default_rng(1).random(times.shape) < 0.1] = np.nan  # 10% missing
    fit = fit_lognormal_rt(times)
    assert fit.converged
    rmse = lambda est, true: np.sqrt(np.mean((est - true) ** 2))  # noqa: E731
    # sampling SE of α̂ is about α / sqrt(2 n) ≈ 0.07 here
    assert rmse(fit.alpha, session.alpha) < 0.1
    assert abs(np.mean(fit.alpha - session.alpha)) < 0.03
    assert rmse(fit.beta, session.beta) < 0.05
    assert rmse(fit.tau, session.tau - session.tau.mean()) < 0.08
    assert np.nanmean(fit.tau) == pytest.approx(0.0, abs=1e-12)


def test_l_t_is_chi_square_without_aberrance():
    session = simulate_session(1000, 50, n_copiers=0, n_preknowledge=0, rng=32)
    result = rt_aberrance(session.times)
    assert (result.df == 49).all()
    assert np.mean(result.p_value < 0.01) < 0.02
    assert np.mean(result.p_value < 0.05) == pytest.approx(0.05, abs=0.02)


def test_pre_knowledge_and_speeded_patterns_are_flagged_by_l_t():
    session = simulate_session(400, 60, n_copiers=0, n_preknowledge=20, preknowledge_speedup=4.0, rng=33)
    times = np.asarray(session.times).copy()
    speeded = np.arange(380, 390)
    times[np.ix_(speeded, np.arange(45, 60))] /= 6.0  # running out of time: the last quarter rushed
    result = rt_aberrance(times)
    pre = np.asarray(session.preknowledge)
    honest = ~pre
    honest[speeded] = False
    assert np.mean(result.p_value[pre] < 0.01) >= 0.9
    assert np.mean(result.p_value[speeded] < 0.01) >= 0.9
    assert np.mean(result.p_value[honest] < 0.01) <= 0.02
    assert np.median(result.n_fast[pre]) >= 5  # of 12 compromised items


def test_response_time_edge_cases():
    times = np.array([[30.0, np.nan, 12.0], [40.0, np.nan, np.nan], [np.nan, np.nan, np.nan], [35.0, np.nan, 9.0]])
    fit = fit_lognormal_rt(times)
    assert np.isnan(fit.alpha[1]) and np.isfinite(fit.alpha[[0, 2]]).all()
    assert np.isnan(fit.tau[2]) and np.isfinite(fit.tau[[0, 1, 3]]).all()
    result = rt_aberrance(times, fit)
    assert np.isnan(result.p_value[[1, 2]]).all()  # one time or none: no degrees of freedom
    assert result.df.tolist() == [1, 0, 0, 1]
    with pytest.raises(ValueError, match="positive number of seconds"):
        fit_lognormal_rt(np.array([[1.0, -2.0]]))
    with pytest.raises(ValueError, match="shape"):
        rt_aberrance(np.ones(4))
    with pytest.raises(ValueError, match="items"):
        rt_aberrance(times[:, :2], fit)


def test_rapid_guesses_use_normative_thresholds():
    times = np.array([[40.0, 300.0], [60.0, 3.0], [3.0, 180.0], [np.nan, 9.5]])
    rg = rapid_guesses(times)  # NT10: 10% of the item's mean time, at most 10 s
    assert rg.thresholds == pytest.approx([0.1 * np.mean([40, 60, 3.0]), 10.0])
    assert rg.is_rapid.tolist() == [[False, False], [False, True], [True, False], [False, True]]
    assert rg.count.tolist() == [0, 1, 1, 1]
    assert rg.proportion == pytest.approx([0.0, 0.5, 0.5, 1.0])
    median = rapid_guesses(times, center="median", max_threshold=None)
    assert median.thresholds == pytest.approx([4.0, 0.1 * np.median([300, 3, 180, 9.5])])
    empty = rapid_guesses(np.full((2, 2), np.nan))
    assert np.isnan(empty.thresholds).all() and np.isnan(empty.proportion).all()
    with pytest.raises(ValueError, match="fraction"):
        rapid_guesses(times, fraction=1.5)


# ---------------------------------------------------------------------------- simulation


def test_simulated_session_plants_what_it_says():
    session = simulate_session(100, 40, n_copiers=5, copy_fraction=0.5, n_preknowledge=5, rng=41)
    choices = np.asarray(session.choices)
    copiers = np.flatnonzero(np.asarray(session.source) >= 0)
    assert copiers.size == 5
    for c in copiers:
        assert np.sum(choices[c] == choices[session.source[c]]) >= 20
    pre = np.asarray(session.preknowledge)
    assert (choices[np.ix_(pre, session.compromised)] == session.key[session.compromised]).all()
    assert (choices < session.n_options[None, :]).all()
    probs = probabilities(session.params, session.theta)
    assert probs.shape == (100, 40, 2)
    with pytest.raises(ValueError, match="persons"):
        simulate_session(10, 40, n_copiers=5, n_preknowledge=5)
