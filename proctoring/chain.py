"""The tamper-evident log: per-session SHA-256 hash chains with RFC 6962 Merkle checkpoints.

Election systems publish hash-chained ballot records so that nobody, not even an operator with
database access, can change a record unnoticed; we do the same for integrity events and for the
decisions that can end a candidacy. Each record is serialised canonically (JSON, sorted keys, no
spaces, UTF-8) and hashed; each chain entry commits to that hash and to the previous entry, and
each record row keeps the position of its entry, so

* editing a record changes its hash (caught against the entry),
* editing or deleting an entry breaks the chain (caught at the next link) or orphans its record,
* cutting off the end of a chain is caught by the Merkle checkpoints: they are published on the
  public results pages, appended to an anchor file outside the database, and each is also
  recorded on the platform chain, so a session's chain cut back past a checkpoint, or deleted
  with its checkpoints, is caught even without the anchor file. Checkpoints are made when a
  session ends, after every decision and appeal change, and periodically while it runs
  (:func:`checkpoint_due`); only entries after a chain's latest checkpoint can vanish unnoticed
  (as can the platform chain's own newest entries, which only the anchor file covers).

Verification reports the first broken entry. Purging after the retention period removes the
payloads and record details but keeps every hash, so the chain still verifies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Row,
    Select,
    bindparam,
    case,
    func,
    insert,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import Session

from itembank.database import utcnow
from proctoring.merkle import leaf_hash, node_hash, tree_hash
from proctoring.models import Appeal, Checkpoint, IntegrityEvent, LogEntry, ProctorDecision

PLATFORM_CHAIN = 0
#: The platform chain's record of a session chain's checkpoint (chain id, tree size, root).
CHAIN_CHECKPOINT = "chain_checkpoint"


# ------------------------------------------------------------------------------ canonical form


def _moment(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value is not None else None


def canonical_bytes(payload: dict[str, Any]) -> bytes:
    """The one byte form of a record: JSON with sorted keys, no whitespace, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def event_record(event: IntegrityEvent) -> dict[str, Any]:
    return {
        "type": "event", "id": event.id, "session_id": event.session_id, "source": event.source,
        "kind": event.kind, "received_at": _moment(event.received_at), "client_at": event.client_at,
        "duration_ms": event.duration_ms, "details": event.details, "actor_id": event.actor_id,
    }  # fmt: skip


def decision_record(decision: ProctorDecision) -> dict[str, Any]:
    return {
        "type": "decision", "id": decision.id, "session_id": decision.session_id,
        "decision": decision.decision, "category": decision.category, "reason": decision.reason,
        "decided_by_id": decision.decided_by_id, "decided_at": _moment(decision.decided_at),
    }  # fmt: skip


def confirmation_record(decision: ProctorDecision) -> dict[str, Any]:
    return {
        "type": "confirmation", "decision_id": decision.id, "confirmed_by_id": decision.confirmed_by_id,
        "confirmed_at": _moment(decision.confirmed_at),
    }  # fmt: skip


def appeal_record(appeal: Appeal) -> dict[str, Any]:
    return {
        "type": "appeal", "id": appeal.id, "decision_id": appeal.decision_id, "session_id": appeal.session_id,
        "text": appeal.text, "filed_at": _moment(appeal.filed_at),
    }  # fmt: skip


def appeal_outcome_record(appeal: Appeal) -> dict[str, Any]:
    return {
        "type": "appeal_outcome", "appeal_id": appeal.id, "status": appeal.status, "outcome": appeal.outcome,
        "decided_by_id": appeal.decided_by_id, "decided_at": _moment(appeal.decided_at),
    }  # fmt: skip


#: A row that is chained as a record (and keeps its ``chain_position``).
ChainedRow = IntegrityEvent | ProctorDecision | Appeal

#: record_type -> (model, function giving the canonical record of a row). The function takes Any:
#: each accepts only its own model, which the table pairs it with.
RECORDS: dict[str, tuple[type[ChainedRow], Callable[[Any], dict[str, Any]]]] = {
    "event": (IntegrityEvent, event_record),
    "decision": (ProctorDecision, decision_record),
    "confirmation": (ProctorDecision, confirmation_record),
    "appeal": (Appeal, appeal_record),
    "appeal_outcome": (Appeal, appeal_outcome_record),
}


