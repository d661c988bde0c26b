"""Benchmark: the floor of a durable answer save on PostgreSQL, without Flask or SQLAlchemy (issue 16).

A save must lock the candidate's session, read what it holds for the saved position, write the
answer (an upsert) and its entry on the integrity chain, and commit before it is acknowledged:
BEGIN, four statements and COMMIT. This script runs exactly that shape through psycopg directly,
on tables of the same shape (a session row, an answer table with a unique position per session, a
log table), one transaction at a time, and prints the median CPU per transaction of the client
(``time.process_time``) and of the PostgreSQL backend serving it (``/proc/<pid>/schedstat``, as
``benchmarks/requests.py`` reads it), next to the same transaction with fewer statements.

It is the lowest a save can cost on this machine whatever the web layer does, to be read against
``benchmarks/requests.py``'s ping (a request that sends no statement): a save costs at least the
ping plus this floor, which bounds the "save rate" (pings' cost over saves') from above.

Run from the project root (the tables ``floor_*`` are made in the database given and dropped after)::

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_requests .venv/bin/python benchmarks/save_floor.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import psycopg

TABLES = (
    "CREATE TABLE floor_session (id integer PRIMARY KEY, seen timestamptz)",
    "CREATE TABLE floor_answer (id serial PRIMARY KEY, position integer UNIQUE, response json, seq integer)",
    "CREATE TABLE floor_log (id serial PRIMARY KEY, position integer, payload bytea)",
)
LOCK = "UPDATE floor_session SET seen = now() WHERE id = %s RETURNING id"
READ = "SELECT id, seq FROM floor_answer WHERE position = %s"
UPSERT = (
    "INSERT INTO floor_answer (position, response, seq) VALUES (%s, %s, %s) ON CONFLICT (position)"
    " DO UPDATE SET response = excluded.response, seq = excluded.seq WHERE floor_answer.seq < excluded.seq"
    " RETURNING id"
)
CHAIN = "INSERT INTO floor_log (position, payload) VALUES (%s, %s)"


def backend_cpu(pid: int) -> float:
    """The backend's CPU time so far, in milliseconds."""
    with open(f"/proc/{pid}/schedstat") as handle:
        return int(handle.read().split()[0]) / 1e6


def measure(connection: psycopg.Connection, pid: int, statements: int, rounds: int) -> tuple[float, float]:
    """Median client and backend CPU (ms) of a transaction of ``statements`` of the save's shape."""
    client, backend = [], []
    for n in range(rounds):
        started, before = time.process_time(), backend_cpu(pid)
        connection.execute(LOCK, (1,)).fetchone()
        if statements >= 3:
            connection.execute(READ, (n % 100,)).fetchall()
        connection.execute(UPSERT, (n % 100, '"A"', n)).fetchall()
        if statements >= 4:
            connection.execute(CHAIN, (n, b"x" * 32))
        connection.commit()
        client.append((time.process_time() - started) * 1000)
        backend.append(backend_cpu(pid) - before)
    warm = rounds // 5  # the first executions prepare the statements
    return statistics.median(client[warm:]), statistics.median(backend[warm:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1000, help="transactions per row (default 1000)")
    arguments = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_requests")
    url = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection:
        pid = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        for table in ("floor_session", "floor_answer", "floor_log"):
            connection.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in TABLES:
            connection.execute(statement)
        connection.execute("INSERT INTO floor_session VALUES (1, now())")
        connection.commit()
        print("PostgreSQL through psycopg, no web layer: CPU per transaction, ms (median)\n")
        print("| transaction | client | backend | total |")
        print("|---|---:|---:|---:|")
        shapes = {
            2: "BEGIN, lock the session, upsert the answer, COMMIT",
            3: "BEGIN, lock, read the position, upsert, COMMIT",
            4: "BEGIN, lock, read, upsert, chain entry, COMMIT (a save's shape)",
        }
        for statements, label in shapes.items():
            client, backend = measure(connection, pid, statements, arguments.rounds)
            print(f"| {label} | {client:.3f} | {backend:.3f} | {client + backend:.3f} |")
        for table in ("floor_session", "floor_answer", "floor_log"):
            connection.execute(f"DROP TABLE {table}")
        connection.commit()


if __name__ == "__main__":
    main()
