"""Parameter recovery on simulated data for every model, incomplete designs, groups and anchors.

RMSE bounds are about 1.5 times the error observed with these seeds and sample sizes, which is
what the sampling error of each design allows (they are not tuned to pass by a hair).
"""

from __future__ import annotations

import numpy as np
import pytest

from scoring.calibration import ConvergenceWarning, EstimationWarning, MMLCalibrator
from scoring.models import ItemParameters
from scoring.simulate import simulate, simulate_parameters, simulate_responses


def rmse(est, true) -> float:
    est, true = np.asarray(est, float), np.asarray(true, float)
    ok = np.isfinite(est) & np.isfinite(true)
    return float(np.sqrt(np.mean((est[ok] - true[ok]) ** 2)))


# model, persons, items, fraction administered, bound on RMSE(a), RMSE(thresholds), RMSE(c)
CASES = [
    ("rasch", 2000, 20, None, 0.0, 0.13, None),
    ("1pl", 2000, 20, None, 0.07, 0.13, None),
    ("2pl", 2000, 20, None, 0.17, 0.19, None),
    ("3pl", 4000, 20, None, 0.25, 0.28, 0.09),
    ("grm", 1500, 10, None, 0.14, 0.19, None),
    ("gpcm", 1500, 10, None, 0.12, 0.2, None),
    ("2pl", 5000, 200, 0.2, 0.17, 0.2, None),  # each person answers 40 of 200 items
]


@pytest.mark.parametrize(("model", "n", "j", "fraction", "max_a", "max_b", "max_c"), CASES)
def test_recovery(model, n, j, fraction, max_a, max_b, max_c):
    sim = simulate(n, j, model, rng=2, fraction_administered=fraction)
    if fraction:
        assert (np.isfinite(sim.responses).sum(axis=1) == round(fraction * j)).all()
    est = MMLCalibrator(model).fit(sim.responses)
    assert est.converged_
    p = est.params_
    assert rmse(p.a, sim.params.a) <= max_a + 1e-12
    assert rmse(p.thresholds, sim.params.thresholds) <= max_b
    if max_c is not None:
        assert rmse(p.c, sim.params.c) <= max_c
    assert np.isfinite(p.se_b).all()
    if model not in ("rasch",):
        assert np.isfinite(p.se_a).all()


def test_three_parameter_priors_keep_estimates_plausible():
    # Small sample, where unconstrained 3PL estimates run off (Heywood cases).
    sim = simulate(600, 15, "3pl", rng=11)
    est = MMLCalibrator("3pl").fit(sim.responses)
    p = est.params_
    assert (p.a > 0.1).all() and (p.a < 4).all()
    assert (p.c > 0.02).all() and (p.c < 0.45).all()
    assert rmse(p.c, sim.params.c) < 0.1


def test_mixed_models_in_one_calibration():
    rng = np.random.default_rng(5)
    two = simulate_parameters(10, "2pl", rng=rng)
    graded = simulate_parameters(5, "grm", n_categories=5, rng=rng)
    three = simulate_parameters(5, "3pl", rng=rng)
    width = graded.thresholds.shape[1]
    pad = lambda t: np.pad(t, ((0, 0), (0, width - t.shape[1])), constant_values=np.nan)  # noqa: E731
    params = ItemParameters.from_arrays(
        np.concatenate([two.a, graded.a, three.a]),
        c=np.concatenate([two.c, graded.c, three.c]),
        thresholds=np.vstack([pad(two.thresholds), graded.thresholds, pad(three.thresholds)]),
        models=two.models + graded.models + three.models,
    )
    theta = rng.normal(size=4000)
    x = simulate_responses(params, theta, rng=rng)
    est = MMLCalibrator(list(params.models)).fit(x)
    assert est.result_.model == "mixed"
    assert rmse(est.params_.a[:15], params.a[:15]) < 0.15
    assert rmse(est.params_.thresholds[:15], params.thresholds[:15]) < 0.15
    assert est.params_.models == params.models


def test_multiple_groups_recover_latent_means_and_sds():
    rng = np.random.default_rng(8)
    params = simulate_parameters(30, "2pl", rng=rng)
    theta = np.concatenate([rng.normal(0, 1, 3000), rng.normal(0.6, 1.3, 3000)])
    x = simulate_responses(params, theta, rng=rng)
    groups = np.repeat(["a-ref", "b-focal"], 3000)
    est = MMLCalibrator("2pl").fit(x, groups=groups)
    ref, focal = est.groups_
    assert (ref.name, ref.mean, ref.sd) == ("a-ref", 0.0, 1.0)
    assert focal.mean == pytest.approx(0.6, abs=0.08)
    assert focal.sd == pytest.approx(1.3, abs=0.1)
    assert focal.se_mean > 0
    assert rmse(est.params_.a, params.a) < 0.1


def test_fixed_parameter_calibration_puts_new_items_on_the_bank_scale():
    rng = np.random.default_rng(9)
    params = simulate_parameters(30, "2pl", rng=rng)
    # the new cohort is abler and more spread than the bank's reference population
    theta = rng.normal(0.5, 1.2, 5000)
    x = simulate_responses(params, theta, rng=rng)
    anchors = params.subset(range(20))
    est = MMLCalibrator("2pl").fit(x, item_ids=params.ids, anchors=anchors)
    p = est.params_
    assert p.a[:20] == pytest.approx(params.a[:20])
    assert p.b[:20] == pytest.approx(params.b[:20])
    assert np.isnan(p.se_a[:20]).all()
    assert est.groups_[0].mean == pytest.approx(0.5, abs=0.08)
    assert est.groups_[0].sd == pytest.approx(1.2, abs=0.1)
    assert rmse(p.a[20:], params.a[20:]) < 0.12
    assert rmse(p.b[20:], params.b[20:]) < 0.12
    # without anchors the new items land on the cohort's own N(0, 1) scale instead
    free = MMLCalibrator("2pl").fit(x)
    assert rmse(free.params_.b[20:], params.b[20:]) > 0.3


def test_items_that_cannot_be_estimated_are_left_out_with_a_warning():
    sim = simulate(500, 6, "2pl", rng=3)
    x = sim.responses.copy()
    x[:, 2] = 1.0  # no variance
    x[5:, 4] = np.nan  # only five responses
    with pytest.warns(EstimationWarning) as record:
        est = MMLCalibrator("2pl").fit(x)
    messages = " ".join(str(w.message) for w in record)
    assert "item3" in messages and "no variance" in messages
    assert "item5" in messages and "only 5 responses" in messages
    assert est.excluded_ == ("item3", "item5")
    assert np.isnan(est.params_.a[[2, 4]]).all()
    assert np.isfinite(est.params_.a[[0, 1, 3, 5]]).all()


def test_non_convergence_is_reported():
    sim = simulate(500, 10, "2pl", rng=4)
    with pytest.warns(ConvergenceWarning):
        est = MMLCalibrator("2pl", max_iter=2, acceleration=None).fit(sim.responses)
    assert not est.converged_
    assert est.n_iter_ == 2


def test_invalid_responses_name_row_and_column():
    x = np.array([[0, 1], [1, 2], [0, 0]], dtype=float)
    with pytest.raises(ValueError, match=r"row 1, column 1: value 2"):
        MMLCalibrator("2pl").fit(x)
    with pytest.raises(ValueError, match="Unknown model"):
        MMLCalibrator("4pl").fit(x)
