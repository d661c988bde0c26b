"""Operations of a selection period. Each takes plain values, adds and flushes; callers commit.

Every refusal raises :class:`~itembank.refusal.Refusal` with a ``selection.*`` code that
``messages.MESSAGES`` translates; a refused operation changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from examserver.accounts.models import User
from examserver.oversight.register import candidate_bar, removal_in_force
from examserver.selection import documents
from examserver.selection.models import (
    STAGE_KINDS,
    Application,
    ApplicationDocument,
    ConflictDeclaration,
    FieldScore,
    Position,
    RubricScore,
    SelectionAppeal,
    SelectionPeriod,
    SelectionStage,
)
from examserver.selection.rubrics import RUBRICS, rubric_of
from examserver.selection.rules import rules_from_json
from examserver.wib import to_wib
from itembank.database import record_to_save, utcnow
from itembank.refusal import Refusal
from scoring.selection import SelectionRuleError

MIN_REASON = 10
MIN_APPEAL = 20


# --------------------------------------------------------------------------- periods and positions


def _check_rules(rules: dict) -> None:
    try:
        rules_from_json(rules)
    except SelectionRuleError as error:
        raise Refusal("selection.rules_invalid", detail=error.message) from None


def _set_stages(period: SelectionPeriod, stages: dict[str, tuple[datetime, datetime]]) -> None:
    for kind, (start, end) in stages.items():
        if kind not in STAGE_KINDS:
            raise Refusal("selection.stage_unknown")
        if end < start:
            raise Refusal("selection.stage_dates_reversed")
    existing = {stage.kind: stage for stage in period.stages}
    for kind, (start, end) in stages.items():
        stage = existing.get(kind)
        if stage is None:
            period.stages.append(SelectionStage(kind=kind, starts_at=start, ends_at=end))
        else:
            stage.starts_at, stage.ends_at = start, end


def save_period(
    session: Session,
    period: SelectionPeriod | None,
    *,
    actor_id: int,
    code: str,
    title: str,
    agency: str,
    description: str,
    applications_open_at: datetime,
    applications_close_at: datetime,
    appeal_days: int,
    schedule_id: int | None,
    rules: dict,
    stages: dict[str, tuple[datetime, datetime]] | None = None,
    interviewers_required: int = 2,
) -> SelectionPeriod:
    """Create a period (``period`` None) or change one; rules are validated by scoring.selection."""
    if applications_close_at <= applications_open_at:
        raise Refusal("selection.window_reversed")
    if not 0 <= appeal_days <= 30:
        raise Refusal("selection.appeal_days_range")
    if not 2 <= interviewers_required <= 10:
        raise Refusal("selection.interviewers_range")
    _check_rules(rules)
    period = record_to_save(session, period, SelectionPeriod.code, code, "selection.code_taken", created_by_id=actor_id)
    period.code, period.title, period.agency, period.description = code, title, agency, description
    period.applications_open_at, period.applications_close_at = applications_open_at, applications_close_at
    period.appeal_days, period.schedule_id, period.rules = appeal_days, schedule_id, rules
    period.interviewers_required = interviewers_required
    _set_stages(period, stages or {})
    session.flush()
    return period


def save_position(
    session: Session,
    period: SelectionPeriod,
    position: Position | None,
    *,
    code: str,
    agency: str,
    title: str,
    unit: str,
    location: str,
    quota: int,
    education: str,
    categories: Iterable[str],
    required_documents: Iterable[str],
    competency_profile: dict,
    equivalence_group: int | None = None,
) -> Position:
    """Create or change a position (formasi) of ``period``."""
    categories, required = list(categories), list(required_documents)
    known = {t.category for t in rules_from_json(period.rules).thresholds}
    if not categories or set(categories) - known:
        raise Refusal("selection.category_unknown")
    if not required or set(required) - set(documents.DOCUMENT_TYPES):
        raise Refusal("selection.document_type_unknown")
    if quota < 1:
        raise Refusal("selection.quota_invalid")
    if not isinstance(competency_profile, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and 1 <= v <= 5 for k, v in competency_profile.items()
    ):
        raise Refusal("selection.profile_invalid")
    position = record_to_save(
        session,
        position,
        Position.code,
        code,
        "selection.code_taken",
        Position.period_id == period.id,
        period_id=period.id,
    )
    position.code, position.agency, position.title, position.unit = code, agency, title, unit
    position.location, position.quota, position.education = location, quota, education
    position.categories, position.required_documents = categories, required
    position.competency_profile, position.equivalence_group = competency_profile, equivalence_group
    session.flush()
    return position


def position_counts(session: Session, period: SelectionPeriod) -> dict[int, dict[str, int]]:
    """Per position: submitted applications and those accepted at the administrative check."""
    counts: dict[int, dict[str, int]] = {p.id: {"applicants": 0, "qualified": 0} for p in period.positions}
    rows = session.execute(
        select(Application.position_id, Application.status, func.count(Application.id))
        .where(Application.period_id == period.id, Application.status != "draft")
        .group_by(Application.position_id, Application.status)
    ).all()
    for position_id, status, n in rows:
        counts[position_id]["applicants"] += n
        if status == "accepted":
            counts[position_id]["qualified"] += n
    return counts


# --------------------------------------------------------------------------- applications


def is_open(period: SelectionPeriod, now: datetime) -> bool:
    """Whether candidates may apply, upload and submit at ``now``."""
    return period.applications_open_at <= now < period.applications_close_at


def apply(
    session: Session,
    period: SelectionPeriod,
    position: Position,
    candidate: User,
    *,
    category: str,
    education_score: float,
    birth_date: date,
    now: datetime | None = None,
) -> Application:
    """Start (or, while a draft, change) the candidate's one application of the period."""
    now = now or utcnow()
    if not is_open(period, now):
        raise Refusal("selection.period_closed")
    if position.period_id != period.id:
        raise Refusal("selection.position_unknown")
    if category not in position.categories:
        raise Refusal("selection.category_not_open")
    if not 0 <= education_score <= 4:
        raise Refusal("selection.education_score_range")
    if not date(1950, 1, 1) <= birth_date <= now.date():
        raise Refusal("selection.birth_date_invalid")
    _require_not_barred(session, candidate.id, period)
    application = session.scalar(
        select(Application).where(Application.period_id == period.id, Application.candidate_id == candidate.id)
    )
    if application is not None and application.status != "draft":
        raise Refusal("selection.already_submitted")
    if application is not None and application.position_id != position.id:
        for document in application.documents:
            if document.doc_type not in position.required_documents:
                raise Refusal("selection.remove_documents_first")
    if application is None:
        application = Application(period_id=period.id, candidate_id=candidate.id)
        session.add(application)
        # The number comes from the id, known only after the insert; a unique stand-in until then.
        application.registration_number = f"new-{secrets.token_hex(8)}"
        fresh = True
    else:
        fresh = False
    application.position_id = position.id
    application.category = category
    application.education_score = float(education_score)
    application.birth_date = birth_date
    session.flush()
    if fresh:
        application.registration_number = f"{period.code}-{application.id:06d}"
        session.flush()
    return application


