"""The HR home and an inspector's case read on a 360 px phone, in Indonesian and English: the home's
cards without a list's bullets beside them, a reporter's email wrapped before its @ rather than
mid-word ("contoh.i / d", issue 19)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from examserver.extensions import db
from examserver.oversight.models import Complaint
from tests.conftest import served
from tests.examserver.test_pages_fit_a_phone import PHONE

#: Longer than the facts' value column at 360 px, in either language; its parts each fit.
EMAIL = "rudi.hartono.wibisono@kantor.contoh.id"

#: The lines the text ``token`` takes inside the first element ``selector`` that contains it.
LINES_OF = """
([selector, token]) => {
  const box = [...document.querySelectorAll(selector)].find((e) => e.textContent.includes(token));
  if (!box) return null;
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  const chars = [];
  for (let node; (node = walker.nextNode()); ) {
    for (let i = 0; i < node.data.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      chars.push([node.data[i], rect ? Math.round(rect.top) : null]);
    }
  }
  const start = chars.map((c) => c[0]).join("").indexOf(token);
  const lines = [];
  let top = null;
  for (const [ch, t] of chars.slice(start, start + token.length)) {
    if (t !== top) { lines.push(""); top = t; }
    lines[lines.length - 1] += ch;
  }
  return lines;
}
"""


@pytest.fixture(scope="module")
def site(own_demo):
    """A private demo whose first complaint's reporter left a long email, served in a thread."""
    app = own_demo("hr-oversight-phone")
    with app.app_context():
        complaint = db.session.scalar(select(Complaint).where(Complaint.reporter_contact.like("%@%")))
        complaint.reporter_contact = EMAIL
        db.session.commit()
        case = complaint.id
    with served(app) as url:
        yield url, case


def _signed_in(browser, base: str, email: str, language: str):
    page = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    page.goto(f"{base}/masuk")
    page.fill("#email", email)
    page.fill("#password", "demo12345")
    page.locator("button.primary").click()
    page.wait_for_load_state()
    if language == "en":
        page.select_option("form.lang select", "en")
        page.locator("form.lang button").click()
        page.wait_for_load_state()
    return page


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_hr_home_shows_its_cards_without_bullets(site, browser, language):
    base, _case = site
    page = _signed_in(browser, base, "hr@demo.id", language)
    page.goto(f"{base}/sdm/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    cards = page.evaluate(
        """() => [...document.querySelectorAll("main li.card")].map((li) => [
             getComputedStyle(li).display, getComputedStyle(li).listStyleType,
             Math.round(li.getBoundingClientRect().left)])"""
    )
    content_left = page.evaluate("Math.round(document.querySelector('main h1').getBoundingClientRect().left)")
    page.context.close()
    assert len(cards) >= 10
    # A list item shows a marker only as display: list-item with a list style; the card lines up
    # with the heading (a list's indent beside the bullet before).
    assert all(display != "list-item" or style == "none" for display, style, _left in cards), cards
    assert {left for _display, _style, left in cards} == {content_left}


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_reporters_email_wraps_before_its_at_not_mid_word(site, browser, language):
    base, case = site
    page = _signed_in(browser, base, "inspektorat@demo.id", language)
    page.goto(f"{base}/inspektorat/kasus/{case}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    lines = page.evaluate(LINES_OF, ["main dd", EMAIL])
    page.context.close()
    local, domain = EMAIL.split("@")
    assert lines in ([EMAIL], [local, f"@{domain}"]), lines
