"""Simulated CATs (scoring.cat_simulation): accuracy, exposure control, content, overlap, stopping."""

import numpy as np
import pytest

from scoring.cat import (
    SPRT,
    Bank,
    CATError,
    CATRules,
    ContentBalancing,
    KullbackLeibler,
    MaxLength,
    Randomesque,
    RandomItem,
    StandardErrorStop,
    SympsonHetter,
    TimeLimit,
)
from scoring.cat_simulation import fit_sympson_hetter, simulate_cat
from scoring.simulate import simulate_parameters

BLUEPRINT = {"TWK": 30, "TIU": 35, "TKP": 45}


@pytest.fixture(scope="module")
def params():
    return simulate_parameters(1000, "2pl", rng=7)


@pytest.fixture(scope="module")
def bank(params):
    return Bank(params)


@pytest.fixture(scope="module")
def categories():
    return np.array(["TWK", "TIU", "TKP"])[np.arange(1000) % 3]


@pytest.fixture(scope="module")
def theta():
    return np.random.default_rng(2024).normal(size=1000)


def _unique_rows(items):
    return all(np.unique(row[row >= 0]).size == (row >= 0).sum() for row in items)


def test_30_item_cat_recovers_theta_and_beats_a_random_test(bank, theta):
    cat = simulate_cat(bank, CATRules(stopping=(MaxLength(30),)), theta, rng=1)
    rand = simulate_cat(bank, CATRules(selection=RandomItem(), stopping=(MaxLength(30),)), theta, rng=1)
    s, r = cat.summary(), rand.summary()
    assert s["rmse"] < 0.30  # 30 items of a 1,000-item 2PL bank: RMSE about 0.23
    assert abs(s["bias"]) < 0.05
    assert s["correlation"] > 0.95
    assert r["rmse"] > 1.4 * s["rmse"]  # the random test of the same length is far less precise
    assert s["mean_length"] == s["max_length"] == 30
    assert _unique_rows(cat.items) and _unique_rows(rand.items)
    # the reported SE matches the observed error
    assert s["mean_se"] == pytest.approx(s["rmse"], rel=0.2)


def test_kullback_leibler_is_as_accurate_as_fisher_information(bank, theta):
    kl = simulate_cat(bank, CATRules(selection=KullbackLeibler(), stopping=(MaxLength(20),)), theta[:300], rng=2)
    mfi = simulate_cat(bank, CATRules(stopping=(MaxLength(20),)), theta[:300], rng=2)
    assert kl.summary()["rmse"] < 1.15 * mfi.summary()["rmse"]
    assert kl.summary()["rmse"] < 0.35


def test_sympson_hetter_keeps_exposure_under_target_with_content(bank, categories):
    rules = CATRules(content=ContentBalancing({"TWK": 8, "TIU": 10, "TKP": 12}), exposure=SympsonHetter())
    fitted, history = fit_sympson_hetter(Bank(bank.params, categories=categories), rules, 0.25, n_examinees=500,
                                         n_iter=10, rng=4)  # fmt: skip
    assert history[0] > 0.5  # maximum information alone over-exposes
    assert fitted.exposure.min() < 1.0
    fresh = np.random.default_rng(9).normal(size=2000)
    sim = simulate_cat(fitted, rules, fresh, rng=5)
    summary = sim.summary({"TWK": 8, "TIU": 10, "TKP": 12})
    assert summary["max_exposure"] <= 0.25
    assert summary["blueprint_met"] == 1.0
    assert summary["rmse"] < 0.32
    assert _unique_rows(sim.items)
    # the same design without exposure control exceeds the target by far
    free = simulate_cat(Bank(bank.params, categories=categories), CATRules(content=rules.content), fresh[:500], rng=5)
    assert free.summary()["max_exposure"] > 0.5


def test_blueprint_30_35_45_met_for_every_examinee(params, categories, theta):
    bank = Bank(params, categories=categories)
    rules = CATRules(content=ContentBalancing(BLUEPRINT), exposure=Randomesque(3))
    sim = simulate_cat(bank, rules, theta[:400], rng=6)
    summary = sim.summary(BLUEPRINT)
    assert summary["blueprint_met"] == 1.0
    want = [BLUEPRINT[c] for c in sim.category_names]
    assert (sim.category_counts == want).all()
    given = categories[sim.items]
    for c, n in BLUEPRINT.items():
        assert ((given == c).sum(axis=1) == n).all()
    assert _unique_rows(sim.items)


