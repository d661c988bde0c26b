"""Answers and results on the session's hash chain, and their check against the rows.

Every applied answer save appends an ``answer`` record (the answer id, position, item version,
response in option letters, client sequence and server time); ending a session appends the
``answer_sheet`` (every shown item with its final response and sequence) and the ``result`` (raw
scores per section, θ and SE, the scaled score, the parameter rows used, the verification code)
before the end checkpoint. This is the hash-chained audit log of Schneier and Kelsey ("Secure audit
logs to support computer forensics", ACM TISSEC 2(2), 1999) applied to the answers themselves: a
changed row disagrees with a record that cannot be changed without breaking the chain.

:func:`check` compares the rows with the chain: for an ended session, the answers and the result
against the chained sheet and result; during a session, each position's latest save record against
its answer row. The rows are read as plain tables (this package never imports the web layer).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, String, column, select, table
from sqlalchemy.orm import Session

from itembank.database import UTCDateTime
from proctoring.chain import Break, canonical_bytes
from proctoring.models import LogEntry

RECORD_TYPES = ("answer", "answer_sheet", "result")
#: A canonical record as chained (JSON types only).
Record = dict[str, Any]
#: The columns of a result that the chained record holds (``sections`` is an opaque JSON value).
RESULT_FIELDS = (
    "sections", "total_raw", "total_max", "passed", "theta", "theta_se", "scaled", "parameter_ids",
    "verification_code", "computed_at",
)  # fmt: skip

_answer = table(
    "answer",
    column("id", Integer),
    column("session_item_id", Integer),
    column("response", JSON),
    column("client_seq", Integer),
    column("saved_at", UTCDateTime()),
)
_session_item = table(
    "session_item", column("id", Integer), column("session_id", Integer), column("position", Integer),
    column("version_id", Integer),
)  # fmt: skip
_result = table(
    "session_result", column("session_id", Integer), column("sections", JSON), column("total_raw", Float),
    column("total_max", Float), column("passed", Boolean), column("theta", Float), column("theta_se", Float),
    column("scaled", Float), column("parameter_ids", JSON), column("verification_code", String),
    column("computed_at", UTCDateTime()),
)  # fmt: skip


def _moment(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value is not None else None


def _plain(value: Any) -> Any:
    """The value as the database gives it back (JSON types only; numpy floats become floats)."""
    return json.loads(canonical_bytes({"v": value}))["v"]


def _response(value: Any) -> Any:
    """A response in one form whatever the database: SQLite stores a JSON column's top-level number
    with NUMERIC affinity, so a numeric answer 15.0 comes back as the integer 15."""
    if value is None or isinstance(value, int) or (isinstance(value, str) and value.isascii()):
        return value  # what the JSON round trip gives back unchanged (an ending chains a whole sheet)
    value = _plain(value)
    return int(value) if isinstance(value, float) and value.is_integer() else value


# ------------------------------------------------------------------------------ the records


@dataclass(frozen=True)
class SheetLine:
    """One shown item of a session and its final answer (``answer_id`` None: never answered)."""

    position: int
    version_id: int
    answer_id: int | None
    response: Any
    seq: int | None

    def record(self) -> Record:
        return {
            "position": self.position, "version_id": self.version_id, "answer_id": self.answer_id,
            "response": _response(self.response), "seq": self.seq,
        }  # fmt: skip


def answer_record(session_id: int, line: SheetLine, saved_at: datetime | None) -> Record:
    """The canonical record of one applied save: the answer row's id, position, item version,
    response (option letters), client sequence, and the server's time."""
    return {"type": "answer", "session_id": session_id, **line.record(), "saved_at": _moment(saved_at)}


def sheet_record(session_id: int, lines: Iterable[SheetLine]) -> Record:
    """The canonical answer sheet of an ended session: every shown item, by position."""
    ordered = sorted(lines, key=lambda line: line.position)
    return {"type": "answer_sheet", "session_id": session_id, "answers": [line.record() for line in ordered]}


def result_record(session_id: int, values: Mapping[str, Any]) -> Record:
    """The canonical result record; ``values`` holds at least :data:`RESULT_FIELDS`."""
    record = {name: _plain(values[name]) for name in RESULT_FIELDS if name != "computed_at"}
    return {"type": "result", "session_id": session_id, **record, "computed_at": _moment(values["computed_at"])}


# ------------------------------------------------------------------------------ verification


#: Per session: the chain position and record of each save (by item position), of the sheet, of the result.
_Saves = dict[int, dict[int, tuple[int, Record]]]
_Chained = dict[int, tuple[int, Record]]
#: Per item position: the sheet line as the tables hold it, and when its answer was saved.
_Lines = dict[int, tuple[SheetLine, datetime | None]]


