"""Recruitment effectiveness through the report's own service and page, on several simulated intakes
with a known true validity: the corrected estimate's interval holds the truth, the Thorndike case II
correction moves the estimate toward it, a score that predicts nothing is told apart, and adverse
impact by region follows the four-fifths rule."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pytest

from examserver.hr.analysis import effectiveness
from examserver.hr.models import IntakeApplicant, RecruitmentIntake, SupervisorRating
from scoring.effectiveness import simulate_selection
from tests.examserver import hr_evaluation_world as world

#: The arguments the report page uses (examserver.hr.effectiveness_views).
PAGE_BOOTSTRAP = {"n_boot": 2000, "rng": 2026}


def build_intake(db_session, rater, *, true_validity, n_applicants, n_hired, seed, code, low_region=0):
    """An intake drawn by ``scoring.effectiveness.simulate_selection`` and stored as the app keeps it.

    The hired become employees rated by their supervisor at ``70 + 8 x performance`` in one period
    (no community feedback, so the combined score is the rating). ``low_region`` applicants of
    "Papua" are taken mostly from the rejected, one in ten hired, for the adverse-impact check.
    """
    sim = simulate_selection(n_applicants, n_hired, true_validity, score_mean=75.0, score_sd=8.0, rng=seed)
    intake = RecruitmentIntake(code=code, title=f"Angkatan simulasi {code}")
    db_session.add(intake)
    position = world.profile(db_session, code=f"P-{code}")
    period = world.period(db_session, code=f"PK-{code}", is_open=False)
    hired_idx, rejected_idx = np.flatnonzero(sim.selected), np.flatnonzero(~sim.selected)
    papua = set(hired_idx[: low_region // 10]) | set(rejected_idx[: low_region - low_region // 10])
    rng = np.random.default_rng(seed + 1)
    for i in range(n_applicants):
        region = "Papua" if i in papua else ("DKI Jakarta", "Jawa Barat", "Sulawesi Selatan")[i % 3]
        applicant = IntakeApplicant(
            intake=intake,
            registration_number=f"{code}-{i:05d}",
            region=region,
            gender=("L", "P")[int(rng.integers(0, 2))],
            # A second score that predicts nothing, to show the report tells them apart.
            scores={"final": round(float(sim.applicant_scores[i]), 3), "SKB": round(float(rng.normal(70, 9)), 2)},
            is_selected=bool(sim.selected[i]),
        )
        db_session.add(applicant)
        if not sim.selected[i]:
            continue
        person = world.employee(db_session, position, i, unit="Unit Simulasi", appointed_on=date(2024, 1, 2))
        applicant.employee_id = person.id
        score = 70.0 + 8.0 * float(sim.applicant_performance[i])
        assert 0.0 <= score <= 100.0
        db_session.add(
            SupervisorRating(period_id=period.id, employee_id=person.id, rater_id=rater.id, score=round(score, 3))
        )
    db_session.commit()
    pool_validity = float(np.corrcoef(sim.applicant_scores, sim.applicant_performance)[0, 1])
    return intake, pool_validity


@pytest.mark.parametrize(
    ("true_validity", "n_applicants", "n_hired", "seed", "observed_misses"),
    [(0.5, 1000, 250, 11, True), (0.3, 1200, 300, 12, False), (0.6, 800, 120, 13, True)],
)
def test_the_report_recovers_a_known_validity_and_the_correction_moves_toward_it(
    db_session, make_user, true_validity, n_applicants, n_hired, seed, observed_misses
):
    rater = make_user("hr_officer")
    intake, pool_validity = build_intake(
        db_session, rater, true_validity=true_validity, n_applicants=n_applicants, n_hired=n_hired, seed=seed,
        code=f"SIM{seed}",
    )  # fmt: skip
    report = effectiveness(db_session, intake, **PAGE_BOOTSTRAP)
    assert (report.n_applicants, report.n_selected) == (n_applicants, n_hired)
    final = next(row for row in report.validity if row.key == "final").result
    assert final.n == n_hired and final.u < 0.7  # the hired are a restricted range

    # Observed among the hired: attenuated (with a quarter or less hired at ρ >= 0.5, its interval
    # misses the truth).
    assert final.r < true_validity
    assert (true_validity not in final.ci_bca) == observed_misses
    # Corrected with the applicants' SD (Thorndike case II): the truth is inside the interval,
    # and the estimate is closer to the truth (and to the pool's own correlation) than the observed r.
    assert true_validity in final.corrected_ci_bca and true_validity in final.corrected_ci_percentile
    assert pool_validity in final.corrected_ci_bca
    assert abs(final.corrected - true_validity) < abs(final.r - true_validity)
    assert abs(final.corrected - true_validity) < 0.15

    # A score that predicts nothing: its corrected interval holds 0.
    skb = next(row for row in report.validity if row.key == "SKB").result
    assert 0.0 in skb.corrected_ci_bca


def test_adverse_impact_by_region_flags_the_group_below_four_fifths(db_session, make_user):
    rater = make_user("hr_officer")
    intake, _pool = build_intake(
        db_session, rater, true_validity=0.4, n_applicants=600, n_hired=150, seed=21, code="AI", low_region=100
    )
    report = effectiveness(db_session, intake, **PAGE_BOOTSTRAP)
    impact = report.impact["region"]
    groups = [str(g) for g in impact.groups.tolist()]
    papua = groups.index("Papua")
    assert (impact.applicants[papua], impact.selected[papua]) == (100, 10)
    assert impact.rate[papua] == pytest.approx(0.10)
    assert impact.impact_ratio[papua] == pytest.approx(0.10 / max(impact.rate))
    assert bool(impact.four_fifths_flag[papua]) and bool(impact.significant[papua])
    assert not any(bool(impact.four_fifths_flag[i]) for i, g in enumerate(groups) if g != "Papua")
    assert {str(g) for g in report.impact["gender"].groups.tolist()} == {"L", "P"}


def test_the_report_page_shows_the_services_numbers_and_plots_to_the_committee(app, db_session, make_user):
    rater = make_user("hr_officer")
    intake, _pool = build_intake(
        db_session, rater, true_validity=0.5, n_applicants=400, n_hired=100, seed=31, code="PAGE", low_region=60
    )
    final = next(row for row in effectiveness(db_session, intake, **PAGE_BOOTSTRAP).validity if row.key == "final")
    for role in ("committee", "hr_officer"):
        client, _user = world.signed_in(app, make_user, role)
        page = client.get(f"/sdm/efektivitas?angkatan={intake.id}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        row = re.search(r'<tr data-key="final">(.*?)</tr>', html, flags=re.S).group(1)
        result = final.result
        for value in (result.r, result.corrected, result.corrected_ci_bca.low, result.corrected_ci_bca.high):
            assert f"{value:.3f}".replace(".", ",") in row  # the Indonesian decimal comma
        assert "di bawah 4/5" in html  # the Papua group is flagged
        for url in (
            f"/sdm/efektivitas/{intake.id}/validitas.png",
            f"/sdm/efektivitas/{intake.id}/sebaran/final.png",
            f"/sdm/efektivitas/{intake.id}/dampak/region.png",
            f"/sdm/efektivitas/{intake.id}/dampak/gender.png",
        ):
            image = client.get(url)
            assert image.status_code == 200 and image.data.startswith(b"\x89PNG"), url
        assert client.get(f"/sdm/efektivitas/{intake.id}/sebaran/TIDAK-ADA.png").status_code == 404

    candidate, _user = world.signed_in(app, make_user, "candidate")
    assert candidate.get(f"/sdm/efektivitas?angkatan={intake.id}").status_code == 403
    assert candidate.get(f"/sdm/efektivitas/{intake.id}/validitas.png").status_code == 403
    assert app.test_client().get(f"/sdm/efektivitas/{intake.id}/validitas.png").status_code == 302
