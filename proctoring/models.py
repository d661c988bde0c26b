"""Integrity events, proctors' actions and decisions, appeals, and the hash-chained log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from itembank.database import Base, UTCDateTime, utcnow

DECISIONS = ("cleared", "warning", "invalidated")


class IntegrityEvent(Base):
    """Something that happened in an exam session: from the browser (focus lost, copy, ...), the
    server (new address, second session, start, submit, implausibly fast answer, ...) or a proctor
    (pause, message, extension, ...). Each is also an entry in the session's hash chain."""

    __tablename__ = "integrity_event"
    __table_args__ = (CheckConstraint("source IN ('browser', 'server', 'proctor')", name="source_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("exam_session.id", ondelete="RESTRICT"), index=True)
    source: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(40))
    #: When the server received or made it; the only time used for decisions.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When the browser says it happened (its own clock; informative only).
    client_at: Mapped[str | None] = mapped_column(String(40))
    #: For focus loss: how long the candidate was away, in milliseconds.
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    #: Item position, category, reason, message text, extra seconds, address ...; None once purged.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    #: Position of this event's entry in the session's chain.
    chain_position: Mapped[int | None] = mapped_column(Integer)


class ProctorDecision(Base):
    """A decision on a candidate's session after review. Invalidation needs a second person."""

    __tablename__ = "proctor_decision"
    __table_args__ = (
        CheckConstraint("decision IN ('cleared', 'warning', 'invalidated')", name="decision_known"),
        CheckConstraint("confirmed_by_id IS NULL OR confirmed_by_id != decided_by_id", name="second_person"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("exam_session.id", ondelete="RESTRICT"), index=True)
    decision: Mapped[str] = mapped_column(String(12))
    #: Category code from the reason tree (environment.noise, examinee.collusion, ...).
    category: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: An invalidation takes effect only once a second proctor or admin confirms it.
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    chain_position: Mapped[int | None] = mapped_column(Integer)


class Appeal(Base):
    """A candidate's appeal (sanggah) against a decision; decided by someone else."""

    __tablename__ = "appeal"
    __table_args__ = (CheckConstraint("status IN ('open', 'upheld', 'rejected')", name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("proctor_decision.id", ondelete="RESTRICT"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("exam_session.id", ondelete="RESTRICT"), index=True)
    text: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="open")
    outcome: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    chain_position: Mapped[int | None] = mapped_column(Integer)


class ScheduleProctor(Base):
    """Which proctors watch which schedule (a proctor sees only the sessions assigned to them)."""

    __tablename__ = "schedule_proctor"

    schedule_id: Mapped[int] = mapped_column(ForeignKey("exam_schedule.id", ondelete="CASCADE"), primary_key=True)
    proctor_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)


class LogEntry(Base):
    """One link of a hash chain (one chain per exam session; chain 0 for platform-wide records).

    ``entry_hash = SHA-256(prev_hash || payload_hash || chain_id || position)``; ``payload_hash``
    is SHA-256 of the record's canonical JSON. Purging drops ``payload`` and keeps the hashes, so
    the chain still verifies after the retention period.
    """

    __tablename__ = "log_entry"
    __table_args__ = (
        UniqueConstraint("chain_id", "position"),
        CheckConstraint("position >= 1", name="position_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(Integer, index=True)
    position: Mapped[int] = mapped_column(Integer)
    #: event, decision, confirmation, appeal, appeal_outcome, checkpoint, purge, answer, answer_sheet,
    #: result; on the platform chain also chain_checkpoint (a session chain's checkpoint) and
    #: recovery_request, recovery_confirm, recovery_use (account recovery codes)
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    payload_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Checkpoint(Base):
    """An RFC 6962 Merkle tree head over a chain's payload hashes, published on public pages."""

    __tablename__ = "checkpoint"
    __table_args__ = (UniqueConstraint("chain_id", "tree_size"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(Integer, index=True)
    tree_size: Mapped[int] = mapped_column(Integer)
    root_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Receipt(Base):
    """A candidate's receipt: the head of their session's chain when the session was sealed at its
    end, and its place as a leaf of the sitting's Merkle tree (leaves in order of sealing)."""

    __tablename__ = "receipt"
    __table_args__ = (UniqueConstraint("schedule_id", "leaf_index"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("exam_session.id", ondelete="RESTRICT"), primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("exam_schedule.id", ondelete="RESTRICT"), index=True)
    #: 0-based position of this session's head among the sitting's leaves.
    leaf_index: Mapped[int] = mapped_column(Integer)
    #: Position of the chain entry whose hash is the sealed head (the end checkpoint's entry).
    chain_size: Mapped[int] = mapped_column(Integer)
    #: That entry's ``entry_hash`` (hex), the Merkle leaf.
    final_head: Mapped[str] = mapped_column(String(64))
    #: The first 100 bits of the head in base32 (20 characters), shown grouped as XXXXX-XXXXX-...
    code: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SealQueue(Base):
    """An ended session's chain head waiting to be sealed into its sitting's tree: queued by an end
    that found the seal's locks busy (a deadline of thousands of sessions), sealed by the sweeper's
    next pass, in batches (:func:`proctoring.receipts.seal_queued`). It keeps what the end saw: the
    head and its size, and the end checkpoint the platform chain is to record (a decision may
    extend the chain before the seal)."""

    __tablename__ = "seal_queue"

    session_id: Mapped[int] = mapped_column(ForeignKey("exam_session.id", ondelete="RESTRICT"), primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("exam_schedule.id", ondelete="RESTRICT"), index=True)
    #: Position and ``entry_hash`` of the end checkpoint's entry: the head to seal.
    chain_size: Mapped[int] = mapped_column(Integer)
    final_head: Mapped[str] = mapped_column(String(64))
    #: The end checkpoint (its tree size and root), for the platform chain's record of it.
    tree_size: Mapped[int] = mapped_column(Integer)
    root_hash: Mapped[str] = mapped_column(String(64))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SittingRoot(Base):
    """An RFC 6962 tree head over the sealed heads of a sitting's first ``tree_size`` ended
    sessions; a new one is published each time a session of the sitting is sealed."""

    __tablename__ = "sitting_root"
    __table_args__ = (UniqueConstraint("schedule_id", "tree_size"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("exam_schedule.id", ondelete="RESTRICT"), index=True)
    tree_size: Mapped[int] = mapped_column(Integer)
    root_hash: Mapped[str] = mapped_column(String(64))
    #: The tree's frontier (:func:`proctoring.merkle.frontier_append`), its subtree hashes in hex one
    #: after another, from which the next seal computes the next head without reading every leaf;
    #: None on heads published before it was kept (the next seal reads the leaves once).
    frontier: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SittingForensics(Base):
    """The forensic statistics of a sitting's ended sessions (answer copying, person fit), stored
    once they are computed: sixty answer sheets cost seconds of numpy, which the review queue,
    the timelines and the export would otherwise pay on every visit. A stored row is used only
    while both bases still describe its inputs; otherwise it is computed again and replaced."""

    __tablename__ = "sitting_forensics"

    schedule_id: Mapped[int] = mapped_column(ForeignKey("exam_schedule.id", ondelete="CASCADE"), primary_key=True)
    #: How many of the sitting's sessions had ended: an ended session never starts again, so
    #: another count means a session ended since (a late submit, a termination) and it is stale.
    ended_sessions: Mapped[int] = mapped_column(Integer)
    #: The published calibration runs and excluded parameter rows of the whole bank when it was
    #: computed: publishing or excluding parameters makes every stored row stale.
    parameters_basis: Mapped[str] = mapped_column(String(120))
    #: Per session id (a string, as JSON keys are): what ``schedule_forensics`` returns for it.
    statistics: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
