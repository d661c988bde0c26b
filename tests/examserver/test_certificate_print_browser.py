"""The result certificate prints from its own button, in a phone-sized Chromium, under the page's CSP."""

from __future__ import annotations

from playwright.sync_api import expect

from examserver.demo.finished import CODE
from tests.examserver import player_browser as player

live = player.live  # the demo served on a free port
phone = player.phone


def test_the_certificate_has_a_print_button_and_prints_without_the_page_furniture(live, phone):
    _context, page = phone()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    # Count the print dialogues instead of opening one (headless Chromium would wait on it).
    page.add_init_script("window.printed = 0; window.print = () => { window.printed += 1; };")
    player.sign_in(page, live, 1)
    page.goto(f"{live.url}/ujian/{player.session_id(live, 1, CODE)}/sertifikat")
    button = page.get_by_role("button", name="Cetak sertifikat")
    expect(button).to_be_visible()
    button.click()
    assert page.evaluate("window.printed") == 1
    assert problems == [] and page.errors == []  # no CSP violation: the handler comes from a file

    page.emulate_media(media="print")
    assert button.is_hidden() and page.locator("header.top").is_hidden()
    expect(page.get_by_role("heading", name="Sertifikat hasil ujian")).to_be_visible()
