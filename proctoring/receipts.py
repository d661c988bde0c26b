"""Candidates' receipts and the sittings' published Merkle trees.

When a session ends, after its answer sheet, result and end checkpoint are on its chain, the head
of the chain (the hash of that last entry) is sealed: it becomes a leaf of the sitting's RFC 6962
Merkle tree, leaves in the order sessions were sealed, and the new tree head is stored and shown on
the sitting's public pages. The candidate gets a receipt: the first 100 bits of the head in
RFC 4648 base32, 20 characters read in groups of five. With it anyone can ask for the audit path of
the head and check it against the published root (RFC 6962 section 2.1.1; verification as in
RFC 9162 section 2.1.3.2), like the receipts of end-to-end verifiable elections (Adida and Neff,
"Ballot casting assurance", EVT 2006): a later change of the candidate's answers or result breaks
the chain, and a changed head no longer proves inclusion.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, exists, insert, select, text
from sqlalchemy.orm import Session

from itembank.database import utcnow
from proctoring import chain
from proctoring.chain import LOCK_KEY_OFFSET, PLATFORM_CHAIN, Break
from proctoring.merkle import (
    frontier_append,
    frontier_of,
    frontier_root,
    inclusion_proof,
    leaf_hash,
    verify_inclusion,
)
from proctoring.models import LogEntry, Receipt, SealQueue, SittingRoot

CODE_LENGTH = 20  # 100 bits
GROUP = 5
#: Advisory lock keys of the sittings: this offset plus the schedule id.
SITTING_LOCK_OFFSET = 8_000_000_000


def receipt_code(final_head: str) -> str:
    """The receipt of a chain head (hex): its first 100 bits in RFC 4648 base32."""
    return base64.b32encode(bytes.fromhex(final_head)).decode("ascii")[:CODE_LENGTH]


def readable(code: str) -> str:
    """A receipt in groups of five for reading aloud and typing: ``ABCDE-FGHIJ-KLMNO-PQRST``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(typed: str) -> str:
    """What a person typed, without spaces and dashes, in capitals."""
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())


def _heads(session: Session, schedule_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Receipt.final_head).where(Receipt.schedule_id == schedule_id).order_by(Receipt.leaf_index)
        )
    )


#: The platform chain's lock, then the sitting's (serialising the seals of one sitting), in one round
#: trip: PostgreSQL evaluates the list in order, the order a checkpoint and then a seal take them.
_PLATFORM_AND_SITTING_LOCKS = text(
    "SELECT CASE WHEN pg_try_advisory_xact_lock(:platform) THEN pg_try_advisory_xact_lock(:sitting) ELSE false END"
)
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_QUEUE = insert(SealQueue.metadata.tables[SealQueue.__tablename__])
#: Heads sealed per transaction by :func:`seal_queued`.
SEAL_BATCH = 500
_RECEIPTS = insert(Receipt.metadata.tables[Receipt.__tablename__])
_ROOTS = insert(SittingRoot.metadata.tables[SittingRoot.__tablename__])


#: A sitting's latest published tree head: its size and frontier. Parameter: ``schedule_id``.
_LATEST_ROOT = (
    select(SittingRoot.tree_size, SittingRoot.frontier)
    .where(SittingRoot.schedule_id == bindparam("schedule_id"))
    .order_by(SittingRoot.tree_size.desc())
    .limit(1)
)


def _sealing_row() -> Select[tuple[int | None, str | None, int | None, str | None, bool]]:
    platform = (
        select(LogEntry.position, LogEntry.entry_hash)
        .where(LogEntry.chain_id == PLATFORM_CHAIN)
        .order_by(LogEntry.position.desc())
        .limit(1)
    )
    return select(
        platform.with_only_columns(LogEntry.position).scalar_subquery().label("platform_position"),
        platform.with_only_columns(LogEntry.entry_hash).scalar_subquery().label("platform_hash"),
        _LATEST_ROOT.with_only_columns(SittingRoot.tree_size).scalar_subquery().label("tree_size"),
        _LATEST_ROOT.with_only_columns(SittingRoot.frontier).scalar_subquery().label("frontier"),
        exists().where(Receipt.session_id == bindparam("session_id")).label("sealed"),
    )


#: In one row: the platform chain's head, the sitting's latest published tree head (its size and
#: frontier) and whether the session is sealed already. Parameters: ``schedule_id``, ``session_id``.
SEALING_ROW = _sealing_row()
HASH_HEX = 64


