"""Numbers typed and read on the demo's pages, as issue 19 found them: the SKB score "82,5", a
budget "250.000.000" or "Rp 250.000.000", an achievement "95,5"; final scores and amounts written
the reader's way ("76,96", "Rp 400.000.000"); what cannot be read refused beside its field,
translated, with nothing changed."""

from __future__ import annotations

import re
from contextlib import contextmanager
from html import unescape

import pytest
from sqlalchemy import func, select

from examserver.extensions import db
from examserver.hr.models import Employee, EvaluationPeriod, SupervisorRating, TrainingPlan
from examserver.selection.models import Application, FieldScore, SelectionPeriod
from tests.conftest import csrf_token, demo_client

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def demo(own_demo):
    """A private copy of the demo: these tests save plans, scores and ratings."""
    return own_demo("numbers")


@contextmanager
def english(client, page: str):
    """The demo account reads in English for the block (the choice is saved on the account, so
    it is set back for the other tests of the module)."""
    client.post("/bahasa", data={"csrf_token": csrf_token(client, page), "lang": "en", "next": page})
    try:
        yield
    finally:
        client.post("/bahasa", data={"csrf_token": csrf_token(client, page), "lang": "id", "next": page})


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _plan(client, budget: str):
    page = "/sdm/rencana-pelatihan"
    data = {"csrf_token": csrf_token(client, page), "title": f"Anggaran {budget}", "budget": budget, "grouping": "all"}
    return client.post(page, data=data)


@pytest.mark.parametrize("typed", ["250.000.000", "Rp 250.000.000"])
def test_a_budget_is_typed_with_thousands_dots_and_the_rupiah_sign(demo, typed):
    hr = demo_client(demo, "hr@demo.id")
    response = _plan(hr, typed)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with demo.app_context():
        plan = db.session.scalar(select(TrainingPlan).where(TrainingPlan.title == f"Anggaran {typed}"))
        assert plan.budget == 250_000_000
    page = hr.get(response.headers["Location"]).get_data(as_text=True)
    assert f"<dd>Rp{NBSP}250.000.000</dd>" in page


@pytest.mark.parametrize("typed", ["1.2.3,4,5", "abc", "Rp 1.000,50"])
def test_a_budget_that_cannot_be_read_is_refused_beside_its_field_and_nothing_is_saved(demo, typed):
    hr = demo_client(demo, "hr@demo.id")
    plans = _count(demo, TrainingPlan)
    response = _plan(hr, typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and _count(demo, TrainingPlan) == plans
    expected = f'<p class="error" id="budget-error">Tulis jumlah rupiah tanpa sen, misalnya Rp{NBSP}250.000.000.</p>'
    assert expected in html and f'value="{typed}"' in html  # what was typed stays, to be corrected
    with english(hr, "/sdm/rencana-pelatihan"):
        in_english = _plan(hr, typed).get_data(as_text=True)
    assert f"Enter an amount in whole rupiah, for example Rp{NBSP}250,000,000." in in_english
    assert _count(demo, TrainingPlan) == plans


def test_amounts_are_written_in_whole_rupiah_with_thousands_dots(demo):
    hr = demo_client(demo, "hr@demo.id")
    plans = hr.get("/sdm/rencana-pelatihan").get_data(as_text=True)
    assert f"Rp{NBSP}400.000.000" in plans and "400,000,000" not in plans  # the demo's plan
    catalogue = hr.get("/sdm/katalog").get_data(as_text=True)
    assert re.search(rf"Rp{NBSP}\d{{1,3}}(\.\d{{3}})+<", catalogue)


def _accepted_application(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Application.id)
            .join(SelectionPeriod)
            .where(SelectionPeriod.code == "CPNS-DEMO-2026", Application.status == "accepted")
            .order_by(Application.id)
        )


def _field_score(client, application_id: int, typed: str):
    page = f"/seleksi/panitia/lamaran/{application_id}"
    data = {"csrf_token": csrf_token(client, page), "component": "CAT", "score": typed}
    return client.post(f"{page}/nilai", data=data, follow_redirects=True)


def _cat_score(app, application_id: int) -> float:
    with app.app_context():
        return db.session.scalar(
            select(FieldScore.score).where(FieldScore.application_id == application_id, FieldScore.component == "CAT")
        )


