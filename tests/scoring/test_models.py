"""Item response functions, their derivatives and the params.json representation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scoring.models import MODELS, ItemParameters, LatentDistribution, probabilities, theta_derivatives
from scoring.quadrature import gauss_hermite, rectangular
from scoring.simulate import simulate_parameters

THETA = np.linspace(-3, 3, 9)


def test_three_parameter_logistic_formula():
    params = ItemParameters.from_arrays([1.4], [0.3], [0.2], models="3pl")
    p = probabilities(params, THETA)[:, 0, 1]
    assert p == pytest.approx(0.2 + 0.8 / (1 + np.exp(-1.4 * (THETA - 0.3))))


def test_graded_and_partial_credit_formulas():
    thr = [[-1.0, 0.2, 1.5]]
    grm = probabilities(ItemParameters.from_arrays([1.2], thresholds=thr, models="grm"), THETA)[:, 0]
    star = 1 / (1 + np.exp(-1.2 * (THETA[:, None] - np.array(thr[0]))))
    assert grm[:, 0] == pytest.approx(1 - star[:, 0])
    assert grm[:, 2] == pytest.approx(star[:, 1] - star[:, 2])
    gpcm = probabilities(ItemParameters.from_arrays([0.9], thresholds=thr, models="gpcm"), THETA)[:, 0]
    z = np.concatenate([np.zeros((9, 1)), np.cumsum(0.9 * (THETA[:, None] - np.array(thr[0])), axis=1)], axis=1)
    assert gpcm == pytest.approx(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("name", list(MODELS))
def test_derivatives_match_finite_differences(name):
    params = simulate_parameters(4, name, rng=1)
    p, dp, d2p = theta_derivatives(params, THETA)
    h = 1e-5
    assert p.sum(axis=2) == pytest.approx(1.0)
    num1 = (probabilities(params, THETA + h) - probabilities(params, THETA - h)) / (2 * h)
    assert dp == pytest.approx(num1, abs=1e-7)
    num2 = (theta_derivatives(params, THETA + h)[1] - theta_derivatives(params, THETA - h)[1]) / (2 * h)
    assert d2p == pytest.approx(num2, abs=1e-6)
    model = MODELS[name]
    for g_items, k in [(np.arange(4), int(params.n_categories[0]))]:
        psi = model.to_internal(params.a[g_items], params.thresholds[g_items, : k - 1], params.c[g_items])
        prob, jac = model.jacobian(psi, THETA)
        for i in range(psi.shape[1]):
            e = np.zeros(psi.shape[1])
            e[i] = h
            num = (model.probabilities(psi + e, THETA) - model.probabilities(psi - e, THETA)) / (2 * h)
            if model.free(k)[i] or name == "1pl":
                assert jac[..., i] == pytest.approx(num, abs=1e-7)


def test_json_round_trip_for_mixed_items():
    params = ItemParameters.from_arrays(
        [1.0, 1.3, 0.8],
        c=[0.0, 0.2, 0.0],
        thresholds=[[0.5, np.nan, np.nan], [-0.2, np.nan, np.nan], [-1.0, 0.0, 1.2]],
        models=["rasch", "3pl", "gpcm"],
        ids=["R1", "T1", "P1"],
    )
    text = params.to_json(model="mixed", loglik=-12.5)
    data = json.loads(text)
    assert data["model"] == "mixed" and data["loglik"] == -12.5
    assert data["items"][2]["thresholds"] == [-1.0, 0.0, 1.2]
    assert "thresholds" not in data["items"][0]
    back = ItemParameters.from_json(text)
    assert back.ids == params.ids and back.models == params.models
    assert back.a == pytest.approx(params.a) and back.c == pytest.approx(params.c)
    assert np.allclose(back.thresholds, params.thresholds, equal_nan=True)
    assert list(back.n_categories) == [2, 2, 4]
    assert back.subset(["P1"]).thresholds.shape == (1, 3)
    assert back.subset([0, 1]).thresholds.shape == (2, 1)


def test_invalid_parameters_are_rejected():
    with pytest.raises(ValueError, match="unknown model"):
        ItemParameters.from_dict({"items": [{"id": "x", "model": "4pl", "a": 1, "b": 0}]})
    with pytest.raises(ValueError, match="no 'items'"):
        ItemParameters.from_dict({"items": []})
    with pytest.raises(ValueError, match="unique"):
        ItemParameters.from_arrays([1, 1], [0, 0], ids=["a", "a"])


def test_quadratures_integrate_the_normal_moments():
    quad = rectangular(41, 6.0)
    w = quad.weights(0.5, 1.2)
    assert w.sum() == pytest.approx(1.0)
    assert w @ quad.nodes == pytest.approx(0.5, abs=1e-4)
    assert w @ (quad.nodes - 0.5) ** 2 == pytest.approx(1.44, abs=1e-3)
    gh = gauss_hermite(21)
    assert gh.weights() @ gh.nodes**2 == pytest.approx(1.0)
    # other groups are importance-reweighted: accurate near N(0, 1) only
    assert gh.weights(0.5, 1.2) @ gh.nodes == pytest.approx(0.5, abs=2e-3)


def test_latent_distribution_json():
    dist = LatentDistribution(0.3, 1.2, "focal", 0.05)
    assert LatentDistribution.from_dict(dist.to_dict()).to_dict() == dist.to_dict()
