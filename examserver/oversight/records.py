"""The records a case names, read for the inspectorate: a session's integrity log, a committee
member's or proctor's conflict declarations and decisions, an application's verification history.

Reads only: nothing here adds, changes or flushes anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from examserver.accounts.models import User
from examserver.delivery.models import ExamSession
from examserver.oversight.models import Complaint
from examserver.selection.models import Application, ApplicationDocument, ConflictDeclaration, SelectionAppeal
from proctoring.models import Appeal, ProctorDecision
from proctoring.services import Timeline, timeline


@dataclass(frozen=True)
class StaffRecord:
    """What a committee member or proctor declared and decided."""

    person: User
    declarations: Sequence[ConflictDeclaration]
    documents_checked: Sequence[ApplicationDocument]
    applications_decided: Sequence[Application]
    selection_appeals_decided: Sequence[SelectionAppeal]
    proctor_decisions: Sequence[ProctorDecision]
    proctor_appeals_decided: Sequence[Appeal]


@dataclass(frozen=True)
class NamedRecords:
    """Everything a case names; each part None when the case does not name it."""

    exam: ExamSession | None
    log: Timeline | None
    application: Application | None
    staff: StaffRecord | None


def staff_record(session: Session, person: User) -> StaffRecord:
    """The declarations and decisions of one member of staff, oldest first."""
    return StaffRecord(
        person=person,
        declarations=session.scalars(
            select(ConflictDeclaration)
            .where(ConflictDeclaration.member_id == person.id)
            .order_by(ConflictDeclaration.id)
        ).all(),
        documents_checked=session.scalars(
            select(ApplicationDocument)
            .where(ApplicationDocument.checked_by_id == person.id)
            .order_by(ApplicationDocument.checked_at)
        ).all(),
        applications_decided=session.scalars(
            select(Application).where(Application.decided_by_id == person.id).order_by(Application.decided_at)
        ).all(),
        selection_appeals_decided=session.scalars(
            select(SelectionAppeal).where(SelectionAppeal.decided_by_id == person.id).order_by(SelectionAppeal.id)
        ).all(),
        proctor_decisions=session.scalars(
            select(ProctorDecision)
            .where(or_(ProctorDecision.decided_by_id == person.id, ProctorDecision.confirmed_by_id == person.id))
            .order_by(ProctorDecision.id)
        ).all(),
        proctor_appeals_decided=session.scalars(
            select(Appeal).where(Appeal.decided_by_id == person.id).order_by(Appeal.id)
        ).all(),
    )


def named_records(session: Session, complaint: Complaint) -> NamedRecords:
    """The records ``complaint`` names, read."""
    exam = session.get(ExamSession, complaint.session_id) if complaint.session_id else None
    staff = session.get(User, complaint.staff_id) if complaint.staff_id else None
    return NamedRecords(
        exam=exam,
        log=timeline(session, exam.id) if exam is not None else None,
        application=session.get(Application, complaint.application_id) if complaint.application_id else None,
        staff=staff_record(session, staff) if staff is not None else None,
    )
