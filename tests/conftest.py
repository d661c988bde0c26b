"""Shared fixtures: the app, a client, a per-test rolled-back database session, factories.

``TEST_DATABASE_URL`` points the suite at PostgreSQL; otherwise a SQLite file is used. With
``CI=true``, tests that need PostgreSQL or Chromium fail instead of skipping.
"""

from __future__ import annotations

import gc
import inspect
import os
import re
import shutil
import sqlite3
import threading
import time as _time
import traceback
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.orm import scoped_session, sessionmaker
from werkzeug.serving import make_server

from examserver import create_app
from examserver.accounts import services
from examserver.config import TestingConfig
from examserver.delivery.services import create_schedule, enrol
from examserver.extensions import db, limiter
from itembank import blueprints
from itembank import services as itembank_services
from itembank.database import utcnow
from itembank.models import CalibrationRun, Item, ItemParameter
from itembank.services import Actor
from tests import demo_seed

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "rahasia-123"
#: Chromium's headless shell (Debian's chromium-headless-shell: the same engine without the
#: browser's UI process, about a quarter less CPU per test) where installed, else the browser.
CHROMIUM = os.environ.get(
    "CHROMIUM_PATH",
    "/usr/bin/chromium-headless-shell" if os.path.exists("/usr/bin/chromium-headless-shell") else "/usr/bin/chromium",
)


def _name_the_pseudo_files() -> None:
    """Playwright's sync API takes ``inspect.stack()`` on every call, and ``inspect.getmodule``
    walks the whole of ``sys.modules`` (about 3 ms here) for each frame whose file belongs to no
    module: the frames pytest-xdist's workers run from ``<string>``, pytest's own from
    ``<frozen runpy>``. Naming those files once in ``inspect``'s file-to-module cache ends the walks
    (measured: 812 walks, 2.6 s of CPU, in one browser test module; about a tenth of the suite's CPU)."""
    for frame in traceback.extract_stack():
        if frame.filename.startswith("<"):
            for name in (frame.filename, os.path.normcase(os.path.abspath(frame.filename))):
                inspect.modulesbyfile.setdefault(name, "__main__")


_name_the_pseudo_files()


def require(condition: bool, reason: str) -> None:
    """Skip when a resource is missing locally; in CI a missing resource is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def chromium_path() -> str:
    """The Chromium binary for browser tests (fails in CI when absent)."""
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    require(bool(path), "Chromium not installed (apt-get install chromium)")
    return path


#: Chromium as the browser tests run it: no sandbox (containers), no GPU, no background traffic.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="session")
def chromium():
    """One Chromium (Playwright, the system binary) per test process, started by the first browser
    test: a start costs half a second of CPU, and the suite has some twenty browser modules."""
    executable = chromium_path()
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def browser(chromium):
    """The process's Chromium for one module; tests open contexts on it. The contexts a module
    leaves open are closed after it, so that none of its pages runs on (timers, polling) into the
    next module."""
    yield chromium
    for context in chromium.contexts:
        context.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The suite's database: a SQLite file of this run, or ``TEST_DATABASE_URL``.

    Under pytest-xdist (``make test`` runs one worker per core and one more) each worker on PostgreSQL gets a
    database of its own, ``<name>_<worker>``, made afresh and dropped at the end, because the
    session fixture below drops and creates every table."""
    url = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    if not worker:
        yield url
        return
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def config_class(database_url):
    """Factory: a TestingConfig subclass on the suite's database, with overrides."""

    def make(**overrides):
        return type("SuiteConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})

    return make


@pytest.fixture(scope="session")
def app(config_class):
    app = create_app(config_class())
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def db_session(app):
    """A session inside an outer transaction that is rolled back after the test.

    Commits made by views become savepoint releases, so they are visible within the test and
    gone afterwards (the pattern Warehouse uses).
    No app context stays pushed during the test: each test-client request must get its own
    (and so its own ``g``), as in production.
    """
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    )
    original = db.session
    db.session = session
    try:
        yield session
    finally:
        session.remove()
        db.session = original
        outer.rollback()
        connection.close()


class ShiftedClock:
    """``time`` with a wall clock a test can move forward: a rate-limit window is advanced past
    instead of slept through. Everything but ``time()`` is the real module's."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return _time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def __getattr__(self, name: str):
        return getattr(_time, name)


@pytest.fixture
def clock(monkeypatch) -> ShiftedClock:
    """The clock of the rate-limit storages (the in-memory one of the tests, the shared SQLite one)."""
    import limits.storage.memory

    from examserver import ratelimit_storage

    shifted = ShiftedClock()
    monkeypatch.setattr(limits.storage.memory, "time", shifted)
    monkeypatch.setattr(ratelimit_storage, "time", shifted)
    return shifted


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    limiter.reset()
    yield


@pytest.fixture
def client(app, db_session):
    return app.test_client()


@pytest.fixture
def make_user(app, db_session):
    """Factory: ``make_user(role="candidate", **overrides)`` returns a committed user."""
    counter = iter(range(1, 10_000))

    def make(role: str = "candidate", **overrides):
        n = next(counter)
        values = {
            "email": f"user{n}-{role}@contoh.id",
            "full_name": f"Pengguna {n}",
            "role": role,
            "password": PASSWORD,
        }
        values.update(overrides)
        with app.app_context():
            user = services.create_user(db_session, **values)
            db_session.commit()
        return user

    return make


CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client, path: str = "/masuk") -> str:
    """Fetch a page and return the CSRF token from its first form."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_FIELD.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD, **extra):
    """Post the sign-in form with a valid CSRF token."""
    token = csrf_token(client)
    return client.post("/masuk", data={"email": email, "password": password, "csrf_token": token, **extra})


