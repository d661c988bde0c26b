"""The hashes of the public proof pages read on a 360 px phone: a 64-character hash wraps in a few
even lines people can compare by eye, not one letter a line down a squeezed column (issue 19)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from examserver.extensions import db
from examserver.selection.models import Announcement
from proctoring import receipts
from proctoring.models import Receipt
from tests.conftest import served
from tests.examserver.test_pages_fit_a_phone import PHONE

#: Most lines a 64-character hash may take: four of 16 or more characters.
MOST_LINES = 4

#: Each 64-character hash in ``main``: its text and how many lines it takes.
HASHES = """
() => [...document.querySelectorAll("main code")]
  .filter((code) => /^[0-9a-f]{64}$/.test(code.textContent.trim()))
  .map((code) => {
    const range = document.createRange();
    range.selectNodeContents(code);
    const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
    return [code.textContent.trim().slice(0, 8), tops.size];
  })
"""


@pytest.fixture(scope="module")
def live_demo(demo_app):
    """The shared demo app served on a free local port in a thread (read only)."""
    with served(demo_app) as url:
        yield url


@pytest.fixture(scope="module")
def proof_pages(demo_app) -> list[str]:
    """The public pages that show hashes: a ranking announcement, its checkpoints, a receipt."""
    with demo_app.app_context():
        ranking = db.session.scalar(select(Announcement).where(Announcement.stage != "administrative").limit(1))
        receipt = db.session.scalar(select(Receipt).order_by(Receipt.session_id).limit(1))
        return [
            f"/seleksi/pengumuman/{ranking.id}",
            f"/seleksi/pengumuman/{ranking.id}/titik-periksa",
            f"/ujian/tanda-terima?kode={receipts.readable(receipt.code)}",
        ]


def test_hashes_wrap_in_a_few_even_lines_on_a_phone(live_demo, browser, proof_pages):
    page = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    squeezed = []
    for url in proof_pages:
        page.goto(live_demo + url, wait_until="domcontentloaded")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1, url
        found = page.evaluate(HASHES)
        assert found, url  # the page shows its hashes
        squeezed += [f"{url}: {start}… on {lines} lines" for start, lines in found if lines > MOST_LINES]
    page.context.close()
    assert not squeezed, "\n".join(squeezed)
