"""The pages in a real headless Chromium, at a phone's width, as a person would use them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from examserver import create_app
from examserver.config import TestingConfig
from examserver.demo import seed_accounts
from examserver.extensions import db

SCREENSHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The app on a free local port with the demo accounts, in a thread."""
    database = tmp_path_factory.mktemp("live") / "live.db"
    config = type("LiveConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    app = create_app(config)
    with app.app_context():
        db.create_all()
        seed_accounts(app.config["DEMO_PASSWORD"])
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.problems = problems
    yield page
    context.close()


def fits_the_screen(page) -> bool:
    """Nothing wider than the device: the page's width against the viewport the context was given.
    Not ``window.innerWidth``: in a mobile context the layout viewport widens to the content, so a
    page 600 px wide would have passed.

    A click that navigates returns before the next page exists, so the width is read by a
    polling function once the document has loaded: Playwright re-runs it in the new page after a
    navigation instead of failing on a document that is not there yet."""
    width = page.viewport_size["width"] if page.viewport_size else PHONE["width"]
    page.wait_for_load_state()
    wide = page.wait_for_function(
        "document.readyState === 'complete' && document.documentElement ? document.documentElement.scrollWidth : 0"
    ).json_value()
    return wide <= width


def test_candidate_signs_in_on_a_phone_with_the_keyboard(live_server, phone):
    phone.goto(live_server + "/")
    assert phone.url.endswith("/masuk")
    assert phone.locator("html").get_attribute("lang") == "id"
    expect(phone.get_by_role("heading", name="Masuk")).to_be_visible()
    assert fits_the_screen(phone)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOTS / "login-360.png"), full_page=True)

    # Labels are tied to their fields, so a screen reader (and get_by_label) finds them.
    phone.get_by_label("Email").fill("kandidat1@demo.id")
    phone.get_by_label("Kata sandi").fill("demo12345")
    phone.keyboard.press("Enter")
    phone.wait_for_url("**/peserta/")
    expect(phone.get_by_role("heading", name="Beranda peserta")).to_be_visible()
    assert "Ahmad Fauzi" in phone.content()
    assert fits_the_screen(phone)
    phone.screenshot(path=str(SCREENSHOTS / "candidate-home-360.png"), full_page=True)
    assert phone.problems == []  # no CSP violations, no script errors


def test_wrong_password_shows_an_indonesian_error_next_to_the_field(live_server, phone):
    phone.goto(live_server + "/masuk")
    phone.get_by_label("Email").fill("kandidat2@demo.id")
    phone.get_by_label("Kata sandi").fill("salah-sekali")
    phone.get_by_role("button", name="Masuk").click()
    error = phone.locator("#password-error")
    assert error.inner_text() == "Email atau kata sandi salah."
    assert phone.get_by_label("Kata sandi").get_attribute("aria-invalid") == "true"


def test_skip_link_is_the_first_focus_stop(live_server, phone):
    phone.goto(live_server + "/masuk")
    phone.keyboard.press("Tab")
    focused = phone.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Langsung ke isi"


def test_admin_switches_to_english_and_disables_a_candidate(live_server, browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server + "/masuk")
    page.get_by_label("Bahasa").select_option("en")
    page.get_by_role("button", name="Ganti").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill("admin@demo.id")
    page.get_by_label("Password").fill("demo12345")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
    page.get_by_role("link", name="Manage users").click()
    page.get_by_label("Search name or email").fill("kandidat20@")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Disable kandidat20@demo.id").click()
    page.get_by_role("button", name="Disable account").click()  # refused until the box is ticked
    expect(page.get_by_text("Tick this box to confirm")).to_be_visible()
    page.get_by_label("I understand", exact=False).check()
    page.get_by_role("button", name="Disable account").click()
    expect(page.get_by_text("Account kandidat20@demo.id disabled.")).to_be_visible()
    assert page.get_by_label("Search name or email").input_value() == "kandidat20@"  # the filter survives
    assert fits_the_screen(page)
    context.close()


def test_an_empty_complaint_shows_every_error_at_once_beside_its_field(live_server, phone):
    phone.goto(live_server + "/pengaduan")
    phone.get_by_label("Yang diadukan", exact=True).select_option(label="Lokasi atau jadwal ujian")
    phone.get_by_role("button", name="Kirim pengaduan").click()
    # The browser does not stop at the first empty field: the server's answers all show together.
    phone.wait_for_selector("#description-error")
    assert phone.locator("#period-error").inner_text() == "Pilih periode seleksi."
    assert phone.locator("#schedule-error").inner_text() == "Pilih jadwal ujian yang diadukan."
    assert phone.locator("#description-error").inner_text() == "Uraikan kejadiannya."
    assert phone.get_by_label("Uraian kejadian: apa, kapan, di mana, siapa").get_attribute("aria-invalid") == "true"
    assert fits_the_screen(phone)


def test_the_inspectorate_case_list_fits_a_phone(live_server, phone):
    phone.goto(live_server + "/masuk")
    phone.get_by_label("Email").fill("inspektorat@demo.id")
    phone.get_by_label("Kata sandi").fill("demo12345")
    phone.get_by_role("button", name="Masuk").click()
    phone.wait_for_url("**/inspektorat/")
    # The status filter (four statuses with their counts) wraps instead of widening the page.
    assert phone.get_by_role("navigation", name="Saring menurut status").get_by_role("link").count() == 5
    # (A mobile context widens its window to the content, so the width is checked against the phone's.)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
