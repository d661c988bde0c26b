"""Performance evaluation and the nine-box talent map: who may see the HR pages, periods, supervisor
ratings against targets, the configurable combination, and nine-box placement with reasons."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from examserver import access
from examserver.hr.models import CommunityFeedback, CompetencyEstimate, EvaluationPeriod, SupervisorRating
from itembank.database import utcnow
from tests.examserver import hr_evaluation_world as world
from tests.examserver.hr_evaluation_world import token

#: The HR pages of evaluation, feedback moderation, talent map, consultation and effectiveness.
PAGES = (
    "/sdm/penilaian",
    "/sdm/penilaian/baru",
    "/sdm/penilaian/{period}",
    "/sdm/penilaian/{period}/ubah",
    "/sdm/penilaian/{period}/pegawai/{employee}",
    "/sdm/moderasi",
    "/sdm/talenta",
    "/sdm/talenta.png",
    "/sdm/konsultasi",
    "/sdm/efektivitas",
)
#: Only these HR endpoints may be used without an account.
PUBLIC_HR_ENDPOINTS = {"hr.feedback", "hr.public_consultation"}


@pytest.fixture
def staff(db_session):
    """One employee and one period, for URLs with ids."""
    position = world.profile(db_session)
    person = world.employee(db_session, position, 1)
    period = world.period(db_session)
    db_session.commit()
    return {"period": period.id, "employee": person.id}


def test_only_the_feedback_form_and_the_consultation_page_of_hr_are_public(app):
    public = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("hr.") and access.rule_for(app, rule.endpoint).public
    }
    assert public == PUBLIC_HR_ENDPOINTS


@pytest.mark.parametrize("role", ["candidate", "proctor", "item_writer"])
def test_candidates_and_other_staff_get_403_on_hr_pages(app, make_user, db_session, staff, role):
    client, _user = world.signed_in(app, make_user, role)
    for page in PAGES:
        url = page.format(**staff)
        assert client.get(url).status_code == 403, url
    posted = client.post("/sdm/penilaian/baru", data={"csrf_token": token(client, "/akun"), "code": "X"})
    assert posted.status_code == 403


def test_the_public_gets_no_hr_page(app, db_session, staff):
    client = app.test_client()
    for page in PAGES:
        url = page.format(**staff)
        response = client.get(url)
        # A person is sent to sign in (nothing of the page is served); an API-style request gets 401.
        assert response.status_code == 302 and "/masuk" in response.headers["Location"], url
        assert client.get(url, headers={"Accept": "application/json"}).status_code == 401, url
    assert client.post("/sdm/penilaian/baru", data={"code": "X"}).status_code in (302, 400, 401, 403)
    assert db_session.scalar(select(EvaluationPeriod).where(EvaluationPeriod.code == "X")) is None


def test_hr_creates_a_period_and_refuses_reversed_dates_and_weights_outside_0_1(app, make_user, db_session):
    client, _user = world.signed_in(app, make_user, "hr_officer")
    form = {
        "code": "PK-2027",
        "title": "Penilaian kinerja 2027",
        "starts_on": "2027-01-01",
        "ends_on": "2027-12-31",
        "supervisor_weight": "0.6",
        "is_feedback_open": "y",
        "csrf_token": token(client, "/sdm/penilaian/baru"),
    }
    assert client.post("/sdm/penilaian/baru", data={**form, "ends_on": "2026-12-31"}).status_code == 200
    assert client.post("/sdm/penilaian/baru", data={**form, "supervisor_weight": "1.5"}).status_code == 200
    assert db_session.scalar(select(EvaluationPeriod)) is None
    assert client.post("/sdm/penilaian/baru", data=form).status_code == 303
    period = db_session.scalar(select(EvaluationPeriod))
    assert (period.code, period.supervisor_weight, period.is_feedback_open) == ("PK-2027", 0.6, True)


def _rate(client, period_id, employee_id, targets, comment=""):
    url = f"/sdm/penilaian/{period_id}/pegawai/{employee_id}"
    data = {"csrf_token": token(client, url), "comment": comment}
    for i, (text, weight, achieved) in enumerate(targets):
        data |= {f"targets-{i}-target": text, f"targets-{i}-weight": weight, f"targets-{i}-achieved": achieved}
    return client.post(url, data=data)


def test_supervisor_rating_against_targets_and_the_configurable_combination(app, make_user, db_session):
    position = world.profile(db_session)
    person = world.employee(db_session, position, 1, unit="Dinas Dukcapil")
    period = world.period(db_session, weight=0.7)
    db_session.add_all(
        CommunityFeedback(
            period_id=period.id, unit="Dinas Dukcapil", rating=rating, sender_hash="0" * 64, status=status,
            moderated_at=None if status == "pending" else utcnow(),
        )
        for rating, status in ((4, "approved"), (2, "approved"), (1, "pending"), (1, "rejected"))
    )  # fmt: skip
    db_session.commit()
    client, hr = world.signed_in(app, make_user, "hr_officer")

    # Weighted mean achievement: (2 x 90 + 1 x 120) / 3 = 100 (capped at 100); then (2 x 90 + 60) / 3 = 80.
    assert (
        _rate(client, period.id, person.id, [("Layanan tepat waktu", "2", "90"), ("Inovasi", "1", "120")]).status_code
        == 303
    )
    rating = db_session.scalar(select(SupervisorRating))
    assert rating.score == pytest.approx(100.0) and rating.rater_id == hr.id
    assert (
        _rate(client, period.id, person.id, [("Layanan tepat waktu", "2", "90"), ("Inovasi", "1", "60")]).status_code
        == 303
    )
    db_session.expire_all()
    ratings = db_session.scalars(select(SupervisorRating)).all()
    assert len(ratings) == 1 and ratings[0].score == pytest.approx(80.0)
    assert [t["target"] for t in ratings[0].targets] == ["Layanan tepat waktu", "Inovasi"]
    # No target, no rating.
    assert _rate(client, period.id, person.id, []).status_code == 200

    # Community: approved ratings 4 and 2 -> mean 3 -> 50 on 0-100 (pending and rejected do not count).
    # Combined with weight 0.7: 0.7 x 80 + 0.3 x 50 = 71.0; with weight 0.4: 0.4 x 80 + 0.6 x 50 = 62.0.
    page = client.get(f"/sdm/penilaian/{period.id}").get_data(as_text=True)
    assert "80,0" in page and "50,0" in page and "71,0" in page
    edit = f"/sdm/penilaian/{period.id}/ubah"
    form = {
        "code": period.code, "title": period.title, "starts_on": "2025-01-01", "ends_on": "2025-12-31",
        "supervisor_weight": "0.4", "is_feedback_open": "y", "csrf_token": token(client, edit),
    }  # fmt: skip
    assert client.post(edit, data=form).status_code == 303
    assert "62,0" in client.get(f"/sdm/penilaian/{period.id}").get_data(as_text=True)


# --------------------------------------------------------------------------- nine-box

PERFORMANCE = (50.0, 65.0, 80.0)  # low, mid, high
POTENTIAL = (-1.0, 0.0, 1.0)


@pytest.fixture
def talent(app, db_session, make_user, taxonomy):
    """Nine employees, one per box (performance level x potential level), and one not yet rated."""
    rater = make_user("hr_officer")
    twk, tkp = taxonomy["SKD.TWK"], taxonomy["SKD.TKP"]
    position = world.profile(db_session, requirements=[(twk, 0.0), (tkp, 0.0)])
    period = world.period(db_session)
    people = {}
    for p, potential in enumerate(POTENTIAL):
        for q, score in enumerate(PERFORMANCE):
            person = world.employee(db_session, position, 10 + 3 * p + q, full_name=f"Pegawai Kotak {q}{p}")
            for competency in (twk, tkp):
                db_session.add(
                    CompetencyEstimate(employee_id=person.id, competency_id=competency.id, theta=potential, se=0.3)
                )
            db_session.add(SupervisorRating(period_id=period.id, employee_id=person.id, rater_id=rater.id, score=score))
            people[(q, p)] = person
    unrated = world.employee(db_session, position, 99, full_name="Pegawai Belum Dinilai")
    for competency in (twk, tkp):
        db_session.add(CompetencyEstimate(employee_id=unrated.id, competency_id=competency.id, theta=0.5, se=0.3))
    db_session.commit()
    return {"period": period, "people": people, "unrated": unrated}


def _rows(html: str) -> dict[str, str]:
    """Table rows of the talent list by employee name (the first cell's link), as plain text."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        name = re.search(r"<td><a [^>]*>([^<]+)</a>", row)
        if name:
            rows[unescape(name.group(1))] = " ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split())
    return rows


def test_nine_box_places_each_employee_with_a_recommendation_and_its_reasons(app, make_user, talent):
    client, _user = world.signed_in(app, make_user, "hr_officer")
    response = client.get(f"/sdm/talenta?periode={talent['period'].id}")
    assert response.status_code == 200
    rows = _rows(response.get_data(as_text=True))

    star = rows["Pegawai Kotak 22"]
    assert "Bintang" in star and "usulkan pendidikan lanjutan" in star
    assert "Kinerja 80,0 (tinggi)" in star and "potensi kompetensi 1,00 (tinggi)" in star

    bottom = rows["Pegawai Kotak 00"]
    assert "Kinerja di bawah harapan" in bottom and "pembinaan (coaching) oleh atasan" in bottom
    assert "Kinerja 50,0 (rendah)" in bottom and "potensi kompetensi -1,00 (rendah)" in bottom

    for (q, p), _person in talent["people"].items():
        row = rows[f"Pegawai Kotak {q}{p}"]
        assert f"{1 + q + 3 * p} ·" in row, row  # box = 1 + performance level + 3 x potential level
        if (q, p) not in ((2, 2), (0, 0)):
            assert "kembangkan pada jabatan sekarang" in row, row
    assert "lengkapi data terlebih dahulu" in rows["Pegawai Belum Dinilai"]

    # The list is ordered: further education first, then coaching.
    names = list(rows)
    assert names.index("Pegawai Kotak 22") < names.index("Pegawai Kotak 00") < names.index("Pegawai Kotak 11")

    chart = client.get(f"/sdm/talenta.png?periode={talent['period'].id}")
    assert chart.status_code == 200 and chart.mimetype == "image/png"
    assert chart.data.startswith(b"\x89PNG\r\n\x1a\n") and len(chart.data) > 5000


def test_nine_box_page_in_english_translates_the_reasons(app, make_user, talent):
    client, _user = world.signed_in(app, make_user, "hr_officer")
    client.post("/bahasa", data={"lang": "en", "next": "/sdm/", "csrf_token": token(client, "/akun")})
    rows = _rows(client.get(f"/sdm/talenta?periode={talent['period'].id}").get_data(as_text=True))
    star = rows["Pegawai Kotak 22"]
    assert "further education" in star.lower() and "usulkan" not in star
