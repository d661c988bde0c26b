"""The exam player in a real headless Chromium on a phone-sized screen: a whole exam, an outage
with a reload while offline, a slow link, page weight, no key in anything the browser gets, a
wrong device clock, and a look at the 360 px layout."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from examserver.accounts.models import User
from examserver.delivery.models import ExamSchedule, ExamSession, SessionItem
from examserver.delivery.services import to_display
from examserver.extensions import db
from itembank.database import utcnow
from proctoring.models import IntegrityEvent

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
    offline" holds for every request, and the worker's fallback to its kept page is exercised."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.down = False

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
    for context in contexts:
        context.close()


# ------------------------------------------------------------------------------------ helpers


def session_id(app, candidate: int, code: str = "DEMO-SKD") -> int:
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
    page.wait_for_function("() => document.getElementById('net').textContent === 'Tersimpan'", timeout=timeout)


def wait_offline_copy(page, timeout: float = 15_000) -> None:
    """Wait until the service worker controls the page and keeps a copy of it for a reload while offline.

    ``wait_for_function`` does not await a Promise (an async predicate is truthy at once, see
    microsoft/playwright#29132), so the controller is polled synchronously and the cache is polled
    inside one ``evaluate``, which does await the Promise it is given.
    """
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=timeout)
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


# -------------------------------------------------------------------------------------- tests


def test_a_candidate_takes_the_whole_exam_on_a_phone(live, phone):
    context, page = phone()
    exam_id = session_id(live, 1)
    sign_in(page, live, 1)
    page.locator(f'a[href="/ujian/{exam_id}"]').click()
    page.get_by_role("button", name="Mulai ujian").click()
    wait_item(page, 1)
    assert page.locator("#clock").inner_text() != "--:--"

    expected = {}
    for position in range(1, ITEM_COUNT + 1):
        expected[position] = answer(page, position)
        if position < ITEM_COUNT:
            page.get_by_role("button", name="Berikutnya").click()
    wait_saved(page)
    grid = page.locator("#grid button")
    assert grid.count() == ITEM_COUNT
    assert page.locator("#grid button.done").count() == ITEM_COUNT
    assert "15 dari 15 dijawab" in page.locator("#counts").inner_text()

    # Back to item 2 through the grid: the answer is still there.
    page.get_by_role("button", name="Soal 2, sudah dijawab").click()
    wait_item(page, 2)
    assert shown_response(page) == expected[2]

    page.get_by_role("button", name="Selesai").click()
    dialog = page.locator("#confirm-finish")
    assert dialog.is_visible()
    assert "15 dari 15" in dialog.inner_text() and "0 belum dijawab" in dialog.inner_text()
    page.get_by_role("button", name="Ya, selesai").click()
    page.wait_for_url(f"**/ujian/{exam_id}/hasil")
    assert page.get_by_role("heading", name="Hasil ujian").is_visible()
    assert page.locator("tfoot").inner_text().startswith("Total")
    assert fits_the_screen(page)

    assert stored_answers(live, exam_id) == expected
    with live.app_context():
        assert db.session.get(ExamSession, exam_id).status == "submitted"
    # A shared phone keeps nothing of this exam once it is over.
    left_behind = page.evaluate(
        """async (id) => {
          const urls = Object.keys(localStorage).filter((k) => k.startsWith('ujian.' + id + '.'));
          for (const name of await caches.keys()) {
            for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
          }
          return urls;
        }""",
        exam_id,
    )
    assert [u for u in left_behind if f"/sesi/{exam_id}/" in u or u.endswith(f"/ujian/{exam_id}")] == []
    assert not [u for u in left_behind if u.startswith(f"ujian.{exam_id}.")]
    assert page.errors == []


def test_answers_survive_an_outage_and_a_reload_while_offline(live, phone):
    context, page = phone()
    exam_id = session_id(live, 2)
    sign_in(page, live, 2)
    start_exam(page, live, exam_id)
    expected = {1: answer(page, 1)}
    page.get_by_role("button", name="Berikutnya").click()
    expected[2] = answer(page, 2)
    wait_saved(page)
    wait_offline_copy(page)

    set_offline(context, live, True)
    for position in (3, 4, 5):
        page.get_by_role("button", name="Berikutnya").click()
        expected[position] = answer(page, position)
    assert "Luring" in net_text(page) and "Menunggu sinkron (3)" in net_text(page)
    assert set(stored_answers(live, exam_id)) == {1, 2}

    page.reload()  # offline: the service worker serves the page, the items come from the device
    wait_item(page, 5)
    assert shown_response(page) == expected[5]
    for position in (4, 3):
        page.get_by_role("button", name="Sebelumnya").click()
        wait_item(page, position)
        assert shown_response(page) == expected[position]
    assert "Menunggu sinkron (3)" in net_text(page)
    assert page.locator("#grid button.done").count() == 5

    set_offline(context, live, False)
    wait_saved(page, timeout=40_000)
    assert stored_answers(live, exam_id) == expected
    with live.app_context():  # the outage rode along with the saves, for the proctors' log
        kinds = set(
            db.session.scalars(
                select(IntegrityEvent.kind).where(
                    IntegrityEvent.session_id == exam_id, IntegrityEvent.source == "browser"
                )
            )
        )
    assert {"offline", "online"} <= kinds
    assert page.errors == []


def test_a_slow_link_shows_the_first_item_quickly(live, phone):
    context, page = phone()
    exam_id = session_id(live, 3)
    sign_in(page, live, 3)
    start_without_the_player(page, live, exam_id)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 400,
            "downloadThroughput": 400_000 / 8,
            "uploadThroughput": 400_000 / 8,
        },
    )
    started = time.monotonic()
    page.goto(f"{live.url}/ujian/{exam_id}", wait_until="commit")
    wait_item(page, 1, timeout=20_000)
    first_item = time.monotonic() - started
    wait_saved(page)
    options = page.locator("#item .opt")
    touched = time.monotonic()
    if options.count():
        options.first.click()
    else:
        page.locator("#answer-num").fill("1")
        page.locator("#answer-num").press("Tab")
    assert net_text(page) != "Tersimpan"
    wait_saved(page)
    saved = time.monotonic() - touched
    print(f"\nthrottled 400 kbps / 400 ms: first item {first_item:.2f} s, answer saved {saved:.2f} s")
    write_metrics(throttled_first_item_s=round(first_item, 2), throttled_answer_saved_s=round(saved, 2))
    assert first_item < 5
    assert len(stored_answers(live, exam_id)) == 1


def test_page_weight_item_and_save_sizes_stay_within_budget(live, phone):
    context, page = phone(service_workers="block")  # count the network, not a worker's cache
    exam_id = session_id(live, 4)
    sign_in(page, live, 4)
    start_without_the_player(page, live, exam_id)
    responses = []
    page.on("response", lambda r: responses.append(r))
    saves = []
    page.on("request", lambda r: saves.append(r) if r.method == "POST" and r.url.endswith("/jawaban") else None)
    page.goto(f"{live.url}/ujian/{exam_id}")
    wait_item(page, 1)
    page.wait_for_load_state("networkidle")

    def transferred(response) -> int:
        sizes = response.request.sizes()
        return sizes["responseBodySize"] + sizes["responseHeadersSize"]

    first_load = [r for r in responses if r.url.endswith(f"/ujian/{exam_id}") or "/static/" in r.url]
    assert {Path(r.url).name for r in first_load} >= {str(exam_id), "player.js", "player.css"}
    assert all(r.headers.get("content-encoding") == "gzip" for r in first_load)
    page_bytes = sum(transferred(r) for r in first_load)

    before = len(responses)
    page.evaluate(f"fetch('/api/sesi/{exam_id}/butir/7').then((r) => r.text())")
    page.wait_for_function(
        f"() => performance.getEntriesByName(location.origin + '/api/sesi/{exam_id}/butir/7').length"
    )
    page.wait_for_load_state("networkidle")
    item = next(r for r in responses[before:] if r.url.endswith("/butir/7"))
    item_bytes = transferred(item)

    answer(page, 1)
    wait_saved(page)
    save = saves[-1]
    save_body = len(save.post_data_buffer)
    save_request = save.sizes()["requestHeadersSize"] + save_body
    print(
        f"\nplayer first load (HTML+CSS+JS, gzip, with headers): {page_bytes} B; "
        f"item fetch: {item_bytes} B; save request body: {save_body} B (with headers {save_request} B)"
    )
    write_metrics(
        first_load_bytes=page_bytes,
        item_fetch_bytes=item_bytes,
        save_body_bytes=save_body,
        save_request_bytes=save_request,
    )
    assert page_bytes <= 60 * 1024
    assert item_bytes <= 3 * 1024
    assert save_body <= 1024


def test_no_answer_key_reaches_the_browser(live, phone):
    context, page = phone()
    exam_id = session_id(live, 5)
    responses = []
    context.on("response", lambda r: responses.append(r))
    texts = []

    def harvest():
        """Read the bodies now: a page's response bodies are gone once it navigates away."""
        while responses:
            response = responses.pop(0)
            try:
                texts.append(response.text())
            except Exception:  # noqa: BLE001 - redirects and aborted requests have no body
                continue

    sign_in(page, live, 5)
    page.goto(f"{live.url}/ujian/{exam_id}")
    page.get_by_role("button", name="Mulai ujian").click()
    page.wait_for_url(f"**/ujian/{exam_id}")
    harvest()
    wait_item(page, 1)
    answer(page, 1)
    page.get_by_role("button", name="Berikutnya").click()
    answer(page, 2)
    wait_saved(page)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)
    page.wait_for_load_state("networkidle")
    harvest()
    page.reload()
    wait_item(page, 2)
    page.evaluate(f"fetch('/api/sesi/{exam_id}/status').then((r) => r.text())")
    page.wait_for_load_state("networkidle")
    harvest()

    texts.append(page.evaluate("Object.keys(localStorage).map((k) => k + '=' + localStorage[k]).join('\\n')"))
    texts.append(
        page.evaluate(
            """async () => {
              const out = [];
              for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) {
                  out.push(request.url, await (await cache.match(request)).text());
                }
              }
              return out.join('\\n');
            }"""
        )
    )
    everything = "\n".join(texts)
    assert sum('"stem"' in text for text in texts[:-2]) >= 1  # the items came over the network
    assert '"stem"' in texts[-2]  # and are stored on the device for an outage
    assert f"/ujian/{exam_id}" in texts[-1]  # the worker keeps the player page
    for secret in SECRETS:
        assert secret not in everything, secret


