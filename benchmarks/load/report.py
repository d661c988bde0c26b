"""Turn a load run (``requests.jsonl``, ``phases.json``, ``cpu.csv`` in one folder) into the
Markdown tables of ``benchmarks/README.md``, with the targets checked.

    python benchmarks/load/report.py /tmp/ujian-load/run
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

TARGET_SAVE_P99_MS = 200
TARGET_SPIKE_P99_MS = 1000
TARGET_RATIO = 0.6  # issue 16: saves/s at least 60% of pings/s


def load(folder: Path):
    phases = json.loads((folder / "phases.json").read_text())
    rows = [json.loads(line) for line in (folder / "requests.jsonl").open() if line.strip()]
    cpu = []
    if (folder / "cpu.csv").exists():
        with (folder / "cpu.csv").open() as handle:
            cpu = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]
    return phases, rows, cpu


def pct(values, q):
    return float(np.percentile(values, q)) if len(values) else float("nan")


def _span(cpu, start, end):
    """The sampler's first and last rows between start and end (None: fewer than two)."""
    inside = [row for row in cpu if start <= row["t"] <= end]
    return (inside[0], inside[-1]) if len(inside) >= 2 else None


def cpu_share(cpu, start, end, cores):
    """Per group, the share of the machine's capacity (all cores) used between start and end."""
    span = _span(cpu, start, end)
    if span is None:
        return None
    first, last = span
    wall = (last["t"] - first["t"]) * cores
    return {k: (last[k] - first[k]) / wall for k in ("locust", "gunicorn", "postgres", "postgres_other", "other")}


def cpu_per_request(cpu, start, end, requests):
    """Per group, milliseconds of CPU per request answered between start and end (the sampler's
    counters are cumulative CPU seconds): what a request costs under load, scheduling, connection
    handling and contention included, for the sizing table."""
    span = _span(cpu, start, end)
    if span is None or not requests:
        return None
    first, last = span
    return {k: 1000 * (last[k] - first[k]) / requests for k in ("locust", "gunicorn", "postgres")}


def cpu_table(phases, bounds, by_phase, cpu) -> list[str]:
    """The CPU per request of every phase (:func:`cpu_per_request`), as Markdown lines."""
    lines = ["CPU per request answered (ms; the sampler's counters over the phase, divided by its requests):", ""]
    lines.append("| phase | requests | gunicorn | PostgreSQL | locust |")
    lines.append("|---|---:|---:|---:|---:|")
    for phase, _, _ in phases["phases"]:
        per = cpu_per_request(cpu, *bounds[phase], len(by_phase[phase]))
        if per is not None:
            lines.append(f"| {phase} | {len(by_phase[phase]):,} | {per['gunicorn']:.2f} | {per['postgres']:.2f} "
                         f"| {per['locust']:.2f} |")  # fmt: skip
    return [*lines, ""]


def deadline_verdict(finish, candidates: int) -> list[str]:
    """``LOAD_FINISH=deadline``: every candidate's time ran out and the server ended the session
    (the player asks ``/jam`` meanwhile, then opens the result): met when every one saw its result
    and no request of the phase failed or timed out."""
    polls = [r["ms"] for r in finish if r["name"] == "GET jam (time up)"]
    if not polls:
        return []
    results = sum(1 for r in finish if r["name"] == "GET hasil (after the deadline)" and r["ok"])
    errors = sum(not r["ok"] for r in finish)
    ok = results == candidates and errors == 0
    return [f"- {candidates:,} deadlines absorbed by the expiry path without a timeout: {'met' if ok else 'NOT met'} "
            f"({results:,} result pages after the server ended the session; {len(polls):,} clock polls, p99 "
            f"{fmt_ms(pct(polls, 99))} ms; {errors} errors in the phase)"]  # fmt: skip