def test_pilot_items_in_simulation(params, theta):
    pilot = np.zeros(1000, bool)
    pilot[::10] = True
    bank = Bank(params, pilot=pilot)
    sim = simulate_cat(bank, CATRules(stopping=(MaxLength(20),), pilot_positions=(4, 15)), theta[:200], rng=3)
    assert (sim.n_scored == 20).all()
    assert sim.items.shape[1] == 22 and (sim.items >= 0).all()
    assert sim.is_pilot[:, [3, 14]].all() and sim.is_pilot.sum() == 400
    assert bank.pilot[sim.items].tolist() == sim.is_pilot.tolist()
    assert sim.exposure[pilot].sum() == 0  # pilot items are not counted as scored exposure
    assert _unique_rows(sim.items)


def test_variable_length_stopping_rules(bank, theta):
    se = simulate_cat(
        bank, CATRules(stopping=(StandardErrorStop(0.3), MaxLength(50)), min_length=5), theta[:300], rng=1
    )
    ok = (se.se <= 0.3) | (se.n_scored == 50)
    assert ok.all() and (se.n_scored >= 5).all()
    assert se.n_scored.min() < se.n_scored.max()
    assert set(se.summary()["stop_reasons"]) <= {"se", "max-length"}
    timed = simulate_cat(bank, CATRules(stopping=(TimeLimit(900),)), theta[:100], rng=1, seconds_per_item=60)
    assert (timed.n_scored == 15).all() and set(timed.reason) == {"time-limit"}


def test_sprt_classifies_examinees_far_from_the_cut(bank):
    theta = np.repeat([-1.2, 1.2], 150)
    rules = CATRules(stopping=(SPRT(cut=0.0, delta=0.25), MaxLength(40)), min_length=5)
    sim = simulate_cat(bank, rules, theta, rng=8)
    decided = np.isin(sim.reason, ["sprt-pass", "sprt-fail"])
    assert decided.mean() > 0.95
    correct = (sim.reason == "sprt-pass") == (theta > 0)
    assert correct[decided].mean() > 0.97
    assert sim.n_scored.mean() < 25


def test_polytomous_bank_simulation(theta):
    params = simulate_parameters(200, "grm", n_categories=4, rng=5)
    sim = simulate_cat(Bank(params), CATRules(stopping=(MaxLength(15),)), theta[:300], rng=4)
    assert sim.summary()["rmse"] < 0.3
    dich = simulate_parameters(200, "2pl", rng=5)
    two = simulate_cat(Bank(dich), CATRules(stopping=(MaxLength(15),)), theta[:300], rng=4)
    assert sim.summary()["rmse"] < two.summary()["rmse"]  # four categories carry more information


def test_overlap_rate_and_exposure_summary(bank, theta):
    sim = simulate_cat(bank, CATRules(stopping=(MaxLength(10),), exposure=Randomesque(4)), theta[:60], rng=1)
    sets = [set(row) for row in sim.items]
    shared = [len(sets[i] & sets[k]) for i in range(60) for k in range(i + 1, 60)]
    assert sim.overlap_rate() == pytest.approx(np.mean(shared) / 10)
    summary = sim.summary()
    assert sum(c["items"] for c in summary["exposure_classes"]) == 1000
    assert summary["items_never_used"] == int((sim.exposure == 0).sum())
    assert sum(summary["stop_reasons"].values()) == 60
    rows = sim.conditional()
    assert sum(r["n"] for r in rows) == 60


def test_simulation_checks_the_bank_first(params, theta):
    with pytest.raises(CATError, match="needs 30 items but the bank has only 25"):
        simulate_cat(Bank(params.subset(range(25))), CATRules(), theta[:5])
    with pytest.raises(ValueError, match="exceed the margin"):
        fit_sympson_hetter(Bank(params), CATRules(), 0.02, n_examinees=100)
