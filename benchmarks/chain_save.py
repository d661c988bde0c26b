"""Benchmark: what chaining answer saves costs (issue 14).

Each applied save appends a record to the session's hash chain (``examserver.delivery.integrity.
on_saves``: one read of the chain's head and one bulk insert per batch). This measures, in process,
the save as the API runs it (load the session, ``save_answers``, commit) on the national SKD
blueprint (110 random items), for a single save and for a 10-save batch (a queue synced after an
outage), with the chain append and with it patched out, and counts the SQL statements per request
(an ``executemany`` counts as one).

Run from the project root::

    .venv/bin/python benchmarks/chain_save.py                      # SQLite (a temporary file)
    BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python benchmarks/chain_save.py   # and PostgreSQL

The PostgreSQL database is emptied (drop_all) first: give it a scratch database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import event, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from examserver import create_app  # noqa: E402
from examserver.accounts import services as accounts  # noqa: E402
from examserver.accounts.models import User  # noqa: E402
from examserver.config import Config  # noqa: E402
from examserver.delivery import integrity  # noqa: E402
from examserver.delivery import services as delivery  # noqa: E402
from examserver.delivery.models import ExamSession  # noqa: E402
from examserver.demo import seed_accounts, seed_blueprints, seed_items, seed_taxonomy  # noqa: E402
from examserver.extensions import db  # noqa: E402
from itembank.database import utcnow  # noqa: E402
from itembank.models import TestBlueprint  # noqa: E402
from itembank.services import Actor  # noqa: E402

BLUEPRINT = "SKD-NASIONAL"
DEVICE = "perangkat-bench-0001"
#: A valid response in display numbers per item type (anything else: option "1").
VALID = {"multiple_response": ["1"], "numeric": 1.0}


def prepare(url: str, candidates: int) -> tuple:
    app = create_app(type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": url, "INTEGRITY_ANCHOR_FILE": None}))
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_accounts("bench12345")
        seed_taxonomy()
        seed_items()
        seed_blueprints()
        db.session.commit()
        admin = db.session.scalar(select(User).where(User.email == "panitia@demo.id"))
        blueprint = db.session.scalar(select(TestBlueprint).where(TestBlueprint.code == BLUEPRINT))
        now = utcnow()
        schedule = delivery.create_schedule(
            db.session, Actor(admin.id, admin.role), blueprint=blueprint, code="BENCH-RANTAI", title="Bench",
            opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1), location="Daring",
        )  # fmt: skip
        ids, responses = [], {}
        for n in range(candidates):
            person = accounts.create_user(
                db.session, email=f"bench{n}@uji.id", full_name=f"Bench {n}", role="candidate", password="x" * 12
            )
            exam = delivery.enrol(db.session, schedule, person.id)
            delivery.start(
                db.session, exam, delivery.StartRequest(client_id=DEVICE), now=now, rng=np.random.default_rng(n)
            )
            ids.append(exam.id)
            responses[exam.id] = {si.position: VALID.get(si.item.item_type, "1") for si in exam.items}
        db.session.commit()
    return app, ids, responses


class Counter:
    """Counts statements sent to the database (an executemany is one)."""

    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args, **kwargs):
        self.count += 1


def run(app, ids: list[int], responses: dict, batch: int, rounds: int, state: dict) -> dict[bool, dict]:
    """``rounds`` save requests of ``batch`` saves each, round-robin over the sessions, with the chain
    append on every other request (so both halves see the same machine load); per half: request
    times, statements per request, and the time spent in the append itself."""
    original = integrity.on_saves
    measured = {flag: {"times": [], "statements": [], "append": []} for flag in (False, True)}

    def timed(*args, **kwargs):
        started = time.perf_counter()
        original(*args, **kwargs)
        measured[True]["append"].append(time.perf_counter() - started)

    try:
        with app.app_context():
            counter = Counter(db.engine)
            for r in range(rounds):
                chained = r % 2 == 1
                integrity.on_saves = timed if chained else (lambda *args, **kwargs: None)
                exam_id = ids[(r // 2) % len(ids)]
                position, seq = state.setdefault(exam_id, (0, 0))
                saves = []
                for _ in range(batch):
                    position = position % 110 + 1
                    seq += 1
                    saves.append(delivery.Save(position=position, seq=seq, response=responses[exam_id][position]))
                state[exam_id] = (position, seq)
                db.session.expire_all()
                counter.count = 0
                started = time.perf_counter()
                exam = db.session.get(ExamSession, exam_id)
                acks = delivery.save_answers(db.session, exam, DEVICE, saves, now=utcnow())
                db.session.commit()
                measured[chained]["times"].append(time.perf_counter() - started)
                measured[chained]["statements"].append(counter.count)
                assert all(a.applied for a in acks)
            event.remove(db.engine, "before_cursor_execute", counter._seen)
            db.session.remove()
    finally:
        integrity.on_saves = original
    return measured


def report(name: str, url: str, candidates: int, rounds: int) -> None:
    app, ids, responses = prepare(url, candidates)
    state: dict = {}
    print(f"\n{name}: {candidates} sessions of 110 items, {rounds} requests per row (in process)\n")
    print("| request | chain append | median ms | p99 ms | SQL statements | append itself: median / p99 ms |")
    print("|---|---|---:|---:|---:|---:|")
    for batch in (1, 10):
        run(app, ids, responses, batch, 100, state)  # warm-up: every position answered once
        measured = run(app, ids, responses, batch, 2 * rounds, state)
        for chained in (False, True):
            ms = np.asarray(measured[chained]["times"]) * 1000
            append = np.asarray(measured[chained]["append"] or [np.nan]) * 1000
            print(
                f"| {batch} save{'s' if batch > 1 else ''} | {'with' if chained else 'without'} | "
                f"{statistics.median(ms):.2f} | {np.percentile(ms, 99):.2f} | "
                f"{statistics.median(measured[chained]['statements']):.0f} | "
                + (f"{np.median(append):.2f} / {np.percentile(append, 99):.2f} |" if chained else "– |")
            )
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report("SQLite", f"sqlite:///{folder}/bench.db", args.candidates, args.rounds)
    if os.environ.get("BENCH_DATABASE_URL"):
        report("PostgreSQL", os.environ["BENCH_DATABASE_URL"], args.candidates, args.rounds)


if __name__ == "__main__":
    main()
