"""Complaints, the inspectorate's case workflow and the sanctions register, walked as people use them."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from examserver.labels import LABELS
from examserver.oversight.models import CaseStep, Complaint, Evidence, Sanction
from examserver.selection import services as selection
from examserver.selection.models import Application, Position, SelectionPeriod
from examserver.selection.rules import default_rules_json
from itembank.database import utcnow
from itembank.refusal import Refusal
from proctoring import chain
from proctoring.models import IntegrityEvent, LogEntry, ScheduleProctor
from proctoring.standing import State, standing_of
from tests.conftest import csrf_token, login
from tests.examserver.player_client import Player

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00" + b"\x00" * 64
DESCRIPTION = "Pengawas ruang 2 membiarkan peserta membuka ponsel selama ujian berlangsung pukul 09.00."
INDONESIAN_MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November",
    "Desember",
)  # fmt: skip
CODE = re.compile(r"data-tracking-code>([A-Z0-9-]+)<")
SECRET = re.compile(r"data-secret>([^<]+)<")


@pytest.fixture
def evidence_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "bukti"
    monkeypatch.setitem(app.config, "OVERSIGHT_UPLOAD_DIR", str(folder))
    return folder


def make_period(app, db_session, member, code: str, *, schedule_id=None, opens=-1, closes=1):
    """A period whose applications open ``opens`` days from now and close ``closes`` days from now."""
    now = utcnow()
    with app.app_context():
        period = selection.save_period(
            db_session, None, actor_id=member.id, code=code, title=f"Seleksi {code}", agency="Pemkab Contoh",
            description="", applications_open_at=now + timedelta(days=opens),
            applications_close_at=now + timedelta(days=closes), appeal_days=3, schedule_id=schedule_id,
            rules=default_rules_json(), stages={"administrative": (now + timedelta(days=2), now + timedelta(days=4))},
        )  # fmt: skip
        selection.save_position(
            db_session, period, None, code="ANALIS", agency="Pemkab Contoh", title="Analis", unit="Bagian Umum",
            location="Kota", quota=1, education="S-1", categories=["general"], required_documents=["ijazah"],
            competency_profile={},
        )  # fmt: skip
        db_session.commit()
    return period


def position_of(db_session, period) -> Position:
    return db_session.scalar(select(Position).where(Position.period_id == period.id))


def apply_directly(app, db_session, period, candidate) -> Application:
    """The candidate's application to the period's position, through the service."""
    with app.app_context():
        application = selection.apply(
            db_session, db_session.get(SelectionPeriod, period.id), position_of(db_session, period), candidate,
            category="general", education_score=3.0, birth_date=utcnow().date().replace(year=1999),
        )  # fmt: skip
        db_session.commit()  # before the context's teardown ends the session
    return application


def file_complaint(client, chosen, **overrides):
    """Post the public complaint form about period ``chosen`` as a visitor does; returns the answer."""
    token = csrf_token(client, "/pengaduan")
    data = {
        "csrf_token": token, "period": str(chosen.id), "category": "cheating", "subject_kind": "period",
        "schedule": "", "subject_text": "", "description": DESCRIPTION, "reporter_name": "", "reporter_contact": "",
    }  # fmt: skip
    data.update(overrides)
    return client.post("/pengaduan", data=data, content_type="multipart/form-data")


def follow(client, code: str, secret: str):
    token = csrf_token(client, "/pengaduan/lacak")
    return client.post("/pengaduan/lacak", data={"csrf_token": token, "tracking_code": code, "secret": secret})


def signed_in(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    return client


def post(client, page: str, action: str, data: dict):
    """Post a form of ``page`` (its CSRF token) to ``action``."""
    return client.post(action, data={"csrf_token": csrf_token(client, page), **data})


def test_a_visitor_files_a_complaint_with_evidence_and_follows_it(app, client, db_session, make_user, evidence_dir):
    period = make_period(app, db_session, make_user("committee"), "ADU1")
    response = file_complaint(
        client, period, reporter_name="Siti Pelapor", reporter_contact="siti@contoh.id",
        evidence=[(io.BytesIO(PDF), "bukti.pdf")],
    )  # fmt: skip
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    code, secret = CODE.search(body).group(1), SECRET.search(body).group(1)
    complaint = db_session.scalar(select(Complaint).where(Complaint.tracking_code == code))
    assert complaint.status == "received" and complaint.reporter_name == "Siti Pelapor"
    assert secret not in complaint.secret_hash  # only a hash is kept
    [item] = complaint.evidence
    assert (evidence_dir / item.stored_name).read_bytes() == PDF
    # The filing is on the platform chain, committing to the files without naming the reporter.
    [entry] = db_session.scalars(
        select(LogEntry).where(LogEntry.record_type == "case_step", LogEntry.record_id == complaint.steps[0].id)
    )
    assert entry.payload["tracking_code"] == code and "Siti" not in str(entry.payload)

    page = follow(client, code, secret).get_data(as_text=True)
    assert 'data-status="received"' in page and code in page
    assert "Siti Pelapor" not in page and DESCRIPTION not in page
    wrong = follow(client, code, secret + "x").get_data(as_text=True)
    assert "data-status" not in wrong and "tidak cocok" in wrong


def test_bad_input_shows_every_error_and_stores_nothing(app, client, db_session, make_user, evidence_dir):
    period = make_period(app, db_session, make_user("committee"), "ADU2")
    before = db_session.scalar(select(func.count(Complaint.id)))
    response = file_complaint(
        client, period, description="terlalu pendek", subject_kind="sitting",
        evidence=[(io.BytesIO(EXE), "bukti.pdf")],
    )  # fmt: skip
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    # All at once, each beside its field.
    assert 'id="description-error"' in body and 'id="evidence-error"' in body and 'id="schedule-error"' in body
    assert "bukan PDF" in body
    assert db_session.scalar(select(func.count(Complaint.id))) == before
    assert not evidence_dir.exists() or not any(evidence_dir.iterdir())
    assert db_session.scalar(select(func.count(Evidence.id))) == 0
    # The browser does not stop the form at its first empty field: the server's errors all show at once.
    form = re.search(r"<form[^>]*multipart/form-data[^>]*>", client.get("/pengaduan").get_data(as_text=True)).group(0)
    assert "novalidate" in form
    # A period that is not on offer is refused beside its field too.
    response = file_complaint(client, period, period="999999")
    assert 'id="period-error"' in response.get_data(as_text=True)
    # The honeypot: thanked, nothing stored.
    response = file_complaint(client, period, situs_web="http://spam.example")
    assert response.status_code == 303
    assert db_session.scalar(select(func.count(Complaint.id))) == before


@pytest.fixture
def sitting(app, db_session, make_user, exam_factory):
    """A candidate who sat the basic test of period SEL-A (the test's sitting), with integrity events."""
    candidate, exam = exam_factory()
    player = Player(signed_in(app, candidate), exam.id)
    assert player.start().status_code == 200
    assert player.save({"position": 1, "seq": 1, "response": "1"}).status_code == 200
    member = make_user("committee")
    period = make_period(app, db_session, member, "SEL-A", schedule_id=exam.schedule_id)
    return candidate, exam, period, member


def _case_through_to_conclusion(app, db_session, inspector, exam, complaint: Complaint):
    client = signed_in(app, inspector)
    page = f"/inspektorat/kasus/{complaint.id}"
    assert complaint.tracking_code in client.get("/inspektorat/").get_data(as_text=True)
    # A step with a too-short reason is refused beside its field and changes nothing.
    response = post(client, page, f"{page}/telaah", {"reason": "singkat", "session_number": exam.registration_number})
    assert response.status_code == 200 and 'id="reason-error"' in response.get_data(as_text=True)
    assert db_session.get(Complaint, complaint.id).status == "received"
    response = post(client, page, f"{page}/telaah", {
        "reason": "Laporan rinci dan menyebut ruang ujian; sesi peserta diperiksa.",
        "session_number": exam.registration_number,
    })  # fmt: skip
    assert response.status_code == 303
    # The inspector reads the session's integrity log, read-only.
    kinds = set(db_session.scalars(select(IntegrityEvent.kind).where(IntegrityEvent.session_id == exam.id)))
    records = client.get(f"{page}/catatan").get_data(as_text=True)
    assert exam.registration_number in records and "<form" not in records.split("<main", 1)[1].split("</main>")[0]
    for kind in kinds:
        assert str(LABELS["session_event"].get(kind, kind)) in records, kind
    assert (
        post(client, page, f"{page}/periksa", {"reason": "Memanggil pengawas dan memutar rekaman."}).status_code == 303
    )
    conclusion = {
        "outcome": "substantiated", "reason": "Rekaman dan log integritas cocok dengan laporan.",
        "public_conclusion": "Pengaduan terbukti; sanksi dijatuhkan sesuai ketentuan.",
    }  # fmt: skip
    # Concluding publishes the conclusion: the box saying so is on the form, and unticked it is
    # refused beside it, with what was typed kept and the case still open.
    assert 'name="understood"' in client.get(page).get_data(as_text=True)
    response = post(client, page, f"{page}/simpulkan", conclusion)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="understood-error">Centang kotak ini' in text
    assert "langsung terbit di halaman lacak pengaduan" in text and "sanksi dijatuhkan sesuai ketentuan" in text
    db_session.expire_all()
    assert db_session.get(Complaint, complaint.id).status == "investigating"
    assert post(client, page, f"{page}/simpulkan", {**conclusion, "understood": "y"}).status_code == 303
    return client


def test_the_inspectorate_investigates_and_a_second_inspector_confirms_a_ban(app, db_session, make_user, sitting):
    candidate, exam, period, member = sitting
    visitor = app.test_client()
    body = file_complaint(visitor, period, subject_kind="sitting", schedule=str(exam.schedule_id)).get_data(
        as_text=True
    )
    code, secret = CODE.search(body).group(1), SECRET.search(body).group(1)
    complaint = db_session.scalar(select(Complaint).where(Complaint.tracking_code == code))
    draft = apply_directly(app, db_session, period, candidate)  # a draft in the case's own period, still open
    first, second = make_user("inspector"), make_user("inspector")
    client = _case_through_to_conclusion(app, db_session, first, exam, complaint)
    page = f"/inspektorat/kasus/{complaint.id}"
    response = post(client, page, f"{page}/sanksi", {
        "kind": "ban", "person_email": candidate.email, "periods": "1", "period": "", "until": "",
        "reason": "Memakai ponsel saat ujian, terbukti dari rekaman.",
    })  # fmt: skip
    assert response.status_code == 303
    sanction = db_session.scalar(select(Sanction).where(Sanction.complaint_id == complaint.id))
    # The proposer alone cannot confirm it.
    response = post(client, page, f"/inspektorat/sanksi/{sanction.id}/kukuhkan", {"understood": "y"})
    assert response.status_code == 303
    db_session.expire_all()
    assert db_session.get(Sanction, sanction.id).confirmed_at is None
    assert "inspektur lain" in client.get(page).get_data(as_text=True)
    other = signed_in(app, second)
    # The confirmation names its consequence and waits for the box to be ticked.
    html = other.get(page).get_data(as_text=True)
    assert f'id="understood-{sanction.id}"' in html and "langsung berlaku" in html
    assert post(other, page, f"/inspektorat/sanksi/{sanction.id}/kukuhkan", {}).status_code == 303
    db_session.expire_all()
    assert db_session.get(Sanction, sanction.id).confirmed_at is None
    assert "mengerti akibatnya" in other.get(page).get_data(as_text=True)
    assert post(other, page, f"/inspektorat/sanksi/{sanction.id}/kukuhkan", {"understood": "y"}).status_code == 303
    db_session.expire_all()
    assert db_session.get(Sanction, sanction.id).confirmed_by_id == second.id

    # The committee sees why on the application page; the draft can no longer be submitted.
    review = signed_in(app, member).get(f"/seleksi/panitia/lamaran/{draft.id}").get_data(as_text=True)
    assert 'data-sanction="ban"' in review and code in review
    with app.app_context(), pytest.raises(Refusal) as refused:
        selection.submit(db_session, db_session.get(Application, draft.id))
    assert refused.value.code == "selection.candidate_sanctioned"

    # Every step and the sanction are on the tamper-evident log, which still verifies.
    steps = db_session.scalars(
        select(CaseStep).where(CaseStep.complaint_id == complaint.id).order_by(CaseStep.id)
    ).all()
    assert [s.status for s in steps] == ["received", "assessed", "investigating", "concluded"]
    types = db_session.scalars(
        select(LogEntry.record_type).where(LogEntry.chain_id == chain.PLATFORM_CHAIN).order_by(LogEntry.position)
    ).all()
    assert types.count("case_step") >= 4 and "sanction_proposal" in types and "sanction_confirm" in types
    assert chain.verify(db_session).ok

    # The reporter sees the conclusion; the banned candidate cannot apply to the next period.
    page_text = follow(visitor, code, secret).get_data(as_text=True)
    assert 'data-outcome="substantiated"' in page_text and "sanksi dijatuhkan" in page_text
    following = make_period(app, db_session, member, "SEL-B")
    applicant = signed_in(app, candidate)
    response = applicant.post(f"/seleksi/{following.code}/lamar", data={
        "csrf_token": csrf_token(applicant, f"/seleksi/{following.code}/lamar"),
        "position": str(position_of(db_session, following).id), "category": "general", "education_score": "3.5",
        "birth_date": "1998-01-02",
    })  # fmt: skip
    assert code in response.get_data(as_text=True)
    assert db_session.scalar(select(Application.id).where(Application.period_id == following.id)) is None
    # Another candidate still applies to it.
    assert apply_directly(app, db_session, following, make_user("candidate")).id is not None

    # The public statistics count the complaint and the sanction, without names.
    stats = app.test_client().get(f"/pengaduan/statistik?periode={period.code}").get_data(as_text=True)
    row = re.search(r"Kecurangan saat ujian</th>(.*?)</tr>", stats, re.S).group(1)
    assert re.findall(r'class="num">(\d+)<', row) == ["1", "0", "0", "1"]
    assert re.search(r'data-kind="ban">(\d+)<', stats).group(1) == "1"
    assert candidate.full_name not in stats and first.full_name not in stats


def test_a_confirmed_disqualification_invalidates_the_session_through_its_standing(app, db_session, make_user, sitting):
    candidate, exam, period, _member = sitting
    body = file_complaint(app.test_client(), period).get_data(as_text=True)
    complaint = db_session.scalar(select(Complaint).where(Complaint.tracking_code == CODE.search(body).group(1)))
    first, second = make_user("inspector"), make_user("inspector")
    client = _case_through_to_conclusion(app, db_session, first, exam, complaint)
    page = f"/inspektorat/kasus/{complaint.id}"
    post(client, page, f"{page}/sanksi", {
        "kind": "disqualification", "person_email": candidate.email, "period": str(period.id), "periods": "",
        "until": "", "reason": "Terbukti curang pada ujian periode ini.",
    })  # fmt: skip
    sanction = db_session.scalar(select(Sanction).where(Sanction.complaint_id == complaint.id))
    assert standing_of(db_session, exam.id).counts
    post(signed_in(app, second), page, f"/inspektorat/sanksi/{sanction.id}/kukuhkan", {"understood": "y"})
    db_session.expire_all()
    standing = standing_of(db_session, exam.id)
    assert standing.state is State.INVALIDATED
    assert standing.decision.decided_by_id == first.id and standing.decision.confirmed_by_id == second.id
    assert complaint.tracking_code in standing.decision.reason
    assert chain.verify(db_session).ok
    # The register and the case name the period of the disqualification, not its database id.
    for path in ("/inspektorat/sanksi", page):
        html = signed_in(app, second).get(path).get_data(as_text=True)
        assert f"periode {period.title} ({period.code})" in html and "periode #" not in html, path


def test_a_removed_proctor_cannot_be_assigned_and_a_removed_member_cannot_verify(app, db_session, make_user, sitting):
    candidate, exam, period, member = sitting
    proctor = make_user("proctor")
    body = file_complaint(app.test_client(), period, subject_kind="proctor").get_data(as_text=True)
    complaint = db_session.scalar(select(Complaint).where(Complaint.tracking_code == CODE.search(body).group(1)))
    first, second = make_user("inspector"), make_user("inspector")
    client = _case_through_to_conclusion(app, db_session, first, exam, complaint)
    page = f"/inspektorat/kasus/{complaint.id}"
    until = (utcnow() + timedelta(days=30)).date().isoformat()
    for kind, person in (("proctor_removal", proctor), ("committee_removal", member)):
        response = post(client, page, f"{page}/sanksi", {
            "kind": kind, "person_email": person.email, "until": until, "period": "", "periods": "",
            "reason": "Terbukti membiarkan kecurangan.",
        })  # fmt: skip
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    for sanction in db_session.scalars(select(Sanction).where(Sanction.complaint_id == complaint.id)):
        post(signed_in(app, second), page, f"/inspektorat/sanksi/{sanction.id}/kukuhkan", {"understood": "y"})
    committee = signed_in(app, make_user("committee"))
    schedule_page = f"/ujian/jadwal/{exam.schedule_id}"
    response = post(committee, schedule_page, f"{schedule_page}/pengawas", {"proctor": str(proctor.id)})
    assert response.status_code == 303
    assert db_session.scalar(select(ScheduleProctor).where(ScheduleProctor.proctor_id == proctor.id)) is None
    refused_page = committee.get(response.headers["Location"]).get_data(as_text=True)
    assert "dicoret" in refused_page
    # The last day is written as a person reads it (day, Indonesian month, year), not as an ISO code.
    last = utcnow().date() + timedelta(days=30)
    assert until not in refused_page
    assert f"{last.day} {INDONESIAN_MONTHS[last.month - 1]} {last.year}" in refused_page
    # The removed committee member may not act on an application.
    application = apply_directly(app, db_session, period, make_user("candidate"))
    with app.app_context():
        with pytest.raises(Refusal) as refused:
            selection.decide_application(db_session, application, member.id)
        assert refused.value.code == "oversight.removed_from_committee"


def test_candidates_and_the_public_cannot_read_cases_identities_or_evidence(app, db_session, make_user, evidence_dir):
    period = make_period(app, db_session, make_user("committee"), "ADU3")
    visitor = app.test_client()
    body = file_complaint(
        visitor, period, reporter_name="Rahasia Pelapor", evidence=[(io.BytesIO(PDF), "bukti.pdf")]
    ).get_data(as_text=True)
    complaint = db_session.scalar(select(Complaint).where(Complaint.tracking_code == CODE.search(body).group(1)))
    urls = [
        "/inspektorat/", f"/inspektorat/kasus/{complaint.id}", f"/inspektorat/kasus/{complaint.id}/catatan",
        f"/inspektorat/kasus/{complaint.id}/bukti/{complaint.evidence[0].id}", "/inspektorat/sanksi",
    ]  # fmt: skip
    for url in urls:
        answer = app.test_client().get(url)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/masuk"), url
    for role in ("candidate", "committee", "proctor", "hr_officer", "admin"):
        client = signed_in(app, make_user(role))
        for url in urls:
            answer = client.get(url)
            assert answer.status_code == 403, (role, url)
            assert b"Rahasia Pelapor" not in answer.data and PDF not in answer.data
        posted = post(client, "/akun", f"/inspektorat/kasus/{complaint.id}/telaah", {"reason": "Mencoba menelaah."})
        assert posted.status_code == 403
    db_session.expire_all()
    assert db_session.get(Complaint, complaint.id).status == "received"
    inspector = signed_in(app, make_user("inspector"))
    assert b"Rahasia Pelapor" in inspector.get(f"/inspektorat/kasus/{complaint.id}").data
    assert inspector.get(f"/inspektorat/kasus/{complaint.id}/bukti/{complaint.evidence[0].id}").data == PDF
    # An evidence id of another case is not found through this one.
    assert inspector.get(f"/inspektorat/kasus/{complaint.id + 1}/bukti/{complaint.evidence[0].id}").status_code == 404
    for public in ("/pengaduan/statistik", "/pengaduan/lacak", "/pengaduan"):
        assert b"Rahasia Pelapor" not in visitor.get(public).data


def test_the_demo_inspectorate_has_cases_in_several_states(demo_app):
    """inspektorat@demo.id finds a substantiated case with a confirmed sanction on a committee member,
    an anonymous one under investigation with its session's integrity log, and a received one."""
    from tests.conftest import demo_client

    client = demo_client(demo_app, "inspektorat@demo.id")
    with demo_app.app_context():
        from examserver.extensions import db

        cases = {c.status: c for c in db.session.scalars(select(Complaint))}
        assert set(cases) == {"received", "investigating", "concluded"}
        concluded, open_case = cases["concluded"], cases["investigating"]
        [sanction] = concluded.sanctions
        assert concluded.outcome == "substantiated" and sanction.confirmed_by_id not in (None, sanction.proposed_by_id)
        assert open_case.reporter_name is None and open_case.reporter_contact is None and open_case.evidence
        ids = {status: case.id for status, case in cases.items()}
        assert chain.verify(db.session).ok
    assert all(client.get(f"/inspektorat/kasus/{i}").status_code == 200 for i in ids.values())
    records = client.get(f"/inspektorat/kasus/{ids['investigating']}/catatan").get_data(as_text=True)
    assert 'id="log-integritas"' in records and "Belum ada kejadian" not in records
    assert client.get("/inspektorat/sanksi").status_code == 200
    stats = demo_app.test_client().get("/pengaduan/statistik?periode=CPNS-DEMO-2026").get_data(as_text=True)
    assert re.search(r'data-kind="warning">(\d+)<', stats).group(1) == "1"
    assert "Rudi Hartono" not in stats


def test_a_flood_of_complaints_gets_429_and_stores_nothing(app, client, db_session, make_user, evidence_dir, clock):
    period = make_period(app, db_session, make_user("committee"), "ADU4")
    accepted = 0
    while (response := file_complaint(client, period)).status_code == 200:
        accepted += 1
        assert accepted < 50, "no limit on the complaint form"
    assert response.status_code == 429 and accepted >= 3
    stored = db_session.scalar(select(func.count(Complaint.id)).where(Complaint.period_id == period.id))
    assert stored == accepted
    # Guessing secrets on the tracking page is limited too.
    guesses = 0
    while (response := follow(client, "PGD-AAAAAAAA", f"tebakan-{guesses}")).status_code == 200:
        guesses += 1
        assert guesses < 50, "no limit on the tracking form"
    assert response.status_code == 429
    clock.advance(11 * 60)  # the window passes
    assert file_complaint(client, period).status_code == 200


def test_the_case_pages_speak_indonesian_and_name_whose_session_the_log_is(
    app, db_session, make_user, exam_factory, evidence_dir
):
    """What the walk at 360 px found: English validator messages, a nameless session log, seconds
    with a decimal point and a small evidence file of "0 KB"."""
    candidate, exam = exam_factory()
    player = Player(signed_in(app, candidate), exam.id)
    assert player.start().status_code == 200
    events = [{"kind": "focus_lost", "duration_ms": 46600}]
    assert player.save({"position": 1, "seq": 1, "response": "1"}, events=events).status_code == 200
    period = make_period(app, db_session, make_user("committee"), "ADU5", schedule_id=exam.schedule_id)
    body = file_complaint(app.test_client(), period, evidence=[(io.BytesIO(PDF), "bukti.pdf")]).get_data(as_text=True)
    complaint = db_session.scalar(select(Complaint).where(Complaint.tracking_code == CODE.search(body).group(1)))
    client = signed_in(app, make_user("inspector"))
    page = f"/inspektorat/kasus/{complaint.id}"
    assert "bukti.pdf</a> · 1 KB" in client.get(page).get_data(as_text=True)

    # Empty and too-short fields are refused in Indonesian, each beside its field.
    response = post(client, page, f"{page}/telaah", {"reason": ""})
    text = response.get_data(as_text=True)
    assert 'id="reason-error">Wajib diisi.<' in text and "This field is required" not in text
    response = post(client, page, f"{page}/telaah", {"reason": "singkat", "staff_email": "x" * 201})
    text = response.get_data(as_text=True)
    assert 'id="reason-error">Tulis antara 10 dan 4000 karakter.<' in text
    assert 'id="staff_email-error">Terlalu panjang: paling banyak 200 karakter.<' in text
    assert "Field must be" not in text

    reason = "Laporan rinci; sesi peserta diperiksa."
    assert (
        post(client, page, f"{page}/telaah", {"reason": reason, "session_number": exam.registration_number}).status_code
        == 303
    )
    # The log names whose session it is (the sanction form asks for that person's email) and
    # writes seconds with a decimal comma.
    records = client.get(f"{page}/catatan").get_data(as_text=True)
    assert candidate.full_name in records and candidate.email in records
    assert "46,6 dtk" in records and "46.6 dtk" not in records

    response = post(
        client, page, f"{page}/simpulkan", {"outcome": "substantiated", "reason": "", "public_conclusion": ""}
    )
    text = response.get_data(as_text=True)
    assert 'id="public_conclusion-error">Wajib diisi.<' in text and "This field is required" not in text
    follow_page = app.test_client()
    token = csrf_token(follow_page, "/pengaduan/lacak")
    text = follow_page.post("/pengaduan/lacak", data={"csrf_token": token, "tracking_code": "", "secret": ""}).get_data(
        as_text=True
    )
    assert 'id="tracking_code-error">Wajib diisi.<' in text and 'id="secret-error">Wajib diisi.<' in text
