"""HR operations: appointing selected candidates, the catalogue, plans, ratings, feedback, consultation.

Every function adds and flushes; the view or CLI command commits once.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from examserver.accounts.identity import nik_sex
from examserver.accounts.models import User
from examserver.delivery.models import ExamSession
from examserver.hr.analysis import Catalogue, Workforce
from examserver.hr.models import (
    CONSULTATION_TOPICS,
    CommunityFeedback,
    CompetencyEstimate,
    ConsultationComment,
    DevelopmentPlan,
    DevelopmentPlanItem,
    Employee,
    EvaluationPeriod,
    IntakeApplicant,
    PositionProfile,
    ProgrammeEffect,
    PublicConsultation,
    RecruitmentIntake,
    SupervisorRating,
    TrainingPlan,
    TrainingPlanAssignment,
    TrainingPlanLine,
    TrainingProgramme,
)
from examserver.hr.regions import province_named, province_of
from examserver.selection.models import Application, SelectionPeriod
from examserver.selection.qualifications import qualification
from examserver.selection.ranking import rank_period
from itembank.database import record_to_save, utcnow
from itembank.item_types import item_type
from itembank.models import ItemParameter
from itembank.parameters import to_engine, usable
from itembank.refusal import Refusal
from scoring.ability import estimate_ability
from scoring.training_needs import cohort_plan, development_plan

# --------------------------------------------------------------------------- appointment


def section_estimates(exam: ExamSession) -> list[tuple[int, float, float]]:
    """(competency id, θ, SE) per blueprint section of a scored session, by EAP on that section's items.

    A section with an item lacking usable parameters is left out (θ on part of a section would mislead).
    """
    by_section: dict[int, list] = {}
    for si in exam.items:
        by_section.setdefault(si.section_id, []).append(si)
    out = []
    for section in exam.schedule.blueprint.sections:
        items = by_section.get(section.id, [])
        rows: list[ItemParameter] = []
        responses: list[int] = []
        for si in items:
            parameter = si.item.current_parameter
            if parameter is None or not usable(parameter):
                rows = []
                break
            kind = item_type(si.item.item_type)
            rows.append(parameter)
            responses.append(kind.category(si.version.answer, si.answer.response if si.answer else None))
        if not rows:
            continue
        estimate = estimate_ability(np.asarray([responses], dtype=float), to_engine(rows), method="eap")
        out.append((section.competency_id, round(float(estimate.theta[0]), 4), round(float(estimate.se[0]), 4)))
    return out


def provisional_nip(registration_number: str) -> str:
    """The NIP a new hire carries until BKN issues one: the registration number marked as a CPNS's,
    the mark added once (registration numbers of CPNS periods already start with it)."""
    return registration_number if registration_number.startswith("CPNS-") else f"CPNS-{registration_number}"


def appoint_from_period(
    session: Session,
    period: SelectionPeriod,
    actor_id: int | None,
    *,
    profiles: dict[str, PositionProfile],
    appointed_on: date,
    regions: dict[str, str] | None = None,
) -> list[Employee]:
    """Make employees of the period's appointed candidates and keep its applicant pool as an intake.

    ``profiles`` maps a position code to the competency profile of the job; ``regions`` a position
    code to the duty station's region (default: the position's location). Candidates already
    employees are left alone, so the call can be repeated.
    """
    ranking = rank_period(session, period, final=True)
    intake = session.scalar(select(RecruitmentIntake).where(RecruitmentIntake.period_id == period.id))
    if intake is None:
        intake = RecruitmentIntake(code=period.code, title=period.title, period_id=period.id, imported_by_id=actor_id)
        session.add(intake)
        session.flush()
    known = {a.registration_number: a for a in intake.applicants}
    applications = {a.id: a for a in session.scalars(select(Application).where(Application.period_id == period.id))}
    created = []
    for row in ranking.rows:
        application = applications[row.application_id]
        user = session.get(User, application.candidate_id)
        assert user is not None, "an application's candidate_id is a foreign key to user"
        # An invalidated session (proctoring.standing) leaves no score: the ranking blanks it.
        voided = row.standing is not None and not row.standing.counts
        scores = {f"SKD.{name}": value for name, value in zip(ranking.section_names, row.sections, strict=True)}
        scores = {k: v for k, v in scores.items() if v is not None}
        for key, value in (("SKD", row.basic_total), ("SKB", row.field_score), ("final", row.final_score)):
            if value is not None:
                scores[key] = value
        applicant = known.get(row.registration_number)
        if applicant is None:
            applicant = IntakeApplicant(intake=intake, registration_number=row.registration_number)
            session.add(applicant)
        applicant.region = province_of(user.nik)
        applicant.gender = nik_sex(user.nik)
        applicant.position_code = application.position.code
        applicant.education = qualification(application.position.education)[:200] or None
        applicant.scores = scores
        # Someone appointed before their session was invalidated stays an employee (an HR matter), never a new one.
        applicant.is_selected = row.appointed_code is not None or applicant.employee_id is not None
        if voided or row.appointed_code is None or applicant.employee_id is not None:
            continue
        if session.scalar(select(Employee.id).where(Employee.application_id == application.id)) is not None:
            continue
        profile = profiles.get(row.appointed_code)
        if profile is None:
            raise Refusal("hr.no_profile", detail=row.appointed_code)
        position = next(p for p in period.positions if p.code == row.appointed_code)
        employee = Employee(
            nip=provisional_nip(row.registration_number),
            full_name=user.full_name,
            user_id=user.id,
            application_id=application.id,
            profile_id=profile.id,
            position_title=position.title,
            unit=position.unit,
            region=province_named((regions or {}).get(position.code, position.location)),
            gender=applicant.gender,
            appointed_on=appointed_on,
            is_new_hire=True,
        )
        session.add(employee)
        session.flush()
        exam = session.get(ExamSession, row.session_id) if row.session_id else None
        if exam is not None and exam.result is not None:
            for competency_id, theta, se in section_estimates(exam):
                session.add(
                    CompetencyEstimate(
                        employee_id=employee.id,
                        competency_id=competency_id,
                        theta=theta,
                        se=se,
                        source="selection",
                        session_id=exam.id,
                        measured_at=exam.ended_at or utcnow(),
                    )
                )
        applicant.employee_id = employee.id
        created.append(employee)
    session.flush()
    return created


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class ProgrammeData:
    """Validated fields of a training programme."""

    code: str
    name: str
    description: str
    mode: str
    hours: float
    capacity: int
    cost_per_run: float
    cost_per_participant: float
    max_runs: int | None
    is_orientation: bool
    is_active: bool
    effects: dict[int, float]


def save_programme(session: Session, programme: TrainingProgramme | None, data: ProgrammeData) -> TrainingProgramme:
    """Create or update a programme; a new orientation programme replaces the previous one."""
    if not data.effects and not data.is_orientation:
        raise Refusal("hr.no_effect")
    programme = record_to_save(session, programme, TrainingProgramme.code, data.code, "hr.code_taken")
    for name in (
        "code", "name", "description", "mode", "hours", "capacity", "cost_per_run",
        "cost_per_participant", "max_runs", "is_orientation", "is_active",
    ):  # fmt: skip
        setattr(programme, name, getattr(data, name))
    if data.is_orientation:
        for other in session.scalars(select(TrainingProgramme).where(TrainingProgramme.is_orientation.is_(True))):
            if other is not programme:
                other.is_orientation = False
    programme.effects = [
        ProgrammeEffect(competency_id=cid, effect=effect) for cid, effect in sorted(data.effects.items())
    ]
    session.flush()
    return programme


# --------------------------------------------------------------------------- plans


def proposed_plan(workforce: Workforce, catalogue: Catalogue, row: int, priority: str = "per_hour"):
    """The development plan the engine proposes for one employee (``scoring.training_needs.DevelopmentPlan``)."""
    employee = workforce.employees[row]
    weights = np.where(np.isnan(workforce.required[row]), 0.0, workforce.weights[row])
    new_hire = employee.is_new_hire and catalogue.engine.orientation is not None
    return development_plan(
        workforce.gaps.credible_gap[row : row + 1],
        catalogue.engine,
        new_hire=new_hire,
        competency_weights=weights,
        priority=priority,
    )[0]


def save_development_plan(
    session: Session, workforce: Workforce, catalogue: Catalogue, row: int, actor_id: int, note: str = ""
) -> DevelopmentPlan:
    """Save the proposed plan of one employee as their development plan."""
    proposal = proposed_plan(workforce, catalogue, row)
    by_code = {p.code: p for p in catalogue.programmes}
    plan = DevelopmentPlan(
        employee_id=workforce.employees[row].id,
        credible_gap_before=proposal.credible_gap_before,
        credible_gap_after=proposal.credible_gap_after,
        note=note,
        created_by_id=actor_id,
        items=[
            DevelopmentPlanItem(
                programme_id=by_code[item.programme].id,
                rank=item.rank,
                expected_gap_closed=item.expected_gap_closed,
                reason_code=item.reason_code,
                competencies=list(item.competencies),
            )
            for item in proposal.items
        ],
    )
    session.add(plan)
    session.flush()
    return plan


def build_training_plan(
    session: Session,
    workforce: Workforce,
    catalogue: Catalogue,
    *,
    title: str,
    budget: float,
    grouping: str,
    group_value: str | None,
    orientation_for_new_hires: bool,
    max_programmes_per_employee: int | None,
    actor_id: int,
    time_limit: float = 20.0,
) -> TrainingPlan:
    """Solve the budget plan (``scoring.training_needs.cohort_plan``, a MILP) and save it."""
    engine = catalogue.engine
    must = np.zeros((len(workforce.employees), engine.n_programmes), dtype=bool)
    if orientation_for_new_hires and engine.orientation_index is not None:
        must[:, engine.orientation_index] = [e.is_new_hire for e in workforce.employees]
    try:
        result = cohort_plan(
            workforce.gaps,
            engine,
            budget,
            must_attend=must,
            max_programmes_per_employee=max_programmes_per_employee,
            time_limit=time_limit,
        )
    except ValueError as error:
        raise Refusal("hr.infeasible", detail=str(error)) from error
    plan = TrainingPlan(
        title=title,
        grouping=grouping,
        group_value=group_value,
        budget=budget,
        total_cost=result.total_cost,
        total_gap_closed=result.total_gap_closed,
        is_optimal=result.optimal,
        created_by_id=actor_id,
    )
    session.add(plan)
    for p, programme in enumerate(catalogue.programmes):
        if result.runs[p] > 0:
            plan.lines.append(
                TrainingPlanLine(
                    programme_id=programme.id,
                    runs=int(result.runs[p]),
                    participants=int(result.participants[p]),
                    cost=float(result.cost[p]),
                    gap_closed=float(result.gap_closed[p]),
                )
            )
        for i in np.flatnonzero(result.assignment[:, p]):
            plan.assignments.append(
                TrainingPlanAssignment(employee_id=workforce.employees[int(i)].id, programme_id=programme.id)
            )
    session.flush()
    return plan


# --------------------------------------------------------------------------- evaluation


def save_period(
    session: Session,
    period: EvaluationPeriod | None,
    *,
    code: str,
    title: str,
    starts_on: date,
    ends_on: date,
    supervisor_weight: float,
    is_feedback_open: bool,
    actor_id: int | None,
) -> EvaluationPeriod:
    """Create or update an evaluation period."""
    if ends_on < starts_on:
        raise Refusal("hr.dates_order")
    period = record_to_save(session, period, EvaluationPeriod.code, code, "hr.code_taken", created_by_id=actor_id)
    period.code, period.title, period.starts_on, period.ends_on = code, title, starts_on, ends_on
    period.supervisor_weight, period.is_feedback_open = supervisor_weight, is_feedback_open
    session.flush()
    return period


def target_score(targets: list[dict]) -> float:
    """Weighted mean achievement (percent) of the targets, capped at 100."""
    weights = np.array([float(t["weight"]) for t in targets])
    achieved = np.array([float(t["achieved"]) for t in targets])
    if weights.sum() <= 0:
        raise Refusal("hr.no_targets")
    return float(min(100.0, (weights @ achieved) / weights.sum()))


def rate(
    session: Session, period: EvaluationPeriod, employee: Employee, rater_id: int, targets: list[dict], comment: str
) -> SupervisorRating:
    """Record (or replace) the supervisor rating of an employee in a period."""
    targets = [t for t in targets if t.get("target")]
    if not targets:
        raise Refusal("hr.no_targets")
    score = target_score(targets)
    rating = session.scalar(
        select(SupervisorRating).where(
            SupervisorRating.period_id == period.id, SupervisorRating.employee_id == employee.id
        )
    )
    if rating is None:
        rating = SupervisorRating(period_id=period.id, employee_id=employee.id)
        session.add(rating)
    rating.rater_id, rating.targets, rating.score, rating.comment = rater_id, targets, score, comment
    rating.rated_at = utcnow()
    session.flush()
    return rating


def sender_hash(secret: str, address: str) -> str:
    """Keyed SHA-256 of the sender's address: floods can be traced without storing the address.

    ``secret`` is the app's ``SECRET_KEY``, which ``examserver.config`` always sets as text."""
    return hmac.new(secret.encode(), (address or "").encode(), hashlib.sha256).hexdigest()