def test_a_wrong_device_clock_changes_nothing(live, phone):
    context, page = phone()
    page.add_init_script(
        """(() => {
          const Real = Date, shift = 3600 * 1000, realNow = Real.now.bind(Real);
          class Shifted extends Real {
            constructor(...args) { if (args.length) super(...args); else super(realNow() + shift); }
            static now() { return realNow() + shift; }
          }
          window.Date = Shifted;
        })();"""
    )
    exam_id = session_id(live, 6)
    sign_in(page, live, 6)
    assert page.evaluate("Date.now() - performance.timeOrigin - performance.now()") > 3500 * 1000
    start_exam(page, live, exam_id)
    page.wait_for_function("() => document.getElementById('clock').textContent !== '--:--'")
    remaining = remaining_shown(page)
    assert 19 * 60 <= remaining <= 20 * 60, page.locator("#clock").inner_text()
    expected = answer(page, 1)
    wait_saved(page)
    assert stored_answers(live, exam_id) == {1: expected}
    page.reload()
    wait_item(page, 1)
    page.wait_for_timeout(1500)
    assert 18 * 60 <= remaining_shown(page) <= 20 * 60
    assert shown_response(page) == expected


def test_the_player_fits_a_360_px_phone(live, phone):
    context, page = phone()
    exam_id = session_id(live, 7)
    sign_in(page, live, 7)
    start_exam(page, live, exam_id)
    # The keyboard alone: "2" chooses the second option, the flag by Space, "n" moves on.
    page.locator("#item").focus()
    if page.locator("#item .opt").count():
        page.keyboard.press("2")
        assert page.locator("#item .opt").nth(1).locator("input").is_checked()
    page.locator("#flag").focus()
    page.keyboard.press("Space")
    wait_saved(page)
    assert page.get_by_role("button", name="Soal 1, sudah dijawab, ragu-ragu").count() == 1 or (
        page.get_by_role("button", name="Soal 1, belum dijawab, ragu-ragu").count() == 1
    )
    assert "1 ragu-ragu" in page.locator("#counts").inner_text()
    assert fits_the_screen(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "player-360.png"), full_page=True)

    # Every touch target is at least 44 px high.
    small = page.evaluate(
        """Array.from(document.querySelectorAll('#player button, #item .opt, .flag'))
             .filter((e) => e.offsetParent && e.getBoundingClientRect().height < 44)
             .map((e) => e.id || e.textContent.trim())"""
    )
    assert small == []

    # The largest text and the high-contrast theme still fit, and both are remembered.
    for _ in range(4):
        page.get_by_role("button", name="Perbesar huruf").click()
    page.get_by_role("button", name="Kontras tinggi").click()
    page.keyboard.press("n")
    wait_item(page, 2)
    assert fits_the_screen(page)
    page.screenshot(path=str(SCREENSHOTS / "player-360-large-contrast.png"), full_page=True)
    page.reload()
    wait_item(page, 2)
    assert page.evaluate("document.documentElement.className") == "fs-3 hc"
    assert re.fullmatch(r"\d\d:\d\d", page.locator("#clock").inner_text())
    assert page.errors == []


