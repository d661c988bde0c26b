"""Decisions reach every place a score is shown or used (issue 14), on a freshly seeded demo.

The acceptance walk goes through the real routes: pengawas@demo.id invalidates kandidat7's
UJICOBA-2026-10 session, admin@demo.id confirms, and the rankings of CPNS-DEMO-2026, the
certificate check, the result page, the score board and the announcement pages all show it; the
candidate appeals, pengawas2@demo.id upholds, and everything comes back. Then one test per
consumer, each on its own candidate, through every state (under review, invalidated, appeal
pending, restored), so each fails if that consumer ignores the standing.

This module seeds its own demo: it changes decisions, announcements and employees.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from examserver.accounts.models import User
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.demo.finished import CODE
from examserver.extensions import db
from examserver.hr.analysis import usable_scores
from examserver.hr.models import Employee, IntakeApplicant, PositionProfile, RecruitmentIntake
from examserver.hr.services import appoint_from_period
from examserver.selection import announcements
from examserver.selection.models import Announcement, Application, SelectionPeriod
from examserver.selection.ranking import rank_period
from itembank.refusal import Refusal
from proctoring import services as proctoring
from proctoring.models import Appeal, ProctorDecision
from tests.conftest import CSRF_FIELD, demo_client

PERIOD = "CPNS-DEMO-2026"
REASON = "Pola jawaban identik dengan peserta lain pada 60% soal, termasuk jawaban salah."


@pytest.fixture(scope="module")
def world(own_demo):
    """A demo of its own, and the numbers the tests look for."""
    app = own_demo("standing")
    with app.app_context():
        schedule = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == CODE))
        period = db.session.scalar(select(SelectionPeriod).where(SelectionPeriod.code == PERIOD))
        people = {}
        for email, exam in db.session.execute(
            select(User.email, ExamSession)
            .join(ExamSession, ExamSession.candidate_id == User.id)
            .where(ExamSession.schedule_id == schedule.id, User.email.like("kandidat%"))
        ).all():
            application = db.session.scalar(
                select(Application).where(
                    Application.period_id == period.id, Application.candidate_id == exam.candidate_id
                )
            )
            people[email] = {
                "session_id": exam.id,
                "number": exam.registration_number,
                "code": exam.result.verification_code,
                "application": application.registration_number if application else None,
                "application_id": application.id if application else None,
            }
        basic = db.session.scalar(
            select(Announcement).where(Announcement.period_id == period.id, Announcement.stage == "basic")
        )
        info = {"period_id": period.id, "schedule_id": schedule.id, "people": people, "basic_id": basic.id}
    return app, info


@pytest.fixture(scope="module")
def app(world):
    return world[0]


@pytest.fixture(scope="module")
def info(world):
    return world[1]


@pytest.fixture(scope="module")
def clients(app):
    cache = {}

    def client(email: str):
        if email not in cache:
            cache[email] = demo_client(app, email)
        return cache[email]

    return client


# ------------------------------------------------------------------------------------- helpers


def post_form(client, page_url: str, action: str, data: dict):
    """Post ``data`` to ``action`` with the CSRF token of the form on ``page_url``."""
    page = client.get(page_url).get_data(as_text=True)
    token = CSRF_FIELD.search(page).group(1)
    return client.post(action, data={"csrf_token": token, **data})


def row_of(html: str, number: str) -> str:
    """The table row that holds ``number``."""
    rows = [row for row in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if number in row]
    assert len(rows) == 1, (number, len(rows))
    return rows[0]


def ranking(app, info, final: bool):
    """Status, rank and position per application registration number, straight from the ranking code."""
    with app.app_context():
        period = db.session.get(SelectionPeriod, info["period_id"])
        result = rank_period(db.session, period, final=final)
        return {
            r.registration_number: (r.status, r.rank if final else r.shortlist_rank, r.position_code)
            for r in result.rows
        }


def actor(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def propose(app, person: dict) -> int:
    """pengawas@demo.id proposes invalidating the session (services, for the per-consumer tests)."""
    by = actor(app, "pengawas@demo.id")
    with app.app_context():
        row = proctoring.decide(
            db.session, person["session_id"], decision="invalidated", category="examinee.collusion", reason=REASON,
            actor_id=by,
        )  # fmt: skip
        db.session.commit()
        return row.id


def confirm(app, decision_id: int) -> None:
    """admin@demo.id confirms."""
    by = actor(app, "admin@demo.id")
    with app.app_context():
        decision = db.session.get(ProctorDecision, decision_id)
        proctoring.confirm_invalidation(db.session, decision, actor_id=by)
        db.session.commit()


def appeal(app, decision_id: int) -> int:
    with app.app_context():
        decision = db.session.get(ProctorDecision, decision_id)
        row = proctoring.file_appeal(db.session, decision, text="Saya mengerjakan sendiri tanpa bantuan siapa pun.")
        db.session.commit()
        return row.id


def uphold(app, appeal_id: int) -> None:
    """pengawas2@demo.id upholds the appeal."""
    by = actor(app, "pengawas2@demo.id")
    with app.app_context():
        row = db.session.get(Appeal, appeal_id)
        proctoring.decide_appeal(
            db.session, row, upheld=True, outcome="Rekaman tidak menunjukkan kerja sama.", actor_id=by
        )
        db.session.commit()


def invalidate(app, person: dict) -> int:
    decision_id = propose(app, person)
    confirm(app, decision_id)
    return decision_id


def restore(app, decision_id: int) -> None:
    uphold(app, appeal(app, decision_id))


# ------------------------------------------------------------------------------ acceptance walk


def shows_invalidated(info, k7, sid, *, public, candidate, committee) -> None:
    """Every page that shows kandidat7's session says it is invalidated: the certificate check, the
    result page, the scoreboard, the announcement and the committee's period page."""
    period_id = info["period_id"]
    check = public.get(f"/ujian/verifikasi?kode={k7['code']}").get_data(as_text=True)
    assert "Sertifikat dibatalkan" in check and "Sertifikat sah" not in check and "Dibatalkan sejak" in check
    assert REASON not in check  # the public sees the date and the category, not the proctors' words

    result = candidate.get(f"/ujian/{sid}/hasil").get_data(as_text=True)
    assert "DIBATALKAN" in result and REASON in result and "result-table" not in result
    assert f'action="/ujian/{sid}/sanggah"' in result

    board = public.get(f"/ujian/papan-skor/{CODE}").get_data(as_text=True)
    assert "Hasil dibatalkan, tanpa nilai" in board and not re.search(rf"<td>{k7['number']}</td>", board)

    notice = public.get(f"/seleksi/pengumuman/{info['basic_id']}").get_data(as_text=True)
    assert "terdampak keputusan pengawas" in notice and k7["application"] in notice
    detail = committee.get(f"/seleksi/panitia/periode/{period_id}").get_data(as_text=True)
    assert 'data-affected="1"' in detail
    prepared = committee.get(f"/seleksi/panitia/periode/{period_id}/umumkan?koreksi={info['basic_id']}")
    assert k7["application"] in prepared.get_data(as_text=True)


