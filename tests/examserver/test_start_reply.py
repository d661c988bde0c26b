"""The start's reply is built from what the start wrote (the items it drew, no answers yet) instead of
read back; a resume reads the proctor's messages only when there are some. Both must say what the
status read from the database says."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from examserver.delivery import integrity
from examserver.delivery.models import ExamSession
from itembank.database import utcnow
from proctoring import chain
from proctoring.models import IntegrityEvent
from tests.conftest import login, statements
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
    # A first start also carries every item drawn, as the items request gives them.
    assert reply.pop("items") == client.get(f"/api/sesi/{exam.id}/butir").get_json()["items"]
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
    assert len(started.pop("items")) == 6
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


def resumed_kinds(db_session, exam_id: int) -> list[str]:
    db_session.expire_all()
    query = select(IntegrityEvent.kind).where(IntegrityEvent.session_id == exam_id).order_by(IntegrityEvent.id)
    return list(db_session.scalars(query))


def test_the_common_resume_does_not_load_the_session_and_says_what_the_status_says(client, exam_factory, db_session):
    """A reload on the device that holds the running session: one UPDATE marks it seen (no SELECT of
    the session row first), the resume is chained, the reply is the status."""
    candidate, exam = exam_factory()
    login(client, candidate.email)
    player = Player(client, exam.id)
    assert player.start().status_code == 200
    with statements(db_session) as sent:
        resumed = player.start()
    assert resumed.status_code == 200
    assert not [sql for sql in sent if sql.startswith("SELECT exam_session.id")], sent  # no ORM load
    same_state(resumed.get_json(), client.get(f"/api/sesi/{exam.id}/status").get_json())
    assert resumed_kinds(db_session, exam.id) == ["session_started", "session_resumed"]
    assert db_session.get(ExamSession, exam.id).last_seen_at is not None


def test_a_resume_past_the_deadline_and_grace_ends_the_session_instead(client, exam_factory, db_session):
    candidate, exam = exam_factory()
    login(client, candidate.email)
    player = Player(client, exam.id)
    assert player.start().status_code == 200
    past = utcnow() - timedelta(minutes=5)
    db_session.execute(update(ExamSession).where(ExamSession.id == exam.id).values(deadline_at=past))
    db_session.commit()
    refused = player.start()
    assert refused.status_code == 409 and refused.get_json()["code"] == "session_ended"
    db_session.expire_all()
    assert db_session.get(ExamSession, exam.id).status == "expired"
    assert "session_resumed" not in resumed_kinds(db_session, exam.id)


def test_a_paused_session_resumes_with_its_clock_standing(client, exam_factory, db_session):
    candidate, exam = exam_factory()
    login(client, candidate.email)
    player = Player(client, exam.id)
    assert player.start().status_code == 200
    past = utcnow() - timedelta(minutes=5)  # paused before its deadline passed: the clock stands
    db_session.execute(
        update(ExamSession)
        .where(ExamSession.id == exam.id)
        .values(paused_at=past - timedelta(minutes=1), deadline_at=past)
    )
    db_session.commit()
    reply = player.start().get_json()
    assert reply["status"] == "in_progress" and reply["paused"] is True and reply["remaining_seconds"] == 60
    assert resumed_kinds(db_session, exam.id)[-1] == "session_resumed"
