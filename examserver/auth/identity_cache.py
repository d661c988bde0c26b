"""The sign-in lookup remembered per process, kept honest by a revocation feed, so a candidate's
ping, save and status cost no database round trip for who they are (issue 16).

Every request of a signed-in browser names a server-side login session by its cookie; reading that
row and its account is one statement, but on PostgreSQL also a connection checkout, a pre-ping, a
BEGIN and a ROLLBACK: more than half of a ping. What the lookup found is kept here, per application
and process, together with the times the life of a sign-in is judged by, so an entry is used only
while the session is still live by :func:`examserver.accounts.services.session_is_live` on the
request's own clock.

How long an entry is trusted. Every way a sign-in ends writes ``login_session.revoked_at``
(signing out, "sign out everywhere", disabling an account, recovering a password), so a process
learns every revocation by reading the rows revoked since it last looked: the **revocation feed**,
one indexed statement at most once per ``IDENTITY_CACHE_SECONDS`` (5 s), sent by the first request
that finds the feed due, *before* it is answered from memory. A revoked cookie is therefore
answered by another process or node for at most ``IDENTITY_CACHE_SECONDS``; in this process a
revocation takes effect at once (a flush that changes an account or a login session, or an ORM
UPDATE or DELETE of those tables, forgets what the cache holds for them). An entry ends anyway
after :data:`LIFETIME_SECONDS`, a net for what the feed does not carry (an account changed in code
on another node; roles are fixed at creation and the language follows the browser's cookie).

The last-seen time. A remembered request moves the entry's last-seen time in memory; once it is
``SESSION_TOUCH_INTERVAL`` newer than what the database holds, the row is queued and written with
the next feed, one statement for every queued row of the process. A candidate's activity reaches
the database within the touch interval plus ``IDENTITY_CACHE_SECONDS``, against an idle timeout of
30 minutes; an entry idle in this process (the candidate's requests went elsewhere) is looked up
again rather than refused.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from examserver.accounts.models import LoginSession, User
from itembank.database import utcnow

#: The tables whose changes can end or change a sign-in.
WATCHED = (User.__tablename__, LoginSession.__tablename__)
#: The longest an entry is used without reading its row again, whatever the feed says.
LIFETIME_SECONDS = 600.0
#: How far back each feed reads before its previous one: revocations stamped by a node whose clock
#: runs behind, or committed a while after they were stamped, are still seen.
FEED_OVERLAP = timedelta(minutes=2)


@dataclass(slots=True)
class Remembered:
    """What one lookup found: the identity (any object with ``user_id`` and ``login_session_id``),
    the times its life is judged by (``last_seen_at`` as this process knows it, ``written_at`` as
    the database holds it), valid until ``until`` on the monotonic clock."""

    identity: Any
    created_at: datetime
    last_seen_at: datetime
    written_at: datetime
    until: float


class IdentityCache:
    """Token digest to :class:`Remembered`, bounded, with reverse indexes by account and by login
    session, the queue of last-seen times to write, and the feed's schedule."""

    def __init__(self, seconds: float, size: int = 100_000, lifetime: float = LIFETIME_SECONDS):
        self.seconds = seconds
        self.size = size
        self.lifetime = lifetime
        self._entries: dict[str, Remembered] = {}
        self._by_user: dict[int, set[str]] = {}
        self._by_login: dict[int, str] = {}
        #: login session id -> last-seen time to write with the next feed
        self.touches: dict[int, datetime] = {}
        #: When the feed was last read (the next one reads from a little before it).
        self.fed_at: datetime = utcnow()
        self._feed_due = time.monotonic() + seconds
        _CACHES.add(self)

    def get(self, digest: str) -> Remembered | None:
        found = self._entries.get(digest)
        if found is not None and found.until <= time.monotonic():
            self._drop(digest)
            return None
        return found

    def put(self, digest: str, identity: Any, created_at: datetime, last_seen_at: datetime) -> None:
        if self.seconds <= 0:
            return
        if len(self._entries) >= self.size:
            self.clear()  # a rare, cheap bound: the next requests simply read the database again
        remembered = Remembered(identity, created_at, last_seen_at, last_seen_at, time.monotonic() + self.lifetime)
        self._entries[digest] = remembered
        self._by_user.setdefault(identity.user_id, set()).add(digest)
        self._by_login[identity.login_session_id] = digest

    def seen(self, remembered: Remembered, now: datetime, interval: timedelta) -> None:
        """A request answered from ``remembered`` at ``now``: its last-seen time moves, and is
        queued for writing once it is ``interval`` newer than the database's."""
        remembered.last_seen_at = now
        if now - remembered.written_at >= interval:
            self.touches[remembered.identity.login_session_id] = now
            remembered.written_at = now

    def feed_due(self) -> bool:
        """Whether the revocation feed must be read before an entry may be used."""
        return time.monotonic() >= self._feed_due

    def fed(self, now: datetime, revoked_logins: list[int]) -> None:
        """The feed was read at ``now`` and named these revoked login sessions: forget them."""
        for login_session_id in revoked_logins:
            digest = self._by_login.get(login_session_id)
            if digest is not None:
                self._drop(digest)
        self.fed_at = now
        self._feed_due = time.monotonic() + self.seconds

    def forget_user(self, user_id: int) -> None:
        for digest in self._by_user.pop(user_id, ()):
            found = self._entries.pop(digest, None)
            if found is not None:
                self._by_login.pop(found.identity.login_session_id, None)

    def clear(self) -> None:
        self._entries.clear()
        self._by_user.clear()
        self._by_login.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, digest: str) -> None:
        found = self._entries.pop(digest, None)
        if found is not None:
            self._by_login.pop(found.identity.login_session_id, None)
            digests = self._by_user.get(found.identity.user_id)
            if digests is not None:
                digests.discard(digest)


#: Every cache of this process (one per application), for the invalidation events below.
_CACHES: weakref.WeakSet[IdentityCache] = weakref.WeakSet()


def _forget_users(user_ids: set[int]) -> None:
    for cache in list(_CACHES):
        for user_id in user_ids:
            cache.forget_user(user_id)


def _forget_everything() -> None:
    for cache in list(_CACHES):
        cache.clear()


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context: Any) -> None:
    """A flushed change to an account or a login session (revoked, disabled, role or language
    changed) forgets that account's entries."""
    touched: set[int] = set()
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, User):
            touched.add(instance.id)
        elif isinstance(instance, LoginSession):
            touched.add(instance.user_id)
    if touched:
        _forget_users(touched)


@event.listens_for(Session, "do_orm_execute")
def _on_bulk_change(state: ORMExecuteState) -> None:
    """An ORM UPDATE or DELETE of the watched tables (sign out everywhere, disable an account)
    changes rows the flush never sees: forget everything, as such changes are rare."""
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED:
        _forget_everything()