def test_acceptance_walk_invalidate_confirm_appeal_restore(app, info, clients):
    k7 = info["people"]["kandidat7@demo.id"]
    proctor, admin, second = clients("pengawas@demo.id"), clients("admin@demo.id"), clients("pengawas2@demo.id")
    candidate, committee = clients("kandidat7@demo.id"), clients("panitia@demo.id")
    public = app.test_client()
    sid, period_id = k7["session_id"], info["period_id"]
    basic_before, final_before = ranking(app, info, final=False), ranking(app, info, final=True)
    assert basic_before[k7["application"]][0] != "INVALIDATED" != final_before[k7["application"]][0]

    # The proctor invalidates; the session is under review until a second person confirms.
    timeline = f"/pengawas/sesi/{sid}"
    response = post_form(proctor, timeline, f"/pengawas/sesi/{sid}/keputusan",
                         {"decision": "invalidated", "category": "examinee.collusion", "reason": REASON,
                          "understood": "y"})  # fmt: skip
    assert response.status_code == 303
    assert "sedang ditinjau" in candidate.get(f"/ujian/{sid}/hasil").get_data(as_text=True)
    assert "Sertifikat sedang ditinjau" in public.get(f"/ujian/verifikasi?kode={k7['code']}").get_data(as_text=True)
    publish = f"/seleksi/panitia/periode/{period_id}/umumkan"
    new_list = {"stage": "basic", "title": "Hasil SKD ulang", "replaces": "0", "correction_reason": ""}
    new_list["understood"] = "y"
    refused = post_form(committee, publish, publish, new_list)
    assert "sedang ditinjau" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Announcement).count() == 2
        decision_id = db.session.scalar(select(ProctorDecision.id).where(ProctorDecision.session_id == sid))

    # An admin confirms: now it is invalidated everywhere.
    response = post_form(admin, timeline, f"/pengawas/keputusan/{decision_id}/konfirmasi", {"understood": "y"})
    assert response.status_code == 303
    basic, final = ranking(app, info, final=False), ranking(app, info, final=True)
    assert basic[k7["application"]][:2] == ("INVALIDATED", 0) and final[k7["application"]][:2] == ("INVALIDATED", 0)
    if basic_before[k7["application"]][0] == "SHORTLISTED":
        promoted = [
            n for n, row in basic.items() if basic_before[n][0] == "NOT_SHORTLISTED" and row[0] == "SHORTLISTED"
        ]
        assert promoted, "the next applicant moves up into the shortlist"
    page = committee.get(f"/seleksi/panitia/periode/{period_id}/peringkat?tahap=final").get_data(as_text=True)
    row = row_of(page, k7["application"])
    assert "gugur: hasil ujian dibatalkan" in row and REASON in row
    page = committee.get(f"/seleksi/panitia/periode/{period_id}/peringkat").get_data(as_text=True)
    assert "gugur: hasil ujian dibatalkan" in row_of(page, k7["application"])

    shows_invalidated(info, k7, sid, public=public, candidate=candidate, committee=committee)

    # The candidate appeals; another proctor upholds; everything comes back.
    response = post_form(candidate, f"/ujian/{sid}/hasil", f"/ujian/{sid}/sanggah",
                         {"text": "Saya mengerjakan sendiri; kandidat3 yang menyalin jawaban saya."})  # fmt: skip
    assert response.status_code == 303
    assert (
        "sanggahan atas pembatalan ini sedang diperiksa"
        in candidate.get(f"/ujian/{sid}/hasil").get_data(as_text=True).lower()
    )
    with app.app_context():
        appeal_id = db.session.scalar(select(Appeal.id).where(Appeal.session_id == sid))
    outcome = {"outcome": "upheld", "reason": "Bukti menunjukkan kandidat7 sumber, bukan penyalin.", "understood": "y"}
    response = post_form(second, timeline, f"/pengawas/sanggah/{appeal_id}", outcome)
    assert response.status_code == 303
    assert ranking(app, info, final=False) == basic_before and ranking(app, info, final=True) == final_before
    check = public.get(f"/ujian/verifikasi?kode={k7['code']}").get_data(as_text=True)
    assert "Sertifikat sah" in check and "Sertifikat dibatalkan" not in check
    result = candidate.get(f"/ujian/{sid}/hasil").get_data(as_text=True)
    assert "result-table" in result and "dipulihkan" in result
    assert re.search(rf"<td>{k7['number']}</td>", public.get(f"/ujian/papan-skor/{CODE}").get_data(as_text=True))
    notice = public.get(f"/seleksi/pengumuman/{info['basic_id']}").get_data(as_text=True)
    assert "terdampak keputusan pengawas" not in notice
    page = committee.get(f"/seleksi/panitia/periode/{period_id}/peringkat?tahap=final").get_data(as_text=True)
    assert "gugur" not in row_of(page, k7["application"])


