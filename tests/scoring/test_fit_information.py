"""Item and person fit, information and reliability, classical statistics."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.ability import estimate_ability
from scoring.classical import cronbach_alpha, distractor_analysis, item_statistics, kr20
from scoring.fit import lz, lz_star, s_x2
from scoring.information import (
    conditional_sem,
    empirical_reliability,
    item_information,
    marginal_reliability,
)
from scoring.information import test_information as total_information
from scoring.models import ItemParameters, probabilities
from scoring.simulate import simulate, simulate_responses

THETA = np.linspace(-3, 3, 7)


def test_information_matches_closed_forms():
    params = ItemParameters.from_arrays([1.3, 0.7], [0.2, -1.0], [0.25, 0.0], models=["3pl", "2pl"])
    p = probabilities(params, THETA)[:, :, 1]
    info = item_information(params, THETA)
    a, c = params.a, params.c
    birnbaum = a**2 * (p - c) ** 2 * (1 - p) / ((1 - c) ** 2 * p)  # Birnbaum (1968)
    assert info == pytest.approx(birnbaum)
    assert total_information(params, THETA) == pytest.approx(info.sum(axis=1))
    assert total_information(params, THETA, items=[1]) == pytest.approx(info[:, 1])
    assert conditional_sem(params, THETA) == pytest.approx(1 / np.sqrt(info.sum(axis=1)))


def test_polytomous_information_is_the_variance_of_the_score():
    sim = simulate(10, 3, "gpcm", rng=1)
    info = item_information(sim.params, THETA)
    # for the GPCM, I(θ) = a² Var(X | θ) (Muraki 1992)
    p = probabilities(sim.params, THETA)
    k = np.arange(p.shape[2])
    var = (p * k**2).sum(axis=2) - (p * k).sum(axis=2) ** 2
    assert info == pytest.approx(sim.params.a**2 * var)


def test_reliabilities_agree_on_model_data():
    sim = simulate(4000, 30, "2pl", rng=2)
    marginal = marginal_reliability(sim.params)
    empirical = empirical_reliability(estimate_ability(sim.responses, sim.params, "eap"))
    assert 0.7 < marginal < 0.95
    assert empirical == pytest.approx(marginal, abs=0.02)


def test_s_x2_accepts_fitting_items_and_flags_a_misfitting_one():
    rng = np.random.default_rng(3)
    sim = simulate(3000, 15, "2pl", rng=rng)
    fit = s_x2(sim.responses, sim.params)
    assert fit.n_persons == 3000
    assert (fit.df > 0).all()
    assert (fit.p_value > 0.001).all()
    # item 0 actually follows a non-monotone curve: high ability answers it wrong more often
    x = sim.responses.copy()
    p_bad = 0.3 + 0.5 * np.exp(-0.5 * sim.theta**2)
    x[:, 0] = rng.random(3000) < p_bad
    bad = s_x2(x, sim.params)
    assert bad.p_value[0] < 1e-6


def test_s_x2_for_polytomous_items_runs_and_fits():
    sim = simulate(2000, 8, "grm", rng=4)
    fit = s_x2(sim.responses, sim.params)
    assert np.isfinite(fit.statistic).all()
    assert (fit.p_value > 0.001).all()


def test_lz_star_is_standard_normal_and_flags_aberrant_patterns():
    sim = simulate(3000, 40, "2pl", rng=5)
    for method in ("mle", "wle", "map"):
        est = estimate_ability(sim.responses, sim.params, method)
        z = lz_star(sim.responses, sim.params, est.theta, method=method)
        ok = ~est.extreme
        assert np.mean(z[ok]) == pytest.approx(0.0, abs=0.1)
        assert np.std(z[ok]) == pytest.approx(1.0, abs=0.1)
    # lz is known to have a variance below 1 with estimated θ (Snijders 2001)
    est = estimate_ability(sim.responses, sim.params, "mle")
    plain = lz(sim.responses, sim.params, est.theta)
    assert np.std(plain[~est.extreme]) < np.std(lz_star(sim.responses, sim.params, est.theta)[~est.extreme])
    # a person who answers the hard items right and the easy ones wrong
    order = np.argsort(sim.params.b)
    cheat = np.zeros((1, 40))
    cheat[0, order[20:]] = 1
    t = estimate_ability(cheat, sim.params, "mle").theta
    assert lz_star(cheat, sim.params, t)[0] < -3
    assert lz(cheat, sim.params, t)[0] < -3


def test_lz_handles_polytomous_and_missing_responses():
    sim = simulate(500, 10, "gpcm", rng=6, fraction_administered=0.6)
    est = estimate_ability(sim.responses, sim.params, "eap")
    z = lz(sim.responses, sim.params, est.theta)
    assert np.isfinite(z).all()
    assert abs(np.mean(z)) < 0.6  # EAP shrinkage makes lz run a little high
    with pytest.raises(ValueError, match="dichotomous"):
        lz_star(sim.responses, sim.params, est.theta)


def test_classical_item_statistics_by_hand():
    x = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1], [1, 1, 1]], dtype=float)
    stats = item_statistics(x)
    assert stats.p_value == pytest.approx([0.75, 0.5, 0.5])
    rest0 = x[:, 1:].sum(axis=1)
    assert stats.point_biserial[0] == pytest.approx(np.corrcoef(x[:, 0], rest0)[0, 1])
    total = item_statistics(x, corrected=False)
    assert total.point_biserial[1] == pytest.approx(np.corrcoef(x[:, 1], x.sum(axis=1))[0, 1])
    assert list(stats.n_responses) == [4, 4, 4]


def test_alpha_and_kr20():
    sim = simulate(2000, 20, "2pl", rng=7)
    assert kr20(sim.responses) == pytest.approx(cronbach_alpha(sim.responses))
    x = np.array([[2, 3, 1], [1, 1, 0], [3, 3, 2], [0, 1, 1]], dtype=float)
    k = 3
    expected = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert cronbach_alpha(x) == pytest.approx(expected)
    with pytest.raises(ValueError, match="0/1"):
        kr20(x)


def test_distractor_proportions():
    choices = [["A", "B", None], ["A", "C", "D"], ["B", "B", "D"], ["A", "B", "A"]]
    result = distractor_analysis(choices, key=["A", "B", "D"])
    assert result.options == ("A", "B", "C", "D")
    assert result.proportion[0] == pytest.approx([0.75, 0.25, 0, 0])
    assert result.proportion[2] == pytest.approx([1 / 3, 0, 0, 2 / 3])
    assert result.proportion.sum(axis=1) == pytest.approx(1.0)


def test_incomplete_designs_in_classical_statistics():
    params = simulate(1, 10, "2pl", rng=8).params
    theta = np.random.default_rng(8).normal(size=1500)
    x = simulate_responses(params, theta, rng=8, fraction_administered=0.5)
    stats = item_statistics(x)
    assert np.isfinite(stats.p_value).all() and (stats.point_biserial > 0).all()
    assert (stats.n_responses < 1500).all()
