"""Two tabs of one browser on the same exam (issue 14): they share one queue of unsent saves, so no
arrangement of tabs, reloads and outages loses an answer, and a tab never shows a stale answer.

Each test drives two pages of ONE Chromium context (same cookies, device id, storage and service
worker) on a fresh demo's DEMO-SKD sitting (a fixed form of 15 items), and checks the server's
database at the end."""

from __future__ import annotations

import pytest

from examserver.delivery.models import ExamSession
from examserver.extensions import db
from tests.examserver import player_browser as player
from tests.examserver.player_browser import (
    ITEM_COUNT,
    answer,
    serve,
    session_id,
    set_offline,
    shown_response,
    sign_in,
    start_exam,
    stored_answers,
    wait_item,
    wait_offline_copy,
    wait_saved,
)

phone = player.phone  # the one-tab player tests' phone contexts (on the suite's one Chromium per module)


@pytest.fixture(scope="module")
def live(own_demo):
    """A demo of its own (these tests change answers), served on a free port."""
    app = own_demo("tabs")
    server = serve(app)
    yield app
    server.shutdown()
    server.server_close()


# ------------------------------------------------------------------------------------ helpers


def new_tab(context):
    """Another tab of the same browser (context), recording the page's script errors."""
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def open_exam(page, app, exam_id: int) -> None:
    """Open the running exam's player in this tab and wait for an item on screen."""
    page.goto(f"{app.url}/ujian/{exam_id}")
    wait_shown(page)


def wait_shown(page) -> None:
    page.locator("#item h1").filter(has_text=f"dari {ITEM_COUNT}").wait_for(timeout=15_000)


def go_to(page, position: int) -> None:
    page.locator(f'#grid button[data-p="{position}"]').click()
    wait_item(page, position)


def wait_pending(page, n: int, timeout: float = 15_000) -> None:
    """Wait until the tab's status line counts ``n`` saves waiting for the server."""
    page.wait_for_function(
        "(n) => document.getElementById('net').textContent.includes('Menunggu sinkron (' + n + ')')",
        arg=n,
        timeout=timeout,
        polling=100,  # a tab behind another gets no animation frames: poll on a timer
    )


def stored_record(page, exam_id: int):
    """This session's record in the browser's IndexedDB (None when there is none)."""
    return page.evaluate(
        """(id) => new Promise((resolve, reject) => {
          const open = indexedDB.open('ujian');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction('sesi').objectStore('sesi').get(String(id));
            get.onsuccess = () => { open.result.close(); resolve(get.result === undefined ? null : get.result); };
          };
        })""",
        exam_id,
    )


def other_option(page, than: object) -> object:
    """Choose an option on screen other than ``than``; returns the new display response."""
    options = page.locator("#item .opt input")
    for index in range(options.count()):
        value = options.nth(index).get_attribute("value")
        if value != than and [value] != than:
            page.locator("#item .opt").nth(index).click()
            return [value] if options.nth(index).get_attribute("type") == "checkbox" else value
    raise AssertionError("no other option")


# -------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("candidate, storage", [(1, "indexeddb"), (5, "localstorage")])
def test_two_tabs_offline_with_a_reload_lose_no_answer(live, phone, candidate, storage):
    """The issue's sequence: items 1-3 in tab 1, tab 2 opened, offline, item 4 in tab 1 and item 5
    in tab 2, tab 1 reloaded while offline, online again: all five reach the server. Also in a
    browser without IndexedDB (the record in localStorage under a Web Lock)."""
    context, tab1 = phone()
    if storage == "localstorage":
        context.add_init_script("Object.defineProperty(window, 'indexedDB', {value: undefined})")
    exam_id = session_id(live, candidate)
    sign_in(tab1, live, candidate)
    start_exam(tab1, live, exam_id)
    expected = {}
    for position in (1, 2, 3):
        expected[position] = answer(tab1, position)
        if position < 3:
            tab1.get_by_role("button", name="Berikutnya").click()
    wait_saved(tab1)
    wait_offline_copy(tab1)

    tab2 = new_tab(context)
    open_exam(tab2, live, exam_id)
    wait_saved(tab2)
    set_offline(context, live, True)
    go_to(tab1, 4)
    expected[4] = answer(tab1, 4)
    go_to(tab2, 5)
    expected[5] = answer(tab2, 5)
    # One queue: each tab counts the other's save too, and shows its answer.
    wait_pending(tab1, 2)
    wait_pending(tab2, 2)
    assert tab2.locator("#grid button.done").count() == 5
    assert set(stored_answers(live, exam_id)) == {1, 2, 3}

    tab1.reload()  # offline: the page from the service worker, the answers from the device
    wait_shown(tab1)
    wait_pending(tab1, 2)
    for position in (4, 5):
        go_to(tab1, position)
        assert shown_response(tab1) == expected[position]

    set_offline(context, live, False)
    wait_saved(tab1, timeout=40_000)
    wait_saved(tab2, timeout=40_000)
    assert stored_answers(live, exam_id) == expected
    assert tab1.errors == [] and tab2.errors == []
    in_local_storage = tab1.evaluate("(id) => localStorage.getItem('ujian.' + id + '.state') !== null", exam_id)
    assert in_local_storage == (storage == "localstorage")


