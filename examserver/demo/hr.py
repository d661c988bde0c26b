"""After hiring in the demo: profiles, a catalogue, employees, two evaluation periods, community
feedback, plans, a public consultation and an earlier intake for the effectiveness report.

* The candidates appointed in CPNS-DEMO-2026 become new employees with θ and SE per SKD section
  computed from their answers in UJICOBA-2026-10.
* An earlier intake, CPNS-2024 (400 simulated applicants, 80 hired), is drawn with a known
  predictive validity of 0.5 between the final selection score and later performance, so the
  effectiveness report has something to find; its hires are employees in four units and regions.
* Two evaluation periods with supervisor ratings for everyone and moderated community feedback.
* A success profile of ANALIS-KEU proposed from its top performers, waiting for HR.
* The CPNS-2024 applicants' positions and qualifications, the earlier sitting of the at-risk analysis.

Seeded (``numpy.random.default_rng(9)``), so the demo is the same every time; idempotent.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from sqlalchemy import select

from examserver.accounts.models import User
from examserver.demo.selection import PERIOD
from examserver.extensions import db
from examserver.hr import services, success
from examserver.hr.analysis import load_catalogue, load_workforce
from examserver.hr.models import (
    CompetencyEstimate,
    Employee,
    EvaluationPeriod,
    IntakeApplicant,
    PositionProfile,
    ProfileRequirement,
    RecruitmentIntake,
)
from examserver.selection.models import SelectionPeriod
from itembank.database import utcnow
from itembank.models import Competency
from scoring.effectiveness import simulate_selection

EARLIER_INTAKE = "CPNS-2024"
#: The position whose success profile the demo proposes.
SUCCESS_PROFILE = "ANALIS-KEU"
TRUE_VALIDITY = 0.5
#: (code, title, unit, requirements as competency code -> required θ)
PROFILES = (
    ("ANALIS-KEU", "Analis Keuangan Ahli Pertama", "Biro Keuangan",
     {"SKD.TWK": 0.2, "SKD.TIU": 0.6, "SKD.TKP": 0.3, "MSK.INTEGRITAS": 0.5}),
    ("ANALIS-SDM", "Analis SDM Aparatur Ahli Pertama", "Biro Kepegawaian",
     {"SKD.TWK": 0.3, "SKD.TIU": 0.3, "SKD.TKP": 0.6, "MSK.KERJASAMA": 0.5}),
    ("PRANATA-KOMP", "Pranata Komputer Ahli Pertama", "Pusat Data dan Informasi",
     {"SKD.TWK": 0.2, "SKD.TIU": 0.7, "SKD.TKP": 0.2, "MSK.KERJASAMA": 0.3}),
    ("PELAYANAN", "Pengelola Layanan Publik", "Unit Layanan Terpadu",
     {"SKD.TWK": 0.3, "SKD.TIU": 0.0, "SKD.TKP": 0.8, "MSK.INTEGRITAS": 0.6}),
)  # fmt: skip
#: (code, name, mode, hours, capacity, per run, per participant, orientation, effects)
PROGRAMMES = (
    ("LATSAR", "Pelatihan Dasar (Latsar) CPNS", "classroom", 40, 40, 60_000_000, 2_500_000, True,
     {"SKD.TWK": 0.3, "MSK.INTEGRITAS": 0.2}),
    ("WASBANG", "Wawasan kebangsaan (daring)", "online", 12, 200, 5_000_000, 150_000, False, {"SKD.TWK": 0.4}),
    ("NALAR", "Penalaran verbal dan numerik untuk analis", "classroom", 24, 25, 30_000_000, 1_000_000, False,
     {"SKD.TIU": 0.5}),
    ("PRIMA", "Pelayanan publik prima", "classroom", 16, 30, 20_000_000, 750_000, False,
     {"SKD.TKP": 0.5, "MSK.KERJASAMA": 0.1}),
    ("ANTIKORUPSI", "Integritas dan antikorupsi (daring)", "online", 8, 300, 4_000_000, 100_000, False,
     {"MSK.INTEGRITAS": 0.4}),
    ("TIM", "Kerja sama tim dan kolaborasi", "classroom", 16, 30, 18_000_000, 600_000, False,
     {"MSK.KERJASAMA": 0.5}),
)  # fmt: skip
UNIT_REGIONS = {
    "Biro Keuangan": "DKI Jakarta",
    "Biro Kepegawaian": "DKI Jakarta",
    "Pusat Data dan Informasi": "Jawa Barat",
    "Unit Layanan Terpadu": "Sulawesi Selatan",
}
APPLICANT_REGIONS = ("DKI Jakarta", "Jawa Barat", "Sulawesi Selatan", "Papua")
#: Qualifications the CPNS-2024 applicants of each position applied with (taken in turn, no draws,
#: so the seeded numbers stay as they were); the at-risk analysis reads them as outreach targets.
INTAKE_QUALIFICATIONS = {
    "ANALIS-KEU": ("S-1 Akuntansi", "S-1 Manajemen Keuangan"),
    "ANALIS-SDM": ("S-1 Psikologi", "S-1 Manajemen SDM"),
    "PRANATA-KOMP": ("S-1 Informatika", "S-1 Statistik", "S-1 Sistem Informasi"),
    "PELAYANAN": ("D-III Administrasi Perkantoran", "S-1 Ilmu Administrasi Negara"),
}
FEEDBACK = (
    "Petugas ramah dan antrean cepat.", "Informasi persyaratan jelas di papan pengumuman.",
    "Menunggu terlalu lama, loket hanya satu yang buka.", "Berkas saya selesai tepat waktu.",
    "Tolong sediakan tempat duduk yang cukup.", "Pelayanan daring sering gangguan.",
)  # fmt: skip
COMMENTS = (
    ("thresholds", "Ambang TKP 130 untuk uji coba sudah wajar, tetapi mohon diumumkan sejak awal pendaftaran.",
     "Forum Pemuda Papua", "approved"),
    ("weights", "Bobot SKB 60% terlalu besar untuk wawancara; sebaiknya tes praktik kerja lebih berbobot.",
     None, "approved"),
    ("requirements", "IPK minimal 3,00 menyulitkan lulusan daerah; mohon pertimbangkan 2,75.",
     "Ikatan Alumni Universitas Cenderawasih", "approved"),
    ("documents", "Legalisir ijazah sebaiknya cukup dengan ijazah elektronik yang terverifikasi.",
     None, "approved"),
    ("other", "Mohon jadwal SKD tidak bertepatan dengan hari besar keagamaan.", "Warga Makassar", "pending"),
    ("thresholds", "Ambang batas harus sama untuk semua daerah, tanpa pengecualian apa pun!!!", None, "pending"),
)  # fmt: skip


def _competencies() -> dict[str, Competency]:
    return {c.code: c for c in db.session.scalars(select(Competency))}


def _profiles(competencies) -> dict[str, PositionProfile]:
    profiles = {}
    for code, title, _unit, requirements in PROFILES:
        profile = db.session.scalar(select(PositionProfile).where(PositionProfile.code == code))
        if profile is None:
            profile = PositionProfile(
                code=code,
                title=title,
                description="Profil contoh; level dalam logit skala θ bank soal.",
                requirements=[
                    ProfileRequirement(competency_id=competencies[c].id, required_theta=value, weight=1.0)
                    for c, value in requirements.items()
                ],
            )
            db.session.add(profile)
        profiles[code] = profile
    db.session.flush()
    return profiles


def _catalogue(competencies) -> None:
    for code, name, mode, hours, capacity, per_run, per_person, orientation, effects in PROGRAMMES:
        services.save_programme(
            db.session,
            None,
            services.ProgrammeData(
                code=code, name=name, description="", mode=mode, hours=hours, capacity=capacity,
                cost_per_run=per_run, cost_per_participant=per_person, max_runs=None if mode == "online" else 6,
                is_orientation=orientation, is_active=True,
                effects={competencies[c].id: e for c, e in effects.items()},
            ),
        )  # fmt: skip


def _earlier_intake(rng, competencies, profiles) -> list[tuple[Employee, float]]:
    """The simulated CPNS-2024 intake; returns each hire with their true performance (z)."""
    sim = simulate_selection(400, 80, TRUE_VALIDITY, score_mean=75.0, score_sd=8.0, rng=rng)
    intake = RecruitmentIntake(code=EARLIER_INTAKE, title="Seleksi CPNS 2024 (data simulasi)")
    db.session.add(intake)
    hires: list[tuple[Employee, float]] = []
    z_final = (sim.applicant_scores - sim.applicant_scores.mean()) / sim.applicant_scores.std()
    for i in range(sim.applicant_scores.size):
        region = APPLICANT_REGIONS[int(rng.integers(0, len(APPLICANT_REGIONS)))]
        gender = "P" if rng.random() < 0.5 else "L"
        skd = 330 + 35 * (0.8 * z_final[i] + 0.6 * rng.standard_normal())
        scores = {
            "final": round(float(sim.applicant_scores[i]), 2),
            "SKD": round(float(skd), 1),
            "SKD.TWK": round(float(0.27 * skd + rng.normal(0, 6)), 1),
            "SKD.TIU": round(float(0.30 * skd + rng.normal(0, 7)), 1),
            "SKD.TKP": round(float(0.43 * skd + rng.normal(0, 8)), 1),
        }
        # A hire applied for the position they got; the others in turn.
        position_code = PROFILES[(len(hires) if sim.selected[i] else i) % len(PROFILES)][0]
        choices = INTAKE_QUALIFICATIONS[position_code]
        applicant = IntakeApplicant(
            intake=intake, registration_number=f"SEL2024-{i + 1:06d}", region=region, gender=gender,
            scores=scores, is_selected=bool(sim.selected[i]), position_code=position_code,
            education=choices[(i // len(PROFILES)) % len(choices)],
        )  # fmt: skip
        db.session.add(applicant)
        if not sim.selected[i]:
            continue
        k = len(hires)
        code, title, unit, requirements = PROFILES[k % len(PROFILES)]
        employee = Employee(
            nip=f"19960{k:03d}2024{1 + k % 2}1{k:03d}", full_name=f"Pegawai Simulasi {k + 1:02d}",
            profile_id=profiles[code].id, position_title=title, unit=unit, region=UNIT_REGIONS[unit],
            gender=gender, appointed_on=date(2024, 7, 1), is_new_hire=False,
        )  # fmt: skip
        db.session.add(employee)
        db.session.flush()
        applicant.employee_id = employee.id
        ability = 0.15 + 0.6 * z_final[i] * 0.5
        for competency in ("SKD.TWK", "SKD.TIU", "SKD.TKP", "MSK.INTEGRITAS", "MSK.KERJASAMA"):
            db.session.add(
                CompetencyEstimate(
                    employee_id=employee.id, competency_id=competencies[competency].id,
                    theta=round(float(ability + rng.normal(0, 0.55)), 3), se=round(float(rng.uniform(0.25, 0.45)), 3),
                    source="selection" if competency.startswith("SKD") else "assessment",
                )
            )  # fmt: skip
        hires.append((employee, float(sim.applicant_performance[i])))
    db.session.flush()
    return hires


def _evaluation(rng, hr_user: User, people: list[tuple[Employee, float]]) -> list[EvaluationPeriod]:
    today = utcnow().date()
    periods = []
    for code, title, start, end, weight in (
        ("SKP-2025-II", "Penilaian kinerja semester II 2025", date(2025, 7, 1), date(2025, 12, 31), 0.7),
        ("SKP-2026-I", "Penilaian kinerja semester I 2026", date(2026, 1, 1), max(date(2026, 6, 30), today), 0.7),
    ):
        period = services.save_period(
            db.session, None, code=code, title=title, starts_on=start, ends_on=end, supervisor_weight=weight,
            is_feedback_open=code == "SKP-2026-I", actor_id=hr_user.id,
        )  # fmt: skip
        periods.append(period)
        for employee, z in people:
            achieved = float(np.clip(82 + 9 * z + rng.normal(0, 4), 40, 118))
            services.rate(
                db.session, period, employee, hr_user.id,
                [{"target": "Menyelesaikan laporan dan layanan sesuai standar waktu", "weight": 2,
                  "achieved": round(achieved, 1)},
                 {"target": "Menyusun satu usulan perbaikan proses kerja", "weight": 1,
                  "achieved": round(float(np.clip(achieved + rng.normal(0, 5), 40, 120)), 1)}],
                "",
            )  # fmt: skip
        for unit in UNIT_REGIONS:
            for _n in range(6):
                feedback = services.submit_feedback(
                    db.session, period, unit=unit, rating=int(rng.choice([2, 3, 4, 4, 5, 5])),
                    comment=FEEDBACK[int(rng.integers(0, len(FEEDBACK)))], sender="demo",
                ) if period.is_feedback_open else _closed_feedback(period, unit, rng)  # fmt: skip
                services.moderate(feedback, hr_user.id, approve=True)
        if period.is_feedback_open:
            for unit, rating, text in (
                ("Unit Layanan Terpadu", 1, "Petugas tidak ada di loket pada jam layanan."),
                ("Biro Keuangan", 5, "Pencairan honor cepat dan transparan."),
            ):
                services.submit_feedback(db.session, period, unit=unit, rating=rating, comment=text, sender="demo")
    db.session.flush()
    return periods


def _closed_feedback(period, unit, rng):
    from examserver.hr.models import CommunityFeedback

    feedback = CommunityFeedback(
        period_id=period.id, unit=unit, rating=int(rng.choice([2, 3, 3, 4, 4, 5])),
        comment=FEEDBACK[int(rng.integers(0, len(FEEDBACK)))], sender_hash="demo",
    )  # fmt: skip
    db.session.add(feedback)
    db.session.flush()
    return feedback


def _consultation(hr_user: User) -> None:
    period = db.session.scalar(select(SelectionPeriod).where(SelectionPeriod.code == PERIOD))
    if period is None:
        return
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    consultation = services.open_consultation(
        db.session, period,
        question="Apakah ambang batas, bobot SKD/SKB, persyaratan jabatan dan dokumen periode ini sudah adil "
        "dan jelas? Sampaikan usul Anda sebelum periode berikutnya ditetapkan.",
        opens_at=now - timedelta(days=5), closes_at=now + timedelta(days=25), actor_id=hr_user.id,
    )  # fmt: skip
    for topic, text, author, status in COMMENTS:
        comment = services.add_comment(
            db.session, consultation, topic=topic, text=text, author=author, sender="demo", now=now
        )
        if status != "pending":
            services.moderate(comment, hr_user.id, approve=status == "approved")
    services.summarise(
        consultation,
        "Empat komentar disetujui: publik meminta ambang diumumkan sejak awal, bobot praktik kerja lebih besar "
        "dari wawancara, IPK minimal 2,75 untuk lulusan daerah, dan ijazah elektronik terverifikasi tanpa "
        "legalisir. Dua komentar masih menunggu moderasi.",
        hr_user.id,
    )


def seed_hr(password: str) -> int:
    """Everything after hiring; returns 1 when created, 0 when it existed or selection is missing."""
    if db.session.scalar(select(RecruitmentIntake.id).where(RecruitmentIntake.code == EARLIER_INTAKE)):
        return 0
    hr_user = db.session.scalar(select(User).where(User.email == "hr@demo.id"))
    period = db.session.scalar(select(SelectionPeriod).where(SelectionPeriod.code == PERIOD))
    competencies = _competencies()
    if hr_user is None or period is None or "MSK.INTEGRITAS" not in competencies:
        return 0
    rng = np.random.default_rng(9)
    profiles = _profiles(competencies)
    _catalogue(competencies)
    appointed = services.appoint_from_period(
        db.session, period, hr_user.id, profiles=profiles, appointed_on=utcnow().date() - timedelta(days=150)
    )
    hires = _earlier_intake(rng, competencies, profiles)
    people = hires + [(employee, float(rng.normal(0.3, 0.8))) for employee in appointed]
    _evaluation(rng, hr_user, people)
    _consultation(hr_user)
    # A success profile proposed for one position from its top performers, for HR to accept or edit.
    success.propose(db.session, profiles[SUCCESS_PROFILE], hr_user.id)
    workforce = load_workforce(db.session)
    assert workforce is not None, "employees were created above"
    catalogue = load_catalogue(db.session, workforce.competencies)
    assert catalogue is not None, "the catalogue was created above"
    for employee in appointed:
        services.save_development_plan(db.session, workforce, catalogue, workforce.row(employee.id), hr_user.id)
    services.build_training_plan(
        db.session, workforce, catalogue, title="Rencana pelatihan 2027 (contoh)", budget=400_000_000,
        grouping="all", group_value=None, orientation_for_new_hires=True, max_programmes_per_employee=2,
        actor_id=hr_user.id, time_limit=10.0,
    )  # fmt: skip
    db.session.flush()
    return 1
