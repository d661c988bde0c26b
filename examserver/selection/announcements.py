"""Announcements: the canonical CSV of a stage's result, its digest and signature, corrections."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from examserver.accounts.services import full_names
from examserver.labels import label
from examserver.numbers import ANNOUNCED_DECIMALS, EXPORTED, format_decimals, telling_decimals
from examserver.proctor.messages import standing_note
from examserver.selection import signing
from examserver.selection.models import STAGE_KINDS, Announcement, Application, SelectionPeriod
from examserver.selection.ranking import Ranking, period_sessions
from examserver.selection.services import MIN_REASON
from examserver.spreadsheet import inert_cell
from itembank.database import utcnow
from itembank.refusal import Refusal
from proctoring import receipts
from proctoring.models import Receipt
from proctoring.standing import Standing, State, standings

#: The documented check anyone can run with Python and the ``cryptography`` package.
VERIFY_COMMAND = (
    'python3 -c "import sys,base64;'
    "from cryptography.hazmat.primitives.serialization import load_pem_public_key as k;"
    "k(open(sys.argv[3],'rb').read()).verify(base64.b64decode(open(sys.argv[2],'rb').read()),"
    "open(sys.argv[1],'rb').read());print('OK')\" "
)


#: The status codes of the administrative announcement (its CSV is read by programs; its page reads
#: them through the "administrative_result" labels).
ADMINISTRATIVE_RESULTS = {"accepted": "MEMENUHI_SYARAT", "rejected": "TIDAK_MEMENUHI_SYARAT"}
#: The column names of the announcements' CSV, as programs read them.
COLUMNS = (
    "nomor_peserta", "nama", "formasi", "kategori", "total_skd", "nilai_skb", "nilai_akhir", "peringkat_skd",
    "peringkat_akhir", "status", "formasi_penempatan", "tanda_terima", "kepala_rantai",
)  # fmt: skip
#: Columns holding a position's code, which the page shows with the position's name.
POSITION_COLUMNS = frozenset({"formasi", "formasi_penempatan"})
#: Columns holding a 64-character hash, which the page wraps in even lines.
HASH_COLUMNS = frozenset({"kepala_rantai"})
#: The label kind of each CSV column holding codes, per stage ("administrative" or a ranking).
CODE_COLUMNS = {
    "administrative": {"kategori": "applicant_category", "status": "administrative_result"},
    "ranking": {"kategori": "applicant_category", "status": "selection_result"},
}


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def administrative_csv(session: Session, period: SelectionPeriod) -> tuple[str, list[int]]:
    """The administrative result: every submitted application, accepted or rejected."""
    applications = session.scalars(
        select(Application)
        .where(Application.period_id == period.id, Application.status.in_(("accepted", "rejected")))
        .order_by(Application.registration_number)
    ).all()
    names = full_names(session, [a.candidate_id for a in applications])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["nomor_peserta", "nama", "formasi", "kategori", "status"])
    for a in applications:
        status = ADMINISTRATIVE_RESULTS[a.status]
        name = inert_cell(names.get(a.candidate_id, ""))
        writer.writerow([a.registration_number, name, a.position.code, a.category, status])
    return out.getvalue(), []


def ranking_csv(ranking: Ranking, session: Session) -> tuple[str, list[int]]:
    """The result of the basic or final stage: scores, ranks and status per applicant, and the
    receipt and sealed chain head of each applicant's exam session, so the signature commits to the
    answers and results behind every row (``proctoring.receipts``)."""
    ids = [row.session_id for row in ranking.rows if row.session_id is not None]
    sealed = {r.session_id: r for r in session.scalars(select(Receipt).where(Receipt.session_id.in_(ids)))}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([
        "nomor_peserta", "nama", "formasi", "kategori", *ranking.section_names, "total_skd", "nilai_skb",
        "nilai_akhir", "peringkat_skd", "peringkat_akhir", "status", "formasi_penempatan", "tanda_terima",
        "kepala_rantai",
    ])  # fmt: skip
    sessions = []
    for row in ranking.rows:
        if row.status == "ADMIN_FAILED":
            continue
        writer.writerow([
            row.registration_number, inert_cell(row.name), row.position_code, row.category,
            *(_number(v) for v in row.sections), _number(row.basic_total), _number(row.field_score),
            _number(row.final_score), row.shortlist_rank or "", row.rank or "", row.status, row.appointed_code or "",
            *_sealed_columns(None if row.session_id is None else sealed.get(row.session_id)),
        ])  # fmt: skip
        if row.session_id is not None and row.status != "INVALIDATED":  # a voided score is not used
            sessions.append(row.session_id)
    return out.getvalue(), sorted(sessions)


def _sealed_columns(receipt: Receipt | None) -> tuple[str, str]:
    return ("", "") if receipt is None else (receipts.readable(receipt.code), receipt.final_head)


def header_line(announcement: Announcement, period: SelectionPeriod) -> str:
    """The signed first line of an announcement's CSV: which list this is (period, stage, id, time
    of publication, the announcement it replaces), so its signature vouches for nothing else."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([
        f"#pengumuman={announcement.id}", f"periode={inert_cell(period.code)}", f"tahap={announcement.stage}",
        f"diterbitkan={announcement.published_at.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"mengganti={announcement.replaces_id or ''}",
    ])  # fmt: skip
    return out.getvalue()


