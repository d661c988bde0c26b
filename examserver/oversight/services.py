"""Complaints, the case workflow and the sanctions register.

Every step of a case (the filing included) and every sanction proposal and confirmation is
recorded on the platform chain of the tamper-evident log (:mod:`proctoring.chain`), as account
recovery codes are. A candidate's disqualification from a period, once confirmed, is also written
as a confirmed invalidation of each of the candidate's sessions in the period's sitting, so the one
standing rule (:mod:`proctoring.standing`) carries it to every page, export and announcement.
Functions add and flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examserver.accounts.models import User
from examserver.accounts.passwords import hash_password, verify_password
from examserver.delivery.models import ExamSession
from examserver.oversight.models import (
    CANDIDATE_SANCTIONS,
    CATEGORIES,
    OUTCOMES,
    SANCTION_KINDS,
    SUBJECT_KINDS,
    CaseStep,
    Complaint,
    Evidence,
    Sanction,
)
from examserver.selection import documents
from examserver.selection.models import Application, SelectionPeriod
from itembank.database import utcnow
from itembank.refusal import Refusal
from proctoring import chain
from proctoring import services as proctoring

#: The rules every evidence file passes: those of the selection documents, any of their formats.
EVIDENCE = documents.DocumentType("evidence", "", ("pdf", "jpg", "png"), 2 * 1024 * 1024, ())
MAX_EVIDENCE_FILES = 5
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MIN_DESCRIPTION = 30
MIN_REASON = 10
#: Where a case may go from each status.
TRANSITIONS = {
    "received": ("assessed",),
    "assessed": ("investigating", "concluded"),
    "investigating": ("concluded",),
}
#: The proctoring reason category of an invalidation that carries a disqualification.
DISQUALIFICATION_CATEGORY = "examinee.misconduct"


@dataclass(frozen=True)
class EvidenceFile:
    """An evidence file as sent: its name and bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Filed:
    """A new complaint and the secret to show the reporter once (only its hash is stored)."""

    complaint: Complaint
    secret: str


def _moment(value: datetime | None) -> str | None:
    return value.isoformat(timespec="microseconds") if value is not None else None


def _record(session: Session, record_type: str, record_id: int, payload: dict[str, Any]) -> int:
    """Append a record to the platform chain; returns its position."""
    return chain.append(
        session, chain.PLATFORM_CHAIN, record_type, record_id, {"type": record_type, **payload}
    ).position


def _step(session: Session, complaint: Complaint, status: str, reason: str, actor_id: int | None, **extra: Any) -> None:
    step = CaseStep(complaint_id=complaint.id, status=status, reason=reason, actor_id=actor_id, at=utcnow())
    session.add(step)
    session.flush()
    step.chain_position = _record(session, "case_step", step.id, {
        "complaint_id": complaint.id, "tracking_code": complaint.tracking_code, "status": status,
        "reason": reason, "actor_id": actor_id, "at": _moment(step.at), **extra,
    })  # fmt: skip


def _code(session: Session) -> str:
    while True:
        code = "PGD-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if session.scalar(select(Complaint.id).where(Complaint.tracking_code == code)) is None:
            return code


def check_evidence(files: Sequence[EvidenceFile]) -> list[str]:
    """Check every evidence file with the selection documents' upload rules; returns their formats.

    Raises ``Refusal("oversight.evidence_<check>")`` for the first file that fails, before anything
    is stored."""
    if len(files) > MAX_EVIDENCE_FILES:
        raise Refusal("oversight.evidence_too_many", limit=MAX_EVIDENCE_FILES)
    formats = []
    for item in files:
        try:
            formats.append(documents.check_upload(EVIDENCE, item.filename, item.data))
        except documents.UploadRefused as refused:
            raise Refusal(
                f"oversight.evidence_{refused.code}", 409, name=item.filename[:60], **refused.params
            ) from None
    return formats


def file_complaint(
    session: Session,
    period: SelectionPeriod,
    *,
    category: str,
    subject_kind: str,
    description: str,
    upload_dir: Path,
    schedule_id: int | None = None,
    subject_text: str = "",
    reporter_name: str | None = None,
    reporter_contact: str | None = None,
    files: Sequence[EvidenceFile] = (),
) -> Filed:
    """Record a complaint with its evidence; returns it with the secret to show once."""
    if category not in CATEGORIES:
        raise Refusal("oversight.category_unknown")
    if subject_kind not in SUBJECT_KINDS:
        raise Refusal("oversight.subject_unknown")
    if subject_kind == "sitting" and schedule_id is None:
        raise Refusal("oversight.sitting_required")
    description = (description or "").strip()
    if len(description) < MIN_DESCRIPTION:
        raise Refusal("oversight.description_too_short", minimum=MIN_DESCRIPTION)
    formats = check_evidence(files)
    secret = secrets.token_urlsafe(12)
    complaint = Complaint(
        tracking_code=_code(session),
        secret_hash=hash_password(secret),
        category=category,
        period_id=period.id,
        subject_kind=subject_kind,
        schedule_id=schedule_id,
        subject_text=(subject_text or "").strip()[:200],
        description=description[:8000],
        reporter_name=(reporter_name or "").strip()[:200] or None,
        reporter_contact=(reporter_contact or "").strip()[:200] or None,
        status="received",
        filed_at=utcnow(),
    )
    session.add(complaint)
    session.flush()
    for item, fmt in zip(files, formats, strict=True):
        stored, digest = documents.store(upload_dir, item.data, fmt)
        session.add(Evidence(
            complaint_id=complaint.id, original_name=item.filename[:120], stored_name=stored,
            content_type=documents.CONTENT_TYPES[fmt], size_bytes=len(item.data), sha256=digest,
        ))  # fmt: skip
    # The chain commits to the text and the files without publishing them.
    _step(session, complaint, "received", "", None, category=category, period_id=period.id,
          description_sha256=hashlib.sha256(complaint.description.encode()).hexdigest(),
          evidence_sha256=sorted(hashlib.sha256(item.data).hexdigest() for item in files))  # fmt: skip
    return Filed(complaint, secret)


