"""The tamper-evident log: per-session SHA-256 hash chains with RFC 6962 Merkle checkpoints.

Election systems publish hash-chained ballot records so that nobody, not even an operator with
database access, can change a record unnoticed; we do the same for integrity events and for the
decisions that can end a candidacy. Each record is serialised canonically (JSON, sorted keys, no
spaces, UTF-8) and hashed; each chain entry commits to that hash and to the previous entry, and
each record row keeps the position of its entry, so

* editing a record changes its hash (caught against the entry),
* editing or deleting an entry breaks the chain (caught at the next link) or orphans its record,
* cutting off the end of a chain is caught by the Merkle checkpoints: they are published on the
  public results pages and appended to an anchor file outside the database.

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

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from itembank.database import utcnow
from proctoring.merkle import tree_hash
from proctoring.models import Appeal, Checkpoint, IntegrityEvent, LogEntry, ProctorDecision

PLATFORM_CHAIN = 0


# ------------------------------------------------------------------------------ canonical form


def _moment(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value is not None else None


def canonical_bytes(payload: dict) -> bytes:
    """The one byte form of a record: JSON with sorted keys, no whitespace, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def event_record(event: IntegrityEvent) -> dict:
    return {
        "type": "event", "id": event.id, "session_id": event.session_id, "source": event.source,
        "kind": event.kind, "received_at": _moment(event.received_at), "client_at": event.client_at,
        "duration_ms": event.duration_ms, "details": event.details, "actor_id": event.actor_id,
    }  # fmt: skip


def decision_record(decision: ProctorDecision) -> dict:
    return {
        "type": "decision", "id": decision.id, "session_id": decision.session_id,
        "decision": decision.decision, "category": decision.category, "reason": decision.reason,
        "decided_by_id": decision.decided_by_id, "decided_at": _moment(decision.decided_at),
    }  # fmt: skip


def confirmation_record(decision: ProctorDecision) -> dict:
    return {
        "type": "confirmation", "decision_id": decision.id, "confirmed_by_id": decision.confirmed_by_id,
        "confirmed_at": _moment(decision.confirmed_at),
    }  # fmt: skip


def appeal_record(appeal: Appeal) -> dict:
    return {
        "type": "appeal", "id": appeal.id, "decision_id": appeal.decision_id, "session_id": appeal.session_id,
        "text": appeal.text, "filed_at": _moment(appeal.filed_at),
    }  # fmt: skip


def appeal_outcome_record(appeal: Appeal) -> dict:
    return {
        "type": "appeal_outcome", "appeal_id": appeal.id, "status": appeal.status, "outcome": appeal.outcome,
        "decided_by_id": appeal.decided_by_id, "decided_at": _moment(appeal.decided_at),
    }  # fmt: skip


