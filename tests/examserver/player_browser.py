"""The exam player in a real headless Chromium: what its browser tests share (the served demo with
an outage switch, phone-sized contexts, signing in, answering, waiting for saves and for the
service worker's copy). The tests: ``test_player_browser.py`` (the candidate alone),
``test_player_proctor_browser.py`` (time up, pauses, warnings, a second device, the adaptive
sitting), ``test_player_tabs_browser.py`` and ``tests/security/test_shared_computer_browser.py``."""

from __future__ import annotations

import json
import threading
import weakref
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from examserver.accounts.models import User
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.delivery.services import to_display
from examserver.extensions import db

INSTANCE = Path(__file__).resolve().parents[2] / "instance"
SCREENSHOTS = INSTANCE / "screenshots"
PHONE = {"width": 360, "height": 740}
PASSWORD = "demo12345"
ITEM_COUNT = 15
SECRETS = ('"correct"', '"weights"', '"answer"', "TWK-", "TIU-", "TKP-", "item_id")
#: Chromium flags for a quiet, deterministic headless run.


class Outage:
    """WSGI middleware: while ``down`` is set, every request gets 503 and reaches nothing.

    Chromium's emulated outage (``context.set_offline``) does not cover a service worker's own
    fetches; the tests cut the link at the server too, so "nothing reached the server while
    offline" holds for every request, and the worker's fallback to its kept page is exercised.
    Every outage ends with the test that made it (``phone`` lifts them all), so a test that fails
    offline does not take the next tests of its module down with it."""

    instances: weakref.WeakSet[Outage] = weakref.WeakSet()

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.down = False
        Outage.instances.add(self)

    def __call__(self, environ, start_response):
        if self.down:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Content-Length", "0")])
            return [b""]
        return self.wsgi_app(environ, start_response)


def serve(app):
    """Serve ``app`` on a free port in a thread; returns the server (``app.url`` is its address)."""
    if not isinstance(app.wsgi_app, Outage):
        app.wsgi_app = Outage(app.wsgi_app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.url = f"http://127.0.0.1:{server.server_port}"
    return server


def set_offline(context, app, offline: bool) -> None:
    """Take the browser off the network (Chromium's emulation) and cut the link at the server too."""
    app.wsgi_app.down = offline
    context.set_offline(offline)


@pytest.fixture(scope="module")
def live(demo_app):
    """The demo app (accounts, items, the always-open DEMO-SKD sitting) served on a free port."""
    server = serve(demo_app)
    yield demo_app
    server.shutdown()
    server.server_close()


@pytest.fixture
def phone(browser):
    """Factory: a fresh phone-sized browser context (its own cookies, storage, service worker)."""
    contexts = []

    def make(**options):
        context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True, **options)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return context, page

    yield make
    for outage in Outage.instances:
        outage.down = False
    for context in contexts:
        context.close()


# ------------------------------------------------------------------------------------ helpers


def session_id(app, candidate: int, code: str = "DEMO-SKD") -> int:
    """The id of demo candidate ``kandidat<candidate>``'s session of the sitting ``code``."""
    with app.app_context():
        return db.session.scalar(
            select(ExamSession.id)
            .join(ExamSchedule)
            .join(User, User.id == ExamSession.candidate_id)
            .where(ExamSchedule.code == code, User.email == f"kandidat{candidate}@demo.id")
        )


def stored_answers(app, exam_id: int) -> dict[int, object]:
    """What the server holds, in the browser's display numbers: position -> response."""
    with app.app_context():
        exam = db.session.get(ExamSession, exam_id)
        return {si.position: to_display(si, si.answer.response) for si in exam.items if si.answer}


def sign_in(page, app, candidate: int) -> None:
    page.goto(app.url + "/masuk")
    page.get_by_label("Email").fill(f"kandidat{candidate}@demo.id")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/peserta/")


def start_exam(page, app, exam_id: int) -> None:
    """From the start page, press the start button and wait for the player's first item."""
    page.goto(f"{app.url}/ujian/{exam_id}")
    page.get_by_role("button", name="Mulai ujian").click()
    wait_item(page, 1)


def start_without_the_player(page, app, exam_id: int) -> None:
    """Start the session from the start page by the API, so the player's files stay uncached."""
    page.goto(f"{app.url}/ujian/{exam_id}")
    status = page.evaluate(
        """async (device) => (await fetch(document.getElementById('start-form').dataset.api, {
          method: 'POST',
          headers: {'Content-Type': 'application/json',
                    'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content},
          body: JSON.stringify({client_id: device})})).status""",
        page.locator("#start-form").get_attribute("data-device"),
    )
    assert status == 200


def wait_item(page, position: int, timeout: float = 15_000, count: int = ITEM_COUNT) -> None:
    page.locator("#item h1").filter(has_text=f"Soal {position} dari {count}").wait_for(timeout=timeout)


def answer(page, position: int, count: int = ITEM_COUNT) -> object:
    """Answer the item on screen by touching it; returns the expected display response."""
    wait_item(page, position, count=count)
    numeric = page.locator("#answer-num")
    if numeric.count():
        numeric.fill(f"{position},5")
        numeric.press("Tab")
        return float(f"{position}.5")
    options = page.locator("#item .opt")
    choice = position % options.count()
    options.nth(choice).click()
    value = options.nth(choice).locator("input").get_attribute("value")
    if options.nth(choice).locator("input").get_attribute("type") == "checkbox":
        return [value]
    return value


def answer_every_item(page) -> dict[int, object]:
    """Answer every item in turn from the first (:func:`answer`), moving on with "Berikutnya";
    returns the expected display response by position."""
    expected = {}
    for position in range(1, ITEM_COUNT + 1):
        expected[position] = answer(page, position)
        if position < ITEM_COUNT:
            page.get_by_role("button", name="Berikutnya").click()
    return expected


def shown_response(page) -> object:
    if page.locator("#answer-num").count():
        return float(page.locator("#answer-num").input_value().replace(",", "."))
    checked = page.locator("#item .opt input:checked")
    values = [checked.nth(i).get_attribute("value") for i in range(checked.count())]
    if page.locator("#item .opt input[type=checkbox]").count():
        return values
    return values[0] if values else None


def net_text(page) -> str:
    return page.locator("#net").inner_text()


def wait_saved(page, timeout: float = 30_000) -> None:
    page.wait_for_function(
        "() => document.getElementById('net').textContent === 'Tersimpan'", timeout=timeout, polling=100
    )


def wait_offline_copy(page, timeout: float = 15_000) -> None:
    """Wait until the service worker controls the page and keeps a copy of it for a reload while offline.

    ``wait_for_function`` does not await a Promise (an async predicate is truthy at once, see
    microsoft/playwright#29132), so the controller is polled synchronously and the cache is polled
    inside one ``evaluate``, which does await the Promise it is given.
    """
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=timeout, polling=100)
    kept = page.evaluate(
        """async (timeout) => {
          const until = Date.now() + timeout;
          while (!(await caches.match(location.pathname))) {
            if (Date.now() > until) return false;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          return true;
        }""",
        timeout,
    )
    assert kept, "the service worker kept no copy of the page"


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def remaining_shown(page) -> int:
    minutes, seconds = page.locator("#clock").inner_text().split(":")[-2:]
    return int(minutes) * 60 + int(seconds)


def write_metrics(**values) -> dict:
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "player-metrics.json"
    metrics = json.loads(path.read_text()) if path.exists() else {}
    metrics.update(values)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True))
    return metrics
