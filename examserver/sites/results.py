"""Results back from a test site (docs/operations/test-sites.md).

On the site, :func:`write_results` writes every session of its package (the session row, the items
it showed, its answers, its integrity events and its whole hash chain with the checkpoints:
:func:`examserver.sites.chains.session_bundle`) into one file signed with the site's key.

At the centre, :func:`receive_results` reads the file with the key registered for the package it
names, then checks every session before it takes anything: the session belongs to the package's
roster, its chain verifies from its genesis to its checkpoints, and its answer rows are the
chain's last answer records. Any problem refuses the whole file and is named (registration number,
problem, chain position); nothing is imported. Otherwise each ended session is imported once: its
items, answers and events go into the centre's tables, the centre's chain of the session records
a ``site_import`` entry holding the site chain's size, head and last checkpoint root, and the
session is ended and scored by the centre's own code on the bank's current parameters. A session
imported before with the same chain head is left as it is (the same file twice changes nothing; a
partial upload followed by the rest completes it); a session that also ran at the centre is not
merged but flagged for the proctors (an integrity event) and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from examserver.delivery import integrity
from examserver.delivery.models import ENDED, Answer, ExamSession, SessionItem
from examserver.delivery.services import end
from examserver.sites import chains, sealing
from examserver.sites.export import json_value
from examserver.sites.install import refusal, state
from examserver.sites.models import SitePackage, SiteReceipt, SiteRosterEntry
from itembank.refusal import Refusal
from proctoring import chain, receipts
from proctoring.models import IntegrityEvent, LogEntry, Receipt

#: The centre's chain record of a site's session: what was verified and taken.
SITE_IMPORT = "site_import"
#: Every problem a refused results file can name: the chains' and the roster's (labels: ``site_problem``).
PROBLEM_CODES = chains.PROBLEM_CODES | {
    "not_in_roster",
    "registration_number_differs",
    "receipt_not_in_chain",
    "imported_differently",
}
#: Session fields the file carries (times as ISO 8601).
SESSION_FIELDS = ("status", "started_at", "deadline_at", "ended_at", "end_reason", "credited_seconds", "authorised_at")
_EVENT_FIELDS = ("source", "kind", "received_at", "client_at", "duration_ms", "details", "actor_id")


# ---------------------------------------------------------------------------------------- on the site


def _receipt(session: Session, session_id: int) -> dict[str, Any] | None:
    """The receipt the candidate got when the session ended on the site (None before)."""
    found = session.get(Receipt, session_id)
    if found is None:
        return None
    return {"code": found.code, "final_head": found.final_head, "chain_size": found.chain_size}


def collect(session: Session, *, now: datetime) -> dict[str, Any]:
    """Everything the site's sessions did, as the results file's body."""
    held = state(session)
    if held is None:
        raise Refusal("sites.no_package", 409)
    sessions = []
    for exam in session.scalars(select(ExamSession).order_by(ExamSession.id)):
        items = session.scalars(
            select(SessionItem).where(SessionItem.session_id == exam.id).order_by(SessionItem.position)
        ).all()
        answers = session.execute(
            select(SessionItem.position, Answer).join(Answer.session_item).where(SessionItem.session_id == exam.id)
        ).all()
        events = session.scalars(
            select(IntegrityEvent).where(IntegrityEvent.session_id == exam.id).order_by(IntegrityEvent.id)
        ).all()
        sessions.append(
            {
                "session_id": exam.id,
                "registration_number": exam.registration_number,
                "client_id": exam.active_client_id,
                **{name: json_value(getattr(exam, name)) for name in SESSION_FIELDS},
                "items": [
                    {
                        "position": si.position,
                        "section_id": si.section_id,
                        "item_id": si.item_id,
                        "version_id": si.version_id,
                        "option_order": si.option_order,
                    }
                    for si in items
                ],
                "answers": [
                    {
                        "position": position,
                        "response": answer.response,
                        "is_flagged": answer.is_flagged,
                        "client_id": answer.client_id,
                        "client_seq": answer.client_seq,
                        "saved_at": json_value(answer.saved_at),
                        "client_answered_at": answer.client_answered_at,
                        "change_count": answer.change_count,
                    }
                    for position, answer in answers
                ],
                "events": [{name: json_value(getattr(e, name)) for name in _EVENT_FIELDS} for e in events],
                "chain": chains.session_bundle(session, exam.id),
                "receipt": _receipt(session, exam.id),
            }
        )
    return {
        "package_id": held.package_id,
        "site_code": held.site_code,
        "written_at": now.isoformat(),
        "sessions": sessions,
    }


def signed_results(session: Session, *, now: datetime) -> tuple[dict[str, Any], bytes]:
    """The results file's body and its bytes signed with the site's key (one collection of it)."""
    body = collect(session, now=now)
    held = state(session)
    assert held is not None, "collect() refused a site without a package"
    return body, sealing.envelope(sealing.RESULTS_FORMAT, body, sealing.load_private(held.site_private_key_pem))


def write_results(session: Session, out: Path, *, now: datetime) -> dict[str, Any]:
    """Write the results file signed with the site's key; returns its body."""
    body, data = signed_results(session, now=now)
    sealing.write_atomically(out, data)
    return body


