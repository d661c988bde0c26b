"""What proctors do to a running session: authorise, pause, resume, extend, message, allow a
device change, terminate. Each action carries a reason category and is logged on the chain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from examserver.delivery import services as delivery
from examserver.delivery.integrity import proctor_event
from examserver.delivery.models import ExamSchedule, ExamSession
from itembank.refusal import Refusal
from proctoring.models import ScheduleProctor
from proctoring.services import check_category

MAX_MESSAGE = 300


def can_watch(session: Session, user_id: int, role: str, schedule_id: int) -> bool:
    """Admins watch everything; a proctor only the schedules assigned to them."""
    if role == "admin":
        return True
    return (
        session.scalar(
            select(ScheduleProctor.proctor_id).where(
                ScheduleProctor.schedule_id == schedule_id, ScheduleProctor.proctor_id == user_id
            )
        )
        is not None
    )


def assigned_schedules(session: Session, user_id: int, role: str) -> list[ExamSchedule]:
    """The schedules a proctor (or admin: all) may watch, newest first."""
    query = select(ExamSchedule).order_by(ExamSchedule.opens_at.desc())
    if role != "admin":
        query = query.join(ScheduleProctor, ScheduleProctor.schedule_id == ExamSchedule.id).where(
            ScheduleProctor.proctor_id == user_id
        )
    return list(session.scalars(query))


def act(
    session: Session,
    exam: ExamSession,
    action: str,
    *,
    actor_id: int,
    category: str,
    comment: str,
    now: datetime,
    seconds: int | None = None,
    message: str | None = None,
) -> None:
    """Apply one proctor action to a session and log it; raises Refusal or DeliveryError."""
    check_category(category)
    comment = (comment or "").strip()[:1000]
    details = {"category": category, "comment": comment}
    if action == "authorise":
        if exam.status != "scheduled" or exam.authorised_at is not None:
            raise Refusal("proctoring.not_waiting")
        exam.authorised_at = now
        proctor_event(session, exam, "start_authorised", actor_id, **details)
    elif action == "pause":
        if exam.status != "in_progress" or exam.paused_at is not None:
            raise Refusal("proctoring.not_running")
        exam.paused_at = now
        proctor_event(session, exam, "paused", actor_id, **details)
    elif action == "resume":
        if exam.status != "in_progress" or exam.paused_at is None:
            raise Refusal("proctoring.not_paused")
        stopped = int((now - exam.paused_at).total_seconds())
        exam.deadline_at += now - exam.paused_at  # the clock stood still while paused
        exam.paused_at = None
        proctor_event(session, exam, "resumed", actor_id, paused_seconds=stopped, **details)
    elif action == "extend":
        if exam.is_ended or not seconds or not 0 < seconds <= 7200:
            raise Refusal("proctoring.extension_invalid")
        delivery.credit_time(exam, seconds)
        proctor_event(session, exam, "time_extended", actor_id, seconds=seconds, **details)
    elif action == "message":
        text = (message or "").strip()
        if not text or len(text) > MAX_MESSAGE:
            raise Refusal("proctoring.message_invalid")
        proctor_event(session, exam, "message", actor_id, text=text, **details)
    elif action == "allow_device":
        if exam.status != "in_progress":
            raise Refusal("proctoring.not_running")
        exam.allows_device_change = True
        proctor_event(session, exam, "device_change_allowed", actor_id, **details)
    elif action == "terminate":
        if exam.is_ended:
            raise Refusal("proctoring.not_running")
        if len(comment) < 10:
            raise Refusal("proctoring.reason_required")
        proctor_event(session, exam, "terminated", actor_id, **details)
        delivery.end(session, exam, now=now, reason="proctor")
    else:
        raise Refusal("proctoring.action_unknown")
    session.flush()
