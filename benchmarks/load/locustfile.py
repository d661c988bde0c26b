"""Candidates as Locust users, on one shared timeline (all times from ``LOAD_T0``, epoch seconds).

Each user is one enrolled candidate (``LOAD_CANDIDATES`` CSV from ``setup.py``) with its own
cookies and device id, and goes through the phases the session's real timetable has:

1. ``login``: signs in (``/masuk`` with its CSRF token, Argon2id on the server), opens the
   dashboard and the start page. Logins are spread evenly over ``LOAD_LOGIN_SECONDS``, as real
   candidates sign in while the room opens, before the start time.
2. ``spike``: every candidate starts within ``LOAD_SPIKE_SECONDS`` (uniformly): ``POST mulai``
   (whose reply carries every item) and the player page, exactly what ``start.js`` and
   ``player.js`` do (the player takes the start's answer and items from the start page and sends its
   own resume ``POST mulai`` and ``GET butir`` only after a reload: so does a user here, only when
   the start gave no state or no items).
3. ``steady@N``: answers one item every 55 s (±5 s, uniformly), one save per request with the
   player's body; every fifth save carries an integrity event (focus lost), and one in ten saves
   first fetches the item again (``GET butir/<p>``). Levels step down from all users to
   ``LOAD_LEVELS`` (e.g. 5000,2000,1000): between levels the users above the next level submit.
4. ``saturation``: ``LOAD_SAT_USERS`` users send saves back to back for ``LOAD_SAT_SECONDS``,
   then the same users call ``GET /ujian/ping`` (signed-in candidate, no exam work: the trivial
   endpoint on the same stack) back to back; the other users pause meanwhile.
5. ``finish``: everybody left submits (``LOAD_FINISH=submit``, the default: every candidate presses
   "Selesai" within 20 s). With ``LOAD_FINISH=deadline`` nobody submits: the time runs out, as in
   a real sitting. At the phase's start the harness moves every running session's deadline to
   the phase start plus its place among the sessions (by id) spread over ``LOAD_DEADLINE_SPREAD``,
   as deadlines follow the starts; at its deadline each user does what ``player.js`` does at time
   up: it stops answering, waits for the grace (``grace_seconds``) and a random share of 15 s,
   asks ``GET /jam``, and again every 10-15 s until the server has ended the session (from that
   request or from the sweeper), then opens the result page. Needs ``LOAD_DATABASE_URL``.

With ``LOAD_PRESTARTED=1`` (a CSV from ``setup.py --prestart``) phases 1 and 2 are skipped: every
candidate is already signed in (pre-signed cookie) and started, and answering begins at ``LOAD_T0``.

Every request is recorded with its phase (``--`` in the name) into ``LOAD_OUT/requests.jsonl``
(name, phase, start time, milliseconds, ok); ``report.py`` turns it into the table.
"""

from __future__ import annotations

import csv
import http.cookiejar
import itertools
import json
import os
import random
import re
import secrets
import time
from pathlib import Path

import gevent
import gevent.event
from locust import FastHttpUser, events, task
from locust.exception import StopUser

