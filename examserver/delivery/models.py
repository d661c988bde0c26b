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
    event,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship
from sqlalchemy.schema import DDL

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
    """An item as this session shows it: position, the content version, the option order.

    ``section_id``, ``item_id`` and ``version_id`` name rows that are never deleted while a session
    shows them, kept so by triggers on those tables (:func:`delivered_row_ddl`) instead of foreign
    keys: a foreign key check locks the referenced row (``FOR KEY SHARE``) for every inserted row,
    three locks per item on rows every candidate shares, most of a start's database time."""

    __tablename__ = "session_item"
    __table_args__ = (UniqueConstraint("session_id", "position"), UniqueConstraint("session_id", "item_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Looked up through the unique (session_id, position) index: an index of its own would be
    #: one more index entry for each drawn item to write.
    session_id: Mapped[int] = mapped_column(ForeignKey("exam_session.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    #: A ``blueprint_section`` id (no foreign key: see the class docstring).
    section_id: Mapped[int] = mapped_column(Integer)
    #: An ``item`` id (no foreign key: see the class docstring).
    item_id: Mapped[int] = mapped_column(Integer, index=True)
    #: An ``item_version`` id (no foreign key: see the class docstring).
    version_id: Mapped[int] = mapped_column(Integer)
    #: Option letters in the order shown (the browser only sees display numbers 1..n).
    option_order: Mapped[list] = mapped_column(JSON, default=list)

    session: Mapped[ExamSession] = relationship(back_populates="items")
    section: Mapped[BlueprintSection] = relationship(
        primaryjoin=lambda: foreign(SessionItem.section_id) == BlueprintSection.id
    )
    item: Mapped[Item] = relationship(primaryjoin=lambda: foreign(SessionItem.item_id) == Item.id)
    version: Mapped[ItemVersion] = relationship(primaryjoin=lambda: foreign(SessionItem.version_id) == ItemVersion.id)
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


# What the foreign keys session_item no longer has refused, triggers refuse: deleting (or
# renumbering) an item, item version or blueprint section a session shows. A section is also kept
# once its blueprint is scheduled: a start reads committed sections of a committed schedule, so no
# start still in flight names a section this check lets go. Migration c41d7e9a2b58 installs these
# on existing databases. Each table, and the session_item column naming it:
DELIVERED_TABLES = {"item": "item_id", "item_version": "version_id", "blueprint_section": "section_id"}


def _in_use(table: str, column: str) -> str:
    shown = f"EXISTS (SELECT 1 FROM session_item WHERE {column} = OLD.id)"
    if table == "blueprint_section":
        return f"({shown} OR EXISTS (SELECT 1 FROM exam_schedule WHERE blueprint_id = OLD.blueprint_id))"
    return shown


def delivered_row_ddl(dialect: str) -> list[str]:
    """The statements that make ``item``, ``item_version`` and ``blueprint_section`` refuse to lose
    a row a session shows, on ``dialect``."""
    statements = []
    for table, column in DELIVERED_TABLES.items():
        message = f"{table} rows shown in an exam session are never deleted"
        if dialect == "postgresql":
            statements += [
                f"CREATE OR REPLACE FUNCTION refuse_{table}_in_use() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN IF TG_OP = 'UPDATE' THEN IF NEW.id = OLD.id THEN RETURN NEW; END IF; END IF; "
                f"IF {_in_use(table, column)} THEN "
                f"RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', MESSAGE = '{message}'; END IF; "
                "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$",
                f"CREATE OR REPLACE TRIGGER {table}_in_use BEFORE DELETE OR UPDATE OF id ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION refuse_{table}_in_use()",
            ]
        else:
            statements += [
                f"CREATE TRIGGER IF NOT EXISTS {table}_in_use_delete BEFORE DELETE ON {table} "
                f"WHEN {_in_use(table, column)} BEGIN SELECT RAISE(ABORT, '{message}'); END",
                f"CREATE TRIGGER IF NOT EXISTS {table}_in_use_update BEFORE UPDATE OF id ON {table} "
                f"WHEN NEW.id <> OLD.id AND {_in_use(table, column)} BEGIN SELECT RAISE(ABORT, '{message}'); END",
            ]
    return statements


# On the metadata, after every table exists: the triggers name session_item and exam_schedule. The
# event fires at every create_all, tables already there or not: the statements replace or skip.
for _dialect in ("sqlite", "postgresql"):
    for _statement in delivered_row_ddl(_dialect):
        event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect=_dialect))