def pack(frontier: Sequence[bytes]) -> str:
    """A frontier as stored (:attr:`SittingRoot.frontier`): its hashes in hex, one after another."""
    return "".join(node.hex() for node in frontier)


def unpack(stored: str | None, size: int) -> list[bytes] | None:
    """The frontier of a tree of ``size`` leaves as stored; None when it is not (an older head) or
    is not one of that size (the next seal then rebuilds it from the leaves). An empty tree's is empty."""
    if size == 0:
        return []
    if stored is None or len(stored) != HASH_HEX * size.bit_count():
        return None
    try:
        return [bytes.fromhex(stored[i : i + HASH_HEX]) for i in range(0, len(stored), HASH_HEX)]
    except ValueError:
        return None


def close(
    session: Session,
    tail: chain.Tail,
    records: Sequence[tuple[str, int | None, dict[str, Any]]],
    *,
    schedule_id: int,
    anchor_file: Path | None = None,
) -> str | None:
    """End an ended session's chain: append ``records`` (at least one) after ``tail`` (read under the
    chain's lock, :func:`proctoring.chain.read_tail`), then its checkpoint (stored, recorded on the
    platform chain, anchored, as :func:`proctoring.chain.checkpoint` makes one), and seal the new
    head into the sitting's tree: the next leaf, and the new root published. Returns the receipt code.
    When another seal holds the locks (many sessions ending at once), the chain is closed all the
    same but the head is queued, and the sweeper seals the queue in batches (:func:`seal_queued`):
    None, and the receipt comes with its next pass.

    Few round trips: on PostgreSQL one statement takes the platform chain's and the sitting's locks
    and one reads both heads, then one insert writes the entries of both chains. The new root comes
    from the previous head's frontier (:func:`proctoring.merkle.frontier_append`): a seal costs the
    same for the first session of a sitting and the five-thousandth, and the locks it holds until
    its commit are held for as long."""
    if not records:
        raise ValueError("closing a chain appends its last records")
    rows = tail.extend(records)
    record = tail.checkpoint_record()  # the records are new since any checkpoint: one is due
    rows += tail.extend([("checkpoint", None, record)])
    connection = session.connection()
    if not seal_locks(connection, schedule_id):  # another seal holds them (a deadline): queue the head
        chain.insert_entries(session, rows)
        chain.insert_checkpoint(session, record)
        connection.execute(_QUEUE, {
            "session_id": tail.chain_id, "schedule_id": schedule_id, "chain_size": tail.position,
            "final_head": tail.head_hash, "tree_size": record["tree_size"], "root_hash": record["root_hash"],
            "queued_at": utcnow(),
        })  # fmt: skip
        chain.anchor(anchor_file, record)
        return None
    found = connection.execute(SEALING_ROW, {"schedule_id": schedule_id, "session_id": tail.chain_id}).one()
    if found.sealed:
        raise ValueError(f"session {tail.chain_id} was sealed already")
    platform = chain.tail_after(PLATFORM_CHAIN, found.platform_position, found.platform_hash)
    rows += platform.extend([chain.platform_record(record)])
    chain.insert_entries(session, rows)
    chain.insert_checkpoint(session, record)
    size = found.tree_size or 0
    sitting = _Sitting(schedule_id, size, _frontier(session, schedule_id, size, found.frontier))
    receipt, root = sitting.seal(tail.chain_id, tail.position, tail.head_hash)
    connection.execute(_RECEIPTS, receipt)
    connection.execute(_ROOTS, root)
    chain.anchor(anchor_file, record)
    return str(receipt["code"])


def seal_locks(connection: Connection, schedule_id: int) -> bool:
    """Take the platform chain's lock and the sitting's if both are free (PostgreSQL; one round
    trip, in that order): a seal never waits for another. SQLite serialises writers: always True."""
    if connection.dialect.name != "postgresql":
        return True
    keys = {"platform": LOCK_KEY_OFFSET + PLATFORM_CHAIN, "sitting": SITTING_LOCK_OFFSET + schedule_id}
    return bool(connection.execute(_PLATFORM_AND_SITTING_LOCKS, keys).scalar())