# ---------------------------------------------------------------------------------- appending


def genesis_hash(chain_id: int) -> str:
    """The ``prev_hash`` of a chain's first entry."""
    return sha256_hex(f"ujian-asn integrity chain {chain_id}".encode())


def link_hash(prev_hash: str, payload_hash: str, chain_id: int, position: int) -> str:
    """SHA-256(prev_hash || payload_hash || chain_id || position), hashes as raw bytes."""
    data = bytes.fromhex(prev_hash) + bytes.fromhex(payload_hash)
    return sha256_hex(data + chain_id.to_bytes(8, "big") + position.to_bytes(8, "big"))


#: Advisory lock keys of the chains: this offset plus the chain id.
LOCK_KEY_OFFSET = 7_000_000_000


def lock_chain(session: Session, chain_id: int) -> None:
    """Serialise appends to one chain. PostgreSQL: a transaction-scoped advisory lock; SQLite
    already serialises writers. The unique (chain_id, position) constraint backs both up."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY_OFFSET + chain_id})


def lock_expression(dialect: str, chain_id: ColumnElement[int]) -> ColumnElement[Any] | None:
    """:func:`lock_chain` as an expression to put in a statement the caller runs anyway (None
    where no lock is needed): the answer save takes it in its session row's ``UPDATE ... RETURNING``."""
    if dialect != "postgresql":
        return None
    key = literal_column(str(LOCK_KEY_OFFSET), BigInteger) + chain_id  # a bigint: the offset is past int4
    return func.pg_advisory_xact_lock(key).label("chain_locked")


def append(
    session: Session, chain_id: int, record_type: str, record_id: int | None, payload: dict[str, Any]
) -> LogEntry:
    """Append a record to a chain and return its entry (flushed)."""
    lock_chain(session, chain_id)
    last = session.scalar(
        select(LogEntry).where(LogEntry.chain_id == chain_id).order_by(LogEntry.position.desc()).limit(1)
    )
    position = 1 if last is None else last.position + 1
    prev = genesis_hash(chain_id) if last is None else last.entry_hash
    payload_hash = sha256_hex(canonical_bytes(payload))
    entry = LogEntry(
        chain_id=chain_id,
        position=position,
        record_type=record_type,
        record_id=record_id,
        payload=payload,
        payload_hash=payload_hash,
        prev_hash=prev,
        entry_hash=link_hash(prev, payload_hash, chain_id, position),
    )
    session.add(entry)
    session.flush()
    return entry


def append_row(session: Session, chain_id: int, record_type: str, row: ChainedRow) -> LogEntry:
    """Append a record row (flushed, so it has an id) and remember its chain position."""
    session.flush()
    _, to_record = RECORDS[record_type]
    entry = append(session, chain_id, record_type, row.id, to_record(row))
    if record_type in ("event", "decision", "appeal"):
        row.chain_position = entry.position
    return entry


def head(session: Session, chain_id: int) -> Row[tuple[int, str]] | None:
    """The chain's last entry as a row ``(position, entry_hash)``, or None for an empty chain."""
    return session.execute(
        select(LogEntry.position, LogEntry.entry_hash)
        .where(LogEntry.chain_id == chain_id)
        .order_by(LogEntry.position.desc())
        .limit(1)
    ).first()


_ENTRIES = insert(LogEntry.metadata.tables[LogEntry.__tablename__])
_CHECKPOINTS = insert(Checkpoint.metadata.tables[Checkpoint.__tablename__])