@pytest.fixture
def login_as(client, make_user):
    """Factory: sign the test client in as a new user of ``role``; returns the user."""

    def sign_in(role: str = "candidate", **overrides):
        user = make_user(role, **overrides)
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return sign_in


SAMPLE_CONTENT = {
    "single_choice": (["Jakarta", "Bandung", "Surabaya", "Medan"], {"correct": "A"}),
    "true_false": (["Benar", "Salah"], {"correct": "B"}),
    "multiple_response": (["Sila 1", "Sila 2", "Bukan sila", "Sila 3"], {"correct": ["A", "B", "D"]}),
    "weighted_options": (
        ["Abaikan", "Layani segera", "Tunda", "Minta rekan", "Marah"],
        {"weights": {"A": 1, "B": 5, "C": 2, "D": 4, "E": 0}},
    ),
    "numeric": ([], {"value": 12.5, "tolerance": 0}),
}


@pytest.fixture
def taxonomy(app, db_session):
    """SKD > TWK > {NAS, PILAR} and SKD > TKP > PELAYANAN; returns nodes by code."""
    root = itembank_services.create_competency(db_session, code="SKD", name="Seleksi Kompetensi Dasar")
    twk = itembank_services.create_competency(db_session, code="SKD.TWK", name="Wawasan Kebangsaan", parent_id=root.id)
    nas = itembank_services.create_competency(db_session, code="SKD.TWK.NAS", name="Nasionalisme", parent_id=twk.id)
    pilar = itembank_services.create_competency(db_session, code="SKD.TWK.PILAR", name="Pilar negara", parent_id=twk.id)
    tkp = itembank_services.create_competency(
        db_session, code="SKD.TKP", name="Karakteristik Pribadi", parent_id=root.id
    )
    pel = itembank_services.create_competency(db_session, code="SKD.TKP.PEL", name="Pelayanan publik", parent_id=tkp.id)
    db_session.commit()
    return {node.code: node for node in (root, twk, nas, pilar, tkp, pel)}


@pytest.fixture
def make_item(app, db_session, make_user, taxonomy):
    """Factory: ``make_item(type_key="single_choice", author=None, **overrides)`` returns an Item.
    Without ``author`` the items of a test share one item writer, made at the first item."""
    writers = []

    def make(type_key: str = "single_choice", author=None, **overrides):
        if author is None:
            writers[:] = writers or [make_user("item_writer")]
            author = writers[0]
        options, answer = SAMPLE_CONTENT[type_key]
        values = {
            "competency_id": taxonomy["SKD.TWK.NAS"].id,
            "type_key": type_key,
            "stem": "Ibu kota negara Indonesia menurut UU sebelum 2022 adalah ...",
            "options": list(options),
            "answer": answer,
        }
        values.update(overrides)
        item = itembank_services.create_item(db_session, Actor(author.id, author.role), **values)
        db_session.commit()
        return item

    return make


@pytest.fixture
def exam_factory(db_session, make_user, make_item, taxonomy):
    """Factory: ``exam_factory(**schedule_overrides)`` -> (candidate, ExamSession) on a 6-item
    random-form blueprint (3 single-choice TWK items at 5 points, 3 weighted TKP items)."""
    admin = make_user("admin")
    run = CalibrationRun(
        created_by_id=admin.id, source="import", model="2pl", status="published", published_at=utcnow()
    )
    db_session.add(run)
    for n in range(3):
        for type_key, competency in (("single_choice", "SKD.TWK.NAS"), ("weighted_options", "SKD.TKP.PEL")):
            item = make_item(type_key, competency_id=taxonomy[competency].id, stem=f"Soal {type_key} {n}")
            db_session.get(Item, item.id).status = "operational"
            db_session.add(
                ItemParameter(
                    item_id=item.id,
                    run=run,
                    version_number=1,
                    is_current=True,
                    **(
                        {"model": "2pl", "a": 1.0, "b": 0.5 * n - 0.5}
                        if type_key == "single_choice"
                        else {
                            "model": "gpcm",
                            "a": 0.8,
                            "b": 0.5 * n - 0.5,
                            "thresholds": [0.5 * n - 2.0, 0.5 * n - 1.0, 0.5 * n, 0.5 * n + 1.0],
                        }
                    ),
                )
            )
    db_session.commit()
    blueprint = blueprints.create_blueprint(
        db_session,
        Actor(admin.id, "admin"),
        code="UJI",
        name="Uji",
        time_limit_minutes=30,
        delivery_mode="random",
        reporting_scale={"kind": "range", "min": 0, "max": 100},
        sections=[
            blueprints.SectionSpec(taxonomy["SKD.TWK"].id, "TWK", 3, "points_per_correct", 5, 10),
            blueprints.SectionSpec(taxonomy["SKD.TKP"].id, "TKP", 3, "weighted_options", 5, 9),
        ],
    )
    db_session.commit()
    counter = iter(range(1000))

    def make(**overrides):
        now = utcnow()
        values = {
            "code": f"JDW{next(counter)}",
            "title": "Ujian uji",
            "opens_at": now - timedelta(hours=1),
            "closes_at": now + timedelta(hours=5),
            "location": "Daring",
        }
        values.update(overrides)
        schedule = create_schedule(db_session, Actor(admin.id, "admin"), blueprint=blueprint, **values)
        candidate = make_user("candidate")
        exam = enrol(db_session, schedule, candidate.id)
        db_session.commit()
        return candidate, exam

    return make


