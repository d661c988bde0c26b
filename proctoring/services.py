"""Recording integrity events, proctors' decisions and appeals; each goes on the session's chain.

Functions add and flush; the caller commits. The web layer passes plain values. Every decision
and appeal change ends with a checkpoint of the session's chain (also recorded on the platform
chain and appended to ``anchor_file``), so a later deletion of it is caught.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from itembank.database import utcnow
from itembank.refusal import Refusal
from proctoring import chain
from proctoring.models import DECISIONS, Appeal, IntegrityEvent, ProctorDecision
from proctoring.standing import standing_of

#: Events a browser may report; anything else is dropped (the browser is not trusted).
BROWSER_KINDS = frozenset({
    "focus_lost", "fullscreen_exit", "copy", "cut", "paste", "context_menu", "shortcut", "unload",
    "offline", "online",
})  # fmt: skip
#: Events the server records itself.
SERVER_KINDS = frozenset({
    "session_started", "session_resumed", "new_address", "other_device_refused", "second_session",
    "session_submitted", "session_expired", "session_terminated", "fast_answers", "items_other_device",
    "pin_locked", "site_duplicate",
})  # fmt: skip
#: Actions proctors take during the session.
PROCTOR_KINDS = frozenset({
    "start_authorised", "paused", "resumed", "time_extended", "message", "device_change_allowed", "terminated",
})  # fmt: skip
#: The fewest characters of a decision's, an appeal outcome's or an ended exam's reason (trimmed).
MIN_REASON = 10
MAX_BROWSER_EVENTS_PER_SAVE = 50
#: Browser events stored per session, kind and clock minute; the rest are only counted
#: (BrowserEvents.dropped), so a flood of one kind never crowds out another kind's first events.
BROWSER_EVENTS_PER_KIND_PER_MINUTE = 10

#: The reason tree for proctors' actions and decisions (category.subcategory).
REASON_CATEGORIES: dict[str, tuple[str, ...]] = {
    "environment": ("noise", "power", "internet", "other"),
    "examinee": ("illness", "misconduct", "collusion", "impersonation", "prohibited_device", "other"),
    "staff": ("error", "other"),
    "technical": ("server", "device", "network", "other"),
    "other": ("other",),
}


def check_category(category: str) -> str:
    """A category code such as ``examinee.collusion``; raises Refusal otherwise."""
    top, _, sub = (category or "").partition(".")
    if sub not in REASON_CATEGORIES.get(top, ()):
        raise Refusal("proctoring.category_unknown")
    return category


def record_event(
    session: Session,
    exam_session_id: int,
    *,
    source: str,
    kind: str,
    details: dict[str, Any] | None = None,
    duration_ms: int | None = None,
    client_at: str | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> IntegrityEvent:
    """Store an event and append it to the session's chain."""
    allowed = {"browser": BROWSER_KINDS, "server": SERVER_KINDS, "proctor": PROCTOR_KINDS}[source]
    if kind not in allowed:
        raise Refusal("proctoring.event_kind_unknown", kind=kind)
    event = IntegrityEvent(
        session_id=exam_session_id,
        source=source,
        kind=kind,
        details=details or {},
        duration_ms=duration_ms,
        client_at=client_at,
        actor_id=actor_id,
        received_at=now or utcnow(),
    )
    session.add(event)
    chain.append_row(session, exam_session_id, "event", event)
    return event


_EVENTS = IntegrityEvent.metadata.tables[IntegrityEvent.__tablename__]
#: Server events in one INSERT ... RETURNING: each row's id with its (unique) chain position, so
#: the ids are matched to the rows whatever order the database returns them in.
_INSERT_EVENTS = insert(_EVENTS).returning(_EVENTS.c.id, _EVENTS.c.chain_position)


