"""The sign-in lookup remembered for a few seconds, so a candidate's ping, save and status cost no
database round trip for who they are (issue 16).

Every request of a signed-in browser names a server-side login session by its cookie; reading that
row and its account is one statement, but on PostgreSQL also a connection checkout, a pre-ping, a
BEGIN and a ROLLBACK: more than half of a ping. What the lookup found is kept here, per application
and process, for ``IDENTITY_CACHE_SECONDS`` (0 turns the cache off), together with the times the
life of a sign-in is judged by, so an entry is used only while the session is still live by
:func:`examserver.accounts.services.session_is_live` on the request's own clock, and never when
its last-seen time is due to be written back (that read goes to the database, as before).

What a revocation means here. In this process it takes effect at once: a flush that changes an
account or a login session, and any ORM UPDATE or DELETE of those tables (signing out everywhere,
disabling an account), forgets what the cache holds for them. Another process or node learns it
from the database when its entry ends, so a revoked cookie can keep being answered there for at
most ``IDENTITY_CACHE_SECONDS``; the default of 5 s is the price of the saving, stated in the
security guide.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from examserver.accounts.models import LoginSession, User

#: An execution option for the lookup's own writes (the last-seen touch): they change nothing the
#: cache holds, and forgetting every entry at each touch would empty it once a minute per candidate.
KEEPS_IDENTITIES = "keeps_identities"
#: The tables whose changes can end or change a sign-in.
WATCHED = (User.__tablename__, LoginSession.__tablename__)


@dataclass(frozen=True, slots=True)
class Remembered:
    """What one lookup found: the identity (any object with ``user_id``) and the times its life is
    judged by, valid until ``until`` on the monotonic clock."""

    identity: Any
    created_at: datetime
    last_seen_at: datetime
    until: float


class IdentityCache:
    """Token digest to :class:`Remembered`, bounded, with a reverse index by account."""

    def __init__(self, seconds: float, size: int = 100_000):
        self.seconds = seconds
        self.size = size
        self._entries: dict[str, Remembered] = {}
        self._by_user: dict[int, set[str]] = {}
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
        self._entries[digest] = Remembered(identity, created_at, last_seen_at, time.monotonic() + self.seconds)
        self._by_user.setdefault(identity.user_id, set()).add(digest)

    def forget_user(self, user_id: int) -> None:
        for digest in self._by_user.pop(user_id, ()):
            self._entries.pop(digest, None)

    def clear(self) -> None:
        self._entries.clear()
        self._by_user.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, digest: str) -> None:
        found = self._entries.pop(digest, None)
        if found is not None:
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
    if not (state.is_update or state.is_delete) or state.execution_options.get(KEEPS_IDENTITIES):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED:
        _forget_everything()
