"""Holes in exam delivery (issue 20): items read from a second browser, adaptive answers changed
after the engine used them, and start PINs guessed by brute force."""

from __future__ import annotations

import re
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import func, select

from examserver.accounts.passwords import verify_password
from examserver.delivery import api_views
from examserver.delivery.models import Answer, ExamSchedule, ExamSession, SessionItem
from examserver.delivery.services import PIN_LOCK_MINUTES, PIN_MAX_FAILURES, enrol, new_start_pin
from itembank.database import utcnow
from proctoring.models import IntegrityEvent
from tests.examserver.player_client import DEVICE, Player
from tests.examserver.test_adaptive_delivery import adaptive_blueprint, schedule  # noqa: F401 (a fixture)
from tests.security.conftest import signed_in, token_of

PIN = "246813"


def events_of(db_session, exam_id: int, kind: str) -> list[IntegrityEvent]:
    db_session.expire_all()
    return list(
        db_session.scalars(
            select(IntegrityEvent).where(IntegrityEvent.session_id == exam_id, IntegrityEvent.kind == kind)
        )
    )


# ------------------------------------------------------------------ items bound to the device


def test_items_go_only_to_the_device_holding_the_exam(app, db_session, exam_factory):
    """The same candidate signed in on a second browser gets no item text, and the proctor sees it."""
    candidate, exam = exam_factory()
    player = Player(signed_in(app, candidate), exam.id)
    assert player.start().status_code == 200
    stems = [si.version.stem for si in db_session.get(ExamSession, exam.id).items]
    assert player.client.get(f"/api/sesi/{exam.id}/butir").status_code == 200  # the holder still reads

    second = signed_in(app, candidate)  # another browser: its own device cookie
    second.get(f"/ujian/{exam.id}")  # the page gives it a device id of its own
    forged = signed_in(app, candidate)
    forged.set_cookie("ujian_perangkat", "perangkat-penyerang-0001")
    reads = [
        (second, "butir", {}),
        (second, "butir/1", {}),
        (second, "butir/2", {}),
        (forged, "butir", {}),
        (forged, "butir/1", {"X-Client-Id": "perangkat-penyerang-0001"}),
    ]
    for client, path, headers in reads:
        response = client.get(f"/api/sesi/{exam.id}/{path}", headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 409, (path, response.status_code)
        assert response.get_json()["code"] == "other_device"
        assert not any(stem in body for stem in stems), path
        assert "options" not in body and "stem" not in body
    logged = events_of(db_session, exam.id, "items_other_device")
    assert len(logged) == len(reads)
    assert {event.details["path"] for event in logged} == {f"/api/sesi/{exam.id}/butir", f"/api/sesi/{exam.id}/butir/1",
                                                          f"/api/sesi/{exam.id}/butir/2"}  # fmt: skip
    # The header names the holder: an API client that is the holder reads with it.
    assert forged.get(f"/api/sesi/{exam.id}/butir/1", headers={"X-Client-Id": DEVICE}).status_code == 200


def test_item_images_go_only_to_the_device_holding_the_exam(app, db_session, exam_factory, make_user):
    from itembank.models import ItemAsset, ItemVersionAsset

    candidate, exam = exam_factory()
    player = Player(signed_in(app, candidate), exam.id)
    assert player.start().status_code == 200
    version_id = db_session.get(ExamSession, exam.id).items[0].version_id
    asset = ItemAsset(
        sha256="a" * 64, content_type="image/png", size=8, width=1, height=1, data=b"\x89PNG\r\n\x1a\n",
        uploaded_by_id=make_user("admin").id,
    )  # fmt: skip
    db_session.add(asset)
    db_session.flush()
    db_session.add(ItemVersionAsset(version_id=version_id, asset_id=asset.id))
    db_session.commit()
    url = f"/api/sesi/{exam.id}/aset/{asset.id}"
    assert player.client.get(url).status_code == 200
    refused = signed_in(app, candidate).get(url)
    assert refused.status_code == 409 and refused.get_json()["code"] == "other_device"
    assert b"PNG" not in refused.get_data()
    assert len(events_of(db_session, exam.id, "items_other_device")) == 1


# ------------------------------------------------------------------ adaptive saves only forward


def test_an_adaptive_answer_cannot_change_once_the_next_item_is_chosen(
    client,
    db_session,
    make_user,
    adaptive_blueprint,  # noqa: F811
):
    admin, blueprint = adaptive_blueprint
    sitting = schedule(db_session, admin, blueprint)
    candidate = make_user("candidate")
    exam = enrol(db_session, sitting, candidate.id)
    db_session.commit()
    from tests.conftest import login

    login(client, candidate.email)
    player = Player(client, exam.id)
    assert player.start().status_code == 200
    for position in range(1, 5):
        assert player.save({"position": position, "seq": position, "response": "1"}).status_code == 200
        if position < 4:
            assert player.item(position + 1).status_code == 200  # the engine chooses the next one
    before = {a.session_item.position: (a.response, a.client_seq, a.change_count) for a in answers(db_session, exam)}

    refused = player.save({"position": 1, "seq": 10, "response": "2"})
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "adaptive_locked"
    assert "soal nomor 1 tidak dapat diubah" in refused.get_json()["message"]
    # All or none: a batch with a locked position changes nothing, not even the open one.
    batch = player.save({"position": 4, "seq": 11, "response": "2"}, {"position": 3, "seq": 12, "response": "2"})
    assert batch.status_code == 409 and batch.get_json()["code"] == "adaptive_locked"
    after = {a.session_item.position: (a.response, a.client_seq, a.change_count) for a in answers(db_session, exam)}
    assert after == before
    # The last shown item is still open, and a replay of an old save is acknowledged as before.
    assert player.save({"position": 4, "seq": 13, "response": "2"}).get_json()["saved"][0]["applied"] is True
    replay = player.save({"position": 2, "seq": 2, "response": "1"})
    assert replay.status_code == 200 and replay.get_json()["saved"][0]["applied"] is False


def answers(db_session, exam) -> list[Answer]:
    db_session.expire_all()
    return list(db_session.scalars(select(Answer).join(SessionItem).where(SessionItem.session_id == exam.id)))


def test_the_player_drops_an_adaptive_locked_save_instead_of_retrying_it():
    """The player treats 409 adaptive_locked as a save to drop (like a refused response), so one
    refused save cannot hold back every save queued behind it."""
    from pathlib import Path

    script = (Path(api_views.__file__).parents[1] / "static" / "js" / "player" / "sync.js").read_text()
    drop = re.search(r"export const DROP = \[([^\]]*)\]", script).group(1)
    assert "'adaptive_locked'" in drop
    assert "(res.status === 400 || res.status === 409) && DROP.indexOf(res.data.code) >= 0" in script


# ------------------------------------------------------------------------ start PIN guessing


def pin_exam(exam_factory, pin: str = PIN):
    return exam_factory(start_pin_hash=PasswordHasher(time_cost=1, memory_cost=1024).hash(pin))


def test_wrong_pins_lock_the_start_for_a_while_even_with_the_right_pin(app, db_session, exam_factory, monkeypatch):
    candidate, exam = pin_exam(exam_factory)
    player = Player(signed_in(app, candidate), exam.id)
    moment = utcnow()
    monkeypatch.setattr(api_views, "now", lambda: moment)
    for attempt in range(1, PIN_MAX_FAILURES):
        wrong = player.start(pin=f"{attempt:06d}")
        assert wrong.status_code == 403 and wrong.get_json()["code"] == "pin_wrong"
    db_session.expire_all()
    assert db_session.get(ExamSession, exam.id).pin_failures == PIN_MAX_FAILURES - 1  # in the database
    # Another worker (another client, nothing shared but the database) sees the same count.
    other = Player(signed_in(app, candidate), exam.id)
    assert other.start(pin="999999").status_code == 403  # the fifth wrong one
    locked = player.start(pin=PIN)
    assert locked.status_code == 429
    body = locked.get_json()
    assert body["code"] == "pin_locked" and f"{PIN_LOCK_MINUTES} menit" in body["message"]
    assert db_session.get(ExamSession, exam.id).status == "scheduled"
    logged = events_of(db_session, exam.id, "pin_locked")
    assert len(logged) == 1 and logged[0].details["failures"] == PIN_MAX_FAILURES
    assert db_session.get(ExamSession, exam.id).pin_failures == 0  # the next lock takes five more
    monkeypatch.setattr(api_views, "now", lambda: moment + timedelta(minutes=PIN_LOCK_MINUTES - 1))
    assert player.start(pin=PIN).status_code == 429
    monkeypatch.setattr(api_views, "now", lambda: moment + timedelta(minutes=PIN_LOCK_MINUTES, seconds=1))
    assert player.start(pin=PIN).status_code == 200


def test_the_lock_event_reaches_the_proctors_room(app, db_session, exam_factory, make_user):
    from proctoring.models import ScheduleProctor

    candidate, exam = pin_exam(exam_factory)
    proctor = make_user("proctor")
    db_session.add(ScheduleProctor(schedule_id=exam.schedule_id, proctor_id=proctor.id))
    db_session.commit()
    player = Player(signed_in(app, candidate), exam.id)
    for attempt in range(PIN_MAX_FAILURES):
        player.start(pin=f"{attempt:06d}")
    watcher = signed_in(app, proctor)
    room = watcher.get(f"/pengawas/jadwal/{exam.schedule_id}/langsung.json").get_json()
    assert [row["last_event"] for row in room["rows"] if row["id"] == exam.id] == ["pin_locked"]
    timeline = watcher.get(f"/pengawas/sesi/{exam.id}").get_data(as_text=True)
    assert "PIN mulai salah berulang kali: mulai dikunci sementara" in timeline


def test_start_pins_are_six_digits_drawn_by_the_server(app, db_session, exam_factory, make_user):
    pins = {new_start_pin() for _ in range(200)}
    assert all(re.fullmatch(r"\d{6}", pin) for pin in pins) and len(pins) > 150
    _, exam = exam_factory()  # makes a random-form blueprint to schedule
    blueprint_id = db_session.get(ExamSchedule, exam.schedule_id).blueprint_id
    member = signed_in(app, make_user("committee"))
    token = token_of(member, "/ujian/jadwal/baru")
    response = member.post(
        "/ujian/jadwal/baru",
        data={
            "csrf_token": token, "code": "PINUJI", "title": "Ujian ber-PIN", "blueprint": blueprint_id,
            "opens_at": "2026-12-01T08:00", "closes_at": "2026-12-01T12:00", "location": "Daring",
            "uses_pin": "y", "pin": "1234", "grace_seconds": 30,
        },
        follow_redirects=True,
    )  # fmt: skip
    shown = re.search(r"PIN mulai: (\d+)", response.get_data(as_text=True))
    assert shown and len(shown.group(1)) == 6 and shown.group(1) != "1234"  # a typed PIN is ignored
    stored = db_session.scalar(select(ExamSchedule).where(ExamSchedule.code == "PINUJI"))
    with app.app_context():
        assert verify_password(stored.start_pin_hash, shown.group(1))
    assert shown.group(1) not in stored.start_pin_hash
    again = member.post(
        "/ujian/jadwal/baru",
        data={
            "csrf_token": token, "code": "pinuji", "title": "Kode yang sama", "blueprint": blueprint_id,
            "opens_at": "2026-12-01T08:00", "closes_at": "2026-12-01T12:00", "location": "Daring",
            "grace_seconds": 30,
        },
    )  # fmt: skip
    assert again.status_code == 422 and "Kode jadwal sudah dipakai." in again.get_data(as_text=True)
    assert 'value="Kode yang sama"' in again.get_data(as_text=True)  # shown again with what was typed
    assert db_session.scalar(select(func.count(ExamSchedule.id)).where(ExamSchedule.code == "PINUJI")) == 1
