"""The centre's export of one sitting for one test site (docs/operations/test-sites.md).

The package carries the rows the site's copy of the application reads to run the sitting, with the
centre's primary keys, and nothing more:

* the schedule, its blueprint and sections, and for a fixed-form sitting every published form (a
  session takes ``forms[session id % number of forms]``, so the site needs the same list);
* the items the sitting can show (the forms' pinned versions, or every section's pool at its
  current version for random and adaptive sittings), their current parameters and calibration
  runs, their competencies with every ancestor (the pool walks down from a section's competency),
  and their images; the item versions' stem, options and answer key and the images' bytes are
  **sealed** (:mod:`examserver.sites.sealing`) and the rows carry empty placeholders;
* the assigned candidates' sessions and user rows, and the site's proctors, without password
  hashes, NIK or telephone numbers: they sign in at the site with a PIN whose hash the package
  holds; staff the rows name (authors, the schedule's creator) travel as disabled stubs with no
  personal data, only so the site's foreign keys hold.

Before writing, every foreign key of every exported row is checked against the rows exported, so
a package the site could not import is never written (a :class:`~itembank.refusal.Refusal` ``sites.export_incomplete``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from examserver.accounts.models import User
from examserver.accounts.passwords import hash_password
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.extensions import db
from examserver.sites import sealing
from examserver.sites.models import SitePackage, SiteProctor, SiteRosterEntry, TestSite
from itembank.blueprints import blueprint_pool_entries
from itembank.models import Competency, ItemParameter, ItemVersionAsset, TestFormItem
from itembank.refusal import Refusal
from proctoring.chain import canonical_bytes

#: How long after the sitting closes a package may still be imported (a site set up the evening
#: before a morning sitting needs it until the close; a day more covers the upload afterwards).
VALID_AFTER_CLOSE = timedelta(days=1)
#: Digits of the exam PIN printed on a candidate's card and of a proctor's site PIN.
PIN_DIGITS = 8
#: Placeholders of the sealed columns until the release fills them.
SEALED_COLUMNS: dict[str, dict[str, Any]] = {
    "item_version": {"stem": "", "options": [], "answer": {}},
    "item_asset": {"data": b""},
}
#: What a user row keeps on a site; the rest is blanked (no password hash, NIK or telephone).
UNUSABLE_PASSWORD = "!site"


@dataclass
class Exported:
    """What an export made: the registry row, the file, and the PINs to print (never stored)."""

    package: SitePackage
    path: Path
    #: (registration number, candidate name, exam PIN), in registration-number order.
    candidate_pins: list[tuple[str, str, str]] = field(default_factory=list)
    #: (e-mail, proctor name, site PIN).
    proctor_pins: list[tuple[str, str, str]] = field(default_factory=list)
    #: The site key's code, which the head proctor types at the import (printed with the PINs).
    site_secret: str = ""


# ---------------------------------------------------------------------------------------- rows


def json_value(value: Any) -> Any:
    """A column value as JSON: times in ISO 8601 (UTC), bytes in base64."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


