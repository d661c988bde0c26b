"""The phone-width check: a page fits a 360 px phone when nothing scrolls sideways and each table
keeps its key column in view even when the table itself is scrolled to its far end.

Every page of every role is measured with it by ``test_every_page_fits_a_phone`` in
``test_no_codes_on_screen.py``, on the crawl that module makes for its code check (one crawl per
role for both), in one headless Chromium page per role whose context carries the crawling test
client's session cookie, so no second sign-in is recorded. Here: the measure and its own test.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from examserver import access
from tests.conftest import served
from tests.demo_crawl import ACCOUNTS, Page

PHONE = {"width": 360, "height": 740}
#: Sub-pixel rounding: a page 361 px wide at a 360 px viewport is rounding, not a sideways scroll.
SLACK = 1
#: Where a signed-out visitor starts: the home page (it sends them to sign in) and the sign-in page;
#: the public pages are reached from there, by the links at the foot of every page.
PUBLIC_STARTS = ["/", "/masuk"]

#: Measures the open page in the browser. ``wide``: the document's width. ``hidden``: tables whose
#: first (key) column leaves the viewport once the table's own scroll box is scrolled to its far
#: end, each named by its id, caption or first heading. Cells spanning several columns (an empty
#: list's one row) are not key cells.
MEASURE = """
(width) => {
  const scroller = (node) => {
    for (let box = node.parentElement; box && box !== document.body; box = box.parentElement) {
      const overflow = getComputedStyle(box).overflowX;
      if ((overflow === "auto" || overflow === "scroll") && box.scrollWidth > box.clientWidth) return box;
    }
    return null;
  };
  const name = (table) => table.id || (table.caption && table.caption.textContent.trim())
    || ((table.querySelector("th") || table).textContent.trim().slice(0, 40));
  const hidden = [];
  for (const table of document.querySelectorAll("table")) {
    const box = scroller(table);
    if (box) box.scrollLeft = box.scrollWidth;
    const out = [...table.querySelectorAll("tr > :first-child")].some((cell) => {
      const r = cell.getBoundingClientRect();
      return cell.colSpan === 1 && r.width > 0 && (r.left < -1 || r.right > width + 1);
    });
    if (box) box.scrollLeft = 0;
    if (out) hidden.push(name(table));
  }
  return {wide: document.documentElement.scrollWidth, hidden};
}
"""


def problems_of(page) -> list[str]:
    """What is wrong with the open page at the phone's width, as lines to print (empty: it fits).

    The width is compared with the viewport the context was given, not ``window.innerWidth``:
    a mobile context widens its window to the content, so a page 600 px wide would pass."""
    width = page.viewport_size["width"]
    found = page.evaluate(MEASURE, width)
    path = urlsplit(page.url)
    where = path.path + (f"?{path.query}" if path.query else "")
    problems = []
    if found["wide"] > width + SLACK:
        problems.append(f"{where}: {found['wide']} px wide")
    problems += [f"{where}: key column of table {name!r} out of view" for name in found["hidden"]]
    return problems


@pytest.fixture(scope="module")
def live_demo(demo_app):
    """The shared demo app served on a free local port in a thread (read only, like the app)."""
    with served(demo_app) as url:
        yield url


def to_visit(app, role: str | None, pages: list[Page], public: set[str]) -> list[str]:
    """The pages of ``role`` no other run visits: not the public ones, and for the administrator,
    who may open nearly every page, only the pages of views no other role of the demo may open."""
    if role is None:
        return [page.url for page in pages]
    others = set(ACCOUNTS) - {role} if role == "admin" else set()
    return [
        page.url
        for page in pages
        if page.url not in public and not others.intersection(access.audience(app, page.endpoint))
    ]


def phone_page(browser, base: str, client, app):
    """A phone-sized page signed in as ``client`` is, by the client's own session cookie."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is not None:
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])
    return context.new_page()


def test_the_check_reports_a_page_wider_than_the_phone(live_demo, browser):
    """One violating page, made by adding a hash that may not wrap and a scrolled table without a
    sticky key column to a real page with the app's stylesheet: the check names both. (The page's CSP
    refuses style attributes, so the script sets the styles through the DOM.)"""
    page = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    page.goto(live_demo + "/masuk", wait_until="domcontentloaded")
    assert problems_of(page) == []
    page.evaluate(
        """() => {
          const main = document.querySelector("main");
          const hash = main.appendChild(document.createElement("p"));
          hash.textContent = "9f86d081884c7d659a2feaa0c55ad015".repeat(2);
          hash.style.whiteSpace = "nowrap";  // as in a cell that must not wrap: the stylesheet cannot help
          const box = main.appendChild(document.createElement("div"));
          box.style.overflowX = "auto";
          box.innerHTML = '<table id="wide-table"><tr><th>Kunci</th><td>lebar</td></tr></table>';
          box.querySelector("td").style.minWidth = "900px";
        }"""
    )
    problems = problems_of(page)
    page.context.close()
    assert len(problems) == 2, problems
    assert problems[0].startswith("/masuk: ") and problems[0].endswith(" px wide")
    assert int(problems[0].split()[1]) > 400
    assert problems[1] == "/masuk: key column of table 'wide-table' out of view"