# ----------------------------------------------------------------------------- one per consumer


def test_result_page(app, info, clients):
    person = info["people"]["kandidat12@demo.id"]
    client, url = clients("kandidat12@demo.id"), f"/ujian/{person['session_id']}/hasil"
    assert "result-table" in client.get(url).get_data(as_text=True)
    decision_id = propose(app, person)
    page = client.get(url).get_data(as_text=True)
    assert 'data-standing="under_review"' in page and "result-table" in page
    confirm(app, decision_id)
    page = client.get(url).get_data(as_text=True)
    assert 'data-standing="invalidated"' in page and "result-table" not in page and REASON in page
    assert "Nilai akan diumumkan" not in page and "/sanggah" in page
    appeal_id = appeal(app, decision_id)
    assert 'data-standing="appeal_pending"' in client.get(url).get_data(as_text=True)
    uphold(app, appeal_id)
    page = client.get(url).get_data(as_text=True)
    assert 'data-standing="restored"' in page and "result-table" in page


def test_certificate_and_its_public_check(app, info, clients):
    person = info["people"]["kandidat13@demo.id"]
    client, public = clients("kandidat13@demo.id"), app.test_client()
    certificate, check = f"/ujian/{person['session_id']}/sertifikat", f"/ujian/verifikasi?kode={person['code']}"
    assert 'data-section="total"' in client.get(certificate).get_data(as_text=True)
    decision_id = propose(app, person)
    assert "Sertifikat sedang ditinjau" in public.get(check).get_data(as_text=True)
    confirm(app, decision_id)
    page = client.get(certificate).get_data(as_text=True)
    assert "DIBATALKAN" in page and 'data-section="total"' not in page
    page = public.get(check).get_data(as_text=True)
    assert "Sertifikat dibatalkan" in page and "Sertifikat sah" not in page and 'data-section="total"' not in page
    restore(app, decision_id)
    assert 'data-section="total"' in client.get(certificate).get_data(as_text=True)
    page = public.get(check).get_data(as_text=True)
    assert "Sertifikat sah" in page and "dipulihkan" in page


