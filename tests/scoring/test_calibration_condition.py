"""The condition number and rank of the information matrix behind MML-EM standard errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from scoring.calibration import MMLCalibrator


def responses_2pl(n_persons: int, n_items: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n_persons)
    a = rng.uniform(0.8, 1.6, n_items)
    b = np.linspace(-1.5, 1.5, n_items)
    return (rng.random((n_persons, n_items)) < 1 / (1 + np.exp(-a * (theta[:, None] - b)))).astype(float)


def test_the_condition_formula_on_known_matrices():
    calibrator = MMLCalibrator()
    calibrator._condition(np.diag([100.0, 4.0, 1.0]))
    assert calibrator.information_condition_ == pytest.approx(100.0)
    assert calibrator.information_rank_ == 3
    calibrator._condition(np.array([[2.0, 2.0], [2.0, 2.0]]))
    assert calibrator.information_rank_ == 1
    assert calibrator.information_condition_ > 1e15  # singular: infinite or beyond float precision


def test_enough_persons_identify_every_parameter():
    fitted = MMLCalibrator("2pl", min_responses=5).fit(responses_2pl(1500, 8, seed=1))
    assert fitted.information_rank_ == fitted.n_params_ == 16
    assert 1 < fitted.information_condition_ < 1e4
    assert np.all(fitted.params_.se_b < 0.5)


def test_fewer_persons_than_parameters_leave_the_matrix_singular():
    # 12 persons, 20 free 2PL items: the cross-product information has rank at most 12 < 40.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = MMLCalibrator("2pl", min_responses=5, max_iter=200).fit(responses_2pl(12, 20, seed=2))
    assert fitted.information_rank_ <= 12 < fitted.n_params_
    assert fitted.information_condition_ > 1e10


def test_no_standard_errors_no_condition():
    fitted = MMLCalibrator("2pl", se_method=None, min_responses=5).fit(responses_2pl(300, 5, seed=3))
    assert np.isnan(fitted.information_condition_) and fitted.information_rank_ == 0
