"""Benchmark: adaptive testing (issue 4).

Two parts, one table:

1. The stateless CAT step (:func:`scoring.cat.next_item`) as the web server calls it, once per
   request, on a 10,000-item 2PL bank with a TWK/TIU/TKP blueprint of 30/35/45 items (content
   balancing) and Sympson-Hetter exposure control (parameters fitted by simulation first, target
   0.25). Every call gets the candidate's whole history, as a request would; median and p99 time
   per step over complete 110-item tests. Targets: median at most 1 ms, p99 at most 5 ms.
2. A side-by-side simulation with catsim 0.21 on one 1,000-item 2PL bank and the same true θ:
   30 fixed-length items, maximum Fisher information, no exposure control. catsim estimates θ by
   maximum likelihood (its ``NumericalSearchEstimator`` with Dodd's rule for constant patterns)
   from a start of 0; ours is the EAP with an N(0, 1) prior. Time per step is the simulation time
   divided by examinees x 30. Targets: at least 200x faster per step, RMSE(θ) no worse.

Run from the project root (``make bench`` installs catsim through the ``bench`` extra)::

    .venv/bin/python benchmarks/cat.py
    .venv/bin/python benchmarks/cat.py --candidates 30 --catsim-examinees 100   # quick run
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring.cat import Bank, CATRules, ContentBalancing, MaxLength, SympsonHetter, next_item  # noqa: E402
from scoring.cat_simulation import fit_sympson_hetter, simulate_cat  # noqa: E402
from scoring.simulate import simulate_parameters  # noqa: E402

BLUEPRINT = {"TWK": 30, "TIU": 35, "TKP": 45}


def stateless_steps(n_candidates: int, rng: np.random.Generator) -> tuple[np.ndarray, float, dict]:
    """Seconds per :func:`next_item` call over complete tests, bank build + fit time, fit summary."""
    params = simulate_parameters(10_000, "2pl", rng=rng)
    categories = rng.choice(list(BLUEPRINT), size=10_000, p=[0.27, 0.32, 0.41])
    start = time.perf_counter()
    bank = Bank(params, categories=categories)
    rules = CATRules(content=ContentBalancing(BLUEPRINT), exposure=SympsonHetter())
    bank, history = fit_sympson_hetter(bank, rules, 0.25, n_examinees=1000, n_iter=8, rng=rng)
    setup = time.perf_counter() - start
    check = simulate_cat(bank, rules, rng.normal(size=2000), rng=rng).summary(BLUEPRINT)
    times = []
    for _ in range(n_candidates):
        theta = rng.normal()
        administered: list[str] = []
        responses: list[int] = []
        aside: list[str] = []
        while True:
            t0 = time.perf_counter()
            step = next_item(bank, rules, administered, responses, set_aside=aside, rng=rng)
            times.append(time.perf_counter() - t0)
            if step.stop:
                break
            j = bank.index([step.item])[0]
            administered.append(step.item)
            aside.extend(step.set_aside)
            responses.append(int(rng.random() < 1.0 / (1.0 + np.exp(-params.a[j] * (theta - params.b[j])))))
        assert len(administered) == 110
    return np.array(times), setup, {"fit_history": history, **check}


def ours(params, theta, rng) -> tuple[float, float]:
    """Seconds per examinee-step and RMSE of the vectorised simulator (after one warm-up run)."""
    bank = Bank(params)
    rules = CATRules(stopping=(MaxLength(30),))
    simulate_cat(bank, rules, theta[:50], rng=rng)
    start = time.perf_counter()
    sim = simulate_cat(bank, rules, theta, rng=rng)
    elapsed = time.perf_counter() - start
    return elapsed / (theta.shape[0] * 30), float(np.sqrt(np.mean((sim.theta - theta) ** 2)))


def ours_stateless(params, theta, rng) -> float:
    """Seconds per stateless :func:`next_item` call on the 1,000-item bank (one candidate at a time)."""
    bank = Bank(params)
    rules = CATRules(stopping=(MaxLength(30),))
    times = []
    for t in theta:
        administered: list[str] = []
        responses: list[int] = []
        for _ in range(30):
            t0 = time.perf_counter()
            step = next_item(bank, rules, administered, responses)
            times.append(time.perf_counter() - t0)
            j = bank.index([step.item])[0]
            administered.append(step.item)
            responses.append(int(rng.random() < 1.0 / (1.0 + np.exp(-params.a[j] * (t - params.b[j])))))
    return float(np.mean(times))


def catsim_run(params, theta) -> tuple[float, float]:
    """Seconds per step and RMSE of catsim's simulator on the same bank and θ."""
    from catsim.estimation import NumericalSearchEstimator
    from catsim.initialization import FixedPointInitializer
    from catsim.selection import MaxInfoSelector
    from catsim.simulation import Simulator
    from catsim.stopping import TestLengthStopper

    items = np.column_stack([params.a, params.b, np.zeros(params.n_items), np.ones(params.n_items)])
    sim = Simulator(items, theta, seed=1)
    start = time.perf_counter()
    sim.simulate(FixedPointInitializer(0.0), MaxInfoSelector(), NumericalSearchEstimator(), TestLengthStopper(30, 30))
    elapsed = time.perf_counter() - start
    estimates = np.array(sim.latest_estimations)
    return elapsed / (theta.shape[0] * 30), float(np.sqrt(np.mean((estimates - theta) ** 2)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=100, help="complete 110-item tests through next_item")
    parser.add_argument("--examinees", type=int, default=2000, help="examinees of our simulator")
    parser.add_argument("--catsim-examinees", type=int, default=300, help="examinees given to catsim (slow)")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    times, setup, check = stateless_steps(args.candidates, rng)
    ms = times * 1e3
    median, p99 = float(np.median(ms)), float(np.percentile(ms, 99))

    params = simulate_parameters(1000, "2pl", rng=rng)
    theta = rng.normal(size=args.examinees)
    our_step, our_rmse = ours(params, theta, rng)
    stateless = ours_stateless(params, theta[:50], rng)
    try:
        cat_step, cat_rmse = catsim_run(params, theta[: args.catsim_examinees])
        cat_same_step, cat_same_rmse = ours(params, theta[: args.catsim_examinees], rng)
    except ImportError:
        cat_step = cat_rmse = cat_same_rmse = float("nan")
        print("catsim is not installed: pip install -e '.[bench]'", file=sys.stderr)

    rows = [
        ("10,000-item bank, blueprint 30/35/45 + Sympson-Hetter (0.25)", "", ""),
        (f"  next_item median per step ({ms.size:,} steps)", f"{median:.3f} ms", "<= 1 ms"),
        ("  next_item p99 per step", f"{p99:.3f} ms", "<= 5 ms"),
        ("  bank tables + Sympson-Hetter fit (8 x 1,000 tests)", f"{setup:.1f} s", ""),
        (
            "  max exposure / blueprint met (2,000 new tests)",
            f"{check['max_exposure']:.3f} / {check['blueprint_met']:.0%}",
            "<= 0.25 / 100%",
        ),  # fmt: skip
        ("1,000-item 2PL bank, 30 items, max information", "", ""),
        (f"  catsim 0.21 per step ({args.catsim_examinees} examinees)", f"{cat_step * 1e3:.3f} ms", ""),
        (f"  ours, simulate_cat per step ({args.examinees:,} examinees)", f"{our_step * 1e6:.2f} µs", ""),
        ("  speed-up per step", f"{cat_step / our_step:,.0f}x", ">= 200x"),
        (
            "  ours, stateless next_item per step (1 candidate)",
            f"{stateless * 1e3:.3f} ms",
            f"{cat_step / stateless:,.1f}x catsim",
        ),  # fmt: skip
        (
            f"  RMSE(θ) catsim / ours, same {args.catsim_examinees} examinees",
            f"{cat_rmse:.3f} / {cat_same_rmse:.3f}",
            "ours <= catsim",
        ),  # fmt: skip
        (f"  RMSE(θ) ours, {args.examinees:,} examinees", f"{our_rmse:.3f}", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure':<{width}} | {'value':>16} | {'target':<16} |")
    print(f"|{'-' * (width + 2)}|{'-' * 17}:|{'-' * 18}|")
    for name, value, target in rows:
        print(f"| {name:<{width}} | {value:>16} | {target:<16} |")
    ok = median <= 1.0 and p99 <= 5.0 and cat_step / our_step >= 200 and cat_same_rmse <= cat_rmse
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