def test_public_scoreboard_and_the_committee_schedule(app, info, clients):
    person, public = info["people"]["kandidat14@demo.id"], app.test_client()
    committee, schedule = clients("panitia@demo.id"), f"/ujian/jadwal/{info['schedule_id']}"
    listed = re.compile(rf"<td>{person['number']}</td>")
    assert listed.search(public.get(f"/ujian/papan-skor/{CODE}").get_data(as_text=True))
    decision_id = invalidate(app, person)
    board = public.get(f"/ujian/papan-skor/{CODE}").get_data(as_text=True)
    assert not listed.search(board) and person["number"] in board.split("Hasil dibatalkan, tanpa nilai")[1]
    assert 'data-standing="invalidated"' in row_of(committee.get(schedule).get_data(as_text=True), person["number"])
    restore(app, decision_id)
    board = public.get(f"/ujian/papan-skor/{CODE}").get_data(as_text=True)
    assert listed.search(board) and "Hasil dibatalkan" not in board
    assert "data-standing" not in row_of(committee.get(schedule).get_data(as_text=True), person["number"])


def person_of(info, number: str) -> dict:
    """The demo candidate behind an application registration number."""
    return next(p for p in info["people"].values() if p["application"] == number)


def test_rankings_pages_and_exports(app, info, clients):
    final_before = ranking(app, info, final=True)
    number = next(n for n, (status, rank, _position) in final_before.items() if status == "SELECTED" and rank == 1)
    person, committee = person_of(info, number), clients("panitia@demo.id")
    decision_id = invalidate(app, person)
    final = ranking(app, info, final=True)
    assert final[number][:2] == ("INVALIDATED", 0)
    # The next applicants of the position move up one place each.
    _status, own_rank, position = final_before[number]
    moved = {
        n: (before[1], final[n][1])
        for n, before in final_before.items()
        if before[2] == position and before[1] > own_rank
    }
    assert moved and all(after == before - 1 for before, after in moved.values())
    base = f"/seleksi/panitia/periode/{info['period_id']}/peringkat"
    rows = list(csv.reader(io.StringIO(committee.get(base + ".csv?tahap=final").get_data(as_text=True))))
    header, row = rows[0], next(r for r in rows if r[0] == number)
    assert row[header.index("Status (kode)")] == "INVALIDATED"
    assert row[header.index("Status")] == "gugur: hasil ujian dibatalkan"
    assert REASON in row[header.index("Catatan sesi")] and row[header.index("Total SKD")] == ""
    book = load_workbook(io.BytesIO(committee.get(base + ".xlsx?tahap=final").data))
    sheet_rows = [[c.value for c in r] for r in book.active.iter_rows()]
    xrow = next(r for r in sheet_rows if r[0] == number)
    assert "INVALIDATED" in xrow and "gugur: hasil ujian dibatalkan" in xrow
    assert "gugur: hasil ujian dibatalkan" in row_of(committee.get(base).get_data(as_text=True), number)
    restore(app, decision_id)
    assert ranking(app, info, final=True) == final_before
    rows = list(csv.reader(io.StringIO(committee.get(base + ".csv?tahap=final").get_data(as_text=True))))
    row = next(r for r in rows if r[0] == number)
    assert row[rows[0].index("Status (kode)")] == "SELECTED" and "dipulihkan" in row[rows[0].index("Catatan sesi")]


