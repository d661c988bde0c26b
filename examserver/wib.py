"""Western Indonesian Time (WIB, UTC+7): the one place the web layer turns what a person types or
reads into the UTC the database keeps, and back.

People enter and read times in WIB (``datetime-local`` fields carry no zone); the database stores
aware UTC. Displayed times go through Flask-Babel, whose ``BABEL_DEFAULT_TIMEZONE`` is this zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

#: The zone of every time a person types or reads.
WIB = ZoneInfo("Asia/Jakarta")

#: The format of a ``datetime-local`` form field (minutes, no zone: understood as WIB).
MOMENT = "%Y-%m-%dT%H:%M"


def from_wib(value: datetime) -> datetime:
    """A naive WIB form value as an aware UTC datetime."""
    return value.replace(tzinfo=WIB).astimezone(UTC)


def to_wib(value: datetime) -> datetime:
    """An aware datetime as the naive WIB value a ``datetime-local`` field shows."""
    return value.astimezone(WIB).replace(tzinfo=None)
