"""The demo after hiring: appointed candidates of CPNS-DEMO-2026 are new employees with θ and SE per
SKD section, two evaluation periods are filled in, and every HR report has something to show."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from examserver.extensions import db
from examserver.hr.models import (
    CommunityFeedback,
    CompetencyEstimate,
    DevelopmentPlan,
    Employee,
    EvaluationPeriod,
    PublicConsultation,
    SupervisorRating,
    TrainingPlan,
)
from examserver.hr.regions import province_named
from examserver.hr.services import provisional_nip
from tests.conftest import demo_client


def test_demo_has_appointed_new_hires_with_estimates_and_filled_reports(demo_app):
    with demo_app.app_context():
        new_hires = db.session.scalars(select(Employee).where(Employee.application_id.is_not(None))).all()
        assert len(new_hires) >= 4 and all(e.is_new_hire and e.user_id for e in new_hires)
        for employee in new_hires:
            estimates = db.session.scalars(
                select(CompetencyEstimate).where(CompetencyEstimate.employee_id == employee.id)
            ).all()
            assert {e.competency.code for e in estimates} == {"SKD.TWK", "SKD.TIU", "SKD.TKP"}
            assert all(0.1 < e.se < 0.8 and e.session_id is not None for e in estimates)
        periods = db.session.scalars(select(EvaluationPeriod)).all()
        assert len(periods) == 2
        ratings = db.session.scalar(select(func.count()).select_from(SupervisorRating))
        assert ratings == 2 * db.session.scalar(select(func.count()).select_from(Employee))
        statuses = dict(
            db.session.execute(select(CommunityFeedback.status, func.count()).group_by(CommunityFeedback.status)).all()
        )
        assert statuses["approved"] >= 40 and statuses["pending"] >= 1
        assert db.session.scalar(select(func.count()).select_from(DevelopmentPlan)) == len(new_hires)
        plan = db.session.scalar(select(TrainingPlan))
        assert plan.total_cost <= plan.budget and plan.lines
        assert db.session.scalar(select(PublicConsultation.summary)) is not None
        new_hire_id = new_hires[0].id

    hr = demo_client(demo_app, "hr@demo.id")
    profile = hr.get(f"/sdm/pegawai/{new_hire_id}").get_data(as_text=True)
    assert "SKD.TWK" in profile and "Pelatihan Dasar (Latsar) CPNS" in profile  # orientation first
    report = hr.get("/sdm/efektivitas").get_data(as_text=True)
    final = re.search(r'<tr data-key="final">(.*?)</tr>', report, re.S).group(1)
    r, _low, _high, corrected, c_low, c_high = (float(x.replace(",", ".")) for x in re.findall(r"-?\d+,\d+", final)[:6])
    assert c_low <= 0.5 <= c_high and corrected > r  # the demo intake was drawn with validity 0.5
    talent = hr.get("/sdm/talenta").get_data(as_text=True)
    assert "usulkan pendidikan lanjutan" in talent and "pembinaan (coaching) oleh atasan" in talent
    for path in ("/sdm/kohort/peta.png", "/sdm/talenta.png", "/sdm/umpan-balik", "/sdm/konsultasi/CPNS-DEMO-2026"):
        assert hr.get(path).status_code == 200, path


def test_hr_reads_one_list_of_regions_and_nips_marked_once(demo_app):
    """New hires' regions are provinces as the region list spells them ("DKI Jakarta", not the
    position's "Jakarta" beside it), and their provisional NIP is "CPNS-" once."""
    page = demo_client(demo_app, "hr@demo.id").get("/sdm/pegawai").get_data(as_text=True)
    regions = re.findall(r'<option value="([^"]+)"', page.split('name="region"', 1)[1].split("</select>", 1)[0])
    assert "DKI Jakarta" in regions and "Jakarta" not in regions
    with demo_app.app_context():
        nips = db.session.scalars(select(Employee.nip).where(Employee.application_id.is_not(None))).all()
    assert nips and all(nip.startswith("CPNS-DEMO-2026-") for nip in nips)
    assert "CPNS-CPNS-" not in page


def test_a_place_is_named_by_its_province_and_a_registration_number_marked_once():
    assert [province_named(p) for p in ("Jakarta", "dki jakarta", "Yogyakarta", "Papua", "Kota Bogor")] == [
        "DKI Jakarta", "DKI Jakarta", "DI Yogyakarta", "Papua", "Kota Bogor",
    ]  # fmt: skip
    assert provisional_nip("CPNS-DEMO-2026-000006") == "CPNS-DEMO-2026-000006"
    assert provisional_nip("SEL2026-000042") == "CPNS-SEL2026-000042"
