"""Two gunicorn nodes on one database: a candidate moves between them mid-exam (as a load
balancer would move them, or as the survivors take over when a node dies) and nothing is lost."""

from __future__ import annotations

import os
import signal
from datetime import datetime

from tests.ops.cluster import CSRF_FIELD, Candidate, seed_sitting, session_row, stored_answers


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def test_candidate_moves_between_nodes_mid_exam(ops_database, nodes, redis_url):
    [(email, session_id)] = seed_sitting(ops_database, 1)
    node_a, node_b = nodes(ops_database, 2, redis_url=redis_url)
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


def test_sign_in_limit_is_shared_by_every_node(ops_database, nodes, redis_url):
    """With REDIS_URL the per-account failure limit (10 per 5 minutes) counts across nodes."""
    [(email, _)] = seed_sitting(ops_database, 1)
    node_a, node_b = nodes(ops_database, 2, redis_url=redis_url)
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
