"""A site session's integrity chain carried to the centre and checked there, away from the site's database.

A test site runs its sittings on its own server, and each session's hash chain (:mod:`proctoring.chain`:
SHA-256 links, RFC 6962 Merkle checkpoints) grows there. Sessions keep the centre's ids, so a chain's
id on the site is the centre's session id. :func:`session_bundle` writes one session's chain as plain
JSON data; :func:`verify_bundle` checks a bundle as it arrives (from the network or a USB stick, so
anything at all) and lists every problem it finds instead of stopping at the first;
:func:`final_answers` reads the answers from the chain itself and :func:`compare_answers` holds the
uploaded answer rows against them.

The bundle (what :func:`session_bundle` returns)::

    {"chain_id": 42,
     "entries": [{"position": 1, "record_type": "event", "record_id": 7, "payload": {...} or None,
                  "payload_hash": "<64 hex>", "prev_hash": "<64 hex>", "entry_hash": "<64 hex>",
                  "created_at": "2026-11-23T01:00:00.123456+00:00"}, ...],   # position order
     "checkpoints": [{"tree_size": 8, "root_hash": "<64 hex>", "created_at": "..."}, ...]}

What the hashes vouch for is the payload (through ``payload_hash``), the chain id and the position
(through ``entry_hash``). ``record_type``, ``record_id`` and the times are not hashed: the checks read
a record's kind from its payload's ``type`` and report a ``record_type`` that disagrees with it.

Problem codes (:class:`Problem`; ``position`` is a chain position, None when no one entry is at fault):

``bundle_malformed``
    the bundle, an entry or a checkpoint is not of the documented shape (``detail``: ``entry`` or
    ``checkpoint`` index, ``field``, ``reason``); a malformed entry is left out of the link checks.
``position_gap``
    positions are not 1, 2, ... n in order, as :func:`proctoring.chain.append` numbers them
    (``expected``, ``found``): an entry removed, repeated or moved.
``link_broken``
    ``prev_hash`` is not the entry hash before it (the genesis hash of the chain for the first), or
    ``entry_hash`` is not :func:`proctoring.chain.link_hash` of the entry (``field``, ``expected``,
    ``found``); a bundle checked against another chain id breaks every link.
``payload_altered``
    the payload does not hash to ``payload_hash`` (``expected``, ``computed``).
``payload_purged``
    the payload was removed (purging keeps the hashes): reported unless ``allow_purged``, since a
    site's upload comes long before any retention period ends and a payload removed there hides
    a record, e.g. the last save of an answer.
``record_type_mismatch``
    ``record_type`` is not the payload's ``type``.
``wrong_chain``
    a payload's ``session_id`` (a checkpoint's ``chain_id``), or the bundle's own ``chain_id``,
    is not the chain id checked against.
``checkpoint_mismatch``
    a checkpoint (published, or an entry of the chain) is not the RFC 6962 root over the payload
    hashes of the entries before it (``tree_size``, ``expected``, ``computed``), or a published
    checkpoint's own entry (at position ``tree_size + 1``) is not that checkpoint.
``checkpoint_beyond_chain``
    a published checkpoint covers more than the chain holds: its own entry is missing, so the end of
    the chain was cut (``tree_size``, ``entries``).
``checkpoint_missing``
    a chain with entries and no published checkpoint: nothing fixes its end (every session that
    saved an answer or ended has one).
``sheet_mismatch``
    the ended session's answer sheet disagrees with the last answer record of an item position
    (``item_position``, ``sheet``, ``chain``).

Problems of the bundle as a whole come first, then those of its entries in their order, then those of
the published checkpoints by tree size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired, TypedDict, TypeGuard

from sqlalchemy import select
from sqlalchemy.orm import Session

from proctoring import ledger
from proctoring.chain import canonical_bytes, genesis_hash, link_hash, sha256_hex
from proctoring.merkle import frontier_append, frontier_root
from proctoring.models import Checkpoint, LogEntry

#: A hash as the chain writes it: SHA-256 in lower-case hex.
_HEX64 = re.compile(r"[0-9a-f]{64}")
#: :func:`proctoring.chain.link_hash` writes chain ids and positions in 8 bytes.
_LIMIT = 2**63


#: Every code a :class:`Problem` of this module carries (each has a label: ``site_problem``).
PROBLEM_CODES = frozenset(
    {
        "bundle_malformed", "payload_altered", "payload_purged", "link_broken", "position_gap", "wrong_chain",
        "record_type_mismatch", "checkpoint_mismatch", "checkpoint_beyond_chain", "checkpoint_missing",
        "sheet_mismatch", "answer_not_in_chain", "answer_missing", "row_malformed",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bundle: its code, the chain position at fault (None: no one entry)
    and what was found, as JSON-able data."""

    code: str
    position: int | None
    detail: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------- the bundle


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def session_bundle(db_session: Session, session_id: int) -> dict[str, Any]:
    """Everything needed to verify session ``session_id``'s chain without the database, as JSON-able
    data (the module docstring gives the shape): every entry in position order, purged ones with their
    hashes and a None payload, and every published checkpoint of the chain by tree size."""
    entries = db_session.scalars(
        select(LogEntry).where(LogEntry.chain_id == session_id).order_by(LogEntry.position)
    ).all()
    checkpoints = db_session.scalars(
        select(Checkpoint).where(Checkpoint.chain_id == session_id).order_by(Checkpoint.tree_size)
    ).all()
    return {
        "chain_id": session_id,
        "entries": [
            {
                "position": entry.position,
                "record_type": entry.record_type,
                "record_id": entry.record_id,
                "payload": entry.payload,
                "payload_hash": entry.payload_hash,
                "prev_hash": entry.prev_hash,
                "entry_hash": entry.entry_hash,
                "created_at": _moment(entry.created_at),
            }
            for entry in entries
        ],
        "checkpoints": [
            {"tree_size": head.tree_size, "root_hash": head.root_hash, "created_at": _moment(head.created_at)}
            for head in checkpoints
        ],
    }