def follow(session: Session, tracking_code: str, secret: str) -> Complaint:
    """The complaint with this tracking code and secret; one refusal whichever of the two is wrong."""
    code = (tracking_code or "").strip().upper()
    complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code)) if code else None
    if not verify_password(complaint.secret_hash if complaint else None, (secret or "").strip()):
        raise Refusal("oversight.tracking_invalid")
    assert complaint is not None
    return complaint


@dataclass(frozen=True)
class NamedRecords:
    """What the inspector links a case to while assessing it (each optional)."""

    session_number: str = ""
    application_number: str = ""
    staff_email: str = ""


def _link_records(session: Session, complaint: Complaint, named: NamedRecords) -> None:
    if named.session_number.strip():
        found = session.scalar(
            select(ExamSession.id).where(ExamSession.registration_number == named.session_number.strip())
        )
        if found is None:
            raise Refusal("oversight.session_unknown")
        complaint.session_id = found
    if named.application_number.strip():
        number = named.application_number.strip()
        found = session.scalar(select(Application.id).where(Application.registration_number == number))
        if found is None:
            raise Refusal("oversight.application_unknown")
        complaint.application_id = found
    if named.staff_email.strip():
        staff = session.scalar(select(User).where(User.email == named.staff_email.strip().lower()))
        if staff is None or staff.role not in ("committee", "proctor"):
            raise Refusal("oversight.staff_unknown")
        complaint.staff_id = staff.id


def advance(
    session: Session,
    complaint: Complaint,
    status: str,
    *,
    reason: str,
    actor_id: int,
    named: NamedRecords | None = None,
    outcome: str | None = None,
    public_conclusion: str = "",
) -> Complaint:
    """Move a case one step on (received -> assessed -> investigating -> concluded) with a reason.

    Assessing may link the records the case names; concluding needs an outcome and the public
    conclusion the reporter and the statistics see."""
    if status not in TRANSITIONS.get(complaint.status, ()):
        raise Refusal("oversight.transition_not_allowed")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise Refusal("oversight.reason_required")
    extra: dict[str, Any] = {}
    if named is not None:
        _link_records(session, complaint, named)
        extra = {"session_id": complaint.session_id, "application_id": complaint.application_id,
                 "staff_id": complaint.staff_id}  # fmt: skip
    if status == "concluded":
        public_conclusion = (public_conclusion or "").strip()
        if outcome not in OUTCOMES:
            raise Refusal("oversight.outcome_required")
        if len(public_conclusion) < MIN_REASON:
            raise Refusal("oversight.public_conclusion_required")
        complaint.outcome, complaint.public_conclusion = outcome, public_conclusion[:4000]
        complaint.concluded_at = utcnow()
        extra = {"outcome": outcome, "public_conclusion": complaint.public_conclusion}
    complaint.status = status
    session.flush()
    _step(session, complaint, status, reason[:4000], actor_id, **extra)
    return complaint


# --------------------------------------------------------------------------- sanctions


@dataclass(frozen=True)
class SanctionTerms:
    """What a proposal says: the kind, on whom (by email), and the kind's one term."""

    kind: str
    person_email: str
    reason: str
    period_id: int | None = None
    periods: int | None = None
    until: date | None = None


def _sanctioned_person(session: Session, terms: SanctionTerms) -> User:
    person = session.scalar(select(User).where(User.email == (terms.person_email or "").strip().lower()))
    wanted = ("candidate",) if terms.kind in CANDIDATE_SANCTIONS else ("committee", "proctor")
    if person is None or person.role not in wanted:
        raise Refusal("oversight.person_not_eligible")
    if terms.kind == "committee_removal" and person.role != "committee":
        raise Refusal("oversight.person_not_eligible")
    if terms.kind == "proctor_removal" and person.role != "proctor":
        raise Refusal("oversight.person_not_eligible")
    return person