def table(csv_text: str) -> list[list[str]]:
    """The rows of an announcement's CSV below its signed header line (column names first)."""
    rows = list(csv.reader(io.StringIO(csv_text)))
    return rows[1:] if rows and rows[0] and rows[0][0].startswith("#pengumuman=") else rows


def readable_table(
    csv_text: str, stage: str, positions: Mapping[str, str] | None = None
) -> tuple[list[str], list[list[str]]]:
    """An announcement's rows as people read them: column names and codes as labels, a position
    as its name with its code ("Analis SDM (ANALIS-SDM)", as the vacancy page names it; ``positions``
    maps codes to names), scores in the reader's notation (:func:`readable_scores`). The CSV itself
    stays as signed; section columns (TWK, TIU, TKP) keep their names."""
    header, *rows = table(csv_text)
    kinds = CODE_COLUMNS["administrative" if stage == "administrative" else "ranking"]
    columns = [kinds.get(name) for name in header]
    named = {i for i, name in enumerate(header) if name in POSITION_COLUMNS}
    readable = [label("announcement_column", name) if name in COLUMNS else name for name in header]
    return readable, readable_scores(
        [
            [
                _position(v, positions or {}) if i in named and v else label(kind, v) if kind and v else v
                for i, (kind, v) in enumerate(zip(columns, row, strict=True))
            ]
            for row in rows
        ]
    )


def _position(code: str, positions: Mapping[str, str]) -> str:
    return f"{positions[code]} ({code})" if code in positions else code


def readable_scores(rows: list[list[str]]) -> list[list[str]]:
    """The scores of an announcement's rows (its decimal cells) as people read them: at the score
    precision (two decimals), except a column where two different scores would read the same at it,
    which keeps up to the decimals the CSV signs (:func:`~examserver.numbers.telling_decimals`, the
    committee's ranking page follows the same rule), so the ranks beside them stay explained."""
    places = [
        telling_decimals((float(cell) for cell in column if EXPORTED.fullmatch(cell)), most=ANNOUNCED_DECIMALS)
        for column in zip(*rows, strict=True)
    ]
    return [
        [
            format_decimals(float(cell), p) if EXPORTED.fullmatch(cell) else cell
            for p, cell in zip(places, row, strict=True)
        ]
        for row in rows
    ]