def test_publishing_is_refused_while_a_session_behind_the_list_is_under_review(app, info):
    person, member = info["people"]["kandidat15@demo.id"], actor(app, "panitia@demo.id")
    decision_id = propose(app, person)
    with app.app_context():
        period = db.session.get(SelectionPeriod, info["period_id"])
        text, session_ids = announcements.ranking_csv(rank_period(db.session, period, final=False), db.session)
        assert person["session_id"] in session_ids
        with pytest.raises(Refusal) as refused:
            announcements.publish(db.session, period, stage="basic", title="SKD", csv_text=text,
                                  session_ids=session_ids, member_id=member)  # fmt: skip
        assert refused.value.code == "selection.sessions_under_review" and refused.value.params == {"n": 1}
        db.session.rollback()
    confirm(app, decision_id)
    with app.app_context():
        period = db.session.get(SelectionPeriod, info["period_id"])
        text, session_ids = announcements.ranking_csv(rank_period(db.session, period, final=False), db.session)
        assert person["session_id"] not in session_ids  # an invalidated score is not behind the list
        item = announcements.publish(db.session, period, stage="basic", title="SKD", csv_text=text,
                                     session_ids=session_ids, member_id=member)  # fmt: skip
        assert item.id is not None
        db.session.rollback()
    restore(app, decision_id)


def test_announcement_marked_affected_and_corrected(app, info, clients):
    person = info["people"]["kandidat18@demo.id"]
    public, committee = app.test_client(), clients("panitia@demo.id")
    notice_url = f"/seleksi/pengumuman/{info['basic_id']}"
    publish_url = f"/seleksi/panitia/periode/{info['period_id']}/umumkan"
    assert "terdampak" not in public.get(notice_url).get_data(as_text=True)
    decision_id = invalidate(app, person)
    notice = public.get(notice_url).get_data(as_text=True)
    assert "terdampak keputusan pengawas" in notice and person["application"] in notice
    assert "Siapkan pengumuman koreksi" not in notice  # only the committee is offered the correction
    assert "Siapkan pengumuman koreksi" in committee.get(notice_url).get_data(as_text=True)
    # The committee publishes the prepared correction as it is offered.
    form = committee.get(f"{publish_url}?koreksi={info['basic_id']}").get_data(as_text=True)
    reason = re.search(r'<textarea[^>]*name="correction_reason"[^>]*>\s*(.*?)</textarea>', form, re.S).group(1)
    title = re.search(r'name="title"[^>]*value="([^"]*)"', form).group(1)
    assert person["application"] in reason and "dibatalkan" in reason and title.startswith("Koreksi")
    assert re.search(rf'<option selected value="{info["basic_id"]}"|<option value="{info["basic_id"]}" selected', form)
    response = post_form(committee, publish_url, publish_url, {
        "stage": "basic", "title": title, "replaces": str(info["basic_id"]),
        "correction_reason": reason.replace("&#34;", '"').replace("&#39;", "'"), "understood": "y",
    })  # fmt: skip
    assert response.status_code == 303
    with app.app_context():
        correction = db.session.scalar(select(Announcement).where(Announcement.replaces_id == info["basic_id"]))
        assert person["session_id"] not in correction.session_ids
        assert f"{person['application']}," in correction.csv_text and "INVALIDATED" in correction.csv_text
        correction_id = correction.id
    assert "terdampak" not in public.get(notice_url).get_data(as_text=True)  # replaced, not affected
    assert "terdampak" not in public.get(f"/seleksi/pengumuman/{correction_id}").get_data(as_text=True)
    # An upheld appeal after the correction: the correction now leaves out a valid score.
    restore(app, decision_id)
    notice = public.get(f"/seleksi/pengumuman/{correction_id}").get_data(as_text=True)
    assert "terdampak keputusan pengawas" in notice and "dipulihkan" in notice