def _require_not_barred(session: Session, candidate_id: int, period: SelectionPeriod) -> None:
    """A candidate under a confirmed disqualification from the period, or a ban running over it, may not apply."""
    bar = candidate_bar(session, candidate_id, period)
    if bar is not None:
        raise Refusal("selection.candidate_sanctioned", 403, code=bar.complaint.tracking_code)


def upload_document(
    session: Session,
    application: Application,
    doc_type: str,
    filename: str,
    data: bytes,
    upload_dir: Path,
    *,
    now: datetime | None = None,
) -> ApplicationDocument:
    """Check and store a document of a draft application, replacing one of the same type."""
    now = now or utcnow()
    if application.status != "draft":
        raise Refusal("selection.already_submitted")
    if not is_open(application.period, now):
        raise Refusal("selection.period_closed")
    if doc_type not in application.position.required_documents:
        raise Refusal("selection.document_type_unknown")
    kind = documents.DOCUMENT_TYPES[doc_type]
    try:
        fmt = documents.check_upload(kind, filename, data)
    except documents.UploadRefused as refused:
        # The status given positionally: the checker cannot see that ``params`` never holds a "status" key.
        raise Refusal(f"selection.upload_{refused.code}", 409, **refused.params) from None
    previous = next((d for d in application.documents if d.doc_type == doc_type), None)
    others = [d for d in application.documents if d is not previous]
    if len(others) + 1 > documents.MAX_FILES_PER_APPLICATION:
        raise Refusal("selection.upload_quota_files", limit=documents.MAX_FILES_PER_APPLICATION)
    if sum(d.size_bytes for d in others) + len(data) > documents.MAX_BYTES_PER_APPLICATION:
        raise Refusal("selection.upload_quota_bytes", limit=documents.MAX_BYTES_PER_APPLICATION // (1024 * 1024))
    stored_name, digest = documents.store(upload_dir, data, fmt)
    if previous is not None:
        old = documents.stored_path(upload_dir, previous.stored_name)
        application.documents.remove(previous)
        session.delete(previous)
        session.flush()
        old.unlink(missing_ok=True)
    document = ApplicationDocument(
        doc_type=doc_type,
        original_name=filename[:120],
        stored_name=stored_name,
        content_type=documents.CONTENT_TYPES[fmt],
        size_bytes=len(data),
        sha256=digest,
        uploaded_at=now,
    )
    application.documents.append(document)
    session.flush()
    return document


def missing_documents(application: Application) -> list[str]:
    """Required document types of the application's position not yet uploaded."""
    have = {d.doc_type for d in application.documents}
    return [key for key in application.position.required_documents if key not in have]


def submit(session: Session, application: Application, *, now: datetime | None = None) -> Application:
    """Submit a draft with every required document, before the deadline; it cannot change after."""
    now = now or utcnow()
    if application.status != "draft":
        raise Refusal("selection.already_submitted")
    if not is_open(application.period, now):
        raise Refusal("selection.period_closed")
    _require_not_barred(session, application.candidate_id, application.period)
    if missing_documents(application):
        raise Refusal("selection.documents_missing")
    application.status, application.submitted_at = "submitted", now
    session.flush()
    return application


# --------------------------------------------------------------------------- conflicts of interest


def declare_conflict(session: Session, member: User, nik: str, relationship_text: str) -> ConflictDeclaration:
    """Record that ``member`` is related to the person with ``nik``."""
    if not (len(nik) == 16 and nik.isdigit()):
        raise Refusal("selection.nik_invalid")
    if len(relationship_text.strip()) < 3:
        raise Refusal("selection.relationship_required")
    exists = session.scalar(
        select(ConflictDeclaration.id).where(ConflictDeclaration.member_id == member.id, ConflictDeclaration.nik == nik)
    )
    if exists is not None:
        raise Refusal("selection.conflict_exists")
    declaration = ConflictDeclaration(member_id=member.id, nik=nik, relationship_text=relationship_text.strip())
    session.add(declaration)
    session.flush()
    return declaration


def conflicted_candidates(session: Session, member_id: int) -> set[int]:
    """Ids of candidates ``member_id`` declared a relationship with."""
    return set(
        session.scalars(
            select(User.id)
            .join(ConflictDeclaration, ConflictDeclaration.nik == User.nik)
            .where(ConflictDeclaration.member_id == member_id)
        )
    )


def has_conflict(session: Session, member_id: int, application: Application) -> bool:
    """Whether ``member_id`` declared a relationship with the applicant."""
    return application.candidate_id in conflicted_candidates(session, member_id)


def _require_may_act(session: Session, member_id: int, application: Application) -> None:
    """A member acts on an application only while not removed from the committee by a sanction,
    and only without a declared relationship with the applicant."""
    removal = removal_in_force(session, member_id, "committee", to_wib(utcnow()).date())
    if removal is not None:
        assert removal.until is not None
        raise Refusal("oversight.removed_from_committee", 403, until=removal.until)
    if has_conflict(session, member_id, application):
        raise Refusal("selection.conflict_of_interest")


# --------------------------------------------------------------------------- verification and appeals


def check_document(
    session: Session,
    document: ApplicationDocument,
    member_id: int,
    *,
    accepted: bool,
    checklist: Iterable[str],
    reason: str,
    now: datetime | None = None,
) -> ApplicationDocument:
    """Record a verifier's check of one document; a rejection needs a reason."""
    application = document.application
    _require_may_act(session, member_id, application)
    if application.status != "submitted":
        raise Refusal("selection.not_awaiting_verification")
    kind = documents.DOCUMENT_TYPES[document.doc_type]
    ticked = [key for key in checklist if key in dict(kind.checklist)]
    reason = reason.strip()
    if accepted and len(ticked) != len(kind.checklist):
        raise Refusal("selection.checklist_incomplete")
    if not accepted and len(reason) < MIN_REASON:
        raise Refusal("selection.reason_required")
    document.status = "accepted" if accepted else "rejected"
    document.checklist, document.reason = ticked, reason or None
    document.checked_by_id, document.checked_at = member_id, now or utcnow()
    session.flush()
    return document


def decide_application(
    session: Session, application: Application, member_id: int, *, now: datetime | None = None
) -> Application:
    """Close the administrative check: accepted when every document is, otherwise rejected with the reasons."""
    _require_may_act(session, member_id, application)
    if application.status != "submitted":
        raise Refusal("selection.not_awaiting_verification")
    if any(d.status == "pending" for d in application.documents):
        raise Refusal("selection.documents_unchecked")
    rejected = [f"{d.doc_type}: {d.reason}" for d in application.documents if d.status == "rejected"]
    bar = candidate_bar(session, application.candidate_id, application.period)
    if bar is not None:  # a sanction that bars the candidate from the period rejects, whatever the documents
        rejected.append(f"sanksi Inspektorat, pengaduan {bar.complaint.tracking_code}")
    application.status = "rejected" if rejected else "accepted"
    application.decision_reason = "; ".join(rejected) or None
    application.decided_by_id, application.decided_at = member_id, now or utcnow()
    session.flush()
    return application


def appeal_deadline(application: Application) -> datetime | None:
    """Until when the applicant may appeal a rejection (None when there is nothing to appeal)."""
    if application.status != "rejected" or application.decided_at is None:
        return None
    return application.decided_at + timedelta(days=application.period.appeal_days)


def file_appeal(
    session: Session, application: Application, text: str, *, now: datetime | None = None
) -> SelectionAppeal:
    """The candidate's appeal (sanggah) against a rejection, within the period's window."""
    now = now or utcnow()
    deadline = appeal_deadline(application)
    if deadline is None:
        raise Refusal("selection.nothing_to_appeal")
    if application.appeal is not None:
        raise Refusal("selection.appeal_exists")
    if now >= deadline:
        raise Refusal("selection.appeal_window_closed")
    if len(text.strip()) < MIN_APPEAL:
        raise Refusal("selection.appeal_too_short")
    appeal = SelectionAppeal(application_id=application.id, text=text.strip(), filed_at=now)
    session.add(appeal)
    session.flush()
    return appeal


def decide_appeal(
    session: Session,
    appeal: SelectionAppeal,
    member_id: int,
    *,
    upheld: bool,
    reason: str,
    now: datetime | None = None,
) -> SelectionAppeal:
    """Decide an appeal; the member who verified the application may not. Upheld: accepted."""
    application = appeal.application
    _require_may_act(session, member_id, application)
    if appeal.status != "open":
        raise Refusal("selection.appeal_closed")
    if member_id == application.decided_by_id:
        raise Refusal("selection.appeal_needs_someone_else")
    if len(reason.strip()) < MIN_REASON:
        raise Refusal("selection.reason_required")
    now = now or utcnow()
    appeal.status, appeal.outcome = ("upheld" if upheld else "rejected"), reason.strip()
    appeal.decided_by_id, appeal.decided_at = member_id, now
    if upheld:
        _accept_on_appeal(application, member_id, now)
    session.flush()
    return appeal


def _accept_on_appeal(application: Application, member_id: int, now: datetime) -> None:
    """An upheld appeal accepts the application and the documents it was rejected for, so every page
    that shows their status reads "accepted"; the appeal keeps what was argued and decided."""
    application.status, application.decision_reason = "accepted", None
    application.decided_by_id, application.decided_at = member_id, now
    for document in application.documents:
        if document.status == "rejected":
            document.status, document.reason = "accepted", None
            document.checked_by_id, document.checked_at = member_id, now


# --------------------------------------------------------------------------- field-test scores


def enter_field_score(
    session: Session, application: Application, member_id: int, component: str, score: float
) -> FieldScore:
    """Enter (or correct) a directly scored field component (computer test, other tests) of an accepted application."""
    _require_may_act(session, member_id, application)
    rules = rules_from_json(application.period.rules)
    spec = next((c for c in rules.weights.components if c.name == component), None)
    if spec is None or rubric_of(spec) is not None:
        raise Refusal("selection.component_unknown")
    if application.status != "accepted":
        raise Refusal("selection.not_accepted")
    if not 0 <= score <= spec.maximum:
        raise Refusal("selection.score_range", maximum=spec.maximum)
    row = session.scalar(
        select(FieldScore).where(FieldScore.application_id == application.id, FieldScore.component == component)
    )
    if row is None:
        row = FieldScore(application_id=application.id, component=component, score=score, entered_by_id=member_id)
        session.add(row)
    else:
        row.score, row.entered_by_id, row.entered_at = score, member_id, utcnow()
    session.flush()
    return row


def enter_rubric(
    session: Session, application: Application, scorer_id: int, rubric: str, levels: dict[str, int]
) -> RubricScore:
    """A scorer's own rubric for an accepted application: entered once, blind to the other scorers."""
    _require_may_act(session, scorer_id, application)
    if application.status != "accepted":
        raise Refusal("selection.not_accepted")
    spec = RUBRICS.get(rubric)
    components = rules_from_json(application.period.rules).weights.components
    if spec is None or all(rubric_of(c) != rubric for c in components):
        raise Refusal("selection.component_unknown")
    if set(levels) != {a.key for a in spec.aspects} or not all(
        isinstance(v, int) and 1 <= v <= 5 for v in levels.values()
    ):
        raise Refusal("selection.rubric_incomplete")
    exists = session.scalar(
        select(RubricScore.id).where(
            RubricScore.application_id == application.id,
            RubricScore.rubric == rubric,
            RubricScore.scorer_id == scorer_id,
        )
    )
    if exists is not None:
        raise Refusal("selection.interview_exists")
    row = RubricScore(
        application_id=application.id, rubric=rubric, scorer_id=scorer_id, levels=levels, total=spec.total(levels)
    )
    session.add(row)
    session.flush()
    return row
