"""A session's standing: whether its score may be used, after the proctors' decisions and appeals.

This is the one rule every place that shows or uses a score reads (result page, certificate and
its public check, score board, rankings, announcements, appointment, the effectiveness intake).
Nobody else looks at decisions and appeals to decide whether a score counts.

States
------
valid
    No decision, a clearance or a warning in force. The score counts.
under_review
    The latest decision is an invalidation that no second person has confirmed yet (four-eyes
    rule of :func:`proctoring.services.confirm_invalidation`). The score still counts, but results
    behind it must not be published (announcements refuse) and the candidate is told.
invalidated
    A confirmed invalidation stands (no appeal, or the appeal was rejected). The score does not
    count; ``since`` is the confirmation time, the date it took effect.
appeal_pending
    A confirmed invalidation stands and the candidate's appeal against it is still open. The
    score does not count until the appeal is upheld.
restored
    Every confirmed invalidation of the session was lifted by an upheld appeal. The score counts
    again; ``since`` is when the appeal was decided.

Semantics of sequences (decisions in the order they were made, ties by id)
-------------------------------------------------------------------------
* A confirmed invalidation is lifted only by an upheld appeal against it. A later clearance or
  warning does not lift it: one proctor must not undo what two people decided, and the candidate
  has the appeal. A session with several standing invalidations is invalidated since the first.
* An unconfirmed invalidation puts the session under review only while it is the latest
  decision; a later decision (clearance, warning, another invalidation) supersedes it.
* Under review on a restored session: a new invalidation after a restoration puts the session
  under review again, and once confirmed, invalidates it again.
* An upheld appeal against a warning withdraws the warning (the session is valid without it).
* A clearance or a warning is informative: the state stays valid (or restored) and ``decision``
  names it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from proctoring.models import Appeal, ProctorDecision


class State(enum.StrEnum):
    """A session's standing; the values are stable (shown, exported and tested)."""

    VALID = "valid"
    UNDER_REVIEW = "under_review"
    INVALIDATED = "invalidated"
    APPEAL_PENDING = "appeal_pending"
    RESTORED = "restored"


#: States in which the score may not be used.
NOT_COUNTING = frozenset({State.INVALIDATED, State.APPEAL_PENDING})


@dataclass(frozen=True)
class Standing:
    """The standing of one exam session.

    Attributes
    ----------
    session_id : int
    state : State
    decision : ProctorDecision or None
        The decision behind the state: the standing invalidation (invalidated, appeal_pending),
        the unconfirmed one (under_review), the lifted one (restored), or the clearance or
        warning in force (valid; None when there is no decision).
    appeal : Appeal or None
        The appeal against ``decision``, if one was filed.
    since : datetime or None
        When the state took effect: confirmation (invalidated, appeal_pending), decision
        (under_review, valid with a decision), appeal outcome (restored); None when valid
        without any decision.
    in_force : ProctorDecision or None
        The decision in force, for the proctors' pages: the standing invalidation, else the
        latest clearance or warning not withdrawn on appeal (an unconfirmed or lifted
        invalidation is not in force).
    """

    session_id: int
    state: State
    decision: ProctorDecision | None = None
    appeal: Appeal | None = None
    since: datetime | None = None
    in_force: ProctorDecision | None = None

    @property
    def counts(self) -> bool:
        """Whether the session's score may be used (ranked, certified, shown as a result)."""
        return self.state not in NOT_COUNTING

    @property
    def is_invalidated(self) -> bool:
        """A confirmed invalidation stands (with or without an open appeal)."""
        return not self.counts

    @property
    def blocks_publication(self) -> bool:
        """Results resting on this session may not be published yet."""
        return self.state is State.UNDER_REVIEW


def derive(session_id: int, decisions: Iterable[ProctorDecision], appeals: Iterable[Appeal]) -> Standing:
    """The standing of one session from its decisions and appeals (the rule; no database access).

    Parameters
    ----------
    session_id : int
    decisions : iterable of ProctorDecision
        Every decision recorded for the session, in any order.
    appeals : iterable of Appeal
        Every appeal filed for the session (at most one per decision), in any order.

    Returns
    -------
    Standing
        See the module docstring for the states and the semantics of sequences.
    """
    ordered = sorted(decisions, key=lambda d: (d.decided_at, d.id or 0))
    appeal_of = {a.decision_id: a for a in appeals}

    def upheld(decision: ProctorDecision) -> bool:
        appeal = appeal_of.get(decision.id)
        return appeal is not None and appeal.status == "upheld"

    plain = [d for d in ordered if d.decision != "invalidated" and not upheld(d)]
    in_force = plain[-1] if plain else None
    confirmed = [d for d in ordered if d.decision == "invalidated" and d.confirmed_by_id is not None]
    standing = sorted((d for d in confirmed if not upheld(d)), key=lambda d: (d.confirmed_at, d.id or 0))
    if standing:
        first = standing[0]
        appeal = appeal_of.get(first.id)
        pending = [appeal_of[d.id] for d in standing if d.id in appeal_of and appeal_of[d.id].status == "open"]
        open_appeal = pending[0] if pending else None
        state = State.APPEAL_PENDING if open_appeal is not None else State.INVALIDATED
        return Standing(session_id, state, first, open_appeal or appeal, first.confirmed_at, first)
    latest = ordered[-1] if ordered else None
    if latest is not None and latest.decision == "invalidated" and latest.confirmed_by_id is None:
        return Standing(session_id, State.UNDER_REVIEW, latest, appeal_of.get(latest.id), latest.decided_at, in_force)
    if confirmed:
        lifted = max(confirmed, key=lambda d: (appeal_of[d.id].decided_at, d.id or 0))
        appeal = appeal_of[lifted.id]
        return Standing(session_id, State.RESTORED, lifted, appeal, appeal.decided_at, in_force)
    if in_force is not None:
        return Standing(session_id, State.VALID, in_force, appeal_of.get(in_force.id), in_force.decided_at, in_force)
    return Standing(session_id, State.VALID)


#: Sessions per query: under the bind-parameter limits of SQLite (32,766) and PostgreSQL (65,535).
CHUNK = 10_000


def standings(session: Session, session_ids: Iterable[int]) -> dict[int, Standing]:
    """The standing of each of ``session_ids``: two queries per 10,000 sessions, whatever the decisions.

    Returns
    -------
    dict
        Session id to :class:`Standing`; every requested id is present (valid when nothing was
        decided).
    """
    ids = sorted({int(i) for i in session_ids})
    decisions: dict[int, list[ProctorDecision]] = {i: [] for i in ids}
    appeals: dict[int, list[Appeal]] = {i: [] for i in ids}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for decision in session.scalars(select(ProctorDecision).where(ProctorDecision.session_id.in_(chunk))):
            decisions[decision.session_id].append(decision)
        for appeal in session.scalars(select(Appeal).where(Appeal.session_id.in_(chunk))):
            appeals[appeal.session_id].append(appeal)
    return {i: derive(i, decisions[i], appeals[i]) for i in ids}


def standing_of(session: Session, session_id: int) -> Standing:
    """The standing of one session (see :func:`standings`)."""
    return standings(session, [session_id])[session_id]
