"""Issue 14's calibration acceptance, walked on a freshly seeded demo through the real routes.

The demo's draft run recalibrates the sixty answer sheets of UJICOBA-2026-10: its standard errors
are implausible (the information matrix is singular), so admin@demo.id cannot publish it until the
flagged items are excluded with a reason. The review queue of that sitting reads the parameters
the sitting was scored with, so publishing (even a run that changes every item) leaves its order
and p-values as they were; it keeps the planted copier (kandidat3) first and names it the copier
of kandidat7 from the answer order.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from examserver.accounts.models import User
from examserver.delivery.models import ExamSchedule, ExamSession, SessionItem, SessionResult
from examserver.demo.finished import CODE, COPIER, SOURCE
from examserver.extensions import db
from examserver.proctor import forensic_inputs
from examserver.proctor.review import review_queue
from itembank.models import CalibrationRun, Item, ItemParameter
from tests.conftest import csrf_token, demo_client


@pytest.fixture(scope="module")
def fresh_demo(own_demo):
    """A demo of this module's own: it publishes calibration runs."""
    return own_demo("guards")


def queue_state(app) -> tuple[list[str], list[tuple[str, float | None]]]:
    """Emails in queue order, and each one's copying p-value (None when not flagged)."""
    with app.app_context():
        schedule = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == CODE))
        emails = dict(db.session.execute(select(User.id, User.email)).all())
        rows = review_queue(db.session, schedule)
        order = [emails[row.session.candidate_id] for row in rows]
        p_values = [
            (
                emails[row.session.candidate_id],
                next((f.facts["p_value"] for f in row.flags if f.code == "copying"), None),
            )
            for row in rows
        ]
        db.session.remove()
    return order, p_values


def numbers(app) -> dict[str, str]:
    with app.app_context():
        schedule_id = db.session.scalar(select(ExamSchedule.id).where(ExamSchedule.code == CODE))
        return dict(
            db.session.execute(
                select(User.email, ExamSession.registration_number)
                .join(ExamSession, ExamSession.candidate_id == User.id)
                .where(ExamSession.schedule_id == schedule_id)
            ).all()
        )


@pytest.fixture(scope="module")
def before(fresh_demo):
    """The queue as it stands before anything is published."""
    return queue_state(fresh_demo)