def _linked(
    chain_id: int, position: int, prev: str, records: Sequence[tuple[str, int | None, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The entry rows of ``records`` appended in order after the entry at ``position`` whose hash is
    ``prev`` (position 0 and the genesis hash for an empty chain)."""
    rows = []
    for record_type, record_id, payload in records:
        position += 1
        payload_hash = sha256_hex(canonical_bytes(payload))
        entry_hash = link_hash(prev, payload_hash, chain_id, position)
        rows.append({
            "chain_id": chain_id, "position": position, "record_type": record_type, "record_id": record_id,
            "payload": payload, "payload_hash": payload_hash, "prev_hash": prev, "entry_hash": entry_hash,
        })  # fmt: skip
        prev = entry_hash
    return rows


def append_many(
    session: Session,
    chain_id: int,
    records: Sequence[tuple[str, int | None, dict[str, Any]]],
    *,
    known_head: tuple[int, str | None] | None = None,
) -> tuple[int, str]:
    """Append ``(record_type, record_id, payload)`` records in order with one read of the chain's
    head and one bulk insert (the answer saves' path); returns the new head (position, hash).

    ``known_head`` is the head ``(position, entry_hash)``, ``(0, None)`` for an empty chain, as the
    caller read it after taking :func:`lock_chain` in this transaction: then nothing is read here
    (the save reads the head with its items, in one statement)."""
    if known_head is None:
        lock_chain(session, chain_id)
        last = head(session, chain_id)
        known_head = (0, None) if last is None else (last.position, last.entry_hash)
    position, prev = known_head
    if prev is None:
        position, prev = 0, genesis_hash(chain_id)
    rows = _linked(chain_id, position, prev, records)
    if rows:
        insert_entries(session, rows)
        return rows[-1]["position"], rows[-1]["entry_hash"]
    return position, prev


def insert_entries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert entry rows (of one chain or several) in one statement."""
    session.flush()  # as the ORM's own execute would (nothing to do on the save path)
    session.connection().execute(_ENTRIES, list(rows))  # Core: no ORM bulk machinery per save


def _tail_rows() -> Select[tuple[int, str, str | None]]:
    chain_id = bindparam("chain_id", type_=Integer)
    last = select(func.max(LogEntry.position)).where(LogEntry.chain_id == chain_id).scalar_subquery()
    return (
        select(LogEntry.position, LogEntry.payload_hash, case((LogEntry.position == last, LogEntry.entry_hash)))
        .where(LogEntry.chain_id == chain_id)
        .order_by(LogEntry.position)
    )


#: A chain's entries in position order: position and payload hash, and the entry hash of the last
#: one only (every other is NULL). Parameter: ``chain_id``.
TAIL_ROWS = _tail_rows()


@dataclass
class Tail:
    """The end of a chain as an appender holding its lock sees it (:func:`read_tail`): the head's
    position and entry hash, and every payload hash in position order (the leaves of the chain's
    next checkpoint). :meth:`extend` moves it as records are appended in memory."""

    chain_id: int
    position: int
    head_hash: str
    payload_hashes: list[str]

    def extend(self, records: Sequence[tuple[str, int | None, dict[str, Any]]]) -> list[dict[str, Any]]:
        """The entry rows of ``records`` after the head, in order (to insert with
        :func:`insert_entries`); the tail then ends with the last of them."""
        rows = _linked(self.chain_id, self.position, self.head_hash, records)
        if rows:
            self.position, self.head_hash = rows[-1]["position"], rows[-1]["entry_hash"]
            self.payload_hashes.extend(row["payload_hash"] for row in rows)
        return rows

    def checkpoint_record(self) -> dict[str, Any]:
        """The record of a checkpoint over every entry of the tail (as :func:`checkpoint` makes it)."""
        return _checkpoint_record(self.chain_id, self.payload_hashes)


def tail_after(chain_id: int, position: int | None, entry_hash: str | None) -> Tail:
    """The :class:`Tail` of a chain whose last entry is at ``position`` with ``entry_hash`` (both
    None: an empty chain, at its genesis), for appending only (no payload hashes)."""
    return Tail(chain_id, position or 0, entry_hash or genesis_hash(chain_id), [])


def read_tail(session: Session, chain_id: int) -> Tail:
    """A chain's :class:`Tail` in one statement (:data:`TAIL_ROWS`). The caller holds the chain's
    lock (:func:`lock_chain`, or :func:`lock_expression` in a statement of its own) in this
    transaction, so the tail stays the chain's end until it commits."""
    session.flush()
    rows = session.connection().execute(TAIL_ROWS, {"chain_id": chain_id}).all()
    if not rows:
        return Tail(chain_id, 0, genesis_hash(chain_id), [])
    position, _, entry_hash = rows[-1]
    return Tail(chain_id, position, entry_hash, [payload_hash for _, payload_hash, _ in rows])


# ------------------------------------------------------------------------------- checkpoints


def checkpoint(session: Session, chain_id: int, *, anchor_file: Path | None = None) -> Checkpoint | None:
    """Publish the Merkle tree head over the chain's payload hashes (None for an empty chain).

    The head is stored, appended to the chain itself, recorded on the platform chain (for a
    session's chain) and written to ``anchor_file`` (one line per checkpoint), so that a chain
    cut back or deleted is exposed by the platform chain and by a copy outside the database. A
    chain whose only entry since its latest checkpoint is that checkpoint's own gets no new one.
    """
    hashes = session.scalars(
        select(LogEntry.payload_hash).where(LogEntry.chain_id == chain_id).order_by(LogEntry.position)
    ).all()
    if not hashes:
        return None
    latest = latest_checkpoint(session, chain_id)
    if latest is not None and latest.tree_size >= len(hashes) - 1:
        return latest
    record = _checkpoint_record(chain_id, hashes)
    head = Checkpoint(chain_id=chain_id, tree_size=record["tree_size"], root_hash=record["root_hash"])
    session.add(head)
    # Core inserts (append_many): a checkpoint rides on a candidate's save, where the ORM's unit of
    # work for two entries cost about two thirds of it.
    append_many(session, chain_id, [("checkpoint", None, record)])
    if chain_id != PLATFORM_CHAIN:
        append_many(session, PLATFORM_CHAIN, [platform_record(record)])
    anchor(anchor_file, record)
    return head


def checkpoint_tail(session: Session, tail: Tail, *, anchor_file: Path | None = None) -> dict[str, Any] | None:
    """:func:`checkpoint` of a session chain whose :class:`Tail` the caller read under the chain's
    lock (a save that finds a checkpoint due): the same record, stored, appended to the chain,
    recorded on the platform chain and anchored, in four statements (five on PostgreSQL: the
    platform chain's lock) instead of a dozen. Returns the checkpoint's record (None: empty chain)."""
    if not tail.payload_hashes:
        return None
    record = tail.checkpoint_record()
    rows = tail.extend([("checkpoint", None, record)])
    lock_chain(session, PLATFORM_CHAIN)
    last = head(session, PLATFORM_CHAIN)
    platform = tail_after(PLATFORM_CHAIN, *(last or (None, None)))
    rows += platform.extend([platform_record(record)])
    insert_entries(session, rows)
    insert_checkpoint(session, record)
    anchor(anchor_file, record)
    return record


def _checkpoint_record(chain_id: int, payload_hashes: Sequence[str]) -> dict[str, Any]:
    root = tree_hash([bytes.fromhex(h) for h in payload_hashes]).hex()
    return checkpoint_record(chain_id, len(payload_hashes), root)


def checkpoint_record(chain_id: int, tree_size: int, root_hash: str) -> dict[str, Any]:
    """The record of a checkpoint of ``chain_id`` (the one shape every checkpoint entry, anchor line
    and platform record is made from)."""
    return {"type": "checkpoint", "chain_id": chain_id, "tree_size": tree_size, "root_hash": root_hash}


def platform_record(record: dict[str, Any]) -> tuple[str, int, dict[str, Any]]:
    """The platform chain's record of a session chain's checkpoint ``record``."""
    return (CHAIN_CHECKPOINT, record["chain_id"], {**record, "type": CHAIN_CHECKPOINT})


def insert_checkpoint(session: Session, record: dict[str, Any]) -> None:
    """Store the published tree head of a checkpoint ``record`` (one Core insert)."""
    session.connection().execute(
        _CHECKPOINTS,
        {"chain_id": record["chain_id"], "tree_size": record["tree_size"], "root_hash": record["root_hash"]},
    )


def anchor(anchor_file: Path | None, record: dict[str, Any]) -> None:
    """Append a checkpoint ``record``'s head to the anchor file (one line: chain, size, root)."""
    if anchor_file is not None:
        anchor_file.parent.mkdir(parents=True, exist_ok=True)
        with anchor_file.open("a", encoding="ascii") as handle:
            handle.write(f"{record['chain_id']} {record['tree_size']} {record['root_hash']}\n")


def checkpoint_due(session: Session, chain_id: int, *, now: datetime, every_entries: int, every_seconds: float) -> bool:
    """Whether a running session's chain wants a checkpoint: none yet, or ``every_entries`` new
    entries, or something new and ``every_seconds`` passed since the latest one (two indexed reads)."""
    size = session.scalar(select(func.max(LogEntry.position)).where(LogEntry.chain_id == chain_id)) or 0
    latest = (
        session.execute(
            select(Checkpoint.tree_size, Checkpoint.created_at)
            .where(Checkpoint.chain_id == chain_id)
            .order_by(Checkpoint.tree_size.desc())
            .limit(1)
        )
        .tuples()
        .first()
    )
    return checkpoint_wanted(size, latest, now=now, every_entries=every_entries, every_seconds=every_seconds)


def checkpoint_wanted(
    size: int, latest: tuple[int, datetime] | None, *, now: datetime, every_entries: int, every_seconds: float
) -> bool:
    """:func:`checkpoint_due` on what the caller already read: the chain's ``size`` (its head
    position) and its latest checkpoint ``(tree_size, created_at)``, None when it has none."""
    if latest is None:
        return size > 0
    tree_size, created_at = latest
    new = size - tree_size - 1  # the checkpoint's own entry is not new
    return new >= every_entries or (new > 0 and (now - created_at).total_seconds() >= every_seconds)


def latest_checkpoint(session: Session, chain_id: int) -> Checkpoint | None:
    """The newest tree head of a chain, as shown on public pages."""
    return session.scalar(
        select(Checkpoint).where(Checkpoint.chain_id == chain_id).order_by(Checkpoint.tree_size.desc()).limit(1)
    )


# -------------------------------------------------------------------------------------- purge


def purge(session: Session, *, before: datetime, actor_id: int) -> int:
    """Drop payloads and record details older than ``before``; hashes stay, so chains verify.

    The purge itself is recorded on the platform chain with the cut-off, so verification can tell
    a purged entry from one whose payload was removed to hide a change.
    """
    entries = session.scalars(
        select(LogEntry).where(
            LogEntry.created_at < before,
            LogEntry.purged_at.is_(None),
            LogEntry.chain_id != PLATFORM_CHAIN,
            LogEntry.record_type != "checkpoint",
        )
    ).all()
    now = utcnow()
    for entry in entries:
        entry.payload = None
        entry.purged_at = now
        model, _ = RECORDS.get(entry.record_type, (None, None))
        row = session.get(model, entry.record_id) if model else None
        if isinstance(row, IntegrityEvent):
            row.details, row.client_at = None, None
        elif isinstance(row, Appeal) and entry.record_type == "appeal":
            row.text = ""
    append(session, PLATFORM_CHAIN, "purge", None, {
        "type": "purge", "before": _moment(before), "at": _moment(now), "entries": len(entries), "actor_id": actor_id,
    })  # fmt: skip
    return len(entries)


# ------------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class Break:
    """The first problem found: where, and what."""

    chain_id: int
    position: int | None
    reason: str

    def describe(self) -> str:
        where = f"chain {self.chain_id}" + (f" entry {self.position}" if self.position is not None else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Verification:
    """Result of checking the whole log."""

    chains: int
    entries: int
    first_break: Break | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _purge_cutoffs(session: Session) -> list[datetime]:
    cutoffs = []
    for entry in session.scalars(
        select(LogEntry).where(LogEntry.chain_id == PLATFORM_CHAIN, LogEntry.record_type == "purge")
    ):
        if entry.payload and entry.payload.get("before"):
            cutoffs.append(
                datetime.strptime(entry.payload["before"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                    tzinfo=entry.created_at.tzinfo
                )
            )
    return cutoffs


class _Prefixes:
    """RFC 6962 roots of prefixes of one chain's payload hashes; every aligned perfect subtree is
    hashed once, so checking k checkpoints of an n-entry chain costs O(n + k log n) hashes."""

    def __init__(self, payload_hashes: Sequence[str]):
        self.leaves = [leaf_hash(bytes.fromhex(h)) for h in payload_hashes]
        self.memo: dict[tuple[int, int], bytes] = {}

    def _subtree(self, start: int, end: int) -> bytes:
        if end - start == 1:
            return self.leaves[start]
        key = (start, end)
        if key not in self.memo:
            k = 1
            while k << 1 < end - start:
                k <<= 1
            self.memo[key] = node_hash(self._subtree(start, start + k), self._subtree(start + k, end))
        return self.memo[key]

    def matches(self, size: int, root: str) -> bool:
        """Whether the chain has ``size`` entries or more and its first ``size`` have ``root``."""
        if size > len(self.leaves):
            return False
        return (self._subtree(0, size) if size else tree_hash([])).hex() == root


def _link_problem(entry: LogEntry, chain_id: int, expected: int, prev: str, cutoffs: list[datetime]) -> Break | None:
    """The entry's place in the hash chain, and its payload (present and unchanged, or purged)."""
    if entry.position != expected:
        return Break(chain_id, expected, "entry missing (positions jump)")
    if entry.prev_hash != prev:
        return Break(chain_id, entry.position, "previous hash does not match the entry before")
    if entry.entry_hash != link_hash(entry.prev_hash, entry.payload_hash, chain_id, entry.position):
        return Break(chain_id, entry.position, "entry hash does not match its contents")
    if entry.payload is not None:
        if sha256_hex(canonical_bytes(entry.payload)) != entry.payload_hash:
            return Break(chain_id, entry.position, "payload was changed")
    elif entry.purged_at is None or not any(entry.created_at < cutoff for cutoff in cutoffs):
        return Break(chain_id, entry.position, "payload removed without a recorded purge")
    return None


def _content_problem(session: Session, entry: LogEntry, chain_id: int, prefixes: _Prefixes) -> Break | None:
    """What a present payload vouches for: its record row, or the prefix of the chain a checkpoint names."""
    if entry.payload is None:
        return None
    if entry.record_type in RECORDS:
        model, to_record = RECORDS[entry.record_type]
        row = session.get(model, entry.record_id)
        if row is None:
            return Break(chain_id, entry.position, f"{entry.record_type} record {entry.record_id} was deleted")
        if sha256_hex(canonical_bytes(to_record(row))) != entry.payload_hash:
            return Break(chain_id, entry.position, f"{entry.record_type} record {entry.record_id} was changed")
    if entry.record_type == "checkpoint":
        size = entry.payload["tree_size"]
        if size >= entry.position or not prefixes.matches(size, entry.payload["root_hash"]):
            return Break(chain_id, entry.position, "checkpoint does not match the entries before it")
    return None


def _heads_problem(
    session: Session, chain_id: int, prefixes: _Prefixes, recorded: tuple[int, str] | None
) -> Break | None:
    """The chain against its published checkpoints and the one the platform chain recorded for it."""
    for head in session.scalars(select(Checkpoint).where(Checkpoint.chain_id == chain_id)):
        if not prefixes.matches(head.tree_size, head.root_hash):
            return Break(chain_id, None, f"published checkpoint of size {head.tree_size} no longer matches")
    if recorded is not None and not prefixes.matches(*recorded):
        return Break(chain_id, None, f"chain no longer matches its checkpoint of size {recorded[0]} "
                     "recorded on the platform chain (cut back?)")  # fmt: skip
    return None


def _check_chain(
    session: Session, chain_id: int, cutoffs: list[datetime], recorded: tuple[int, str] | None = None
) -> Break | None:
    """The first problem of one chain: its links and payloads entry by entry, then its checkpoints."""
    entries = session.scalars(select(LogEntry).where(LogEntry.chain_id == chain_id).order_by(LogEntry.position)).all()
    if not entries and recorded is not None:
        return Break(chain_id, None, "chain with a checkpoint on the platform chain is missing")
    prefixes = _Prefixes([entry.payload_hash for entry in entries])
    prev = genesis_hash(chain_id)
    for expected, entry in enumerate(entries, start=1):
        problem = _link_problem(entry, chain_id, expected, prev, cutoffs) or _content_problem(
            session, entry, chain_id, prefixes
        )
        if problem:
            return problem
        prev = entry.entry_hash
    return _heads_problem(session, chain_id, prefixes, recorded)


def _recorded_checkpoints(session: Session) -> dict[int, tuple[int, str]]:
    """The latest checkpoint recorded on the platform chain for each chain: ``(tree_size, root)``."""
    latest: dict[int, tuple[int, str]] = {}
    for (payload,) in session.execute(
        select(LogEntry.payload).where(LogEntry.chain_id == PLATFORM_CHAIN, LogEntry.record_type == CHAIN_CHECKPOINT)
    ):
        if payload and payload["tree_size"] >= latest.get(payload["chain_id"], (0, ""))[0]:
            latest[payload["chain_id"]] = (payload["tree_size"], payload["root_hash"])
    return latest


def _orphans(session: Session) -> Break | None:
    """Record rows whose chain entry is gone or is not theirs."""
    for model, record_type in ((IntegrityEvent, "event"), (ProctorDecision, "decision"), (Appeal, "appeal")):
        rows = session.execute(select(model.id, model.session_id, model.chain_position)).all()
        entries = {
            (chain_id, position): record_id
            for chain_id, position, record_id in session.execute(
                select(LogEntry.chain_id, LogEntry.position, LogEntry.record_id).where(
                    LogEntry.record_type == record_type
                )
            )
        }
        for row_id, session_id, position in rows:
            if entries.get((session_id, position)) != row_id:
                return Break(session_id, position, f"{record_type} record {row_id} has no matching chain entry")
    return None


def _anchors(session: Session, anchor_file: Path | None) -> Break | None:
    """Each chain against the largest tree head the anchor file holds for it (a smaller head is a
    prefix of the same chain, so the largest one covers it)."""
    if anchor_file is None or not anchor_file.exists():
        return None
    largest: dict[int, tuple[int, str]] = {}
    for number, line in enumerate(anchor_file.read_text(encoding="ascii").splitlines(), start=1):
        try:
            chain_text, size_text, root = line.split()
            chain_id, size = int(chain_text), int(size_text)
        except ValueError:
            return Break(PLATFORM_CHAIN, None, f"anchor file line {number} is unreadable")
        if size >= largest.get(chain_id, (0, ""))[0]:
            largest[chain_id] = (size, root)
    for chain_id, (size, root) in sorted(largest.items()):
        hashes = session.scalars(
            select(LogEntry.payload_hash)
            .where(LogEntry.chain_id == chain_id, LogEntry.position <= size)
            .order_by(LogEntry.position)
        ).all()
        if len(hashes) != size or tree_hash([bytes.fromhex(h) for h in hashes]).hex() != root:
            return Break(chain_id, None, f"chain no longer matches the anchored head of size {size} (truncated?)")
    return None


def verify(session: Session, *, anchor_file: Path | None = None) -> Verification:
    """Check every chain, every record against its entry, answers and results against their chained
    records, receipts and sitting roots, every checkpoint (also against the latest one the platform
    chain records for each chain, which must exist) and the anchor file."""
    chain_ids = session.scalars(select(LogEntry.chain_id).distinct().order_by(LogEntry.chain_id)).all()
    checkpoint_chains = session.scalars(select(Checkpoint.chain_id).distinct()).all()
    total = session.scalar(select(func.count(LogEntry.id))) or 0
    cutoffs = _purge_cutoffs(session)
    recorded = _recorded_checkpoints(session)
    for chain_id in sorted(set(chain_ids) | set(checkpoint_chains) | set(recorded)):
        problem = _check_chain(session, chain_id, cutoffs, recorded.get(chain_id))
        if problem:
            return Verification(len(chain_ids), total, problem)
    from proctoring import ledger, receipts  # noqa: PLC0415 (they build on this module)

    problem = _orphans(session) or ledger.check(session) or receipts.check(session) or _anchors(session, anchor_file)
    return Verification(len(chain_ids), total, problem)
