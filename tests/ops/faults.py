"""Fault scenarios against real gunicorn nodes, each ending with the same check: every client's
newest acknowledged answer per position equals what the database holds (zero lost), and every
session's deadline is its start plus the time limit, whatever happened on the way.

Clients behave like the player: a save that fails (connection dropped, 5xx, timeout) stays queued
and is sent again, in order, until the server acknowledges it. Used by ``tests/ops/test_faults.py``
(small, in CI) and ``benchmarks/load/faults.py`` (larger, plus a PostgreSQL restart; prints the table).
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import threading
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.ops.cluster import (  # noqa: F401 (seed_sitting is used by the tests)
    Candidate,
    Node,
    same_answer,
    seed_sitting,
    session_row,
    start_node,
    stored_answers,
)

MINUTES = 20  # the SKD-DEMO blueprint's time limit
TRANSIENT = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, OSError)


@dataclass
class Outcome:
    """One scenario's result; ``lost`` and ``wrong_deadlines`` must be zero."""

    scenario: str
    clients: int
    saves_acknowledged: int = 0
    retries: int = 0
    lost: int = 0
    wrong_deadlines: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.wrong_deadlines == 0


def with_retry(action: Callable, outcome: Outcome, lock: threading.Lock, *, patience: float = 90.0):
    """Call ``action`` until it returns a reply below 500, as the player's queue does."""
    deadline = time.time() + patience
    delay = 0.2
    while True:
        try:
            reply = action()
            if reply.status < 500:
                return reply
        except TRANSIENT:
            pass
        if time.time() > deadline:
            raise RuntimeError("the server did not come back")
        with lock:
            outcome.retries += 1
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)


def check(url: str, candidates: list[Candidate], deadlines: dict[int, str], outcome: Outcome) -> Outcome:
    """Compare every client's acknowledged answers and deadline with the database."""
    for candidate in candidates:
        held = stored_answers(url, candidate.session_id)
        outcome.lost += sum(
            1 for position, known in candidate.answers.items() if not same_answer(held.get(position), known)
        )
        row = session_row(url, candidate.session_id)
        expected = row["started_at"] + timedelta(minutes=MINUTES)
        told = datetime.fromisoformat(deadlines[candidate.session_id].replace("Z", "+00:00"))
        if row["deadline_at"] != expected or told != expected:
            outcome.wrong_deadlines += 1
    return outcome


def begin(url: str, base: str, count: int, outcome: Outcome, lock: threading.Lock):
    """Sign in and start ``count`` candidates; returns them and the deadline each was told."""
    candidates = [Candidate(email, session_id) for email, session_id in seed_sitting(url, count)]
    deadlines = {}
    for candidate in candidates:
        with_retry(lambda c=candidate: c.login(base) or c.state(base), outcome, lock)
        started = with_retry(lambda c=candidate: c.start(base), outcome, lock)
        deadlines[candidate.session_id] = started.data["deadline"]
        candidate.fetch_items(base)
    return candidates, deadlines


def answer_loop(
    candidate: Candidate,
    base: str,
    saves: int,
    outcome: Outcome,
    lock: threading.Lock,
    pace: float,
    until: threading.Event | None = None,
):
    rng = random.Random(candidate.session_id)
    done = 0
    while done < saves or (until is not None and not until.is_set()):
        done += 1
        save = candidate.make_save(rng.randint(1, len(candidate.items)), rng.randint(0, 4))
        reply = with_retry(lambda s=save: candidate.send(base, [s], timeout=10), outcome, lock)
        assert reply.status == 200, reply.text[:300]
        with lock:
            outcome.saves_acknowledged += 1
        time.sleep(pace * rng.random())


def run_clients(candidates, base, saves, outcome, lock, pace=0.05, until: threading.Event | None = None) -> None:
    """Each client saves ``saves`` times, and goes on saving until ``until`` is set (if given)."""
    threads = [
        threading.Thread(target=answer_loop, args=(c, base, saves, outcome, lock, pace, until), daemon=True)
        for c in candidates
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)


# ------------------------------------------------------------------------------------ scenarios


def kill_workers(url: str, folder: Path, *, clients: int = 12, saves: int = 15, kills: int = 6) -> Outcome:
    """SIGKILL random gunicorn workers while clients save (``kills`` of them, spread over the run);
    gunicorn forks new ones."""
    outcome, lock = Outcome("SIGKILL random gunicorn workers during saves", clients), threading.Lock()
    began = time.time()
    node = start_node(url, folder, workers=2, threads=4)
    try:
        candidates, deadlines = begin(url, node.base, clients, outcome, lock)
        done = threading.Event()  # the clients go on saving until every kill is made
        killed = []

        def killer():
            # Kills spread over the run by progress (one per 1/(kills+1) of all saves), not by the
            # clock, so every kill lands while saves are in flight, however fast the machine is.
            rng = random.Random(7)
            total = clients * saves
            while len(killed) < kills:
                if outcome.saves_acknowledged < total * (len(killed) + 1) / (kills + 1):
                    time.sleep(0.01)
                    continue
                workers = node.worker_pids()
                if workers:
                    victim = rng.choice(workers)
                    try:
                        os.kill(victim, signal.SIGKILL)
                        killed.append(victim)
                    except ProcessLookupError:
                        pass
                time.sleep(0.3)  # let the master notice and fork a new worker
            done.set()

        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        run_clients(candidates, node.base, saves, outcome, lock, until=done)
        thread.join()
        outcome.notes.append(f"{len(killed)} workers killed")
        check(url, candidates, deadlines, outcome)
    finally:
        node.stop()
    outcome.seconds = time.time() - began
    return outcome