def test_the_draft_run_is_refused_until_its_implausible_items_are_excluded(fresh_demo, before):
    app = fresh_demo
    with app.app_context():
        run = db.session.scalar(select(CalibrationRun).where(CalibrationRun.status == "draft"))
        run_id, n_rows = run.id, len(run.parameters)
        current_before = {p.item_id: p.item.current_parameter.id for p in run.parameters}
        implausible = [p.item.code for p in run.parameters if p.se_b is not None and p.se_b > 1e6]
        assert implausible  # the demo's draft holds SEs in the millions
    admin = demo_client(app, "admin@demo.id")
    page = admin.get(f"/bank-soal/kalibrasi/{run_id}").get_data(as_text=True)
    assert "Kondisi matriks informasi" in page and "hampir singular" in page
    assert re.search(r"SE b = [0-9,]+E[67] melebihi 2", page)
    assert "Terbitkan parameter" not in page

    refused = admin.post(
        f"/bank-soal/kalibrasi/{run_id}/terbitkan",
        data={"note": "coba", "csrf_token": csrf_token(admin, f"/bank-soal/kalibrasi/{run_id}")},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"Belum dapat diterbitkan: {n_rows} butir punya estimasi yang tidak wajar" in refused
    with app.app_context():
        run = db.session.get(CalibrationRun, run_id)
        assert run.status == "draft" and not any(p.is_current for p in run.parameters)
        assert {p.item_id: p.item.current_parameter.id for p in run.parameters} == current_before

    reviewer = demo_client(app, "reviewer@demo.id")
    reviewer.post(
        f"/bank-soal/kalibrasi/{run_id}/keluarkan",
        data={
            "all_flagged": "1",
            "reason": "SE tidak wajar: 60 peserta tidak cukup untuk 3PL",
            "csrf_token": csrf_token(reviewer, f"/bank-soal/kalibrasi/{run_id}"),
        },
    )
    page = admin.get(f"/bank-soal/kalibrasi/{run_id}").get_data(as_text=True)
    assert page.count("SE tidak wajar: 60 peserta tidak cukup untuk 3PL") == n_rows
    confirm = admin.get(f"/bank-soal/kalibrasi/{run_id}/terbitkan").get_data(as_text=True)
    assert "0 butir mendapat parameter baru" in confirm and f"{n_rows} butir dikeluarkan" in confirm
    published = admin.post(
        f"/bank-soal/kalibrasi/{run_id}/terbitkan",
        data={"csrf_token": csrf_token(admin, f"/bank-soal/kalibrasi/{run_id}/terbitkan")},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Parameter baru berlaku untuk 0 butir" in published
    with app.app_context():
        run = db.session.get(CalibrationRun, run_id)
        assert run.status == "published"
        assert {p.item_id: p.item.current_parameter.id for p in run.parameters} == current_before
    assert queue_state(app) == before


def _changed_run(app) -> int:
    """A draft run (by the reviewer) moving every item of the sitting: a × 0.6, b + 0.8, with
    plausible standard errors and enough responses per category, so no guard stops it."""
    with app.app_context():
        reviewer = db.session.scalar(select(User).where(User.email == "reviewer@demo.id"))
        schedule_id = db.session.scalar(select(ExamSchedule.id).where(ExamSchedule.code == CODE))
        items = db.session.scalars(
            select(Item)
            .join(SessionItem, SessionItem.item_id == Item.id)
            .join(ExamSession, ExamSession.id == SessionItem.session_id)
            .where(ExamSession.schedule_id == schedule_id)
            .distinct()
        ).all()
        run = CalibrationRun(
            created_by_id=reviewer.id, source="upload", model="mixed", status="draft", iterations=40,
            converged=True, summary={"mode": "fixed", "label": "uji"},
        )  # fmt: skip
        db.session.add(run)
        for item in items:
            old = item.current_parameter
            db.session.add(
                ItemParameter(
                    item=item, run=run, version_number=item.current_version.number, model=old.model,
                    a=old.a * 0.6, b=old.b + 0.8 if old.b is not None else None, c=old.c,
                    thresholds=[t + 0.8 for t in old.thresholds or []], se_a=0.1,
                    se_b=0.15 if old.b is not None else None, se_c=0.05 if old.model == "3pl" else None,
                    n_responses=500, statistics={"categories": [100] * max(2, len(old.thresholds or []) + 1)},
                )
            )  # fmt: skip
        db.session.commit()
        return run.id


def test_publishing_changed_parameters_leaves_the_finished_queue_as_it_was(fresh_demo, before, monkeypatch):
    app = fresh_demo
    run_id = _changed_run(app)
    with app.app_context():
        run = db.session.get(CalibrationRun, run_id)
        changed = {p.item_id for p in run.parameters}
        # Independently: every result with θ whose session showed one of the changed items.
        shown = select(SessionItem.session_id).where(SessionItem.item_id.in_(changed))
        results = db.session.scalars(select(SessionResult).where(SessionResult.session_id.in_(shown))).all()
        expected_moved = sum(1 for r in results if r.parameter_ids)
        assert expected_moved >= 60
    admin = demo_client(app, "admin@demo.id")
    confirm = admin.get(f"/bank-soal/kalibrasi/{run_id}/terbitkan").get_data(as_text=True)
    assert f"{len(changed)} butir mendapat parameter baru" in confirm
    assert f"{expected_moved} skor yang sudah ada" in confirm
    assert "Menerbitkan tidak menghitung ulang skor" in confirm
    admin.post(
        f"/bank-soal/kalibrasi/{run_id}/terbitkan",
        data={"csrf_token": csrf_token(admin, f"/bank-soal/kalibrasi/{run_id}/terbitkan")},
    )
    with app.app_context():
        assert db.session.get(CalibrationRun, run_id).status == "published"
        current = db.session.scalar(
            select(func.count(ItemParameter.id)).where(ItemParameter.run_id == run_id, ItemParameter.is_current)
        )
        assert current == len(changed)
    assert queue_state(app) == before

    # The check can fail: on the bank's current (new) parameters the p-values would move.
    monkeypatch.setattr(forensic_inputs, "scoring_parameters", lambda session, exams: {})
    monkeypatch.setattr(forensic_inputs, "parameter_in_force", lambda session, item_id, moment: None)
    _, on_current = queue_state(app)
    assert dict(on_current)[COPIER] != dict(before[1])[COPIER]


def test_the_queue_keeps_the_copier_first_and_names_it_from_the_answer_order(fresh_demo, before):
    order, p_values = before
    assert order[:2] == [COPIER, SOURCE]
    app = fresh_demo
    number = numbers(app)
    copier, source = number[COPIER], number[SOURCE]
    proctor = demo_client(app, "pengawas@demo.id")
    with app.app_context():
        schedule_id = db.session.scalar(select(ExamSchedule.id).where(ExamSchedule.code == CODE))
        session_id = db.session.scalar(select(ExamSession.id).where(ExamSession.registration_number == copier))
    page = proctor.get(f"/pengawas/jadwal/{schedule_id}/telaah").get_data(as_text=True)
    assert page.index(copier) < page.index(source)
    assert page.count(f"bukti menunjuk {copier} sebagai penyalin jawaban {source}") == 2  # on both rows
    later = re.search(rf"{copier} menjawab (\d+) dari (\d+) jawaban yang sama sesudah {source}", page)
    assert later and int(later.group(2)) >= 20 and int(later.group(1)) > 0.9 * int(later.group(2))
    # The direction of the larger ω is stated too (it need not agree with the order).
    assert re.search(rf"ω terbesar bila ({copier}|{source}) penyalinnya", page)
    timeline = proctor.get(f"/pengawas/sesi/{session_id}").get_data(as_text=True)
    assert "Dugaan menyalin jawaban" in timeline
    assert f"bukti menunjuk {copier} sebagai penyalin jawaban {source}" in timeline


def test_without_recorded_parameter_ids_the_versions_in_force_at_the_end_are_used(fresh_demo, before):
    """Results that recorded no parameter ids fall back to the versions published before the
    sitting ended, not to the bank's current ones (the changed run above is current by now)."""
    app = fresh_demo
    with app.app_context():
        schedule = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == CODE))
        newest = db.session.scalar(select(func.max(CalibrationRun.published_at)))
        assert newest > max(exam.ended_at for exam in schedule.sessions)  # a later run is current
        for exam in schedule.sessions:
            exam.result.parameter_ids = []
        db.session.flush()
        emails = dict(db.session.execute(select(User.id, User.email)).all())
        rows = review_queue(db.session, schedule)
        order = [emails[row.session.candidate_id] for row in rows]
        copying = [next((f.facts["p_value"] for f in row.flags if f.code == "copying"), None) for row in rows]
        db.session.rollback()
    assert (order, list(zip(order, copying, strict=True))) == before
