"""Issue 17's acceptance: a centre and a test site as separate processes with two databases and no
network between them during the sitting.

The centre is its database and the ``flask site`` commands run on it (export, receive), in the
test's own process; the site is a database of its own, the same commands in site mode (import,
release, upload) run by processes of their own, and a gunicorn serving the sitting. Between them
only files travel: the package, and the results. Thirty candidates sit the demo form on the site,
29 through its HTTP API as the player does (sign in with the exam card's registration number and
PIN, start, saves, submit) and one in Chromium; the centre then has every answer they were told was
saved, the scores the site computed, and an integrity log that verifies. The same run shows the bad
cases: a site clock an hour behind the centre's at the import, one byte changed in the package or
in the results, an answer edited in the site's database before the upload, the results imported
twice.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from examserver import create_app
from examserver.config import TestingConfig
from examserver.extensions import db
from examserver.sites import sealing
from tests.examserver.player_browser import answer_every_item, wait_saved
from tests.examserver.test_pages_fit_a_phone import PHONE
from tests.ops.cluster import (
    CSRF_FIELD,
    ROOT,
    SECRET,
    Candidate,
    invoke_in_order,
    same_answer,
    seed_sitting,
    start_node,
    stored_answers,
)

CANDIDATES = 30
SITE = "SMAN1-BUNGO"


#: Runs the site's ``flask`` commands in one process (one app start for the batch): argv[1] is the
#: JSON list of steps of :func:`invoke_in_order`; prints the JSON list of what it returns.
BATCH = """
import json, sys
from wsgi import app
from tests.ops.cluster import invoke_in_order
print(json.dumps(invoke_in_order(app, json.loads(sys.argv[1]))))
"""


@dataclass
class Done:
    code: int
    output: str


@dataclass
class Behind:
    """A command run with the process's clock ``seconds`` behind the real one."""

    args: list[str]
    seconds: float


def flask(env: dict[str, str], *commands: list[str] | Behind) -> list[Done]:
    """The site's ``flask`` ``commands`` run in order by one process of their own with ``env``, as its
    head proctor would run them one by one."""
    steps = [[-command.seconds, command.args] if isinstance(command, Behind) else [0, command] for command in commands]
    done = subprocess.run(
        [sys.executable, "-c", BATCH, json.dumps(steps)],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return [Done(code, output) for code, output in json.loads(done.stdout.strip().splitlines()[-1])]


def at_centre(app, *commands: list[str]) -> list[Done]:
    """The centre's ``flask`` ``commands``, run in order on its app in this process."""
    return [Done(code, output) for code, output in invoke_in_order(app, [[0, args] for args in commands])]


def ok(done: Done) -> str:
    assert done.code == 0, done.output
    return done.output


@pytest.fixture
def centre_and_site(tmp_path):
    """The centre's app on its database (the demo bank, one open sitting of 30 candidates), and a
    site's environment and empty database, made by the migrations."""
    centre_url = f"sqlite:///{tmp_path / 'centre.db'}"
    sessions = seed_sitting(centre_url, CANDIDATES)
    private, public = sealing.new_site_key()  # the centre's own signing key, for this run
    (tmp_path / "centre.pem").write_bytes(public)
    (tmp_path / "site-instance").mkdir()
    settings = {"SQLALCHEMY_DATABASE_URI": centre_url, "SELECTION_SIGNING_KEY": private.decode(), "SECRET_KEY": SECRET}
    centre = create_app(type("CentreConfig", (TestingConfig,), settings))
    site = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.db'}",
        "EXAMSERVER_ENV": "testing",
        "EXAMSERVER_INSTANCE": str(tmp_path / "site-instance"),
        "EXAMSERVER_ROLE": "site",
        "EXAMSERVER_SITE_CODE": SITE,
        "CENTRE_PUBLIC_KEY_FILE": str(tmp_path / "centre.pem"),
        "SECRET_KEY": SECRET,
    }
    yield centre, site, sessions
    with centre.app_context():
        db.engine.dispose()


def _pins(path: Path) -> dict[str, str]:
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    return {row[0]: row[2] for row in rows[1:]}  # and "Kunci lokasi": the site key's code


