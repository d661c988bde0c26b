"""The calibration guard rule (itembank.calibration_guards): each threshold flags just beyond it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from itembank.calibration_guards import (
    MAX_CONDITION,
    MIN_CATEGORY_RESPONSES,
    condition_is_singular,
    guard_reasons,
    se_plausible,
)


def row(**overrides):
    """A plausible 2PL estimate with enough responses in both categories."""
    values = {
        "model": "2pl", "a": 1.1, "b": 0.3, "c": None, "thresholds": [], "se_a": 0.12, "se_b": 0.09,
        "se_c": None, "statistics": {"categories": [40, 60]},
    }  # fmt: skip
    values.update(overrides)
    return SimpleNamespace(**values)


def codes(parameters, converged=True) -> list[str]:
    return [reason.code for reason in guard_reasons(parameters, converged=converged)]


def test_a_plausible_estimate_passes():
    assert codes(row()) == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"b": 6.01}, "b_extreme"),
        ({"b": -6.5}, "b_extreme"),
        ({"a": 0.05}, "a_range"),
        ({"a": 6.0}, "a_range"),
        ({"a": -0.4}, "a_range"),
        ({"se_b": 2.01}, "se_large"),
        ({"se_b": 24746161.78}, "se_large"),
        ({"se_a": 0.0}, "se_small"),
        ({"se_b": 9e-5}, "se_small"),
        ({"se_b": None, "statistics": {"categories": [40, 60], "nonfinite": ["se_b"]}}, "se_nonfinite"),
        ({"statistics": {"categories": [MIN_CATEGORY_RESPONSES - 1, 91]}}, "sparse_category"),
    ],
)
def test_each_rule_flags_beyond_its_threshold(overrides, expected):
    assert codes(row(**overrides)) == [expected]


@pytest.mark.parametrize(
    "overrides",
    [
        {"b": 6.0}, {"a": 0.051}, {"a": 5.99}, {"se_b": 2.0}, {"se_b": 1e-4},
        {"statistics": {"categories": [MIN_CATEGORY_RESPONSES, 90]}},
        {"se_b": None},  # not computed (e.g. imported without SEs): nothing to judge
    ],
)  # fmt: skip
def test_values_at_the_thresholds_pass(overrides):
    assert codes(row(**overrides)) == []


def test_a_run_that_did_not_converge_flags_every_item():
    assert codes(row(), converged=False) == ["not_converged"]
    assert codes(row(), converged=None) == []  # unknown (an import) is not a failure


def test_polytomous_thresholds_and_their_standard_errors_are_checked():
    gpcm = row(
        model="gpcm", b=0.2, thresholds=[-1.0, 0.4, 7.2], se_b=None,
        statistics={"categories": [12, 30, 30, 28], "se_thresholds": [0.2, 3.5, 0.3]},
    )  # fmt: skip
    reasons = guard_reasons(gpcm, converged=True)
    assert [r.code for r in reasons] == ["b_extreme", "se_large"]
    assert reasons[0].params["name"] == "b3" and reasons[1].params["name"] == "b2"


def test_the_worst_value_is_reported_and_several_reasons_add_up():
    three = row(model="3pl", c=0.2, se_a=3.0, se_b=5.0, se_c=0.0, statistics={"categories": [3, 97]})
    reasons = {r.code: r.params for r in guard_reasons(three, converged=False)}
    assert set(reasons) == {"se_large", "se_small", "not_converged", "sparse_category"}
    assert reasons["se_large"]["name"] == "b" and reasons["se_large"]["value"] == 5.0
    assert reasons["se_small"]["name"] == "c"
    assert reasons["sparse_category"] == {"category": 0, "n": 3, "min": MIN_CATEGORY_RESPONSES}


def test_standard_errors_for_display():
    assert se_plausible(0.3) and se_plausible(None)
    assert not se_plausible(24746161.78) and not se_plausible(0.0) and not se_plausible(float("inf"))


def test_a_singular_information_matrix_is_recognised():
    assert condition_is_singular({"information": {"condition": None, "rank": 190, "size": 380}})
    assert condition_is_singular({"information": {"condition": MAX_CONDITION * 10, "rank": 12, "size": 12}})
    assert not condition_is_singular({"information": {"condition": 250.0, "rank": 12, "size": 12}})
    assert not condition_is_singular({})
