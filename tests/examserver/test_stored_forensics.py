"""Issue 19, fast staff pages: the forensic statistics of a closed sitting are computed once, stored,
and read by the review queue, the timelines and the export (``examserver/proctor/stored_forensics.py``).

Walked on copies of the demo, whose finished sitting UJICOBA-2026-10 holds sixty answer sheets with
a planted copier (kandidat3 copies kandidat7).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from examserver.accounts.models import User
from examserver.delivery import sweeper
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.demo.finished import CODE, COPIER
from examserver.extensions import db
from examserver.proctor import stored_forensics
from examserver.proctor.forensic_inputs import schedule_forensics
from itembank import calibration
from itembank.database import utcnow
from itembank.models import CalibrationRun
from itembank.services import Actor
from proctoring.models import SittingForensics
from tests.conftest import csrf_token, demo_client

#: At most this many statements for the finished sitting's review queue of sixty candidates.
QUEUE_STATEMENTS = 16


@pytest.fixture(scope="module")
def demo(own_demo):
    """A demo of this module's own: it stores statistics, decides and publishes."""
    return own_demo("stored-forensics")


@pytest.fixture(scope="module")
def sitting(demo) -> dict:
    with demo.app_context():
        schedule = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == CODE))
        copier = db.session.scalar(
            select(ExamSession)
            .join(User, User.id == ExamSession.candidate_id)
            .where(User.email == COPIER, ExamSession.schedule_id == schedule.id)
        )
        return {"id": schedule.id, "copier": copier.id, "copier_number": copier.registration_number}


@pytest.fixture(scope="module")
def proctor(demo):
    return demo_client(demo, "pengawas@demo.id")


@pytest.fixture
def stored(demo, sitting) -> None:
    """The sitting's statistics stored and fresh, whatever ran before."""
    with demo.app_context():
        stored_forensics.sitting_forensics(db.session, db.session.get(ExamSchedule, sitting["id"]))
        db.session.commit()


@pytest.fixture
def computations(monkeypatch) -> list[int]:
    """Every computation of a sitting's statistics (the schedule ids), counted as it happens."""
    calls: list[int] = []

    def counted(session, schedule):
        calls.append(schedule.id)
        return schedule_forensics(session, schedule)

    monkeypatch.setattr(stored_forensics, "schedule_forensics", counted)
    return calls


@pytest.fixture
def no_computation(monkeypatch) -> None:
    """Any computation of a sitting's statistics fails the test."""

    def refuse(session, schedule):
        raise AssertionError(f"the statistics of schedule {schedule.id} were computed again")

    monkeypatch.setattr(stored_forensics, "schedule_forensics", refuse)


def stored_row(app, schedule_id: int) -> SittingForensics | None:
    with app.app_context():
        row = db.session.get(SittingForensics, schedule_id)
        if row is not None:
            db.session.expunge(row)
        return row


def queue_order(page: str) -> list[str]:
    """The registration numbers of the review queue, in its order."""
    return re.findall(r'/pengawas/sesi/\d+"[^>]*>([^<]+)</a>', page)


def test_the_stored_statistics_equal_a_fresh_computation(demo, sitting):
    with demo.app_context():
        schedule = db.session.get(ExamSchedule, sitting["id"])
        returned = stored_forensics.sitting_forensics(db.session, schedule)
        db.session.commit()
        row = db.session.get(SittingForensics, schedule.id)
        stored = stored_forensics.decode(row.statistics)
        fresh = schedule_forensics(db.session, schedule)
        assert row.ended_sessions == 60
    assert stored == fresh == returned
    assert len(fresh) == 60 and fresh[sitting["copier"]]["copying"][0] < 1e-6  # the planted copier
    assert isinstance(stored[sitting["copier"]]["copying"], tuple)  # as computed, not as JSON holds it


def test_the_review_pages_read_the_stored_statistics_without_computing_them(
    demo, sitting, proctor, stored, no_computation
):
    sent: list[str] = []
    with demo.app_context():
        engine = db.engine
    listener = lambda *args: sent.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        queue = proctor.get(f"/pengawas/jadwal/{sitting['id']}/telaah")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert queue.status_code == 200
    page = queue.get_data(as_text=True)
    assert queue_order(page)[0] == sitting["copier_number"]  # the planted copier still heads it
    assert len(sent) <= QUEUE_STATEMENTS, len(sent)
    timeline = proctor.get(f"/pengawas/sesi/{sitting['copier']}").get_data(as_text=True)
    assert "Dugaan menyalin jawaban" in timeline
    export = proctor.get(f"/pengawas/jadwal/{sitting['id']}/pelanggaran.csv").get_data().decode("utf-8-sig")
    assert sitting["copier_number"] in export