def record_server_events(
    session: Session,
    exam_session_id: int,
    events: Sequence[tuple[str, dict[str, Any]]],
    *,
    now: datetime,
    position: int,
) -> list[tuple[str, int | None, dict[str, Any]]]:
    """Store server events ``(kind, details)`` in one insert, the first to be chained at
    ``position`` and the others after it, and return their chain records in that order, for the
    caller to append there (it holds the chain's lock and knows its head). The rows are those
    :func:`record_event` stores, without the ORM's flush and update per event."""
    rows = []
    for offset, (kind, details) in enumerate(events):
        if kind not in SERVER_KINDS:
            raise Refusal("proctoring.event_kind_unknown", kind=kind)
        rows.append({
            "session_id": exam_session_id, "source": "server", "kind": kind, "details": details or {},
            "duration_ms": None, "client_at": None, "actor_id": None, "received_at": now,
            "chain_position": position + offset,
        })  # fmt: skip
    if not rows:
        return []
    session.flush()
    ids = {chained: event_id for event_id, chained in session.connection().execute(_INSERT_EVENTS, rows)}
    records: list[tuple[str, int | None, dict[str, Any]]] = []
    for row in rows:
        event_id = ids[row["chain_position"]]
        records.append(("event", event_id, chain.event_record(IntegrityEvent(id=event_id, **row))))
    return records