def _terms(session: Session, terms: SanctionTerms, today: date) -> dict[str, Any]:
    """The one term of the kind (and no other), checked."""
    if terms.kind == "disqualification":
        if terms.period_id is None or session.get(SelectionPeriod, terms.period_id) is None:
            raise Refusal("oversight.period_required")
        return {"period_id": terms.period_id}
    if terms.kind == "ban":
        if terms.periods is None or not 1 <= terms.periods <= 10:
            raise Refusal("oversight.periods_range")
        return {"periods": terms.periods}
    if terms.kind in ("committee_removal", "proctor_removal"):
        if terms.until is None or terms.until < today:
            raise Refusal("oversight.until_required")
        return {"until": terms.until}
    return {}


def propose_sanction(
    session: Session, complaint: Complaint, terms: SanctionTerms, *, actor_id: int, today: date
) -> Sanction:
    """Propose a sanction from a substantiated case; it acts only after :func:`confirm_sanction`."""
    if complaint.status != "concluded" or complaint.outcome != "substantiated":
        raise Refusal("oversight.case_not_substantiated")
    if terms.kind not in SANCTION_KINDS:
        raise Refusal("oversight.sanction_unknown")
    reason = (terms.reason or "").strip()
    if len(reason) < MIN_REASON:
        raise Refusal("oversight.reason_required")
    person = _sanctioned_person(session, terms)
    values = _terms(session, terms, today)
    sanction = Sanction(
        complaint_id=complaint.id, kind=terms.kind, person_id=person.id, reason=reason[:4000],
        proposed_by_id=actor_id, proposed_at=utcnow(), **values,
    )  # fmt: skip
    session.add(sanction)
    session.flush()
    _record(session, "sanction_proposal", sanction.id, {
        "sanction_id": sanction.id, "complaint_id": complaint.id, "kind": sanction.kind, "person_id": person.id,
        "period_id": sanction.period_id, "periods": sanction.periods,
        "until": sanction.until.isoformat() if sanction.until else None, "reason": sanction.reason,
        "proposed_by_id": actor_id, "at": _moment(sanction.proposed_at),
    })  # fmt: skip
    return sanction


def confirm_sanction(
    session: Session, sanction: Sanction, *, actor_id: int, anchor_file: Path | None = None
) -> Sanction:
    """A second inspector confirms a proposed sanction; from now on it acts."""
    if sanction.confirmed_at is not None:
        raise Refusal("oversight.sanction_confirmed_already")
    if actor_id == sanction.proposed_by_id:
        raise Refusal("oversight.second_inspector_required")
    sanction.confirmed_by_id, sanction.confirmed_at = actor_id, utcnow()
    session.flush()
    _record(session, "sanction_confirm", sanction.id, {
        "sanction_id": sanction.id, "confirmed_by_id": actor_id, "at": _moment(sanction.confirmed_at),
    })  # fmt: skip
    if sanction.kind == "disqualification":
        _invalidate_sessions(session, sanction, anchor_file)
    return sanction


def _invalidate_sessions(session: Session, sanction: Sanction, anchor_file: Path | None) -> None:
    """The disqualification as confirmed invalidations of the candidate's sessions in the period's
    sitting: proposed by the proposer, confirmed by the confirmer, so standing reads it like any other."""
    period = session.get_one(SelectionPeriod, sanction.period_id)
    if period.schedule_id is None:
        return
    exam_ids = session.scalars(
        select(ExamSession.id).where(
            ExamSession.schedule_id == period.schedule_id, ExamSession.candidate_id == sanction.person_id
        )
    ).all()
    code = sanction.complaint.tracking_code
    for exam_id in exam_ids:
        decision = proctoring.decide(
            session, exam_id, decision="invalidated", category=DISQUALIFICATION_CATEGORY,
            reason=f"Sanksi Inspektorat (pengaduan {code}): {sanction.reason}", actor_id=sanction.proposed_by_id,
            anchor_file=anchor_file,
        )  # fmt: skip
        assert sanction.confirmed_by_id is not None
        proctoring.confirm_invalidation(session, decision, actor_id=sanction.confirmed_by_id, anchor_file=anchor_file)


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class PeriodStatistics:
    """Counts of one period, no names: complaints per category and state, sanctions per kind."""

    complaints: int
    by_category: dict[str, Counter]
    sanctions: Counter


def statistics(session: Session, period: SelectionPeriod) -> PeriodStatistics:
    """Complaints of ``period`` by category and outcome (or open), and confirmed sanctions by kind."""
    rows = session.execute(
        select(Complaint.category, Complaint.status, Complaint.outcome).where(Complaint.period_id == period.id)
    ).all()
    by_category: dict[str, Counter] = {category: Counter() for category in CATEGORIES}
    for category, _status, outcome in rows:
        by_category[category][outcome or "open"] += 1
    kinds = session.scalars(
        select(Sanction.kind)
        .join(Complaint, Complaint.id == Sanction.complaint_id)
        .where(Complaint.period_id == period.id, Sanction.confirmed_at.is_not(None))
    ).all()
    return PeriodStatistics(len(rows), by_category, Counter(kinds))