T0 = float(os.environ.get("LOAD_T0", "0")) or time.time() + 5
CANDIDATES = Path(os.environ.get("LOAD_CANDIDATES", "/tmp/ujian-load/candidates.csv"))
OUT = Path(os.environ.get("LOAD_OUT", "/tmp/ujian-load/run"))
LOGIN_SECONDS = float(os.environ.get("LOAD_LOGIN_SECONDS", "150"))
SPIKE_SECONDS = float(os.environ.get("LOAD_SPIKE_SECONDS", "60"))
STEADY_SECONDS = float(os.environ.get("LOAD_STEADY_SECONDS", "120"))
SETTLE_SECONDS = 25.0
ANSWER_EVERY = 55.0
SAT_USERS = int(os.environ.get("LOAD_SAT_USERS", "24"))
SAT_SECONDS = float(os.environ.get("LOAD_SAT_SECONDS", "30"))
PRESTARTED = os.environ.get("LOAD_PRESTARTED") == "1"
#: Whether candidates leaving at a level drop submit (a submit scores the session: ~170 ms of CPU
#: each, so 3,000 at once would be a spike of their own); by default they stop answering quietly.
SUBMIT_AT_DROP = os.environ.get("LOAD_SUBMIT_AT_DROP") == "1"
FINISH = os.environ.get("LOAD_FINISH", "submit")
#: ``LOAD_FINISH=deadline``: the deadlines spread over the start wave's length, the grace (the
#: schedule's default) and a minute for the last expiries and result pages.
DEADLINE_SPREAD = float(os.environ.get("LOAD_DEADLINE_SPREAD", "120"))
GRACE_SECONDS = 30.0
#: player.js at time up: the first ask after the grace and a random share of AFTER_GRACE seconds,
#: then every POLL_SECONDS plus a random share of POLL_JITTER.
AFTER_GRACE = 15.0
POLL_SECONDS, POLL_JITTER = 10.0, 5.0
FINISH_SECONDS = DEADLINE_SPREAD + GRACE_SECONDS + AFTER_GRACE + 60 if FINISH == "deadline" else 25.0
if PRESTARTED:
    LOGIN_SECONDS = SPIKE_SECONDS = 0.0
#: The device cookie the session page sets (``examserver.delivery.views.DEVICE_COOKIE``): the player
#: sends its value as ``client_id``, and the server reads a GET's device from it.
DEVICE_COOKIE = "ujian_perangkat"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

with CANDIDATES.open() as handle:
    ROWS = list(csv.DictReader(handle))
TOTAL = int(os.environ.get("LOAD_USERS", len(ROWS)))
#: Each session's place among the run's sessions by id (``LOAD_FINISH=deadline``: its deadline's).
PLACE = {sid: place for place, sid in enumerate(sorted(int(row["session_id"]) for row in ROWS))}
LEVELS = [int(x) for x in os.environ.get("LOAD_LEVELS", f"{TOTAL}").split(",")]


def timeline(steady_from: float | None = None) -> list[tuple[str, float, float]]:
    """(phase, start, end) in epoch seconds; ``steady@N`` phases are the measured levels.

    The steady levels begin 10 s after the last candidate has started (``steady_from``): when the
    spike overloads the server, its backlog must not be counted as steady-state latency.
    """
    phases = [("login", T0, T0 + LOGIN_SECONDS)]
    at = T0 + LOGIN_SECONDS + 10
    phases.append(("spike", at, at + SPIKE_SECONDS))
    at += SPIKE_SECONDS
    if steady_from is None:
        return phases
    phases.append(("spike-drain", at, max(at, steady_from)))
    at = max(at, steady_from)
    for index, level in enumerate(LEVELS):
        if index:
            phases.append((f"drop->{level}", at, at + SETTLE_SECONDS))
            at += SETTLE_SECONDS
        phases.append((f"steady@{level}", at, at + STEADY_SECONDS))
        at += STEADY_SECONDS
    phases.append(("saturation-save", at, at + SAT_SECONDS))
    phases.append(("saturation-ping", at + SAT_SECONDS, at + 2 * SAT_SECONDS))
    at += 2 * SAT_SECONDS
    phases.append(("finish", at, at + FINISH_SECONDS))
    return phases


PHASES = timeline()
BOUNDS = {name: (start, end) for name, start, end in PHASES}
MAX_DRAIN = float(os.environ.get("LOAD_MAX_DRAIN_SECONDS", "900"))
_numbers = itertools.count()
_log = None
_started = 0
_finished = 0
ALL_STARTED = gevent.event.Event()


def all_started_now() -> None:
    """Fix the rest of the timeline once every candidate has started (or the drain limit passed)."""
    global PHASES
    if ALL_STARTED.is_set():
        return
    PHASES = timeline(steady_from=time.time() + 10)
    BOUNDS.update({name: (start, end) for name, start, end in PHASES})
    ALL_STARTED.set()


def _drain_watchdog() -> None:
    sleep_until(BOUNDS["spike"][1] + MAX_DRAIN)
    all_started_now()


def phase_at(moment: float) -> str:
    for name, start, end in PHASES:
        if start <= moment < end:
            return name
    if not ALL_STARTED.is_set() and moment >= BOUNDS["spike"][1]:
        return "spike-drain"
    return "after" if moment >= PHASES[-1][2] else "before"


