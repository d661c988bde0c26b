"""The answer save's SQL statements, and the answer sheet's read at the end of a session, built
once per process.

A save is the request every candidate sends every minute, and a submit comes for a whole room at
once, so their statements are constructed at import (or once per dialect) with bound parameters,
and executed on the session's connection as Core statements. A statement object that is reused
keeps its cache key and its compiled form in SQLAlchemy's cache, so a save only binds values:
building and compiling the same select on every request cost more CPU than running it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, bindparam, func, literal_column, select, text, update

from examserver.delivery.models import Answer, ExamSession, SessionItem
from itembank.models import Item, ItemParameter, ItemVersion
from proctoring import chain
from proctoring.models import Checkpoint, IntegrityEvent, LogEntry

#: The tables (``__table__`` is typed as any FromClause; Core's update and insert want a table).
sessions = ExamSession.metadata.tables[ExamSession.__tablename__]
items = SessionItem.metadata.tables[SessionItem.__tablename__]
answers = Answer.metadata.tables[Answer.__tablename__]

#: The columns a save writes of an answer row (besides ``session_item_id``, the conflict target).
ANSWER_FIELDS = (
    "response", "is_flagged", "client_id", "client_seq", "saved_at", "client_answered_at", "change_count",
)  # fmt: skip


def with_chain_lock(dialect: str, returned: list[ColumnElement[Any]]) -> list[ColumnElement[Any]]:
    """``returned`` and, on PostgreSQL, the session chain's advisory lock
    (:func:`proctoring.chain.lock_expression`), for an ``UPDATE ... RETURNING`` of the session row
    that takes the row's lock first, as a save does."""
    lock = chain.lock_expression(dialect, sessions.c.id)
    return [*returned, lock] if lock is not None else returned


@cache
def touch(dialect: str):
    """Lock the candidate's session row, mark it seen and read its facts: ``UPDATE ... RETURNING``
    (the row lock a save needs, as ``SELECT ... FOR UPDATE`` would take it), with the schedule's
    grace and the blueprint's delivery mode. On PostgreSQL the same statement takes the session
    chain's advisory lock (:func:`proctoring.chain.lock_expression`), after the row lock: one round
    trip fewer. Parameters: ``sid`` (the session), ``uid`` (its candidate), ``seen``."""
    # Written out: SQLite renders RETURNING columns without their table, which would leave a
    # correlated subquery's ``id`` ambiguous.
    grace = literal_column(
        "(SELECT s.grace_seconds FROM exam_schedule s WHERE s.id = exam_session.schedule_id)", Integer
    )
    mode = literal_column(
        "(SELECT b.delivery_mode FROM exam_schedule s JOIN test_blueprint b ON b.id = s.blueprint_id"
        " WHERE s.id = exam_session.schedule_id)",
        String,
    )
    returned: list[ColumnElement[Any]] = [
        sessions.c.id, sessions.c.status, sessions.c.active_client_id, sessions.c.paused_at,
        sessions.c.deadline_at, grace, mode,
    ]  # fmt: skip
    return (
        update(sessions)
        .where(sessions.c.id == bindparam("sid"), sessions.c.candidate_id == bindparam("uid"))
        .values(last_seen_at=bindparam("seen"))
        .returning(*with_chain_lock(dialect, returned))
    )


@cache
def resume_touch(dialect: str):
    """Mark the candidate's running session seen on the device that holds it, with its clock still
    running within the deadline (or paused), and, on PostgreSQL, take the session chain's lock:
    ``UPDATE ... RETURNING`` its id (no row: not such a resume, the full start path decides).
    Parameters: ``sid``, ``uid`` (its candidate), ``client`` (the device), ``seen``."""
    return (
        update(sessions)
        .where(
            sessions.c.id == bindparam("sid"),
            sessions.c.candidate_id == bindparam("uid"),
            sessions.c.status == "in_progress",
            sessions.c.active_client_id == bindparam("client"),
            sessions.c.paused_at.is_not(None) | (sessions.c.deadline_at >= bindparam("seen")),
        )
        .values(last_seen_at=bindparam("seen"))
        .returning(*with_chain_lock(dialect, [sessions.c.id]))
    )


