"""Scale linking (scoring.linking): known transformations recovered, drift flagged, bad input."""

import numpy as np
import pytest

from scoring.calibration import calibrate
from scoring.linking import LINKING_METHODS, check_drift, link, linking_constants, transform
from scoring.models import ItemParameters, probabilities
from scoring.simulate import simulate_parameters, simulate_responses

A, B = 1.3, -0.4  # θ_bank = A θ_new + B


@pytest.fixture(scope="module")
def bank():
    two = simulate_parameters(16, "2pl", rng=1)
    three = simulate_parameters(6, "3pl", rng=2)
    grm = simulate_parameters(4, "grm", n_categories=4, rng=3)
    thr = np.full((26, 3), np.nan)
    thr[:16, 0], thr[16:22, 0], thr[22:] = two.b, three.b, grm.thresholds
    return ItemParameters.from_arrays(
        np.concatenate([two.a, three.a, grm.a]),
        thresholds=thr,
        c=np.concatenate([np.zeros(16), three.c, np.zeros(4)]),
        models=["2pl"] * 16 + ["3pl"] * 6 + ["grm"] * 4,
        ids=[f"A{j}" for j in range(26)],
    )


def _new_scale(bank):
    """The bank's items as a calibration on the new scale would report them."""
    return transform(bank, 1 / A, -B / A)


def test_transform_keeps_response_probabilities(bank):
    new = _new_scale(bank)
    theta_new = np.linspace(-2, 2, 9)
    assert probabilities(new, theta_new) == pytest.approx(probabilities(bank, A * theta_new + B), abs=1e-12)
    assert new.c.tolist() == bank.c.tolist()


@pytest.mark.parametrize("method", LINKING_METHODS)
def test_every_method_recovers_a_known_transformation(bank, method):
    slope, intercept = linking_constants(_new_scale(bank), bank, method)
    assert slope == pytest.approx(A, abs=1e-4)
    assert intercept == pytest.approx(B, abs=1e-4)


@pytest.mark.parametrize("method", LINKING_METHODS)
def test_methods_are_close_with_estimation_error(bank, method):
    rng = np.random.default_rng(5)
    new = _new_scale(bank)
    noisy = new.replace(
        a=new.a * np.exp(rng.normal(0, 0.05, 26)),
        b=new.b + rng.normal(0, 0.05, 26),
        thresholds=new.thresholds + rng.normal(0, 0.05, new.thresholds.shape),
    )
    slope, intercept = linking_constants(noisy, bank, method)
    assert slope == pytest.approx(A, abs=0.12)
    assert intercept == pytest.approx(B, abs=0.1)


def test_drift_check_flags_a_moved_anchor_and_link_drops_it(bank):
    new = _new_scale(bank)
    thr = new.thresholds.copy()
    thr[3, 0] += 0.9  # anchor A3 became harder in the new calibration
    moved = new.replace(thresholds=thr, b=np.where(np.arange(26) == 3, new.b + 0.9, new.b))
    slope0, intercept0 = linking_constants(moved, bank, "mean-sigma")
    drift = check_drift(transform(moved, slope0, intercept0), bank)
    assert drift.flagged_ids == ("A3",)
    result = link(moved, bank, "stocking-lord")
    assert result.drift.flagged_ids == ("A3",) and "A3" not in result.anchors
    assert result.slope == pytest.approx(A, abs=1e-4) and result.intercept == pytest.approx(B, abs=1e-4)
    displaced = check_drift(result.params, bank, method="displacement")
    assert displaced.flagged_ids == ("A3",)
    assert displaced.difference[3] == pytest.approx(-0.9 * A, abs=1e-3)
    # without the drift check the moved anchor pulls the constants away
    plain = link(moved, bank, "mean-sigma", drift=None)
    assert abs(plain.intercept - B) > 0.01 and plain.anchors == bank.ids


def test_links_a_new_calibration_onto_the_bank_scale():
    """Two calibrations of different populations, each on its own N(0, 1) scale, linked by 15 anchors."""
    truth = simulate_parameters(30, "2pl", rng=21)
    rng = np.random.default_rng(22)
    theta_old = rng.normal(0.0, 1.0, 3000)
    theta_new = rng.normal(0.6, 1.25, 3000)  # stronger, more varied cohort
    old_items, new_items = np.arange(0, 25), np.arange(10, 30)
    old = calibrate(simulate_responses(truth.subset(old_items), theta_old, rng=rng), "2pl",
                    item_ids=[truth.ids[j] for j in old_items], se_method=None).params  # fmt: skip
    new = calibrate(simulate_responses(truth.subset(new_items), theta_new, rng=rng), "2pl",
                    item_ids=[truth.ids[j] for j in new_items], se_method=None).params  # fmt: skip
    for method in ("stocking-lord", "haebara"):
        result = link(new, old, method)
        assert len(result.anchors) >= 10  # robust z at 1.645 drops about 10% of stable anchors by design
        assert result.slope == pytest.approx(1.25, abs=0.12)
        assert result.intercept == pytest.approx(0.6, abs=0.1)
        only_new = result.params.subset([i for i in new.ids if i not in old.ids])
        true_new = truth.subset(list(only_new.ids))
        assert np.abs(only_new.b - true_new.b).mean() < 0.15


def test_bad_linking_input(bank):
    new = _new_scale(bank)
    with pytest.raises(ValueError, match="Unknown linking method 'equipercentile'"):
        linking_constants(new, bank, "equipercentile")
    with pytest.raises(ValueError, match="at least 2 anchor items; 1 in common"):
        linking_constants(new.subset(["A0", "A1"]), bank.subset(["A1", "A2"]))
    with pytest.raises(ValueError, match="Anchor item 'Z9' is not in both"):
        linking_constants(new, bank, anchors=["A0", "Z9"])
    with pytest.raises(ValueError, match="slope A must be positive"):
        transform(bank, -1.0, 0.0)
    with pytest.raises(ValueError, match="Unknown drift method"):
        check_drift(new, bank, method="huber")
