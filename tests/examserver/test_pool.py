"""Connections pinged only after they rested in the pool (examserver/pool.py): a busy pool sends no
ping, a rested connection is pinged, and one the database dropped while it rested is replaced
before a request uses it. Read-only transactions end without making psycopg forget its prepared
statements; one that wrote or failed is still rolled back. On PostgreSQL (SQLite is a file:
nothing is installed there)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from examserver import pool as pool_module
from examserver.pool import end_reads_with_commit, install_idle_ping
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


#: Read six times, each in its own transaction: psycopg prepares a statement at its fifth execution.
READ = text("SELECT count(*) FROM pg_class WHERE oid > :above")


def prepared_after_six_reads(engine) -> int:
    for _ in range(6):
        with Session(engine) as session:  # as a request's session: closed, so rolled back, after reading
            session.execute(READ, {"above": 0}).scalar()
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()


def test_read_only_transactions_keep_the_prepared_statements(engine):
    assert prepared_after_six_reads(engine) == 0  # as psycopg does by itself: each rollback forgets them
    engine.dispose()
    end_reads_with_commit(engine)
    assert prepared_after_six_reads(engine) == 1


@pytest.fixture
def scratch_table(engine):
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS pool_scratch (n integer)"))
        connection.execute(text("DELETE FROM pool_scratch"))
    yield
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE pool_scratch"))


def test_a_transaction_that_wrote_is_still_rolled_back(engine, scratch_table):
    end_reads_with_commit(engine)
    for _ in range(6):
        with Session(engine) as session:
            session.execute(READ, {"above": 0}).scalar()
            session.execute(text("INSERT INTO pool_scratch (n) VALUES (1)"))
            session.execute(READ, {"above": 0}).scalar()  # a read after the write changes nothing
    with Session(engine) as session:
        session.execute(text("INSERT INTO pool_scratch (n) VALUES (2)"))
        session.rollback()
        session.execute(READ, {"above": 0}).scalar()  # the next transaction only reads: committed
        session.commit()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM pool_scratch")).scalar() == 0


def test_a_failed_transaction_is_rolled_back_and_the_connection_serves_again(engine, scratch_table):
    end_reads_with_commit(engine)
    with Session(engine) as session:
        with pytest.raises(exc.ProgrammingError):
            session.execute(text("SELECT no_such_column FROM pool_scratch"))
        session.rollback()
        assert session.execute(READ, {"above": 0}).scalar() > 0


@pytest.mark.parametrize("installed", [False, True])
def test_a_read_whose_connection_was_dropped_fails_as_before_and_the_pool_recovers(engine, installed):
    """The commit in place of the rollback fails on a lost connection; SQLAlchemy's own rollback
    then meets the error as it does without the hook (its OperationalError, the connection replaced)."""
    if installed:
        end_reads_with_commit(engine)
    session = Session(engine)
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
    terminate(pid)  # the database drops it in the middle of the read-only transaction
    with pytest.raises(exc.OperationalError):
        session.close()
    with Session(engine) as session:
        assert session.execute(text("SELECT pg_backend_pid()")).scalar() != pid