# ------------------------------------------------------------------------------ reading it


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_hash(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


@dataclass(frozen=True)
class _Entry:
    """An entry of the documented shape."""

    position: int
    record_type: str
    payload: dict[str, Any] | None
    payload_hash: str
    prev_hash: str
    entry_hash: str


def _malformed(position: int | None, **detail: Any) -> Problem:
    return Problem("bundle_malformed", position, detail)


def _read_entry(index: int, raw: Any) -> _Entry | Problem:
    """The entry at ``index`` of the bundle's list, or why it cannot be read."""
    if not isinstance(raw, dict):
        return _malformed(None, entry=index, reason="not an object")
    position = raw.get("position")
    if not _is_int(position) or not 0 <= position < _LIMIT:
        return _malformed(None, entry=index, field="position", reason="not a position")
    for name in ("payload_hash", "prev_hash", "entry_hash"):
        if not _is_hash(raw.get(name)):
            return _malformed(position, entry=index, field=name, reason="not a SHA-256 hex digest")
    if not isinstance(raw.get("record_type"), str):
        return _malformed(position, entry=index, field="record_type", reason="not a string")
    payload = raw.get("payload")
    if payload is not None and not isinstance(payload, dict):
        return _malformed(position, entry=index, field="payload", reason="neither an object nor null")
    return _Entry(position, raw["record_type"], payload, raw["payload_hash"], raw["prev_hash"], raw["entry_hash"])


def _read_checkpoint(index: int, raw: Any) -> tuple[int, str] | Problem:
    """A published checkpoint ``(tree_size, root_hash)``, or why it cannot be read."""
    if not isinstance(raw, dict):
        return _malformed(None, checkpoint=index, reason="not an object")
    size, root = raw.get("tree_size"), raw.get("root_hash")
    if not _is_int(size) or size < 0:
        return _malformed(None, checkpoint=index, field="tree_size", reason="not a size")
    if not _is_hash(root):
        return _malformed(None, checkpoint=index, field="root_hash", reason="not a SHA-256 hex digest")
    return size, root


def _list_of(bundle: dict[str, Any], name: str, problems: list[Problem]) -> list[Any]:
    value = bundle.get(name)
    if isinstance(value, list):
        return value
    problems.append(_malformed(None, field=name, reason="not a list"))
    return []


def _payload_problem(entry: _Entry, allow_purged: bool) -> Problem | None:
    """Whether the payload is there and hashes to ``payload_hash``."""
    if entry.payload is None:
        return None if allow_purged else Problem("payload_purged", entry.position, {})
    try:
        computed = sha256_hex(canonical_bytes(entry.payload))
    except (TypeError, ValueError, RecursionError):  # not JSON data (a bundle built in Python)
        return _malformed(entry.position, field="payload", reason="not JSON data")
    if computed != entry.payload_hash:
        return Problem("payload_altered", entry.position, {"expected": entry.payload_hash, "computed": computed})
    return None


# ------------------------------------------------------------------------------ checkpoints


def _prefix_roots(leaves: Sequence[bytes | None], sizes: Iterable[int]) -> dict[int, bytes | None]:
    """The RFC 6962 root of the first ``size`` leaves for each size the chain has that many leaves
    for (None past an unreadable leaf), as :func:`proctoring.chain.checkpoint` computes a checkpoint
    (leaves: the payload hashes as raw bytes). One pass that grows the tree's frontier leaf by leaf:
    O(n + k log n) hashes for k sizes, whatever a bundle asks for."""
    roots: dict[int, bytes | None] = {}
    frontier: list[bytes] = []
    size = 0
    for target in sorted({s for s in sizes if s <= len(leaves)}):
        while size < target:
            leaf = leaves[size]
            if leaf is None:
                break
            frontier = frontier_append(frontier, size, leaf)
            size += 1
        roots[target] = frontier_root(frontier) if size == target else None
    return roots


def _root_problem(position: int | None, size: int, root: str, roots: dict[int, bytes | None]) -> Problem | None:
    computed = roots.get(size)
    if computed is None:
        return Problem("checkpoint_mismatch", position, {"tree_size": size, "reason": "entries unreadable"})
    if computed.hex() != root:
        return Problem(
            "checkpoint_mismatch", position, {"tree_size": size, "expected": root, "computed": computed.hex()}
        )
    return None


def _entry_checkpoint_problem(entry: _Entry, payload: dict[str, Any], roots: dict[int, bytes | None]) -> Problem | None:
    """A checkpoint entry against the entries before it."""
    size, root = payload.get("tree_size"), payload.get("root_hash")
    if not _is_int(size) or not _is_hash(root) or not 0 <= size < entry.position:
        return Problem("checkpoint_mismatch", entry.position, {"tree_size": size, "reason": "not a checkpoint"})
    return _root_problem(entry.position, size, root, roots)


def _published_problems(
    heads: list[tuple[int, str]], entries: Sequence[_Entry | Problem], roots: dict[int, bytes | None]
) -> list[Problem]:
    """Each published checkpoint against the chain: its root over the entries it covers, and its own
    entry right after them (:func:`proctoring.chain.checkpoint` appends it at ``tree_size + 1``)."""
    problems: list[Problem] = []
    last = max((e.position for e in entries if isinstance(e, _Entry)), default=0)
    for size, root in sorted(set(heads)):
        if size >= max(len(entries), last):  # neither the entries nor their positions reach its own entry
            problems.append(Problem("checkpoint_beyond_chain", None, {"tree_size": size, "entries": len(entries)}))
            continue
        problem = _root_problem(None, size, root, roots)
        if problem is not None:
            problems.append(problem)
            continue
        own = entries[size] if size < len(entries) else None
        payload = own.payload if isinstance(own, _Entry) else None
        if payload is None or [payload.get(k) for k in ("type", "tree_size", "root_hash")] != [
            "checkpoint",
            size,
            root,
        ]:
            problems.append(
                Problem(
                    "checkpoint_mismatch", size + 1, {"tree_size": size, "reason": "its entry is not this checkpoint"}
                )
            )
    return problems


# ------------------------------------------------------------------------------ the answers


def _sheet_line(record: dict[str, Any]) -> dict[str, Any]:
    """The part of an answer record that the answer sheet repeats."""
    return {name: record.get(name) for name in ("position", "version_id", "answer_id", "response", "seq")}


def _sheet_problems(position: int, sheet: dict[str, Any], saved: dict[int, dict[str, Any]]) -> list[Problem]:
    """An ended session's sheet against the last answer record of each item position before it."""
    lines = sheet.get("answers")
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        return [Problem("sheet_mismatch", position, {"reason": "not a list of lines"})]
    on_sheet = {line.get("position"): line for line in lines if _is_int(line.get("position"))}
    problems = []
    for item in sorted(set(on_sheet) | set(saved)):
        line, record = on_sheet.get(item), saved.get(item)
        chained = _sheet_line(record) if record is not None else None
        held = _sheet_line(line) if line is not None and line.get("answer_id") is not None else None
        if (chained is None) != (held is None) or (
            chained is not None and held is not None and canonical_bytes(chained) != canonical_bytes(held)
        ):
            problems.append(
                Problem("sheet_mismatch", position, {"item_position": item, "sheet": line, "chain": chained})
            )
    return problems


# ------------------------------------------------------------------------------ verification


@dataclass
class _Walk:
    """The state of one pass over a bundle's entries."""

    chain_id: int
    roots: dict[int, bytes | None]
    allow_purged: bool
    problems: list[Problem] = field(default_factory=list)
    expected: int = 1
    #: The entry hash the next entry links to; None after an unreadable entry (not checked).
    prev: str | None = None
    saved: dict[int, dict[str, Any]] = field(default_factory=dict)

    def step(self, reading: _Entry | Problem) -> None:
        if isinstance(reading, Problem):
            self.problems.append(reading)
            self.expected = reading.position + 1 if reading.position is not None else self.expected + 1
            self.prev = None  # the next entry's link is not checked against an unreadable one
            return
        entry = reading
        if entry.position != self.expected:
            self.problems.append(
                Problem("position_gap", entry.position, {"expected": self.expected, "found": entry.position})
            )
        self._links(entry)
        problem = _payload_problem(entry, self.allow_purged)
        if problem is not None:
            self.problems.append(problem)
        elif entry.payload is not None:
            self._content(entry, entry.payload)
        self.expected, self.prev = entry.position + 1, entry.entry_hash

    def _links(self, entry: _Entry) -> None:
        if self.prev is not None and entry.prev_hash != self.prev:
            self.problems.append(
                Problem(
                    "link_broken",
                    entry.position,
                    {"field": "prev_hash", "expected": self.prev, "found": entry.prev_hash},
                )
            )
        linked = link_hash(entry.prev_hash, entry.payload_hash, self.chain_id, entry.position)
        if entry.entry_hash != linked:
            self.problems.append(
                Problem(
                    "link_broken",
                    entry.position,
                    {"field": "entry_hash", "expected": linked, "found": entry.entry_hash},
                )
            )

    def _content(self, entry: _Entry, payload: dict[str, Any]) -> None:
        """What an intact payload says: its kind, its chain, and for checkpoints, answers and the
        answer sheet, that it agrees with the entries before it."""
        kind = payload.get("type")
        if entry.record_type != kind:
            self.problems.append(
                Problem("record_type_mismatch", entry.position, {"record_type": entry.record_type, "type": kind})
            )
        owner_key = "chain_id" if kind == "checkpoint" else "session_id"
        if owner_key in payload and not (_is_int(payload[owner_key]) and payload[owner_key] == self.chain_id):
            self.problems.append(
                Problem("wrong_chain", entry.position, {owner_key: payload[owner_key], "chain_id": self.chain_id})
            )
        if kind == "checkpoint":
            problem = _entry_checkpoint_problem(entry, payload, self.roots)
            if problem is not None:
                self.problems.append(problem)
        elif kind == "answer" and _is_int(payload.get("position")):
            self.saved[payload["position"]] = payload
        elif kind == "answer_sheet":
            self.problems += _sheet_problems(entry.position, payload, self.saved)


def _checked_sizes(readings: Sequence[_Entry | Problem], heads: Sequence[tuple[int, str]]) -> set[int]:
    sizes = {size for size, _ in heads}
    for reading in readings:
        if isinstance(reading, _Entry) and reading.payload is not None and reading.payload.get("type") == "checkpoint":
            size = reading.payload.get("tree_size")
            if _is_int(size) and 0 <= size:
                sizes.add(size)
    return sizes


def verify_bundle(bundle: Any, chain_id: int, *, allow_purged: bool = False) -> list[Problem]:
    """Every problem of a session's chain bundle (:func:`session_bundle`'s shape) checked as chain
    ``chain_id``, in the order of its entries, then its published checkpoints; [] when all is well.

    Pure: no database. Never raises, whatever ``bundle`` is; the codes are listed in the module's
    docstring. ``allow_purged`` accepts entries whose payload was purged (their hashes still link)."""
    if not _is_int(chain_id) or not 0 <= chain_id < _LIMIT:
        return [_malformed(None, field="chain_id", reason="not a chain id")]
    if not isinstance(bundle, dict):
        return [_malformed(None, reason="not an object")]
    problems: list[Problem] = []
    if "chain_id" in bundle and not (_is_int(bundle["chain_id"]) and bundle["chain_id"] == chain_id):
        problems.append(Problem("wrong_chain", None, {"bundle_chain_id": bundle["chain_id"], "chain_id": chain_id}))
    raw_entries = _list_of(bundle, "entries", problems)
    raw_heads = _list_of(bundle, "checkpoints", problems)
    readings = [_read_entry(index, raw) for index, raw in enumerate(raw_entries)]
    heads: list[tuple[int, str]] = []
    for index, raw in enumerate(raw_heads):
        head = _read_checkpoint(index, raw)
        if isinstance(head, Problem):
            problems.append(head)
        else:
            heads.append(head)
    leaves = [bytes.fromhex(r.payload_hash) if isinstance(r, _Entry) else None for r in readings]
    roots = _prefix_roots(leaves, _checked_sizes(readings, heads))
    walk = _Walk(chain_id, roots, allow_purged, problems, prev=genesis_hash(chain_id))
    for reading in readings:
        walk.step(reading)
    if readings and not raw_heads:
        problems.append(Problem("checkpoint_missing", None, {"entries": len(readings)}))
    problems += _published_problems(heads, readings, walk.roots)
    return problems


# ------------------------------------------------------------------------------ answers from the chain


def final_answers(bundle: Any) -> dict[int, dict[str, Any]]:
    """The last applied answer of each item position, from the chain's answer records (every applied
    save is one, :func:`proctoring.ledger.answer_record`): ``{item position: {"response", "seq",
    "version_id", "answer_id", "saved_at", "entry"}}``, ``response`` in option letters as the answer
    row holds it, ``saved_at`` the chain's text (``%Y-%m-%dT%H:%M:%S.%fZ``, UTC), ``entry`` the chain
    position of the record. A position whose last save cleared the answer has ``response`` None.

    Read it from a bundle :func:`verify_bundle` found no problem with: it does not check hashes
    itself, and it skips what it cannot read rather than raise."""
    answers: dict[int, dict[str, Any]] = {}
    entries = bundle.get("entries") if isinstance(bundle, dict) else None
    for raw in entries if isinstance(entries, list) else []:
        payload = raw.get("payload") if isinstance(raw, dict) else None
        if not isinstance(payload, dict) or payload.get("type") != "answer" or not _is_int(payload.get("position")):
            continue
        answers[payload["position"]] = {
            "response": payload.get("response"), "seq": payload.get("seq"), "version_id": payload.get("version_id"),
            "answer_id": payload.get("answer_id"), "saved_at": payload.get("saved_at"), "entry": raw.get("position"),
        }  # fmt: skip
    return answers


class AnswerRow(TypedDict):
    """An uploaded answer row as :func:`compare_answers` reads it: the session item's position, the
    response in option letters as the ``answer`` table holds it (None: cleared), the client sequence
    of the save that wrote it, and optionally the item version it answers. Other keys are ignored
    (the site's answer ids are the site's own; the time of a save is taken from the chain)."""

    position: int
    response: Any
    client_seq: int
    version_id: NotRequired[int]


def _normal(response: Any) -> bytes:
    """A response in the one form the chain records it (:meth:`proctoring.ledger.SheetLine.record`),
    as canonical bytes."""
    return canonical_bytes({"r": ledger.SheetLine(0, 0, None, response, None).record()["response"]})


def _read_rows(rows: Any) -> tuple[dict[int, dict[str, Any]], list[Problem]]:
    """The rows by position, and the ones that cannot be read."""
    if not isinstance(rows, list):
        return {}, [Problem("row_malformed", None, {"reason": "not a list"})]
    by_position: dict[int, dict[str, Any]] = {}
    problems = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict) or not _is_int(row.get("position")):
            problems.append(Problem("row_malformed", None, {"row": index, "field": "position"}))
        elif not _is_int(row.get("client_seq")) or "response" not in row:
            problems.append(Problem("row_malformed", None, {"row": index, "field": "client_seq or response"}))
        elif row["position"] in by_position:
            problems.append(Problem("row_malformed", None, {"row": index, "reason": "position repeated"}))
        else:
            by_position[row["position"]] = row
    return by_position, problems