def test_a_decision_is_shown_beside_the_stored_statistics_without_computing_them(
    demo, sitting, proctor, stored, no_computation
):
    """Decisions are read live beside the statistics, never through them: the stored row holds
    and cannot contradict one."""
    copier = sitting["copier"]
    token = csrf_token(proctor, f"/pengawas/sesi/{copier}")
    response = proctor.post(
        f"/pengawas/sesi/{copier}/keputusan",
        data={
            "csrf_token": token,
            "decision": "cleared",
            "category": "examinee.collusion",
            "reason": "Ditelaah ulang: kemiripan jawaban dapat dijelaskan.",
        },
    )
    assert response.status_code == 303
    page = proctor.get(f"/pengawas/jadwal/{sitting['id']}/telaah").get_data(as_text=True)
    # A session's rows: its row and the row of its flags under it.
    row = next(r for r in re.findall(r"<tbody>.*?</tbody>", page, flags=re.S) if sitting["copier_number"] in r)
    assert "bersih" in row  # the decision just made, beside the stored evidence
    assert "jauh melampaui kebetulan" in row


def test_a_row_computed_before_a_session_ended_is_computed_again(demo, sitting, proctor, stored, computations):
    """A row that counted fewer ended sessions than the sitting has now (read while a session was
    still running) is stale: the next reading computes and stores it again."""
    with demo.app_context():
        db.session.get(SittingForensics, sitting["id"]).ended_sessions = 59
        db.session.commit()
    assert proctor.get(f"/pengawas/jadwal/{sitting['id']}/telaah").status_code == 200
    assert computations == [sitting["id"]]
    assert stored_row(demo, sitting["id"]).ended_sessions == 60
    assert proctor.get(f"/pengawas/jadwal/{sitting['id']}/telaah").status_code == 200
    assert computations == [sitting["id"]]  # stored again: the next reading does not compute


def test_the_sweeper_stores_the_statistics_of_closed_sittings_only(demo, sitting, stored, computations):
    """The expiry sweeper stores the statistics of a sitting that has closed (UJICOBA-2026-10), not
    of sittings still open (the demo's others), and once only."""
    with demo.app_context():
        db.session.delete(db.session.get(SittingForensics, sitting["id"]))
        db.session.commit()
    assert sweeper.sweep_once(demo) == 0  # no session was overdue
    assert computations == [sitting["id"]]
    with demo.app_context():
        assert db.session.scalars(select(SittingForensics.schedule_id)).all() == [sitting["id"]]
        assert stored_forensics.store_closed_sittings(db.session, now=utcnow()) == 0
    assert computations == [sitting["id"]]


def test_publishing_parameters_refreshes_the_stored_statistics(demo, sitting, proctor, stored, computations):
    """Publishing a calibration run makes every stored row stale: the sweeper (or the next reading)
    computes it again, and the review queue keeps its order (the sitting's parameters are the ones
    it was scored with)."""
    before = stored_row(demo, sitting["id"])
    order = queue_order(proctor.get(f"/pengawas/jadwal/{sitting['id']}/telaah").get_data(as_text=True))
    assert computations == []
    with demo.app_context():
        run = db.session.scalar(select(CalibrationRun).where(CalibrationRun.status == "draft"))
        reviewer, admin = (
            db.session.scalar(select(User).where(User.email == email))
            for email in ("reviewer@demo.id", "admin@demo.id")
        )
        blocked = [row.id for row in run.parameters if calibration.row_guards(run, row)]
        calibration.exclude_items(db.session, Actor(reviewer.id, reviewer.role), run, blocked, reason="SE tak wajar")
        calibration.publish_run(db.session, Actor(admin.id, admin.role), run, note="uji")
        db.session.commit()
        assert stored_forensics.store_closed_sittings(db.session, now=utcnow()) == 1
        db.session.commit()
        row = db.session.get(SittingForensics, sitting["id"])
        assert row.parameters_basis != before.parameters_basis
        assert stored_forensics.decode(row.statistics) == schedule_forensics(
            db.session, db.session.get(ExamSchedule, sitting["id"])
        )
    assert computations == [sitting["id"]]
    page = proctor.get(f"/pengawas/jadwal/{sitting['id']}/telaah").get_data(as_text=True)
    assert computations == [sitting["id"]]  # the page read what the sweeper stored
    assert queue_order(page) == order
