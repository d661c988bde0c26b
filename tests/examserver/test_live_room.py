"""The proctor's live room and the committee's schedule page on rooms of many candidates: every row
shows its real progress, the five-second refresh sends only the rows that changed since the token
of its previous answer, and neither page nor refresh sends more statements for more candidates."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from examserver.delivery import services as delivery
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.proctor import live
from itembank.database import utcnow
from proctoring import services as proctoring
from proctoring.models import ScheduleProctor
from tests.conftest import csrf_token, login, statements

DEVICE = "perangkat-uji-0001"


@pytest.fixture
def hall(app, db_session, exam_factory, make_user):
    """A schedule of the six-item blueprint with its proctor signed in; ``hall.grow(n)`` seats and
    starts candidates until the room holds ``n``, the k-th of them (from 0) with ``k % 4`` answers,
    a focus loss of three seconds and a copy."""
    _, first = exam_factory()
    schedule_id = first.schedule_id
    proctor = make_user("proctor")
    db_session.add(ScheduleProctor(schedule_id=schedule_id, proctor_id=proctor.id))
    db_session.commit()
    client = app.test_client()
    login(client, proctor.email)
    seated = [first.id]  # ids: the objects of one request's session are gone by the next

    def grow(n: int) -> None:
        schedule = db_session.get(ExamSchedule, schedule_id)
        while len(seated) < n:
            seated.append(delivery.enrol(db_session, schedule, make_user("candidate").id).id)
        for k, exam_id in enumerate(seated):
            exam = db_session.get(ExamSession, exam_id)
            if exam.status != "scheduled":
                continue
            now = utcnow()
            delivery.start(db_session, exam, delivery.StartRequest(client_id=DEVICE), now=now)
            saves = [delivery.Save(position, 1, "1") for position in range(1, k % 4 + 1)]
            if saves:
                delivery.save_answers(db_session, exam, DEVICE, saves, now=now)
            events = [{"kind": "focus_lost", "duration_ms": 3000}, {"kind": "copy"}]
            proctoring.record_browser_events(db_session, exam.id, events, now=now)
        db_session.commit()

    return SimpleNamespace(schedule_id=schedule_id, client=client, seated=seated, grow=grow)


def room_url(hall, token: str | None = None) -> str:
    url = f"/pengawas/jadwal/{hall.schedule_id}/langsung.json"
    return url if token is None else f"{url}?sejak={token}"


def answered_and_shown(db_session, exam_id: int) -> tuple[int, int]:
    """Written out from the ORM objects: items with a response that is not cleared, items shown."""
    db_session.expire_all()
    exam = db_session.get(ExamSession, exam_id)
    return sum(si.answer is not None and si.answer.response is not None for si in exam.items), len(exam.items)


def act(hall, exam_id: int, action: str):
    token = csrf_token(hall.client, f"/pengawas/sesi/{exam_id}")
    data = {"csrf_token": token, "action": action, "category": "examinee.misconduct", "comment": ""}
    return hall.client.post(f"/pengawas/sesi/{exam_id}/tindakan", data=data)


def test_every_row_shows_answered_of_shown_with_numbers(db_session, hall):
    """The first render and the refresh show each candidate's answered/shown, e.g. "3/6" (the page
    once showed "0/<built-in method items of dict object>": the template read the dict's method)."""
    hall.grow(4)
    page = hall.client.get(f"/pengawas/jadwal/{hall.schedule_id}").get_data(as_text=True)
    assert "built-in method" not in page and "<bound method" not in page
    rows = {row["id"]: row for row in hall.client.get(room_url(hall)).get_json()["rows"]}
    assert len(rows) == 4
    for k, exam_id in enumerate(hall.seated):
        answered, shown = answered_and_shown(db_session, exam_id)
        assert (answered, shown) == (k % 4, 6)
        cell = re.search(rf'<tr data-session="{exam_id}".*?data-field="answered">([^<]*)<', page, re.S)
        assert cell is not None and cell.group(1) == f"{answered}/{shown}"
        row = rows[exam_id]
        assert (row["answered"], row["items"]) == (answered, shown)
        assert (row["focus_losses"], row["seconds_away"], row["clipboard"]) == (1, 3, 1)


def test_a_refresh_with_the_token_sends_only_the_rows_that_changed(db_session, hall, monkeypatch):
    """With no overlap, a refresh sends exactly the rows written to after the previous read: none,
    then the one that saved an answer, then the one the proctor paused, each with its numbers."""
    monkeypatch.setattr(live, "OVERLAP", timedelta(0))
    hall.grow(3)
    first = hall.client.get(room_url(hall)).get_json()
    assert first["full"] is True and len(first["rows"]) == 3 and first["token"]
    quiet = hall.client.get(room_url(hall, first["token"])).get_json()
    assert (quiet["full"], quiet["rows"]) == (False, []) and quiet["token"] != first["token"]

    saver, paused = hall.seated[1], hall.seated[2]
    exam = db_session.get(ExamSession, saver)
    delivery.save_answers(db_session, exam, DEVICE, [delivery.Save(5, 1, "2")], now=utcnow())
    db_session.commit()
    changed = hall.client.get(room_url(hall, quiet["token"])).get_json()
    assert [row["id"] for row in changed["rows"]] == [saver]
    assert (changed["rows"][0]["answered"], changed["rows"][0]["items"]) == answered_and_shown(db_session, saver)
    assert (changed["rows"][0]["answered"], changed["rows"][0]["focus_losses"]) == (2, 1)

    assert act(hall, paused, "pause").status_code == 303
    after = hall.client.get(room_url(hall, changed["token"])).get_json()
    assert [(row["id"], row["paused"]) for row in after["rows"]] == [(paused, True)]
    assert hall.client.get(room_url(hall, after["token"])).get_json()["rows"] == []