def test_the_readiness_check_gives_a_verdict_in_plain_indonesian(live, phone):
    context, page = phone()
    sign_in(page, live, 8)
    page.goto(f"{live.url}/ujian/cek-perangkat")
    verdict = page.locator("#verdict")
    page.wait_for_function("() => document.getElementById('verdict').textContent.length > 0", timeout=20_000)
    rows = page.locator("#checks li")
    assert rows.count() == 5
    text = page.locator("#checks").inner_text()
    for label in ("Dukungan peramban", "Penyimpanan di perangkat", "Waktu tanggap server", "Kecepatan unduh"):
        assert label in text
    assert "Selisih jam perangkat dengan server" in text and "waktu dihitung oleh server" in text
    # On the test machine's loopback everything is good.
    assert page.locator("#checks .badge").all_inner_texts() == ["Baik"] * 5
    assert verdict.inner_text() == "Perangkat dan koneksi Anda siap untuk ujian."
    assert fits_the_screen(page)
    assert page.errors == []


def test_at_time_up_the_player_hands_over_to_the_server_and_shows_the_result(live, phone):
    context, page = phone()
    exam_id = session_id(live, 9)
    sign_in(page, live, 9)
    start_exam(page, live, exam_id)
    with live.app_context():
        exam = db.session.get(ExamSession, exam_id)
        grace = exam.schedule.grace_seconds
        exam.schedule.grace_seconds = 2
        exam.deadline_at = utcnow() + timedelta(seconds=6)
        db.session.commit()
    try:
        expected = answer(page, 1)  # the save's answer brings the new deadline to the clock
        wait_saved(page)
        assert remaining_shown(page) <= 6
        page.locator("#notice").filter(has_text="Waktu habis").wait_for(timeout=15_000)
        assert page.locator("#item input").first.is_disabled()
        page.wait_for_url(f"**/ujian/{exam_id}/hasil", timeout=30_000)
        assert "Waktu habis; ujian diakhiri oleh server." in page.locator("main").inner_text()
    finally:
        with live.app_context():
            db.session.get(ExamSession, exam_id).schedule.grace_seconds = grace
            db.session.commit()
    assert stored_answers(live, exam_id) == {1: expected}
    with live.app_context():
        assert db.session.get(ExamSession, exam_id).status == "expired"