class _Rows:
    """The rows of the package by table, keyed by primary key, in the metadata's dependency order."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.tables: dict[str, dict[tuple, dict[str, Any]]] = {}

    def add(self, table: Table, rows: Iterable[dict[str, Any]]) -> None:
        kept = self.tables.setdefault(table.name, {})
        key = [column.name for column in table.primary_key.columns]
        for row in rows:
            kept[tuple(row[name] for name in key)] = dict(row)

    def load(self, table: Table, where: Any) -> list[dict[str, Any]]:
        rows = [dict(row) for row in self.session.execute(select(table).where(where)).mappings()]
        self.add(table, rows)
        return rows

    def ids(self, name: str) -> set[Any]:
        return {key[0] for key in self.tables.get(name, {})}

    def missing_references(self) -> list[str]:
        """Every foreign key value of an exported row that names no exported row, as text."""
        missing = []
        for name, rows in self.tables.items():
            table = db.metadata.tables[name]
            for fk in table.foreign_keys:
                target = fk.column.table.name
                present = self.ids(target)
                for row in rows.values():
                    value = row.get(fk.parent.name)
                    if value is not None and value not in present:
                        missing.append(f"{name}.{fk.parent.name}={value} -> {target}")
        return sorted(set(missing))

    def ordered(self) -> list[dict[str, Any]]:
        """``[{"table": name, "rows": [...]}]`` parents first, each value JSON-able."""
        out = []
        for table in db.metadata.sorted_tables:
            rows = self.tables.get(table.name)
            if rows:
                out.append(
                    {
                        "table": table.name,
                        "rows": [{k: json_value(v) for k, v in row.items()} for _, row in sorted(rows.items())],
                    }
                )
        return out


def _competencies_with_ancestors(session: Session, ids: set[int]) -> set[int]:
    found: set[int] = set()
    frontier = set(ids)
    while frontier:
        found |= frontier
        parents = session.scalars(
            select(Competency.parent_id).where(Competency.id.in_(frontier), Competency.parent_id.is_not(None))
        ).all()
        frontier = {p for p in parents if p is not None} - found
    return found


def _item_versions(session: Session, schedule: ExamSchedule) -> tuple[set[int], set[int], set[int]]:
    """The items and versions the sitting can show, and the published forms (fixed sittings)."""
    blueprint = schedule.blueprint
    if blueprint.delivery_mode == "fixed":
        forms = {form.id for form in blueprint.forms if form.status == "published"}
        if not forms:
            raise Refusal("sites.no_published_form", schedule=schedule.code)
        pairs = session.execute(
            select(TestFormItem.item_id, TestFormItem.version_id).where(TestFormItem.form_id.in_(forms))
        ).all()
        return {p[0] for p in pairs}, {p[1] for p in pairs}, forms
    pools = blueprint_pool_entries(session, blueprint.id)
    entries = [entry for pool in pools.values() for entry in pool]
    return {e.item_id for e in entries}, {e.version_id for e in entries}, set()


def _stub(row: dict[str, Any]) -> dict[str, Any]:
    """A staff user the rows name, as a disabled row with no personal data."""
    return {
        **row,
        "email": f"staf-{row['id']}@pusat.invalid",
        "full_name": "Staf pusat",
        "password_hash": UNUSABLE_PASSWORD,
        "is_disabled": True,
        "nik": None,
        "phone": None,
        "last_login_at": None,
    }


def _person(row: dict[str, Any]) -> dict[str, Any]:
    """A candidate or proctor as the site keeps them: name, e-mail and language, no password hash."""
    return {**row, "password_hash": UNUSABLE_PASSWORD, "nik": None, "phone": None, "last_login_at": None}


# ---------------------------------------------------------------------------------------- the export


def _pick_sessions(
    session: Session, schedule: ExamSchedule, site: TestSite, registration_numbers: list[str] | None, seats: int | None
) -> list[ExamSession]:
    """The sessions the site gets: the registration numbers given (each must not have started), or
    the next ``seats`` sessions of the sitting that have not started and no live package assigns."""
    elsewhere = set(
        session.scalars(
            select(SiteRosterEntry.session_id)
            .join(SitePackage)
            .where(
                SitePackage.schedule_id == schedule.id,
                SitePackage.superseded_at.is_(None),
                SitePackage.site_id != site.id,
            )
        )
    )
    query = select(ExamSession).where(ExamSession.schedule_id == schedule.id).order_by(ExamSession.registration_number)
    if registration_numbers is not None:
        wanted = [number.strip().upper() for number in registration_numbers if number.strip()]
        found = {
            exam.registration_number: exam
            for exam in session.scalars(query.where(ExamSession.registration_number.in_(wanted)))
        }
        unknown = [number for number in wanted if number not in found]
        if unknown:
            raise Refusal("sites.candidates_unknown", numbers=", ".join(unknown[:10]), count=len(unknown))
        chosen = [found[number] for number in dict.fromkeys(wanted)]
    else:
        free = query.where(ExamSession.status == "scheduled")  # seats go to those who have not started
        chosen = [exam for exam in session.scalars(free) if exam.id not in elsewhere][: seats or 0]
    if not chosen:
        raise Refusal("sites.no_candidates", schedule=schedule.code)
    taken = [exam.registration_number for exam in chosen if exam.id in elsewhere]
    if taken:
        raise Refusal("sites.candidates_elsewhere", numbers=", ".join(taken[:10]), count=len(taken))
    started = [exam.registration_number for exam in chosen if exam.status != "scheduled"]
    if started:
        raise Refusal("sites.candidates_started", numbers=", ".join(started[:10]), count=len(started))
    return chosen


def _proctors(session: Session, emails: list[str]) -> list[User]:
    wanted = [email.strip().lower() for email in emails if email.strip()]
    if not wanted:
        raise Refusal("sites.no_proctor")
    users = {user.email.lower(): user for user in session.scalars(select(User).where(User.email.in_(wanted)))}
    wrong = [email for email in wanted if email not in users or users[email].role != "proctor"]
    if wrong:
        raise Refusal("sites.not_proctors", emails=", ".join(wrong))
    return [users[email] for email in dict.fromkeys(wanted)]


def _pin() -> str:
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def _sealed_rows(
    session: Session,
    schedule: ExamSchedule,
    exams: list[ExamSession],
    proctors: list[User],
    package_id: str,
    key: bytes,
) -> tuple[_Rows, list[dict[str, Any]]]:
    """The package's rows (see the module's docstring), every foreign key checked, with the sealed
    columns replaced by placeholders, and their ciphertexts under ``key``."""
    rows = _Rows(session)
    tables = db.metadata.tables

    rows.load(tables["exam_schedule"], tables["exam_schedule"].c.id == schedule.id)
    rows.load(tables["test_blueprint"], tables["test_blueprint"].c.id == schedule.blueprint_id)
    sections = rows.load(
        tables["blueprint_section"], tables["blueprint_section"].c.blueprint_id == schedule.blueprint_id
    )
    item_ids, version_ids, form_ids = _item_versions(session, schedule)
    if form_ids:
        rows.load(tables["test_form"], tables["test_form"].c.id.in_(form_ids))
        rows.load(tables["test_form_item"], tables["test_form_item"].c.form_id.in_(form_ids))
    items = rows.load(tables["item"], tables["item"].c.id.in_(item_ids))
    versions = rows.load(tables["item_version"], tables["item_version"].c.id.in_(version_ids))
    parameters = rows.load(
        tables["item_parameter"], tables["item_parameter"].c.item_id.in_(item_ids) & ItemParameter.is_current
    )
    rows.load(tables["calibration_run"], tables["calibration_run"].c.id.in_({p["run_id"] for p in parameters}))
    links = rows.load(tables["item_version_asset"], ItemVersionAsset.version_id.in_(version_ids))
    assets = rows.load(tables["item_asset"], tables["item_asset"].c.id.in_({link["asset_id"] for link in links}))
    competencies = {row["competency_id"] for row in items} | {row["competency_id"] for row in sections}
    rows.load(tables["competency"], tables["competency"].c.id.in_(_competencies_with_ancestors(session, competencies)))
    rows.load(tables["exam_session"], tables["exam_session"].c.id.in_([exam.id for exam in exams]))
    rows.add(tables["schedule_proctor"], [{"schedule_id": schedule.id, "proctor_id": p.id} for p in proctors])

    people = {exam.candidate_id for exam in exams} | {p.id for p in proctors}
    named = {
        row[fk.parent.name]
        for name, kept in rows.tables.items()
        for fk in tables[name].foreign_keys
        if fk.column.table.name == "user"
        for row in kept.values()
        if row.get(fk.parent.name) is not None
    }
    user = tables["user"]
    for found in session.execute(select(user).where(user.c.id.in_(people | named))).mappings():
        rows.add(user, [_person(dict(found)) if found["id"] in people else _stub(dict(found))])

    missing = rows.missing_references()
    if missing:
        raise Refusal("sites.export_incomplete", references="; ".join(missing[:10]), count=len(missing))

    sealed = []
    for table_name, kept in (("item_version", versions), ("item_asset", assets)):
        placeholders = SEALED_COLUMNS[table_name]
        for row in kept:
            content = {column: json_value(row[column]) for column in placeholders}
            aad = f"{package_id}|{table_name}|{row['id']}".encode()
            sealed.append({"table": table_name, "id": row["id"], **sealing.seal(key, aad, canonical_bytes(content))})
            rows.tables[table_name][(row["id"],)].update(placeholders)
    return rows, sealed


def export_package(
    session: Session,
    *,
    schedule_code: str,
    site_code: str,
    out: Path,
    signing_key: Ed25519PrivateKey,
    now: datetime,
    proctor_emails: list[str],
    registration_numbers: list[str] | None = None,
    seats: int | None = None,
    actor_id: int | None = None,
) -> Exported:
    """Write the package of sitting ``schedule_code`` for site ``site_code`` to ``out`` and record
    it (superseding the site's earlier package of the sitting). The caller commits."""
    schedule = session.scalar(select(ExamSchedule).where(ExamSchedule.code == schedule_code.strip().upper()))
    if schedule is None:
        raise Refusal("sites.schedule_unknown", code=schedule_code)
    site = session.scalar(select(TestSite).where(TestSite.code == site_code.strip().upper()))
    if site is None:
        raise Refusal("sites.site_unknown", code=site_code)
    if schedule.closes_at <= now:
        raise Refusal("sites.schedule_closed", code=schedule.code)
    exams = _pick_sessions(session, schedule, site, registration_numbers, seats)
    proctors = _proctors(session, proctor_emails)

    package_id = secrets.token_hex(16)
    seal, key = sealing.new_seal(package_id)
    site_private, site_public = sealing.new_site_key()
    # The site's signing key travels sealed under a second code, printed for the head proctor and
    # never published: a copy of the package taken on the way cannot sign results for the site.
    secret_seal, secret_key = sealing.new_seal(f"{package_id}|site-key")
    sealed_site_key = sealing.seal(secret_key, f"{package_id}|site-key".encode(), site_private)
    rows, sealed = _sealed_rows(session, schedule, exams, proctors, package_id, key)

    candidate_pins = {exam.id: _pin() for exam in exams}
    proctor_pins = {proctor.id: _pin() for proctor in proctors}
    roster_hashes = {exam_id: hash_password(pin) for exam_id, pin in candidate_pins.items()}
    proctor_hashes = {user_id: hash_password(pin) for user_id, pin in proctor_pins.items()}
    expires_at = schedule.closes_at + VALID_AFTER_CLOSE
    manifest: dict[str, Any] = {
        "package_id": package_id,
        "created_at": now.isoformat(),
        "expires_at": expires_at.isoformat(),
        "site": {"code": site.code, "name": site.name},
        "schedule": {"id": schedule.id, "code": schedule.code},
        "rows": rows.ordered(),
        "sealed": sealed,
        "seal": {"share": base64.b64encode(seal.share).decode("ascii"), "check": seal.check},
        "roster": [{"session_id": exam.id, "pin_hash": roster_hashes[exam.id]} for exam in exams],
        "proctors": [{"user_id": p.id, "pin_hash": proctor_hashes[p.id]} for p in proctors],
        "site_key": {
            "public_pem": site_public.decode("ascii"),
            "share": base64.b64encode(secret_seal.share).decode("ascii"),
            "check": secret_seal.check,
            **sealed_site_key,
        },
    }
    sealing.write_package(out, manifest, signing_key)

    for earlier in session.scalars(
        select(SitePackage).where(
            SitePackage.site_id == site.id,
            SitePackage.schedule_id == schedule.id,
            SitePackage.superseded_at.is_(None),
        )
    ):
        earlier.superseded_at = now
    package = SitePackage(
        package_id=package_id,
        site=site,
        schedule=schedule,
        created_by_id=actor_id,
        created_at=now,
        expires_at=expires_at,
        sha256=hashlib.sha256(out.read_bytes()).hexdigest(),
        release_code=seal.code,
        site_public_key_pem=site_public.decode("ascii"),
    )
    session.add(package)
    session.flush()
    session.add_all(SiteRosterEntry(package_id=package.id, session_id=i, pin_hash=h) for i, h in roster_hashes.items())
    session.add_all(SiteProctor(package_id=package.id, user_id=i, pin_hash=h) for i, h in proctor_hashes.items())
    candidates = [exam.candidate_id for exam in exams]
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(candidates))).tuples().all())
    return Exported(
        package=package,
        path=out,
        candidate_pins=[
            (exam.registration_number, names[exam.candidate_id], candidate_pins[exam.id]) for exam in exams
        ],
        proctor_pins=[(p.email, p.full_name, proctor_pins[p.id]) for p in proctors],
        site_secret=secret_seal.code,
    )
