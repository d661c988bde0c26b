"""What proctors do to a running session: authorise, pause, resume, extend, message, allow a
device change, terminate. Each action carries a reason category and is logged on the chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from examserver.delivery import services as delivery
from examserver.delivery.integrity import proctor_event
from examserver.delivery.models import ExamSchedule, ExamSession
from itembank.refusal import Refusal
from proctoring.models import ScheduleProctor
from proctoring.services import MIN_REASON, check_category

MAX_MESSAGE = 300
#: The most time one extension gives, in seconds (two hours).
MAX_EXTENSION = 7200


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


@dataclass(frozen=True)
class _Action:
    """One proctor action on one session: what every action step needs."""

    session: Session
    exam: ExamSession
    now: datetime
    actor_id: int
    details: dict
    seconds: int | None
    message: str | None

    def log(self, kind: str, **extra: object) -> None:
        proctor_event(self.session, self.exam, kind, self.actor_id, **extra, **self.details)


def _authorise(a: _Action) -> None:
    if a.exam.status != "scheduled" or a.exam.authorised_at is not None:
        raise Refusal("proctoring.not_waiting")
    a.exam.authorised_at = a.now
    a.log("start_authorised")


def _pause(a: _Action) -> None:
    if a.exam.status != "in_progress" or a.exam.paused_at is not None:
        raise Refusal("proctoring.not_running")
    a.exam.paused_at = a.now
    a.log("paused")


def _resume(a: _Action) -> None:
    exam = a.exam
    if exam.status != "in_progress" or exam.paused_at is None:
        raise Refusal("proctoring.not_paused")
    assert exam.deadline_at is not None, "a session in progress has started, so it has a deadline"
    stopped = int((a.now - exam.paused_at).total_seconds())
    exam.deadline_at += a.now - exam.paused_at  # the clock stood still while paused
    exam.paused_at = None
    a.log("resumed", paused_seconds=stopped)


def _extend(a: _Action) -> None:
    if a.exam.is_ended or not a.seconds or not 0 < a.seconds <= MAX_EXTENSION:
        raise Refusal("proctoring.extension_invalid")
    delivery.credit_time(a.exam, a.seconds)
    a.log("time_extended", seconds=a.seconds)


def _message(a: _Action) -> None:
    text = (a.message or "").strip()
    if not text or len(text) > MAX_MESSAGE:
        raise Refusal("proctoring.message_invalid")
    a.log("message", text=text)


def _allow_device(a: _Action) -> None:
    if a.exam.status != "in_progress":
        raise Refusal("proctoring.not_running")
    a.exam.allows_device_change = True
    a.log("device_change_allowed")


def _terminate(a: _Action) -> None:
    if a.exam.is_ended:
        raise Refusal("proctoring.not_running")
    if len(a.details["comment"]) < MIN_REASON:
        raise Refusal("proctoring.reason_required")
    a.log("terminated")
    delivery.end(a.session, a.exam, now=a.now, reason="proctor")


#: The actions a proctor may take on a session, by the name the console posts.
ACTIONS = {
    "authorise": _authorise,
    "pause": _pause,
    "resume": _resume,
    "extend": _extend,
    "message": _message,
    "allow_device": _allow_device,
    "terminate": _terminate,
}


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
    """Apply one proctor action to a session and log it; raises Refusal."""
    check_category(category)
    step = ACTIONS.get(action)
    if step is None:
        raise Refusal("proctoring.action_unknown")
    comment = (comment or "").strip()[:1000]
    details = {"category": category, "comment": comment}
    step(_Action(session, exam, now, actor_id, details, seconds, message))
    session.flush()