def _clean_browser_event(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    kind = str(raw.get("kind") or "")
    if kind not in BROWSER_KINDS:
        return None
    duration = raw.get("duration_ms")
    duration = int(duration) if isinstance(duration, int | float) and 0 <= duration < 86_400_000 else None
    position = raw.get("position")
    details: dict[str, int | str] = (
        {"position": position} if isinstance(position, int) and 0 < position < 10_000 else {}
    )
    key = raw.get("key")
    if isinstance(key, str) and key:
        details["key"] = key[:40]
    return {
        "kind": kind,
        "duration_ms": duration,
        "client_at": str(raw.get("at") or "")[:40] or None,
        "details": details,
    }


@dataclass(frozen=True)
class BrowserEvents:
    """What became of the events a browser sent with one save."""

    stored: int
    #: Events over the per-minute cap, by kind: counted, not stored.
    dropped: dict[str, int]


def record_browser_events(session: Session, exam_session_id: int, raw_events: Any, *, now: datetime) -> BrowserEvents:
    """Store the events a browser piggy-backed on a save; malformed ones are skipped, and of each kind
    at most BROWSER_EVENTS_PER_KIND_PER_MINUTE per clock minute are kept (the first ones), the rest
    counted. The cap is read from the database (one grouped count), so it holds across workers; the
    kept events go in with one insert and onto the chain with one more."""
    if not isinstance(raw_events, list):
        return BrowserEvents(0, {})
    cleaned = [clean for clean in map(_clean_browser_event, raw_events[:MAX_BROWSER_EVENTS_PER_SAVE]) if clean]
    if not cleaned:
        return BrowserEvents(0, {})
    seen: dict[str, int] = dict(
        session.execute(
            select(IntegrityEvent.kind, func.count())
            .where(
                IntegrityEvent.session_id == exam_session_id,
                IntegrityEvent.source == "browser",
                IntegrityEvent.received_at >= now.replace(second=0, microsecond=0),
            )
            .group_by(IntegrityEvent.kind)
        )
        .tuples()
        .all()
    )
    rows: list[dict[str, Any]] = []
    dropped: dict[str, int] = {}
    for clean in cleaned:
        kind = clean["kind"]
        if seen.get(kind, 0) < BROWSER_EVENTS_PER_KIND_PER_MINUTE:
            seen[kind] = seen.get(kind, 0) + 1
            rows.append({"session_id": exam_session_id, "source": "browser", "received_at": now, **clean})
        else:
            dropped[kind] = dropped.get(kind, 0) + 1
    if rows:
        # One INSERT ... RETURNING for all of them (render_nulls: rows lacking a value are not split off;
        # no sort_by_parameter_order, which SQLite can only honour row by row). Each returned row is
        # chained with its own values, in id order.
        kept = sorted(
            session.scalars(
                insert(IntegrityEvent).returning(IntegrityEvent), rows, execution_options={"render_nulls": True}
            ).all(),
            key=lambda event: event.id,
        )
        position, _ = chain.append_many(
            session, exam_session_id, [("event", event.id, chain.event_record(event)) for event in kept]
        )
        for offset, event in enumerate(kept, start=position - len(kept) + 1):
            event.chain_position = offset
    return BrowserEvents(len(rows), dropped)


def decide(
    session: Session,
    exam_session_id: int,
    *,
    decision: str,
    category: str,
    reason: str,
    actor_id: int,
    anchor_file: Path | None = None,
) -> ProctorDecision:
    """Record a review decision (cleared, warning, invalidated) with a mandatory reason."""
    if decision not in DECISIONS:
        raise Refusal("proctoring.decision_unknown")
    check_category(category)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise Refusal("proctoring.reason_required")
    row = ProctorDecision(
        session_id=exam_session_id,
        decision=decision,
        category=category,
        reason=reason[:4000],
        decided_by_id=actor_id,
        decided_at=utcnow(),
    )
    session.add(row)
    chain.append_row(session, exam_session_id, "decision", row)
    chain.checkpoint(session, exam_session_id, anchor_file=anchor_file)
    return row


def confirm_invalidation(
    session: Session, decision: ProctorDecision, *, actor_id: int, anchor_file: Path | None = None
) -> None:
    """A second proctor or admin confirms an invalidation; only then does it count."""
    if decision.decision != "invalidated":
        raise Refusal("proctoring.not_an_invalidation")
    if decision.confirmed_by_id is not None:
        raise Refusal("proctoring.already_confirmed")
    if actor_id == decision.decided_by_id:
        raise Refusal("proctoring.second_person_required")
    decision.confirmed_by_id = actor_id
    decision.confirmed_at = utcnow()
    chain.append_row(session, decision.session_id, "confirmation", decision)
    chain.checkpoint(session, decision.session_id, anchor_file=anchor_file)


def effective_decision(session: Session, exam_session_id: int) -> ProctorDecision | None:
    """The decision in force, by the one rule of ``proctoring.standing`` (an unconfirmed
    invalidation, or one lifted on appeal, is not in force)."""
    return standing_of(session, exam_session_id).in_force


def file_appeal(session: Session, decision: ProctorDecision, *, text: str, anchor_file: Path | None = None) -> Appeal:
    """The candidate appeals (sanggah) against a decision, once per decision."""
    text = (text or "").strip()
    if len(text) < 20:
        raise Refusal("proctoring.appeal_too_short")
    if session.scalar(select(Appeal.id).where(Appeal.decision_id == decision.id)) is not None:
        raise Refusal("proctoring.appeal_exists")
    appeal = Appeal(decision_id=decision.id, session_id=decision.session_id, text=text[:4000], filed_at=utcnow())
    session.add(appeal)
    chain.append_row(session, decision.session_id, "appeal", appeal)
    chain.checkpoint(session, decision.session_id, anchor_file=anchor_file)
    return appeal


def decide_appeal(
    session: Session, appeal: Appeal, *, upheld: bool, outcome: str, actor_id: int, anchor_file: Path | None = None
) -> None:
    """Decide an appeal; never by whoever made (or confirmed) the decision appealed against."""
    decision = session.get_one(ProctorDecision, appeal.decision_id)
    if actor_id in (decision.decided_by_id, decision.confirmed_by_id):
        raise Refusal("proctoring.appeal_needs_someone_else")
    if appeal.status != "open":
        raise Refusal("proctoring.appeal_closed")
    outcome = (outcome or "").strip()
    if len(outcome) < MIN_REASON:
        raise Refusal("proctoring.reason_required")
    appeal.status = "upheld" if upheld else "rejected"
    appeal.outcome = outcome[:4000]
    appeal.decided_by_id = actor_id
    appeal.decided_at = utcnow()
    chain.append(session, appeal.session_id, "appeal_outcome", appeal.id, chain.appeal_outcome_record(appeal))
    chain.checkpoint(session, appeal.session_id, anchor_file=anchor_file)


@dataclass(frozen=True)
class Timeline:
    """A session's events in order, for the review page."""

    events: Sequence[IntegrityEvent]
    decisions: Sequence[ProctorDecision]
    appeals: Sequence[Appeal]


def timeline(session: Session, exam_session_id: int) -> Timeline:
    """Everything recorded about one session, oldest first."""
    return Timeline(
        events=session.scalars(
            select(IntegrityEvent).where(IntegrityEvent.session_id == exam_session_id).order_by(IntegrityEvent.id)
        ).all(),
        decisions=session.scalars(
            select(ProctorDecision).where(ProctorDecision.session_id == exam_session_id).order_by(ProctorDecision.id)
        ).all(),
        appeals=session.scalars(select(Appeal).where(Appeal.session_id == exam_session_id).order_by(Appeal.id)).all(),
    )
