"""Public complaints (pengaduan), the inspectorate's case steps, evidence files and the sanctions register."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from itembank.database import Base, UTCDateTime, one_of, utcnow

if TYPE_CHECKING:
    from examserver.delivery.models import ExamSchedule
    from examserver.selection.models import SelectionPeriod

CATEGORIES = ("nepotism", "bribery", "cheating", "leak", "procedure", "other")
SUBJECT_KINDS = ("period", "sitting", "committee", "proctor")
CASE_STATUSES = ("received", "assessed", "investigating", "concluded")
OUTCOMES = ("substantiated", "not_substantiated")
#: Sanctions on staff (warning, removal from a pool until a date, referral) and on candidates.
STAFF_SANCTIONS = ("warning", "committee_removal", "proctor_removal", "referral")
CANDIDATE_SANCTIONS = ("disqualification", "ban")
SANCTION_KINDS = STAFF_SANCTIONS + CANDIDATE_SANCTIONS


class Complaint(Base):
    """A report of a suspected irregularity and the case the inspectorate makes of it."""

    __tablename__ = "oversight_complaint"
    __table_args__ = (
        CheckConstraint(one_of("category", CATEGORIES), name="category_known"),
        CheckConstraint(one_of("subject_kind", SUBJECT_KINDS), name="subject_kind_known"),
        CheckConstraint(one_of("status", CASE_STATUSES), name="status_known"),
        CheckConstraint("outcome IS NULL OR " + one_of("outcome", OUTCOMES), name="outcome_known"),
        CheckConstraint("(status = 'concluded') = (outcome IS NOT NULL)", name="outcome_iff_concluded"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: What the reporter types to follow the case, e.g. "PGD-7KQ2M9XA".
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    #: Argon2id hash of the secret handed to the reporter once; the secret itself is never stored.
    secret_hash: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    period_id: Mapped[int] = mapped_column(ForeignKey("selection_period.id", ondelete="RESTRICT"), index=True)
    subject_kind: Mapped[str] = mapped_column(String(12))
    #: The sitting the report is about, when it names one.
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("exam_schedule.id", ondelete="RESTRICT"))
    #: The person or place as the reporter names it (free text; staff accounts are linked by the inspector).
    subject_text: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text)
    #: Reporter's identity; both None for an anonymous report. Shown to inspectors only.
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_contact: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(14), default="received", index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))
    #: What the reporter and the public statistics may know of the conclusion (no names).
    public_conclusion: Mapped[str | None] = mapped_column(Text)
    #: Records the case names, linked by the inspector when assessing it (read-only for the inspector).
    session_id: Mapped[int | None] = mapped_column(ForeignKey("exam_session.id", ondelete="RESTRICT"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("selection_application.id", ondelete="RESTRICT"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    period: Mapped[SelectionPeriod] = relationship()
    schedule: Mapped[ExamSchedule | None] = relationship()
    steps: Mapped[list[CaseStep]] = relationship(back_populates="complaint", order_by="CaseStep.id")
    evidence: Mapped[list[Evidence]] = relationship(back_populates="complaint", order_by="Evidence.id")
    sanctions: Mapped[list[Sanction]] = relationship(back_populates="complaint", order_by="Sanction.id")


class CaseStep(Base):
    """One step of a case (filed, assessed, investigating, concluded) with its reason; each is also
    an entry on the platform chain of the tamper-evident log."""

    __tablename__ = "oversight_case_step"
    __table_args__ = (CheckConstraint(one_of("status", CASE_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("oversight_complaint.id", ondelete="RESTRICT"), index=True)
    #: The status the case entered with this step.
    status: Mapped[str] = mapped_column(String(14))
    reason: Mapped[str] = mapped_column(Text)
    #: None for the filing (the reporter has no account, or stays anonymous).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Position of this step's entry on the platform chain.
    chain_position: Mapped[int | None] = mapped_column(Integer)

    complaint: Mapped[Complaint] = relationship(back_populates="steps")


class Evidence(Base):
    """An evidence file sent with a complaint, stored under a generated name outside the web root."""

    __tablename__ = "oversight_evidence"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("oversight_complaint.id", ondelete="RESTRICT"), index=True)
    #: The file name as sent, for display only (never used on disk).
    original_name: Mapped[str] = mapped_column(String(120))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    complaint: Mapped[Complaint] = relationship(back_populates="evidence")


class Sanction(Base):
    """A sanction proposed from a substantiated case; in force only once a second inspector confirms it."""

    __tablename__ = "oversight_sanction"
    __table_args__ = (
        CheckConstraint(one_of("kind", SANCTION_KINDS), name="kind_known"),
        CheckConstraint("confirmed_by_id IS NULL OR confirmed_by_id != proposed_by_id", name="second_person"),
        CheckConstraint("(confirmed_by_id IS NULL) = (confirmed_at IS NULL)", name="confirmed_at_iff_confirmed"),
        CheckConstraint("(kind = 'ban') = (periods IS NOT NULL)", name="periods_iff_ban"),
        CheckConstraint("periods IS NULL OR (periods >= 1 AND periods <= 10)", name="periods_range"),
        CheckConstraint("(kind = 'disqualification') = (period_id IS NOT NULL)", name="period_iff_disqualification"),
        CheckConstraint(
            "(kind IN ('committee_removal', 'proctor_removal')) = (until IS NOT NULL)", name="until_iff_removal"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("oversight_complaint.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    #: The sanctioned staff member or candidate.
    person_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    #: Disqualification: the period the candidate is disqualified from.
    period_id: Mapped[int | None] = mapped_column(ForeignKey("selection_period.id", ondelete="RESTRICT"))
    #: Ban: the number of periods after the case's own (see ``register``), counted from confirmation.
    periods: Mapped[int | None] = mapped_column(Integer)
    #: Removal from the committee or proctor pool: the last day (WIB) it lasts.
    until: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    complaint: Mapped[Complaint] = relationship(back_populates="sanctions")
    #: Disqualification: the period, named by its code and title wherever the sanction is shown.
    period: Mapped[SelectionPeriod | None] = relationship()
