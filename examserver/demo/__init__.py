"""Demo data for ``flask demo``: accounts, the item bank, blueprints and forms.

Every step is idempotent: it creates what is missing and leaves what exists alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NotRequired, TypedDict

import numpy as np
from sqlalchemy import select

from examserver.accounts import services as accounts
from examserver.accounts.models import User
from examserver.demo.calibration import seed_calibration_run
from examserver.demo.finished import ASSEMBLY_NODES, ASSEMBLY_SECONDS, seed_finished_session  # noqa: E402
from examserver.demo.hr import seed_hr
from examserver.demo.oversight import seed_oversight
from examserver.demo.selection import seed_selection
from examserver.demo.sites import seed_sites
from examserver.extensions import db
from itembank import blueprints, services
from itembank.item_types import item_type
from itembank.models import Competency, Item, TestBlueprint
from itembank.services import Actor
from itembank.transfer import ItemDraft, import_drafts

DATA = Path(__file__).resolve().parent

DEMO_STAFF = (
    ("admin@demo.id", "Admin Demo", "admin"),
    ("penulis@demo.id", "Penulis Soal Demo", "item_writer"),
    ("reviewer@demo.id", "Penelaah Soal Demo", "reviewer"),
    ("pengawas@demo.id", "Pengawas Demo", "proctor"),
    #: A second proctor of the finished sitting: decides appeals against what the first one decided.
    ("pengawas2@demo.id", "Pengawas Kedua Demo", "proctor"),
    ("panitia@demo.id", "Panitia Seleksi Demo", "committee"),
    ("hr@demo.id", "Petugas SDM Demo", "hr_officer"),
    #: Two inspectors: a sanction one proposes, the other confirms.
    ("inspektorat@demo.id", "Inspektur Demo", "inspector"),
    ("inspektorat2@demo.id", "Inspektur Kedua Demo", "inspector"),
)
#: Indonesian names for the demo candidates, so pages look like real use.
DEMO_CANDIDATE_NAMES = (
    "Ahmad Fauzi", "Siti Rahmawati", "Budi Santoso", "Dewi Lestari", "Rizky Pratama",
    "Nur Aisyah", "Andi Saputra", "Putri Maharani", "Yohanes Kambu", "Intan Permata",
    "Hendra Gunawan", "Fitri Handayani", "Agus Setiawan", "Maria Wonda", "Dimas Kurniawan",
    "Rina Marlina", "Teguh Wibowo", "Lina Sihombing", "Fajar Nugroho", "Wahyuni Sari",
)  # fmt: skip


def demo_accounts() -> list[tuple[str, str, str]]:
    """(email, name, role) of every demo account."""
    candidates = [(f"kandidat{i}@demo.id", name, "candidate") for i, name in enumerate(DEMO_CANDIDATE_NAMES, start=1)]
    return [*DEMO_STAFF, *candidates]


def seed_accounts(password: str) -> int:
    """Create the demo accounts that are missing; returns how many were created."""
    existing = set(db.session.scalars(select(User.email)))
    created = 0
    for email, name, role in demo_accounts():
        if email not in existing:
            accounts.create_user(db.session, email=email, full_name=name, role=role, password=password)
            created += 1
    db.session.flush()
    return created


def _actor(email: str) -> Actor:
    user = db.session.scalars(select(User).where(User.email == email)).one()  # seed_accounts ran first
    return Actor(user.id, user.role)


def seed_taxonomy() -> int:
    """The competency tree of the national basic test, managerial and technical competencies."""
    existing = set(db.session.scalars(select(Competency.code)))
    ids = dict(db.session.execute(select(Competency.code, Competency.id)).tuples().all())
    created = 0
    for node in json.loads((DATA / "competencies.json").read_text()):
        if node["code"] in existing:
            continue
        competency = services.create_competency(
            db.session,
            code=node["code"],
            name=node["name"],
            name_en=node.get("name_en"),
            parent_id=ids[node["parent"]] if node.get("parent") else None,
        )
        ids[competency.code] = competency.id
        created += 1
    return created


def _demo_thresholds(b: float, categories: int) -> list[float]:
    """Evenly spread GPCM step difficulties around b, for weighted demo items."""
    return [round(float(x), 3) for x in b + np.linspace(-1.5, 1.5, categories - 1)]


def seed_items() -> int:
    """Import the demo items with their parameters (as an import run), then set the step
    difficulties of weighted items so their curves and information can be drawn."""
    if db.session.scalar(select(Item.id).limit(1)) is not None:
        return 0
    drafts = [
        ItemDraft(
            code=row["code"],
            competency_code=row["competency"],
            type_key=row["type"],
            stem=row["stem"],
            options=tuple(row["options"]),
            answer=row["answer"],
            shuffle=row["shuffle"],
            status=row["status"],
            a=row.get("a"),
            b=row.get("b"),
            c=row.get("c") or None,
        )
        for row in json.loads((DATA / "items.json").read_text())
    ]
    result = import_drafts(db.session, _actor("penulis@demo.id"), drafts, note="Bank soal demo")
    for item in result.items:
        parameter = item.current_parameter
        kind = item_type(item.item_type)
        if parameter is not None and kind.polytomous and not parameter.thresholds:
            parameter.thresholds = _demo_thresholds(
                parameter.b or 0.0, kind.category_count(item.current_version.answer)
            )
    db.session.flush()
    return len(result.items)


class _BlueprintSpec(TypedDict):
    code: str
    name: str
    minutes: int
    mode: str
    #: (competency code, title, item count, scoring rule, raw threshold or None) per section.
    sections: tuple[tuple[str, str, int, str, int | None], ...]
    description: str
    scaled_thresholds: NotRequired[tuple[float, ...]]


#: National SKD thresholds (TWK 65, TIU 80, TKP 166) and the short demo's proportional ones.
BLUEPRINTS: tuple[_BlueprintSpec, ...] = (
    {
        "code": "SKD-NASIONAL", "name": "Seleksi Kompetensi Dasar (bentuk nasional)", "minutes": 100,
        "mode": "random", "sections": (("SKD.TWK", "Tes Wawasan Kebangsaan", 30, "points_per_correct", 65),
                                       ("SKD.TIU", "Tes Intelegensia Umum", 35, "points_per_correct", 80),
                                       ("SKD.TKP", "Tes Karakteristik Pribadi", 45, "weighted_options", 166)),
        "description": "110 butir, 100 menit; 5 poin per jawaban benar TWK/TIU, bobot 1-5 TKP.",
    },
    {
        "code": "SKD-DEMO", "name": "SKD singkat (demo 15 butir)", "minutes": 20, "mode": "fixed",
        "sections": (("SKD.TWK", "Tes Wawasan Kebangsaan", 5, "points_per_correct", 10),
                     ("SKD.TIU", "Tes Intelegensia Umum", 5, "points_per_correct", 10),
                     ("SKD.TKP", "Tes Karakteristik Pribadi", 5, "weighted_options", 18)),
        "description": "Versi pendek untuk mencoba platform: ambang lulus sebanding dengan SKD nasional.",
    },
    {
        "code": "SKD-ADAPTIF", "name": "SKD adaptif (demo 12 butir)", "minutes": 15, "mode": "adaptive",
        "sections": (("SKD.TWK", "Tes Wawasan Kebangsaan", 4, "points_per_correct", None),
                     ("SKD.TIU", "Tes Intelegensia Umum", 4, "points_per_correct", None),
                     ("SKD.TKP", "Tes Karakteristik Pribadi", 4, "weighted_options", None)),
        "description": "Tiap soal berikutnya dipilih server dari jawaban sebelumnya (CAT); nilai dari estimasi θ.",
        # Thresholds on the 0-100 reporting scale (θ -3..3 onto 0..100, so 50 is θ = 0): near the
        # national SKD's pass marks, 43-74 % of the maximum, as θ cuts slightly below the mean.
        "scaled_thresholds": (45.0, 47.5, 45.0),
    },
)  # fmt: skip


def seed_blueprints() -> int:
    """The national SKD blueprint and a short demo blueprint with two published parallel forms."""
    actor = _actor("admin@demo.id")
    codes = dict(db.session.execute(select(Competency.code, Competency.id)).tuples().all())
    created = 0
    for spec in BLUEPRINTS:
        if db.session.scalar(select(TestBlueprint.id).where(TestBlueprint.code == spec["code"])):
            continue
        blueprint = blueprints.create_blueprint(
            db.session,
            actor,
            code=spec["code"],
            name=spec["name"],
            time_limit_minutes=spec["minutes"],
            delivery_mode=spec["mode"],
            reporting_scale={"kind": "range", "min": 0, "max": 100},
            description=spec["description"],
            sections=[
                blueprints.SectionSpec(codes[code], title, count, rule, 5, threshold, scaled)
                for (code, title, count, rule, threshold), scaled in zip(
                    spec["sections"], spec.get("scaled_thresholds", (None,) * len(spec["sections"])), strict=True
                )
            ],
        )
        if blueprint.delivery_mode == "fixed":
            for form in blueprints.assemble_forms(
                db.session, actor, blueprint, 2, time_limit=ASSEMBLY_SECONDS, node_limit=ASSEMBLY_NODES
            ):
                blueprints.publish_form(actor, form)
        created += 1
    return created


def seed_schedules() -> int:
    """An always-open 15-item demo sitting with a public score board, a scheduled national-shape
    sitting a week ahead (start PIN 246813, each start authorised by the proctor) and an always-open
    adaptive sitting, each with kandidat1..kandidat20 enrolled and the demo proctor watching."""
    from datetime import timedelta

    from examserver.accounts.passwords import hash_password
    from examserver.delivery.models import ExamSchedule
    from examserver.delivery.services import create_schedule, enrol
    from itembank.database import utcnow
    from proctoring.models import ScheduleProctor

    actor = _actor("panitia@demo.id")
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    # Opened yesterday for a year, no start PIN, starts not authorised one by one.
    always_open = (now - timedelta(days=1), now + timedelta(days=365), None, False)
    plans = (
        ("DEMO-SKD", "Uji coba SKD (15 soal)", "SKD-DEMO", *always_open, True),
        (
            "SKD-2026-I",
            "Seleksi Kompetensi Dasar CPNS 2026 tahap I",
            "SKD-NASIONAL",
            now + timedelta(days=7),
            now + timedelta(days=7, hours=8),
            "246813",
            True,
            False,
        ),
        ("DEMO-CAT", "Uji coba SKD adaptif (12 soal)", "SKD-ADAPTIF", *always_open, False),
    )
    candidates = db.session.scalars(
        select(User.id).where(User.role == "candidate", User.email.like("kandidat%@demo.id")).order_by(User.id)
    ).all()
    created = 0
    proctor = db.session.scalar(select(User).where(User.email == "pengawas@demo.id"))
    for code, title, blueprint_code, opens, closes, pin, authorised_starts, scoreboard in plans:
        schedule = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == code))
        if schedule is None:
            blueprint = db.session.scalar(select(TestBlueprint).where(TestBlueprint.code == blueprint_code))
            assert blueprint is not None, "seed_blueprints created it"
            schedule = create_schedule(
                db.session,
                actor,
                blueprint=blueprint,
                code=code,
                title=title,
                opens_at=opens,
                closes_at=closes,
                location="Daring (jarak jauh)",
                start_pin_hash=hash_password(pin) if pin else None,
                requires_authorisation=authorised_starts,
                has_public_scoreboard=scoreboard,
            )
            created += 1
        for candidate_id in candidates:
            enrol(db.session, schedule, candidate_id)
        if proctor is not None and not db.session.get(ScheduleProctor, (schedule.id, proctor.id)):
            db.session.add(ScheduleProctor(schedule_id=schedule.id, proctor_id=proctor.id))
    return created


def seed_demo(password: str) -> dict[str, int]:
    """Everything the demo needs; returns what was created per step."""
    return {
        "accounts": seed_accounts(password),
        "competencies": seed_taxonomy(),
        "items": seed_items(),
        "blueprints": seed_blueprints(),
        "schedules": seed_schedules(),
        "test_sites": seed_sites(),
        "finished_sittings": seed_finished_session(password),
        "calibration_runs": seed_calibration_run(),
        "selection_periods": seed_selection(password),
        "after_hiring": seed_hr(password),
        "complaints": seed_oversight(),
    }
