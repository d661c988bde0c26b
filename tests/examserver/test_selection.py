"""Selection, slices 1-2: periods and positions, public vacancy pages, applications with
documents, verification, appeals and conflict-of-interest refusals."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from examserver.selection import services
from examserver.selection.models import Application, ApplicationDocument, Position, SelectionAppeal, SelectionPeriod
from examserver.selection.rules import default_rules_json, rules_from_json
from itembank.database import utcnow
from itembank.refusal import Refusal
from scoring.selection import national_rules
from tests.conftest import csrf_token, login

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "SELECTION_UPLOAD_DIR", str(folder))
    return folder


@pytest.fixture
def period(app, db_session, make_user):
    """An open period (national rules) with two positions; returns the period."""
    member = make_user("committee")
    now = utcnow()
    with app.app_context():
        period = services.save_period(
            db_session,
            None,
            actor_id=member.id,
            code="SEL2026",
            title="Seleksi CPNS Kementerian Contoh 2026",
            agency="Kementerian Contoh",
            description="",
            applications_open_at=now - timedelta(days=1),
            applications_close_at=now + timedelta(days=1),
            appeal_days=3,
            schedule_id=None,
            rules=default_rules_json(),
            stages={"administrative": (now + timedelta(days=1), now + timedelta(days=3))},
        )
        for code, quota in (("ANALIS", 2), ("PRANATA", 1)):
            services.save_position(
                db_session,
                period,
                None,
                code=code,
                agency="Kementerian Contoh",
                title=f"Jabatan {code}",
                unit="Biro Umum",
                location="Jakarta",
                quota=quota,
                education="S-1 Akuntansi",
                categories=["general", "disability"],
                required_documents=["ktp", "ijazah"],
                competency_profile={"integritas": 3},
            )
        db_session.commit()
    return period


def test_default_rules_are_the_national_rules():
    rules = rules_from_json(json.loads(json.dumps(default_rules_json())))
    assert rules == national_rules()


def test_committee_creates_a_period_and_a_position_through_the_pages(client, login_as, db_session):
    login_as("committee")
    form = client.get("/seleksi/panitia/periode/baru").get_data(as_text=True)
    assert "&#34;TWK&#34;: 65.0" in form or '"TWK": 65.0' in form  # national rules prefilled
    token = csrf_token(client, "/seleksi/panitia/periode/baru")
    data = {
        "csrf_token": token, "code": "cpns-27", "title": "CPNS 2027", "agency": "Pemkot Contoh",
        "description": "", "applications_open_at": "2027-01-01T08:00", "applications_close_at": "2027-01-20T16:00",
        "appeal_days": "3", "schedule": "0", "rules": json.dumps(default_rules_json()), "interviewers_required": "3",
        "basic_start": "2027-02-01T07:00", "basic_end": "2027-02-03T17:00", "administrative_end": "2027-01-25T16:00",
    }  # fmt: skip
    response = client.post("/seleksi/panitia/periode/baru", data=data)
    assert response.status_code == 303
    period = db_session.scalar(select(SelectionPeriod).where(SelectionPeriod.code == "CPNS-27"))
    assert rules_from_json(period.rules) == national_rules()
    assert {s.kind for s in period.stages} == {"administrative", "basic"}
    assert period.interviewers_required == 3

    token = csrf_token(client, f"/seleksi/panitia/periode/{period.id}/formasi/baru")
    response = client.post(
        f"/seleksi/panitia/periode/{period.id}/formasi/baru",
        data={
            "csrf_token": token,
            "code": "dokter",
            "agency": "Pemkot Contoh",
            "title": "Dokter Ahli Pertama",
            "unit": "Puskesmas Kota",
            "location": "Kota Contoh",
            "quota": "3",
            "education": "Profesi dokter",
            "categories": ["general", "papua"],
            "required_documents": ["ktp", "ijazah", "str"],
            "competency_profile": '{"pelayanan": 4}',
        },  # fmt: skip
    )
    assert response.status_code == 303
    position = db_session.scalar(select(Position).where(Position.period_id == period.id))
    assert (position.code, position.quota, position.required_documents) == ("DOKTER", 3, ["ktp", "ijazah", "str"])
    assert position.competency_profile == {"pelayanan": 4}


def test_bad_rules_are_refused_with_a_translated_message_and_nothing_is_saved(client, login_as, db_session):
    login_as("committee")
    rules = default_rules_json()
    rules["weights"]["basic"] = 0.5  # 0.5 + 0.6 != 1
    token = csrf_token(client, "/seleksi/panitia/periode/baru")
    data = {
        "csrf_token": token, "code": "BAD", "title": "x", "agency": "y", "description": "",
        "applications_open_at": "2027-01-01T08:00", "applications_close_at": "2027-01-20T16:00",
        "interviewers_required": "2",
        "appeal_days": "3", "schedule": "0", "rules": json.dumps(rules),
    }  # fmt: skip
    html = client.post("/seleksi/panitia/periode/baru", data=data).get_data(as_text=True)
    assert "Aturan seleksi tidak sah" in html
    assert db_session.scalar(select(SelectionPeriod).where(SelectionPeriod.code == "BAD")) is None
    data["rules"] = "{not json"
    assert "JSON yang sah" in client.post("/seleksi/panitia/periode/baru", data=data).get_data(as_text=True)


def test_public_vacancy_page_feed_and_poster(client, period):
    html = client.get("/seleksi/SEL2026").get_data(as_text=True)
    assert "Jabatan ANALIS" in html and "S-1 Akuntansi" in html and "KTP elektronik" in html
    assert "Seleksi administrasi" in html  # a stage with its dates
    feed = client.get("/seleksi/SEL2026/feed.atom")
    assert feed.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.find("a:title", ns).text == "Seleksi CPNS Kementerian Contoh 2026"
    assert "2 formasi, 3 kursi" in root.find("a:entry/a:summary", ns).text
    poster = client.get("/seleksi/SEL2026/poster").get_data(as_text=True)
    assert "Jabatan PRANATA" in poster and "/seleksi/SEL2026" in poster
    assert client.get("/seleksi/TIDAK-ADA").status_code == 404
    everything = ET.fromstring(client.get("/seleksi/feed.atom").data)
    titles = [entry.find("a:title", ns).text for entry in everything.findall("a:entry", ns)]
    assert titles == ["Seleksi CPNS Kementerian Contoh 2026"]
    listing = client.get("/seleksi/").get_data(as_text=True)
    assert "/seleksi/SEL2026" in listing and "/seleksi/feed.atom" in listing
    assert "/seleksi/" in client.get("/masuk").get_data(as_text=True)  # reachable from every page's footer


def apply_as(client, period, position_code="ANALIS", category="general", token_from=None):
    from examserver.extensions import db

    position = db.session.scalar(
        select(Position).where(Position.period_id == period.id, Position.code == position_code)
    )
    token = csrf_token(client, token_from or f"/seleksi/{period.code}/lamar")
    return client.post(
        f"/seleksi/{period.code}/lamar",
        data={
            "csrf_token": token,
            "position": str(position.id),
            "category": category,
            "education_score": "3.5",
            "birth_date": "1998-05-01",
        },  # fmt: skip
    )


def upload(client, application_id, doc_type, name, data):
    import io

    token = csrf_token(client, f"/seleksi/lamaran/{application_id}")
    return client.post(
        f"/seleksi/lamaran/{application_id}/dokumen",
        data={"csrf_token": token, "doc_type": doc_type, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def submitted_application(client, login_as, period, db_session, **user):
    candidate = login_as("candidate", **user)
    assert apply_as(client, period).status_code == 303
    application = db_session.scalar(select(Application).where(Application.candidate_id == candidate.id))
    assert upload(client, application.id, "ktp", "ktp.png", PNG).status_code == 200
    assert upload(client, application.id, "ijazah", "ijazah saya.pdf", PDF).status_code == 200
    token = csrf_token(client, f"/seleksi/lamaran/{application.id}")
    assert client.post(f"/seleksi/lamaran/{application.id}/kirim", data={"csrf_token": token}).status_code == 303
    db_session.expire_all()
    application = db_session.get(Application, application.id)
    assert len(application.documents) == 2  # loaded now, readable once the session lets go of it
    return candidate, application


def test_candidate_applies_uploads_and_submits(client, login_as, period, db_session, uploads):
    candidate, application = submitted_application(client, login_as, period, db_session)
    assert application.status == "submitted" and application.registration_number.startswith("SEL2026-")
    stored = sorted(p.name for p in uploads.iterdir())
    assert len(stored) == 2
    for document in application.documents:
        assert document.stored_name in stored and document.original_name not in stored
    assert application.documents[1].original_name == "ijazah saya.pdf"
    own = client.get(f"/seleksi/lamaran/{application.id}/dokumen/{application.documents[1].id}")
    assert own.status_code == 200 and own.data == PDF
    # After submission nothing changes.
    assert "tidak dapat diubah" in upload(client, application.id, "ktp", "ktp.png", PNG).get_data(as_text=True)
    assert "tidak dapat diubah" in apply_as(client, period, "PRANATA", token_from="/tentang").get_data(as_text=True)
    # One application per period: the candidate's list shows one.
    assert client.get("/seleksi/saya").get_data(as_text=True).count(application.registration_number) == 1


def test_a_submitted_application_is_shown_read_only_instead_of_the_form(client, login_as, period, db_session, uploads):
    """While the window is open, a candidate who has submitted sees what was sent and its status,
    not a form that is refused only after Simpan."""
    _candidate, application = submitted_application(client, login_as, period, db_session)
    page = client.get(f"/seleksi/{period.code}/lamar").get_data(as_text=True)
    assert "<form" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    assert 'name="position"' not in page and "Simpan" not in page
    assert "Lamaran sudah dikirim" in page and "tidak dapat diubah lagi" in page
    assert application.registration_number in page and "3,50" in page and "1 Mei 1998" in page
    assert '<span class="badge">dikirim, menunggu verifikasi</span>' in page
    assert f'href="/seleksi/lamaran/{application.id}"' in page


def test_the_apply_form_asks_for_one_category_in_the_singular(client, login_as, period):
    """The committee ticks several "Applicant categories"; a candidate chooses one."""
    login_as("candidate")
    page = client.get(f"/seleksi/{period.code}/lamar").get_data(as_text=True)
    assert ">Kategori pelamar Anda<" in page
    client.post("/bahasa", data={"csrf_token": csrf_token(client, "/tentang"), "lang": "en", "next": "/"})
    english = client.get(f"/seleksi/{period.code}/lamar").get_data(as_text=True)
    assert ">Your applicant category<" in english and "Applicant categories" not in english


def test_submitting_without_every_document_is_refused(client, login_as, period, db_session, uploads):
    candidate = login_as("candidate")
    apply_as(client, period)
    application = db_session.scalar(select(Application).where(Application.candidate_id == candidate.id))
    upload(client, application.id, "ktp", "ktp.png", PNG)
    token = csrf_token(client, f"/seleksi/lamaran/{application.id}")
    page = client.post(f"/seleksi/lamaran/{application.id}/kirim", data={"csrf_token": token}, follow_redirects=True)
    assert "Unggah semua dokumen yang diminta" in page.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Application, application.id).status == "draft"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("ijazah.pdf", EXE, "bukan PDF seperti namanya"),
        ("ijazah.pdf", PDF + b"\x00" * (2 * 1024 * 1024), "terlalu besar"),
        ("../../etc/ijazah.pdf", PDF, "Nama berkas tidak diterima"),
        ("..\\ijazah.pdf", PDF, "Nama berkas tidak diterima"),
        ("ijazah.exe", EXE, "Format berkas tidak diterima"),
        ("ijazah.png", PNG, "Format berkas tidak diterima"),  # a diploma must be a PDF
    ],
    ids=["renamed-executable", "oversized", "path-traversal", "backslash-traversal", "exe", "png-diploma"],
)
def test_upload_attacks_are_refused_with_clear_messages(
    client, login_as, period, db_session, uploads, name, data, message
):
    candidate = login_as("candidate")
    apply_as(client, period)
    application = db_session.scalar(select(Application).where(Application.candidate_id == candidate.id))
    page = upload(client, application.id, "ijazah", name, data).get_data(as_text=True)
    assert message in page
    assert db_session.scalars(select(ApplicationDocument)).all() == []
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_applying_outside_the_window_or_to_a_closed_category_is_refused(client, login_as, period, db_session):
    login_as("candidate")
    assert "tidak dibuka untuk kategori" in apply_as(client, period, category="papua").get_data(as_text=True)
    period = db_session.get(SelectionPeriod, period.id)
    period.applications_close_at = utcnow() - timedelta(minutes=1)
    period.applications_open_at = utcnow() - timedelta(days=2)
    db_session.commit()
    assert "Pendaftaran sudah ditutup" in apply_as(client, period).get_data(as_text=True)
    assert db_session.scalars(select(Application)).all() == []


def test_a_closed_window_shows_the_closure_and_its_dates_instead_of_the_form(client, login_as, period, db_session):
    login_as("candidate")
    period = db_session.get(SelectionPeriod, period.id)
    period.applications_open_at = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    period.applications_close_at = datetime(2026, 3, 31, 16, 59, tzinfo=UTC)
    db_session.commit()
    closed = client.get(f"/seleksi/{period.code}/lamar").get_data(as_text=True)
    assert "Pendaftaran sudah ditutup" in closed and 'name="position"' not in closed
    assert "1 Maret 2026 08.00.00 WIB" in closed and "31 Maret 2026 23.59.00 WIB" in closed


def test_a_window_not_yet_open_says_when_it_opens(client, login_as, period, db_session):
    login_as("candidate")
    period = db_session.get(SelectionPeriod, period.id)
    period.applications_open_at = utcnow() + timedelta(days=1)
    period.applications_close_at = utcnow() + timedelta(days=2)
    db_session.commit()
    early = client.get(f"/seleksi/{period.code}/lamar").get_data(as_text=True)
    assert "Pendaftaran belum dibuka" in early and 'name="position"' not in early


def verify_all(client, application, *, reject=None):
    for document in application.documents:
        token = csrf_token(client, f"/seleksi/panitia/lamaran/{application.id}")
        kind = document.doc_type
        from examserver.selection.documents import DOCUMENT_TYPES

        prefix = f"d{document.id}-"
        data = {"csrf_token": token, prefix + "csrf_token": token}
        if kind == reject:
            data.update({prefix + "verdict": "rejected", prefix + "reason": "Ijazah tidak dilegalisasi."})
        else:
            data.update({
                prefix + "verdict": "accepted",
                prefix + "checklist": [key for key, _label in DOCUMENT_TYPES[kind].checklist],
            })  # fmt: skip
        response = client.post(f"/seleksi/panitia/lamaran/{application.id}/dokumen/{document.id}/periksa", data=data)
        assert response.status_code == 303
    token = csrf_token(client, f"/seleksi/panitia/lamaran/{application.id}")
    return client.post(f"/seleksi/panitia/lamaran/{application.id}/putuskan", data={"csrf_token": token})


def test_verification_rejection_appeal_decided_by_someone_else(
    app, client, login_as, period, db_session, uploads, member_client
):
    candidate, application = submitted_application(client, login_as, period, db_session)
    candidate_client = client
    client, verifier = member_client()
    listing = client.get(f"/seleksi/panitia/periode/{period.id}").get_data(as_text=True)
    assert application.registration_number in listing and candidate.full_name not in listing
    review = client.get(f"/seleksi/panitia/lamaran/{application.id}").get_data(as_text=True)
    assert candidate.full_name not in review and "Dilegalisasi atau asli" in review

    # Accepting without ticking the checklist is refused.
    document = application.documents[0]
    token = csrf_token(client, f"/seleksi/panitia/lamaran/{application.id}")
    refused = client.post(
        f"/seleksi/panitia/lamaran/{application.id}/dokumen/{document.id}/periksa",
        data={f"d{document.id}-csrf_token": token, f"d{document.id}-verdict": "accepted"},
        follow_redirects=True,
    )
    assert "Centang semua butir" in refused.get_data(as_text=True)
    assert verify_all(client, application, reject="ijazah").status_code == 303
    db_session.expire_all()
    application = db_session.get(Application, application.id)
    assert application.status == "rejected" and "dilegalisasi" in application.decision_reason

    page = candidate_client.get(f"/seleksi/lamaran/{application.id}").get_data(as_text=True)
    assert "tidak memenuhi syarat" in page and "Ijazah tidak dilegalisasi." in page
    # The stored reason keeps the document's code; every page names the document by its label.
    assert application.decision_reason.startswith("ijazah: ")
    assert "Alasan: Ijazah: Ijazah tidak dilegalisasi." in page and "ijazah:" not in page
    token = csrf_token(candidate_client, f"/seleksi/lamaran/{application.id}")
    short = candidate_client.post(
        f"/seleksi/lamaran/{application.id}/sanggah", data={"csrf_token": token, "text": "Keberatan."}
    )
    assert short.status_code == 303 and db_session.scalars(select(SelectionAppeal)).all() == []
    text = "Ijazah saya sudah dilegalisasi, cap ada di halaman dua."
    candidate_client.post(f"/seleksi/lamaran/{application.id}/sanggah", data={"csrf_token": token, "text": text})
    appeal = db_session.scalar(select(SelectionAppeal))
    assert appeal.text == text

    # The verifier may not decide the appeal; another member may.
    token = csrf_token(client, f"/seleksi/panitia/lamaran/{application.id}")
    decision = {"csrf_token": token, "outcome": "upheld", "reason": "Cap legalisasi ada di halaman dua."}
    page = client.post(f"/seleksi/panitia/lamaran/{application.id}/sanggah", data=decision, follow_redirects=True)
    assert "tidak memverifikasi lamaran ini" in page.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(SelectionAppeal, appeal.id).status == "open"
    other, _other_member = member_client()
    decision["csrf_token"] = csrf_token(other, f"/seleksi/panitia/lamaran/{application.id}")
    assert other.post(f"/seleksi/panitia/lamaran/{application.id}/sanggah", data=decision).status_code == 303
    db_session.expire_all()
    assert db_session.get(SelectionAppeal, appeal.id).status == "upheld"
    assert db_session.get(Application, application.id).status == "accepted"
    assert verifier.id != db_session.get(SelectionAppeal, appeal.id).decided_by_id
    # The accepted appeal reaches every page that shows the application's and its documents' status.
    assert {d.status for d in db_session.get(Application, application.id).documents} == {"accepted"}
    for page in (
        candidate_client.get(f"/seleksi/lamaran/{application.id}").get_data(as_text=True),
        other.get(f"/seleksi/panitia/lamaran/{application.id}").get_data(as_text=True),
    ):
        assert "ditolak" not in page.replace("Sanggahan", "") and "Ijazah tidak dilegalisasi." not in page
        assert "memenuhi syarat" in page


@pytest.fixture
def member_client(app, make_user):
    """Factory: a new committee member signed in on a client of their own; returns (client, user)."""

    def make():
        user = make_user("committee")
        client = app.test_client()
        assert login(client, user.email).status_code == 302
        return client, user

    return make


def test_appeal_after_the_window_is_refused(client, login_as, period, db_session, uploads, member_client):
    candidate, application = submitted_application(client, login_as, period, db_session)
    client, member = member_client()
    verify_all(client, application, reject="ktp")
    application = db_session.get(Application, application.id)
    application.decided_at = utcnow() - timedelta(days=4)
    db_session.commit()
    with pytest.raises(Refusal) as refused:
        services.file_appeal(db_session, application, "Saya keberatan karena KTP saya jelas terbaca.")
    assert refused.value.code == "selection.appeal_window_closed"
    assert member.id == application.decided_by_id


def test_a_member_with_a_declared_relationship_is_refused_on_that_applicant(
    app, client, login_as, period, db_session, uploads, member_client
):
    candidate, application = submitted_application(client, login_as, period, db_session)
    db_session.get(type(candidate), candidate.id).nik = "3171012345678901"
    db_session.commit()
    client, member = member_client()
    token = csrf_token(client, "/seleksi/panitia/konflik")
    response = client.post(
        "/seleksi/panitia/konflik",
        data={"csrf_token": token, "nik": "3171012345678901", "relationship_text": "adik ipar"},
    )
    assert response.status_code == 303
    document = application.documents[0]
    base = f"/seleksi/panitia/lamaran/{application.id}"
    for path in (base, f"{base}/dokumen/{document.id}"):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/seleksi/panitia/konflik")
    for path in (
        f"{base}/dokumen/{document.id}/periksa",
        f"{base}/putuskan",
        f"{base}/sanggah",
        f"{base}/rubrik/interview",
    ):
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path
    listing = client.get(f"/seleksi/panitia/periode/{period.id}").get_data(as_text=True)
    assert "konflik kepentingan" in listing
    with pytest.raises(Refusal) as refused:
        services.check_document(
            db_session, db_session.get(ApplicationDocument, document.id), member.id,
            accepted=False, checklist=[], reason="Tidak terbaca sama sekali.",
        )  # fmt: skip
    assert refused.value.code == "selection.conflict_of_interest"
    db_session.expire_all()
    assert db_session.get(ApplicationDocument, document.id).status == "pending"


def test_candidates_and_other_staff_get_403_on_committee_selection_pages(app, client, login_as, period):
    login_as("candidate")
    for path in ("/seleksi/panitia", f"/seleksi/panitia/periode/{period.id}", "/seleksi/panitia/konflik"):
        assert client.get(path).status_code == 403
