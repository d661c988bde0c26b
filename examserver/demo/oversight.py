"""Demo complaints on CPNS-DEMO-2026, in the states an inspectorate sees them.

* substantiated: a named report about a committee member, concluded with a warning to
  ``verifikator@demo.id`` proposed by ``inspektorat@demo.id`` and confirmed by ``inspektorat2@demo.id``;
* anonymous and still under investigation: about the sitting UJICOBA-2026-10, with a PDF as evidence
  and the session of kandidat3 linked for the inspector to read;
* received: a report nobody has assessed yet.

Each goes through the same services as the pages (so every step is on the tamper-evident log).
Idempotent: nothing happens when the period already has complaints.
"""

from __future__ import annotations

from sqlalchemy import select

from examserver.accounts.models import User
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.demo.finished import CODE as SITTING
from examserver.demo.selection import PERIOD, SECOND_MEMBER
from examserver.extensions import db
from examserver.oversight import services
from examserver.oversight.models import Complaint
from examserver.oversight.public_views import evidence_dir
from examserver.selection.models import SelectionPeriod
from examserver.wib import to_wib
from itembank.database import utcnow

INSPECTORS = ("inspektorat@demo.id", "inspektorat2@demo.id")
EVIDENCE = b"%PDF-1.4\n%demo bukti\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def seed_oversight() -> int:
    """Create the demo complaints; returns how many were created (0 when they existed or a part is missing)."""
    period = db.session.scalar(select(SelectionPeriod).where(SelectionPeriod.code == PERIOD))
    first, second = (_user(email) for email in INSPECTORS)
    member = _user(SECOND_MEMBER[0])
    sitting = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == SITTING))
    if period is None or sitting is None or first is None or second is None or member is None:
        return 0
    if db.session.scalar(select(Complaint.id).where(Complaint.period_id == period.id)) is not None:
        return 0
    folder = evidence_dir()
    substantiated = services.file_complaint(
        db.session, period, category="procedure", subject_kind="committee", subject_text="Verifikator administrasi",
        description="Verifikator menerima lamaran dengan ijazah yang belum dilegalisasi untuk satu pelamar, "
        "sementara pelamar lain ditolak karena alasan yang sama.",
        reporter_name="Rudi Hartono", reporter_contact="rudi.hartono@contoh.id", upload_dir=folder,
    ).complaint  # fmt: skip
    services.advance(
        db.session, substantiated, "assessed", actor_id=first.id,
        reason="Laporan menyebut perlakuan berbeda atas dokumen yang sama; riwayat verifikasi diperiksa.",
        named=services.NamedRecords(staff_email=member.email),
    )  # fmt: skip
    services.advance(db.session, substantiated, "investigating", actor_id=first.id,
                     reason="Membandingkan putusan verifikasi dan sanggahan pada periode ini.")  # fmt: skip
    services.advance(
        db.session, substantiated, "concluded", actor_id=first.id, outcome="substantiated",
        reason="Ketidakkonsistenan pemeriksaan legalisasi terbukti; tidak ditemukan hubungan keluarga.",
        public_conclusion="Pengaduan terbukti sebagian: terjadi ketidakkonsistenan pemeriksaan dokumen. "
        "Anggota panitia yang bersangkutan diberi teguran.",
    )  # fmt: skip
    warning = services.propose_sanction(
        db.session, substantiated,
        services.SanctionTerms(kind="warning", person_email=member.email,
                               reason="Memeriksa legalisasi ijazah tidak sama untuk semua pelamar."),
        actor_id=first.id, today=to_wib(utcnow()).date(),
    )  # fmt: skip
    services.confirm_sanction(db.session, warning, actor_id=second.id)

    investigating = services.file_complaint(
        db.session, period, category="cheating", subject_kind="sitting",
        schedule_id=sitting.id,
        description="Pada uji coba, seorang peserta terlihat berbicara dengan orang lain di ruangannya "
        "melalui kamera selama beberapa menit.",
        files=[services.EvidenceFile("tangkapan-layar.pdf", EVIDENCE)], upload_dir=folder,
    ).complaint  # fmt: skip
    watched = db.session.scalar(
        select(ExamSession.registration_number)
        .join(User, User.id == ExamSession.candidate_id)
        .where(User.email == "kandidat3@demo.id", ExamSession.schedule_id == sitting.id)
    )
    services.advance(
        db.session, investigating, "assessed", actor_id=second.id,
        reason="Cukup rinci untuk diperiksa; log integritas sesi ditautkan.",
        named=services.NamedRecords(session_number=watched or ""),
    )  # fmt: skip
    services.advance(db.session, investigating, "investigating", actor_id=second.id,
                     reason="Meminta rekaman pengawas dan memeriksa log integritas sesi.")  # fmt: skip

    services.file_complaint(
        db.session, period, category="nepotism", subject_kind="period",
        description="Beredar kabar bahwa satu formasi sudah dipesan untuk kerabat pejabat sebelum pendaftaran dibuka.",
        reporter_contact="0812-0000-0000", upload_dir=folder,
    )  # fmt: skip
    db.session.flush()
    return 3
