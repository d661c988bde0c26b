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

from sqlalchemy import Select, bindparam, exists, insert, select, text
from sqlalchemy.orm import Session

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
from proctoring.models import LogEntry, Receipt, SittingRoot

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
_PLATFORM_AND_SITTING_LOCKS = text("SELECT pg_advisory_xact_lock(:platform), pg_advisory_xact_lock(:sitting)")
_RECEIPTS = insert(Receipt.metadata.tables[Receipt.__tablename__])
_ROOTS = insert(SittingRoot.metadata.tables[SittingRoot.__tablename__])


def _sealing_row() -> Select[tuple[int | None, str | None, int | None, str | None, bool]]:
    platform = (
        select(LogEntry.position, LogEntry.entry_hash)
        .where(LogEntry.chain_id == PLATFORM_CHAIN)
        .order_by(LogEntry.position.desc())
        .limit(1)
    )
    latest = (
        select(SittingRoot.tree_size, SittingRoot.frontier)
        .where(SittingRoot.schedule_id == bindparam("schedule_id"))
        .order_by(SittingRoot.tree_size.desc())
        .limit(1)
    )
    return select(
        platform.with_only_columns(LogEntry.position).scalar_subquery().label("platform_position"),
        platform.with_only_columns(LogEntry.entry_hash).scalar_subquery().label("platform_hash"),
        latest.with_only_columns(SittingRoot.tree_size).scalar_subquery().label("tree_size"),
        latest.with_only_columns(SittingRoot.frontier).scalar_subquery().label("frontier"),
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
) -> str:
    """End an ended session's chain: append ``records`` (at least one) after ``tail`` (read under the
    chain's lock, :func:`proctoring.chain.read_tail`), then its checkpoint (stored, recorded on the
    platform chain, anchored, as :func:`proctoring.chain.checkpoint` makes one), and seal the new
    head into the sitting's tree: the next leaf, and the new root published. Returns the receipt code.

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
    if connection.dialect.name == "postgresql":
        connection.execute(
            _PLATFORM_AND_SITTING_LOCKS,
            {"platform": LOCK_KEY_OFFSET + PLATFORM_CHAIN, "sitting": SITTING_LOCK_OFFSET + schedule_id},
        )
    found = connection.execute(SEALING_ROW, {"schedule_id": schedule_id, "session_id": tail.chain_id}).one()
    if found.sealed:
        raise ValueError(f"session {tail.chain_id} was sealed already")
    platform = chain.Tail(
        PLATFORM_CHAIN, found.platform_position or 0, found.platform_hash or chain.genesis_hash(PLATFORM_CHAIN), []
    )
    rows += platform.extend([chain.platform_record(record)])
    chain.insert_entries(session, rows)
    chain.insert_checkpoint(session, record)
    size = found.tree_size or 0
    frontier = unpack(found.frontier, size)
    if frontier is None:  # a head published before frontiers were kept: read the leaves, once
        frontier = frontier_of([bytes.fromhex(h) for h in _heads(session, schedule_id)[:size]])
    frontier = frontier_append(frontier, size, bytes.fromhex(tail.head_hash))
    code = receipt_code(tail.head_hash)
    connection.execute(_RECEIPTS, {
        "session_id": tail.chain_id, "schedule_id": schedule_id, "leaf_index": size,
        "chain_size": tail.position, "final_head": tail.head_hash, "code": code,
    })  # fmt: skip
    connection.execute(_ROOTS, {
        "schedule_id": schedule_id, "tree_size": size + 1, "root_hash": frontier_root(frontier).hex(),
        "frontier": pack(frontier),
    })  # fmt: skip
    chain.anchor(anchor_file, record)
    return code


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