def digest(text: str) -> str:
    """SHA-256 (hex) of the CSV's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def publish(
    session: Session,
    period: SelectionPeriod,
    *,
    stage: str,
    title: str,
    csv_text: str,
    session_ids: list[int],
    member_id: int,
    replaces: Announcement | None = None,
    correction_reason: str | None = None,
) -> Announcement:
    """Sign and store an announcement; a correction names the one it replaces and why."""
    if stage not in STAGE_KINDS:
        raise Refusal("selection.stage_unknown")
    if csv_text.count("\n") < 2:
        raise Refusal("selection.announcement_empty")
    reason = (correction_reason or "").strip() or None
    if replaces is not None:
        if replaces.period_id != period.id or replaces.stage != stage:
            raise Refusal("selection.correction_mismatch")
        if session.scalar(select(Announcement.id).where(Announcement.replaces_id == replaces.id)) is not None:
            raise Refusal("selection.already_replaced")
        if reason is None or len(reason) < MIN_REASON:
            raise Refusal("selection.correction_reason_required")
    elif reason is not None:
        raise Refusal("selection.correction_mismatch")
    under_review = [m for m in standings(session, session_ids).values() if m.blocks_publication]
    if under_review:
        raise Refusal("selection.sessions_under_review", n=len(under_review))
    announcement = Announcement(
        period_id=period.id,
        stage=stage,
        title=title.strip(),
        csv_text="",
        sha256="",
        signature="",
        key_fingerprint=signing.fingerprint(),
        session_ids=session_ids,
        replaces_id=replaces.id if replaces is not None else None,
        correction_reason=reason if replaces is not None else None,
        published_by_id=member_id,
        published_at=utcnow(),
    )
    session.add(announcement)
    session.flush()
    signed = header_line(announcement, period) + csv_text
    values = {"csv_text": signed, "sha256": digest(signed), "signature": signing.sign(signed.encode("utf-8"))}
    # The id exists only once the row is inserted: the row is completed here, in the same transaction,
    # before anyone can read it (a Core update, since the ORM refuses any change of an announcement).
    session.execute(update(Announcement).where(Announcement.id == announcement.id).values(**values))
    for key, value in values.items():
        set_committed_value(announcement, key, value)
    return announcement


def replacement_of(session: Session, announcement: Announcement) -> Announcement | None:
    """The correction that replaced ``announcement``, if any."""
    return session.scalar(select(Announcement).where(Announcement.replaces_id == announcement.id))


# --------------------------------------------------------------------------- standings after publication


@dataclass(frozen=True)
class AffectedSession:
    """A session whose standing changed the list after it was published."""

    registration_number: str
    standing: Standing


def affected_sessions(session: Session, announcement: Announcement) -> list[AffectedSession]:
    """The sessions that make a published (and not yet corrected) list wrong today.

    A list uses the sessions in ``session_ids`` (an invalidated one is left out when it is
    published). It is affected by a session it used that no longer counts (invalidated since),
    and by an applicant's session that was invalidated when it was published and has since been
    restored on appeal. Computed from the standings (``proctoring.standing``), so an upheld
    appeal clears the mark again; the announcement row itself never changes.
    """
    period = announcement.period
    if announcement.stage not in ("basic", "final") or period.schedule_id is None:
        return []
    if replacement_of(session, announcement) is not None:
        return []
    number_of = period_sessions(session, period.id)
    used = {int(i) for i in announcement.session_ids or ()}
    published = announcement.published_at
    out = []
    for session_id, standing in standings(session, used | set(number_of)).items():
        voided = session_id in used and not standing.counts
        restored = False
        if session_id not in used and session_id in number_of and standing.state is State.RESTORED:
            # A restored session's decision is an invalidation that was confirmed, then lifted at ``since``.
            decision, lifted_at = standing.decision, standing.since
            assert decision is not None and decision.confirmed_at is not None and lifted_at is not None
            restored = decision.confirmed_at <= published < lifted_at
        if voided or restored:
            out.append(AffectedSession(number_of.get(session_id, str(session_id)), standing))
    return sorted(out, key=lambda a: a.registration_number)


def correction_reason_for(affected: list[AffectedSession]) -> str:
    """A prepared correction reason naming each affected applicant and what happened (the committee may edit it)."""
    return "; ".join(f"{a.registration_number}: {standing_note(a.standing, public=True)}" for a in affected) + "."
