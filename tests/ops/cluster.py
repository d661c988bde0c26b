"""Real app processes for the operations tests: a database of their own, gunicorn nodes on free
ports, and a candidate that talks HTTP to any node (one cookie jar, as behind a load balancer).

Also used by ``benchmarks/load/faults.py``.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, make_url, select, text

ROOT = Path(__file__).resolve().parents[2]
SECRET = "ops-test-secret-key-0123456789-abcdefgh"
PASSWORD = "rahasia-123"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


# ------------------------------------------------------------------------------------ database


def fresh_database(base_url: str | None, folder: Path) -> str:
    """A new empty database: on the PostgreSQL server of ``base_url`` (a database of its own,
    so the suite's tables are never touched), else a SQLite file in ``folder``."""
    if base_url and make_url(base_url).get_backend_name() == "postgresql":
        url = make_url(base_url)
        name = f"ujian_ops_{uuid.uuid4().hex[:10]}"
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return url.set(database=name).render_as_string(hide_password=False)
    return f"sqlite:///{folder / f'ops-{uuid.uuid4().hex[:8]}.db'}"


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        admin.dispose()


def seed_sitting(url: str, candidates: int, *, minutes: int | None = None) -> list[tuple[str, int]]:
    """Schema, the demo bank and its 15-item fixed-form blueprint, one open sitting and
    ``candidates`` enrolled candidates (password ``PASSWORD``). Returns (email, session id)."""
    sys.path.insert(0, str(ROOT))
    from examserver import create_app
    from examserver.accounts import services as accounts
    from examserver.accounts.models import User
    from examserver.config import TestingConfig
    from examserver.delivery.services import create_schedule, enrol
    from examserver.demo import seed_accounts, seed_blueprints, seed_items, seed_taxonomy
    from examserver.extensions import db
    from itembank.database import utcnow
    from itembank.models import TestBlueprint
    from itembank.services import Actor

    app = create_app(type("OpsConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        db.create_all()
        seed_accounts(PASSWORD)
        seed_taxonomy()
        seed_items()
        seed_blueprints()
        blueprint = db.session.scalar(select(TestBlueprint).where(TestBlueprint.code == "SKD-DEMO"))
        if minutes is not None:
            blueprint.time_limit_minutes = minutes
        admin = db.session.scalar(select(User).where(User.email == "ops-admin@contoh.id"))
        if admin is None:  # seeding again on the same database adds another sitting
            admin = accounts.create_user(db.session, email="ops-admin@contoh.id", full_name="Ops", role="admin",
                                         password=PASSWORD)  # fmt: skip
        now = utcnow()
        code = f"OPS{uuid.uuid4().hex[:6].upper()}"
        schedule = create_schedule(
            db.session, Actor(admin.id, "admin"), blueprint=blueprint, code=code,
            title="Uji operasi", opens_at=now - timedelta(hours=1), closes_at=now + timedelta(hours=6),
            location="Daring",
        )  # fmt: skip
        rows = []
        for n in range(candidates):
            email = f"peserta{n}-{code.lower()}@ops.contoh.id"
            user = accounts.create_user(db.session, email=email, full_name=f"Peserta {n}", role="candidate",
                                        password=PASSWORD)  # fmt: skip
            rows.append((email, enrol(db.session, schedule, user.id).id))
        db.session.commit()
        db.engine.dispose()
    return rows


def invoke_in_order(app, steps: list[list]) -> list[list]:
    """Run ``flask`` commands on ``app`` in order, as an operator types them one by one: each step
    is [clock offset in seconds, argument list], the offset setting this process's clock off for
    that command (as a site box's can be; 0: the real clock). Returns [exit code, output] of each
    (output: stdout and stderr as a terminal shows them); a command that fails with anything but
    an exit raises."""
    import examserver.sites.cli as commands

    real = commands.utcnow
    runner = app.test_cli_runner()
    done = []
    try:
        for offset, args in steps:
            commands.utcnow = (lambda shift=timedelta(seconds=offset): real() + shift) if offset else real
            result = runner.invoke(args=args)
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                raise result.exception
            done.append([result.exit_code, result.output])
    finally:
        commands.utcnow = real
    return done


# --------------------------------------------------------------------------------------- nodes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Node:
    """One gunicorn node (master plus workers) on its own port."""

    port: int
    process: subprocess.Popen
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def stop(self, sig: int = signal.SIGINT) -> None:  # SIGINT: quick shutdown
        self.signal(sig)
        self.reap()

    def signal(self, sig: int) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)

    def reap(self) -> None:
        """Wait for the signalled master (killing it after 20 s), then end its process group."""
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        # A worker forked while the master was stopping can outlive it: end the node's own
        # process group (made at start), so no worker of a test is left behind.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def start_node(url: str, folder: Path, *, workers: int = 1, threads: int = 4, redis_url: str | None = None) -> Node:
    """Start gunicorn (the project's gunicorn.conf.py) on a free port and wait for /healthz."""
    return start_nodes(url, folder, 1, workers=workers, threads=threads, redis_url=redis_url)[0]


def start_nodes(url: str, folder: Path, count: int, **options) -> list[Node]:
    """Start ``count`` nodes at once (each boot is mostly imports: they overlap) and wait for all."""
    started = [_spawn(url, folder, **options) for _ in range(count)]
    try:
        for node in started:
            _await_health(node)
    except BaseException:
        stop_nodes(started, signal.SIGKILL)
        raise
    return started


def stop_nodes(nodes: list[Node], sig: int = signal.SIGINT) -> None:
    """Stop nodes together: all are signalled first, so their shutdowns overlap."""
    for node in nodes:
        node.signal(sig)
    for node in nodes:
        node.reap()


def _spawn(url: str, folder: Path, *, workers: int = 1, threads: int = 4, redis_url: str | None = None) -> Node:
    port = free_port()
    instance = folder / f"instance-{port}"
    instance.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,  # every node signs cookies with the same key
        "EXAMSERVER_ENV": "testing",
        "EXAMSERVER_INSTANCE": str(instance),
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
        # The testing config counts in memory, which several workers refuse: the node's shared file.
        "RATELIMIT_STORAGE_URI": f"sqlite:///{instance / 'ratelimits.db'}",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    log = folder / f"gunicorn-{port}.log"
    with log.open("w") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    return Node(port, process, log)


def _await_health(node: Node) -> None:
    deadline = time.time() + 40
    while time.time() < deadline:
        if node.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {node.log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{node.base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer: {node.log.read_text()[-2000:]}")


# ---------------------------------------------------------------------------------- candidates


@dataclass
class Reply:
    status: int
    data: dict | None
    text: str


@dataclass
class Candidate:
    """A candidate's browser: one cookie jar for every node, the player's calls, and what it
    believes it has saved (``answers``: position -> (seq, response) of the newest save)."""

    email: str
    session_id: int
    device: str = field(default_factory=lambda: f"perangkat-{uuid.uuid4().hex[:12]}")
    token: str = ""
    seq: int = 0
    answers: dict = field(default_factory=dict)
    items: list = field(default_factory=list)

    def __post_init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, base: str, method: str, path: str, body=None, form=None, timeout: float = 15) -> Reply:
        headers = {"X-CSRFToken": self.token} if self.token else {}
        headers["X-Client-Id"] = self.device  # items go only to the device holding the exam
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
        try:
            with self.opener.open(req, timeout=timeout) as response:
                raw = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read().decode(), error.code
        try:
            parsed = json.loads(raw) if raw.lstrip().startswith("{") else None
        except ValueError:
            parsed = None
        return Reply(status, parsed, raw)

    def login(self, base: str) -> None:
        page = self.request(base, "GET", "/masuk").text
        token = CSRF_FIELD.search(page).group(1)
        reply = self.request(base, "POST", "/masuk", form={"email": self.email, "password": PASSWORD,
                                                          "csrf_token": token})  # fmt: skip
        assert reply.status == 200, f"sign-in refused: HTTP {reply.status}"  # 302 to the dashboard, followed
        self.open_page(base)

    def open_page(self, base: str) -> None:
        page = self.request(base, "GET", f"/ujian/{self.session_id}").text
        self.token = CSRF_META.search(page).group(1)

    def api(self, base: str, method: str, path: str, body=None, **kwargs) -> Reply:
        return self.request(base, method, f"/api/sesi/{self.session_id}{path}", body=body, **kwargs)

    def start(self, base: str) -> Reply:
        return self.api(base, "POST", "/mulai", {"client_id": self.device})

    def fetch_items(self, base: str) -> None:
        reply = self.api(base, "GET", "/butir")
        assert reply.status == 200, reply.text[:300]
        self.items = reply.data["items"]

    def answer_for(self, position: int, choice: int = 0):
        item = next(i for i in self.items if i["position"] == position)
        if item["kind"] == "numeric":
            return str(10 + choice)
        option = item["options"][choice % len(item["options"])]["id"]
        return [option] if item["kind"] == "multiple" else option

    def make_save(self, position: int, choice: int = 0, answered_at: str | None = None) -> dict:
        self.seq += 1
        save = {"position": position, "seq": self.seq, "response": self.answer_for(position, choice),
                "flagged": False, "answered_at": answered_at}  # fmt: skip
        return save

    def send(self, base: str, saves: list[dict], events=None, timeout: float = 15) -> Reply:
        """Send saves; on success remember the newest acknowledged response per position."""
        body = {"client_id": self.device, "saves": saves}
        if events:
            body["events"] = events
        reply = self.api(base, "POST", "/jawaban", body, timeout=timeout)
        if reply.status == 200:
            for save in saves:
                known = self.answers.get(save["position"])
                if known is None or save["seq"] > known[0]:
                    self.answers[save["position"]] = (save["seq"], save["response"])
        return reply

    def state(self, base: str) -> Reply:
        return self.api(base, "GET", "/status")

    def submit(self, base: str) -> Reply:
        return self.api(base, "POST", "/selesai", {"client_id": self.device})


def same_answer(a, b) -> bool:
    """Equal as answers: (seq, response), where a numeric response may come back as a number."""

    def norm(value):
        seq, response = value
        if isinstance(response, str | int | float) and not isinstance(response, bool):
            try:
                return seq, float(str(response).replace(",", "."))
            except ValueError:
                return seq, response
        return seq, response

    return a is not None and b is not None and norm(a) == norm(b)


def stored_answers(url: str, session_id: int) -> dict[int, tuple[int, object]]:
    """position -> (client_seq, response as the browser sent it) read straight from the database."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy.orm import Session

    from examserver.delivery.models import Answer, SessionItem
    from examserver.delivery.services import to_display

    engine = create_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(SessionItem, Answer).join(Answer, Answer.session_item_id == SessionItem.id)
                .where(SessionItem.session_id == session_id)
            ).all()  # fmt: skip
            return {si.position: (answer.client_seq, to_display(si, answer.response)) for si, answer in rows}
    finally:
        engine.dispose()


def session_row(url: str, session_id: int) -> dict:
    """The session's status and clock, read straight from the database (aware UTC datetimes)."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy.orm import Session

    from examserver.delivery.models import ExamSession

    engine = create_engine(url)
    try:
        with Session(engine) as session:
            exam = session.get(ExamSession, session_id)
            return {key: getattr(exam, key) for key in ("status", "started_at", "deadline_at", "ended_at")}
    finally:
        engine.dispose()