def test_a_reload_in_each_tab_while_offline_loses_nothing(live, phone):
    context, tab1 = phone()
    exam_id = session_id(live, 2)
    sign_in(tab1, live, 2)
    start_exam(tab1, live, exam_id)
    wait_saved(tab1)
    wait_offline_copy(tab1)
    tab2 = new_tab(context)
    open_exam(tab2, live, exam_id)
    wait_saved(tab2)

    set_offline(context, live, True)
    expected = {}
    for step, (tab, position) in enumerate(((tab1, 1), (tab2, 2), (tab1, 3), (tab2, 4)), start=1):
        go_to(tab, position)
        expected[position] = answer(tab, position)
        wait_pending(tab, step)
        tab.reload()  # this tab's copy of the queue is gone; the shared one is not
        wait_shown(tab)
        wait_pending(tab, step)
    wait_pending(tab1, 4)
    for position in (1, 2, 3, 4):
        go_to(tab1, position)
        assert shown_response(tab1) == expected[position]
    assert stored_answers(live, exam_id) == {}

    set_offline(context, live, False)
    wait_saved(tab1, timeout=40_000)
    wait_saved(tab2, timeout=40_000)
    assert stored_answers(live, exam_id) == expected
    assert tab1.errors == [] and tab2.errors == []


def test_answers_of_a_tab_closed_offline_are_sent_by_the_next_tab(live, phone):
    context, tab1 = phone()
    exam_id = session_id(live, 3)
    sign_in(tab1, live, 3)
    start_exam(tab1, live, exam_id)
    expected = {1: answer(tab1, 1)}
    wait_saved(tab1)

    set_offline(context, live, True)
    for position in (2, 3):
        go_to(tab1, position)
        expected[position] = answer(tab1, position)
    wait_pending(tab1, 2)
    # close() returns before a closing tab's script stops: its online handler then sent the saves
    # itself. Navigating away first ends the player's document before goto returns.
    tab1.goto("about:blank")
    tab1.close()
    set_offline(context, live, False)
    assert stored_answers(live, exam_id) == {1: expected[1]}  # nobody sent them yet

    tab2 = new_tab(context)
    open_exam(tab2, live, exam_id)
    wait_saved(tab2, timeout=40_000)
    assert stored_answers(live, exam_id) == expected
    assert tab2.errors == []


def test_a_tab_shows_the_other_tabs_newer_answer_and_finishing_ends_both(live, phone):
    """Both tabs on item 6: tab 2 shows tab 1's change at once, so its own later change (a flag)
    goes to the server with tab 1's answer, not its old one. Finishing in one tab ends the other
    and leaves nothing of the exam in the browser's storage."""
    context, tab1 = phone()
    exam_id = session_id(live, 4)
    sign_in(tab1, live, 4)
    start_exam(tab1, live, exam_id)
    go_to(tab1, 6)
    first = answer(tab1, 6)
    wait_saved(tab1)
    tab2 = new_tab(context)
    open_exam(tab2, live, exam_id)
    go_to(tab2, 6)
    assert shown_response(tab2) == first

    newer = other_option(tab1, first)
    wait_saved(tab1)
    assert stored_answers(live, exam_id) == {6: newer}
    tab2.wait_for_function(
        "(v) => Array.from(document.querySelectorAll('#item .opt input:checked')).map((i) => i.value).join() === v",
        arg=",".join(newer) if isinstance(newer, list) else newer,
        polling=100,
    )
    tab2.locator("#flag").check()
    wait_saved(tab2)
    with live.app_context():
        exam = db.session.get(ExamSession, exam_id)
        item6 = next(si for si in exam.items if si.position == 6)
        assert item6.answer.is_flagged
    assert stored_answers(live, exam_id) == {6: newer}  # tab 2 did not send its stale answer back

    tab1.get_by_role("button", name="Selesai").click()
    tab1.get_by_role("button", name="Ya, selesai").click()
    tab1.wait_for_url(f"**/ujian/{exam_id}/hasil")
    tab2.wait_for_url(f"**/ujian/{exam_id}/hasil", timeout=15_000)
    assert stored_record(tab1, exam_id) is None
    assert not tab1.evaluate(
        "(id) => Object.keys(localStorage).some((k) => k.startsWith('ujian.' + id + '.'))", exam_id
    )
    assert tab1.errors == [] and tab2.errors == []


def test_a_queue_left_by_the_previous_player_is_still_sent(live, phone):
    """A page open across an update kept its unsent saves under the old localStorage keys: the new
    player takes them into its record and sends them."""
    context, page = phone()
    exam_id = session_id(live, 6)
    sign_in(page, live, 6)
    start_exam(page, live, exam_id)
    wait_saved(page)
    value = page.locator("#item .opt input").nth(1).get_attribute("value")
    kind = page.locator("#item .opt input").nth(1).get_attribute("type")
    response = [value] if kind == "checkbox" else value
    page.goto(f"{live.url}/peserta/")
    page.evaluate(
        """([id, response]) => {
          const save = {position: 1, seq: 7, response: response, flagged: true, answered_at: new Date().toISOString()};
          localStorage.setItem('ujian.' + id + '.queue', JSON.stringify([save]));
          localStorage.setItem('ujian.' + id + '.answers', JSON.stringify({1: {r: response, f: true, s: 7}}));
        }""",
        [exam_id, response],
    )
    assert stored_answers(live, exam_id) == {}

    open_exam(page, live, exam_id)
    wait_saved(page)
    assert stored_answers(live, exam_id) == {1: response}
    with live.app_context():
        exam = db.session.get(ExamSession, exam_id)
        assert next(si for si in exam.items if si.position == 1).answer.is_flagged
    old_keys = "(id) => ['queue', 'answers'].filter((k) => localStorage.getItem('ujian.' + id + '.' + k) !== null)"
    assert page.evaluate(old_keys, exam_id) == []
    assert page.errors == []