def _sit(base: str, number: str, pin: str, session_id: int, choice: int) -> Candidate:
    """One candidate on the site, as the player behaves: sign in with the card, start, answer every
    item (one answer changed), submit."""
    candidate = Candidate(email=number, session_id=session_id)
    page = candidate.request(base, "GET", "/masuk").text
    form = {"email": number, "password": pin, "csrf_token": CSRF_FIELD.search(page).group(1)}
    assert candidate.request(base, "POST", "/masuk", form=form).status == 200  # 302 followed home
    candidate.open_page(base)
    started = candidate.start(base)
    assert started.status == 200, started.text[:300]
    candidate.items = started.data["items"]
    saves = [candidate.make_save(item["position"], choice + n) for n, item in enumerate(candidate.items)]
    assert candidate.send(base, saves[:8]).status == 200
    assert candidate.send(base, saves[8:]).status == 200
    assert candidate.send(base, [candidate.make_save(candidate.items[0]["position"], choice + 1)]).status == 200
    assert candidate.submit(base).status == 200
    return candidate


def _results(url: str, ids: list[int]) -> dict[int, tuple]:
    from examserver.delivery.models import SessionResult

    engine = create_engine(url)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(SessionResult).where(SessionResult.session_id.in_(ids)))
            return {r.session_id: (r.total_raw, r.total_max, r.passed, str(r.sections)) for r in rows}
    finally:
        engine.dispose()