def test_the_committee_types_an_skb_score_with_a_decimal_comma(demo):
    committee = demo_client(demo, "panitia@demo.id")
    application_id = _accepted_application(demo)
    page = _field_score(committee, application_id, "82,5").get_data(as_text=True)
    assert "Nilai disimpan." in page and "CAT: 82,50" in page
    assert _cat_score(demo, application_id) == 82.5

    response = _field_score(committee, application_id, "8,2,5")
    refused = response.get_data(as_text=True)
    assert response.status_code == 422  # shown again, not sent back to the page by a redirect
    assert "Nilai disimpan." not in refused and _cat_score(demo, application_id) == 82.5
    # What was wrong is said beside the field, which keeps what was typed: a number that cannot be
    # read is not "out of range", and one out of range is.
    assert '<p class="error" id="score-error">Tulis angka, misalnya 3,45.</p>' in refused
    assert 'value="8,2,5"' in refused and "antara 0 dan 100" not in refused
    too_high = _field_score(committee, application_id, "182,5").get_data(as_text=True)
    assert '<p class="error" id="score-error">Nilai harus antara 0 dan 100.</p>' in too_high
    assert 'value="182,5"' in too_high and _cat_score(demo, application_id) == 82.5


def test_final_scores_are_written_with_two_decimals_in_the_readers_notation(demo):
    committee = demo_client(demo, "panitia@demo.id")
    with demo.app_context():
        period_id = db.session.scalar(select(SelectionPeriod.id).where(SelectionPeriod.code == "CPNS-DEMO-2026"))
    page = f"/seleksi/panitia/periode/{period_id}/peringkat?tahap=final"

    def final_scores() -> list[str]:
        html = committee.get(page).get_data(as_text=True)
        rows = re.findall(r"<tr>\s*<td>[^<]+</td>(.*?)</tr>", html, re.S)
        # The final score is the third number from the end: ... SKB, final, rank.
        return [re.findall(r'<td class="num">([^<]*)</td>', row)[-2] for row in rows]

    indonesian = final_scores()
    assert indonesian and all(re.fullmatch(r"\d{1,3},\d\d|–", s) for s in indonesian), indonesian
    assert any(s != "–" for s in indonesian)
    with english(committee, page):
        assert final_scores() == [s.replace(",", ".") for s in indonesian]


def test_an_achievement_is_typed_with_a_decimal_comma(demo):
    hr = demo_client(demo, "hr@demo.id")
    with demo.app_context():
        period_id = db.session.scalar(select(EvaluationPeriod.id).order_by(EvaluationPeriod.id))
        employee_id = db.session.scalar(select(Employee.id).order_by(Employee.id))
    page = f"/sdm/penilaian/{period_id}/pegawai/{employee_id}"

    def rate(achieved: str):
        data = {"csrf_token": csrf_token(hr, page), "comment": "", "targets-0-target": "Layanan tepat waktu"}
        return hr.post(page, data=data | {"targets-0-weight": "1", "targets-0-achieved": achieved})

    def score() -> float:
        with demo.app_context():
            return db.session.scalar(
                select(SupervisorRating.score).where(
                    SupervisorRating.period_id == period_id, SupervisorRating.employee_id == employee_id
                )
            )

    assert rate("95,5").status_code == 303
    assert score() == pytest.approx(95.5)
    refused = rate("9,5,5")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and score() == pytest.approx(95.5)
    assert '<p class="error" id="targets-0-achieved-error">Tulis angka, misalnya 3,45.</p>' in html
    assert 'value="95,5"' in hr.get(page).get_data(as_text=True)  # shown back the Indonesian way


#: Numbers in Python's or English notation, which an Indonesian reader misreads: a raw float
#: ("76.964791": Indonesian groups are of three digits), one decimal after a point ("80.0": never a
#: time, 19.07, nor a group), English thousands ("400,000,000").
ENGLISH_NOTATION = re.compile(r"(?<![\w.,])(?:-?\d+\.\d{4,}|-?\d+\.\d|\d{1,3}(?:,\d{3}){2,})(?![\w.,])")
#: Names that hold a number: the IMS QTI 3.0 standard.
NAMES = re.compile(r"QTI \d\.\d")
#: What a reader does not read as prose: scripts, styles, commands, JSON typed into a textarea.
NOT_READ = re.compile(r"(?s)<(script|style|pre|code|textarea)\b[^>]*>.*?</\1>")


def english_notation(html: str) -> list[str]:
    """The numbers of a page's visible text written in a notation an Indonesian reader misreads."""
    text = unescape(re.sub(r"<[^>]+>", " ", NOT_READ.sub(" ", html)))
    return ENGLISH_NOTATION.findall(NAMES.sub(" ", text))


def test_the_check_finds_numbers_written_the_english_way():
    page = "<p>Nilai akhir 76.964791 · SKB 80.0 · Anggaran Rp 400,000,000 · 19.07 WIB · Rp 400.000.000</p>"
    assert english_notation(page) == ["76.964791", "80.0", "400,000,000"]
    assert english_notation("<p>76,96 · 80,0 · 1.234 · 3 Des 2026 02.10.23 · QTI 3.0</p><pre>1.5</pre>") == []


# Every page of every role is checked with english_notation on the crawl of
# tests/examserver/test_no_codes_on_screen.py (one crawl per role for both checks).
