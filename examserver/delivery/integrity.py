"""Where delivery meets proctoring: server events, browser events from saves, answers and results
on the session's chain, the checkpoints made while a session runs and when it ends, and the
candidate's receipt."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context

from examserver.delivery.models import Answer, ExamSession, SessionItem, SessionResult
from examserver.delivery.scoring import AnswerSheet
from itembank.database import utcnow
from proctoring import chain, ledger, receipts, services

#: Answers this close together count as implausibly fast (a first answer every 3 s or faster).
FAST_ANSWER_SECONDS = 3.0
FAST_ANSWER_MIN_COUNT = 5
#: A running session's chain gets a checkpoint on a save when it has none yet, when this many
#: entries are new since its latest one, or when anything is new and this long has passed: only
#: entries after the latest checkpoint can be deleted unnoticed.
CHECKPOINT_EVERY_ENTRIES = 50
CHECKPOINT_EVERY_SECONDS = 120
#: The server event that logs an ending, by the session's status.
END_EVENTS = {"submitted": "session_submitted", "expired": "session_expired", "terminated": "session_terminated"}


def anchor_file() -> Path | None:
    """Where checkpoint heads are appended outside the database (INTEGRITY_ANCHOR_FILE)."""
    if not has_app_context():
        return None
    configured = current_app.config.get("INTEGRITY_ANCHOR_FILE")
    return Path(configured) if configured else None


def server_event(session, exam: ExamSession, kind: str, now: datetime | None = None, **details) -> None:
    services.record_event(session, exam.id, source="server", kind=kind, details=details, now=now or utcnow())


def proctor_event(session, exam: ExamSession, kind: str, actor_id: int, **details) -> None:
    services.record_event(session, exam.id, source="proctor", kind=kind, details=details, actor_id=actor_id)


def browser_events(session, session_id: int, events, now: datetime) -> services.BrowserEvents:
    """Store the events a player piggy-backed on an answer save, and add those over the per-minute
    cap to the session's count of dropped events (the session row is locked by the save; it is
    loaded only when there is something to count)."""
    outcome = services.record_browser_events(session, session_id, events, now=now)
    if outcome.dropped:
        exam = session.get(ExamSession, session_id)
        assert exam is not None, "the save found and locked the row"
        counts = dict(exam.browser_events_dropped or {})
        for kind, count in outcome.dropped.items():
            counts[kind] = counts.get(kind, 0) + count
        exam.browser_events_dropped = counts
    return outcome


def on_saves(session, exam: ExamSession, applied: list[tuple[SessionItem, Answer, object, int]]) -> None:
    """Chain one record per applied save (item, answer, response set, sequence), with one read of the
    chain's head and one insert for the whole batch; replays and ignored saves add nothing."""
    if not applied:
        return
    records = [
        ledger.answer_record(
            exam.id, ledger.SheetLine(si.position, si.version_id, answer.id, response, seq), answer.saved_at
        )
        for si, answer, response, seq in applied
    ]
    chain.append_many(session, exam.id, [("answer", record["answer_id"], record) for record in records])


def chain_answers(
    session,
    exam_id: int,
    lines: list[ledger.SheetLine],
    saved_at: datetime,
    *,
    head: tuple[int, str | None] | None = None,
) -> tuple[int, str]:
    """Chain one answer record per applied save, in order, in one insert; ``head`` is the chain's
    head as read under its lock (see :func:`proctoring.chain.append_many`). Returns the new head."""
    records = [ledger.answer_record(exam_id, line, saved_at) for line in lines]
    return chain.append_many(
        session, exam_id, [("answer", record["answer_id"], record) for record in records], known_head=head
    )


def after_save(
    session, exam_id: int, now: datetime, *, chain_size: int, latest_checkpoint: tuple[int, datetime] | None
) -> None:
    """Checkpoint the running session's chain when one is due, judged on the head and the latest
    checkpoint the save read already (no read of its own when none is due)."""
    if chain.checkpoint_wanted(
        chain_size,
        latest_checkpoint,
        now=now,
        every_entries=CHECKPOINT_EVERY_ENTRIES,
        every_seconds=CHECKPOINT_EVERY_SECONDS,
    ):
        chain.checkpoint_tail(session, chain.read_tail(session, exam_id), anchor_file=anchor_file())


def on_close(session, exam: ExamSession, sheet: AnswerSheet, result: SessionResult, *, now: datetime) -> str | None:
    """Close the ended session's chain: its answer sheet (every shown item, as scored) and result,
    a count of implausibly fast answers on the sheet (when there are enough) and the end as server
    events, then the checkpoint, and seal the head into the sitting's tree; returns the receipt code
    (None when the seal was queued: :func:`proctoring.receipts.close`).

    The caller holds the session chain's lock (the end's ``UPDATE`` takes it on PostgreSQL): the
    chain is read once, the events go in with one insert and every entry with one more
    (:func:`proctoring.receipts.close`)."""
    tail = chain.read_tail(session, exam.id)
    lines = [
        ledger.SheetLine(line.position, line.version_id, line.answer_id, line.response, line.client_seq)
        for line in sheet.items
    ]
    values = {name: getattr(result, name) for name in ledger.RESULT_FIELDS}
    records: list[tuple[str, int | None, dict[str, Any]]] = [
        ("answer_sheet", None, ledger.sheet_record(exam.id, lines)),
        ("result", exam.id, ledger.result_record(exam.id, values)),
    ]
    events: list[tuple[str, dict[str, Any]]] = []
    fast = _fast_answers(sheet)
    if fast >= FAST_ANSWER_MIN_COUNT:
        events.append(("fast_answers", {"count": fast, "threshold_seconds": FAST_ANSWER_SECONDS}))
    events.append((END_EVENTS[exam.status], {"reason": exam.end_reason}))
    records += services.record_server_events(
        session, exam.id, events, now=now, position=tail.position + len(records) + 1
    )
    return receipts.close(session, tail, records, schedule_id=exam.schedule_id, anchor_file=anchor_file())


def _fast_answers(sheet: AnswerSheet) -> int:
    """How many answers on the sheet came implausibly fast after the one before (by saved time)."""
    times = sorted(line.saved_at for line in sheet.items if line.saved_at is not None and line.response is not None)
    return sum(1 for a, b in zip(times, times[1:], strict=False) if (b - a).total_seconds() < FAST_ANSWER_SECONDS)