def submit_feedback(
    session: Session, period: EvaluationPeriod, *, unit: str, rating: int, comment: str, sender: str
) -> CommunityFeedback:
    """Store public feedback on a unit, pending moderation."""
    if not period.is_feedback_open:
        raise Refusal("hr.feedback_closed")
    units = set(session.scalars(select(Employee.unit).distinct()))
    if unit not in units:
        raise Refusal("hr.unknown_unit")
    feedback = CommunityFeedback(period_id=period.id, unit=unit, rating=rating, comment=comment, sender_hash=sender)
    session.add(feedback)
    session.flush()
    return feedback


def moderate(
    item: CommunityFeedback | ConsultationComment, moderator_id: int, *, approve: bool, note: str = ""
) -> None:
    """Approve or reject a pending feedback or comment (once)."""
    if item.status != "pending":
        raise Refusal("hr.already_moderated")
    item.status = "approved" if approve else "rejected"
    item.moderated_by_id, item.moderated_at, item.moderation_note = moderator_id, utcnow(), note or None


# --------------------------------------------------------------------------- consultation


def open_consultation(
    session: Session, period: SelectionPeriod, *, question: str, opens_at: datetime, closes_at: datetime, actor_id: int
) -> PublicConsultation:
    """Open a public consultation on a selection period's criteria (one per period)."""
    if closes_at <= opens_at:
        raise Refusal("hr.dates_order")
    if session.scalar(select(PublicConsultation.id).where(PublicConsultation.period_id == period.id)):
        raise Refusal("hr.consultation_exists")
    consultation = PublicConsultation(
        period_id=period.id, question=question, opens_at=opens_at, closes_at=closes_at, created_by_id=actor_id
    )
    session.add(consultation)
    session.flush()
    return consultation


