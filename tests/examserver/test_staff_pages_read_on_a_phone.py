"""The proctor's and the item bank's pages on the demo as a person reads them at 360 px (issue 19):
the review queue's flags in view and whole, the live room's "last seen" in minutes, hours or days
(not a month of seconds), a calibration's condition number without Python's "6.42e+18", and an
imported calibration that is not said to have failed to converge.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from examserver.delivery.models import ExamSchedule
from examserver.demo.finished import CODE
from examserver.extensions import db
from examserver.numbers import format_number
from itembank.models import CalibrationRun
from tests.conftest import demo_client, served
from tests.examserver.test_pages_fit_a_phone import PHONE, phone_page


@pytest.fixture(scope="module")
def live_demo(demo_app):
    """The shared demo app served on a free local port in a thread (read only, like the app)."""
    with served(demo_app) as url:
        yield url


@pytest.fixture(scope="module")
def finished_sitting(demo_app) -> int:
    with demo_app.app_context():
        return db.session.scalar(select(ExamSchedule.id).where(ExamSchedule.code == CODE))


#: Each flag list of the review queue: where it is on the screen, once the table's own box is
#: scrolled to its start and to its end (the first column sticks over whatever scrolls under it).
FLAG_BOXES = """
() => {
  const box = document.querySelector(".table-scroll");
  const where = () => [...document.querySelectorAll("ul.flags")].map((list) => {
    const r = list.getBoundingClientRect();
    return {left: r.left, right: r.right};
  });
  box.scrollLeft = 0;
  const start = where();
  box.scrollLeft = box.scrollWidth;
  const end = where();
  box.scrollLeft = 0;
  return {start, end};
}
"""


def test_the_review_queue_shows_each_flag_whole_on_a_phone(demo_app, live_demo, browser, finished_sitting):
    proctor = demo_client(demo_app, "pengawas@demo.id")
    page = phone_page(browser, live_demo, proctor, demo_app)
    page.goto(f"{live_demo}/pengawas/jadwal/{finished_sitting}/telaah", wait_until="domcontentloaded")
    boxes = page.evaluate(FLAG_BOXES)
    page.context.close()
    assert len(boxes["start"]) >= 4  # the copier, the source, the wanderer, the rusher
    for position in ("start", "end"):
        for box in boxes[position]:
            # In view at either scroll position, and wide enough for a line of words (the column of
            # its own was 15rem, pushed off the screen and then half covered by the sticky numbers).
            assert 0 <= box["left"] and box["right"] <= PHONE["width"], (position, box)
            assert box["right"] - box["left"] >= 250, (position, box)


def test_the_live_room_says_when_a_candidate_was_last_seen_in_a_readable_unit(demo_app, finished_sitting):
    page = demo_client(demo_app, "pengawas@demo.id").get(f"/pengawas/jadwal/{finished_sitting}").get_data(as_text=True)
    seen = re.findall(r'<td data-field="seen">([^<]*)</td>', page)
    assert len(seen) == 60
    # The demo sitting ended a month before the demo was seeded ("30 hari lalu"): never seconds.
    assert all(re.fullmatch(r"\d+ (hari|jam|mnt) lalu", text) for text in seen), sorted(set(seen))
    away = re.findall(r'<td data-field="away"[^>]*>([^<]*)</td>', page)
    assert away and all(re.fullmatch(r"\d+× \([\d.]+ dtk\)", text) for text in away), sorted(set(away))


def test_the_room_script_counts_in_the_same_units(demo_app, live_demo, browser, finished_sitting):
    """Between the server's readings the page's script moves the clocks on: in the same words."""
    proctor = demo_client(demo_app, "pengawas@demo.id")
    page = phone_page(browser, live_demo, proctor, demo_app)
    page.goto(f"{live_demo}/pengawas/jadwal/{finished_sitting}", wait_until="domcontentloaded")
    page.wait_for_selector("#room-updated:has-text('WIB')", timeout=15000)  # the script has read the server
    seen = page.eval_on_selector_all('[data-field="seen"]', "cells => cells.map(c => c.textContent)")
    page.context.close()
    assert seen and all(re.fullmatch(r"\d+ (hari|jam|mnt) lalu", text) for text in seen), sorted(set(seen))


def test_a_calibration_page_writes_its_numbers_for_people(demo_app):
    reviewer = demo_client(demo_app, "reviewer@demo.id")
    with demo_app.app_context():
        runs = db.session.execute(select(CalibrationRun.id, CalibrationRun.iterations)).all()
    assert {iterations is None for _id, iterations in runs} == {True, False}  # imported and estimated
    for run_id, iterations in runs:
        page = reviewer.get(f"/bank-soal/kalibrasi/{run_id}").get_data(as_text=True)
        assert "None" not in page and not re.search(r"\d[.,]\d+e[+-]\d", page)
        converged = re.search(r"<dt>Konvergen</dt><dd>(.*?)</dd>", page).group(1)
        if iterations is None:  # parameters imported, nothing estimated: nothing failed to converge
            assert converged == "tanpa estimasi EM"
        else:
            assert re.search(r"\d+ langkah EM$", converged)
            condition = re.search(r"bilangan kondisi ([^·<]+?) ·", page).group(1)
            assert re.fullmatch(r"[\d.]+|\d,\d\d × 10[⁰¹²³⁴⁵⁶⁷⁸⁹]+", condition), condition


@pytest.mark.parametrize(
    "locale,value,written",
    [("id", 6.42e18, "6,42 × 10¹⁸"), ("en", 6.42e18, "6.42 × 10¹⁸"), ("id", 9.996e18, "1,00 × 10¹⁹"),
     ("id", 123456.7, "123.457"), ("id", None, "–")],
)  # fmt: skip
def test_a_magnitude_is_a_power_of_ten_in_the_readers_notation(app, locale, value, written):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(locale):
        assert format_number(value, "magnitude") == written


#: Each registration number in the table's key column: its lines, where it is once the table's own
#: box is scrolled to its end, and the page's width.
NUMBER_LINES = """
() => {
  const box = document.querySelector(".table-scroll");
  const cells = [...document.querySelectorAll("table tbody tr:not(.flag-row) > td:first-child")];
  const lines = cells.map((cell) => {
    const range = document.createRange();
    range.selectNodeContents(cell.querySelector("a") || cell);
    return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
  });
  box.scrollLeft = box.scrollWidth;
  const left = Math.min(...cells.map((cell) => cell.getBoundingClientRect().left));
  const right = Math.max(...cells.map((cell) => cell.getBoundingClientRect().right));
  return {lines, left, right, page: document.documentElement.scrollWidth};
}
"""


@pytest.mark.parametrize("where", ["", "/telaah"], ids=["live room", "review queue"])
def test_registration_numbers_read_in_one_line_on_a_phone(demo_app, live_demo, browser, finished_sitting, where):
    """The sticky key column wrote "UJICOBA- / 2026-10- / VMLN5J" in three lines a number."""
    proctor = demo_client(demo_app, "pengawas@demo.id")
    page = phone_page(browser, live_demo, proctor, demo_app)
    page.goto(f"{live_demo}/pengawas/jadwal/{finished_sitting}{where}", wait_until="domcontentloaded")
    found = page.evaluate(NUMBER_LINES)
    page.context.close()
    assert len(found["lines"]) >= 20 and set(found["lines"]) == {1}, found["lines"]
    assert found["page"] <= PHONE["width"]  # the table scrolls in its own box
    assert 0 <= found["left"] and found["right"] <= PHONE["width"], found  # the key column stays in view
