"""The effectiveness report on simulated data with a known true validity: the truth lies inside the
reported interval of the corrected value, and the range-restriction correction moves the estimate
toward it. Adverse-impact ratios match the counts."""

from __future__ import annotations

import math
import re
from datetime import date

import numpy as np
import pytest
from babel.numbers import format_decimal, format_percent

from examserver.hr.models import Employee, IntakeApplicant, RecruitmentIntake, SupervisorRating
from scoring.effectiveness import simulate_selection
from tests.examserver import hr_workforce

TRUE_VALIDITY = 0.5


@pytest.fixture
def intake(app, db_session, make_user):
    """1,000 applicants, the top 200 by final score hired, performance rated by supervisors only."""
    rater = make_user("hr_officer")
    sim = simulate_selection(1000, 200, TRUE_VALIDITY, score_mean=75.0, score_sd=8.0, rng=11)
    profile = hr_workforce.profile(db_session)
    period = hr_workforce.period(db_session, weight=1.0)
    rng = np.random.default_rng(5)
    regions = np.where(rng.random(1000) < 0.3, "Papua", "Jawa Barat")
    genders = np.where(rng.random(1000) < 0.5, "P", "L")
    row = RecruitmentIntake(code="SIM-1", title="Simulasi validitas 0,5")
    db_session.add(row)
    hired = 0
    for i in range(1000):
        applicant = IntakeApplicant(
            intake=row, registration_number=f"SIM-{i:05d}", region=str(regions[i]), gender=str(genders[i]),
            scores={"final": float(sim.applicant_scores[i])}, is_selected=bool(sim.selected[i]),
        )  # fmt: skip
        db_session.add(applicant)
        if not sim.selected[i]:
            continue
        employee = Employee(
            nip=f"SIM{i:05d}", full_name=f"Pegawai {i}", profile_id=profile.id, position_title=profile.title,
            unit="Unit", region=str(regions[i]), appointed_on=date(2024, 1, 2), is_new_hire=False,
        )  # fmt: skip
        db_session.add(employee)
        db_session.flush()
        applicant.employee_id = employee.id
        # A linear rating scale keeps the correlation: score = 60 + 10 z (z ~ N(0.x, < 1) among the hired).
        db_session.add(
            SupervisorRating(
                period_id=period.id, employee_id=employee.id, rater_id=rater.id, targets=[],
                score=float(60 + 10 * sim.applicant_performance[i]),
            )
        )  # fmt: skip
        hired += 1
    db_session.commit()
    assert hired == 200
    return {"intake": row, "sim": sim, "regions": regions, "genders": genders}


def thorndike_case_ii_by_hand(sim) -> tuple[float, float, float]:
    """Observed r among the hired, its Thorndike case II correction and u = SD hired / SD applicants.

    The report's performance is the mean combined rating: one period, supervisor weight 1, so the
    fixture's 60 + 10 z. Case II (Thorndike 1949, as ``correct_range_restriction`` documents it):
    R = r U / sqrt(1 + r² (U² - 1)) with U = SD applicants / SD hired, SDs with ddof=1.
    """
    hired = np.asarray(sim.selected, dtype=bool)
    x = np.asarray(sim.applicant_scores, dtype=float)[hired]
    y = 60 + 10 * np.asarray(sim.applicant_performance, dtype=float)[hired]
    r = float(np.corrcoef(x, y)[0, 1])
    big_u = float(np.std(sim.applicant_scores, ddof=1) / np.std(x, ddof=1))
    corrected = r * big_u / math.sqrt(1 + r**2 * (big_u**2 - 1))
    return r, corrected, 1 / big_u


def _number_cells(html: str, key: str) -> list[float]:
    row = re.search(rf'<tr data-key="{key}">(.*?)</tr>', html, re.S).group(1)
    # Written the Indonesian way: a decimal comma.
    return [float(x.replace(",", ".")) for x in re.findall(r"-?\d+,\d+", re.sub(r"<[^>]+>", " ", row))]


def test_the_report_recovers_a_known_validity_and_the_correction_moves_toward_it(client, login_as, intake):
    login_as("hr_officer")
    page = client.get(f"/sdm/efektivitas?angkatan={intake['intake'].id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1000 pelamar, 200 diterima" in html
    r, low, high, corrected, c_low, c_high, u = _number_cells(html, "final")
    # Observed r among the hired is attenuated by top-down selection (u = SD hired / SD applicants < 1).
    assert r < TRUE_VALIDITY and u < 0.7
    # The corrected value's 95% interval holds the truth and the correction moves toward it.
    assert c_low <= TRUE_VALIDITY <= c_high
    assert abs(corrected - TRUE_VALIDITY) < abs(r - TRUE_VALIDITY)
    assert corrected > r and low < r < high
    # The same numbers worked out here from the fixture's data, without scoring.effectiveness.
    expected_r, expected_corrected, expected_u = thorndike_case_ii_by_hand(intake["sim"])
    # The page prints r and the corrected value to 3 decimals and u to 2: allow half a unit of the last digit.
    assert r == pytest.approx(expected_r, abs=0.0005 + 1e-9)
    assert corrected == pytest.approx(expected_corrected, abs=0.0005 + 1e-9)
    assert u == pytest.approx(expected_u, abs=0.005 + 1e-9)

    # The plots are drawn on the server.
    intake_id = intake["intake"].id
    for path in ("validitas.png", "sebaran/final.png", "dampak/region.png", "dampak/gender.png"):
        image = client.get(f"/sdm/efektivitas/{intake_id}/{path}")
        assert image.status_code == 200 and image.data.startswith(b"\x89PNG"), path


def test_adverse_impact_ratios_match_the_counts(client, login_as, intake):
    login_as("committee")  # the committee reads the report too
    html = client.get(f"/sdm/efektivitas?angkatan={intake['intake'].id}").get_data(as_text=True)
    selected = intake["sim"].selected
    rates = {g: selected[intake["regions"] == g].mean() for g in ("Jawa Barat", "Papua")}
    best = max(rates.values())
    for group, rate in rates.items():
        row = re.search(rf"<tr><td>{group}</td>(.*?)</tr>", html, re.S).group(1)
        cells = re.sub(r"<[^>]+>", " ", row)
        assert format_percent(rate, "#,##0.0%", locale="id") in cells  # Indonesian: 33,3%
        assert format_decimal(rate / best, "0.00", locale="id") in cells
        assert ("di bawah 4/5" in cells) == (rate / best < 0.8)