# ---------------------------------------------------------------------------------------- at the centre


@dataclass
class Received:
    """What a results file did at the centre."""

    package: SitePackage
    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)
    #: Sessions still running on the site when it wrote the file: a later file brings them.
    running: list[str] = field(default_factory=list)
    #: Sessions that also ran at the centre: flagged, not merged.
    flagged: list[str] = field(default_factory=list)
    #: (registration number, problem code, chain position or None, detail) when the file was refused.
    problems: list[tuple[str, str, int | None, dict]] = field(default_factory=list)


def package_key(session: Session):
    """For :func:`sealing.read_signed_by`: the key of the package a signed file names (its site's),
    and the package found, in the dict returned with it."""
    found: dict[str, SitePackage] = {}

    def key_for(body: dict[str, Any]) -> bytes | None:
        package_id = body.get("package_id")
        package = (
            session.scalar(select(SitePackage).where(SitePackage.package_id == package_id))
            if isinstance(package_id, str)
            else None
        )
        if package is None:
            return None
        found["package"] = package
        return package.site_public_key_pem.encode("ascii")

    return key_for, found


def _problems_of(entry: dict[str, Any], roster: dict[int, str]) -> list[tuple[str, str, int | None, dict]]:
    session_id = entry.get("session_id")
    name = str(entry.get("registration_number") or session_id)
    if not isinstance(session_id, int) or session_id not in roster:
        return [(name, "not_in_roster", None, {})]
    if roster[session_id] != entry.get("registration_number"):
        return [(name, "registration_number_differs", None, {"expected": roster[session_id]})]
    bundle = entry.get("chain")
    found = [(name, p.code, p.position, p.detail) for p in chains.verify_bundle(bundle, session_id)]
    if not found:
        answers = [{**row, "client_seq": row.get("client_seq")} for row in entry.get("answers") or []]
        found = [(name, p.code, p.position, p.detail) for p in chains.compare_answers(bundle, answers)]
    if not found and not _receipt_in_chain(entry.get("receipt"), bundle):
        found = [(name, "receipt_not_in_chain", None, {})]
    return found


def _receipt_in_chain(receipt: Any, bundle: Any) -> bool:
    """Whether the candidate's receipt names an entry of the verified chain (no receipt: yes)."""
    if receipt is None:
        return True
    if not isinstance(receipt, dict):
        return False
    size, head, code = receipt.get("chain_size"), receipt.get("final_head"), receipt.get("code")
    entries = bundle.get("entries") if isinstance(bundle, dict) else None
    entries = entries if isinstance(entries, list) else []
    if not isinstance(size, int) or not 1 <= size <= len(entries) or not isinstance(head, str):
        return False
    return entries[size - 1].get("entry_hash") == head and code == receipts.receipt_code(head)


def _site_import_head(session: Session, session_id: int) -> str | None:
    entry = session.scalar(
        select(LogEntry).where(LogEntry.chain_id == session_id, LogEntry.record_type == SITE_IMPORT).limit(1)
    )
    return None if entry is None or entry.payload is None else entry.payload.get("site_chain_head")


