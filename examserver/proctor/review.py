"""The review queue: sessions ordered by risk, each flag with the numbers behind it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from examserver.delivery.models import ExamSchedule, ExamSession
from proctoring.flags import EventFacts, Flag, FlagRules, facts_from_events, flags_for, risk_score
from proctoring.models import IntegrityEvent


@dataclass(frozen=True)
class SessionRisk:
    """One row of the review queue."""

    session: ExamSession
    facts: EventFacts
    flags: list[Flag]
    score: float


def forensic_statistics(session: Session, schedule: ExamSchedule) -> dict[int, dict]:
    """Per session: answer-copying (smallest p, partner) and person fit, from the forensics module,
    as stored for the sitting (computed and stored when missing or stale; the caller commits)."""
    from examserver.proctor.stored_forensics import sitting_forensics  # noqa: PLC0415

    return sitting_forensics(session, schedule)


def review_queue(session: Session, schedule: ExamSchedule, rules: FlagRules | None = None) -> list[SessionRisk]:
    """Every session of the schedule with its flags, riskiest first."""
    rules = rules or FlagRules()
    events: dict[int, list[IntegrityEvent]] = {}
    for event in session.scalars(
        select(IntegrityEvent).join(ExamSession).where(ExamSession.schedule_id == schedule.id)
    ):
        events.setdefault(event.session_id, []).append(event)
    forensic = forensic_statistics(session, schedule)
    rows = []
    for exam in schedule.sessions:
        facts = facts_from_events(events.get(exam.id, []))
        stats = forensic.get(exam.id, {})
        copying, details = _pair_evidence(stats, rules)
        flags = flags_for(facts, rules, copying=copying, person_fit=stats.get("lz_star"), copying_details=details)
        rows.append(SessionRisk(exam, facts, flags, risk_score(flags)))
    return sorted(rows, key=lambda row: (-row.score, _named_source(row), row.session.registration_number))


def copying_flags(session: Session, exam: ExamSession, rules: FlagRules | None = None) -> list[Flag]:
    """The copying flag of one ended session, as its row of the review queue carries it (for its
    timeline): from the sitting's stored statistics, without reading every session's events."""
    rules = rules or FlagRules()
    stats = forensic_statistics(session, exam.schedule).get(exam.id, {})
    copying, details = _pair_evidence(stats, rules)
    flags = flags_for(EventFacts(), rules, copying=copying, copying_details=details)
    return [flag for flag in flags if flag.code == "copying"]


def _pair_evidence(stats: dict, rules: FlagRules) -> tuple[tuple | None, dict | None]:
    """The copying evidence a session's flag carries. Whether it is flagged still rests on its own
    direction's p (so the false-positive rate per candidate is unchanged); a flagged session then
    states the pair: the p of the direction with the larger omega (both members weigh the same)
    and who the evidence names the copier (:mod:`proctoring.copying_direction`)."""
    copying, pair = stats.get("copying"), stats.get("pair")
    if copying is None or pair is None or copying[0] >= rules.copying_p_value:
        return copying, None
    own_p, partner, label = copying
    details = {key: value for key, value in pair.items() if key != "p_value"}
    return (min(own_p, pair["p_value"]), partner, label), details


def _named_source(row: SessionRisk) -> bool:
    """Within a pair of equal weight, the one named copier comes before its source."""
    return any(flag.code == "copying" and flag.facts.get("role") == "source" for flag in row.flags)