def add_comment(
    session: Session, consultation: PublicConsultation, *, topic: str, text: str, author: str | None, sender: str,
    now: datetime | None = None,
) -> ConsultationComment:  # fmt: skip
    """Store a public comment, pending moderation, while the consultation is open."""
    now = now or utcnow()
    if not consultation.opens_at <= now < consultation.closes_at:
        raise Refusal("hr.consultation_closed")
    if topic not in CONSULTATION_TOPICS:
        raise Refusal("hr.unknown_topic")
    comment = ConsultationComment(
        consultation_id=consultation.id, topic=topic, text=text, author=author or None, sender_hash=sender
    )
    session.add(comment)
    session.flush()
    return comment


def topic_counts(consultation: PublicConsultation) -> dict[str, dict[str, int]]:
    """Comments per topic and moderation status, for the committee's summary."""
    counts = {topic: dict.fromkeys(("pending", "approved", "rejected"), 0) for topic in CONSULTATION_TOPICS}
    for comment in consultation.comments:
        counts[comment.topic][comment.status] += 1
    return counts


def summarise(consultation: PublicConsultation, text: str, actor_id: int) -> None:
    """Record the moderator's summary of the approved comments for the committee."""
    consultation.summary, consultation.summarised_at, consultation.summarised_by_id = text, utcnow(), actor_id