def _rows():
    exam_id = bindparam("exam_id")
    head = select(LogEntry.position, LogEntry.entry_hash).where(LogEntry.chain_id == exam_id)
    head = head.order_by(LogEntry.position.desc()).limit(1)
    latest = select(Checkpoint.tree_size, Checkpoint.created_at).where(Checkpoint.chain_id == exam_id)
    latest = latest.order_by(Checkpoint.tree_size.desc()).limit(1)
    message = select(func.max(IntegrityEvent.id)).where(
        IntegrityEvent.session_id == exam_id, IntegrityEvent.kind == "message"
    )
    shown = select(func.max(SessionItem.position)).where(SessionItem.session_id == exam_id)
    facts = select(
        head.with_only_columns(LogEntry.position).scalar_subquery().label("head_position"),
        head.with_only_columns(LogEntry.entry_hash).scalar_subquery().label("head_hash"),
        latest.with_only_columns(Checkpoint.tree_size).scalar_subquery().label("checkpoint_size"),
        latest.with_only_columns(Checkpoint.created_at).scalar_subquery().label("checkpoint_at"),
        message.scalar_subquery().label("message_id"),
        shown.scalar_subquery().label("shown"),
    ).subquery()
    return (
        select(
            facts,
            items.c.id,
            items.c.position,
            items.c.version_id,
            items.c.option_order,
            ItemVersion.created_at.label("version_at"),
            answers.c.id.label("answer_id"),
            answers.c.client_seq,
            answers.c.response,
            answers.c.change_count,
        )
        .select_from(facts)
        .outerjoin(
            items, (items.c.session_id == exam_id) & items.c.position.in_(bindparam("positions", expanding=True))
        )
        .outerjoin(ItemVersion, ItemVersion.id == items.c.version_id)
        .outerjoin(answers, answers.c.session_item_id == items.c.id)
    )


#: The saved positions' items and answers, with the session chain's head, its latest checkpoint,
#: the newest proctor message and the last shown position (always one row, of facts, when no
#: position matches). Parameters: ``exam_id``, ``positions``.
SAVE_ROWS = _rows()


@cache
def upsert(rows: int):
    """Write the applied state of ``rows`` saved positions in one statement: INSERT with ON
    CONFLICT, whose ``WHERE`` keeps the sequence rule in SQL (the stored sequence must be lower),
    returning each written row's ``(session_item_id, id)``. Parameters: each column of
    :data:`ANSWER_FIELDS` and ``session_item_id``, suffixed with the row's index (``response_0``).

    Written as text, which PostgreSQL and SQLite both accept as it stands: SQLAlchemy's dialect
    inserts with ``on_conflict_do_update`` are not cacheable and were compiled again on every save
    (about a third of its CPU). The bound parameters keep the columns' types (JSON, UTC times)."""
    columns = ("session_item_id", *ANSWER_FIELDS)
    values = ", ".join("(" + ", ".join(f":{name}_{row}" for name in columns) + ")" for row in range(rows))
    updates = ", ".join(f"{name} = excluded.{name}" for name in ANSWER_FIELDS)
    statement = text(
        f"INSERT INTO {answers.name} ({', '.join(columns)}) VALUES {values}"
        f" ON CONFLICT (session_item_id) DO UPDATE SET {updates}"
        f" WHERE {answers.name}.client_seq < excluded.client_seq"
        f" RETURNING session_item_id, id"
    )
    typed = [bindparam(f"{name}_{row}", type_=answers.c[name].type) for row in range(rows) for name in columns]
    return statement.bindparams(*typed).columns(answers.c.session_item_id, answers.c.id)


def upsert_parameters(written: list[dict]) -> dict:
    """The parameters of :func:`upsert` for ``written`` answer rows."""
    return {f"{name}_{row}": value for row, values in enumerate(written) for name, value in values.items()}


def _sheet():
    # Each shown item's current parameter row as ``Item.current_parameter`` picks it (the newest
    # current one), grouped once over the session's items: a correlated subquery in the join ran
    # twice per item on PostgreSQL (most of the submit's database time).
    shown = items.alias("shown")
    current = (
        select(ItemParameter.item_id, func.max(ItemParameter.id).label("id"))
        .join(shown, shown.c.item_id == ItemParameter.item_id)
        .where(shown.c.session_id == bindparam("exam_id"), ItemParameter.is_current.is_(True))
        .group_by(ItemParameter.item_id)
        .subquery("current_parameter")
    )
    return (
        select(
            items.c.position,
            items.c.section_id,
            items.c.version_id,
            Item.item_type,
            ItemVersion.answer.label("key"),
            answers.c.id.label("answer_id"),
            answers.c.response,
            answers.c.client_seq,
            answers.c.saved_at,
            ItemParameter.id.label("parameter_id"),
            ItemParameter.model.label("parameter_model"),
            ItemParameter.a.label("parameter_a"),
            ItemParameter.b.label("parameter_b"),
            ItemParameter.c.label("parameter_c"),
            ItemParameter.thresholds.label("parameter_thresholds"),
        )
        .select_from(items)
        .join(Item, Item.id == items.c.item_id)
        .join(ItemVersion, ItemVersion.id == items.c.version_id)
        .outerjoin(current, current.c.item_id == items.c.item_id)
        .outerjoin(ItemParameter, ItemParameter.id == current.c.id)
        .outerjoin(answers, answers.c.session_item_id == items.c.id)
        .where(items.c.session_id == bindparam("exam_id"))
        .order_by(items.c.position)
    )


#: An ended session's answer sheet, one row per shown item in position order: its section, version
#: and key, the item's type and current parameter row (NULLs when it has none), and the answer
#: (NULLs when never saved). What scoring and the chained answer sheet read
#: (:func:`examserver.delivery.scoring.read_sheet`). Parameter: ``exam_id``.
SHEET_ROWS = _sheet()