def test_appointment_and_the_effectiveness_intake(app, info):
    final_before = ranking(app, info, final=True)
    # A position's first selected applicant, and the first one after the seats (who would move up).
    first_selected, position = next((n, row[2]) for n, row in final_before.items() if row[:2] == ("SELECTED", 1))
    runner_up = min((row[1], n) for n, row in final_before.items() if row[2] == position and row[0] == "NOT_SELECTED")[
        1
    ]
    selected, next_in_line = person_of(info, first_selected), person_of(info, runner_up)
    with app.app_context():
        assert (
            db.session.scalar(select(Employee.id).where(Employee.application_id == next_in_line["application_id"]))
            is None
        )
    first, second = invalidate(app, selected), invalidate(app, next_in_line)
    final = ranking(app, info, final=True)
    assert final[next_in_line["application"]][0] == "INVALIDATED"
    with app.app_context():
        period = db.session.get(SelectionPeriod, info["period_id"])
        profiles = {p.code: p for p in db.session.scalars(select(PositionProfile))}
        created = appoint_from_period(db.session, period, None, profiles=profiles, appointed_on=date(2026, 12, 1))
        db.session.commit()
        assert next_in_line["application_id"] not in {e.application_id for e in created}
        assert (
            db.session.scalar(select(Employee.id).where(Employee.application_id == next_in_line["application_id"]))
            is None
        )
        intake = db.session.scalar(select(RecruitmentIntake).where(RecruitmentIntake.period_id == period.id))
        applicants = list(intake.applicants)
        kept = {a.registration_number: a for a in applicants}
        assert kept[selected["application"]].scores == {} and kept[next_in_line["application"]].scores == {}
        usable = usable_scores(db.session, intake, applicants)
        assert usable[kept[selected["application"]].id] == {}
    # The intake was kept with scores before; an invalidation after the fact voids them for the analysis.
    with app.app_context():
        number = info["people"]["kandidat4@demo.id"]["application"]
        assert db.session.scalar(select(IntakeApplicant).where(IntakeApplicant.registration_number == number)).scores
    later = invalidate(app, info["people"]["kandidat4@demo.id"])
    with app.app_context():
        intake = db.session.scalar(select(RecruitmentIntake).where(RecruitmentIntake.period_id == info["period_id"]))
        applicants = list(intake.applicants)
        usable = usable_scores(db.session, intake, applicants)
        by_number = {a.registration_number: usable[a.id] for a in applicants}
        assert by_number[info["people"]["kandidat4@demo.id"]["application"]] == {}
    for decision_id in (first, second, later):
        restore(app, decision_id)
    with app.app_context():
        intake = db.session.scalar(select(RecruitmentIntake).where(RecruitmentIntake.period_id == info["period_id"]))
        applicants = list(intake.applicants)
        usable = usable_scores(db.session, intake, applicants)
        assert usable[
            next(
                a.id for a in applicants if a.registration_number == info["people"]["kandidat4@demo.id"]["application"]
            )
        ]


def test_proctor_pages_show_decisions_and_the_standing(app, info, clients):
    person = info["people"]["kandidat16@demo.id"]
    proctor = clients("pengawas@demo.id")
    decision_id = invalidate(app, person)
    page = proctor.get(f"/pengawas/sesi/{person['session_id']}").get_data(as_text=True)
    assert 'data-standing="invalidated"' in page and REASON in page
    assert proctor.get(f"/pengawas/jadwal/{info['schedule_id']}/telaah").status_code == 200
    export = proctor.get(f"/pengawas/jadwal/{info['schedule_id']}/pelanggaran.csv").get_data(as_text=True)
    assert person["number"] in export and "invalidated" in export
    restore(app, decision_id)
    page = proctor.get(f"/pengawas/sesi/{person['session_id']}").get_data(as_text=True)
    assert 'data-standing="restored"' in page
    assert person["number"] in clients("pengawas2@demo.id").get("/pengawas/sanggah").get_data(as_text=True)
