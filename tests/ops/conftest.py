"""Fixtures for tests that run real app processes: a database of their own (PostgreSQL when
``TEST_DATABASE_URL`` names one, else a SQLite file), and Redis for the nodes that share it."""

from __future__ import annotations

import os

import pytest
import redis

from tests.conftest import require
from tests.ops.cluster import drop_database, fresh_database

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def ops_database(tmp_path):
    url = fresh_database(os.environ.get("TEST_DATABASE_URL"), tmp_path)
    yield url
    drop_database(url)


@pytest.fixture
def redis_url():
    """A Redis database for shared rate limits (emptied first); required in CI."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        require(False, f"Redis not reachable at {REDIS_URL}")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()
