"""Dates on the demo as a person reads them at 360 px (issue 19), never broken inside: a selection
period's stages, each date range in at most two lines, one moment a line, and each fact's value
given the width of the card (beside a long stage name it was a column a word wide: "6 Okt / 2026 /
01.00 / WIB – 26 / Okt ...", eight lines for one range); the proctor's timeline of a session, each
answer's time in one line (four a row, a word a line, for 51 answers of the finished sitting).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from examserver.accounts.models import User
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.demo.finished import CODE, COPIER
from examserver.extensions import db
from examserver.oversight.models import Complaint
from examserver.selection.models import SelectionPeriod
from tests.conftest import csrf_token, demo_client, served
from tests.examserver.test_pages_fit_a_phone import PHONE, phone_page, problems_of

#: Each value of the page's fact lists: its width, its lines (line boxes of its text), its text.
FACTS = """
() => [...document.querySelectorAll("dl.facts dd")].map((dd) => {
  const range = document.createRange();
  range.selectNodeContents(dd);
  const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
  return {text: dd.textContent.trim(), width: dd.getBoundingClientRect().width, lines: tops.size};
})
"""


@pytest.fixture(scope="module")
def demo(own_demo):
    """A demo of this module's own: choosing English saves it on the committee's account."""
    return own_demo("selection-phone")


@pytest.fixture(scope="module")
def live_demo(demo):
    with served(demo) as url:
        yield url


@pytest.fixture(scope="module")
def period(demo) -> tuple[int, str]:
    with demo.app_context():
        return db.session.execute(select(SelectionPeriod.id, SelectionPeriod.code).order_by(SelectionPeriod.id)).first()


@pytest.mark.parametrize("locale", ["id", "en"])
def test_a_periods_dates_and_positions_read_on_a_phone(demo, live_demo, browser, period, locale):
    committee = demo_client(demo, "panitia@demo.id")
    committee.post("/bahasa", data={"csrf_token": csrf_token(committee, "/tentang"), "lang": locale, "next": "/"})
    page = phone_page(browser, live_demo, committee, demo)
    period_id, code = period
    found = {}
    problems = []
    for url in (f"/seleksi/panitia/periode/{period_id}", f"/seleksi/{code}", f"/seleksi/{code}/poster"):
        page.goto(live_demo + url, wait_until="domcontentloaded")
        assert page.locator("html").get_attribute("lang") == locale
        found[url] = page.evaluate(FACTS)
        problems += problems_of(page)
    page.context.close()
    assert not problems, problems
    for url, facts in found.items():
        ranges = [fact for fact in facts if " – " in fact["text"]]
        assert len(ranges) >= 4, (url, facts)  # registration and the stages
        for fact in ranges:
            assert fact["lines"] <= 2, (url, fact)  # one moment a line at most
        for fact in facts:
            assert fact["width"] >= 0.75 * PHONE["width"], (url, fact)  # the card's width, not a column


#: The lines of each answer's time in the timeline's answers table.
SAVED_LINES = """
() => [...document.querySelectorAll("table tbody tr > td:nth-child(2)")].map((cell) => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
})
"""


def test_a_timeline_writes_each_answers_time_in_one_line_on_a_phone(demo, live_demo, browser):
    with demo.app_context():
        copier = db.session.scalar(
            select(ExamSession.id)
            .join(ExamSchedule, ExamSchedule.id == ExamSession.schedule_id)
            .join(User, User.id == ExamSession.candidate_id)
            .where(ExamSchedule.code == CODE, User.email == COPIER)
        )
    proctor = demo_client(demo, "pengawas@demo.id")
    page = phone_page(browser, live_demo, proctor, demo)
    page.goto(f"{live_demo}/pengawas/sesi/{copier}", wait_until="domcontentloaded")
    lines = page.evaluate(SAVED_LINES)
    problems = problems_of(page)
    page.context.close()
    assert not problems, problems
    assert len(lines) >= 50 and set(lines) == {1}, lines


#: The lines of each text the selector finds (line boxes of its text).
LINES_OF = """
(selector) => [...document.querySelectorAll(selector)].map((node) => {
  const range = document.createRange();
  range.selectNodeContents(node);
  return {text: node.textContent.trim(),
          lines: new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size};
})
"""


@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_at_risk_positions_headers_read_on_a_phone(demo, live_demo, browser, period, locale):
    """Each header in two lines at most (the forecast's were a word a line, the header 9 lines tall),
    and each position's name, code and level readable in the sticky first column."""
    committee = demo_client(demo, "panitia@demo.id")
    committee.post("/bahasa", data={"csrf_token": csrf_token(committee, "/tentang"), "lang": locale, "next": "/"})
    page = phone_page(browser, live_demo, committee, demo)
    page.goto(f"{live_demo}/seleksi/panitia/periode/{period[0]}/formasi-rawan", wait_until="domcontentloaded")
    headers = page.evaluate(LINES_OF, "#at-risk thead th")
    names = page.evaluate(LINES_OF, "#at-risk tbody td:first-child")
    codes = page.evaluate(LINES_OF, "#at-risk tbody td:first-child .small > *")
    problems = problems_of(page)
    page.context.close()
    assert not problems, problems
    assert len(headers) >= 7 and all(header["lines"] <= 2 for header in headers), headers
    # A position's name beside its code and level in at most five lines (seven, a word a line, and
    # the code broken at its hyphen, "ANALIS- / KEU"), the code and the level each on one line.
    assert names and all(name["lines"] <= 5 for name in names), names
    assert len(codes) == 2 * len(names) and all(code["lines"] == 1 for code in codes), codes


@pytest.mark.parametrize("locale", ["id", "en"])
def test_a_cases_code_and_times_never_break_inside_on_a_phone(demo, live_demo, browser, locale):
    """The heading broke the tracking code at its hyphen ("PGD- / 9B256DPX"), and a time before its
    zone or its hour ("Dec 5, 2026, / 1:25 AM WIB")."""
    inspector = demo_client(demo, "inspektorat@demo.id")
    inspector.post("/bahasa", data={"csrf_token": csrf_token(inspector, "/tentang"), "lang": locale, "next": "/"})
    page = phone_page(browser, live_demo, inspector, demo)
    with demo.app_context():
        cases = db.session.execute(select(Complaint.id, Complaint.tracking_code)).all()
    assert cases
    problems = []
    for case_id, code in cases:
        page.goto(f"{live_demo}/inspektorat/kasus/{case_id}", wait_until="domcontentloaded")
        problems += problems_of(page)
        codes = [node for node in page.evaluate(LINES_OF, "h1 *") if node["text"] == code]
        assert codes and codes[0]["lines"] == 1, (case_id, codes)
        times = [node for node in page.evaluate(LINES_OF, "dd, time") if node["text"].endswith(" WIB")]
        assert len(times) >= 2 and all(node["lines"] == 1 for node in times), (case_id, times)
    page.context.close()
    assert not problems, problems


#: Each time written on the page (in either language) that is broken over two lines.
BROKEN_TIMES = r"""
() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const english = /[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d(:\d\d)?\s[AP]M WIB/.source;
  const indonesian = /\d{1,2} [A-Z][a-z]{2} \d{4} \d\d\.\d\d(\.\d\d)? WIB/.source;
  const moment = new RegExp(`${english}|${indonesian}`, "g");
  const found = [];
  const broken = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.textContent.matchAll(moment)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      found.push(match[0]);
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return {found, broken};
}
"""


@pytest.mark.parametrize("locale", ["id", "en"])
def test_times_never_break_inside_on_a_phone(demo, live_demo, browser, locale):
    """The inspectorate's cases, sanctions and records examined broke their times inside, "5 Des 2026 /
    01.25 WIB" and "Dec 5, 2026, 1:25 AM / WIB" (each time now in a span.moment)."""
    inspector = demo_client(demo, "inspektorat@demo.id")
    inspector.post("/bahasa", data={"csrf_token": csrf_token(inspector, "/tentang"), "lang": locale, "next": "/"})
    page = phone_page(browser, live_demo, inspector, demo)
    with demo.app_context():
        first = db.session.scalar(select(Complaint.id).order_by(Complaint.id))
    found, broken, problems = [], [], []
    for url in ("/inspektorat/", "/inspektorat/sanksi", f"/inspektorat/kasus/{first}/catatan"):
        page.goto(live_demo + url, wait_until="domcontentloaded")
        times = page.evaluate(BROKEN_TIMES)
        found += times["found"]
        broken += [(url, time) for time in times["broken"]]
        problems += problems_of(page)
    page.context.close()
    assert len(found) >= 5, found
    assert not broken, broken
    assert not problems, problems