#: record_type -> (model, function giving the canonical record of a row)
RECORDS: dict[str, tuple[type, Callable[[object], dict]]] = {
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


def _lock_chain(session: Session, chain_id: int) -> None:
    """Serialise appends to one chain. PostgreSQL: a transaction-scoped advisory lock; SQLite
    already serialises writers. The unique (chain_id, position) constraint backs both up."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 7_000_000_000 + chain_id})


def append(session: Session, chain_id: int, record_type: str, record_id: int | None, payload: dict) -> LogEntry:
    """Append a record to a chain and return its entry (flushed)."""
    _lock_chain(session, chain_id)
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


def append_row(session: Session, chain_id: int, record_type: str, row) -> LogEntry:
    """Append a record row (flushed, so it has an id) and remember its chain position."""
    session.flush()
    _, to_record = RECORDS[record_type]
    entry = append(session, chain_id, record_type, row.id, to_record(row))
    if record_type in ("event", "decision", "appeal"):
        row.chain_position = entry.position
    return entry


def head(session: Session, chain_id: int):
    """The chain's last entry as a row ``(position, entry_hash)``, or None for an empty chain."""
    return session.execute(
        select(LogEntry.position, LogEntry.entry_hash)
        .where(LogEntry.chain_id == chain_id)
        .order_by(LogEntry.position.desc())
        .limit(1)
    ).first()


def append_many(session: Session, chain_id: int, records: Sequence[tuple[str, int | None, dict]]) -> tuple[int, str]:
    """Append ``(record_type, record_id, payload)`` records in order with one read of the chain's
    head and one bulk insert (the answer saves' path); returns the new head (position, hash)."""
    _lock_chain(session, chain_id)
    last = head(session, chain_id)
    position, prev = (0, genesis_hash(chain_id)) if last is None else (last.position, last.entry_hash)
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
    if rows:
        session.execute(insert(LogEntry), rows)
    return position, prev


# ------------------------------------------------------------------------------- checkpoints


def checkpoint(session: Session, chain_id: int, *, anchor_file: Path | None = None) -> Checkpoint | None:
    """Publish the Merkle tree head over the chain's payload hashes (None for an empty chain).

    The head is stored, appended to the chain itself, and written to ``anchor_file`` (one line
    per checkpoint) so that a copy outside the database can expose a truncated chain.
    """
    hashes = session.scalars(
        select(LogEntry.payload_hash).where(LogEntry.chain_id == chain_id).order_by(LogEntry.position)
    ).all()
    if not hashes:
        return None
    root = tree_hash([bytes.fromhex(h) for h in hashes]).hex()
    existing = session.scalar(
        select(Checkpoint).where(Checkpoint.chain_id == chain_id, Checkpoint.tree_size == len(hashes))
    )
    if existing is not None:
        return existing
    head = Checkpoint(chain_id=chain_id, tree_size=len(hashes), root_hash=root)
    session.add(head)
    append(session, chain_id, "checkpoint", None, {
        "type": "checkpoint", "chain_id": chain_id, "tree_size": len(hashes), "root_hash": root,
    })  # fmt: skip
    if anchor_file is not None:
        anchor_file.parent.mkdir(parents=True, exist_ok=True)
        with anchor_file.open("a", encoding="ascii") as handle:
            handle.write(f"{chain_id} {len(hashes)} {root}\n")
    return head


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


def _check_chain(session: Session, chain_id: int, cutoffs: list[datetime]) -> Break | None:
    entries = session.scalars(select(LogEntry).where(LogEntry.chain_id == chain_id).order_by(LogEntry.position)).all()
    prev = genesis_hash(chain_id)
    for expected, entry in enumerate(entries, start=1):
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
        if entry.record_type in RECORDS and entry.payload is not None:
            model, to_record = RECORDS[entry.record_type]
            row = session.get(model, entry.record_id)
            if row is None:
                return Break(chain_id, entry.position, f"{entry.record_type} record {entry.record_id} was deleted")
            if sha256_hex(canonical_bytes(to_record(row))) != entry.payload_hash:
                return Break(chain_id, entry.position, f"{entry.record_type} record {entry.record_id} was changed")
        if entry.record_type == "checkpoint" and entry.payload is not None:
            size = entry.payload["tree_size"]
            leaves = [bytes.fromhex(e.payload_hash) for e in entries[:size]]
            if len(leaves) != size or tree_hash(leaves).hex() != entry.payload["root_hash"]:
                return Break(chain_id, entry.position, "checkpoint does not match the entries before it")
        prev = entry.entry_hash
    for head in session.scalars(select(Checkpoint).where(Checkpoint.chain_id == chain_id)):
        leaves = [bytes.fromhex(e.payload_hash) for e in entries[: head.tree_size]]
        if len(leaves) != head.tree_size or tree_hash(leaves).hex() != head.root_hash:
            return Break(chain_id, None, f"published checkpoint of size {head.tree_size} no longer matches")
    return None


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
    if anchor_file is None or not anchor_file.exists():
        return None
    for number, line in enumerate(anchor_file.read_text(encoding="ascii").splitlines(), start=1):
        try:
            chain_id, size, root = line.split()
            chain_id, size = int(chain_id), int(size)
        except ValueError:
            return Break(PLATFORM_CHAIN, None, f"anchor file line {number} is unreadable")
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
    records, receipts and sitting roots, every checkpoint and the anchor file."""
    chain_ids = session.scalars(select(LogEntry.chain_id).distinct().order_by(LogEntry.chain_id)).all()
    checkpoint_chains = session.scalars(select(Checkpoint.chain_id).distinct()).all()
    total = session.scalar(select(func.count(LogEntry.id))) or 0
    cutoffs = _purge_cutoffs(session)
    for chain_id in sorted(set(chain_ids) | set(checkpoint_chains)):
        problem = _check_chain(session, chain_id, cutoffs)
        if problem:
            return Verification(len(chain_ids), total, problem)
    from proctoring import ledger, receipts  # noqa: PLC0415 (they build on this module)

    problem = _orphans(session) or ledger.check(session) or receipts.check(session) or _anchors(session, anchor_file)
    return Verification(len(chain_ids), total, problem)