def test_a_second_device_is_told_to_ask_the_proctor(live, phone):
    first_context, first = phone()
    exam_id = session_id(live, 10)
    sign_in(first, live, 10)
    start_exam(first, live, exam_id)
    expected = answer(first, 1)
    wait_saved(first)

    second_context, second = phone()
    sign_in(second, live, 10)
    second.goto(f"{live.url}/ujian/{exam_id}")
    notice = second.locator("#notice")
    notice.filter(has_text="perangkat lain").wait_for()
    assert second.locator("#item .opt").count() == 0  # no items for a device that may not sit the exam
    assert stored_answers(live, exam_id) == {1: expected}


def test_a_pause_by_the_proctor_holds_the_answers_until_the_exam_goes_on(live, phone):
    context, page = phone()
    exam_id = session_id(live, 11)
    sign_in(page, live, 11)
    start_exam(page, live, exam_id)
    with live.app_context():
        db.session.get(ExamSession, exam_id).paused_at = utcnow()
        db.session.commit()
    try:
        expected = answer(page, 1)  # the save is refused while paused, and kept on the device
        page.locator("#notice").filter(has_text="dihentikan sementara").wait_for()
        assert "Menunggu sinkron (1)" in net_text(page)
        assert page.locator("#item input").first.is_disabled()
        frozen = page.locator("#clock").inner_text()
        page.wait_for_timeout(1500)
        assert page.locator("#clock").inner_text() == frozen
    finally:
        with live.app_context():
            db.session.get(ExamSession, exam_id).paused_at = None
            db.session.commit()
    wait_saved(page, timeout=20_000)  # the player polls the status, sees the exam go on, and syncs
    assert page.locator("#notice").is_hidden()
    assert not page.locator("#item input").first.is_disabled()
    assert stored_answers(live, exam_id) == {1: expected}


