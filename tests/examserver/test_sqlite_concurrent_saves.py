"""The embedded SQLite default under concurrent saves of one session: no 500, nothing lost.

Several threads, each a browser tab of the same candidate on the same device, save into one
session at the same moment through the real API, as a flaky connection's retries and a second
tab do. With a plain deferred ``BEGIN`` SQLite answered "database is locked" (HTTP 500) when a
transaction that had read tried to write after another one committed; ``BEGIN IMMEDIATE``
(``examserver._sqlite_begin``) makes the writers queue on the busy timeout instead.

This test always runs on a SQLite file of its own, whatever database the suite uses.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from examserver import create_app
from examserver.accounts import services as accounts
from examserver.config import TestingConfig
from examserver.delivery.models import Answer, ExamSession, SessionItem
from examserver.delivery.services import create_schedule, enrol
from examserver.extensions import db
from itembank import blueprints
from itembank import services as itembank
from itembank.database import utcnow
from itembank.models import CalibrationRun, Item, ItemParameter
from itembank.services import Actor
from tests.conftest import PASSWORD, login
from tests.examserver.player_client import Player

THREADS = 8
ROUNDS = 6
ITEMS = THREADS + 2


@pytest.fixture(scope="module")
def sqlite_exam(tmp_path_factory):
    """An app on its own SQLite file with one candidate enrolled in a 10-item random sitting."""
    database = tmp_path_factory.mktemp("concurrent") / "saves.db"
    config = type("ConcurrentConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    app = create_app(config)
    with app.app_context():
        db.create_all()
        admin = accounts.create_user(
            db.session, email="admin@contoh.id", full_name="Admin", role="admin", password=PASSWORD
        )
        writer = accounts.create_user(
            db.session, email="penulis@contoh.id", full_name="Penulis", role="item_writer", password=PASSWORD
        )
        candidate = accounts.create_user(
            db.session, email="peserta@contoh.id", full_name="Peserta", role="candidate", password=PASSWORD
        )
        area = itembank.create_competency(db.session, code="TWK", name="Wawasan Kebangsaan")
        run = CalibrationRun(
            created_by_id=admin.id, source="import", model="2pl", status="published", published_at=utcnow()
        )
        db.session.add(run)
        for n in range(ITEMS):
            item = itembank.create_item(
                db.session,
                Actor(writer.id, writer.role),
                competency_id=area.id,
                type_key="single_choice",
                stem=f"Soal nomor {n}",
                options=["Satu", "Dua", "Tiga", "Empat"],
                answer={"correct": "A"},
            )
            db.session.get(Item, item.id).status = "operational"
            db.session.add(
                ItemParameter(item_id=item.id, run=run, version_number=1, is_current=True, model="2pl", a=1.0, b=0.0)
            )
        blueprint = blueprints.create_blueprint(
            db.session,
            Actor(admin.id, "admin"),
            code="SERENTAK",
            name="Simpan serentak",
            time_limit_minutes=60,
            delivery_mode="random",
            reporting_scale={"kind": "range", "min": 0, "max": 100},
            sections=[blueprints.SectionSpec(area.id, "TWK", ITEMS)],
        )
        now = utcnow()
        schedule = create_schedule(
            db.session,
            Actor(admin.id, "admin"),
            blueprint=blueprint,
            code="SERENTAK-1",
            title="Simpan serentak",
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(hours=5),
            location="Daring",
        )
        exam_id = enrol(db.session, schedule, candidate.id).id
        db.session.commit()
    yield app, exam_id
    with app.app_context():
        db.engine.dispose()


def test_the_embedded_database_begins_writing_transactions_immediately(sqlite_exam):
    app, _ = sqlite_exam
    statements = []
    with app.app_context():
        engine = db.engine

        def remember(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", remember)
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql("SELECT 1")
        finally:
            event.remove(engine, "before_cursor_execute", remember)
    assert statements[0] == "BEGIN IMMEDIATE"


def test_concurrent_saves_into_one_session_get_no_500_and_lose_nothing(sqlite_exam):
    app, exam_id = sqlite_exam
    first = app.test_client()
    assert login(first, "peserta@contoh.id").status_code == 302
    player = Player(first, exam_id)
    assert player.start().status_code == 200
    cookies = {cookie.key: cookie.value for cookie in first._cookies.values()}  # signed in, same device

    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def tab(k: int) -> None:
        try:
            client = app.test_client()
            for name, value in cookies.items():
                client.set_cookie(name, value)
            tab_player = Player.__new__(Player)
            tab_player.client, tab_player.exam_id, tab_player.device = client, exam_id, player.device
            tab_player.token = player.token
            barrier.wait()
            for seq in range(1, ROUNDS + 1):
                # Each tab owns one position; every tab also saves the shared last position.
                own = {"position": k + 1, "seq": seq, "response": str(1 + seq % 4)}
                shared = {"position": ITEMS, "seq": k * ROUNDS + seq, "response": str(1 + (k + seq) % 4)}
                response = tab_player.save(own, shared)
                with lock:
                    statuses.append(response.status_code)
        except BaseException as error:  # noqa: BLE001 - reported below, with the thread's traceback lost otherwise
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=tab, args=(k,)) for k in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(statuses) == THREADS * ROUNDS
    assert set(statuses) == {200}, sorted(statuses)

    with app.app_context():
        rows = db.session.execute(
            select(SessionItem.position, SessionItem.option_order, Answer.client_seq, Answer.response)
            .join(Answer, Answer.session_item_id == SessionItem.id)
            .where(SessionItem.session_id == exam_id)
        ).all()
        exam = db.session.get(ExamSession, exam_id)
        assert exam.status == "in_progress"
    held = {position: (seq, order.index(response) + 1) for position, order, seq, response in rows}
    for k in range(THREADS):
        assert held[k + 1] == (ROUNDS, 1 + ROUNDS % 4)
    top = THREADS * ROUNDS  # the highest sequence any tab sent for the shared position
    assert held[ITEMS] == (top, 1 + (THREADS - 1 + ROUNDS) % 4)
