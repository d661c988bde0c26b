"""The exam player in a real headless Chromium on a phone-sized screen, the candidate alone: a whole
exam, an outage with a reload while offline, a slow link, page weight, no key in anything the
browser gets, a wrong device clock, and a look at the 360 px layout (helpers in
``player_browser.py``; the proctor's side in ``test_player_proctor_browser.py``)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from examserver.delivery.models import ExamSession
from examserver.extensions import db
from proctoring.models import IntegrityEvent
from tests.examserver import player_browser as player
from tests.examserver.player_browser import (
    ITEM_COUNT,
    SCREENSHOTS,
    SECRETS,
    answer,
    answer_every_item,
    fits_the_screen,
    net_text,
    remaining_shown,
    session_id,
    set_offline,
    shown_response,
    sign_in,
    start_exam,
    start_without_the_player,
    stored_answers,
    wait_item,
    wait_offline_copy,
    wait_saved,
    write_metrics,
)

live = player.live  # the demo served on a free port, one per module
phone = player.phone  # phone-sized contexts on the module's one Chromium


def test_a_candidate_takes_the_whole_exam_on_a_phone(live, phone):
    context, page = phone()
    exam_id = session_id(live, 1)
    sign_in(page, live, 1)
    page.locator(f'a[href="/ujian/{exam_id}"]').click()
    page.get_by_role("button", name="Mulai ujian").click()
    wait_item(page, 1)
    assert page.locator("#clock").inner_text() != "--:--"

    expected = answer_every_item(page)
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
    expect(dialog).to_be_visible()
    assert "15 dari 15" in dialog.inner_text() and "0 belum dijawab" in dialog.inner_text()
    page.get_by_role("button", name="Ya, selesai").click()
    page.wait_for_url(f"**/ujian/{exam_id}/hasil")
    expect(page.get_by_role("heading", name="Hasil ujian")).to_be_visible()
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


def test_the_player_takes_the_start_pages_answer_and_asks_again_after_a_reload(live, phone):
    """The start's answer is handed to the player (start.js handOver, player.js handedOver): a
    start costs the server one start request, not a start, a resume and the items (the start's
    answer carries them), and the clock still comes from the server; a reload asks the server
    again, and the answer is taken only once."""
    context, page = phone()
    exam_id = session_id(live, 8)
    sign_in(page, live, 8)
    starts, fetched = [], []
    page.on("request", lambda r: starts.append(r.url) if r.method == "POST" and r.url.endswith("/mulai") else None)
    page.on("request", lambda r: fetched.append(r.url) if "/butir" in r.url else None)
    start_exam(page, live, exam_id)
    answered = answer(page, 1)
    wait_saved(page)
    assert starts == [f"{live.url}/api/sesi/{exam_id}/mulai"]  # start.js's only
    assert fetched == []  # every item came with the start's answer (the player asks before it shows one)

    def logged() -> tuple[datetime, list[str]]:
        with live.app_context():
            kinds = db.session.scalars(select(IntegrityEvent.kind).where(IntegrityEvent.session_id == exam_id))
            return db.session.get(ExamSession, exam_id).deadline_at, list(kinds)

    deadline, kinds = logged()
    assert "session_started" in kinds and "session_resumed" not in kinds
    left = (deadline.replace(tzinfo=None) - datetime.now(UTC).replace(tzinfo=None)).total_seconds()
    assert abs(remaining_shown(page) - left) <= 5  # the server's clock, from the handed-over answer

    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/mulai")):
        page.reload()
    wait_item(page, 1)
    assert len(starts) == 2  # the reload asked the server: the answer is taken once
    assert "session_resumed" in logged()[1]
    assert shown_response(page) == answered
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

    def keep_the_start(route):
        """The start's reply carries every item, and its page navigates away as soon as it has read
        it (its body is gone by then): read it on its way to the page."""
        reply = route.fetch()
        texts.append(reply.text())
        route.fulfill(response=reply)

    sign_in(page, live, 5)
    page.goto(f"{live.url}/ujian/{exam_id}")
    page.route("**/mulai", keep_the_start)
    # The reply reaches the page only once the handler has fulfilled it: unrouting before that
    # would hand the request on while the handler still holds it.
    with page.expect_response(lambda r: r.url.endswith("/mulai")):
        page.get_by_role("button", name="Mulai ujian").click()
    page.wait_for_url(f"**/ujian/{exam_id}")
    page.unroute("**/mulai")
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