def _differences(chained: dict[str, Any], row: dict[str, Any]) -> list[str]:
    differ = []
    try:
        if _normal(row["response"]) != _normal(chained["response"]):
            differ.append("response")
    except (TypeError, ValueError, RecursionError):
        differ.append("response")
    if row["client_seq"] != chained["seq"]:
        differ.append("client_seq")
    if "version_id" in row and row["version_id"] != chained["version_id"]:
        differ.append("version_id")
    return differ


def compare_answers(bundle: Any, rows: Any) -> list[Problem]:
    """The uploaded answer rows (:class:`AnswerRow`, one per answered item position) against the
    chain's last answer record of each position (:func:`final_answers`), by item position:
    ``answer_not_in_chain`` when a row's response, sequence or version is not what the chain's last
    record holds, or the chain has no record of its position; ``answer_missing`` when the chain has
    an answer the rows lack; ``row_malformed`` for a row of another shape. ``position`` is the chain
    position of the record concerned (None: none); ``detail["item_position"]`` the item's. Never raises."""
    chained = final_answers(bundle)
    by_position, problems = _read_rows(rows)
    for item in sorted(set(chained) | set(by_position)):
        record, row = chained.get(item), by_position.get(item)
        entry = record["entry"] if record is not None and _is_int(record["entry"]) else None
        if row is None:
            problems.append(Problem("answer_missing", entry, {"item_position": item, "chain": record}))
            continue
        shown = {"response": row["response"], "client_seq": row["client_seq"], "version_id": row.get("version_id")}
        if record is None:
            problems.append(Problem("answer_not_in_chain", None, {"item_position": item, "row": shown, "chain": None}))
            continue
        differ = _differences(record, row)
        if differ:
            problems.append(
                Problem(
                    "answer_not_in_chain",
                    entry,
                    {"item_position": item, "differs": differ, "row": shown, "chain": record},
                )
            )
    return problems
