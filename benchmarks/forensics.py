"""Benchmark: answer-copying, person-fit and response-time forensics on simulated sessions (issue 7).

Sessions of 500 candidates x 100 items from ``simulate_session`` of
``tests/proctoring/forensics_simulation.py`` (3PL, 4-5 options per item, distractor shares
~ Dirichlet(2), lognormal times), 25 planted copiers each copying a random ``copy_fraction`` of
the answers of a distinct honest source, and 25 candidates with pre-knowledge of 20% of the items
(keyed answers, 4x faster). Abilities are estimated by the engine (WLE) with the true item
parameters, as production would with the calibrated bank.

Prints:

1. time of omega over all 500 x 499 ordered pairs (best of ``--repeats``), and of the whole
   pipeline (scoring, θ̂, omega, strongest source per candidate);
2. copying power and false-positive rate per copy fraction at the per-pair threshold
   ``0.01 / 499`` (Bonferroni over a candidate's 499 possible sources, so that an honest candidate
   is flagged with probability <= 0.01) and at p < 1e-4;
3. the null distribution of omega at estimated θ;
4. response-time model recovery and l_t aberrance power for pre-knowledge (and lz* for contrast).

Run from the project root::

    .venv/bin/python benchmarks/forensics.py
    .venv/bin/python benchmarks/forensics.py --replications 4     # quicker
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proctoring.forensics import (  # noqa: E402
    correct_probabilities,
    fit_lognormal_rt,
    omega,
    rt_aberrance,
    score_choices,
    strongest_sources,
)
from scoring.ability import estimate_ability  # noqa: E402
from tests.proctoring.forensics_simulation import evaluate_detection, simulate_session  # noqa: E402

SEED = 7007
N_PERSONS, N_ITEMS, N_COPIERS = 500, 100, 25
ALPHA = 0.01


def timing(repeats: int) -> tuple[list[float], list[float]]:
    session = simulate_session(N_PERSONS, N_ITEMS, n_copiers=N_COPIERS, rng=SEED)
    responses = score_choices(session.choices, session.key)
    theta = estimate_ability(responses, session.params, "wle").theta
    p = correct_probabilities(session.params, theta)
    omega_times, pipeline_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        omega(session.choices, session.key, p, n_options=session.n_options)
        omega_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        th = estimate_ability(score_choices(session.choices, session.key), session.params, "wle").theta
        index = omega(session.choices, session.key, correct_probabilities(session.params, th))
        strongest_sources(index)
        pipeline_times.append(time.perf_counter() - start)
    return omega_times, pipeline_times


def copying(replications: int) -> None:
    print(f"\nAnswer copying, {replications} sessions of {N_PERSONS} x {N_ITEMS} per row, {N_COPIERS} copiers each")
    bonferroni = ALPHA / (N_PERSONS - 1)
    header = (
        f"{'copied':>7} {'copiers':>8} {'power':>7} {'FPR':>8} {'sources':>8} | "
        f"{'power':>7} {'FPR':>8}   (left: p < {bonferroni:.1e}; right: p < 1e-4)"
    )
    print(header)
    null = []
    for fraction in (0.25, 0.5, 0.75):
        hits, fp, srcs, hits4, fp4, n_cop, n_honest, n_src = 0, 0, 0, 0, 0, 0, 0, 0
        for r in range(replications):
            session = simulate_session(N_PERSONS, N_ITEMS, n_copiers=N_COPIERS, copy_fraction=fraction, rng=SEED + r)
            report = evaluate_detection(session, alpha=ALPHA)
            p = np.asarray(report.index.p_value)
            source = np.asarray(session.source)
            copiers = np.flatnonzero(source >= 0)
            is_source = np.zeros(N_PERSONS, bool)
            is_source[source[copiers]] = True
            honest = (source < 0) & ~is_source & ~np.asarray(session.preknowledge)
            flag, flag4 = p < bonferroni, p < 1e-4
            hits += flag[copiers, source[copiers]].sum()
            hits4 += flag4[copiers, source[copiers]].sum()
            fp += flag.any(axis=1)[honest].sum()
            fp4 += flag4.any(axis=1)[honest].sum()
            srcs += flag.any(axis=1)[is_source].sum()
            n_cop, n_honest, n_src = n_cop + copiers.size, n_honest + honest.sum(), n_src + is_source.sum()
            if fraction == 0.5:
                om = np.asarray(report.index.omega)[np.ix_(honest, honest)]
                null.append(om[~np.isnan(om)])
        print(
            f"{fraction:>7.0%} {n_cop:>8d} {hits / n_cop:>7.3f} {fp / n_honest:>8.4f} {srcs / n_src:>8.3f} | "
            f"{hits4 / n_cop:>7.3f} {fp4 / n_honest:>8.4f}"
        )
    values = np.concatenate(null)
    print(
        f"omega among honest candidates (θ̂ by WLE): mean {values.mean():+.3f}, sd {values.std():.3f}, "
        f"P(ω > 2.326) = {np.mean(values > 2.326):.4f} (nominal 0.01), max {values.max():.2f}, {values.size:,} pairs"
    )


def response_times(replications: int) -> None:
    print(f"\nResponse times, {replications} sessions of {N_PERSONS} x {N_ITEMS}, 25 with pre-knowledge of 20% items")
    rmse = {"alpha": [], "beta": [], "tau": []}
    for r in range(replications):
        clean = simulate_session(N_PERSONS, N_ITEMS, n_copiers=0, n_preknowledge=0, rng=SEED + 100 + r)
        fit = fit_lognormal_rt(clean.times)
        rmse["alpha"].append(np.sqrt(np.mean((fit.alpha - clean.alpha) ** 2)))
        rmse["beta"].append(np.sqrt(np.mean((fit.beta - clean.beta) ** 2)))
        rmse["tau"].append(np.sqrt(np.mean((fit.tau - (clean.tau - clean.tau.mean())) ** 2)))
    print(
        "recovery without aberrance (mean RMSE): "
        + ", ".join(f"{name} {np.mean(v):.4f}" for name, v in rmse.items())
        + "  (true α ~ U(1.5, 2.5), β ~ N(3.8, 0.35²), τ ~ N(0, 0.25²))"
    )
    print(f"{'speed-up':>9} {'l_t power':>10} {'l_t FPR':>8} {'lz* power':>10} {'lz* FPR':>8}   (p < {ALPHA})")
    for speedup in (1.5, 2.0, 4.0):
        rows = []
        for r in range(replications):
            session = simulate_session(
                N_PERSONS, N_ITEMS, n_copiers=0, n_preknowledge=25, preknowledge_speedup=speedup, rng=SEED + 200 + r
            )
            report = evaluate_detection(session, alpha=ALPHA)
            rows.append((report.rt_power, report.rt_fpr, report.lz_power, report.lz_fpr))
        m = np.mean(rows, axis=0)
        print(f"{speedup:>8.1f}x {m[0]:>10.3f} {m[1]:>8.4f} {m[2]:>10.3f} {m[3]:>8.4f}")
    session = simulate_session(N_PERSONS, N_ITEMS, n_copiers=0, n_preknowledge=0, rng=SEED + 300)
    start = time.perf_counter()
    rt_aberrance(session.times)
    print(f"lognormal fit + l_t for {N_PERSONS} x {N_ITEMS}: {time.perf_counter() - start:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    omega_times, pipeline_times = timing(args.repeats)
    print(f"omega, all ordered pairs of {N_PERSONS} x {N_ITEMS}")
    print(f"  omega only      best {min(omega_times):.3f} s   runs {', '.join(f'{t:.3f}' for t in omega_times)}")
    print(f"  with θ̂ (WLE)    best {min(pipeline_times):.3f} s   runs {', '.join(f'{t:.3f}' for t in pipeline_times)}")
    copying(args.replications)
    response_times(max(2, args.replications // 4))


if __name__ == "__main__":
    main()
