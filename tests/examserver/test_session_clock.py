"""The player's poll (``GET /api/sesi/<id>/jam``): the clock and status of the full status in one
small statement, the same expiry on the way, only for the session's own candidate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from examserver.delivery.models import ExamSession
from itembank.database import utcnow
from tests.conftest import login, statements
from tests.examserver.player_client import Player

FIELDS = ("status", "remaining_seconds", "paused", "device_change_allowed")


@pytest.fixture
def started(client, exam_factory):
    candidate, exam = exam_factory()
    login(client, candidate.email)
    player = Player(client, exam.id)
    assert player.start().status_code == 200
    return player, exam


def clock(player):
    return player.client.get(f"/api/sesi/{player.exam_id}/jam")


def test_the_clock_says_what_the_status_says(started, db_session):
    player, exam = started
    state, reply = player.state(), clock(player).get_json()
    assert set(reply) == {*FIELDS, "server_time"}
    assert {key: reply[key] for key in FIELDS if key != "remaining_seconds"} == {
        key: state[key] for key in FIELDS if key != "remaining_seconds"
    }
    assert abs(reply["remaining_seconds"] - state["remaining_seconds"]) < 2
    db_session.execute(update(ExamSession).where(ExamSession.id == exam.id).values(paused_at=utcnow()))
    db_session.commit()
    assert clock(player).get_json()["paused"] is True


def test_the_clock_is_one_statement_and_carries_no_answers(started, db_session):
    player, _ = started
    player.save({"position": 1, "seq": 1, "response": "1"})
    clock(player)  # the sign-in is remembered from here on
    with statements(db_session) as sent:
        response = clock(player)
    sent = [sql for sql in sent if "SAVEPOINT" not in sql and not sql.startswith("BEGIN")]
    assert response.status_code == 200 and len(sent) == 1, sent
    assert "answer" not in response.get_data(as_text=True)


def test_another_candidates_session_is_not_found(started, client, exam_factory):
    player, _ = started
    other, exam = exam_factory()
    assert player.client.get(f"/api/sesi/{exam.id}/jam").status_code == 404


def test_past_the_deadline_and_grace_the_poll_ends_the_session(started, db_session):
    player, exam = started
    past = utcnow() - timedelta(minutes=5)
    db_session.execute(update(ExamSession).where(ExamSession.id == exam.id).values(deadline_at=past))
    db_session.commit()
    reply = clock(player).get_json()
    assert reply["status"] == "expired" and reply["remaining_seconds"] == 0
    db_session.expire_all()
    assert db_session.get(ExamSession, exam.id).status == "expired"
