"""The item page's statistics from real sittings, and searching the bank by exposure (demo data).

The demo's finished sitting gave all sixty candidates the same 110-item fixed form, so every one
of its items has an exposure of 100% within that sitting and classical statistics from 60 sheets.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from examserver.authoring.item_usage import exposure_rates
from examserver.delivery.models import ExamSchedule
from examserver.demo.finished import CODE
from examserver.extensions import db
from itembank.models import Item
from tests.conftest import demo_client


@pytest.fixture(scope="module")
def reviewer(demo_app):
    return demo_client(demo_app, "reviewer@demo.id")


@pytest.fixture(scope="module")
def form_items(demo_app):
    """(id, code, type) of the finished sitting's items."""
    with demo_app.app_context():
        schedule = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == CODE))
        exam = schedule.sessions[0]
        return [(si.item_id, si.item.code, si.item.item_type) for si in exam.items]


def test_item_page_shows_exposure_classical_statistics_and_distractors(reviewer, form_items):
    item_id, code, _ = next(i for i in form_items if i[2] == "single_choice")
    page = reviewer.get(f"/bank-soal/butir/{item_id}").get_data(as_text=True)
    assert "Pemakaian dalam ujian" in page
    match = re.search(r"(\d+) dari (\d+) sesi", page)
    assert match and int(match.group(1)) >= 60 and int(match.group(1)) <= int(match.group(2))
    assert "Tingkat kesukaran (p)" in page and "Analisis pengecoh" in page
    # Answers were simulated from the bank's 2PL parameters: the key correlates positively with
    # the rest score.
    key_row = re.search(
        r"<td>([A-E]) · kunci</td><td class=\"num\">[\d,]+%</td><td class=\"num\">(-?[\d,]+)</td>", page
    )  # written the Indonesian way: 42,5% and 0,312
    assert key_row and float(key_row.group(2).replace(",", ".")) > 0


def test_search_by_exposure(demo_app, reviewer, form_items):
    codes = {code for _, code, _ in form_items}
    high = reviewer.get("/bank-soal/butir?paparan_min=90&status=operational").get_data(as_text=True)
    found = set(re.findall(r">((?:TWK|TIU|TKP)-\d{3})<", high))
    with demo_app.app_context():
        rates = exposure_rates(db.session)
        code_of = dict(db.session.execute(select(Item.id, Item.code)).tuples().all())
    exposed = {code_of[i] for i, rate in rates.items() if rate >= 0.9}
    assert codes & found and found <= exposed
    low = reviewer.get("/bank-soal/butir?paparan_max=0").get_data(as_text=True)
    assert not (set(re.findall(r">((?:TWK|TIU|TKP)-\d{3})<", low)) & codes)
    bad = reviewer.get("/bank-soal/butir?paparan_min=150")
    assert bad.status_code == 200 and "150" in bad.get_data(as_text=True)
