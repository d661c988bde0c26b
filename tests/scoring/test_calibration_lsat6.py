"""MML-EM calibration reproduces the published LSAT6 results (Bock & Lieberman 1970).

Reference values: ltm's ``LSAT`` data and output (Rizopoulos 2006), also reproduced by mirt.
Pattern counts in binary order 00000 ... 11111, item 1 the most significant digit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoring.calibration import MMLCalibrator
from scoring.quadrature import rectangular

COUNTS = [
    3, 6, 2, 11, 1, 1, 3, 4, 1, 8, 0, 16, 0, 3, 2, 15,
    10, 29, 14, 81, 3, 28, 15, 80, 16, 56, 21, 173, 11, 61, 28, 298,
]  # fmt: skip
RASCH_B = [-3.6153, -1.3224, -0.3176, -1.7301, -2.7802]
RASCH_A = 0.7551
RASCH_LOGLIK = -2466.938
TWO_PL_B = [-3.3597, -1.3696, -0.2799, -1.8659, -3.1236]
TWO_PL_A = [0.8254, 0.7229, 0.8905, 0.6886, 0.6575]
TWO_PL_LOGLIK = -2466.653


@pytest.fixture(scope="module")
def lsat6() -> np.ndarray:
    patterns = np.array([[int(bit) for bit in format(i, "05b")] for i in range(32)], dtype=float)
    data = np.repeat(patterns, COUNTS, axis=0)
    assert data.shape == (1000, 5)
    return data


def test_one_parameter_model_with_common_slope(lsat6):
    est = MMLCalibrator("1pl", tol=1e-6).fit(lsat6)
    assert est.converged_
    assert est.params_.b == pytest.approx(RASCH_B, abs=0.01)
    assert est.params_.a == pytest.approx([RASCH_A] * 5, abs=0.01)
    assert est.loglik_ == pytest.approx(RASCH_LOGLIK, abs=0.05)
    assert est.n_params_ == 6
    assert est.aic_ == pytest.approx(-2 * est.loglik_ + 12)
    assert est.bic_ == pytest.approx(-2 * est.loglik_ + 6 * math.log(1000))


def test_two_parameter_model(lsat6):
    est = MMLCalibrator("2pl", tol=1e-6).fit(lsat6)
    assert est.converged_
    assert est.params_.b == pytest.approx(TWO_PL_B, abs=0.01)
    assert est.params_.a == pytest.approx(TWO_PL_A, abs=0.01)
    assert est.loglik_ == pytest.approx(TWO_PL_LOGLIK, abs=0.05)
    assert est.n_params_ == 10


def test_rasch_with_unit_slope_estimates_the_latent_sd(lsat6):
    # Same model as the common-slope 1PL, on the metric where the slope is 1.
    est = MMLCalibrator("rasch", tol=1e-6).fit(lsat6)
    assert est.groups_[0].sd == pytest.approx(RASCH_A, abs=0.01)
    assert est.params_.a == pytest.approx([1.0] * 5)
    assert est.params_.b == pytest.approx(np.array(RASCH_B) * RASCH_A, abs=0.01)
    assert est.loglik_ == pytest.approx(RASCH_LOGLIK, abs=0.05)


def test_plain_em_and_squarem_agree(lsat6):
    fast = MMLCalibrator("2pl", tol=1e-7).fit(lsat6)
    slow = MMLCalibrator("2pl", tol=1e-7, acceleration=None, max_iter=20000).fit(lsat6)
    assert fast.n_iter_ < slow.n_iter_
    assert fast.params_.a == pytest.approx(slow.params_.a, abs=1e-3)
    assert fast.params_.b == pytest.approx(slow.params_.b, abs=1e-3)
    assert np.all(np.diff(slow.history_) > -1e-8)  # EM never decreases the likelihood


def _marginal_loglik(a, b, patterns, counts, nodes, weights):
    p = 1 / (1 + np.exp(-a[None, :] * (nodes[:, None] - b[None, :])))  # (Q, J)
    lik = np.exp(patterns @ np.log(p).T + (1 - patterns) @ np.log1p(-p).T)  # (patterns, Q)
    return float(counts @ np.log(lik @ weights))


def test_oakes_standard_errors_match_the_numerical_hessian(lsat6):
    est = MMLCalibrator("2pl", tol=1e-8, se_method="oakes").fit(lsat6)
    quad = rectangular(41, 6.0)
    patterns = np.array([[int(bit) for bit in format(i, "05b")] for i in range(32)], dtype=float)
    counts = np.array(COUNTS, dtype=float)
    x0 = np.concatenate([est.params_.a, est.params_.b])

    def f(x):
        return _marginal_loglik(x[:5], x[5:], patterns, counts, quad.nodes, quad.weights())

    h = 1e-4
    hess = np.zeros((10, 10))
    for i in range(10):
        for j in range(10):
            e_i, e_j = np.eye(10)[i] * h, np.eye(10)[j] * h
            corners = f(x0 + e_i + e_j) - f(x0 + e_i - e_j) - f(x0 - e_i + e_j) + f(x0 - e_i - e_j)
            hess[i, j] = corners / (4 * h * h)
    se = np.sqrt(np.diag(np.linalg.inv(-hess)))
    assert est.params_.se_a == pytest.approx(se[:5], rel=0.01)
    assert est.params_.se_b == pytest.approx(se[5:], rel=0.01)
    # the cross-product approximation is close but not exact
    xpd = MMLCalibrator("2pl", tol=1e-8, se_method="xpd").fit(lsat6)
    assert xpd.params_.se_a == pytest.approx(se[:5], rel=0.1)
    assert xpd.params_.se_b == pytest.approx(se[5:], rel=0.15)


def test_params_json_layout(lsat6):
    est = MMLCalibrator("2pl").fit(lsat6)
    data = est.to_dict()
    assert {"model", "loglik", "aic", "bic", "iterations", "converged", "items"} <= set(data)
    assert data["model"] == "2pl"
    first = data["items"][0]
    assert {"id", "a", "b", "c", "se_a", "se_b", "se_c"} <= set(first)
    assert first["c"] == 0.0 and first["se_c"] is None
