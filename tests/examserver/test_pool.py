"""Connections pinged only after they rested in the pool (examserver/pool.py): a busy pool sends no
ping, a rested connection is pinged, and one the database dropped while it rested is replaced
before a request uses it. On PostgreSQL (SQLite is a file: nothing is installed there)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.pool import NullPool

from examserver import pool as pool_module
from examserver.pool import install_idle_ping
from tests.conftest import require

URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def engine():
    engine = create_engine(URL, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except exc.OperationalError:
        require(False, f"PostgreSQL not reachable at {URL}")
    engine.dispose()
    yield engine
    engine.dispose()


def terminate(pid: int) -> None:
    other = create_engine(URL, poolclass=NullPool)
    with other.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    other.dispose()


def counted_pings(engine, monkeypatch) -> list[int]:
    pings: list[int] = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda dbapi: pings.append(1) or real(dbapi))
    return pings


def later(monkeypatch, seconds: float) -> None:
    moved = pool_module.time.monotonic() + seconds
    monkeypatch.setattr(pool_module.time, "monotonic", lambda: moved)


def test_a_busy_pool_sends_no_ping_and_a_rested_connection_one(engine, monkeypatch):
    install_idle_ping(engine, 10)
    pings = counted_pings(engine, monkeypatch)
    for _ in range(3):
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    assert pings == []
    later(monkeypatch, 11)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    assert pings == [1]


def test_a_connection_dropped_while_it_rested_is_replaced(engine, monkeypatch):
    install_idle_ping(engine, 10)
    with engine.connect() as connection:
        first = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    terminate(first)  # the database drops it, as a restart would
    later(monkeypatch, 11)
    with engine.connect() as connection:
        second = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    assert second != first


def test_without_the_rest_a_dropped_connection_fails_once_then_the_pool_recovers(engine):
    """The documented price: a connection dropped within the last 10 s fails its next use once."""
    install_idle_ping(engine, 10)
    with engine.connect() as connection:
        first = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    terminate(first)
    with pytest.raises(exc.OperationalError), engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1


def test_the_rest_is_read_from_the_environment(monkeypatch, tmp_path):
    import examserver.config as config
    from examserver.config import Config, load_config

    monkeypatch.setattr(config, "INSTANCE", tmp_path)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_PING_AFTER_IDLE_SECONDS", "0")
    assert load_config(Config)["DATABASE_PING_AFTER_IDLE_SECONDS"] == 0.0
    monkeypatch.delenv("DATABASE_PING_AFTER_IDLE_SECONDS")
    assert load_config(Config)["DATABASE_PING_AFTER_IDLE_SECONDS"] == 10.0