def test_a_proctor_sees_focus_losses_and_the_candidate_sees_the_warning_and_extra_time(live, phone):
    """Issue 7's walk: the demo proctor watches a candidate in another browser."""
    _, page = phone()
    exam_id = session_id(live, 12)
    sign_in(page, live, 12)
    start_exam(page, live, exam_id)
    with live.app_context():
        schedule_id = db.session.get(ExamSession, exam_id).schedule_id
    _, watcher = phone()
    watcher.goto(live.url + "/masuk")
    watcher.get_by_label("Email").fill("pengawas@demo.id")
    watcher.get_by_label("Kata sandi").fill(PASSWORD)
    watcher.keyboard.press("Enter")
    watcher.wait_for_url("**/pengawas/")
    watcher.goto(f"{live.url}/pengawas/jadwal/{schedule_id}")
    away = watcher.locator(f'tr[data-session="{exam_id}"] [data-field="away"]')
    assert away.inner_text().startswith("0×")

    # The candidate leaves the exam window for two seconds, then answers (events ride on the save).
    page.evaluate(
        """() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
                   document.dispatchEvent(new Event('visibilitychange')); }"""
    )
    page.wait_for_timeout(2000)
    page.evaluate(
        """() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});
                   document.dispatchEvent(new Event('visibilitychange')); }"""
    )
    before = remaining_shown(page)
    answer(page, 1)
    wait_saved(page)
    # The live room refreshes every 5 s: the focus loss shows within seconds.
    watcher.wait_for_function(
        f"""() => document.querySelector('tr[data-session="{exam_id}"] [data-field="away"]')
                 .textContent.startsWith('1×')""",
        timeout=15_000,
    )

    # The proctor warns the candidate and gives ten more minutes.
    watcher.goto(f"{live.url}/pengawas/sesi/{exam_id}")
    watcher.get_by_label("Keterangan").fill("Peserta meninggalkan jendela ujian")
    watcher.get_by_label("Pesan untuk peserta").fill("Tetap di jendela ujian, ya.")
    watcher.get_by_role("button", name="Kirim pesan").click()
    watcher.wait_for_load_state()
    watcher.get_by_label("Keterangan").fill("Gangguan listrik di lokasi")
    watcher.get_by_label("Tambahan waktu (detik)").fill("600")
    watcher.get_by_role("button", name="Tambah waktu").click()
    watcher.wait_for_load_state()

    # With the candidate's next save the warning appears and the clock moves on by ten minutes.
    page.get_by_role("button", name="Berikutnya").click()
    answer(page, 2)
    wait_saved(page)
    page.locator("#proctor-msg").filter(has_text="Tetap di jendela ujian, ya.").wait_for(timeout=10_000)
    assert remaining_shown(page) > before + 500


def test_an_adaptive_sitting_goes_one_item_at_a_time_and_waits_for_the_server(live, phone):
    """Adaptive mode: no going back or ahead; offline, the next item waits with a plain message."""
    context, page = phone()
    exam_id = session_id(live, 4, code="DEMO-CAT")
    sign_in(page, live, 4)
    page.goto(f"{live.url}/ujian/{exam_id}")
    page.get_by_role("button", name="Mulai ujian").click()
    expected = {}
    for position in (1, 2):
        wait_item(page, position, count=12)
        assert page.get_by_role("button", name="Sebelumnya").is_disabled()
        assert page.get_by_role("button", name="Berikutnya").is_disabled()  # answer first
        expected[position] = answer(page, position, count=12)
        page.get_by_role("button", name="Berikutnya").click()
    wait_item(page, 3, count=12)
    assert page.locator("#grid button").count() == 3  # only the items reached so far

    set_offline(context, live, True)
    expected[3] = answer(page, 3, count=12)
    page.get_by_role("button", name="Berikutnya").click()
    page.locator("#notice").filter(has_text="Soal berikutnya perlu koneksi").wait_for(timeout=10_000)
    wait_item(page, 3, count=12)  # still on the answered item, nothing lost
    assert "Menunggu sinkron (1)" in net_text(page)

    set_offline(context, live, False)  # the player retries by itself: the answer goes first, then the item
    wait_item(page, 4, timeout=30_000, count=12)
    assert page.locator("#notice").is_hidden()
    assert stored_answers(live, exam_id) == expected
    with live.app_context():
        shown = db.session.scalars(select(SessionItem.item_id).where(SessionItem.session_id == exam_id)).all()
    assert len(shown) == len(set(shown)) == 4
    assert page.errors == []
