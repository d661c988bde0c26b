"""Nothing of an exam is left on a shared computer of a test site (issue 20), in a real Chromium.

A candidate sits DEMO-SKD, answers and closes the player; the session ends on the server while no
player is open (the proctor ends it). The next page of that browser, the sign-in page of the next
candidate, forgets the stored items and answers (IndexedDB, localStorage, the service worker's
copies). A running session with unsent answers of the signed-in candidate is never forgotten."""

from __future__ import annotations

import time

import pytest

from examserver.delivery.models import ExamSession
from examserver.delivery.services import end
from examserver.extensions import db
from itembank.database import utcnow
from tests.examserver import player_browser as player
from tests.examserver.player_browser import (
    answer,
    serve,
    session_id,
    set_offline,
    sign_in,
    start_exam,
    stored_answers,
    wait_item,
    wait_saved,
)

phone = player.phone  # the player tests' phone-sized contexts (on the suite's one Chromium per module)

#: What this browser holds of session ``id``: localStorage keys, the IndexedDB record (opened
#: without ever creating the database), and the paths of the service worker's kept copies.
STORED = """async (id) => {
  const ls = Object.keys(localStorage).filter((k) => k.indexOf('ujian.' + id + '.') === 0);
  const db = await new Promise((resolve) => {
    const open = indexedDB.open('ujian');
    open.onupgradeneeded = () => open.transaction.abort();
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => resolve(null);
  });
  let record = null;
  if (db && db.objectStoreNames.contains('sesi')) {
    record = await new Promise((resolve) => {
      const get = db.transaction('sesi').objectStore('sesi').get(String(id));
      get.onsuccess = () => resolve(get.result || null);
      get.onerror = () => resolve(null);
    });
  }
  if (db) db.close();
  const mine = new RegExp('^/(ujian|api/sesi)/' + id + '(/|$)');
  let cached = [];
  for (const name of await caches.keys()) {
    const requests = await (await caches.open(name)).keys();
    cached = cached.concat(requests.map((r) => new URL(r.url).pathname).filter((p) => mine.test(p)));
  }
  return { ls: ls, record: record, cached: cached };
}"""


@pytest.fixture(scope="module")
def live(own_demo):
    """A demo of its own (these tests end sessions), served on a free port."""
    app = own_demo("shared-computer")
    server = serve(app)
    yield app
    server.shutdown()
    server.server_close()


def stored(page, exam_id: int) -> dict:
    return page.evaluate(STORED, exam_id)


def settled(page, exam_id: int, want_empty: bool, seconds: float = 10) -> dict:
    """What is stored, once it is empty (or, for ``want_empty`` False, after the cleanup had its time)."""
    limit = time.monotonic() + seconds
    while True:
        held = stored(page, exam_id)
        empty = not held["ls"] and held["record"] is None and not held["cached"]
        if (want_empty and empty) or time.monotonic() > limit:
            return held
        time.sleep(0.2)


def waiting(page, exam_id: int, position: int, seconds: float = 10) -> None:
    """Wait until the device's store holds the answer at ``position`` as waiting to be sent."""
    limit = time.monotonic() + seconds
    while True:
        record = stored(page, exam_id)["record"] or {}
        if (record.get("a") or {}).get(str(position), {}).get("w") == 1:
            return
        assert time.monotonic() < limit, f"answer {position} not stored as waiting: {record}"
        time.sleep(0.1)


def test_a_session_ended_while_the_player_was_closed_leaves_nothing_for_the_next_candidate(live, phone):
    context, page = phone()
    exam_id = session_id(live, 4)
    sign_in(page, live, 4)
    start_exam(page, live, exam_id)
    answers = {1: answer(page, 1)}
    page.get_by_role("button", name="Berikutnya").click()
    answers[2] = answer(page, 2)
    wait_saved(page)
    held = stored(page, exam_id)
    items = page.evaluate("(id) => localStorage.getItem('ujian.' + id + '.items') || ''", exam_id)
    assert held["record"]["a"] and held["ls"] and len(items) > 4000  # the exam's text is in the browser
    page.close()  # the candidate leaves; the computer stays on

    with live.app_context():  # the proctor ends the exam while no player is open
        end(db.session, db.session.get(ExamSession, exam_id), now=utcnow(), reason="proctor")
        db.session.commit()

    next_page = context.new_page()  # the next candidate opens the sign-in page in the same browser
    next_page.goto(live.url + "/masuk")
    left = settled(next_page, exam_id, want_empty=True)
    assert left == {"ls": [], "record": None, "cached": []}
    assert stored_answers(live, exam_id) == answers
    with live.app_context():
        assert db.session.get(ExamSession, exam_id).status == "terminated"


def test_a_running_session_with_unsent_answers_is_kept(live, phone):
    context, page = phone()
    exam_id = session_id(live, 5)
    sign_in(page, live, 5)
    start_exam(page, live, exam_id)
    first = answer(page, 1)
    wait_saved(page)
    set_offline(context, live, True)
    page.get_by_role("button", name="Berikutnya").click()
    second = answer(page, 2)  # queued: the server never hears of it while offline
    # The player writes the answer to the device's store after the click: the candidate leaves once
    # it is there (closing at once under load could close before the write, and nothing was kept).
    waiting(page, exam_id, position=2)
    page.close()
    set_offline(context, live, False)

    other = context.new_page()  # signed in, another page of the site: its cleanup runs
    other.goto(live.url + "/peserta/")
    held = settled(other, exam_id, want_empty=False, seconds=3)
    assert held["record"]["a"]["2"]["w"] == 1  # the unsent answer is still waiting
    # The server has the first answer; the second only if a send of the closing page got through
    # once the link was back (seen under load), and then as it was given: never lost, never altered.
    assert stored_answers(live, exam_id) in ({1: first}, {1: first, 2: second})

    other.goto(f"{live.url}/ujian/{exam_id}")  # the player comes back and sends it
    wait_item(other, 2)
    wait_saved(other)
    assert stored_answers(live, exam_id) == {1: first, 2: second}
