"""A rate-limit storage in a SQLite file, shared by every worker process of one node.

Flask-Limiter keeps its counters in a ``limits`` storage chosen by URI. ``memory://`` lives inside
one process, so with two gunicorn workers each counts on its own and a limit of 10 lets about 20
guesses through; Redis is shared but is a server to run. This storage needs neither: every worker
opens the same SQLite file (by default ``instance/ratelimits.db``) and SQLite's file locks make
each check-and-record one transaction across processes. It is node-local: several nodes behind a
load balancer need ``REDIS_URL``.

The URI has SQLAlchemy's form: ``sqlite:////absolute/path.db`` or ``sqlite:///relative.db``.
Importing this module registers the ``sqlite`` scheme with the ``limits`` storage registry (the
documented extension point: a :class:`limits.storage.Storage` subclass naming its
``STORAGE_SCHEME``); :mod:`examserver.extensions` imports it before the limiter is set up.

Both strategies are supported: the moving window the app uses (``RATELIMIT_STRATEGY``), one row
per accepted hit, and the fixed window (a counter with an expiry time).
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from limits.storage import MovingWindowSupport, Storage

#: SQLite waits this long for another worker's transaction before giving up.
BUSY_TIMEOUT_SECONDS = 15.0
#: Entries whose window has passed are swept from the whole file at most this often (per process);
#: each key's own old entries are dropped whenever the key is hit.
SWEEP_INTERVAL_SECONDS = 60.0

SCHEMA = (
    # Moving window: one row per accepted hit, forgotten at ``expires_at``.
    "CREATE TABLE IF NOT EXISTS window_entry (key TEXT NOT NULL, at REAL NOT NULL, expires_at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_window_entry_key_at ON window_entry (key, at)",
    "CREATE INDEX IF NOT EXISTS ix_window_entry_expires_at ON window_entry (expires_at)",
    # Fixed window: a counter per key and the end of its window.
    "CREATE TABLE IF NOT EXISTS window_counter"
    " (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL)",
)


def path_from_uri(uri: str) -> Path:
    """The file of a ``sqlite:///`` URI (three slashes: relative, four: absolute)."""
    parts = urllib.parse.urlparse(uri)
    if parts.netloc or not parts.path.startswith("/") or len(parts.path) < 2:
        raise ValueError(f"rate-limit storage URI must look like sqlite:////path/to/file.db, not {uri!r}")
    return Path(parts.path[1:])


def _prepare(connection: sqlite3.Connection) -> None:
    """WAL and the schema, on a fresh connection. Switching a new file to WAL needs the file to
    itself and SQLite answers "database is locked" at once, without the busy timeout, when
    several workers open it together: try again for up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")  # a count lost in a power cut is harmless
            for statement in SCHEMA:
                connection.execute(statement)
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01 + random.random() * 0.04)


class SQLiteStorage(Storage, MovingWindowSupport):
    """Rate-limit counters in a SQLite file that every process of the node opens.

    Each thread of each process has its own connection (a connection must not cross a fork or be
    used by two threads at once). Writes run in ``BEGIN IMMEDIATE`` transactions, so a check and
    the hit it records cannot interleave with another worker's.
    """

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool):
        self.path = path_from_uri(uri or "")
        self._local = threading.local()
        self._next_sweep = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    # ------------------------------------------------------------------------------ connection

    def _connection(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            # Opened lazily, at a worker's first request: the gunicorn master builds the app (and
            # this storage) before it forks, and a SQLite connection must never cross a fork.
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            _prepare(connection)
            local.connection, local.pid = connection, os.getpid()
        return local.connection

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: the file's write lock is held from the start until the commit."""
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # ---------------------------------------------------------------------------- fixed window

    def incr(self, key: str, expiry: int, elastic_expiry: bool = False, amount: int = 1) -> int:
        """Add ``amount`` to the counter of ``key``, starting a window of ``expiry`` s if none runs."""
        now = time.time()
        with self._write() as db:
            row = db.execute("SELECT value, expires_at FROM window_counter WHERE key = ?", (key,)).fetchone()
            if row is None or row[1] <= now:
                value, expires_at = amount, now + expiry
            else:
                value, expires_at = row[0] + amount, (now + expiry if elastic_expiry else row[1])
            db.execute(
                "INSERT INTO window_counter (key, value, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
                (key, value, expires_at),
            )
        return value

    def get(self, key: str) -> int:
        """The counter of ``key`` in its current window (0 when none runs)."""
        row = (
            self._connection()
            .execute("SELECT value FROM window_counter WHERE key = ? AND expires_at > ?", (key, time.time()))
            .fetchone()
        )
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        """When the window of ``key`` ends (now when none runs)."""
        now = time.time()
        row = (
            self._connection()
            .execute("SELECT expires_at FROM window_counter WHERE key = ? AND expires_at > ?", (key, now))
            .fetchone()
        )
        return row[0] if row else now

    # --------------------------------------------------------------------------- moving window

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Record ``amount`` hits on ``key`` unless that makes more than ``limit`` in the last ``expiry`` s."""
        if amount > limit:
            return False
        now = time.time()
        with self._write() as db:
            self._sweep(db, now)
            db.execute("DELETE FROM window_entry WHERE key = ? AND at < ?", (key, now - expiry))
            (count,) = db.execute("SELECT COUNT(*) FROM window_entry WHERE key = ?", (key,)).fetchone()
            if count + amount > limit:
                return False
            db.executemany(
                "INSERT INTO window_entry (key, at, expires_at) VALUES (?, ?, ?)", [(key, now, now + expiry)] * amount
            )
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(oldest hit in the window, or now; number of hits in the last ``expiry`` s) of ``key``."""
        now = time.time()
        oldest, count = (
            self._connection()
            .execute("SELECT MIN(at), COUNT(*) FROM window_entry WHERE key = ? AND at >= ?", (key, now - expiry))
            .fetchone()
        )
        return (oldest if oldest is not None else now), count

    def _sweep(self, db: sqlite3.Connection, now: float) -> None:
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_INTERVAL_SECONDS
            db.execute("DELETE FROM window_entry WHERE expires_at < ?", (now,))
            db.execute("DELETE FROM window_counter WHERE expires_at < ?", (now,))

    # ----------------------------------------------------------------------------- maintenance

    def check(self) -> bool:
        """Whether the file can be read."""
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def clear(self, key: str) -> None:
        """Forget every hit on ``key``."""
        with self._write() as db:
            db.execute("DELETE FROM window_entry WHERE key = ?", (key,))
            db.execute("DELETE FROM window_counter WHERE key = ?", (key,))

    def reset(self) -> int | None:
        """Forget every hit on every key; returns how many rows went."""
        with self._write() as db:
            removed = db.execute("DELETE FROM window_entry").rowcount
            removed += db.execute("DELETE FROM window_counter").rowcount
        return removed
