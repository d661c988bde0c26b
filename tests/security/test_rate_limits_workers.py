"""Rate limits hold across the worker processes of one gunicorn node (issue 20).

A real gunicorn with two workers, as ``make run`` starts it, without ``REDIS_URL``: the limits
are counted in the node's shared file. Each attempt is served by a chosen worker (the other one
is paused with SIGSTOP, so it cannot accept the connection): the attempts are split between the
workers for certain, and a per-process count would let the 11th guess and the 6th post through.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from examserver.extensions import limiter
from examserver.hr.models import CommunityFeedback
from tests.examserver import hr_evaluation_world as hr_world
from tests.ops.cluster import Node, free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "demo12345"
ACCOUNT = "kandidat1@demo.id"
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def seed(url: str) -> dict:
    """Schema, the demo accounts, and a unit with an evaluation period open for public feedback."""
    from examserver import create_app
    from examserver.config import TestingConfig
    from examserver.demo import seed_accounts
    from examserver.extensions import db

    saved = limiter._storage, limiter._limiter  # init_app below replaces the suite's storage
    app = create_app(type("WorkersConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    try:
        with app.app_context():
            db.create_all()
            seed_accounts(PASSWORD)
            employee = hr_world.employee(db.session, hr_world.profile(db.session), 1, unit="Dinas Dukcapil")
            period = hr_world.period(db.session)
            db.session.commit()
            world = {"unit": employee.unit, "period": period.id}
            db.engine.dispose()
    finally:
        limiter._storage, limiter._limiter = saved
    return world


def gunicorn_env(url: str, folder: Path, port: int, **extra: str) -> dict:
    """The environment of ``make run`` on a test database: development rules, two workers."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("REDIS_", "RATELIMIT_"))}
    for key in ("FLASK_ENV", "EXAMSERVER_WORKERS"):
        env.pop(key, None)
    env.update(
        EXAMSERVER_ENV="development",
        DATABASE_URL=url,
        SECRET_KEY="workers-test-secret-key-0123456789-abcdef",
        EXAMSERVER_INSTANCE=str(folder / "instance"),
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
        **extra,
    )
    return env


def gunicorn(env: dict, log: Path) -> subprocess.Popen:
    with log.open("w") as output:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    """A gunicorn node with two booted workers on a seeded SQLite database; yields (node, url, world)."""
    folder = tmp_path_factory.mktemp("workers")
    url = f"sqlite:///{folder / 'examserver.db'}"
    world = seed(url)
    port = free_port()
    log = folder / "gunicorn.log"
    started = Node(port, gunicorn(gunicorn_env(url, folder, port), log), log)
    try:
        deadline = time.time() + 40
        while len(started.worker_pids()) < 2 or not _healthy(started):
            assert started.process.poll() is None, log.read_text()[-2000:]
            assert time.time() < deadline, f"gunicorn did not come up: {log.read_text()[-2000:]}"
            time.sleep(0.2)
        yield started, url, world, folder
    finally:
        started.stop()


def _healthy(node: Node) -> bool:
    try:
        with urllib.request.urlopen(f"{node.base}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One cookie jar; answers are (status, body) and redirects are not followed."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(), _NoRedirect())

    def request(self, path: str, form: dict | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data=data, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def token(self, path: str) -> str:
        status, html = self.request(path)
        assert status == 200, (status, html[:300])
        return CSRF_FIELD.search(html).group(1)


@contextmanager
def served_by(node: Node, worker: int):
    """Pause every worker but ``worker`` (its pid) so that it takes the connections in between."""
    paused = [pid for pid in node.worker_pids() if pid != worker]
    for pid in paused:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in paused:
            os.kill(pid, signal.SIGCONT)


def test_the_eleventh_wrong_password_is_refused_whichever_worker_counted_the_others(node):
    server, _, _, folder = node
    workers = server.worker_pids()
    browser = Browser(server.base)
    token = browser.token("/masuk")
    guess = {"email": ACCOUNT, "password": "salah-sekali", "csrf_token": token}
    for attempt in range(10):
        with served_by(server, workers[attempt % 2]):  # five failures counted by each worker
            status, _ = browser.request("/masuk", guess)
        assert status == 422, f"attempt {attempt + 1}: HTTP {status}"
    for worker in workers:  # the 11th, and even the right password, on either worker
        with served_by(server, worker):
            assert browser.request("/masuk", guess)[0] == 429
            assert browser.request("/masuk", {**guess, "password": PASSWORD})[0] == 429
    assert (folder / "instance" / "ratelimits.db").exists()  # the node's shared file, not memory


def test_the_sixth_public_feedback_from_one_address_is_not_stored(node):
    server, url, world, _ = node
    workers = server.worker_pids()
    browser = Browser(server.base)
    token = browser.token("/sdm/umpan-balik")
    statuses = []
    for post in range(6):
        form = {"period": world["period"], "unit": world["unit"], "rating": "4", "comment": f"Kiriman {post}"}
        with served_by(server, workers[post % 2]):
            statuses.append(browser.request("/sdm/umpan-balik", {**form, "csrf_token": token})[0])
    assert statuses == [303] * 5 + [429]
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(CommunityFeedback)) == 5
    finally:
        engine.dispose()


def test_memory_storage_with_two_workers_refuses_to_start(tmp_path):
    url = f"sqlite:///{tmp_path / 'examserver.db'}"
    env = gunicorn_env(url, tmp_path, free_port(), RATELIMIT_STORAGE_URI="memory://")
    log = tmp_path / "gunicorn.log"
    process = gunicorn(env, log)
    try:
        code = process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        pytest.fail(f"gunicorn started with memory:// and two workers: {log.read_text()[-1500:]}")
    output = log.read_text()
    assert code != 0
    assert "memory://" in output and "2 worker processes" in output
    assert "Booting worker" not in output  # refused before any worker was forked
