"""Which stored sessions a browser may forget (issue 20): ``GET /api/sesi/berakhir`` tells
static/js/cleanup.js which of the session ids it found in this browser are over. It keeps only the
signed-in candidate's own unended sessions (and, with nobody signed in, a running session this
very browser holds); every other id, whoever's it is and whatever its state, answers the same."""

from __future__ import annotations

from examserver.delivery.models import ExamSession
from examserver.delivery.services import enrol
from examserver.delivery.views import DEVICE_COOKIE
from tests.examserver.player_client import DEVICE, Player
from tests.security.conftest import signed_in

URL = "/api/sesi/berakhir"
OTHER_DEVICE = "perangkat-lain-0002"


def ended(client, *ids) -> list[int]:
    response = client.get(URL, query_string=[("id", str(i)) for i in ids])
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    return response.get_json()["ended"]


def sessions(app, db_session, exam_factory):
    """A's running session, A's ended one, B's running one and B's ended one (ids)."""
    a, a_done = exam_factory()
    b, b_running = exam_factory()
    _, b_done = exam_factory()
    b_done = enrol(db_session, b_done.schedule, b.id)
    a_running = enrol(db_session, b_running.schedule, a.id)
    db_session.commit()
    plan = ((a, a_done, DEVICE), (a, a_running, DEVICE), (b, b_running, OTHER_DEVICE), (b, b_done, OTHER_DEVICE))
    for user, exam, device in plan:
        player = Player(signed_in(app, user), exam.id, device)
        assert player.start().status_code == 200
        assert player.save({"position": 1, "seq": 1, "response": "1"}).status_code == 200
        if exam in (a_done, b_done):
            assert player.submit().status_code == 200
    db_session.expire_all()
    assert [db_session.get(ExamSession, e.id).status for e in (a_running, a_done, b_running, b_done)] == [
        "in_progress", "submitted", "in_progress", "submitted"
    ]  # fmt: skip
    return a, b, a_running.id, a_done.id, b_running.id, b_done.id


def test_only_the_signed_in_candidates_unended_sessions_are_kept(app, db_session, exam_factory, make_user):
    a, b, a_running, a_done, b_running, b_done = sessions(app, db_session, exam_factory)
    missing = b_done + 1000
    as_a = signed_in(app, a)
    assert ended(as_a, a_running, a_done, b_running, b_done, missing) == [a_done, b_running, b_done, missing]
    # B's running session answers exactly like an id that names nothing: nothing leaks about B.
    for other in (b_running, b_done, missing):
        assert ended(as_a, other) == [other]
    as_b = signed_in(app, b)
    assert ended(as_b, a_running, a_done, b_running, b_done) == [a_running, a_done, b_done]
    # A proctor's or an admin's sign-in on a shared computer keeps no candidate's copy.
    for role in ("proctor", "admin"):
        assert ended(signed_in(app, make_user(role)), a_running, b_running) == [a_running, b_running]


def test_with_nobody_signed_in_everything_is_over(app, db_session, exam_factory):
    a, b, a_running, a_done, b_running, b_done = sessions(app, db_session, exam_factory)
    anonymous = app.test_client()
    assert ended(anonymous, a_running, a_done, b_running, b_done) == [a_running, a_done, b_running, b_done]
    # A browser that never held a session learns nothing either, even with a device cookie.
    stranger = app.test_client()
    stranger.set_cookie(DEVICE_COOKIE, "perangkat-asing-0003")
    assert ended(stranger, a_running, b_running) == [a_running, b_running]


def test_the_browser_holding_a_running_session_keeps_it_while_signed_out(app, db_session, exam_factory):
    """A sign-in that timed out mid-exam (30 minutes idle, an outage) must not cost the unsent
    answers on the sign-in page: the device cookie of the browser holding the running session keeps
    it; the same session seen from another browser, or ended, is over."""
    a, b, a_running, a_done, b_running, b_done = sessions(app, db_session, exam_factory)
    holder = app.test_client()
    holder.set_cookie(DEVICE_COOKIE, DEVICE)
    assert ended(holder, a_running, a_done, b_running, b_done) == [a_done, b_running, b_done]
    other = app.test_client()
    other.set_cookie(DEVICE_COOKIE, "perangkat-asing-0003")
    assert ended(other, a_running) == [a_running]


def test_malformed_and_too_many_ids_are_ignored(app, db_session, exam_factory):
    a, b, a_running, a_done, b_running, b_done = sessions(app, db_session, exam_factory)
    as_a = signed_in(app, a)
    assert ended(as_a, "x", "-1", "1.5", "²", "9" * 40, a_done) == [a_done]
    many = list(range(10_000, 10_300))
    assert ended(as_a, *many) == many[:100]
    assert ended(as_a) == []


def test_ids_past_the_database_integer_are_over_however_often_asked(app, db_session, exam_factory):
    """Found by the API fuzz on PostgreSQL: psycopg prepares the lookup after its fifth run, typed
    for the integer column, and an id past 2**31 - 1 then overflowed it (a 400 for the player)."""
    a, b, a_running, a_done, b_running, b_done = sessions(app, db_session, exam_factory)
    as_a = signed_in(app, a)
    for _ in range(8):
        assert ended(as_a, a_running, 8_000_000_000, 2**31, a_done) == [8_000_000_000, 2**31, a_done]
