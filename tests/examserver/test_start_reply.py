"""The start's reply is built from what the start wrote (the items it drew, no answers yet) instead of
read back; a resume reads the proctor's messages only when there are some. Both must say what the
status read from the database says."""

from __future__ import annotations

from sqlalchemy import select

from examserver.delivery import integrity
from examserver.delivery.models import ExamSession
from proctoring import chain
from proctoring.models import IntegrityEvent
from tests.conftest import login
from tests.examserver.player_client import Player

#: What differs between two replies a moment apart.
MOMENT = ("server_time", "remaining_seconds")


def same_state(reply: dict, status: dict) -> None:
    assert {k: v for k, v in reply.items() if k not in MOMENT} == {k: v for k, v in status.items() if k not in MOMENT}


def test_the_first_start_replies_what_the_status_reads(client, exam_factory):
    candidate, exam = exam_factory()
    login(client, candidate.email)
    player = Player(client, exam.id)
    reply = player.start().get_json()
    assert reply["status"] == "in_progress" and reply["reached"] == 6 and reply["messages"] == []
    assert [section["count"] for section in reply["sections"]] == [3, 3]
    same_state(reply, client.get(f"/api/sesi/{exam.id}/status").get_json())
    resumed = player.start().get_json()
    same_state(resumed, client.get(f"/api/sesi/{exam.id}/status").get_json())


def test_a_proctors_message_reaches_the_start_and_the_resume(client, exam_factory, make_user, db_session):
    candidate, exam = exam_factory()
    proctor = make_user("proctor")
    integrity.proctor_event(db_session, db_session.get(ExamSession, exam.id), "message", proctor.id, text="Tenang")
    db_session.commit()
    login(client, candidate.email)
    player = Player(client, exam.id)
    started = player.start().get_json()
    assert [message["text"] for message in started["messages"]] == ["Tenang"]
    same_state(started, client.get(f"/api/sesi/{exam.id}/status").get_json())
    integrity.proctor_event(db_session, db_session.get(ExamSession, exam.id), "message", proctor.id, text="Lagi")
    db_session.commit()
    resumed = player.start().get_json()
    assert [message["text"] for message in resumed["messages"]] == ["Tenang", "Lagi"]


def test_a_resume_from_another_address_is_logged_on_the_chain(client, exam_factory, db_session, app):
    candidate, exam = exam_factory()
    login(client, candidate.email)
    player = Player(client, exam.id)
    assert player.start().status_code == 200
    assert player.start().status_code == 200  # the same address: nothing new
    headers = {"X-CSRFToken": player.token}
    body = {"client_id": player.device}
    moved = client.post(
        f"/api/sesi/{exam.id}/mulai", json=body, headers=headers, environ_base={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert moved.status_code == 200
    events = db_session.scalars(
        select(IntegrityEvent).where(IntegrityEvent.session_id == exam.id).order_by(IntegrityEvent.id)
    ).all()
    assert [event.kind for event in events] == [
        "session_started", "session_resumed", "session_resumed", "new_address",
    ]  # fmt: skip
    assert events[-1].details == {"ip": "10.9.8.7", "previous_ip": "127.0.0.1"}
    assert [event.chain_position for event in events] == [1, 2, 3, 4]
    with app.app_context():
        assert chain.verify(db_session).ok
