"""Training-needs analysis: hand-worked gaps, plans and talent maps, a brute-forced MILP, bad inputs.

The small examples are chosen so every expected number can be checked on paper: Φ(2.5) = 0.99379,
Φ(1) = 0.84134, Φ(-2) = 0.02275, z_0.95 = 1.64485, z_0.80 = 0.84162.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from scoring.training_needs import (
    GapAnalysis,
    RequirementScale,
    TrainingCatalogue,
    aggregate_gaps,
    cohort_plan,
    competency_gaps,
    competency_potential,
    development_plan,
    nine_box,
)

NAN = np.nan


@pytest.fixture
def small_gaps() -> GapAnalysis:
    """Three employees, two competencies (A required at 1.0, B at 0.0), SE 0.2."""
    theta = np.array([[0.5, 0.2], [0.8, NAN], [0.0, 0.5]])
    return competency_gaps([1.0, 0.0], theta, np.full((3, 2), 0.2))


def make_catalogue(**overrides) -> TrainingCatalogue:
    """Orientation and three programmes on competencies A and B."""
    values = dict(
        names=("Orientasi", "P1", "P2", "P3"),
        competencies=("A", "B"),
        effect=[[0.1, 0.0], [0.5, 0.0], [0.2, 0.2], [0.0, 0.4]],
        mode=("classroom", "online", "classroom", "online"),
        hours=[10, 20, 8, 40],
        capacity=[30, 50, 25, 100],
        cost_per_run=[1000, 0, 500, 0],
        cost_per_participant=[100, 50, 20, 10],
        orientation="Orientasi",
    )
    values.update(overrides)
    return TrainingCatalogue(**values)


# --------------------------------------------------------------------------- gaps


def test_gaps_worked_example(small_gaps):
    g = small_gaps
    assert g.gap[0] == pytest.approx([0.5, -0.2])
    assert g.z[0] == pytest.approx([2.5, -1.0])
    assert g.prob_below[0, 0] == pytest.approx(0.99379033, abs=1e-8)
    assert g.prob_below[1, 0] == pytest.approx(0.84134475, abs=1e-8)
    assert g.z_critical == pytest.approx(1.6448536, abs=1e-6)
    # 0.5 below with SE 0.2 is credible; 0.2 below (z = 1) is within the noise.
    assert g.credible.tolist() == [[True, False], [False, False], [True, False]]
    assert g.credible_gap[0] == pytest.approx([0.5, 0.0])
    assert g.credible_gap[1, 0] == 0.0
    assert np.isnan(g.credible_gap[1, 1]) and np.isnan(g.gap[1, 1]) and np.isnan(g.prob_below[1, 1])
    assert g.measured.tolist() == [[True, True], [True, False], [True, True]]


def test_alpha_changes_what_counts():
    g = competency_gaps([1.0], [[0.8]], [[0.2]], alpha=0.2)  # z = 1 > z_0.80 = 0.8416
    assert g.z_critical == pytest.approx(0.8416212, abs=1e-6)
    assert g.credible[0, 0] and g.credible_gap[0, 0] == pytest.approx(0.2)


def test_prob_below_matches_normal_posterior():
    theta = np.array([[0.5, 0.2]])
    g = competency_gaps([1.0, 0.0], theta, [[0.2, 0.1]])
    assert g.prob_below[0, 1] == pytest.approx(0.02275013, abs=1e-8)  # Φ(-2)


def test_reporting_scale_and_per_employee_requirements():
    scale = RequirementScale(slope=10, intercept=50)
    theta = np.array([[0.5, 0.2], [0.8, 0.1]])
    se = np.full((2, 2), 0.2)
    on_scale = competency_gaps([60, 50], theta, se, scale=scale)
    on_theta = competency_gaps([1.0, 0.0], theta, se)
    np.testing.assert_allclose(on_scale.gap, on_theta.gap)
    per_person = competency_gaps([[1.0, 0.0], [1.0, 0.0]], theta, se)
    np.testing.assert_allclose(per_person.z, on_theta.z)
    assert scale.from_theta(scale.to_theta(73.0)) == pytest.approx(73.0)


def test_results_are_read_only(small_gaps):
    with pytest.raises(ValueError):
        small_gaps.gap[0, 0] = 1.0


@pytest.mark.parametrize(
    ("required", "theta", "se", "kwargs", "message"),
    [
        ([1.0, 0.0], [[0.5, 0.2]], [[0.2]], {}, "shape"),
        ([1.0, 0.0, 2.0], [[0.5, 0.2]], [[0.2, 0.2]], {}, "competencies"),
        ([1.0, 0.0], [[0.5, 0.2]], [[0.2, -0.1]], {}, "negative SE"),
        ([1.0, 0.0], [[0.5, 0.2]], [[0.2, 0.0]], {}, "positive"),
        ([1.0, 0.0], [[0.5, 0.2]], [[0.2, NAN]], {}, "positive"),
        ([1.0, 0.0], [[0.5, 0.2]], [[0.2, 0.2]], {"alpha": 1.0}, "alpha"),
        ([1.0, 0.0], [0.5, 0.2], [0.2, 0.2], {}, "2-dimensional"),
    ],
)
def test_gap_bad_inputs(required, theta, se, kwargs, message):
    with pytest.raises(ValueError, match=message):
        competency_gaps(required, theta, se, **kwargs)


def test_se_is_ignored_where_not_measured():
    g = competency_gaps([1.0], [[NAN]], [[-1.0]])
    assert not g.credible[0, 0] and np.isnan(g.gap[0, 0])


# --------------------------------------------------------------------------- catalogue


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"names": ("Orientasi", "P1", "P1", "P3")}, "unique"),
        ({"effect": [[0.1, 0.0]] * 3}, "shape"),
        ({"effect": [[-0.1, 0.0]] * 4}, "non-negative"),
        ({"mode": ("classroom", "online", "hybrid", "online")}, "mode"),
        ({"hours": [10, 0, 8, 40]}, "hours"),
        ({"capacity": [30, 2.5, 25, 100]}, "capacity"),
        ({"cost_per_run": [-1, 0, 0, 0]}, "cost_per_run"),
        ({"orientation": "Latsar"}, "orientation"),
        ({"max_runs": [1, -1, 1, 1]}, "max_runs"),
    ],
)
def test_catalogue_validation(override, message):
    with pytest.raises(ValueError, match=message):
        make_catalogue(**override)


def test_unit_cost_shares_the_run_cost():
    assert make_catalogue().unit_cost == pytest.approx([1000 / 30 + 100, 50, 500 / 25 + 20, 10])


# --------------------------------------------------------------------------- development plans


def test_development_plan_worked_example():
    gaps = np.array([[0.6, 0.3], [0.0, 0.0], [0.0, 0.5]])
    plans = development_plan(gaps, make_catalogue(), new_hire=[False, True, True])
    # Employee 0, per hour: P2 closes 0.2 + 0.2 in 8 h (0.05/h) before P1 (0.5 in 20 h = 0.025/h).
    # Afterwards A has 0.4 left: P1 closes 0.4 (0.02/h); then B has 0.1 left: P3 (0.1 in 40 h).
    first = plans[0]
    assert [item.programme for item in first.items] == ["P2", "P1", "P3"]
    assert [item.expected_gap_closed for item in first.items] == pytest.approx([0.4, 0.4, 0.1])
    assert [item.per_hour for item in first.items] == pytest.approx([0.05, 0.02, 0.0025])
    assert first.credible_gap_before == pytest.approx(0.9)
    assert first.credible_gap_after == pytest.approx(0.0)
    assert first.items[0].competencies == ("A", "B")
    assert [item.reason_code for item in first.items] == ["closes_gap"] * 3
    # Unit cost: participant cost plus the run cost shared over a full run (P2: 20 + 500 / 25).
    assert [item.unit_cost for item in first.items] == pytest.approx([40.0, 50.0, 10.0])
    # A new hire without gaps gets orientation only, and is told why.
    assert [item.programme for item in plans[1].items] == ["Orientasi"]
    assert plans[1].items[0].reason_code == "orientation"
    assert plans[1].items[0].expected_gap_closed == 0.0 and plans[1].items[0].competencies == ()
    # A new hire with a gap on B: orientation first, then P2 (0.2 in 8 h) before P3 (0.3 in 40 h).
    assert [item.programme for item in plans[2].items] == ["Orientasi", "P2", "P3"]
    assert [item.rank for item in plans[2].items] == [1, 2, 3]


def test_development_plan_priorities():
    gaps = np.array([[0.6, 0.3]])
    catalogue = make_catalogue()
    by_total = development_plan(gaps, catalogue, priority="total", max_programmes=1)
    assert by_total[0].items[0].programme == "P1"  # closes 0.5, the most
    by_cost = development_plan(gaps, catalogue, priority="per_cost", max_programmes=1)
    # Unit costs 133.3 / 50 / 40 / 10: P3 closes 0.3 for 10, i.e. 0.03 per unit, the best.
    assert by_cost[0].items[0].programme == "P3"


def test_development_plan_takes_gap_analysis_and_weights(small_gaps):
    plans = development_plan(
        small_gaps, make_catalogue(), competency_weights=[2.0, 1.0], priority="total", max_programmes=1
    )
    # Employee 0 has a credible gap of 0.5 on A: P1 closes all of it (weighted 1.0), P2 only 0.2.
    assert plans[0].items[0].programme == "P1"
    assert plans[0].items[0].expected_gap_closed == pytest.approx(1.0)
    assert plans[1].items == ()  # no credible gap, not a new hire


def test_development_plan_bad_inputs():
    gaps = np.array([[0.6, 0.3]])
    with pytest.raises(ValueError, match="priority"):
        development_plan(gaps, make_catalogue(), priority="cheapest")
    with pytest.raises(ValueError, match="orientation"):
        development_plan(gaps, make_catalogue(orientation=None), new_hire=True)
    with pytest.raises(ValueError, match="new_hire"):
        development_plan(gaps, make_catalogue(), new_hire=[True, False])
    with pytest.raises(ValueError, match="competencies"):
        development_plan(np.array([[0.6]]), make_catalogue())
    with pytest.raises(ValueError, match="non-negative"):
        development_plan(np.array([[-0.6, 0.0]]), make_catalogue())


# --------------------------------------------------------------------------- cohort plans


def one_programme(**overrides) -> TrainingCatalogue:
    values = dict(
        names=("Diklat",),
        competencies=("A",),
        effect=[[0.4]],
        mode=("classroom",),
        hours=[16],
        capacity=[2],
        cost_per_run=[100],
        cost_per_participant=[10],
    )
    values.update(overrides)
    return TrainingCatalogue(**values)


@pytest.mark.parametrize(
    ("budget", "runs", "attend", "closed"),
    [
        (120, 1, [0, 1], 0.4 + 0.3),  # one full run: 100 + 2 x 10
        (119, 1, [0], 0.4),  # a second participant no longer fits
        (250, 2, [0, 1, 2], 0.4 + 0.3 + 0.1),  # two runs, 200 + 3 x 10
        (50, 0, [], 0.0),  # not even one run
    ],
)
def test_cohort_plan_hand_worked(budget, runs, attend, closed):
    gaps = np.array([[0.5], [0.3], [0.1]])
    plan = cohort_plan(gaps, one_programme(), budget)
    assert plan.runs.tolist() == [runs]
    assert plan.participants_of("Diklat").tolist() == attend
    assert plan.total_gap_closed == pytest.approx(closed)
    assert plan.total_cost == pytest.approx(100 * runs + 10 * len(attend))
    assert plan.optimal


def brute_force(benefit, capacity, run_cost, part_cost, budget):
    """Best total benefit over every assignment, runs = ceil(participants / capacity)."""
    n, p = benefit.shape
    masks = np.array(list(itertools.product([0, 1], repeat=n * p)), dtype=bool).reshape(-1, n, p)
    participants = masks.sum(axis=1)
    cost = np.ceil(participants / capacity) @ run_cost + participants @ part_cost
    value = (masks * benefit).sum(axis=(1, 2))
    return value[cost <= budget + 1e-9].max()


@pytest.mark.parametrize("budget", [0, 150, 400, 700, 5000])
def test_cohort_plan_matches_brute_force(budget):
    rng = np.random.default_rng(11)
    gaps = rng.uniform(0, 0.8, (4, 3)) * (rng.random((4, 3)) < 0.7)
    catalogue = TrainingCatalogue(
        names=("X", "Y", "Z"),
        competencies=("A", "B", "C"),
        effect=[[0.5, 0.0, 0.1], [0.0, 0.3, 0.3], [0.2, 0.2, 0.2]],
        mode=("online", "classroom", "classroom"),
        hours=[4, 12, 24],
        capacity=[2, 3, 4],
        cost_per_run=[60, 200, 150],
        cost_per_participant=[20, 5, 40],
    )
    benefit = np.minimum(gaps[:, None, :], catalogue.effect[None]).sum(axis=2)
    best = brute_force(benefit, catalogue.capacity, catalogue.cost_per_run, catalogue.cost_per_participant, budget)
    plan = cohort_plan(gaps, catalogue, budget, mip_rel_gap=0.0)
    assert plan.total_gap_closed == pytest.approx(best, abs=1e-9)
    assert plan.total_cost <= budget + 1e-9


def test_cohort_plan_options():
    gaps = np.array([[0.5], [0.3], [0.1]])
    weighted = cohort_plan(gaps, one_programme(), 110, employee_weights=[1.0, 2.0, 1.0])
    assert weighted.participants_of("Diklat").tolist() == [1]  # 2 x 0.3 beats 0.4
    assert weighted.total_gap_closed == pytest.approx(0.6)
    forced = np.array([[False], [False], [True]])
    plan = cohort_plan(gaps, one_programme(), 120, must_attend=forced)
    assert plan.participants_of("Diklat").tolist() == [0, 2]
    capped = cohort_plan(gaps, one_programme(max_runs=[1]), 1000)
    assert capped.runs.tolist() == [1] and capped.participants.tolist() == [2]
    two = TrainingCatalogue(
        names=("D1", "D2"),
        competencies=("A",),
        effect=[[0.4], [0.05]],
        mode=("online", "online"),
        hours=[8, 8],
        capacity=[5, 5],
    )
    free = cohort_plan(gaps, two, 0.0)
    assert free.assignment.all()  # free programmes: everyone with a gap attends both
    limited = cohort_plan(gaps, two, 0.0, max_programmes_per_employee=1)
    assert limited.assignment.sum(axis=1).tolist() == [1, 1, 1]
    assert limited.rows() == [
        {"programme": "D1", "runs": 1, "participants": 3, "cost": 0.0, "gap_closed": pytest.approx(0.8)}
    ]


def test_cohort_plan_bad_inputs():
    gaps = np.array([[0.5], [0.3], [0.1]])
    with pytest.raises(ValueError, match="non-negative"):
        cohort_plan(gaps, one_programme(), -1)
    forced = np.ones((3, 1), dtype=bool)
    with pytest.raises(ValueError, match="Infeasible"):
        cohort_plan(gaps, one_programme(), 200, must_attend=forced)  # needs 2 runs: 230
    with pytest.raises(ValueError, match="Infeasible"):
        cohort_plan(gaps, one_programme(max_runs=[1]), 1e6, must_attend=forced)
    with pytest.raises(ValueError, match="Infeasible"):
        cohort_plan(gaps, one_programme(), 1e6, must_attend=forced, max_programmes_per_employee=0)
    with pytest.raises(ValueError, match="must_attend"):
        cohort_plan(gaps, one_programme(), 100, must_attend=np.ones((2, 1), dtype=bool))
    with pytest.raises(ValueError, match="employee_weights"):
        cohort_plan(gaps, one_programme(), 100, employee_weights=[1, -1, 1])


def test_cohort_plan_scales_to_two_thousand_employees():
    rng = np.random.default_rng(2024)
    n, k, p = 2000, 8, 20
    theta = rng.normal(0.0, 1.0, (n, k))
    theta[rng.random((n, k)) < 0.05] = NAN
    gaps = competency_gaps(np.full(k, 0.5), theta, rng.uniform(0.2, 0.5, (n, k)))
    catalogue = TrainingCatalogue(
        names=tuple(f"P{j}" for j in range(p)),
        competencies=tuple(f"K{c}" for c in range(k)),
        effect=rng.uniform(0.0, 0.6, (p, k)) * (rng.random((p, k)) < 0.3),
        mode=tuple("online" if j % 2 else "classroom" for j in range(p)),
        hours=rng.integers(8, 80, p),
        capacity=rng.integers(20, 40, p),
        cost_per_run=rng.uniform(1e6, 5e6, p),
        cost_per_participant=rng.uniform(1e5, 5e5, p),
        orientation="P0",
    )
    new_hires = rng.random(n) < 0.1
    must = np.zeros((n, p), dtype=bool)
    must[new_hires, 0] = True
    budget = 1e9
    start = time.perf_counter()
    plan = cohort_plan(gaps, catalogue, budget, must_attend=must)
    elapsed = time.perf_counter() - start
    assert elapsed < 20  # about 1 s alone; generous for two shared cores
    assert plan.optimal
    assert plan.total_cost <= budget
    assert np.all(plan.participants <= plan.runs * catalogue.capacity)
    assert np.all(plan.runs == np.ceil(plan.participants / catalogue.capacity))
    assert plan.assignment[new_hires, 0].all()
    credible = np.nan_to_num(gaps.credible_gap)
    useful = (np.minimum(credible[:, None, :], catalogue.effect[None]).sum(axis=2) > 0) | must
    assert not np.any(plan.assignment & ~useful)
    assert plan.total_gap_closed > 0


# --------------------------------------------------------------------------- heat map


def test_aggregate_gaps_worked_example(small_gaps):
    # Gaps: row 0 [0.5 credible, -0.2], row 1 [0.2 not credible, NaN], row 2 [1.0 credible, -0.5].
    heat = aggregate_gaps(small_gaps, ["x", "y", "x"], labels=["y", "x", "z"], competencies=["A", "B"])
    assert heat.groups.tolist() == ["y", "x", "z"]
    assert heat.n_employees.tolist() == [1, 2, 0]
    assert heat.n_measured.tolist() == [[1, 0], [2, 2], [0, 0]]
    np.testing.assert_allclose(heat.mean_gap, [[0.2, NAN], [0.75, -0.35], [NAN, NAN]])
    np.testing.assert_allclose(heat.mean_credible_gap, [[0.0, NAN], [0.75, 0.0], [NAN, NAN]])
    np.testing.assert_allclose(heat.credible_share, [[0.0, NAN], [1.0, 0.0], [NAN, NAN]])
    assert heat.competencies == ("A", "B")
    default = aggregate_gaps(small_gaps, np.array(["x", "y", "x"]))
    assert default.groups.tolist() == ["x", "y"]


def test_aggregate_gaps_bad_inputs(small_gaps):
    with pytest.raises(ValueError, match="one label per employee"):
        aggregate_gaps(small_gaps, ["x", "y"])
    with pytest.raises(ValueError, match="not in labels"):
        aggregate_gaps(small_gaps, ["x", "y", "w"], labels=["x", "y"])
    with pytest.raises(ValueError, match="repeats"):
        aggregate_gaps(small_gaps, ["x", "y", "x"], labels=["x", "y", "x"])
    empty = competency_gaps([1.0], np.empty((0, 1)), np.empty((0, 1)))
    with pytest.raises(ValueError, match="no employees"):
        aggregate_gaps(empty, [])


# --------------------------------------------------------------------------- nine-box


def test_nine_box_worked_example():
    result = nine_box([1, 2, 3, 4, 5, NAN], [-1, 0, 1, 2, -2, 0], performance_cuts=(2, 4), potential_cuts=(0, 1))
    assert result.performance_level.tolist() == [0, 1, 1, 2, 2, -1]  # a value on a cut goes up
    assert result.potential_level.tolist() == [0, 1, 2, 2, 0, -1]
    assert result.box.tolist() == [1, 5, 8, 9, 3, 0]
    assert result.box_code == (
        "underperformer",
        "core_player",
        "growth",
        "star",
        "trusted_professional",
        "insufficient_data",
    )
    assert result.recommendation == (
        "coaching",
        "develop_in_role",
        "develop_in_role",
        "further_education",
        "develop_in_role",
        "insufficient_data",
    )
    # Codes and numbers only: the web layer words the reason from them.
    assert result.reason_code == ("levels",) * 5 + ("no_performance",)
    assert nine_box([NAN, 1.0], [0.0, NAN], performance_cuts=(0, 1), potential_cuts=(0, 1)).reason_code == (
        "no_performance",
        "no_potential",
    )
    np.testing.assert_array_equal(result.performance, [1, 2, 3, 4, 5, NAN])
    np.testing.assert_array_equal(result.potential, [-1, 0, 1, 2, -2, 0])
    assert not result.potential.flags.writeable
    expected = np.zeros((3, 3), dtype=int)
    for perf, pot in [(0, 0), (1, 1), (1, 2), (2, 2), (2, 0)]:
        expected[pot, perf] += 1
    np.testing.assert_array_equal(result.counts, expected)


def test_nine_box_tertiles_and_custom_boxes():
    result = nine_box([1, 2, 3, 4, 5], [5, 4, 3, 2, 1], top_boxes=[(2, 2), (2, 1)], bottom_boxes=[(0, 2)])
    assert result.performance_cuts == pytest.approx((1 + 4 / 3, 1 + 8 / 3))
    assert result.performance_level.tolist() == [0, 0, 1, 2, 2]
    assert result.potential_level.tolist() == [2, 2, 1, 0, 0]
    assert result.recommendation[0] == "coaching"  # (0, 2) chosen as a bottom box here


def test_competency_potential():
    theta = np.array([[1.0, 0.0], [NAN, 2.0], [NAN, NAN]])
    np.testing.assert_allclose(competency_potential(theta), [0.5, 2.0, NAN])
    np.testing.assert_allclose(competency_potential(theta, [3, 1]), [0.75, 2.0, NAN])


def test_nine_box_bad_inputs():
    with pytest.raises(ValueError, match="shape"):
        nine_box([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="increasing"):
        nine_box([1, 2, 3], [1, 2, 3], performance_cuts=(3, 1))
    with pytest.raises(ValueError, match="both"):
        nine_box([1, 2, 3], [1, 2, 3], top_boxes=[(0, 0)])
    with pytest.raises(ValueError, match="levels"):
        nine_box([1, 2, 3], [1, 2, 3], top_boxes=[(3, 0)])
    with pytest.raises(ValueError, match="tertiles"):
        nine_box([NAN, NAN], [1, 2])