@events.test_start.add_listener
def _open_log(environment, **_kwargs):
    global _log
    OUT.mkdir(parents=True, exist_ok=True)
    _log = (OUT / "requests.jsonl").open("w", buffering=1 << 16)
    if PRESTARTED:
        global PHASES
        PHASES = timeline(steady_from=T0 + ANSWER_EVERY)  # one answer interval to spread the first saves
        BOUNDS.update({name: (start, end) for name, start, end in PHASES})
        ALL_STARTED.set()
    else:
        gevent.spawn(_drain_watchdog)
    if FINISH == "deadline":
        gevent.spawn(move_deadlines)


def move_deadlines() -> None:
    """``LOAD_FINISH=deadline``: when the finish phase begins, every running session's deadline
    becomes the phase start plus its place among them (by id) spread
    over ``DEADLINE_SPREAD`` seconds, in one statement, as the deadlines of a sitting follow its
    start wave (the users compute the same from :data:`PLACE`)."""
    import psycopg  # noqa: PLC0415 (only this mode needs it)

    ALL_STARTED.wait()
    sleep_until(BOUNDS["finish"][0])
    url = os.environ["LOAD_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            """UPDATE exam_session AS s
                  SET deadline_at = to_timestamp(%(start)s) + make_interval(secs => %(spread)s * r.place / %(total)s)
                 FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS place FROM exam_session) AS r
                WHERE s.id = r.id AND s.status = 'in_progress'""",
            {"start": BOUNDS["finish"][0], "spread": DEADLINE_SPREAD, "total": TOTAL},
        )


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception, start_time=None, **_kwargs):
    if _log is None:
        return
    began = start_time or time.time() - response_time / 1000
    _log.write(
        json.dumps(
            {"name": name, "phase": phase_at(began), "t": round(began, 3), "ms": round(response_time, 2),
             "ok": exception is None, "error": None if exception is None else str(exception)[:120]}
        ) + "\n"
    )  # fmt: skip


@events.test_stop.add_listener
def _close_log(environment, **_kwargs):
    if _log is not None:
        _log.flush()
    (OUT / "phases.json").write_text(json.dumps({"t0": T0, "users": TOTAL, "levels": LEVELS, "phases": PHASES}))


def sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        gevent.sleep(delay)


class Candidate(FastHttpUser):
    """One candidate on the shared timeline (see the module docstring)."""

    # Every request closes its connection: with thousands of candidates each idle for ~55 s
    # between saves, keep-alive would only hold server slots (nginx holds them in production).
    default_headers = {"Connection": "close", "User-Agent": "ujian-load/1 (locust)"}
    network_timeout = 30.0
    connection_timeout = 30.0

    def on_start(self):
        self.number = next(_numbers)
        if self.number >= TOTAL:
            raise StopUser()
        row = ROWS[self.number]
        self.email, self.password, self.session_id = row["email"], row["password"], int(row["session_id"])
        self.device = secrets.token_urlsafe(18)
        self.token = None
        self.items: list[dict] = []
        self.seq = 0
        self.rng = random.Random(self.number)
        self.api = f"/api/sesi/{self.session_id}"
        if PRESTARTED:
            self.token, self.device = row["csrf"], row["device"]
            for name, value in (("ujian_session", row["cookie"]), (DEVICE_COOKIE, self.device)):
                self.client.cookiejar.set_cookie(http.cookiejar.Cookie(
                    0, name, value, None, False, "127.0.0.1", False, False, "/", True, False,
                    None, False, None, None, {},
                ))  # fmt: skip
            self.items = [
                {"position": p, "kind": {"n": "numeric", "m": "multiple"}.get(shape[0], "single"),
                 "options": [{"id": str(i)} for i in range(1, int(shape[1:]) + 1)]}
                for p, shape in enumerate(row["items"].split(), start=1)
            ]  # fmt: skip

    # ---------------------------------------------------------------------------- requests
    def check(self, response, what: str):
        if response.status_code >= 400 or response.status_code == 0:
            response.failure(f"{what}: HTTP {response.status_code}")
            return False
        return True

    def get(self, path: str, name: str):
        with self.client.get(path, name=name, catch_response=True) as response:
            self.check(response, name)
            return response

    def get_json(self, path: str, name: str):
        with self.client.get(path, name=name, catch_response=True) as response:
            ok = self.check(response, name)
            return response, (response.json() if ok else None)

    def post_json(self, path: str, body: dict, name: str):
        headers = {"X-CSRFToken": self.token or "", "Content-Type": "application/json"}
        with self.client.post(path, data=json.dumps(body), headers=headers, name=name, catch_response=True) as response:
            ok = self.check(response, name)
            return response, (response.json() if ok else None)

    # ------------------------------------------------------------------------------ phases
    def login(self):
        page = self.get("/masuk", "GET /masuk")
        match = CSRF_FIELD.search(page.text or "")
        form = {"email": self.email, "password": self.password, "csrf_token": match.group(1) if match else ""}
        with self.client.post("/masuk", data=form, name="POST /masuk", catch_response=True,
                              allow_redirects=False) as response:  # fmt: skip
            if response.status_code != 302:
                response.failure(f"login: HTTP {response.status_code}")
        self.get("/peserta/", "GET /peserta/")
        start_page = self.get(f"/ujian/{self.session_id}", "GET /ujian/<id> (start page)")
        match = CSRF_META.search(start_page.text or "")
        self.token = match.group(1) if match else None
        # As start.js and the player: the device is the one the page's cookie names (reads of the
        # items from any other device are refused while the session runs).
        named = [cookie.value for cookie in self.client.cookiejar if cookie.name == DEVICE_COOKIE]
        self.device = named[0] if named and named[0] else self.device

    def start_exam(self):
        for _attempt in range(3):  # a candidate presses the button again when nothing happens
            response, state = self.post_json(f"{self.api}/mulai", {"client_id": self.device}, "POST mulai (start)")
            if state is not None or 400 <= response.status_code < 500:
                break
        player = self.get(f"/ujian/{self.session_id}", "GET /ujian/<id> (player)")
        match = CSRF_META.search(player.text or "")
        self.token = match.group(1) if match else self.token
        if state is None:  # as player.js: it asks the server only when the start page handed it no answer
            _, state = self.post_json(f"{self.api}/mulai", {"client_id": self.device}, "POST mulai (player resume)")
        self.items = (state or {}).get("items") or []
        if not self.items:  # a resume carries no items: the player asks for them
            response = self.get(f"{self.api}/butir", "GET butir (all items)")
            try:
                self.items = response.json()["items"]
            except (ValueError, KeyError, TypeError):
                self.items = []
        if not self.items:  # the player falls back to one item at a time
            self.items = [{"position": p, "kind": "single", "options": [{"id": "1"}]} for p in range(1, 6)]
        self.seq = (state or {}).get("last_seq", 0)

    def response_for(self, item: dict):
        options = [o["id"] for o in item.get("options", [])]
        if item.get("kind") == "numeric" or not options:
            return str(self.rng.randint(1, 99))
        if item.get("kind") == "multiple":
            return sorted(self.rng.sample(options, self.rng.randint(1, len(options))))
        return self.rng.choice(options)

    def save(self, name: str, with_event: bool = False):
        if not self.items:
            return
        item = self.rng.choice(self.items)
        if self.rng.random() < 0.1 and not name.startswith("POST jawaban (saturation"):
            self.get(f"{self.api}/butir/{item['position']}", "GET butir/<p>")
        self.seq += 1
        body = {
            "client_id": self.device,
            "saves": [{"position": item["position"], "seq": self.seq, "response": self.response_for(item),
                       "flagged": False, "answered_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())}],
        }  # fmt: skip
        if with_event:
            body["events"] = [{"kind": "focus_lost", "duration_ms": self.rng.randint(200, 4000),
                               "position": item["position"], "at": body["saves"][0]["answered_at"]}]  # fmt: skip
        self.post_json(f"{self.api}/jawaban", body, name)

    def submit(self, name: str = "POST selesai"):
        self.post_json(f"{self.api}/selesai", {"client_id": self.device}, name)

    def until_the_server_ends_it(self) -> None:
        """``LOAD_FINISH=deadline``: answer until this session's deadline (``move_deadlines``), then
        what the player does at time up: ask for the clock once the grace is over, then every
        10-15 s until the session has ended, and open the result."""
        start, end = BOUNDS["finish"]
        deadline = start + DEADLINE_SPREAD * PLACE[self.session_id] / TOTAL
        self.answer_until(deadline)
        sleep_until(deadline + GRACE_SECONDS + 0.5 + self.rng.uniform(0, AFTER_GRACE))
        while time.time() < end:
            response, state = self.get_json(f"{self.api}/jam", "GET jam (time up)")
            if state is not None and state.get("status") != "in_progress":
                self.get(f"/ujian/{self.session_id}/hasil", "GET hasil (after the deadline)")
                return
            gevent.sleep(POLL_SECONDS + self.rng.uniform(0, POLL_JITTER))

    def level_of(self) -> tuple[int, float]:
        """The level this user leaves after (its last steady level) and when it submits."""
        kept = [lvl for lvl in LEVELS if self.number < lvl]
        last = min(kept)
        index = LEVELS.index(last)
        if index + 1 < len(LEVELS):
            drop_start, _ = BOUNDS[f"drop->{LEVELS[index + 1]}"]
            return last, drop_start + self.rng.uniform(0, SETTLE_SECONDS - 5)
        return last, BOUNDS["finish"][0] + self.rng.uniform(0, SETTLE_SECONDS - 5)

    def answer_until(self, until: float, stop: gevent.event.Event | None = None) -> None:
        """Answer every ~55 s until ``until`` (or until ``stop`` is set)."""
        while self.next_answer < until:
            if stop is not None:
                if stop.wait(timeout=max(0.0, self.next_answer - time.time())):
                    return
            else:
                sleep_until(self.next_answer)
            self.answers = getattr(self, "answers", 0) + 1
            self.save(f"POST jawaban [{phase_at(time.time())}]", with_event=self.answers % 5 == 0)
            self.next_answer += self.rng.uniform(ANSWER_EVERY - 5, ANSWER_EVERY + 5)

    @task
    def sitting(self):
        global _started, _finished
        if PRESTARTED:
            self.next_answer = T0 + self.rng.uniform(0, ANSWER_EVERY)
            return self.answering()
        sleep_until(T0 + LOGIN_SECONDS * self.number / TOTAL)
        self.login()
        spike_start, spike_end = BOUNDS["spike"]
        sleep_until(spike_start + self.rng.uniform(0, SPIKE_SECONDS))
        self.start_exam()
        _started += 1
        if _started >= TOTAL:
            all_started_now()
        self.next_answer = time.time() + self.rng.uniform(5, ANSWER_EVERY)
        self.answer_until(float("inf"), stop=ALL_STARTED)
        self.answering()

    def answering(self):
        global _finished
        _, submit_at = self.level_of()
        sat_start, sat_end = BOUNDS["saturation-save"][0], BOUNDS["saturation-ping"][1]
        self.answer_until(min(submit_at, sat_start))
        if submit_at > sat_start:  # still here when the ceiling is measured
            if self.number < SAT_USERS:
                sleep_until(sat_start)
                while time.time() < BOUNDS["saturation-save"][1]:
                    self.save("POST jawaban (saturation)")
                while time.time() < sat_end:
                    self.get("/ujian/ping", "GET /ujian/ping (saturation)")
            # Back to answering as a room does, each at its own moment: resuming everyone within
            # a few seconds of the pause sent 5,000 saves in 10 s, a burst no sitting makes.
            self.next_answer = sat_end + self.rng.uniform(0, ANSWER_EVERY)
            self.answer_until(submit_at)
        if FINISH == "deadline" and submit_at >= BOUNDS["finish"][0]:
            self.until_the_server_ends_it()
        else:
            sleep_until(submit_at)
            if SUBMIT_AT_DROP or submit_at >= BOUNDS["finish"][0]:
                self.submit()
        _finished += 1
        if _finished >= TOTAL:
            self.environment.runner.quit()
        raise StopUser()