def fmt_ms(value):
    return "n/a" if value != value else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def report(folder: Path, cores: int = 2) -> str:
    phases, rows, cpu = load(folder)
    bounds = {name: (start, end) for name, start, end in phases["phases"]}
    by_phase = defaultdict(list)
    for row in rows:
        by_phase[row["phase"]].append(row)
    lines = []

    def cpu_cells(phase):
        share = cpu_share(cpu, *bounds[phase], cores) if cpu else None
        if share is None:
            return "n/a | n/a | n/a | n/a"
        busy = sum(share.values())
        return (f"{share['locust']:.0%} | {share['gunicorn']:.0%} | {share['postgres']:.0%} | "
                f"{share['other'] + share['postgres_other']:.0%} (idle {max(0.0, 1 - busy):.0%})")  # fmt: skip

    # Steady levels
    lines.append("| phase | candidates | saves/s | save p50 ms | p95 | p99 | max | requests/s (all) | errors "
                 "| CPU locust | gunicorn | PostgreSQL | other (idle) |")  # fmt: skip
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    verdicts = []
    steady = [p for p, _, _ in phases["phases"] if p.startswith("steady@")]
    for phase in steady:
        start, end = bounds[phase]
        sample = by_phase[phase]
        saves = [r["ms"] for r in sample if r["name"].startswith("POST jawaban")]
        errors = sum(not r["ok"] for r in sample)
        level = int(phase.split("@")[1])
        lines.append(
            f"| {phase} | {level:,} | {len(saves) / (end - start):.1f} | {fmt_ms(pct(saves, 50))} | "
            f"{fmt_ms(pct(saves, 95))} | {fmt_ms(pct(saves, 99))} | {fmt_ms(max(saves, default=float('nan')))} | "
            f"{len(sample) / (end - start):.1f} | {errors} | {cpu_cells(phase)} |"
        )
        if level == max(phases["levels"]):
            ok = pct(saves, 99) <= TARGET_SAVE_P99_MS and errors == 0
            verdicts.append(
                f"- {level:,} concurrent, p99 save ≤ {TARGET_SAVE_P99_MS} ms and zero errors: "
                f"{'met' if ok else 'NOT met'} (p99 {fmt_ms(pct(saves, 99))} ms, {errors} errors)"
            )
    lines.append("")

    # Login, spike, saturation, finish per request name
    lines.append("| phase | request | count | per s | p50 ms | p95 | p99 | max | errors |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for phase in ("login", "spike", "spike-drain", "saturation-save", "saturation-ping", "finish"):
        if phase not in bounds:
            continue
        start, end = bounds[phase]
        names = defaultdict(list)
        for r in by_phase[phase]:
            names[r["name"]].append(r)
        for name, sample in sorted(names.items()):
            ms = [r["ms"] for r in sample]
            errors = sum(not r["ok"] for r in sample)
            lines.append(
                f"| {phase} | {name} | {len(ms):,} | {len(ms) / max(end - start, 1):.1f} | {fmt_ms(pct(ms, 50))} | "
                f"{fmt_ms(pct(ms, 95))} | {fmt_ms(pct(ms, 99))} | {fmt_ms(max(ms))} | {errors} |"
            )
    lines.append("")
    spike = by_phase["spike"]
    if spike:
        starts = [r["ms"] for r in spike if r["name"] == "POST mulai (start)"]
        everything = [r["ms"] for r in spike]
        errors = sum(not r["ok"] for r in spike)
        ok = pct(starts, 99) <= TARGET_SPIKE_P99_MS and errors == 0
        verdicts.append(f"- start spike ({len(starts):,} starts in {bounds['spike'][1] - bounds['spike'][0]:.0f} s), "
                        f"p99 start ≤ {TARGET_SPIKE_P99_MS} ms: {'met' if ok else 'NOT met'} "
                        f"(start p99 {fmt_ms(pct(starts, 99))} ms; every spike request p99 "
                        f"{fmt_ms(pct(everything, 99))} ms; {errors} errors)")  # fmt: skip
    verdicts.extend(deadline_verdict(by_phase["finish"], max(phases["levels"])))
    sat_save = [r for r in by_phase["saturation-save"] if r["name"] == "POST jawaban (saturation)"]
    sat_ping = [r for r in by_phase["saturation-ping"] if r["name"] == "GET /ujian/ping (saturation)"]
    if sat_save and sat_ping:
        save_rate = len(sat_save) / (bounds["saturation-save"][1] - bounds["saturation-save"][0])
        ping_rate = len(sat_ping) / (bounds["saturation-ping"][1] - bounds["saturation-ping"][0])
        ratio = save_rate / ping_rate
        verdicts.append(f"- save throughput ≥ {TARGET_RATIO:.0%} of the trivial endpoint: "
                        f"{'met' if ratio >= TARGET_RATIO else 'NOT met'} ({save_rate:.0f} saves/s vs "
                        f"{ping_rate:.0f} pings/s = {ratio:.0%})")  # fmt: skip
        lines.append(f"CPU during saturation (saves): {cpu_cells('saturation-save')}; "
                     f"(ping): {cpu_cells('saturation-ping')} — locust | gunicorn | PostgreSQL | other")  # fmt: skip
        lines.append("")
    lines.extend(cpu_table(phases, bounds, by_phase, cpu) if cpu else [])
    all_errors = [r for r in rows if not r["ok"]]
    kinds = defaultdict(int)
    for r in all_errors:
        kinds[f"{r['name']}: {r['error']}"] += 1
    lines.append(f"Errors in the whole run: {len(all_errors)}")
    lines.extend(f"- {count} × {kind}" for kind, count in sorted(kinds.items(), key=lambda x: -x[1])[:10])
    lines.append("")
    lines.append("Targets:")
    lines.extend(verdicts)
    return "\n".join(lines)


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/ujian-load/run")
    text = report(folder)
    (folder / "report.md").write_text(text + "\n")
    print(text)
