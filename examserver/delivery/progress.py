"""How far each candidate of a schedule is: items shown and items answered, for the staff pages
(the proctor's live room, the committee's schedule), read in one grouped statement however many
sessions and items the schedule holds."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import String, and_, case, cast, func, select
from sqlalchemy.orm import Session

from examserver.delivery.models import Answer, ExamSession, SessionItem


def progress_counts(
    session: Session, schedule_id: int, session_ids: Collection[int] | None = None
) -> dict[int, tuple[int, int]]:
    """Per session of a schedule (or of those of ``session_ids`` in it): (items shown, items
    answered). A cleared answer (its response a JSON ``null``, as the player saves it when a
    choice is taken back) is not answered. Sessions without items are left out."""
    response = cast(Answer.response, String)
    answered = case((and_(response.is_not(None), response != "null"), 1))
    query = (
        select(SessionItem.session_id, func.count(SessionItem.id), func.count(answered))
        .join(ExamSession, ExamSession.id == SessionItem.session_id)
        .outerjoin(Answer, Answer.session_item_id == SessionItem.id)
        .where(ExamSession.schedule_id == schedule_id)
        .group_by(SessionItem.session_id)
    )
    if session_ids is not None:
        query = query.where(SessionItem.session_id.in_(session_ids))
    return {session_id: (shown, done) for session_id, shown, done in session.execute(query)}