def _chain_facts(bundle: dict[str, Any]) -> dict[str, Any]:
    entries = bundle.get("entries") or []
    checkpoints = bundle.get("checkpoints") or []
    return {
        "site_chain_size": len(entries),
        "site_chain_head": entries[-1]["entry_hash"] if entries else None,
        "site_checkpoint_root": checkpoints[-1]["root_hash"] if checkpoints else None,
    }


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _take(session: Session, exam: ExamSession, entry: dict[str, Any], package: SitePackage, now: datetime) -> None:
    """Write one verified ended session into the centre's tables, chain its import, end and score it."""
    exam.status = "in_progress"
    exam.started_at = _time(entry["started_at"])
    exam.deadline_at = _time(entry["deadline_at"])
    exam.authorised_at = _time(entry.get("authorised_at"))
    exam.credited_seconds = int(entry.get("credited_seconds") or 0)
    exam.active_client_id = entry.get("client_id")
    session.flush()
    ids = {}
    for item in entry["items"]:
        row = SessionItem(
            session_id=exam.id, **{k: item[k] for k in ("position", "section_id", "item_id", "version_id")}
        )
        row.option_order = item["option_order"]
        session.add(row)
        session.flush()
        ids[item["position"]] = row.id
    for answer in entry["answers"]:
        values = {k: answer[k] for k in ("response", "is_flagged", "client_id", "client_seq", "change_count")}
        session.execute(
            insert(Answer),
            [
                {
                    **values,
                    "session_item_id": ids[answer["position"]],
                    "saved_at": _time(answer["saved_at"]),
                    "client_answered_at": answer.get("client_answered_at"),
                }
            ],
        )
    events = [
        IntegrityEvent(session_id=exam.id, **{k: event[k] for k in _EVENT_FIELDS if k != "received_at"},
                       received_at=_time(event["received_at"]))
        for event in entry["events"]
    ]  # fmt: skip
    session.add_all(events)
    payload = {
        "type": SITE_IMPORT,
        "session_id": exam.id,
        "package_id": package.package_id,
        "site_code": package.site.code,
        "answers": len(entry["answers"]),
        "events": len(entry["events"]),
        "imported_at": now.isoformat(),
        **_chain_facts(entry["chain"]),
    }
    receipt = entry.get("receipt")
    if receipt is not None:
        payload["site_receipt"] = receipt["code"]
        session.add(
            SiteReceipt(
                session_id=exam.id,
                package_id=package.id,
                code=receipt["code"],
                final_head=receipt["final_head"],
                chain_size=receipt["chain_size"],
                imported_at=now,
            )
        )
    chain.append(session, exam.id, SITE_IMPORT, None, payload)
    for event in events:  # the centre's chain holds each event again, after the import that vouches for it
        chain.append_row(session, exam.id, "event", event)
    session.expire(exam, ["items"])
    # Ended and scored as of the site's end (the result's time is that moment: the import's own time
    # is in the site_import record), by the centre's code on the bank's current parameters.
    end(session, exam, now=_time(entry["ended_at"]) or now, reason=entry.get("end_reason") or "deadline")


def receive_results(session: Session, raw: bytes, *, now: datetime) -> Received:
    """Verify a site's results file and import it (see the module's docstring). A refused file
    raises :class:`Refusal` (``sites.<code>``) when it cannot be read or its signature fails, and
    otherwise returns its problems in :attr:`Received.problems` with nothing imported (the package
    records them). The caller commits."""
    key_for, found = package_key(session)
    try:
        body = sealing.read_signed_by(raw, sealing.RESULTS_FORMAT, key_for)
    except sealing.SealError as error:
        if error.code == "signature_invalid" and "package" not in found:
            raise Refusal("sites.results_package_unknown", 422) from error
        raise refusal(error) from error
    package = found["package"]
    received = Received(package=package)
    roster: dict[int, str] = dict(
        session.execute(
            select(SiteRosterEntry.session_id, ExamSession.registration_number)
            .join(ExamSession, ExamSession.id == SiteRosterEntry.session_id)
            .where(SiteRosterEntry.package_id == package.id)
        )
        .tuples()
        .all()
    )
    entries = body.get("sessions")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise Refusal("sites.not_a_package", 422)
    for entry in entries:
        received.problems += _problems_of(entry, roster)
    package.results_received_at = now
    if received.problems:
        package.results_problems = [list(p[:3]) for p in received.problems]
        return received
    for entry in entries:
        exam = session.get(ExamSession, entry["session_id"])
        assert exam is not None, "a roster session exists"
        name = exam.registration_number
        head = _chain_facts(entry["chain"])["site_chain_head"]
        if entry["status"] == "scheduled":
            received.not_started.append(name)
        elif entry["status"] not in ENDED:
            received.running.append(name)
        elif (taken := _site_import_head(session, exam.id)) is not None:
            if taken != head:
                received.problems.append((name, "imported_differently", None, {}))
            else:
                received.unchanged.append(name)
        elif exam.status != "scheduled" or session.scalar(
            select(func.count()).select_from(SessionItem).where(SessionItem.session_id == exam.id)
        ):
            integrity.server_event(session, exam, "site_duplicate", package=package.package_id, site=package.site.code)
            received.flagged.append(name)
        else:
            _take(session, exam, entry, package, now)
            received.imported.append(name)
    if received.problems:
        session.rollback()
        package = session.get(SitePackage, package.id)
        assert package is not None
        received.package = package
        package.results_received_at = now
        package.results_problems = [list(p[:3]) for p in received.problems]
        return received
    package.results_verified_at = now
    package.results_problems = None
    return received


def upload_name(body: dict[str, Any]) -> str:
    """A results file's suggested name: site, package and time."""
    moment = body["written_at"][:16].replace(":", "").replace("-", "")
    return f"hasil-{body['site_code']}-{body['package_id'][:8]}-{moment}.json.gz"
