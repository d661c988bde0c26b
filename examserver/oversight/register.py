"""The sanctions register as the rest of the platform reads it: which confirmed sanction bars a
candidate from a period, and which keeps a staff member out of the committee or the proctor pool.

Only confirmed sanctions count (the four-eyes rule of :func:`examserver.oversight.services.confirm_sanction`).
A candidate's disqualification from a period also acts on the scores of that period through the
session standing rule (:mod:`proctoring.standing`); this module answers the questions standing
cannot: may the candidate apply, may the member act.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from examserver.accounts.models import User
from examserver.oversight.models import Sanction
from examserver.selection.models import SelectionPeriod
from itembank.refusal import Refusal

#: The sanction kind that keeps a member of staff out of each pool.
REMOVALS = {"committee": "committee_removal", "proctor": "proctor_removal"}


def _covers(session: Session, ban: Sanction, period: SelectionPeriod) -> bool:
    """Whether the ban runs over ``period``: the period of the case while its applications are
    still open, and the next ``ban.periods`` other periods whose applications had not closed when
    the ban was confirmed, in the order their applications open."""
    if ban.confirmed_at is None or ban.periods is None or period.applications_close_at <= ban.confirmed_at:
        return False
    own = ban.complaint.period_id
    if period.id == own:
        return True
    earlier = session.scalar(
        select(func.count(SelectionPeriod.id)).where(
            SelectionPeriod.id != own,
            SelectionPeriod.applications_close_at > ban.confirmed_at,
            (SelectionPeriod.applications_open_at < period.applications_open_at)
            | (
                (SelectionPeriod.applications_open_at == period.applications_open_at) & (SelectionPeriod.id < period.id)
            ),
        )
    )
    return (earlier or 0) < ban.periods


def candidate_bar(session: Session, candidate_id: int, period: SelectionPeriod) -> Sanction | None:
    """The confirmed sanction that bars the candidate from ``period`` (a disqualification from it,
    or a ban that runs over it), or None."""
    sanctions = session.scalars(
        select(Sanction)
        .where(
            Sanction.person_id == candidate_id,
            Sanction.kind.in_(("disqualification", "ban")),
            Sanction.confirmed_at.is_not(None),
        )
        .order_by(Sanction.confirmed_at)
    ).all()
    for sanction in sanctions:
        if sanction.kind == "disqualification" and sanction.period_id == period.id:
            return sanction
        if sanction.kind == "ban" and _covers(session, sanction, period):
            return sanction
    return None


def removal_in_force(session: Session, person_id: int, pool: str, today: date) -> Sanction | None:
    """The confirmed removal of ``person_id`` from ``pool`` ("committee" or "proctor") that lasts
    through ``today`` (a WIB date), or None."""
    return session.scalar(
        select(Sanction)
        .where(
            Sanction.person_id == person_id,
            Sanction.kind == REMOVALS[pool],
            Sanction.confirmed_at.is_not(None),
            Sanction.until >= today,
        )
        .order_by(Sanction.until.desc())
        .limit(1)
    )


def refuse_removed_proctors(session: Session, proctor_ids: Iterable[int], today: date) -> None:
    """Refuse to assign a proctor who is removed from the proctor pool through ``today`` (WIB)."""
    for proctor_id in sorted(proctor_ids):
        removal = removal_in_force(session, proctor_id, "proctor", today)
        if removal is not None:
            assert removal.until is not None
            name = session.get_one(User, proctor_id).full_name
            raise Refusal("oversight.removed_from_proctors", name=name, until=removal.until)