def restart_database(
    url: str, folder: Path, restart: Callable[[], None], *, clients: int = 12, saves: int = 15
) -> Outcome:
    """Restart the database server (``restart()``) in the middle of the clients' saves."""
    outcome, lock = Outcome("restart PostgreSQL during saves", clients), threading.Lock()
    began = time.time()
    node = start_node(url, folder, workers=2, threads=4)
    try:
        candidates, deadlines = begin(url, node.base, clients, outcome, lock)
        timer = threading.Timer(1.5, restart)
        timer.start()
        run_clients(candidates, node.base, saves, outcome, lock, pace=0.3)
        timer.join()
        check(url, candidates, deadlines, outcome)
    finally:
        node.stop()
    outcome.seconds = time.time() - began
    return outcome


def offline_replay(url: str, folder: Path, *, clients: int = 4, node: Node | None = None) -> Outcome:
    """Clients go offline, queue saves, come back and send the whole queue (twice: the first
    reply was lost), and keep answering."""
    outcome, lock = Outcome("offline, queue, replay the queue twice", clients), threading.Lock()
    began = time.time()
    own = node is None
    node = node or start_node(url, folder, workers=1, threads=4)
    try:
        candidates, deadlines = begin(url, node.base, clients, outcome, lock)
        for candidate in candidates:
            candidate.send(node.base, [candidate.make_save(1)])
            queue = [candidate.make_save(p, choice=p) for p in (2, 3, 1, 4, 2)]  # made while offline
            for _ in range(2):
                reply = candidate.send(node.base, queue)
                assert reply.status == 200, reply.text[:300]
            applied = [a["applied"] for a in reply.data["saved"]]
            assert applied == [False] * len(queue), applied  # the second sending changed nothing
            outcome.saves_acknowledged += len(queue) + 1
            candidate.send(node.base, [candidate.make_save(5)])
        check(url, candidates, deadlines, outcome)
    finally:
        if own:
            node.stop()
    outcome.seconds = time.time() - began
    return outcome


def duplicated_and_reordered(url: str, folder: Path, *, clients: int = 4, node: Node | None = None) -> Outcome:
    """Saves arrive duplicated and out of order (separate requests and within one batch): the
    highest sequence number per position wins."""
    outcome, lock = Outcome("duplicated and reordered saves", clients), threading.Lock()
    began = time.time()
    own = node is None
    node = node or start_node(url, folder, workers=1, threads=4)
    try:
        candidates, deadlines = begin(url, node.base, clients, outcome, lock)
        rng = random.Random(3)
        for candidate in candidates:
            saves = [candidate.make_save(p % 3 + 1, choice=p) for p in range(9)]
            arrivals = saves + saves[2:6]
            rng.shuffle(arrivals)
            for save in arrivals[:6]:
                assert candidate.send(node.base, [save]).status == 200
            assert candidate.send(node.base, arrivals[6:]).status == 200  # the rest in one batch
            outcome.saves_acknowledged += len(arrivals)
        check(url, candidates, deadlines, outcome)
    finally:
        if own:
            node.stop()
    outcome.seconds = time.time() - began
    return outcome


def clocks_off(url: str, folder: Path, *, clients: int = 4, node: Node | None = None) -> Outcome:
    """Device clocks an hour fast or slow: the deadline and remaining time come from the server."""
    outcome, lock = Outcome("client clocks off by ±1 hour", clients), threading.Lock()
    began = time.time()
    own = node is None
    node = node or start_node(url, folder, workers=1, threads=4)
    try:
        candidates, deadlines = begin(url, node.base, clients, outcome, lock)
        for index, candidate in enumerate(candidates):
            skew = timedelta(hours=1 if index % 2 else -1)
            device_now = (datetime.now(UTC) + skew).isoformat().replace("+00:00", "Z")
            reply = candidate.send(node.base, [candidate.make_save(1, answered_at=device_now)])
            assert reply.status == 200
            outcome.saves_acknowledged += 1
            state = candidate.state(node.base).data
            server_now = datetime.fromisoformat(state["server_time"].replace("Z", "+00:00"))
            deadline = datetime.fromisoformat(state["deadline"].replace("Z", "+00:00"))
            if abs((deadline - server_now).total_seconds() - state["remaining_seconds"]) > 1.0:
                outcome.wrong_deadlines += 1
                outcome.notes.append(f"remaining time off for session {candidate.session_id}")
        check(url, candidates, deadlines, outcome)
    finally:
        if own:
            node.stop()
    outcome.seconds = time.time() - began
    return outcome


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| scenario | clients | saves acknowledged | retries | lost answers | wrong deadlines | seconds | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.scenario} | {o.clients} | {o.saves_acknowledged} | {o.retries} | {o.lost} | {o.wrong_deadlines} "
            f"| {o.seconds:.0f} | {'; '.join(o.notes)} |"
        )
    return "\n".join(lines)
