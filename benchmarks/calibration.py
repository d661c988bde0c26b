"""Benchmark: 2PL calibration and EAP scoring against girth (issue 3).

Scenarios (simulated 2PL data, a ~ log-normal(0, 0.3), b ~ N(0, 1), θ ~ N(0, 1)):

1. 20,000 x 100: this engine and ``girth.twopl_mml`` on the same data; time, RMSE(a), RMSE(b),
   the speed ratio (target: >= 30x) and the RMSE differences with their standard errors.
2. 100,000 x 100 calibration (target: <= 3 s).
3. EAP scoring of 1,000,000 x 100 (target: <= 3 s).
4. 1,000,000 x 100 calibration in a fresh process; peak resident memory of that process,
   including the float32 response matrix itself (target: <= 2 GB).

Both engines are timed the same way: one untimed warm-up run, then the best of ``--repeats``
timed runs (the machine is shared; the spread is printed too). Each gets the data in its own
layout prepared before its clock starts (ours: float32 persons x items; girth: int items x
persons). Run from the project root::

    .venv/bin/python benchmarks/calibration.py
    .venv/bin/python benchmarks/calibration.py --quick      # sizes / 10 (girth on 2,000 x 100)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring.ability import estimate_ability  # noqa: E402
from scoring.calibration import MMLCalibrator  # noqa: E402
from scoring.models import ItemParameters  # noqa: E402
from scoring.simulate import simulate_parameters, simulate_responses  # noqa: E402

SEED = 20240


def data(n_persons: int, n_items: int, seed: int = SEED, dtype=np.float32):
    rng = np.random.default_rng(seed)
    params = simulate_parameters(n_items, "2pl", rng=rng)
    theta = rng.normal(0.0, 1.0, n_persons)
    return params, theta, simulate_responses(params, theta, rng=rng, dtype=dtype)


def rmse(est: np.ndarray, true: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(est) - np.asarray(true)) ** 2)))


def rmse_difference(error_a: np.ndarray, error_b: np.ndarray) -> tuple[float, float]:
    """RMSE(a) - RMSE(b) of paired errors (same units, e.g. items or examinees) and its standard error.

    Delta method (Casella & Berger 2002, sec. 5.5.4): with R = sqrt(mean(e²)), R_a - R_b is
    approximately the mean of d_i = e_ai² / (2 R_a) - e_bi² / (2 R_b), whose SE is sd(d) / sqrt(n).
    """
    sq_a, sq_b = np.asarray(error_a, dtype=float) ** 2, np.asarray(error_b, dtype=float) ** 2
    r_a, r_b = np.sqrt(sq_a.mean()), np.sqrt(sq_b.mean())
    d = sq_a / (2 * r_a) - sq_b / (2 * r_b)
    return float(r_a - r_b), float(d.std(ddof=1) / np.sqrt(d.size))


def timed(run, repeats: int, prepare=tuple):
    """One untimed warm-up call, then ``repeats`` timed calls: (seconds of each, last result).

    Each call is ``run(*prepare())``; ``prepare`` (input conversion, fresh state) runs outside the clock.
    """
    result = run(*prepare())
    times = []
    for _ in range(repeats):
        arguments = prepare()
        start = time.perf_counter()
        result = run(*arguments)
        times.append(time.perf_counter() - start)
    return times, result


def ours(responses: np.ndarray, repeats: int):
    return timed(lambda: MMLCalibrator("2pl", se_method=None).fit(responses), repeats)


def memory_child(n_persons: int, n_items: int) -> None:
    """Run in a fresh process: simulate in float32 blocks, calibrate, print JSON."""
    params, _, x = data(n_persons, n_items)
    start = time.perf_counter()
    est = MMLCalibrator("2pl", se_method=None).fit(x)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "peak_gb": peak,
                "rmse_a": rmse(est.params_.a, params.a),
                "rmse_b": rmse(est.params_.b, params.b),
                "iterations": est.n_iter_,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes / 10")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return
    scale = 10 if args.quick else 1
    rows = []

    # 1. against girth
    n1 = 20_000 // scale
    params, _, x = data(n1, 100)
    times, est = ours(x, args.repeats)
    t_ours = min(times)
    ra, rb = rmse(est.params_.a, params.a), rmse(est.params_.b, params.b)
    rows.append((f"2PL {n1:,} x 100, this engine", t_ours, times, ra, rb, est.n_iter_))
    import girth

    girth_layout = x.T.astype(int)  # girth wants items x persons integers; converted before its clock
    girth_times, res = timed(lambda: girth.twopl_mml(girth_layout), args.repeats)
    t_girth = min(girth_times)
    ga, gb = rmse(res["Discrimination"], params.a), rmse(res["Difficulty"], params.b)
    rows.append((f"2PL {n1:,} x 100, girth.twopl_mml", t_girth, girth_times, ga, gb, None))
    diff_a = rmse_difference(est.params_.a - params.a, res["Discrimination"] - params.a)
    diff_b = rmse_difference(est.params_.b - params.b, res["Difficulty"] - params.b)

    # 2. 100k calibration
    n2 = 100_000 // scale
    params, _, x = data(n2, 100, seed=SEED + 1)
    times, est = ours(x, args.repeats)
    rows.append(
        (
            f"2PL {n2:,} x 100, this engine",
            min(times),
            times,
            rmse(est.params_.a, params.a),
            rmse(est.params_.b, params.b),
            est.n_iter_,
        )
    )
    del x

    # 3. EAP scoring of 1M
    n3 = 1_000_000 // scale
    params, theta, x = data(n3, 100, seed=SEED + 2)
    bank = ItemParameters.from_arrays(params.a, params.b)
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        scores = estimate_ability(x, bank, "eap")
        times.append(time.perf_counter() - start)
    rows.append((f"EAP scoring {n3:,} x 100", min(times), times, None, rmse(scores.theta, theta), None))
    del x, scores

    # 4. memory of a 1M calibration, in a fresh process
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(1_000_000 // scale), "100"],
        check=True,
        capture_output=True,
        text=True,
    )
    child = json.loads(out.stdout.strip().splitlines()[-1])

    print(f"{'scenario':<40} {'best s':>8} {'all runs s':>22} {'RMSE(a)':>8} {'RMSE(b)':>8} {'EM steps':>8}")
    for name, best, all_runs, ra_, rb_, iters in rows:
        runs = ", ".join(f"{t:.2f}" for t in all_runs)
        fa = f"{ra_:.4f}" if ra_ is not None else "-"
        fb = f"{rb_:.4f}" if rb_ is not None else "-"
        print(f"{name:<40} {best:>8.2f} {runs:>22} {fa:>8} {fb:>8} {iters if iters else '-':>8}")
    print(
        f"{'2PL ' + format(1_000_000 // scale, ',') + ' x 100, fresh process':<40} {child['seconds']:>8.2f} "
        f"{'':>22} {child['rmse_a']:>8.4f} {child['rmse_b']:>8.4f} {child['iterations']:>8}"
    )
    print(
        f"peak memory of the {1_000_000 // scale:,}-person calibration process: {child['peak_gb']:.2f} GiB"
        " (data included)"
    )
    print(f"speed ratio girth / this engine at {n1:,} x 100 (best of {args.repeats} warm runs each): "
          f"{t_girth / t_ours:.1f}x")  # fmt: skip
    print(
        f"RMSE difference (this - girth) over the 100 items, ± SE: a {diff_a[0]:+.4f} ± {diff_a[1]:.4f}, "
        f"b {diff_b[0]:+.4f} ± {diff_b[1]:.4f}"
    )
    print("EAP scoring RMSE(b) column shows RMSE(theta) against the true abilities.")


if __name__ == "__main__":
    main()
