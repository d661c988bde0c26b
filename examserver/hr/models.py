"""After hiring: employees with their selection measurements, position competency profiles, the
training catalogue, development and cohort training plans, performance evaluation (periods,
supervisor ratings, community feedback), recruitment intakes for the effectiveness report, and
public consultation on a selection period's criteria.

Competency levels and estimates are on the θ scale of the item bank (logits); a competency is a
node of the item bank's taxonomy (``competency``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examserver.selection.models import SelectionPeriod
from itembank.database import Base, UTCDateTime, one_of, utcnow
from itembank.models import Competency

GENDERS = ("L", "P")
ESTIMATE_SOURCES = ("selection", "assessment")
PROGRAMME_MODES = ("online", "classroom")
PLAN_STATUSES = ("proposed", "agreed", "completed")
PLAN_ITEM_STATUSES = ("planned", "attended", "skipped")
COHORT_GROUPINGS = ("all", "unit", "region", "position")
MODERATION_STATUSES = ("pending", "approved", "rejected")
CONSULTATION_TOPICS = ("thresholds", "weights", "requirements", "documents", "other")
SUCCESS_STATUSES = ("proposed", "accepted")


class PublicSubmission:
    """Columns of what the public sends without an account and a moderator approves or rejects.

    A table that uses it adds ``_moderated()`` and a ``status`` check to its ``__table_args__``.
    """

    #: SHA-256 of the sender's address with the app secret, to spot floods without storing the address.
    sender_hash: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    moderation_note: Mapped[str | None] = mapped_column(Text)


def _moderated() -> CheckConstraint:
    return CheckConstraint("(status = 'pending') = (moderated_at IS NULL)", name="moderated_at_iff_moderated")


# --------------------------------------------------------------------------- positions and employees


class PositionProfile(Base):
    """The competency profile of a job (jabatan): required level per competency."""

    __tablename__ = "hr_position_profile"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    requirements: Mapped[list[ProfileRequirement]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="ProfileRequirement.competency_id"
    )


class ProfileRequirement(Base):
    """One competency's required level (θ) and weight in a position profile."""

    __tablename__ = "hr_profile_requirement"
    __table_args__ = (CheckConstraint("weight >= 0", name="weight_non_negative"),)

    profile_id: Mapped[int] = mapped_column(ForeignKey("hr_position_profile.id", ondelete="CASCADE"), primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id", ondelete="RESTRICT"), primary_key=True)
    #: Required level on the θ scale (logits); the gap is this minus the employee's estimate.
    required_theta: Mapped[float] = mapped_column(Float)
    #: Importance of the competency for the position in plans and potential (default 1).
    weight: Mapped[float] = mapped_column(Float, default=1.0)

    profile: Mapped[PositionProfile] = relationship(back_populates="requirements")
    competency: Mapped[Competency] = relationship()


class Employee(Base):
    """A civil servant, usually appointed through a selection period (then linked to the application)."""

    __tablename__ = "hr_employee"
    __table_args__ = (CheckConstraint("gender IS NULL OR " + one_of("gender", GENDERS), name="gender_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Employee number (NIP), or a provisional number until the NIP is issued.
    nip: Mapped[str] = mapped_column(String(30), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    #: The account the employee signed in with as a candidate, if any.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), unique=True)
    #: The application through which the employee was appointed, if any.
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("selection_application.id", ondelete="RESTRICT"), unique=True
    )
    profile_id: Mapped[int] = mapped_column(ForeignKey("hr_position_profile.id", ondelete="RESTRICT"), index=True)
    position_title: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(200), index=True)
    #: Province or regency of the duty station, for cohort views.
    region: Mapped[str] = mapped_column(String(100), index=True)
    #: "L" or "P" as read from the NIK; for adverse-impact groups only.
    gender: Mapped[str | None] = mapped_column(String(1))
    appointed_on: Mapped[date] = mapped_column(Date)
    #: New hires attend the orientation programme first (latsar / orientasi).
    is_new_hire: Mapped[bool] = mapped_column(Boolean, default=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    profile: Mapped[PositionProfile] = relationship()
    estimates: Mapped[list[CompetencyEstimate]] = relationship(
        back_populates="employee", cascade="all, delete-orphan", order_by="CompetencyEstimate.competency_id"
    )


class CompetencyEstimate(Base):
    """An employee's measured level on one competency (θ with its standard error)."""

    __tablename__ = "hr_competency_estimate"
    __table_args__ = (
        UniqueConstraint("employee_id", "competency_id"),
        CheckConstraint("se > 0", name="se_positive"),
        CheckConstraint(one_of("source", ESTIMATE_SOURCES), name="source_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("hr_employee.id", ondelete="CASCADE"), index=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id", ondelete="RESTRICT"))
    theta: Mapped[float] = mapped_column(Float)
    se: Mapped[float] = mapped_column(Float)
    #: "selection" (EAP on the items of one blueprint section of the selection test) or "assessment".
    source: Mapped[str] = mapped_column(String(20), default="selection")
    #: The exam session the estimate was computed from, if any.
    session_id: Mapped[int | None] = mapped_column(ForeignKey("exam_session.id", ondelete="RESTRICT"))
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    employee: Mapped[Employee] = relationship(back_populates="estimates")
    competency: Mapped[Competency] = relationship()


class SuccessProfile(Base):
    """A position's required profile for the next recruitment, proposed from its top performers.

    Proposed from the top performance tertile's mean θ per competency
    (``scoring.training_needs.success_profile``); HR accepts it as proposed or edited, and the
    committee's competency profile (levels 1-5 by competency key) is generated from what was accepted.
    """

    __tablename__ = "hr_success_profile"
    __table_args__ = (
        CheckConstraint(one_of("status", SUCCESS_STATUSES), name="status_known"),
        CheckConstraint("(status = 'accepted') = (accepted_at IS NOT NULL)", name="accepted_at_iff_accepted"),
        CheckConstraint("employees >= 3", name="enough_employees"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("hr_position_profile.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="proposed")
    #: Proposed required θ by competency code: the top tertile's mean.
    proposed: Mapped[dict] = mapped_column(JSON)
    #: The analysis behind it by competency code: top/rest n, means, SEs, difference and its SE.
    analysis: Mapped[dict] = mapped_column(JSON)
    #: Evaluation period codes whose combined performance was averaged.
    periods: Mapped[list] = mapped_column(JSON)
    #: Rated employees of the position the proposal was computed from.
    employees: Mapped[int] = mapped_column(Integer)
    #: Required θ by competency code as HR accepted it (the proposal, possibly edited).
    accepted: Mapped[dict | None] = mapped_column(JSON)
    #: The committee's competency profile generated from ``accepted``: level 1-5 by competency key.
    committee_profile: Mapped[dict | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    profile: Mapped[PositionProfile] = relationship()


# --------------------------------------------------------------------------- recruitment intakes


class RecruitmentIntake(Base):
    """The applicant pool of one recruitment round, kept for the effectiveness report."""

    __tablename__ = "hr_intake"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    #: The selection period the pool was imported from, if it ran on this platform.
    period_id: Mapped[int | None] = mapped_column(ForeignKey("selection_period.id", ondelete="RESTRICT"), unique=True)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    applicants: Mapped[list[IntakeApplicant]] = relationship(
        back_populates="intake", cascade="all, delete-orphan", order_by="IntakeApplicant.id"
    )


class IntakeApplicant(Base):
    """One applicant of an intake: group attributes, selection scores and whether they were hired."""

    __tablename__ = "hr_intake_applicant"
    __table_args__ = (
        UniqueConstraint("intake_id", "registration_number"),
        CheckConstraint("gender IS NULL OR " + one_of("gender", GENDERS), name="gender_known"),
        CheckConstraint("employee_id IS NULL OR is_selected", name="employee_only_if_selected"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("hr_intake.id", ondelete="CASCADE"), index=True)
    registration_number: Mapped[str] = mapped_column(String(40))
    region: Mapped[str | None] = mapped_column(String(100))
    #: Code of the position applied for (formasi), for the outreach targets of the same position later.
    position_code: Mapped[str | None] = mapped_column(String(40))
    #: The qualification applied with, e.g. "S-1 Akuntansi" (level and programme), for the at-risk forecast.
    education: Mapped[str | None] = mapped_column(String(200))
    gender: Mapped[str | None] = mapped_column(String(1))
    #: Selection scores by instrument and section, e.g. {"SKD.TWK": 85, "SKD": 400, "SKB": 78, "final": 80}.
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    is_selected: Mapped[bool] = mapped_column(Boolean, default=False)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("hr_employee.id", ondelete="SET NULL"), unique=True)

    intake: Mapped[RecruitmentIntake] = relationship(back_populates="applicants")
    employee: Mapped[Employee | None] = relationship()


# --------------------------------------------------------------------------- training


class TrainingProgramme(Base):
    """A programme of the training catalogue."""

    __tablename__ = "hr_training_programme"
    __table_args__ = (
        CheckConstraint(one_of("mode", PROGRAMME_MODES), name="mode_known"),
        CheckConstraint("hours > 0", name="hours_positive"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("cost_per_run >= 0 AND cost_per_participant >= 0", name="costs_non_negative"),
        CheckConstraint("max_runs IS NULL OR max_runs >= 0", name="max_runs_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[str] = mapped_column(String(10))
    hours: Mapped[float] = mapped_column(Float)
    #: Participants per run (cohort).
    capacity: Mapped[int] = mapped_column(Integer)
    #: Fixed cost of one run (trainer, room), in rupiah.
    cost_per_run: Mapped[float] = mapped_column(Float, default=0.0)
    #: Cost per participant (materials, travel), in rupiah.
    cost_per_participant: Mapped[float] = mapped_column(Float, default=0.0)
    #: Most runs in a planning year; None is unlimited.
    max_runs: Mapped[int | None] = mapped_column(Integer)
    #: The orientation programme every new hire attends first; at most one is active.
    is_orientation: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    effects: Mapped[list[ProgrammeEffect]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", order_by="ProgrammeEffect.competency_id"
    )


class ProgrammeEffect(Base):
    """The expected gain in θ per participant of a programme on one competency it builds."""

    __tablename__ = "hr_programme_effect"
    __table_args__ = (CheckConstraint("effect > 0", name="effect_positive"),)

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("hr_training_programme.id", ondelete="CASCADE"), primary_key=True
    )
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id", ondelete="RESTRICT"), primary_key=True)
    #: Logits gained per participant.
    effect: Mapped[float] = mapped_column(Float)

    programme: Mapped[TrainingProgramme] = relationship(back_populates="effects")
    competency: Mapped[Competency] = relationship()


class DevelopmentPlan(Base):
    """An employee's individual development plan (IDP) as saved by HR."""

    __tablename__ = "hr_development_plan"
    __table_args__ = (CheckConstraint(one_of("status", PLAN_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("hr_employee.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="proposed")
    #: Weighted credible gap (logits) before the plan and expected after it.
    credible_gap_before: Mapped[float] = mapped_column(Float)
    credible_gap_after: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    employee: Mapped[Employee] = relationship()
    items: Mapped[list[DevelopmentPlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="DevelopmentPlanItem.rank"
    )


class DevelopmentPlanItem(Base):
    """One programme of a development plan, in attendance order."""

    __tablename__ = "hr_development_plan_item"
    __table_args__ = (
        UniqueConstraint("plan_id", "rank"),
        UniqueConstraint("plan_id", "programme_id"),
        CheckConstraint(one_of("status", PLAN_ITEM_STATUSES), name="status_known"),
        CheckConstraint("rank >= 1", name="rank_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("hr_development_plan.id", ondelete="CASCADE"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("hr_training_programme.id", ondelete="RESTRICT"))
    rank: Mapped[int] = mapped_column(Integer)
    expected_gap_closed: Mapped[float] = mapped_column(Float)
    #: "orientation" or "closes_gap" (scoring.training_needs.PlanItem.reason_code).
    reason_code: Mapped[str] = mapped_column(String(20))
    #: Competency codes the programme works on for this employee.
    competencies: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="planned")

    plan: Mapped[DevelopmentPlan] = relationship(back_populates="items")
    programme: Mapped[TrainingProgramme] = relationship()


class TrainingPlan(Base):
    """A cohort training plan within a budget (scipy.optimize.milp), saved for export."""

    __tablename__ = "hr_training_plan"
    __table_args__ = (
        CheckConstraint(one_of("grouping", COHORT_GROUPINGS), name="grouping_known"),
        CheckConstraint("budget >= 0", name="budget_non_negative"),
        CheckConstraint("total_cost <= budget + 0.01", name="within_budget"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: Which employees: all, or those of one unit / region / position profile (``group_value``).
    grouping: Mapped[str] = mapped_column(String(10), default="all")
    group_value: Mapped[str | None] = mapped_column(String(200))
    budget: Mapped[float] = mapped_column(Float)
    total_cost: Mapped[float] = mapped_column(Float)
    #: Weighted credible gap (logits) the plan is expected to close.
    total_gap_closed: Mapped[float] = mapped_column(Float)
    #: Whether the solver proved optimality (False: stopped at its time limit).
    is_optimal: Mapped[bool] = mapped_column(Boolean)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lines: Mapped[list[TrainingPlanLine]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="TrainingPlanLine.id"
    )
    assignments: Mapped[list[TrainingPlanAssignment]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="TrainingPlanAssignment.id"
    )


class TrainingPlanLine(Base):
    """A programme of a cohort plan: runs, participants, cost and gap closed."""

    __tablename__ = "hr_training_plan_line"
    __table_args__ = (
        UniqueConstraint("plan_id", "programme_id"),
        CheckConstraint("runs >= 1 AND participants >= 1", name="runs_and_participants_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("hr_training_plan.id", ondelete="CASCADE"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("hr_training_programme.id", ondelete="RESTRICT"))
    runs: Mapped[int] = mapped_column(Integer)
    participants: Mapped[int] = mapped_column(Integer)
    cost: Mapped[float] = mapped_column(Float)
    gap_closed: Mapped[float] = mapped_column(Float)

    plan: Mapped[TrainingPlan] = relationship(back_populates="lines")
    programme: Mapped[TrainingProgramme] = relationship()


class TrainingPlanAssignment(Base):
    """An employee sent to a programme by a cohort plan."""

    __tablename__ = "hr_training_plan_assignment"
    __table_args__ = (UniqueConstraint("plan_id", "employee_id", "programme_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("hr_training_plan.id", ondelete="CASCADE"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("hr_employee.id", ondelete="CASCADE"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("hr_training_programme.id", ondelete="RESTRICT"))

    plan: Mapped[TrainingPlan] = relationship(back_populates="assignments")
    employee: Mapped[Employee] = relationship()
    programme: Mapped[TrainingProgramme] = relationship()


# --------------------------------------------------------------------------- performance evaluation


class EvaluationPeriod(Base):
    """A performance evaluation period and how supervisor and community scores combine."""

    __tablename__ = "hr_evaluation_period"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        CheckConstraint("supervisor_weight >= 0 AND supervisor_weight <= 1", name="weight_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    #: Share of the supervisor rating in the combined score; the community score gets the rest.
    supervisor_weight: Mapped[float] = mapped_column(Float, default=0.7)
    #: Whether the public feedback form accepts feedback for this period.
    is_feedback_open: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SupervisorRating(Base):
    """A supervisor's rating of an employee in a period, against the agreed targets."""

    __tablename__ = "hr_supervisor_rating"
    __table_args__ = (
        UniqueConstraint("period_id", "employee_id"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("hr_evaluation_period.id", ondelete="RESTRICT"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("hr_employee.id", ondelete="CASCADE"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    #: Targets as [{"target": text, "weight": w, "achieved": percent 0-120}]; the score is their
    #: weighted mean achievement, capped at 100.
    targets: Mapped[list] = mapped_column(JSON, default=list)
    #: 0-100.
    score: Mapped[float] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    period: Mapped[EvaluationPeriod] = relationship()
    employee: Mapped[Employee] = relationship()


class CommunityFeedback(PublicSubmission, Base):
    """Feedback from the public on a unit's service, sent without an account; shown once moderated."""

    __tablename__ = "hr_community_feedback"
    __table_args__ = (
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
        CheckConstraint(one_of("status", MODERATION_STATUSES), name="status_known"),
        _moderated(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("hr_evaluation_period.id", ondelete="RESTRICT"), index=True)
    #: The service unit the feedback is about (an employee unit).
    unit: Mapped[str] = mapped_column(String(200), index=True)
    #: 1 (very poor) to 5 (very good).
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")

    period: Mapped[EvaluationPeriod] = relationship()


# --------------------------------------------------------------------------- public consultation


class PublicConsultation(Base):
    """A selection period's public consultation on its criteria, with the summary for the committee."""

    __tablename__ = "hr_consultation"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window_positive"),
        CheckConstraint("(summary IS NULL) = (summarised_at IS NULL)", name="summarised_at_iff_summary"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("selection_period.id", ondelete="RESTRICT"), unique=True)
    #: What the public is asked, shown above the form.
    question: Mapped[str] = mapped_column(Text)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The moderator's summary of the approved comments, for the committee.
    summary: Mapped[str | None] = mapped_column(Text)
    summarised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    summarised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    period: Mapped[SelectionPeriod] = relationship()
    comments: Mapped[list[ConsultationComment]] = relationship(
        back_populates="consultation", order_by="ConsultationComment.id"
    )


class ConsultationComment(PublicSubmission, Base):
    """A public comment on one criterion of a selection period; published once moderated."""

    __tablename__ = "hr_consultation_comment"
    __table_args__ = (
        CheckConstraint(one_of("topic", CONSULTATION_TOPICS), name="topic_known"),
        CheckConstraint(one_of("status", MODERATION_STATUSES), name="status_known"),
        _moderated(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("hr_consultation.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    #: Optional name or organisation the sender gives; shown with the comment if approved.
    author: Mapped[str | None] = mapped_column(String(120))

    consultation: Mapped[PublicConsultation] = relationship(back_populates="comments")
