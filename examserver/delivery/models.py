"""Exam schedules, candidates' sessions, the items each session shows, answers and results."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from itembank.database import Base, UTCDateTime, one_of, utcnow
from itembank.models import BlueprintSection, Item, ItemVersion, TestBlueprint, TestForm

SESSION_STATUSES = ("scheduled", "in_progress", "submitted", "expired", "terminated")
ENDED = ("submitted", "expired", "terminated")


class ExamSchedule(Base):
    """A sitting of a blueprint: its window, place, start rules and what candidates see at the end."""

    __tablename__ = "exam_schedule"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window_positive"),
        CheckConstraint("grace_seconds >= 0 AND grace_seconds <= 300", name="grace_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    blueprint_id: Mapped[int] = mapped_column(ForeignKey("test_blueprint.id", ondelete="RESTRICT"), index=True)
    #: Candidates may start within [opens_at, closes_at); the time limit runs from their start.
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: "Daring (jarak jauh)" or the test site's address.
    location: Mapped[str] = mapped_column(String(300))
    #: Argon2 hash of the start PIN the proctor reads out; None means no PIN.
    start_pin_hash: Mapped[str | None] = mapped_column(String(255))
    #: Whether a proctor must authorise each candidate's start.
    requires_authorisation: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Whether the candidate sees the score as soon as the session ends.
    shows_score: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Whether a public live score board lists this schedule's results.
    has_public_scoreboard: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Saves that arrive this long after the deadline are still accepted (they were in flight).
    grace_seconds: Mapped[int] = mapped_column(Integer, default=30)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    blueprint: Mapped[TestBlueprint] = relationship()
    sessions: Mapped[list[ExamSession]] = relationship(back_populates="schedule", order_by="ExamSession.id")


class ExamSession(Base):
    """One candidate's sitting of a schedule. The server owns its clock: ``deadline_at`` is the
    only truth about time, whatever the candidate's device says."""

    __tablename__ = "exam_session"
    __table_args__ = (
        UniqueConstraint("schedule_id", "candidate_id"),
        CheckConstraint(one_of("status", SESSION_STATUSES), name="status_known"),
        CheckConstraint(
            "(status IN ('submitted', 'expired', 'terminated')) = (ended_at IS NOT NULL)",
            name="ended_at_iff_ended",
        ),
        CheckConstraint("(status = 'scheduled') = (started_at IS NULL)", name="started_at_iff_started"),
        CheckConstraint("(started_at IS NULL) = (deadline_at IS NULL)", name="deadline_with_start"),
        CheckConstraint("credited_seconds >= 0", name="credit_non_negative"),
        CheckConstraint("pin_failures >= 0", name="pin_failures_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("exam_schedule.id", ondelete="RESTRICT"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    #: Registration number (nomor peserta) shown on the exam card and in public results.
    registration_number: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="scheduled", index=True)
    #: The fixed form this candidate got; None for random and adaptive forms.
    form_id: Mapped[int | None] = mapped_column(ForeignKey("test_form.id", ondelete="RESTRICT"))
    authorised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    #: While set, the clock is stopped and saves are refused; resuming moves the deadline.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: candidate, deadline (the server ended it), proctor.
    end_reason: Mapped[str | None] = mapped_column(String(20))
    #: Time given back for server outages and declared incidents, already added to the deadline.
    credited_seconds: Mapped[int] = mapped_column(Integer, default=0)
    #: The browser install allowed to save answers; another device needs the proctor's consent.
    active_client_id: Mapped[str | None] = mapped_column(String(64))
    #: Whether the proctor allowed the next start from a different device.
    allows_device_change: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Wrong start PINs in a row (counted here, not in a worker's memory, so every worker agrees).
    pin_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Until then the start is refused even with the right PIN (set by too many wrong ones).
    pin_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Browser events over the per-minute cap, counted by kind instead of stored; None: none dropped.
    browser_events_dropped: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    schedule: Mapped[ExamSchedule] = relationship(back_populates="sessions")
    form: Mapped[TestForm | None] = relationship()
    items: Mapped[list[SessionItem]] = relationship(
        back_populates="session", order_by="SessionItem.position", cascade="all, delete-orphan"
    )
    result: Mapped[SessionResult | None] = relationship(back_populates="session", uselist=False)

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED

    @property
    def grace_seconds(self) -> int:
        """The sitting's grace after the deadline (the schedule's)."""
        return self.schedule.grace_seconds


class SessionItem(Base):
    """An item as this session shows it: position, the content version, the option order."""

    __tablename__ = "session_item"
    __table_args__ = (UniqueConstraint("session_id", "position"), UniqueConstraint("session_id", "item_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("exam_session.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    section_id: Mapped[int] = mapped_column(ForeignKey("blueprint_section.id", ondelete="RESTRICT"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("item_version.id", ondelete="RESTRICT"))
    #: Option letters in the order shown (the browser only sees display numbers 1..n).
    option_order: Mapped[list] = mapped_column(JSON, default=list)

    session: Mapped[ExamSession] = relationship(back_populates="items")
    section: Mapped[BlueprintSection] = relationship()
    item: Mapped[Item] = relationship()
    version: Mapped[ItemVersion] = relationship()
    answer: Mapped[Answer | None] = relationship(back_populates="session_item", uselist=False)


class Answer(Base):
    """The latest answer to one session item. Saves are idempotent: a save applies only if its
    client sequence number is higher than the one stored, so replays and late duplicates from a
    flaky connection never overwrite a newer answer."""

    __tablename__ = "answer"
    __table_args__ = (CheckConstraint("client_seq >= 0", name="seq_non_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_item_id: Mapped[int] = mapped_column(ForeignKey("session_item.id", ondelete="CASCADE"), unique=True)
    #: In the item type's shape with option letters (not display numbers); None = cleared.
    response: Mapped[dict | None] = mapped_column(JSON)
    is_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    client_id: Mapped[str] = mapped_column(String(64))
    client_seq: Mapped[int] = mapped_column(Integer)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When the candidate answered, by the device's clock (informative only, never trusted).
    client_answered_at: Mapped[str | None] = mapped_column(String(40))
    #: How many saves changed this answer (a measure of revisiting for forensics).
    change_count: Mapped[int] = mapped_column(Integer, default=1)

    session_item: Mapped[SessionItem] = relationship(back_populates="answer")


class SessionResult(Base):
    """The score of an ended session, with the parameter versions it used."""

    __tablename__ = "session_result"

    session_id: Mapped[int] = mapped_column(ForeignKey("exam_session.id", ondelete="RESTRICT"), primary_key=True)
    #: Per section: id, title, raw, max, threshold, basis, score, cut, θ, SE, scaled, verdict,
    #: passed (see ``examserver.delivery.scoring.section_scores``).
    sections: Mapped[list] = mapped_column(JSON)
    total_raw: Mapped[float] = mapped_column(Float)
    total_max: Mapped[float] = mapped_column(Float)
    #: Every threshold that exists is met (True) or one is not (False); None: no section has one.
    passed: Mapped[bool | None] = mapped_column(Boolean)
    theta: Mapped[float | None] = mapped_column(Float)
    theta_se: Mapped[float | None] = mapped_column(Float)
    scaled: Mapped[float | None] = mapped_column(Float)
    #: Ids of the ItemParameter rows used for θ.
    parameter_ids: Mapped[list] = mapped_column(JSON, default=list)
    #: Short code printed on the certificate and checked on the public page.
    verification_code: Mapped[str] = mapped_column(String(20), unique=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)

    session: Mapped[ExamSession] = relationship(back_populates="result")

    @property
    def verdict(self) -> str:
        """ "pass", "fail" or "none" (no threshold at all), as :mod:`scoring.verdict` decides."""
        return "none" if self.passed is None else ("pass" if self.passed else "fail")