def _demo_folder(config: pytest.Config) -> Path:
    """Where the run's one demo seed lives: shared by the xdist workers (their temporary folders'
    parent), else this run's temporary folder."""
    base = config._tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "demo-seed"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The order modules are handed out in (each module's tests keep their order): the long modules
    first (those that drive Chromium or start servers of their own: 10 to 65 s each), so that no
    xdist worker is left running one of them alone at the end; in each half those that need the demo
    after the others, so the one seed, started in the background when collection ends, is ready by
    the time they start. ``make test`` keeps this order with ``--no-loadscope-reorder``: pytest-xdist
    otherwise hands out the modules with the most tests first."""
    demo_modules = {item.path for item in items if "demo_database" in item.fixturenames}
    long_modules = {item.path for item in items if "browser" in item.fixturenames or item.path.parent.name == "ops"}
    items.sort(key=lambda item: (item.path not in long_modules, item.path in demo_modules))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the demo seed as soon as a run that needs it is collected, so tests run meanwhile.

    Everything imported by then (the libraries, the app's modules, the tests: about 290,000 objects
    that live as long as the process) is moved out of the garbage collector's sight with
    ``gc.freeze()``: every full collection during the run, and the five pytest makes at its end to
    find unraisable exceptions, walked them all (140 ms a walk; about 30 s of CPU over the suite)."""
    if session.config.option.collectonly:
        return
    gc.collect()
    gc.freeze()
    if any("demo_database" in item.fixturenames for item in session.items):
        demo_seed.start(_demo_folder(session.config))


def pytest_sessionfinish(session: pytest.Session) -> None:
    demo_seed.finish()


@pytest.fixture(scope="session")
def demo_database(request) -> Path:
    """The whole demo (``flask demo --if-empty``) seeded once per run into a SQLite file
    (``tests/demo_seed.py``: one seed for all the xdist workers, in the background).

    Nobody uses this file: every demo app below runs on a copy of it, so a module that changes
    decisions, announcements or answers gets a demo of its own for the cost of a file copy."""
    return demo_seed.wait(_demo_folder(request.config))


@pytest.fixture(scope="session")
def own_demo(demo_database, tmp_path_factory):
    """Factory: ``own_demo(name)`` is an app on a fresh private copy of the seeded demo."""
    apps = []

    def make(name: str):
        database = tmp_path_factory.mktemp(name) / "demo.db"
        with sqlite3.connect(demo_database) as source, sqlite3.connect(database) as target:
            source.backup(target)  # the consistent way to copy a live SQLite file (WAL included)
        settings = {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SELECTION_SIGNING_KEY": demo_seed.signing_key(demo_database.parent),
        }
        app = create_app(type("DemoConfig", (TestingConfig,), settings))
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def demo_app(own_demo):
    """The demo app shared by the tests that walk the demo without changing what others read
    (the player tests take DEMO-SKD, the review tests read the finished UJICOBA-2026-10)."""
    return own_demo("demo")


@contextmanager
def statements(db_session):
    """The SQL statements ``db_session``'s connection sends while the block runs."""
    sent: list[str] = []
    listener = lambda *args: sent.append(args[2])  # noqa: E731
    bind = db_session.get_bind()
    event.listen(bind, "before_cursor_execute", listener)
    try:
        yield sent
    finally:
        event.remove(bind, "before_cursor_execute", listener)


@contextmanager
def served(app):
    """``app`` served on a free local port in a thread, for a browser to open: yields its base URL
    and stops the server afterwards."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def demo_client(app, email: str):
    """A test client of ``app`` signed in as the demo account ``email``."""
    client = app.test_client()
    response = login(client, email, app.config["DEMO_PASSWORD"])
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client
