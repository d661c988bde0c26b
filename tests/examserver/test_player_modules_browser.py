"""The player's answer queue (static/js/player/sync.js over storage.js and api.js) as native ES modules
in a real headless Chromium, with the network replaced by a scripted ``fetch``: an answer queued during
an outage is kept and sent once the link is back, a retried batch is the same batch (client id and
sequence numbers), the newest answer for an item wins, a refused save is dropped instead of retried
for ever, and the queue outlives a reload, in IndexedDB, in localStorage, and in the format of the
player before the shared record. Plus: the service worker keeps every module for an offline reload."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from examserver.delivery.views import PLAYER_FILES
from examserver.security import CONTENT_SECURITY_POLICY

STATIC = Path(__file__).resolve().parents[2] / "examserver" / "static"
SESSION = "41"
PAGE = """<!doctype html><meta charset="utf-8"><title>sync</title><meta name="csrf-token" content="tok-123">"""

#: Loads the modules into the page and scripts the server: ``window.server(request)`` gives a reply,
#: ``'down'`` (the fetch fails as in an outage) or ``{status, body}``; ``'hold'`` keeps the request open
#: until ``release(reply)``. Every request the player makes is kept in ``window.sent``.
HARNESS = """async (options) => {
  const { createStorage } = await import('/static/js/player/storage.js');
  const { createApi } = await import('/static/js/player/api.js');
  const { createSync } = await import('/static/js/player/sync.js');
  if (options.noIndexedDB) Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
  const JSON_TYPE = { 'Content-Type': 'application/json' };
  window.sent = [];
  window.notices = [];
  window.codes = [];
  const saved = (s) => ({ position: s.position, seq: s.seq, applied: true });
  window.acknowledge = (req) => ({ status: 200, body: { saved: req.body.saves.map(saved) } });
  window.server = window.acknowledge;
  window.fetch = (url, init) => {
    const body = init.body ? JSON.parse(init.body) : null;
    const req = { url: url, method: init.method, headers: init.headers, body: body };
    window.sent.push(req);
    const answer = (reply) => (reply === 'down'
      ? Promise.reject(new TypeError('Failed to fetch'))
      : Promise.resolve(new Response(JSON.stringify(reply.body), { status: reply.status, headers: JSON_TYPE })));
    const reply = window.server(req);
    if (reply !== 'hold') return answer(reply);
    return new Promise((resolve, reject) => { window.release = (later) => answer(later).then(resolve, reject); });
  };
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  window.store = createStorage(options.session);
  await window.store.open();
  window.sync = createSync(window.store, createApi('/api/sesi/' + options.session, csrf), 'device-1', {
    notice: (text) => window.notices.push(text),
    code: (code, message) => window.codes.push(code),
    error: 'error text',
  });
  await window.sync.adoptOld();
  await window.sync.refresh();
  return true;
}"""


@pytest.fixture(scope="module")
def site():
    """The player's static files and an empty page, on a free port."""
    app = Flask("player_modules", static_folder=str(STATIC), static_url_path="/static")
    app.add_url_rule("/", "page", lambda: PAGE)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser, site):
    """A fresh browser context (its own storage) with the harness loaded; script errors fail the test."""
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.load = lambda **options: load(page, site, **options)
    page.load()
    yield page
    context.close()
    assert not errors


def load(page, site, **options) -> None:
    page.goto(site + "/")
    assert page.evaluate(HARNESS, {"session": SESSION, **options})


def answer_with(page, reply: str) -> None:
    """Script the server: ``reply`` is JavaScript for a function of the request (see HARNESS)."""
    page.evaluate(f"() => {{ window.server = {reply}; }}")


def record(page, position: int, response, flagged: bool = False) -> None:
    page.evaluate(
        "([p, r, f]) => sync.record(p, r, f, '2024-05-01T01:02:03.000Z')",
        [position, response, flagged],
    )


