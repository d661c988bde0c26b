"""Naming the copier of a flagged pair from the answer order (proctoring.copying_direction)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from proctoring.copying_direction import MIN_TIMED_MATCHES, TIMING_ALPHA, copying_direction


def sign_test(k: int, n: int) -> float:
    """Exact two-sided binomial p for k of n under p = 1/2, written out independently."""
    tail = sum(math.comb(n, i) for i in range(0, min(k, n - k) + 1)) / 2**n
    return min(1.0, 2 * tail)


@pytest.fixture
def pair():
    """Three candidates on 40 items; row 1 copies row 0 on 30 items; ω favours row 0 as copier."""
    rng = np.random.default_rng(14)
    choices = rng.integers(0, 4, size=(3, 40))
    copied = np.zeros(40, dtype=bool)
    copied[rng.choice(40, 30, replace=False)] = True
    choices[1, copied] = choices[0, copied]
    omega = np.array([[np.nan, 6.0, 0.1], [4.5, np.nan, -0.3], [0.2, 0.0, np.nan]])
    return choices, omega, copied


def test_the_one_who_answers_the_matching_items_later_is_named_the_copier(pair):
    choices, omega, copied = pair
    times = np.tile(np.arange(40, dtype=float) * 60, (3, 1))
    times[1] += 20.0  # row 1 saves every answer 20 s after row 0
    result = copying_direction(omega, choices, times, 0, 1)
    matches = int((choices[0] == choices[1]).sum())
    assert matches >= 30
    assert (result.copier, result.source, result.basis) == (1, 0, "timing")
    assert result.omega_copier == 0 and result.omega == 6.0  # ω alone points the other way
    assert result.matches == matches and result.copier_later == matches
    assert result.timing_p == pytest.approx(sign_test(matches, matches))
    # The same pair seen from the other side gives the same verdict.
    other = copying_direction(omega, choices, times, 1, 0)
    assert (other.copier, other.source, other.basis, other.omega_copier) == (1, 0, "timing", 0)


def test_an_inconclusive_order_falls_back_to_the_larger_omega(pair):
    choices, omega, _ = pair
    rng = np.random.default_rng(3)
    times = rng.uniform(0, 3600, size=choices.shape)
    result = copying_direction(omega, choices, times, 1, 0)
    same = (choices[0] == choices[1]) & (times[0] != times[1])
    later = int((times[0][same] > times[1][same]).sum())
    p = sign_test(later, int(same.sum()))
    assert result.timing_p == pytest.approx(p)
    assert p >= TIMING_ALPHA  # random times give an order no better than chance
    assert (result.copier, result.basis) == (0, "omega")


def test_too_few_timed_matches_cannot_name_a_copier_by_time(pair):
    choices, omega, _ = pair
    times = np.tile(np.arange(40, dtype=float), (3, 1))
    times[1] += 0.5
    matching = np.flatnonzero(choices[0] == choices[1])
    times[:, matching[MIN_TIMED_MATCHES - 1 :]] = np.nan  # only 9 matches keep a time
    result = copying_direction(omega, choices, times, 0, 1)
    # 9 of 9 later is significant (p = 2/512), but 9 matches are too few to name a copier by time.
    assert result.matches == MIN_TIMED_MATCHES - 1 and result.timing_p == pytest.approx(2 / 2**9)
    assert (result.copier, result.basis) == (0, "omega") and result.copier_later == 0