def test_a_write_just_before_the_previous_read_is_sent_again(hall):
    """A write stamped before a read may commit after it: the next refresh still looks
    ``OVERLAP`` back, so rows written moments before the previous read come again."""
    hall.grow(2)
    first = hall.client.get(room_url(hall)).get_json()
    again = hall.client.get(room_url(hall, first["token"])).get_json()
    assert again["full"] is False and {row["id"] for row in again["rows"]} == set(hall.seated)


def test_a_session_past_its_deadline_is_expired_and_sent(db_session, hall, monkeypatch):
    monkeypatch.setattr(live, "OVERLAP", timedelta(0))
    hall.grow(2)
    token = hall.client.get(room_url(hall)).get_json()["token"]
    late = hall.seated[0]
    db_session.execute(
        update(ExamSession).where(ExamSession.id == late).values(deadline_at=utcnow() - timedelta(hours=1))
    )
    db_session.commit()
    rows = hall.client.get(room_url(hall, token)).get_json()["rows"]
    assert [(row["id"], row["status"], row["remaining_minutes"]) for row in rows] == [(late, "expired", None)]
    db_session.expire_all()
    assert db_session.get(ExamSession, late).status == "expired"


@pytest.mark.parametrize(
    "token",
    ["", "bukan-token", "1.2.3", "99999999999999.99999999999999", "-5.-5"],
)
def test_a_missing_or_malformed_token_gets_every_row(hall, token):
    hall.grow(2)
    data = hall.client.get(room_url(hall, token)).get_json()
    assert data["full"] is True and len(data["rows"]) == 2


def test_a_token_whose_full_refresh_is_a_minute_old_gets_every_row(hall):
    hall.grow(2)
    now = utcnow()
    stale = live.RefreshToken(full_at=now - live.FULL_EVERY - timedelta(seconds=1), read_at=now)
    fresh = live.RefreshToken(full_at=now - timedelta(seconds=10), read_at=now - timedelta(seconds=5))
    assert hall.client.get(room_url(hall, stale.encode())).get_json()["full"] is True
    assert hall.client.get(room_url(hall, fresh.encode())).get_json()["full"] is False
    assert live.RefreshToken.parse(fresh.encode(), now) is not None
    assert live.RefreshToken.parse(stale.encode(), now) is None


def test_the_room_and_its_refresh_cost_the_same_statements_for_three_or_twelve_candidates(db_session, hall):
    """Page, full refresh and partial refresh (every row changed, so every row is read) send a
    fixed number of statements, not one more per candidate."""

    def cost() -> tuple[int, int, int]:
        with statements(db_session) as page:
            assert hall.client.get(f"/pengawas/jadwal/{hall.schedule_id}").status_code == 200
        with statements(db_session) as full:
            token = hall.client.get(room_url(hall)).get_json()["token"]
        with statements(db_session) as partial:
            data = hall.client.get(room_url(hall, token)).get_json()
        assert data["full"] is False and len(data["rows"]) == len(hall.seated)
        return len(page), len(full), len(partial)

    hall.grow(3)
    hall.client.get(room_url(hall))  # the sign-in is looked up once, then remembered (identity_cache)
    small = cost()
    hall.grow(12)
    assert cost() == small
    # the test's savepoint and its release (2), the sign-in (2), the schedule and the proctor's
    # assignment (2), then the rows: sessions with their names, grouped events, grouped progress (3)
    assert max(small) <= 9, small


def test_the_schedule_page_shows_progress_and_costs_the_same_for_three_or_twelve(db_session, hall, make_user):
    """The committee's schedule page reads sessions, results and progress in bulk (it loaded each
    session's items and each item's answer, about 110 statements per candidate on the national form)."""
    committee = hall.client.application.test_client()
    login(committee, make_user("committee").email)
    url = f"/ujian/jadwal/{hall.schedule_id}"

    def cost() -> tuple[int, str]:
        with statements(db_session) as sent:
            response = committee.get(url)
        assert response.status_code == 200
        return len(sent), response.get_data(as_text=True)

    hall.grow(3)
    committee.get(url)  # the sign-in is looked up once, then remembered (identity_cache)
    small, _ = cost()
    hall.grow(12)
    large, page = cost()
    assert large == small, (small, large)
    cells = re.findall(r'<td class="num">(\d+) / (\d+)</td>', page)
    assert len(cells) == 12
    expected = [answered_and_shown(db_session, exam_id) for exam_id in hall.seated]
    assert [(int(a), int(s)) for a, s in cells] == expected