def saves(page) -> list[dict]:
    """Every save the player sent to POST /jawaban, in order."""
    return [s for r in page.evaluate("sent") if r["url"].endswith("/jawaban") for s in r["body"]["saves"]]


def queued(page) -> list[dict]:
    return page.evaluate("sync.queue")


def test_an_answer_chosen_offline_is_kept_and_sent_when_the_link_is_back(page):
    answer_with(page, "() => 'down'")
    record(page, 1, "B")
    page.evaluate("() => { sync.flush(); }")
    page.wait_for_function("sent.length === 1 && sync.failed")
    assert [(q["position"], q["response"]) for q in queued(page)] == [(1, "B")]

    answer_with(page, "acknowledge")
    page.evaluate("() => { sync.online(); }")
    page.wait_for_function("sync.queue.length === 0")
    request = page.evaluate("sent[sent.length - 1]")
    assert request["method"] == "POST" and request["url"] == f"/api/sesi/{SESSION}/jawaban"
    assert request["headers"]["X-CSRFToken"] == "tok-123"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["body"]["client_id"] == "device-1"
    assert [(s["position"], s["response"], s["seq"]) for s in request["body"]["saves"]] == [(1, "B", 1)]
    assert not page.evaluate("sync.failed")


def test_a_batch_retried_after_a_server_error_is_the_same_batch(page):
    answer_with(page, "() => ({ status: 503, body: {} })")
    record(page, 2, "A")
    record(page, 5, ["A", "C"], flagged=True)
    page.evaluate("() => { sync.flush(); }")
    page.wait_for_function("sent.length === 1")
    answer_with(page, "acknowledge")
    # No nudge from the page: the backoff timer (1 to 1.5 s) sends the batch again by itself.
    page.wait_for_function("sync.queue.length === 0", timeout=5_000)
    first, second = page.evaluate("sent.map((r) => r.body)")
    assert first == second
    assert [(s["position"], s["seq"]) for s in first["saves"]] == [(2, 1), (5, 2)]


def test_the_newest_answer_for_an_item_supersedes_the_unsent_older_one(page):
    answer_with(page, "() => 'down'")
    record(page, 3, "A")
    record(page, 3, "D")
    assert [(q["position"], q["response"], q["seq"]) for q in queued(page)] == [(3, "D", 2)]
    answer_with(page, "acknowledge")
    page.evaluate("() => { sync.online(); }")
    page.wait_for_function("sync.queue.length === 0")
    assert [(s["position"], s["response"], s["seq"]) for s in saves(page)] == [(3, "D", 2)]


def test_an_acknowledgement_of_an_older_save_keeps_the_newer_one_waiting(page):
    answer_with(page, "() => 'hold'")
    record(page, 4, "A")
    page.evaluate("() => { sync.flush(); }")
    page.wait_for_function("sent.length === 1")
    record(page, 4, "C")  # chosen while the first save is on its way
    answer_with(page, "acknowledge")
    page.evaluate("release(acknowledge(sent[0]))")
    page.wait_for_function("sync.queue.length === 0 && sent.length === 2")
    assert [(s["response"], s["seq"]) for s in saves(page)] == [("A", 1), ("C", 2)]
    assert page.evaluate("sync.answers[4]") == {"r": "C", "f": False, "s": 2}


def test_a_refused_save_is_dropped_with_a_notice_and_the_others_still_go(page):
    answer_with(
        page,
        """(req) => (req.body.saves.some((s) => s.position === 2)
             ? { status: 400, body: { code: 'response_invalid', message: 'Jawaban tidak sah' } }
             : acknowledge(req))""",
    )
    record(page, 1, "A")
    record(page, 2, "Z")
    record(page, 3, "B")
    page.evaluate("() => { sync.flush(); }")
    page.wait_for_function("sync.queue.length === 0")
    page.wait_for_timeout(2_500)  # longer than the first retry would wait
    batches = [[s["position"] for s in r["body"]["saves"]] for r in page.evaluate("sent")]
    # The whole batch is refused, then one at a time finds the save the server never takes.
    assert batches == [[1, 2, 3], [1], [2], [3]]
    assert page.evaluate("notices") == ["Jawaban tidak sah"]


