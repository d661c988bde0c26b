"""Selection periods, positions (formasi), applications with their documents, verification,
appeals (sanggah), conflict-of-interest declarations, field-test and rubric scores and signed announcements."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from itembank.database import Base, UTCDateTime, one_of, utcnow

STAGE_KINDS = ("administrative", "basic", "field", "final")
APPLICATION_STATUSES = ("draft", "submitted", "accepted", "rejected")
DOCUMENT_STATUSES = ("pending", "accepted", "rejected")
APPEAL_STATUSES = ("open", "upheld", "rejected")


class SelectionPeriod(Base):
    """A recruitment round of an agency: its rules, its stages and the sitting of its basic test."""

    __tablename__ = "selection_period"
    __table_args__ = (
        CheckConstraint("applications_close_at > applications_open_at", name="window_positive"),
        CheckConstraint("appeal_days >= 0 AND appeal_days <= 30", name="appeal_days_range"),
        CheckConstraint("interviewers_required >= 2", name="two_interviewers"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Candidates may apply and submit within [applications_open_at, applications_close_at).
    applications_open_at: Mapped[datetime] = mapped_column(UTCDateTime())
    applications_close_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Days after the verification result during which the candidate may file an appeal.
    appeal_days: Mapped[int] = mapped_column(Integer, default=3)
    #: The sitting whose results are the basic-test (SKD) scores of this period.
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("exam_schedule.id", ondelete="RESTRICT"))
    #: scoring.selection rules as JSON (see examserver.selection.rules); national rules by default.
    rules: Mapped[dict] = mapped_column(JSON)
    #: Scorers (interviewers, track-record verifiers) whose rubric must be in before anyone sees the others'.
    interviewers_required: Mapped[int] = mapped_column(Integer, default=2)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    stages: Mapped[list[SelectionStage]] = relationship(
        back_populates="period", order_by="SelectionStage.starts_at", cascade="all, delete-orphan"
    )
    positions: Mapped[list[Position]] = relationship(back_populates="period", order_by="Position.code")


class SelectionStage(Base):
    """A stage of a period and its dates, as published on the vacancy page."""

    __tablename__ = "selection_stage"
    __table_args__ = (
        UniqueConstraint("period_id", "kind"),
        CheckConstraint(one_of("kind", STAGE_KINDS), name="kind_known"),
        CheckConstraint("ends_at >= starts_at", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("selection_period.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())

    period: Mapped[SelectionPeriod] = relationship(back_populates="stages")


class Position(Base):
    """A position on offer (formasi) with its seats and requirements."""

    __tablename__ = "selection_position"
    __table_args__ = (
        UniqueConstraint("period_id", "code"),
        CheckConstraint("quota >= 1", name="quota_positive"),
        CheckConstraint("equivalence_group IS NULL OR equivalence_group >= 0", name="group_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("selection_period.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    agency: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(200))
    quota: Mapped[int] = mapped_column(Integer)
    #: Required qualifications in words, e.g. "S-1 Akuntansi, IPK minimal 3,00".
    education: Mapped[str] = mapped_column(Text)
    #: Applicant categories (names of the rules' threshold categories) this position is open to.
    categories: Mapped[list] = mapped_column(JSON)
    #: Keys of examserver.selection.documents.DOCUMENT_TYPES the applicant must upload.
    required_documents: Mapped[list] = mapped_column(JSON)
    #: Required competency levels, e.g. {"integritas": 3, "akuntansi_pemerintahan": 4}.
    competency_profile: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Positions sharing a group fill each other's vacant seats; None is no group.
    equivalence_group: Mapped[int | None] = mapped_column(Integer)

    period: Mapped[SelectionPeriod] = relationship(back_populates="positions")


class Application(Base):
    """A candidate's application to one position of a period (one per period)."""

    __tablename__ = "selection_application"
    __table_args__ = (
        UniqueConstraint("period_id", "candidate_id"),
        CheckConstraint(one_of("status", APPLICATION_STATUSES), name="status_known"),
        CheckConstraint("(status = 'draft') = (submitted_at IS NULL)", name="submitted_at_iff_submitted"),
        CheckConstraint(
            "(status IN ('accepted', 'rejected')) = (decided_at IS NOT NULL)", name="decided_at_iff_decided"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("selection_period.id", ondelete="RESTRICT"), index=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("selection_position.id", ondelete="RESTRICT"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    #: The number the committee works with instead of the name, e.g. "SEL2026-000042".
    registration_number: Mapped[str] = mapped_column(String(40), unique=True)
    category: Mapped[str] = mapped_column(String(40))
    #: Grade point average (or the education score the period uses); a tie-break key.
    education_score: Mapped[float] = mapped_column(Float)
    birth_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    period: Mapped[SelectionPeriod] = relationship()
    position: Mapped[Position] = relationship()
    documents: Mapped[list[ApplicationDocument]] = relationship(
        back_populates="application", order_by="ApplicationDocument.id"
    )
    appeal: Mapped[SelectionAppeal | None] = relationship(back_populates="application", uselist=False)


class ApplicationDocument(Base):
    """An uploaded document, stored under a generated name outside the web root, and its check."""

    __tablename__ = "selection_document"
    __table_args__ = (
        UniqueConstraint("application_id", "doc_type"),
        CheckConstraint(one_of("status", DOCUMENT_STATUSES), name="status_known"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint("(status = 'pending') = (checked_at IS NULL)", name="checked_at_iff_checked"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("selection_application.id", ondelete="RESTRICT"), index=True)
    doc_type: Mapped[str] = mapped_column(String(30))
    #: The file name as sent, for display only (never used on disk).
    original_name: Mapped[str] = mapped_column(String(120))
    #: Random name of the file under the upload directory.
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    #: Checklist keys the verifier ticked.
    checklist: Mapped[list] = mapped_column(JSON, default=list)
    reason: Mapped[str | None] = mapped_column(Text)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship(back_populates="documents")


class SelectionAppeal(Base):
    """A candidate's appeal (sanggah) against the administrative result, decided by someone else."""

    __tablename__ = "selection_appeal"
    __table_args__ = (
        CheckConstraint(one_of("status", APPEAL_STATUSES), name="status_known"),
        CheckConstraint("(status = 'open') = (decided_at IS NULL)", name="decided_at_iff_decided"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("selection_application.id", ondelete="RESTRICT"), unique=True
    )
    text: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="open")
    outcome: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship(back_populates="appeal")


class ConflictDeclaration(Base):
    """A committee member's declared relationship with a person, identified by NIK."""

    __tablename__ = "selection_conflict"
    __table_args__ = (UniqueConstraint("member_id", "nik"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    #: The relative's or acquaintance's national identity number (NIK), 16 digits.
    nik: Mapped[str] = mapped_column(String(16), index=True)
    relationship_text: Mapped[str] = mapped_column(String(200))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FieldScore(Base):
    """A field-test component score of an application (computer test, other tests)."""

    __tablename__ = "selection_field_score"
    __table_args__ = (
        UniqueConstraint("application_id", "component"),
        CheckConstraint("score >= 0", name="score_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("selection_application.id", ondelete="RESTRICT"), index=True)
    #: Name of a field component of the period's rules.
    component: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RubricScore(Base):
    """One scorer's rubric (interview or track record) for one application, entered blind."""

    __tablename__ = "selection_rubric_score"
    __table_args__ = (
        UniqueConstraint("application_id", "rubric", "scorer_id"),
        CheckConstraint("total >= 0 AND total <= 100", name="total_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("selection_application.id", ondelete="RESTRICT"), index=True)
    #: Key of examserver.selection.rubrics.RUBRICS ("interview", "track_record").
    rubric: Mapped[str] = mapped_column(String(20))
    scorer_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    #: Level 1-5 per aspect of the rubric.
    levels: Mapped[dict] = mapped_column(JSON)
    #: The rubric on 0-100: 100 * sum(levels) / (5 * aspects).
    total: Mapped[float] = mapped_column(Float)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Announcement(Base):
    """A published, signed result list of a stage; never changed, only replaced by a correction."""

    __tablename__ = "selection_announcement"
    __table_args__ = (
        CheckConstraint(one_of("stage", STAGE_KINDS), name="stage_known"),
        CheckConstraint("(replaces_id IS NULL) = (correction_reason IS NULL)", name="correction_has_reason"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("selection_period.id", ondelete="RESTRICT"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    #: The canonical CSV (UTF-8, LF line ends) exactly as signed and served.
    csv_text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    #: Ed25519 signature of the CSV bytes, base64.
    signature: Mapped[str] = mapped_column(String(100))
    #: SHA-256 of the raw public key that signed, so a key change is visible.
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    #: Exam sessions whose scores the list uses, for the integrity checkpoint links.
    session_ids: Mapped[list] = mapped_column(JSON, default=list)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("selection_announcement.id", ondelete="RESTRICT"))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    period: Mapped[SelectionPeriod] = relationship()
    replaces: Mapped[Announcement | None] = relationship(remote_side=[id])


class ImmutableAnnouncementError(RuntimeError):
    """Raised when code tries to change or delete a published announcement."""


@event.listens_for(Announcement, "before_update")
def _refuse_update(mapper, connection, target):
    raise ImmutableAnnouncementError("a published announcement cannot be changed; publish a correction")


@event.listens_for(Announcement, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise ImmutableAnnouncementError("a published announcement cannot be deleted; publish a correction")
