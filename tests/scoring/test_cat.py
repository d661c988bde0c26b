"""The stateless CAT step (scoring.cat): selection, exposure, content, pilot items, stopping, errors."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import scoring.cat
from scoring.ability import estimate_ability
from scoring.cat import (
    SPRT,
    Bank,
    CATError,
    CATRules,
    ContentBalancing,
    KullbackLeibler,
    MaxLength,
    Randomesque,
    ShadowTest,
    StandardErrorStop,
    SympsonHetter,
    TimeLimit,
    assemble_shadow_test,
    next_item,
)
from scoring.information import item_information
from scoring.models import ItemParameters, probabilities
from scoring.simulate import simulate_parameters


@pytest.fixture(scope="module")
def params():
    return simulate_parameters(300, "2pl", rng=11)


@pytest.fixture(scope="module")
def bank(params):
    return Bank(params)


def _answer(params, item, theta, rng):
    j = params.ids.index(item)
    p = probabilities(params.subset([j]), theta)[0, 0]
    return int(rng.choice(p.shape[0], p=p / p.sum()))


def _run(bank, rules, theta, seed, elapsed_per_item=0.0):
    """A whole test through the stateless step, as the web server would drive it."""
    rng = np.random.default_rng(seed)
    administered, responses, aside, steps = [], [], [], []
    while True:
        step = next_item(
            bank, rules, administered, responses, set_aside=aside, elapsed=elapsed_per_item * len(administered), rng=rng
        )
        steps.append(step)
        if step.stop:
            return administered, responses, steps
        administered.append(step.item)
        aside += step.set_aside
        responses.append(_answer(bank.params, step.item, theta, rng))


def test_first_step_is_the_prior_and_the_most_informative_item(bank, params):
    step = next_item(bank, CATRules())
    assert step.theta == pytest.approx(0.0, abs=1e-9)
    assert step.se == pytest.approx(1.0, abs=2e-3)
    assert not step.stop and step.n_scored == 0
    info = item_information(params, 0.0)[0]
    assert step.item == params.ids[int(np.argmax(info))]


def test_theta_is_the_eap_estimate_and_mfi_picks_the_best_unused_item(bank, params):
    rng = np.random.default_rng(5)
    administered = list(rng.choice(params.ids, 12, replace=False))
    responses = rng.integers(0, 2, 12)
    step = next_item(bank, CATRules(), administered, responses)
    x = np.full((1, params.n_items), np.nan)
    x[0, params.index(administered)] = responses
    est = estimate_ability(x, params, "eap", quadrature=bank.quadrature)
    assert step.theta == pytest.approx(est.theta[0], abs=1e-4)
    assert step.se == pytest.approx(est.se[0], abs=1e-4)
    node = bank.nodes[bank.node(np.array([step.theta]))[0]]
    info = item_information(params, node)[0]
    info[params.index(administered)] = -np.inf
    assert step.item == params.ids[int(np.argmax(info))]
    assert step.item not in administered


def test_kullback_leibler_selection_maximises_the_kl_index(bank, params):
    administered, responses = ["item1", "item2", "item3", "item4"], [1, 1, 0, 1]
    rules = CATRules(selection=KullbackLeibler(z=3.0))
    step = next_item(bank, rules, administered, responses)
    theta0 = bank.nodes[bank.node(np.array([step.theta]))[0]]
    # independent: Chang & Ying (1996) integral on a fine grid over θ0 ± 3 / sqrt(4)
    grid = np.linspace(theta0 - 1.5, theta0 + 1.5, 601)
    p0 = probabilities(params, theta0)[0]
    p = probabilities(params, grid)
    kl = np.trapezoid((p0[None] * np.log(p0[None] / p)).sum(axis=2), grid, axis=0)
    kl[params.index(administered)] = -np.inf
    best = np.argsort(-kl)[:3]
    assert step.item in {params.ids[j] for j in best}
    assert step.item == params.ids[int(best[0])]


def test_never_repeats_an_item_and_stops_at_max_length(bank):
    administered, _, steps = _run(bank, CATRules(stopping=(MaxLength(25),)), 0.7, seed=3)
    assert len(administered) == 25 == len(set(administered))
    assert steps[-1].stop and steps[-1].reason == "max-length" and steps[-1].item is None


def test_se_stopping_respects_min_length(bank):
    rules = CATRules(stopping=(StandardErrorStop(0.35), MaxLength(60)), min_length=5)
    administered, _, steps = _run(bank, rules, -0.3, seed=4)
    assert steps[-1].reason == "se"
    assert steps[-1].se <= 0.35
    assert all(s.se > 0.35 for s in steps[:-1] if s.n_scored >= 5)
    assert len(administered) < 60
    # a minimum length above the SE stopping point postpones the stop
    longer = CATRules(stopping=(StandardErrorStop(0.35), MaxLength(60)), min_length=len(administered) + 8)
    administered2, _, steps2 = _run(bank, longer, -0.3, seed=4)
    assert len(administered2) == len(administered) + 8 and steps2[-1].reason == "se"


def test_time_limit_is_hard(bank):
    rules = CATRules(stopping=(TimeLimit(600), MaxLength(40)), min_length=30)
    administered, _, steps = _run(bank, rules, 0.0, seed=6, elapsed_per_item=45.0)
    assert len(administered) == 14  # 14 * 45 = 630 s >= 600 s, before the minimum length
    assert steps[-1].reason == "time-limit"


def test_sprt_classifies_against_the_cut(bank, params):
    rule = SPRT(cut=0.0, delta=0.3, alpha=0.05, beta=0.05)
    rules = CATRules(stopping=(rule, MaxLength(80)), min_length=1)
    for theta, expected in ((1.8, "sprt-pass"), (-1.8, "sprt-fail")):
        administered, responses, steps = _run(bank, rules, theta, seed=8)
        assert steps[-1].reason == expected
        # independent log likelihood ratio at cut ± delta
        sub = params.subset(administered)
        p = probabilities(sub, np.array([-0.3, 0.3]))
        ll = np.log(p[:, np.arange(len(administered)), responses]).sum(axis=1)
        ratio = ll[1] - ll[0]
        bound = np.log(0.95 / 0.05)
        assert (ratio >= bound) if expected == "sprt-pass" else (ratio <= -bound)
        assert len(administered) < 80


def test_pilot_items_at_set_positions_are_unscored(params):
    pilot = np.zeros(params.n_items, bool)
    pilot[:20] = True
    bank = Bank(params, pilot=pilot)
    rules = CATRules(stopping=(MaxLength(10),), pilot_positions=(2, 5))
    administered, responses, steps = _run(bank, rules, 0.4, seed=9)
    assert len(administered) == 12  # 10 scored + 2 pilot
    is_pilot = [bank.pilot[bank.index([i])[0]] for i in administered]
    assert [k + 1 for k, flag in enumerate(is_pilot) if flag] == [2, 5]
    assert steps[1].is_pilot and steps[4].is_pilot and not steps[0].is_pilot
    assert steps[-1].n_scored == 10
    # flipping the pilot responses changes nothing in θ
    flipped = [1 - r if f else r for r, f in zip(responses, is_pilot, strict=True)]
    a = next_item(bank, rules, administered, responses)
    b = next_item(bank, rules, administered, flipped)
    assert a.theta == b.theta and a.se == b.se
    # pilot items are never chosen as operational items
    assert not any(bank.pilot[bank.index([i])[0]] for k, i in enumerate(administered) if k + 1 not in (2, 5))


def test_randomesque_picks_among_the_best_n(bank, params):
    rules = CATRules(exposure=Randomesque(5))
    picks = {next_item(bank, rules, ["item7"], [1], rng=seed).item for seed in range(60)}
    step = next_item(bank, rules, ["item7"], [1], rng=0)
    node = bank.nodes[bank.node(np.array([step.theta]))[0]]
    info = item_information(params, node)[0]
    info[params.index(["item7"])] = -np.inf
    top5 = {params.ids[j] for j in np.argsort(-info)[:5]}
    assert picks <= top5 and len(picks) >= 4


def test_sympson_hetter_sets_aside_passed_over_items(params):
    exposure = np.full(params.n_items, 0.05)
    bank = Bank(params, exposure=exposure)
    rules = CATRules(exposure=SympsonHetter(max_candidates=40))
    step = next_item(bank, rules, rng=3)
    assert len(step.set_aside) > 0 and step.item not in step.set_aside
    again = next_item(bank, rules, [step.item], [1], set_aside=step.set_aside, rng=4)
    assert again.item not in step.set_aside


def test_content_balancing_keeps_every_prefix_balanced(params):
    cats = np.array(["TWK", "TIU", "TKP"])[np.arange(params.n_items) % 3]
    bank = Bank(params, categories=cats)
    targets = {"TWK": 6, "TIU": 7, "TKP": 9}
    rules = CATRules(content=ContentBalancing(targets))
    administered, _, steps = _run(bank, rules, 1.0, seed=12)
    got = [cats[bank.index([i])[0]] for i in administered]
    assert {c: got.count(c) for c in targets} == targets
    for k in range(1, len(got) + 1):  # never more than one item ahead of the target share
        for c, t in targets.items():
            assert got[:k].count(c) <= np.ceil(k * t / 22) + 1


def test_polytomous_items_in_the_cat():
    dich = simulate_parameters(80, "2pl", rng=1)
    grm = simulate_parameters(40, "grm", n_categories=4, rng=2)
    gpcm = simulate_parameters(40, "gpcm", n_categories=3, rng=3)
    thr = np.full((160, 3), np.nan)
    thr[:80, 0] = dich.b
    thr[80:120] = grm.thresholds
    thr[120:, :2] = gpcm.thresholds[:, :2]
    params = ItemParameters.from_arrays(
        np.concatenate([dich.a, grm.a, gpcm.a]),
        thresholds=thr,
        models=["2pl"] * 80 + ["grm"] * 40 + ["gpcm"] * 40,
        ids=[f"i{j}" for j in range(160)],
    )
    bank = Bank(params)
    administered, responses, steps = _run(bank, CATRules(stopping=(MaxLength(20),)), 0.9, seed=2)
    models = {params.models[params.ids.index(i)] for i in administered}
    assert {"grm", "gpcm"} & models  # polytomous items are informative and get chosen
    assert max(responses) >= 2
    x = np.full((1, 160), np.nan)
    x[0, params.index(administered)] = responses
    est = estimate_ability(x, params, "eap", quadrature=bank.quadrature)
    assert steps[-1].theta == pytest.approx(est.theta[0], abs=1e-4)
    with pytest.raises(CATError, match="not a category"):
        next_item(bank, CATRules(), ["i130"], [3])


# ---------------------------------------------------------------------------- bad input


def test_bank_smaller_than_the_test(params):
    small = Bank(params.subset(range(20)))
    with pytest.raises(CATError, match="needs 30 items but the bank has only 20"):
        next_item(small, CATRules())


def test_unknown_and_repeated_items(bank):
    with pytest.raises(CATError, match="'nope' is not in the item bank"):
        next_item(bank, CATRules(), ["item1", "nope"], [1, 0])
    with pytest.raises(CATError, match="appears twice"):
        next_item(bank, CATRules(), ["item1", "item1"], [1, 0])
    with pytest.raises(CATError, match="2 administered items but 1 responses"):
        next_item(bank, CATRules(), ["item1", "item2"], [1])
    with pytest.raises(CATError, match="not in the item bank"):
        next_item(bank, CATRules(), set_aside=["ghost"])


def test_blueprint_the_bank_cannot_meet(params):
    cats = ["A"] * 250 + ["B"] * 50
    bank = Bank(params, categories=cats)
    with pytest.raises(CATError, match="needs 60 items of category 'B'; the bank has 50"):
        next_item(bank, CATRules(content=ContentBalancing({"A": 10, "B": 60})))
    with pytest.raises(CATError, match="names category 'C'"):
        next_item(bank, CATRules(content=ContentBalancing({"A": 10, "C": 5})))
    with pytest.raises(CATError, match="adds up to 20 items but the maximum length is 15"):
        CATRules(content=ContentBalancing({"A": 10, "B": 10}), stopping=(MaxLength(15),))


def test_rules_from_plain_data_and_unknown_rules():
    data = {
        "selection": {"rule": "kl", "z": 2.0},
        "exposure": {"rule": "randomesque", "n": 4},
        "content": {"rule": "blueprint", "targets": {"TWK": 3, "TIU": 4}},
        "stopping": [{"rule": "se", "threshold": 0.3}, {"rule": "sprt", "cut": 0.5}],
        "min_length": 5,
        "pilot_positions": [3],
    }
    rules = CATRules.from_dict(data)
    assert rules.max_length == 7 and rules.selection.z == 2.0
    assert CATRules.from_dict(rules.to_dict()) == rules
    with pytest.raises(CATError, match="Unknown selection rule 'best'"):
        CATRules.from_dict({"selection": "best"})
    with pytest.raises(CATError, match="Unknown CAT setting 'speed'"):
        CATRules.from_dict({"speed": 3})
    with pytest.raises(CATError, match="exposure rule 'randomesque'"):
        CATRules.from_dict({"exposure": {"rule": "randomesque", "size": 3}})


def test_shadow_test_meets_hard_constraints_with_enemies(params):
    cats = np.array(["A", "B"])[np.arange(60) % 2]
    sub = params.subset(range(60))
    bank = Bank(sub, categories=cats)
    info = item_information(sub, 0.0)[0]
    best_a = [sub.ids[j] for j in np.argsort(-info) if cats[j] == "A"][:3]
    rules = CATRules(content=ShadowTest({"A": 4, "B": 3}, enemies=(tuple(best_a),)))
    administered, _, steps = _run(bank, rules, 0.0, seed=1)
    got = [cats[bank.index([i])[0]] for i in administered]
    assert got.count("A") == 4 and got.count("B") == 3
    assert len(set(administered) & set(best_a)) == 1
    # two more A items are needed, but the only eligible A items (0 and 2) are enemies
    with pytest.raises(CATError, match="No shadow test meets the constraints"):
        assemble_shadow_test(info, bank.category, np.array([2, 0]), np.arange(60) < 3, enemies=(np.array([0, 2]),))


def test_cat_modules_import_each_other_directly_without_a_cycle():
    """No module of scoring.cat imports through the package; each can be the first one imported."""
    package = Path(scoring.cat.__file__).parent
    through_package = [
        f"{path.name}:{node.lineno}"
        for path in package.glob("*.py")
        if path.name != "__init__.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
        and ((node.level == 1 and node.module is None) or (node.level == 0 and node.module == "scoring.cat"))
    ]
    assert through_package == []
    code = (
        "import importlib, pkgutil, sys\n"
        "import scoring.cat\n"
        "names = [m.name for m in pkgutil.iter_modules(scoring.cat.__path__, 'scoring.cat.')]\n"
        "for name in names:\n"
        "    for loaded in [m for m in sys.modules if m.split('.')[0] == 'scoring']:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
        "print(len(names))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=package.parents[1], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 9
