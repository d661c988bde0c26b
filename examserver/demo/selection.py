"""A demo selection period on the finished sitting UJICOBA-2026-10.

Four positions; kandidat1..20 apply to the first three with their documents (nobody to the
fourth, which the at-risk analysis flags); two are rejected at the
administrative check and appeal (one appeal upheld by a second committee member, one still
open); basic-test scores come from the finished sitting, field scores from a seeded draw, with
two blind interviews and two blind track-record rubrics each; the administrative and SKD
results are published as signed announcements. Idempotent: nothing happens when the period exists.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from sqlalchemy import select

from examserver.accounts import services as accounts
from examserver.accounts.models import User
from examserver.delivery.models import ExamSchedule
from examserver.demo.finished import CODE as SITTING
from examserver.extensions import db
from examserver.selection import announcements, services
from examserver.selection.documents import DOCUMENT_TYPES
from examserver.selection.models import SelectionPeriod
from examserver.selection.ranking import rank_period
from examserver.selection.rubrics import RUBRICS
from examserver.selection.rules import rules_to_json
from examserver.selection.web import upload_dir
from itembank.database import utcnow
from scoring.selection import FieldComponent, ThresholdRule, national_rules

PERIOD = "CPNS-DEMO-2026"
DESCRIPTION = "Periode contoh: SKD memakai hasil uji coba UJICOBA-2026-10; ambang TKP uji coba 130."
DEMO_MINIMUMS = {"TWK": 65.0, "TIU": 80.0, "TKP": 130.0}
SECOND_MEMBER = ("verifikator@demo.id", "Verifikator Seleksi Demo")
POSITIONS = (
    ("ANALIS-KEU", "Analis Keuangan Ahli Pertama", "Biro Keuangan", 2, 1, "S-1 Akuntansi, IPK minimal 3,00"),
    ("ANALIS-SDM", "Analis SDM Aparatur Ahli Pertama", "Biro Kepegawaian", 1, 1, "S-1 Psikologi atau Manajemen SDM"),
    ("PRANATA-KOMP", "Pranata Komputer Ahli Pertama", "Pusat Data dan Informasi", 1, None, "S-1 Informatika"),
    ("STATISTISI", "Statistisi Ahli Pertama", "Pusat Data dan Informasi", 2, None, "S-1 Statistik"),
)  # fmt: skip
#: The demo candidates apply to the first three positions only: nobody applied to STATISTISI, the
#: position the at-risk analysis flags, with outreach targets from the earlier intake.
APPLIED_TO = 3
#: kandidat number -> (rejected document, reason, appeal text, appeal upheld or None for still open)
REJECTED = {
    4: ("ijazah", "Ijazah belum dilegalisasi.", "Ijazah saya sudah dilegalisasi; capnya di halaman kedua.", True),
    11: ("ktp", "Foto KTP tidak terbaca.", "KTP saya terbaca jelas bila diperbesar; mohon diperiksa kembali.", None),
}  # fmt: skip
PDF = b"%PDF-1.4\n%demo\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def _demo_file(doc_type: str, number: int) -> tuple[str, bytes]:
    if "pdf" in DOCUMENT_TYPES[doc_type].formats:
        return f"{doc_type}-kandidat{number}.pdf", PDF + f"% kandidat{number}\n".encode()
    return f"{doc_type}-kandidat{number}.png", PNG + number.to_bytes(2, "big")


def seed_selection(password: str) -> int:
    """Create the demo period and everything in it; returns 1 when created, 0 when it existed."""
    if db.session.scalar(select(SelectionPeriod.id).where(SelectionPeriod.code == PERIOD)) is not None:
        return 0
    sitting = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == SITTING))
    member = db.session.scalar(select(User).where(User.email == "panitia@demo.id"))
    second = db.session.scalar(select(User).where(User.email == SECOND_MEMBER[0])) or accounts.create_user(
        db.session, email=SECOND_MEMBER[0], full_name=SECOND_MEMBER[1], role="committee", password=password
    )
    if sitting is None or member is None:
        return 0
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    opened, closed = now - timedelta(days=60), now - timedelta(days=40)
    # The trial sitting was short of practice: the demo's decree lowers the TKP threshold to 130.
    rules = national_rules(
        thresholds=[ThresholdRule(name, DEMO_MINIMUMS) for name in ("general", "cum_laude", "disability", "papua")],
        components=[
            FieldComponent("CAT", "computer", 0.6),
            FieldComponent("WAWANCARA", "interview", 0.25),
            FieldComponent("REKAM_JEJAK", "other", 0.15),
        ],
    )
    period = services.save_period(
        db.session, None, actor_id=member.id, code=PERIOD, title="Seleksi CPNS Kementerian Demo 2026",
        agency="Kementerian Demo", description=DESCRIPTION,
        applications_open_at=opened, applications_close_at=closed, appeal_days=3, schedule_id=sitting.id,
        rules=rules_to_json(rules),
        stages={
            "administrative": (closed, closed + timedelta(days=5)),
            "basic": (sitting.opens_at, sitting.closes_at),
            "field": (now - timedelta(days=20), now - timedelta(days=15)),
            "final": (now + timedelta(days=5), now + timedelta(days=5)),
        },
    )  # fmt: skip
    positions = [
        services.save_position(
            db.session, period, None, code=code, agency="Kementerian Demo", title=title, unit=unit,
            location="Jakarta", quota=quota, education=education, categories=["general", "papua"],
            required_documents=["ktp", "ijazah", "transkrip"],
            competency_profile={"integritas": 3, "pelayanan_publik": 3}, equivalence_group=group,
        )
        for code, title, unit, quota, group, education in POSITIONS
    ]  # fmt: skip
    rng = np.random.default_rng(2026)
    folder = upload_dir()
    candidates = {
        int(u.email.removeprefix("kandidat").split("@")[0]): u
        for u in db.session.scalars(select(User).where(User.email.like("kandidat%@demo.id")))
    }
    applications = []
    for number in sorted(candidates):
        moment = opened + timedelta(days=1 + number % 15, hours=number)
        application = services.apply(
            db.session, period, positions[number % APPLIED_TO], candidates[number],
            category="papua" if number in (9, 14) else "general",
            education_score=round(float(rng.uniform(2.9, 3.9)), 2),
            birth_date=date(1994 + number % 8, 1 + number % 12, 1 + number % 28), now=moment,
        )  # fmt: skip
        for doc_type in application.position.required_documents:
            name, data = _demo_file(doc_type, number)
            services.upload_document(db.session, application, doc_type, name, data, folder, now=moment)
        services.submit(db.session, application, now=moment + timedelta(minutes=5))
        applications.append((number, application))

    checked = closed + timedelta(days=2)
    for number, application in applications:
        rejected = REJECTED.get(number)
        for document in application.documents:
            refuse = rejected is not None and document.doc_type == rejected[0]
            services.check_document(
                db.session, document, member.id, accepted=not refuse,
                checklist=[key for key, _label in DOCUMENT_TYPES[document.doc_type].checklist],
                reason=rejected[1] if rejected is not None and refuse else "", now=checked,
            )  # fmt: skip
        services.decide_application(db.session, application, member.id, now=checked)
        if rejected is not None:
            appeal = services.file_appeal(db.session, application, rejected[2], now=checked + timedelta(days=1))
            if rejected[3] is not None:
                services.decide_appeal(
                    db.session, appeal, second.id, upheld=rejected[3],
                    reason="Cap legalisasi terlihat pada halaman kedua; dokumen diterima.",
                    now=checked + timedelta(days=2),
                )  # fmt: skip

    for _number, application in applications:
        if application.status != "accepted":
            continue
        services.enter_field_score(db.session, application, member.id, "CAT", round(float(rng.uniform(55, 95)), 1))
        for scorer in (member, second):
            for key, rubric in RUBRICS.items():
                levels = {aspect.key: int(rng.integers(2, 6)) for aspect in rubric.aspects}
                services.enter_rubric(db.session, application, scorer.id, key, levels)

    text, _sessions = announcements.administrative_csv(db.session, period)
    announcements.publish(
        db.session, period, stage="administrative", title="Hasil seleksi administrasi", csv_text=text,
        session_ids=[], member_id=member.id,
    )  # fmt: skip
    text, session_ids = announcements.ranking_csv(rank_period(db.session, period, final=False), db.session)
    announcements.publish(
        db.session, period, stage="basic", title="Hasil SKD dan peserta yang lulus ke SKB", csv_text=text,
        session_ids=session_ids, member_id=member.id,
    )  # fmt: skip
    db.session.flush()
    return 1
