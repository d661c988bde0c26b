"""On a site server: import the centre's package, and release its sealed content at the start
(docs/operations/test-sites.md).

The import verifies the package (the centre's signature, this site, in date: :mod:`sealing`),
checks the site's clock against the centre's, and writes the package's rows with the centre's
primary keys into the site's empty database; the sealed columns stay placeholders and their
ciphertexts go to ``site_sealed``. Candidates and proctors sign in with the PINs printed for them
(their password hash on the site is the PIN's hash). Importing the same package again changes
nothing.

The release derives the content key from the package's share and the code the centre publishes at
the start, opens every ciphertext and writes the content into its row. Until then a start is
refused (:func:`require_released`).
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, DateTime, LargeBinary, Table, func, insert, select, text, update
from sqlalchemy.orm import Session

from examserver.extensions import db
from examserver.sites import sealing
from examserver.sites.export import SEALED_COLUMNS
from examserver.sites.models import SiteSealed, SiteState
from itembank.refusal import Refusal

#: The tables a package may write, and nothing else (the signature says the centre made it; this
#: says the centre made it for what a site runs).
PACKAGE_TABLES = frozenset(
    {
        "user",
        "competency",
        "calibration_run",
        "test_blueprint",
        "blueprint_section",
        "item",
        "item_version",
        "item_asset",
        "item_version_asset",
        "item_parameter",
        "test_form",
        "test_form_item",
        "exam_schedule",
        "exam_session",
        "schedule_proctor",
    }
)
#: Tables whose rows never change (item versions: ``itembank.models.immutable_row_ddl``) and the
#: tables whose rows name them: their rows are inserted at the release, whole, not filled in later.
AT_RELEASE = ("item_version", "item_version_asset", "test_form_item")
#: How far the site's clock may be behind the centre's at the import and the release: more, and
#: the deadlines the site computes would be wrong by as much.
CLOCK_TOLERANCE = timedelta(minutes=5)


def refusal(error: sealing.SealError) -> Refusal:
    """A sealing error as the app's one refusal (``sites.<code>``)."""
    return Refusal(f"sites.{error.code}", 422, **error.params)


def state(session: Session) -> SiteState | None:
    return session.scalar(select(SiteState))


def _decoder(table: Table, name: str):
    column = table.columns.get(name)
    if column is None:
        raise Refusal("sites.package_columns_unknown", 422, table=table.name, column=name)
    kind = getattr(column.type, "impl", column.type)
    if isinstance(kind, DateTime):
        return lambda value: datetime.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(kind, Date):
        return lambda value: date.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(kind, LargeBinary):
        return lambda value: base64.b64decode(value) if isinstance(value, str) else value
    return lambda value: value


