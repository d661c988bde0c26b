"""Sample how the CPU is shared during a load run: every second, the cumulative CPU seconds of
the load generator, gunicorn (master and workers) and PostgreSQL (our database's backends plus
the server's own processes; backends of other databases are counted apart), and of the machine.

    python benchmarks/load/cpu.py --gunicorn-pid 123 --locust-pid 456 --database ujian_load out.csv

Runs until killed (SIGTERM) or until the gunicorn master exits.
"""

from __future__ import annotations

import argparse
import csv
import signal
import time

import psutil

GROUPS = ("locust", "gunicorn", "postgres", "postgres_other", "other", "machine_busy")


def tree_cpu(pid: int, cache: dict) -> float:
    """CPU seconds (user + system) of a process and its children, remembering the ones that ended."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        procs = []
    for proc in procs:
        try:
            times = proc.cpu_times()
            cache[(proc.pid, proc.create_time())] = times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return sum(cache.values())


def postgres_cpu(database: str, ours: dict, others: dict) -> tuple[float, float]:
    for proc in psutil.process_iter(["name", "cmdline", "create_time"]):
        if proc.info["name"] not in ("postgres", "postmaster"):
            continue
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        cmdline = " ".join(proc.info["cmdline"] or [])
        key = (proc.pid, proc.info["create_time"])
        # Backends read "postgres: [CLUSTER:] USER DATABASE HOST(PORT) STATE"; auxiliary processes name no database.
        parts = cmdline.split()[1:]
        if parts and parts[0].endswith(":"):
            parts = parts[1:]
        is_backend = len(parts) >= 3 and ("(" in parts[2] or parts[2] == "[local]")
        backend_db = parts[1] if is_backend else None
        target = others if backend_db and backend_db != database else ours
        target[key] = times.user + times.system
    return sum(ours.values()), sum(others.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gunicorn-pid", type=int, required=True)
    parser.add_argument("--locust-pid", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("output")
    args = parser.parse_args()
    running = True

    def stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    caches = {"gunicorn": {}, "locust": {}, "pg": {}, "pg_other": {}}
    with open(args.output, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["t", *GROUPS])
        while running and psutil.pid_exists(args.gunicorn_pid):
            machine = psutil.cpu_times()
            busy = machine.user + machine.nice + machine.system + machine.irq + machine.softirq + machine.steal
            gunicorn = tree_cpu(args.gunicorn_pid, caches["gunicorn"])
            locust = tree_cpu(args.locust_pid, caches["locust"])
            pg, pg_other = postgres_cpu(args.database, caches["pg"], caches["pg_other"])
            other = busy - gunicorn - locust - pg - pg_other
            writer.writerow([f"{time.time():.2f}", f"{locust:.2f}", f"{gunicorn:.2f}", f"{pg:.2f}",
                             f"{pg_other:.2f}", f"{other:.2f}", f"{busy:.2f}"])  # fmt: skip
            handle.flush()
            time.sleep(1.0)


if __name__ == "__main__":
    main()
