"""The declarative base shared by every domain package.

It lives in the item bank, the root of the data model, so that ``itembank``, ``proctoring`` and the
web layer map their tables onto one ``MetaData`` without the domain packages importing Flask.
The naming convention keeps constraint names identical on SQLite and PostgreSQL, which keeps
Alembic revisions stable.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, DateTime, Dialect, MetaData, select
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session
from sqlalchemy.types import TypeDecorator

from itembank.refusal import Refusal

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

Record = TypeVar("Record")

#: The largest value an INTEGER column holds on every database we run on (32-bit on PostgreSQL).
MAX_INTEGER = 2**31 - 1


def one_of(column: str, values: Iterable[str]) -> str:
    """The SQL of a check constraint that ``column`` holds one of ``values`` (codes, never user text)."""
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def record_to_save(
    session: Session,
    record: Record | None,
    column: InstrumentedAttribute[str],
    value: str,
    code: str,
    *where: ColumnElement[bool],
    **new: Any,
) -> Record:
    """The row a create-or-edit form is saved into: ``record``, or (``None``) a new row of ``column``'s
    class made with ``new`` and added to the session.

    Refuses with ``code`` when another row already holds ``value`` in the unique ``column`` (within
    the rows matching ``where``, for a code unique per parent): the person is told, instead of the
    database's unique constraint failing the request."""
    model: Any = column.class_
    clash = session.scalar(select(model).where(column == value, *where))
    if clash is not None and clash is not record:
        raise Refusal(code)
    if record is None:
        record = cast(Record, model(**new))
        session.add(record)
    return record


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC that always comes back timezone-aware.

    SQLite has no time zones and returns naive values; PostgreSQL returns aware ones. Normalising
    here means the rest of the code compares aware datetimes only.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base for all tables of the platform."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