def _frontier(session: Session, schedule_id: int, size: int, stored: str | None) -> list[bytes]:
    """The sitting tree's frontier as its latest head stored it; read from the leaves, once, for a
    head published before frontiers were kept."""
    frontier = unpack(stored, size)
    if frontier is None:
        frontier = frontier_of([bytes.fromhex(h) for h in _heads(session, schedule_id)[:size]])
    return frontier


@dataclass
class _Sitting:
    """A sitting's tree while heads are sealed into it: its size and frontier."""

    schedule_id: int
    size: int
    frontier: list[bytes]

    def seal(self, session_id: int, chain_size: int, final_head: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The receipt row of a new leaf and the row of the tree head it makes (to insert)."""
        self.frontier = frontier_append(self.frontier, self.size, bytes.fromhex(final_head))
        receipt = {
            "session_id": session_id, "schedule_id": self.schedule_id, "leaf_index": self.size,
            "chain_size": chain_size, "final_head": final_head, "code": receipt_code(final_head),
        }  # fmt: skip
        self.size += 1
        root = {
            "schedule_id": self.schedule_id, "tree_size": self.size,
            "root_hash": frontier_root(self.frontier).hex(), "frontier": pack(self.frontier),
        }  # fmt: skip
        return receipt, root


_QUEUED = (
    select(
        SealQueue.session_id, SealQueue.schedule_id, SealQueue.chain_size, SealQueue.final_head,
        SealQueue.tree_size, SealQueue.root_hash,
    )
    .order_by(SealQueue.queued_at, SealQueue.session_id)
    .limit(bindparam("limit"))
)  # fmt: skip


def seal_queued(session: Session, *, limit: int = SEAL_BATCH) -> int:
    """Seal up to ``limit`` queued heads (:class:`proctoring.models.SealQueue`), oldest first, as
    :func:`close` would have: each end checkpoint recorded on the platform chain, each head the
    next leaf of its sitting's tree with the new head published, the receipt made. The locks are
    taken once for the batch (waiting for them: the sweeper's pass, not a request), the platform
    chain's first, as every seal takes them. Returns how many were sealed."""
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(_LOCK, {"key": LOCK_KEY_OFFSET + PLATFORM_CHAIN})
    queued = connection.execute(_QUEUED, {"limit": limit}).all()
    if not queued:
        return 0
    ids = [row.session_id for row in queued]
    sittings: dict[int, _Sitting] = {}
    for schedule_id in sorted({row.schedule_id for row in queued}):
        if postgres:
            connection.execute(_LOCK, {"key": SITTING_LOCK_OFFSET + schedule_id})
        latest = connection.execute(_LATEST_ROOT, {"schedule_id": schedule_id}).first()
        size = latest.tree_size if latest is not None else 0
        stored = latest.frontier if latest is not None else None
        sittings[schedule_id] = _Sitting(schedule_id, size, _frontier(session, schedule_id, size, stored))
    sealed = set(session.scalars(select(Receipt.session_id).where(Receipt.session_id.in_(ids))))
    platform = chain.tail_after(PLATFORM_CHAIN, *(chain.head(session, PLATFORM_CHAIN) or (None, None)))
    entries: list[dict[str, Any]] = []
    receipt_rows: list[dict[str, Any]] = []
    root_rows: list[dict[str, Any]] = []
    for row in queued:
        if row.session_id in sealed:  # cannot happen (an end seals or queues, once): left as it was
            continue
        record = chain.checkpoint_record(row.session_id, row.tree_size, row.root_hash)
        entries += platform.extend([chain.platform_record(record)])
        receipt, root = sittings[row.schedule_id].seal(row.session_id, row.chain_size, row.final_head)
        receipt_rows.append(receipt)
        root_rows.append(root)
    if entries:
        chain.insert_entries(session, entries)
        connection.execute(_RECEIPTS, receipt_rows)
        connection.execute(_ROOTS, root_rows)
    connection.execute(delete(SealQueue).where(SealQueue.session_id.in_(ids)))
    return len(receipt_rows)


def is_queued(session: Session, session_id: int) -> bool:
    """Whether the session's head waits in the seal queue (its receipt comes with the next pass)."""
    return session.get(SealQueue, session_id) is not None


def latest_root(session: Session, schedule_id: int) -> SittingRoot | None:
    """The newest published tree head of a sitting."""
    return session.scalar(
        select(SittingRoot)
        .where(SittingRoot.schedule_id == schedule_id)
        .order_by(SittingRoot.tree_size.desc())
        .limit(1)
    )


def receipt_of(session: Session, chain_id: int) -> Receipt | None:
    return session.get(Receipt, chain_id)


@dataclass(frozen=True)
class Proof:
    """The inclusion proof of a receipt's head in its sitting's latest published tree."""

    receipt: Receipt
    root: SittingRoot
    leaf_hash: str
    path: tuple[str, ...]
    #: The head is still the hash of the session's chain entry it was sealed from.
    matches_chain: bool
    #: The audit path leads from the head to the published root.
    included: bool

    @property
    def valid(self) -> bool:
        return self.matches_chain and self.included


def prove(session: Session, typed: str) -> Proof | None:
    """The proof for a receipt as typed; None if no sealed session has that receipt."""
    code = normalise(typed)
    if len(code) != CODE_LENGTH:
        return None
    receipt = session.scalar(select(Receipt).where(Receipt.code == code))
    if receipt is None:
        return None
    root = latest_root(session, receipt.schedule_id)
    if root is None:  # close() publishes a root with every receipt: only a deleted row gets here
        raise LookupError(f"sitting {receipt.schedule_id} has a receipt but no published root")
    leaves = [bytes.fromhex(h) for h in _heads(session, receipt.schedule_id)][: root.tree_size]
    head = bytes.fromhex(receipt.final_head)
    path = inclusion_proof(leaves, receipt.leaf_index) if receipt.leaf_index < len(leaves) else []
    entry_hash = session.scalar(
        select(LogEntry.entry_hash).where(
            LogEntry.chain_id == receipt.session_id, LogEntry.position == receipt.chain_size
        )
    )
    return Proof(
        receipt=receipt,
        root=root,
        leaf_hash=leaf_hash(head).hex(),
        path=tuple(p.hex() for p in path),
        matches_chain=entry_hash == receipt.final_head and receipt_code(receipt.final_head) == receipt.code,
        included=verify_inclusion(head, receipt.leaf_index, root.tree_size, path, bytes.fromhex(root.root_hash)),
    )


def check(session: Session) -> Break | None:
    """Every receipt against its chain entry, and every published sitting root against its leaves."""
    entries = {
        (chain_id, position): entry_hash
        for chain_id, position, entry_hash in session.execute(
            select(LogEntry.chain_id, LogEntry.position, LogEntry.entry_hash).join(
                Receipt, (Receipt.session_id == LogEntry.chain_id) & (Receipt.chain_size == LogEntry.position)
            )
        )
    }
    leaves: dict[int, list[bytes]] = {}
    for receipt in session.scalars(select(Receipt).order_by(Receipt.schedule_id, Receipt.leaf_index)):
        if entries.get((receipt.session_id, receipt.chain_size)) != receipt.final_head:
            return Break(receipt.session_id, receipt.chain_size, f"receipt of session {receipt.session_id} "
                         "does not match its chain head")  # fmt: skip
        if receipt_code(receipt.final_head) != receipt.code:
            return Break(receipt.session_id, None, f"receipt code of session {receipt.session_id} was changed")
        leaves.setdefault(receipt.schedule_id, []).append(bytes.fromhex(receipt.final_head))
    # Each sitting's leaves are walked once, the frontier grown leaf by leaf, and every published
    # head compared on the way (hashing the leaves again for each head was quadratic).
    grown: dict[int, tuple[int, list[bytes]]] = {}
    for root in session.scalars(select(SittingRoot).order_by(SittingRoot.schedule_id, SittingRoot.tree_size)):
        sealed = leaves.get(root.schedule_id, [])
        size, frontier = grown.get(root.schedule_id, (0, []))
        while size < min(root.tree_size, len(sealed)):
            frontier = frontier_append(frontier, size, sealed[size])
            size += 1
        grown[root.schedule_id] = (size, frontier)
        if size != root.tree_size or frontier_root(frontier).hex() != root.root_hash:
            return Break(PLATFORM_CHAIN, None, f"published root of sitting {root.schedule_id} "
                         f"of size {root.tree_size} no longer matches its receipts")  # fmt: skip
        if root.frontier is not None and root.frontier != pack(frontier):
            return Break(PLATFORM_CHAIN, None, f"stored frontier of sitting {root.schedule_id} "
                         f"of size {root.tree_size} no longer matches its receipts")  # fmt: skip
    return None
