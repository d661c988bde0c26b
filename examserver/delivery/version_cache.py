"""What the hot path derives from item versions, kept per process.

Item versions never change (a database trigger refuses it), so what a request derives from one (the
candidate's rendering of it, the facts a save checks a response against) is read once per process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")

#: Versions kept per cache; a cache that would grow past this is cleared and fills again.
CACHE_SIZE = 20_000


class VersionCache(Generic[T]):
    """Values derived from item versions, keyed by ``(version id, its created_at)``: the time tells
    apart a version id reused by another database (tests run many, each on its own copy).

    ``load(session, version_ids)`` reads the missing ones at once and yields
    ``(version id, created_at, value)``."""

    def __init__(
        self, load: Callable[[Session, list[int]], Iterable[tuple[int, datetime, T]]], size: int = CACHE_SIZE
    ) -> None:
        self._load = load
        self._size = size
        self._kept: dict[tuple[int, datetime], T] = {}

    def get(self, session: Session, versions: Iterable[tuple[int, datetime]]) -> dict[int, T]:
        """The value of each of ``versions`` (``(version id, created_at)`` pairs) by version id."""
        wanted = set(versions)
        missing = [version_id for version_id, at in wanted if (version_id, at) not in self._kept]
        if missing:
            if len(self._kept) + len(missing) > self._size:
                self._kept.clear()
            for version_id, created_at, value in self._load(session, missing):
                self._kept[version_id, created_at] = value
        return {version_id: self._kept[version_id, at] for version_id, at in wanted}