def _entries(session: Session) -> tuple[_Saves, _Chained, _Chained]:
    saves: _Saves = {}
    sheets: _Chained = {}
    results: _Chained = {}
    rows = session.execute(
        select(LogEntry.chain_id, LogEntry.position, LogEntry.record_type, LogEntry.payload)
        .where(LogEntry.record_type.in_(RECORD_TYPES))
        .order_by(LogEntry.chain_id, LogEntry.position)
    )
    for chain_id, position, record_type, payload in rows:
        if payload is None:  # purged after the retention period (JSON null)
            continue
        if record_type == "answer":
            saves.setdefault(chain_id, {})[payload["position"]] = (position, payload)  # the latest wins
        elif record_type == "answer_sheet":
            sheets[chain_id] = (position, payload)
        else:
            results[chain_id] = (position, payload)
    return saves, sheets, results


def _lines(session: Session, session_ids: set[int]) -> dict[int, _Lines]:
    """Every shown item of the given sessions with its answer row, as sheet lines."""
    rows = session.execute(
        select(
            _session_item.c.session_id, _session_item.c.position, _session_item.c.version_id, _answer.c.id,
            _answer.c.response, _answer.c.client_seq, _answer.c.saved_at,
        )
        .select_from(_session_item.outerjoin(_answer, _answer.c.session_item_id == _session_item.c.id))
        .where(_session_item.c.session_id.in_(sorted(session_ids)))
    )  # fmt: skip
    lines: dict[int, _Lines] = {}
    for session_id, position, version_id, answer_id, response, seq, saved_at in rows:
        lines.setdefault(session_id, {})[position] = (
            SheetLine(position, version_id, answer_id, response, seq),
            saved_at,
        )
    return lines


def _same(left: Record, right: Record) -> bool:
    return canonical_bytes(left) == canonical_bytes(right)


def _check_sheet(session_id: int, entry: int, sheet: Record, lines: _Lines) -> Break | None:
    chained = {line["position"]: line for line in sheet["answers"]}
    for position in sorted(set(chained) | set(lines)):
        row, held = lines.get(position), chained.get(position)
        where = f"answer of session {session_id} at position {position}"
        if held is None:
            return Break(session_id, entry, f"{where} is not on the sheet")
        if row is None:
            return Break(session_id, entry, f"{where} was deleted")
        if not _same(row[0].record(), held):
            what = "deleted" if row[0].answer_id is None and held["answer_id"] is not None else "changed"
            return Break(session_id, entry, f"{where} was {what}")
    return None


def _check_saves(session_id: int, saves: dict[int, tuple[int, Record]], lines: _Lines) -> Break | None:
    for position in sorted(set(saves) | {p for p, (line, _) in lines.items() if line.answer_id is not None}):
        row = lines.get(position)
        if position not in saves:
            return Break(session_id, None, f"answer of session {session_id} at position {position} is not on the chain")
        entry, payload = saves[position]
        if row is None or row[0].answer_id is None:
            return Break(session_id, entry, f"answer of session {session_id} at position {position} was deleted")
        line, saved_at = row
        if not _same(answer_record(session_id, line, saved_at), payload):
            return Break(session_id, entry, f"answer of session {session_id} at position {position} was changed")
    return None


def check(session: Session) -> Break | None:
    """The first answer or result row that disagrees with its chained record, if any."""
    saves, sheets, results = _entries(session)
    sessions = set(saves) | set(sheets)
    lines = _lines(session, sessions) if sessions else {}
    for session_id in sorted(sessions):
        if session_id in sheets:
            entry, sheet = sheets[session_id]
            problem = _check_sheet(session_id, entry, sheet, lines.get(session_id, {}))
        else:
            problem = _check_saves(session_id, saves[session_id], lines.get(session_id, {}))
        if problem:
            return problem
    stored = {row.session_id: row for row in session.execute(select(_result))}
    for session_id, (entry, payload) in sorted(results.items()):
        row = stored.get(session_id)
        if row is None:
            return Break(session_id, entry, f"result of session {session_id} was deleted")
        current = result_record(session_id, row._asdict())
        changed = [name for name in RESULT_FIELDS if current.get(name) != payload.get(name)]
        if changed or not _same(current, payload):
            return Break(session_id, entry, f"result of session {session_id} was changed ({', '.join(changed)})")
    unchained = sorted(set(sheets) & (set(stored) - set(results)))
    if unchained:
        return Break(unchained[0], sheets[unchained[0]][0], f"result of session {unchained[0]} is not on the chain")
    return None
