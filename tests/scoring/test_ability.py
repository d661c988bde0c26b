"""Ability estimation: EAP, MAP, MLE, WLE, extreme patterns, sum-score tables, reporting scales."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.ability import (
    ReportingScale,
    estimate_ability,
    subscores,
    sum_score_distribution,
    sum_score_table,
)
from scoring.models import ItemParameters, LatentDistribution, probabilities
from scoring.simulate import simulate

PARAMS = ItemParameters.from_arrays([1.0, 1.2, 0.8, 1.5, 0.9], [0.0, -1.0, 1.0, 0.5, -0.3])


def loglik_curve(x, params, grid):
    p = probabilities(params, grid)[:, :, 1]
    ok = ~np.isnan(x)
    return (np.where(ok, x, 0) * np.log(p) + np.where(ok, 1 - x, 0) * np.log1p(-p)).sum(axis=1)


def test_eap_matches_brute_force_integration():
    x = np.array([[1, 0, 1, np.nan, 1]])
    grid = np.linspace(-8, 8, 20001)
    post = np.exp(loglik_curve(x[0], PARAMS, grid)) * np.exp(-0.5 * ((grid - 0.2) / 1.1) ** 2)
    mean = (grid * post).sum() / post.sum()
    sd = np.sqrt(((grid - mean) ** 2 * post).sum() / post.sum())
    est = estimate_ability(x, PARAMS, "eap", prior=LatentDistribution(0.2, 1.1))
    assert est.theta[0] == pytest.approx(mean, abs=1e-3)
    assert est.se[0] == pytest.approx(sd, abs=1e-3)


def test_mle_and_map_are_the_modes():
    x = np.array([[1, 0, 1, 0, 1], [0, 1, 1, np.nan, 0]])
    grid = np.linspace(-6, 6, 120001)
    mle = estimate_ability(x, PARAMS, "mle")
    map_ = estimate_ability(x, PARAMS, "map")
    for i in range(2):
        ll = loglik_curve(x[i], PARAMS, grid)
        assert mle.theta[i] == pytest.approx(grid[np.argmax(ll)], abs=1e-3)
        assert map_.theta[i] == pytest.approx(grid[np.argmax(ll - 0.5 * grid**2)], abs=1e-3)
    assert (map_.se < mle.se).all()


def test_wle_solves_warms_equation():
    x = np.array([[1, 1, 0, 1, 0]])
    est = estimate_ability(x, PARAMS, "wle")
    t = est.theta[0]
    p = probabilities(PARAMS, [t])[0, :, 1]
    a = PARAMS.a
    score = (a * (x[0] - p)).sum()
    info = (a * a * p * (1 - p)).sum()
    j = (a**3 * p * (1 - p) * (1 - 2 * p)).sum()
    assert score + j / (2 * info) == pytest.approx(0.0, abs=1e-6)


def test_extreme_patterns_are_finite_and_flagged():
    x = np.array([[1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [1, np.nan, 1, 1, np.nan], [np.nan] * 5])
    mle = estimate_ability(x, PARAMS, "mle")
    assert list(mle.extreme) == [True, True, True, False]
    assert mle.theta[:3] == pytest.approx([6.0, -6.0, 6.0])
    assert np.isfinite(mle.se[:3]).all() and (mle.se[:3] > 2).all()
    assert np.isnan(mle.theta[3])
    wle = estimate_ability(x, PARAMS, "wle")
    assert np.isfinite(wle.theta[:3]).all() and (np.abs(wle.theta[:3]) < 4).all()
    assert wle.theta[0] > 1 and wle.theta[1] < -1
    for method in ("eap", "map"):
        est = estimate_ability(x, PARAMS, method)
        assert np.isfinite(est.theta).all()
        assert est.theta[3] == 0.0 and est.se[3] == 1.0  # no responses: the prior
    assert list(estimate_ability(x, PARAMS, "eap").n_administered) == [5, 5, 3, 0]


@pytest.mark.parametrize("model", ["2pl", "3pl", "grm", "gpcm"])
@pytest.mark.parametrize("method", ["eap", "map", "mle", "wle"])
def test_abilities_are_recovered(model, method):
    sim = simulate(1000, 40, model, rng=6, fraction_administered=0.75)
    est = estimate_ability(sim.responses, sim.params, method)
    ok = ~est.extreme
    assert np.corrcoef(est.theta[ok], sim.theta[ok])[0, 1] > (0.85 if model == "3pl" else 0.9)
    # reported SEs describe the actual error (3PL MLEs can run to the bound: left out)
    ok &= np.abs(est.theta) < 5
    ratio = np.sqrt(np.mean((est.theta[ok] - sim.theta[ok]) ** 2)) / np.sqrt(np.mean(est.se[ok] ** 2))
    assert 0.8 < ratio < 1.25


def test_sum_score_table():
    dist = sum_score_distribution(PARAMS, np.array([-1.0, 0.0, 2.0]))
    assert dist.shape == (6, 3)
    assert dist.sum(axis=0) == pytest.approx(1.0)
    table = sum_score_table(PARAMS)
    assert list(table.scores) == [0, 1, 2, 3, 4, 5]
    assert table.probability.sum() == pytest.approx(1.0)
    assert np.all(np.diff(table.theta) > 0)
    # for a complete all-1 pattern the table equals pattern EAP when slopes are equal
    rasch = ItemParameters.from_arrays(1.0, [0.0, -1.0, 1.0], models="rasch")
    x = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 1]])
    theta, se = sum_score_table(rasch).lookup(x.sum(axis=1))
    eap = estimate_ability(x, rasch, "eap")
    assert theta == pytest.approx(eap.theta, abs=1e-6)
    assert se == pytest.approx(eap.se, abs=1e-6)
    with pytest.raises(ValueError):
        sum_score_table(rasch).lookup([4])


def test_reporting_scales():
    scale = ReportingScale.from_mean_sd(500, 100)
    assert scale.transform([0.0, 1.0, -2.5]) == pytest.approx([500, 600, 250])
    assert scale.transform_se(0.3) == pytest.approx(30)
    assert scale.inverse(650) == pytest.approx(1.5)
    bounded = ReportingScale.from_range(0, 100, theta_min=-4, theta_max=4, decimals=0)
    assert list(bounded.transform([-5.0, 0.0, 1.0, 9.0])) == [0, 50, 62, 100]
    shifted = ReportingScale.from_mean_sd(50, 10, theta_mean=0.5, theta_sd=2.0)
    assert shifted.transform(0.5) == pytest.approx(50) and shifted.transform(2.5) == pytest.approx(60)


def test_subscores_per_competency():
    sim = simulate(300, 12, "2pl", rng=7)
    domains = ["TWK"] * 4 + ["TIU"] * 4 + ["TKP"] * 4
    result = subscores(sim.responses, sim.params, domains, "eap")
    assert list(result) == ["TWK", "TIU", "TKP"]
    alone = estimate_ability(sim.responses[:, 4:8], sim.params.subset(range(4, 8)), "eap")
    assert result["TIU"].theta == pytest.approx(alone.theta)
    with pytest.raises(ValueError):
        subscores(sim.responses, sim.params, domains[:-1])


def test_bad_responses_are_named():
    with pytest.raises(ValueError, match=r"row 1, column 2: value 3"):
        estimate_ability(np.array([[0, 1, 0, 1, 1], [1, 1, 3, 0, 0]]), PARAMS)
    with pytest.raises(ValueError, match="Unknown method"):
        estimate_ability(np.zeros((1, 5)), PARAMS, "ml")
