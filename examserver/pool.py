"""Connections checked before use only when they idled, and read-only transactions ended so that
the driver keeps its prepared statements (issue 16).

SQLAlchemy's ``pool_pre_ping`` sends a round trip on *every* checkout, so that a connection the
database dropped (a restart, a failover, an idle timeout in between) is replaced before a request
uses it. Under load a connection goes back to the pool and out again within milliseconds, and that
round trip was one in seven of an answer save on PostgreSQL (app and backend CPU alike). Here a
connection is pinged only when it rested in the pool for ``DATABASE_PING_AFTER_IDLE_SECONDS``
(10 s): the quiet moments in which a restart goes unnoticed. A restart in the middle of a busy
minute fails the requests that were using a connection at that moment anyway, with or without a
pre-ping, and their next use raises a disconnect, on which SQLAlchemy replaces every older
connection of the pool; the player retries its saves (they are idempotent), so nothing is lost.

This follows SQLAlchemy's documented "pessimistic" disconnect handling with a custom checkout
event: a ping that fails raises :class:`sqlalchemy.exc.DisconnectionError`, and the pool retries
the checkout with a new connection. SQLite is a file: nothing to ping.

psycopg prepares a statement on the server after its fifth execution on a connection, so a hot
statement is parsed and planned once per connection instead of on every request; but every
``ROLLBACK`` makes it forget them all (``DEALLOCATE ALL``, one round trip more), as it cannot know
whether the transaction dropped something they use. A request that only read ends its transaction
with a rollback (the session's close, the pool's reset), and the candidate's reads (status, items,
clock) come between the saves: the saves' statements never reached their fifth execution and were
planned every time, about two thirds of the backend's CPU of a save. :func:`end_reads_with_commit`
ends a transaction that sent nothing but ``SELECT`` statements with ``COMMIT`` instead, which for
such a transaction is the same thing on the server (its locks and snapshot are released alike) and
keeps the prepared statements. A transaction that wrote, or failed, is rolled back as before. Only
rollbacks through SQLAlchemy's connections (the session's, the Core's) are seen, as only their
statements are; the pool's own reset of a raw DBAPI connection still rolls back.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, event, exc

#: Where a connection's last return to the pool is kept (``ConnectionPoolEntry.info``).
RETURNED_AT = "returned_at"


def install_idle_ping(engine: Engine, seconds: float) -> None:
    """Ping ``engine``'s connections at checkout when they rested ``seconds`` or more (0: always)."""
    if engine.dialect.name == "sqlite":
        return

    @event.listens_for(engine.pool, "connect")
    def _connected(dbapi_connection: Any, record: Any) -> None:
        record.info[RETURNED_AT] = time.monotonic()  # a new connection needs no ping

    @event.listens_for(engine.pool, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info[RETURNED_AT] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned = record.info.get(RETURNED_AT)
        if returned is not None and time.monotonic() - returned < seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the driver's own error class varies; any failure means replace it
            raise exc.DisconnectionError(f"connection lost while it rested in the pool: {error}") from error


#: Set in a connection's pool record (``ConnectionPoolEntry.info``) when its transaction sent anything
#: but a ``SELECT``; cleared when the transaction ends.
WROTE = "wrote"


def end_reads_with_commit(engine: Engine) -> None:
    """End ``engine``'s read-only transactions with ``COMMIT`` rather than ``ROLLBACK`` (PostgreSQL
    through psycopg, which forgets its prepared statements on a rollback); see the module's notes."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return
    import psycopg  # loaded by the engine already; a SQLite process never pays its 0.2 s import
    from psycopg import pq

    @event.listens_for(engine, "before_cursor_execute")
    def _sent(connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if not statement.startswith("SELECT"):  # DML, DDL, SAVEPOINT, WITH (may write): a real rollback
            connection.connection.info[WROTE] = True

    def _ended(info: dict) -> None:
        info.pop(WROTE, None)

    def _end_a_read(dbapi_connection: Any, info: dict) -> None:
        if info.pop(WROTE, False):
            return
        if dbapi_connection.info.transaction_status == pq.TransactionStatus.INTRANS:
            try:
                dbapi_connection.commit()  # the rollback that follows finds no transaction: a no-op
            except psycopg.Error:
                return  # a lost connection: the rollback meets the error, and SQLAlchemy handles it

    @event.listens_for(engine, "commit")
    def _committed(connection: Any) -> None:
        _ended(connection.connection.info)

    @event.listens_for(engine, "rollback")
    def _rolling_back(connection: Any) -> None:
        # Called before SQLAlchemy's own rollback, also on a connection it invalidated or closed
        # (nothing to keep then: it deals with the connection itself).
        if connection.closed or connection.invalidated or not connection.connection.is_valid:
            return
        _end_a_read(connection.connection.dbapi_connection, connection.connection.info)