def _rows(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = {name for row in rows for name in row}
    decoders = {name: _decoder(table, name) for name in names}
    return [{name: decoders[name](value) for name, value in row.items()} for row in rows]


def _clock_check(exported_at: datetime, now: datetime) -> None:
    behind = exported_at - now
    if behind > CLOCK_TOLERANCE:
        raise Refusal("sites.clock_behind", 409, minutes=round(behind.total_seconds() / 60))


def _reset_sequences(session: Session, tables: list[Table]) -> None:
    """PostgreSQL: move each table's id sequence past the ids the package wrote."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        if "id" in table.columns and table.columns["id"].autoincrement is not False:
            quoted = session.get_bind().dialect.identifier_preparer.quote(table.name)
            session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{quoted}', 'id'), (SELECT MAX(id) FROM {quoted}))")
            )


def _site_key(manifest: dict[str, Any], site_secret: str) -> str:
    """The site's signing key (PEM) opened with the code printed for the head proctor."""
    package_id, sealed = manifest["package_id"], manifest["site_key"]
    try:
        key = sealing.open_key(
            base64.b64decode(sealed["share"]), site_secret, f"{package_id}|site-key", sealed["check"]
        )
        return sealing.unseal(key, f"{package_id}|site-key".encode(), sealed).decode("ascii")
    except sealing.SealError as error:
        code = "site_secret_wrong" if error.code in ("code_wrong", "code_malformed") else error.code
        raise Refusal(f"sites.{code}", 422) from error


def install_package(
    session: Session, raw: bytes, *, centre_public_key_pem: bytes, site_code: str, site_secret: str, now: datetime
) -> tuple[SiteState, bool]:
    """Import the package in ``raw`` into this site's database, opening the site's signing key with
    ``site_secret`` (the code printed for the head proctor); returns the site's state and whether
    anything was written (False: this package was imported already). The caller commits."""
    try:
        manifest = sealing.read_package(raw, centre_public_key_pem, now=now, site_code=site_code)
    except sealing.SealError as error:
        raise refusal(error) from error
    exported_at = datetime.fromisoformat(manifest["created_at"])
    _clock_check(exported_at, now)
    held = state(session)
    if held is not None:
        if held.package_id == manifest["package_id"]:
            return held, False
        raise Refusal("sites.other_package", 409, package=held.package_id)
    tables = db.metadata.tables
    if session.scalar(select(func.count()).select_from(tables["user"])):
        raise Refusal("sites.database_not_empty", 409)
    site_private_key_pem = _site_key(manifest, site_secret)

    passwords = {}
    sessions = {}
    written: list[Table] = []
    sealed = {(s["table"], s["id"]): s for s in manifest["sealed"]}
    waiting: list[SiteSealed] = []
    for entry in manifest["rows"]:
        name = entry["table"]
        if name not in PACKAGE_TABLES:
            raise Refusal("sites.package_table_unknown", 422, table=name)
        table = tables[name]
        rows = _rows(table, entry["rows"])  # checks every column, also of the rows that wait
        if name == "exam_session":
            sessions = {row["id"]: row["candidate_id"] for row in rows}
        if name in AT_RELEASE:
            for row in entry["rows"]:
                secret = sealed.pop((name, row.get("id")), None) or {}
                waiting.append(
                    SiteSealed(
                        table_name=name,
                        row_id=row.get("id"),
                        row=row,
                        nonce=secret.get("nonce"),
                        data=secret.get("data"),
                    )
                )
        elif rows:
            session.execute(insert(table), rows)
            written.append(table)
    waiting += [
        SiteSealed(table_name=name, row_id=row_id, nonce=secret["nonce"], data=secret["data"])
        for (name, row_id), secret in sealed.items()
    ]
    for entry in manifest["roster"]:
        passwords[sessions[entry["session_id"]]] = entry["pin_hash"]
    for entry in manifest["proctors"]:
        passwords[entry["user_id"]] = entry["pin_hash"]
    user = tables["user"]
    for user_id, pin_hash in passwords.items():
        session.execute(update(user).where(user.c.id == user_id).values(password_hash=pin_hash))
    _reset_sequences(session, written)
    session.add_all(waiting)
    held = SiteState(
        package_id=manifest["package_id"],
        site_code=manifest["site"]["code"],
        schedule_id=manifest["schedule"]["id"],
        exported_at=exported_at,
        expires_at=datetime.fromisoformat(manifest["expires_at"]),
        seal_share=manifest["seal"]["share"],
        seal_check=manifest["seal"]["check"],
        site_private_key_pem=site_private_key_pem,
        imported_at=now,
    )
    session.add(held)
    session.flush()
    return held, True


def release(session: Session, code_text: str, *, now: datetime, actor_id: int | None = None) -> tuple[SiteState, int]:
    """Open the sealed content with the typed release code and write it into its rows; returns the
    state and how many rows were opened (0: released already). Nothing changes on a wrong code or
    on any ciphertext that does not open. The caller commits."""
    held = state(session)
    if held is None:
        raise Refusal("sites.no_package", 409)
    if held.released_at is not None:
        return held, 0
    _clock_check(held.exported_at, now)
    try:
        key = sealing.open_key(base64.b64decode(held.seal_share), code_text, held.package_id, held.seal_check)
    except sealing.SealError as error:
        raise refusal(error) from error
    tables = db.metadata.tables
    opened = 0
    inserts: dict[str, list[dict[str, Any]]] = {name: [] for name in AT_RELEASE}
    for waiting in session.scalars(select(SiteSealed).order_by(SiteSealed.id)):
        table = tables[waiting.table_name]
        content: dict[str, Any] = {}
        if waiting.nonce is not None and waiting.data is not None:
            aad = f"{held.package_id}|{waiting.table_name}|{waiting.row_id}".encode()
            try:
                content = json.loads(sealing.unseal(key, aad, {"nonce": waiting.nonce, "data": waiting.data}))
            except sealing.SealError as error:
                raise refusal(error) from error
            if set(content) != set(SEALED_COLUMNS[waiting.table_name]):
                raise Refusal("sites.content_altered", 422)
            opened += 1
        if waiting.row is not None:
            inserts[waiting.table_name].append(_rows(table, [{**waiting.row, **content}])[0])
        elif content:
            session.execute(update(table).where(table.c.id == waiting.row_id).values(**_rows(table, [content])[0]))
    for name in AT_RELEASE:  # parents first
        if inserts[name]:
            session.execute(insert(tables[name]), inserts[name])
    held.released_at = now
    held.released_by_id = actor_id
    return held, opened


#: The databases (by URL) whose content this process has seen released: released content is never
#: sealed again. Kept per database, not per process: one process may serve several (the tests do).
_released: set[str] = set()


def require_released(session: Session) -> None:
    """Refuse a start on a site whose content is still sealed (one read until it is released)."""
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    if database in _released:
        return
    held = state(session)
    if held is None or held.released_at is None:
        raise Refusal("sites.sealed", 409)
    _released.add(database)
