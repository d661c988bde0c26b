"""Fault tests in CI size (the PostgreSQL restart runs only in benchmarks/load/faults.py, on a
private server, because the suite's PostgreSQL is shared): see tests/ops/faults.py."""

from __future__ import annotations

import os

import pytest

from tests.ops import faults
from tests.ops.cluster import drop_database, fresh_database, start_node


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One database and one node for the scenarios that need no process of their own."""
    folder = tmp_path_factory.mktemp("faults")
    url = fresh_database(os.environ.get("TEST_DATABASE_URL"), folder)
    node = None
    try:
        faults.seed_sitting(url, 0)  # schema and bank once; each scenario adds its own sitting
        node = start_node(url, folder, workers=1, threads=4)
        yield url, folder, node
    finally:
        if node is not None:
            node.stop()
        drop_database(url)


def assert_nothing_lost(outcome: faults.Outcome) -> None:
    assert outcome.saves_acknowledged > 0
    assert outcome.lost == 0, outcome
    assert outcome.wrong_deadlines == 0, outcome


def test_sigkill_of_random_workers_during_saves_loses_nothing(ops_database, tmp_path):
    outcome = faults.kill_workers(ops_database, tmp_path, clients=6, saves=10, kills=3)
    assert_nothing_lost(outcome)
    assert outcome.notes == ["3 workers killed"]  # the clients save until every kill is made
    assert outcome.saves_acknowledged >= 6 * 10


def test_offline_queue_replayed_twice_applies_once(shared):
    url, folder, node = shared
    assert_nothing_lost(faults.offline_replay(url, folder, clients=3, node=node))


def test_duplicated_and_reordered_saves_keep_the_newest(shared):
    url, folder, node = shared
    assert_nothing_lost(faults.duplicated_and_reordered(url, folder, clients=3, node=node))


def test_device_clock_an_hour_off_changes_no_deadline(shared):
    url, folder, node = shared
    assert_nothing_lost(faults.clocks_off(url, folder, clients=2, node=node))
