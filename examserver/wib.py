"""Western Indonesian Time (WIB, UTC+7): the one place the web layer turns what a person types or
reads into the UTC the database keeps, and back.

People enter and read times in WIB (``datetime-local`` fields carry no zone); the database stores
aware UTC. Displayed times go through :func:`format_moment` (the ``datetimeformat`` template
filter), which names the zone, and days through :func:`format_day` (``dateformat``); both use
Flask-Babel, whose ``BABEL_DEFAULT_TIMEZONE`` is this zone. Nothing else formats a time for people.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask_babel import format_date, format_datetime, format_time, get_locale

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


#: The zone as every displayed time names it, in both languages (Babel would write "WIB" in
#: Indonesian's long format but "+0700" in English's, and nothing in the short and medium ones).
ZONE_NAME = "WIB"


#: The date format each named format writes: Babel's short date has a two-digit year ("03/12/26",
#: "12/3/26"), which reads as a day of 1926 or a code, so the short form writes the medium date
#: ("3 Des 2026", "Dec 3, 2026") and differs from the medium one only in leaving out the seconds.
DATE_FORMAT = {"short": "medium", "medium": "medium", "long": "long", "full": "full"}


def format_moment(value: datetime | None, format: str = "medium") -> str:
    """A moment as a person reads it: the date in the reader's locale (``short``, ``medium``,
    ``long`` or ``full``, or a Babel pattern), the WIB time, and the zone named, e.g.
    "3 Des 2026 22.59.00 WIB", "3 Des 2026 22.59 WIB" (short); empty for None.

    The one formatter of displayed times: the ``datetimeformat`` template filter, refusal messages
    and notices all go through it, so no page shows UTC or a time without its zone."""
    if value is None:
        return ""
    if format not in DATE_FORMAT:
        return f"{format_datetime(value, format)} {ZONE_NAME}"
    # The time without Babel's own zone (its long and full time formats carry one, differently
    # per locale), with seconds except in the short format.
    time = format_time(value, "short" if format == "short" else "medium")
    day = format_date(value, DATE_FORMAT[format])
    return f"{get_locale().datetime_formats[DATE_FORMAT[format]].format(time, day)} {ZONE_NAME}"


def format_day(value: date | datetime | None, format: str = "long") -> str:
    """A day in the reader's locale ("3 Desember 2026"; "3 Des 2026" short or medium, always with the
    full year); a moment counts by its WIB date."""
    return "" if value is None else format_date(value, DATE_FORMAT.get(format, format))
