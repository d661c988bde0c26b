"""Benchmark: rank 4,000,000 applicants across 250,000 positions (issue 8).

Simulated national-rules period: SKD sections TWK/TIU/TKP scored in whole points (so ties are
common and the tie-break keys are exercised), four applicant categories, 3x shortlist, a field
test of computer test (50%), interview (30%) and another test (20%), equivalence groups of about
eight positions, and positions so unpopular that vacancy filling has work to do.

Run from the project root::

    .venv/bin/python benchmarks/selection.py            # full size, limit 30 s
    .venv/bin/python benchmarks/selection.py --applicants 400000 --positions 25000

Prints one row per phase (seconds) and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring.selection import (  # noqa: E402
    Applicants,
    FieldComponent,
    Positions,
    Status,
    ThresholdRule,
    national_rules,
    select,
)

LIMIT_SECONDS = 30.0


def simulate(n: int, n_positions: int, rng: np.random.Generator) -> tuple[Applicants, Positions]:
    """A period of ``n`` applicants and ``n_positions`` positions with national-rules scales."""
    popularity = rng.lognormal(0.0, 1.2, n_positions)
    position = rng.choice(n_positions, size=n, p=popularity / popularity.sum()).astype(np.int32)
    quota = rng.integers(1, 5, n_positions)
    group = rng.integers(0, n_positions // 8, n_positions)
    group[rng.random(n_positions) < 0.1] = -1

    ability = rng.standard_normal(n)
    twk = 5.0 * rng.binomial(30, 1 / (1 + np.exp(-(0.1 + 0.9 * ability))))
    tiu = 5.0 * rng.binomial(35, 1 / (1 + np.exp(-(0.0 + 0.9 * ability))))
    tkp = 45.0 + rng.binomial(180, 1 / (1 + np.exp(-(0.8 + 0.5 * ability))))
    basic = np.column_stack([twk, tiu, tkp])
    basic[rng.random(n) < 0.03] = np.nan  # did not sit the basic test

    cat = np.round(np.clip(250 + 90 * ability + 60 * rng.standard_normal(n), 0, 500))
    interview = np.round(np.clip(70 + 12 * rng.standard_normal(n), 0, 100))
    other = np.round(np.clip(65 + 15 * rng.standard_normal(n), 0, 100))
    field = np.column_stack([cat, interview, other])
    field[rng.random(n) < 0.02] = np.nan  # did not sit the field test

    applicants = Applicants(
        applicant_id=rng.permutation(np.arange(10**9, 10**9 + n, dtype=np.int64)),
        position=position,
        category=rng.choice(4, size=n, p=[0.85, 0.05, 0.05, 0.05]).astype(np.int8),
        basic_scores=basic,
        education=np.round(rng.uniform(2.75, 4.0, n), 2),
        birth_date=rng.integers(8_000, 12_000, n).astype(np.int32),
        admin_passed=rng.random(n) < 0.92,
        field_scores=field,
    )
    return applicants, Positions(quota=quota, group=group)


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=4_000_000)
    parser.add_argument("--positions", type=int, default=250_000)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()

    rules = national_rules(
        thresholds=(
            ThresholdRule("general", {"TWK": 65, "TIU": 80, "TKP": 166}),
            # Illustrative special-category thresholds for the benchmark, not a decree's values.
            ThresholdRule("cum_laude", {"TKP": 156}, total_minimum=300),
            ThresholdRule("disability", {"TKP": 156}, total_minimum=280),
            ThresholdRule("papua", {"TKP": 156}, total_minimum=280),
        ),
        components=(
            FieldComponent("CAT", "computer", 0.5, 500.0),
            FieldComponent("interview", "interview", 0.3),
            FieldComponent("other", "other", 0.2),
        ),
    )
    started = time.perf_counter()
    applicants, positions = simulate(args.applicants, args.positions, np.random.default_rng(args.seed))
    generated = time.perf_counter() - started
    rss_data = peak_rss_mib()

    marks: list[tuple[str, float]] = []
    start = time.perf_counter()
    result = select(applicants, positions, rules, progress=lambda phase: marks.append((phase, time.perf_counter())))
    total = time.perf_counter() - start

    print(f"{args.applicants:,} applicants, {args.positions:,} positions, seed {args.seed}")
    print(f"(simulating the data took {generated:.2f} s, not counted)\n")
    print(f"| {'phase':<28} | {'seconds':>8} |")
    print(f"|{'-' * 30}|{'-' * 9}:|")
    previous = start
    for phase, at in marks:
        print(f"| {phase:<28} | {at - previous:8.2f} |")
        previous = at
    print(f"| {'total':<28} | {total:8.2f} |")
    print(f"\npeak RSS: {peak_rss_mib():,.0f} MiB (of which {rss_data:,.0f} MiB after simulating the input)")

    status = np.bincount(result.status, minlength=len(Status))
    print("\n" + ", ".join(f"{s.name} {status[s]:,}" for s in Status))
    print(
        f"seats {int(result.quota.sum()):,}, filled {int(result.filled.sum()):,} "
        f"(by filling {int(result.filled_by_filling.sum()):,}), vacant {int(result.vacant.sum()):,}"
    )
    assert (result.filled <= result.quota).all(), "a quota was exceeded"
    verdict = "within" if total <= LIMIT_SECONDS else "OVER"
    print(f"{verdict} the {LIMIT_SECONDS:.0f} s limit")
    return 0 if total <= LIMIT_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
