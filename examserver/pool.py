"""Connections checked before use only when they idled (issue 16).

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