def test_a_conflict_goes_to_the_player_and_is_not_retried(page):
    answer_with(page, "() => ({ status: 409, body: { code: 'other_device', message: 'x' } })")
    record(page, 1, "A")
    page.evaluate("() => { sync.flush(); }")
    page.wait_for_function("codes.length === 1")
    page.wait_for_timeout(2_500)
    assert page.evaluate("sent.length") == 1
    assert page.evaluate("codes") == ["other_device"]
    assert [q["position"] for q in queued(page)] == [1]  # kept: it was not refused, only not taken now


@pytest.mark.parametrize("no_indexeddb", [False, True], ids=["indexeddb", "localstorage"])
def test_the_queue_survives_a_reload(page, no_indexeddb):
    page.load(noIndexedDB=no_indexeddb)
    answer_with(page, "() => 'down'")
    record(page, 6, "E")
    record(page, 7, "1.5")
    page.load(noIndexedDB=no_indexeddb)
    assert [(q["position"], q["response"], q["seq"]) for q in queued(page)] == [(6, "E", 1), (7, "1.5", 2)]
    record(page, 8, "C")  # the counter goes on after the reload: no number is used twice
    page.evaluate("() => { sync.flush(); }")
    page.wait_for_function("sync.queue.length === 0")
    assert [(s["position"], s["seq"]) for s in saves(page)] == [(6, 1), (7, 2), (8, 3)]


def test_saves_queued_by_the_player_before_the_shared_record_are_sent(page):
    """A page open across the update to the shared record left its queue in localStorage
    ('queue', 'answers', 'seq'): the new player takes it over, sends it and removes the old keys."""
    old = [{"position": 9, "seq": 4, "response": "B", "flagged": True, "answered_at": "2024-05-01T01:00:00Z"}]
    page.evaluate(
        """([prefix, old]) => {
             localStorage.setItem(prefix + 'queue', JSON.stringify(old));
             localStorage.setItem(prefix + 'answers', JSON.stringify({ 2: { r: 'A', f: false, s: 3 } }));
             localStorage.setItem(prefix + 'seq', '4');
           }""",
        [f"ujian.{SESSION}.", old],
    )
    answer_with(page, "() => 'down'")
    page.load()
    assert [(q["position"], q["seq"], q["flagged"]) for q in queued(page)] == [(9, 4, True)]
    assert page.evaluate("Object.keys(localStorage).filter((k) => /\\.(queue|answers|seq)$/.test(k))") == []
    record(page, 1, "C")
    answer_with(page, "acknowledge")
    page.evaluate("() => { sync.flush(); }")
    page.wait_for_function("sync.queue.length === 0")
    assert [(s["position"], s["seq"], s["answered_at"]) for s in saves(page)] == [
        (9, 4, "2024-05-01T01:00:00Z"),
        (1, 5, "2024-05-01T01:02:03.000Z"),
    ]


def test_the_service_worker_keeps_every_player_module(app, client, login_as):
    login_as("candidate")
    worker = client.get("/ujian/sw.js").get_data(as_text=True)
    modules = {"js/player.js"} | {f"js/player/{p.name}" for p in (STATIC / "js" / "player").glob("*.js")}
    assert modules <= set(PLAYER_FILES)
    for name in PLAYER_FILES:
        assert f'"/static/{name}"' in worker
        with client.get(f"/static/{name}") as response:
            assert response.status_code == 200
            if name.endswith(".js"):  # a module script needs a JavaScript type (and the CSP lets 'self' run it)
                assert response.mimetype == "text/javascript"
                assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
                assert "script-src 'self'" in CONTENT_SECURITY_POLICY
