"""The exam player in a real headless Chromium where the server and the proctor take part: the
readiness check, time up, a second device, a pause, focus-loss warnings with extra time, and the
adaptive sitting one item at a time (helpers in ``player_browser.py``)."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from examserver.delivery.models import ExamSession, SessionItem
from examserver.extensions import db
from itembank.database import utcnow
from tests.examserver import player_browser as player
from tests.examserver.player_browser import (
    PASSWORD,
    answer,
    fits_the_screen,
    net_text,
    remaining_shown,
    session_id,
    set_offline,
    sign_in,
    start_exam,
    stored_answers,
    wait_item,
    wait_saved,
)

live = player.live  # the demo served on a free port, one per module
phone = player.phone  # phone-sized contexts on the module's one Chromium


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
    with live.app_context():  # the schedule's grace, which the player page carries
        exam = db.session.get(ExamSession, exam_id)
        grace = exam.schedule.grace_seconds
        exam.schedule.grace_seconds = 3
        db.session.commit()
    # The random share of the first ask (up to 15 s, spreading a room's asks) pinned to its least:
    # the test waits for the grace, not for the spread, and still sees the ask come after the grace.
    context.add_init_script("Math.random = () => 0;")
    sign_in(page, live, 9)
    start_exam(page, live, exam_id)
    with live.app_context():
        exam = db.session.get(ExamSession, exam_id)
        exam.deadline_at = utcnow() + timedelta(seconds=6)
        deadline = exam.deadline_at.timestamp()
        db.session.commit()
    asked: list[float] = []  # when the player asked the server for its clock
    page.on("request", lambda request: asked.append(time.time()) if request.url.endswith("/jam") else None)
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
    # A room reaches time up together: nobody asks before the grace is over (the server could not
    # answer anything new), and then once, when the server ends the session on that ask.
    after_time_up = [moment - deadline for moment in asked if moment > deadline]
    assert len(after_time_up) == 1 and 3 <= after_time_up[0] <= 3 + 2, after_time_up


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
    assert "melanjutkan ujian dengan sendirinya" in notice.inner_text()  # told what happens next
    assert second.locator("#item .opt").count() == 0  # no items for a device that may not sit the exam
    assert stored_answers(live, exam_id) == {1: expected}

    # The proctor allows the change: the second device learns it from its status poll and goes on by
    # itself, with the answer the first one saved, without anyone reloading it.
    with live.app_context():
        db.session.get(ExamSession, exam_id).allows_device_change = True
        db.session.commit()
    wait_item(second, 1, timeout=20_000)
    assert player.shown_response(second) == expected
    with live.app_context():
        assert db.session.get(ExamSession, exam_id).allows_device_change is False


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
        polling=100,
    )

    # The proctor warns the candidate and gives ten more minutes.
    watcher.goto(f"{live.url}/pengawas/sesi/{exam_id}")
    watcher.get_by_label("Kategori alasan tindakan").select_option("examinee.misconduct")
    watcher.get_by_label("Keterangan").fill("Peserta meninggalkan jendela ujian")
    watcher.get_by_label("Pesan untuk peserta").fill("Tetap di jendela ujian, ya.")
    watcher.get_by_role("button", name="Kirim pesan").click()
    watcher.wait_for_load_state()
    watcher.get_by_label("Kategori alasan tindakan").select_option("environment.power")
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