def _sit_in_chromium(browser, base: str, number: str, pin: str, exam_id: int) -> dict[int, object]:
    """One candidate in a real browser on a phone: the card's number and PIN, the player, every item
    answered by touch, finished; returns the responses as the player shows them."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(base + "/masuk")
    page.get_by_label("Nomor peserta atau email").fill(number)
    page.get_by_label("PIN").fill(pin)
    page.keyboard.press("Enter")
    page.wait_for_url("**/peserta/")
    page.goto(f"{base}/ujian/{exam_id}")
    page.get_by_role("button", name="Mulai ujian").click()
    shown = answer_every_item(page)
    wait_saved(page)
    page.get_by_role("button", name="Selesai").click()
    page.get_by_role("button", name="Ya, selesai").click()
    page.wait_for_url(f"**/ujian/{exam_id}/hasil")
    context.close()
    return shown


def test_a_sitting_on_a_site_server_comes_back_whole_to_the_centre(centre_and_site, tmp_path, monkeypatch, browser):
    centre, site, sessions = centre_and_site
    package = tmp_path / "paket.json.gz"
    export = ["site", "export", "--schedule", _schedule(centre), "--site", SITE, "--proctor", "pengawas@demo.id",
              "--seats", str(CANDIDATES), "--out", str(package)]  # fmt: skip
    for done in at_centre(centre, ["site", "add", SITE, "SMA Negeri 1 Muara Bungo"], export):
        ok(done)
    pins = _pins(tmp_path / "paket.json.pin.csv")
    code = _release_code(centre_url := centre.config["SQLALCHEMY_DATABASE_URI"])

    # One byte changed in the package: the site refuses it and holds nothing; then the real one.
    spoiled = tmp_path / "rusak.json.gz"
    raw = bytearray(gzip.decompress(package.read_bytes()))
    raw[raw.index(b'"pin_hash":"') + 20] ^= 1
    spoiled.write_bytes(gzip.compress(bytes(raw)))
    typed = code.lower().replace("-", " ")  # as the head proctor types it
    secret = ["--site-secret", pins["Kunci lokasi"]]
    # The site box's clock set back an hour: the import refuses, naming the difference; nothing held.
    upgrade, behind, refused, imported, released = flask(
        site, ["db", "upgrade"], Behind(["site", "import", str(package), *secret], seconds=3600),
        ["site", "import", str(spoiled), *secret], ["site", "import", str(package), *secret],
        ["site", "release", typed],
    )  # fmt: skip
    ok(upgrade)
    assert behind.code != 0 and "60 menit di belakang jam pusat" in behind.output, behind.output
    assert refused.code != 0 and "Tanda tangan berkas tidak sah" in refused.output, refused.output
    assert "imported" in ok(imported) and "released" in ok(released)

    with monkeypatch.context() as patched:  # the site's gunicorn, in site mode
        for key in ("EXAMSERVER_ROLE", "EXAMSERVER_SITE_CODE", "CENTRE_PUBLIC_KEY_FILE"):
            patched.setenv(key, site[key])
        node = start_node(site["DATABASE_URL"], tmp_path, workers=1, threads=4)
    try:
        numbers = _numbers(site["DATABASE_URL"])
        *by_api, (_email, in_browser) = sessions
        sat = [_sit(node.base, numbers[sid], pins[numbers[sid]], sid, n) for n, (_email, sid) in enumerate(by_api)]
        shown = _sit_in_chromium(browser, node.base, numbers[in_browser], pins[numbers[in_browser]], in_browser)
    finally:
        node.stop()
    ids = [candidate.session_id for candidate in sat] + [in_browser]

    # The results on a USB stick; and a copy of the site's database with one answer edited before
    # its upload.
    edited = tmp_path / "edited.db"
    with sqlite3.connect(tmp_path / "site.db") as source, sqlite3.connect(edited) as target:
        source.backup(target)
    with sqlite3.connect(edited) as database:
        database.execute(
            "UPDATE answer SET response = '\"X\"' WHERE session_item_id = "
            "(SELECT id FROM session_item WHERE session_id = ? AND position = 3)", (ids[4],)
        )  # fmt: skip
    for folder in ("usb", "edited"):
        (tmp_path / folder).mkdir()
    ok(flask(site, ["site", "upload", "--out", str(tmp_path / "usb")])[0])
    ok(flask({**site, "DATABASE_URL": f"sqlite:///{edited}"}, ["site", "upload", "--out", str(tmp_path / "edited")])[0])
    results = next((tmp_path / "usb").glob("hasil-*.json.gz"))
    forged = next((tmp_path / "edited").glob("hasil-*.json.gz"))
    raw = bytearray(gzip.decompress(results.read_bytes()))
    raw[raw.index(b'"registration_number":"') + 24] ^= 1  # a letter of a number: still JSON
    (tmp_path / "rusak-hasil.json.gz").write_bytes(gzip.compress(bytes(raw)))

    # At the centre: the edited and the spoiled file refused, the real one taken, the log verified,
    # the real one again changing nothing.
    edited_one, spoiled_one, received, verified, again = at_centre(
        centre, ["site", "receive", str(forged)], ["site", "receive", str(tmp_path / "rusak-hasil.json.gz")],
        ["site", "receive", str(results)], ["integrity", "verify"], ["site", "receive", str(results)],
    )  # fmt: skip
    assert edited_one.code != 0 and f"{numbers[ids[4]]}: answer_not_in_chain" in edited_one.output
    assert "nothing imported" in edited_one.output
    assert spoiled_one.code != 0 and "Tanda tangan berkas tidak sah" in spoiled_one.output
    assert f"{CANDIDATES} imported" in ok(received)
    assert "OK" in ok(verified)
    assert "0 imported" in ok(again) and f"{CANDIDATES} already imported" in again.output
    for candidate in sat:
        stored = stored_answers(centre_url, candidate.session_id)
        assert stored.keys() == candidate.answers.keys() and len(stored) == len(candidate.items)
        assert all(same_answer(stored[p], candidate.answers[p]) for p in stored), candidate.session_id
    stored = stored_answers(centre_url, in_browser)
    assert {position: response for position, (_seq, response) in stored.items()} == shown
    assert _results(centre_url, ids) == _results(site["DATABASE_URL"], ids)
    assert len(_results(centre_url, ids)) == CANDIDATES


def _schedule(centre) -> str:
    with sqlite3.connect(centre.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")) as database:
        return database.execute("SELECT code FROM exam_schedule WHERE code LIKE 'OPS%'").fetchone()[0]


def _release_code(url: str) -> str:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as database:
        return database.execute("SELECT release_code FROM site_package ORDER BY id DESC").fetchone()[0]


def _numbers(url: str) -> dict[int, str]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as database:
        return dict(database.execute("SELECT id, registration_number FROM exam_session"))
