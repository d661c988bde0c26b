"""Two gunicorn nodes on one database: a candidate moves between them mid-exam (as a load
balancer would move them, or as the survivors take over when a node dies) and nothing is lost.

The module's tests share the two nodes and their database (each seeds a sitting of its own): a
node a test has killed is replaced before the next test gets the pair."""

from __future__ import annotations

import os
import signal
from datetime import datetime

import pytest

from tests.ops.cluster import (
    CSRF_FIELD,
    Candidate,
    drop_database,
    fresh_database,
    seed_sitting,
    session_row,
    start_nodes,
    stop_nodes,
    stored_answers,
)
from tests.ops.conftest import REDIS_URL


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Factory: ``cluster()`` is the module's database and its two live nodes (sharing Redis),
    a node that is no longer running replaced by a new one (the sign-in test comes first, so the
    pair serves both tests when they run in file order)."""
    folder = tmp_path_factory.mktemp("cluster")
    url = fresh_database(os.environ.get("TEST_DATABASE_URL"), folder)
    pair: list = []
    every: list = []

    def live() -> tuple[str, list]:
        alive = [node for node in pair if node.process.poll() is None]
        if len(alive) < 2:
            new = start_nodes(url, folder, 2 - len(alive), redis_url=REDIS_URL)
            every.extend(new)
            alive += new
        pair[:] = alive
        return url, list(pair)

    try:
        yield live
    finally:
        stop_nodes(every)
        drop_database(url)


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def test_sign_in_limit_is_shared_by_every_node(cluster, redis_url):
    """With REDIS_URL the per-account failure limit (10 per 5 minutes) counts across nodes."""
    ops_database, (node_a, node_b) = cluster()
    [(email, _)] = seed_sitting(ops_database, 1)
    guesser = Candidate(email, 0)
    statuses = []
    for attempt in range(11):
        base = (node_a, node_b)[attempt % 2].base
        page = guesser.request(base, "GET", "/masuk").text
        token = CSRF_FIELD.search(page).group(1)
        reply = guesser.request(base, "POST", "/masuk", form={"email": email, "password": "salah-sekali",
                                                              "csrf_token": token})  # fmt: skip
        statuses.append(reply.status)
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429


def test_candidate_moves_between_nodes_mid_exam(cluster, redis_url):
    ops_database, (node_a, node_b) = cluster()
    [(email, session_id)] = seed_sitting(ops_database, 1)
    a, b = node_a.base, node_b.base
    candidate = Candidate(email, session_id)

    candidate.login(a)
    started = candidate.start(a)
    assert started.status == 200, started.text
    deadline = started.data["deadline"]
    candidate.fetch_items(a)
    assert len(candidate.items) == 15

    for position in (1, 2, 3):
        assert candidate.send(a, [candidate.make_save(position)]).status == 200
    # The next request lands on node B: same cookie, same CSRF token, same session.
    for position in (4, 5, 6):
        assert candidate.send(b, [candidate.make_save(position, choice=1)]).status == 200
    assert candidate.send(b, [candidate.make_save(1, choice=2)]).status == 200  # a changed answer
    on_b = candidate.state(b)
    assert on_b.data["deadline"] == deadline  # the clock lives in the database, not in a node
    assert {x["position"]: x["response"] for x in on_b.data["answers"]} == {
        p: response for p, (_, response) in candidate.answers.items()
    }

    # Node A dies (SIGKILL of its master and workers); the candidate carries on at node B,
    # including a queued save that node A never acknowledged, replayed after a reload.
    for pid in [*node_a.worker_pids(), node_a.process.pid]:
        os.kill(pid, signal.SIGKILL)
    node_a.process.wait(timeout=10)
    candidate.open_page(b)
    assert candidate.start(b).status == 200  # the player's resume on the same device
    late = candidate.make_save(7, choice=3)
    assert candidate.send(b, [late, candidate.make_save(2, choice=1)]).status == 200
    replay = candidate.send(b, [late])  # the queue sent again: acknowledged, nothing changes
    assert replay.status == 200 and replay.data["saved"] == [{"position": 7, "seq": late["seq"], "applied": False}]

    assert stored_answers(ops_database, session_id) == candidate.answers
    submitted = candidate.submit(b)
    assert submitted.status == 200 and submitted.data["status"] == "submitted"
    row = session_row(ops_database, session_id)
    assert row["status"] == "submitted"
    assert row["deadline_at"] == parse(deadline)
    assert stored_answers(ops_database, session_id) == candidate.answers
