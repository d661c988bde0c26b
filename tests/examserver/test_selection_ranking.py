"""Selection, slices 3-4: ranking from exam results and field scores, exports, blind interviews,
signed announcements that anyone can verify, corrections, and the integrity checkpoints."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openpyxl import load_workbook
from sqlalchemy import select

from examserver.delivery.models import SessionResult
from examserver.delivery.services import enrol
from examserver.selection import services
from examserver.selection.announcements import VERIFY_COMMAND
from examserver.selection.models import Announcement, Application, ImmutableAnnouncementError, SelectionPeriod
from examserver.selection.rules import rules_from_json
from itembank.database import utcnow
from itembank.refusal import Refusal
from proctoring import chain
from tests.conftest import csrf_token, login

#: Two-section rules fitting the test blueprint of ``exam_factory`` (TWK and TKP, 15 points each).
RULES = {
    "sections": [{"name": "TWK", "maximum": 15.0}, {"name": "TKP", "maximum": 15.0}],
    "thresholds": [{"category": "general", "minimums": {"TWK": 5.0, "TKP": 5.0}, "total_minimum": None}],
    "weights": {
        "basic": 0.4, "field": 0.6,
        "components": [
            {"name": "CAT", "kind": "computer", "weight": 0.6, "maximum": 100.0},
            {"name": "WAWANCARA", "kind": "interview", "weight": 0.25, "maximum": 100.0},
            {"name": "REKAM_JEJAK", "kind": "other", "weight": 0.15, "maximum": 100.0},
        ],
        "min_computer": 0.5, "max_interview": 0.3, "max_other": 0.2,
    },
    "shortlist": {"multiple": 3, "order": ["basic_total", "section:TKP", "section:TWK"]},
    "tie_break": ["final", "basic_total", "section:TKP", "section:TWK", "education", "birth_date"],
    "fill_vacancies": True,
    "score_decimals": 6,
}  # fmt: skip
#: (TWK, TKP) per applicant; None: did not sit the basic test.
SCORES = {"A": (15.0, 12.0), "B": (10.0, 12.0), "C": (10.0, 11.0), "D": (4.0, 15.0), "E": None}


@pytest.fixture
def signing_key(app, monkeypatch):
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    monkeypatch.setitem(app.config, "SELECTION_SIGNING_KEY", pem.decode())
    return pem


@pytest.fixture
def ranked(app, db_session, exam_factory, make_user, signing_key):
    """A period on an ended sitting: five accepted applicants to one seat; returns ids by letter."""
    candidate, exam = exam_factory()
    schedule = exam.schedule
    sections = {s.competency.code.rsplit(".", 1)[-1]: s.id for s in schedule.blueprint.sections}
    member = make_user("committee")
    now = utcnow()
    period = services.save_period(
        db_session, None, actor_id=member.id, code="RANK26", title="Seleksi uji", agency="Instansi Uji",
        description="", applications_open_at=now - timedelta(days=2), applications_close_at=now + timedelta(days=2),
        appeal_days=3, schedule_id=schedule.id, rules=RULES,
    )  # fmt: skip
    position = services.save_position(
        db_session, period, None, code="ANALIS", agency="Instansi Uji", title="Analis", unit="Biro", location="Kota",
        quota=1, education="S-1", categories=["general"], required_documents=["ktp"], competency_profile={},
    )  # fmt: skip
    people = {}
    for n, (letter, scores) in enumerate(SCORES.items()):
        user = candidate if n == 0 else make_user("candidate", full_name=f"Pelamar {letter}")
        if n == 0:
            db_session.get(type(user), user.id).full_name = "Pelamar A"
        seat = exam if n == 0 else enrol(db_session, schedule, user.id)
        if scores is not None:
            seat.status, seat.started_at = "submitted", now - timedelta(hours=1)
            seat.deadline_at, seat.ended_at = now, now - timedelta(minutes=5)
            db_session.add(
                SessionResult(
                    session_id=seat.id, verification_code=f"UJI-{letter}", total_raw=sum(scores), total_max=30.0,
                    passed=True, sections=[
                        {"id": sections["TWK"], "raw": scores[0]}, {"id": sections["TKP"], "raw": scores[1]},
                    ],
                )
            )  # fmt: skip
            chain.append(db_session, seat.id, "note", None, {"letter": letter})
            chain.checkpoint(db_session, seat.id)
        application = Application(
            period_id=period.id, position_id=position.id, candidate_id=user.id, registration_number=f"RANK26-{letter}",
            category="general", education_score=3.0, birth_date=date(1995, 1, 1), status="accepted",
            submitted_at=now, decided_at=now, decided_by_id=member.id,
        )  # fmt: skip
        db_session.add(application)
        db_session.flush()
        people[letter] = application.id
    db_session.commit()
    return {"period_id": period.id, "applications": people, "member": member}


def committee(app, make_user):
    user = make_user("committee")
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    return client, user


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_basic_ranking_applies_thresholds_absence_and_the_shortlist(app, ranked, make_user):
    client, _member = committee(app, make_user)
    period_id = ranked["period_id"]
    page = client.get(f"/seleksi/panitia/periode/{period_id}/peringkat").get_data(as_text=True)
    assert "RANK26-A" in page and "Pelamar A" not in page  # registration numbers only
    rows = {
        r["Nomor peserta"]: r
        for r in rows_of(client.get(f"/seleksi/panitia/periode/{period_id}/peringkat.csv").data.decode())
    }
    assert rows["RANK26-D"]["Status (kode)"] == "BELOW_THRESHOLD"  # TWK 4 < 5
    assert rows["RANK26-E"]["Status (kode)"] == "ABSENT"
    assert rows["RANK26-E"]["Status"] == "tidak hadir"  # the label beside the code
    # Quota 1, shortlist 3x: A (27), B (22), C (21) go through, ranked by total.
    assert [rows[k]["Peringkat SKD"] for k in ("RANK26-A", "RANK26-B", "RANK26-C")] == ["1", "2", "3"]
    assert {rows[k]["Status (kode)"] for k in ("RANK26-A", "RANK26-B", "RANK26-C")} == {"SHORTLISTED"}
    assert "Nama" not in rows["RANK26-A"]

    xlsx = client.get(f"/seleksi/panitia/periode/{period_id}/peringkat.xlsx")
    assert xlsx.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Nomor peserta" and len(values) == 6
    by_number = {row[0]: row for row in values[1:]}
    assert by_number["RANK26-A"][values[0].index("Total SKD")] == 27.0
    # The sheet is named by the stage's label, not its code ("basic"), and its scores show two decimals.
    assert sheet.title == "Seleksi kompetensi dasar (SKD)"
    total = sheet.cell(row=2, column=values[0].index("Total SKD") + 1)
    assert total.number_format == "0.00"


def test_the_committees_ranking_shows_and_exports_scores_two_decimals_would_merge(app, ranked, make_user):
    """Two candidates whose final scores differ only in the third decimal are ranked apart: the page
    and the CSV write that third decimal, the workbook shows it (its cells hold the exact score)."""
    from examserver.selection import committee_views

    client, _member = committee(app, make_user)
    period_id = ranked["period_id"]
    with app.test_request_context():
        real = committee_views.ScoreDecimals.of

    def of(result):  # the SKD totals' column as if two of them differed only in the third decimal
        decimals = real(result)
        return committee_views.ScoreDecimals(decimals.sections, 3, decimals.field, decimals.final)

    base = f"/seleksi/panitia/periode/{period_id}/peringkat"
    page = client.get(base).get_data(as_text=True)
    assert "27,00" in page and "27,000" not in page  # SKD totals tell apart at two decimals
    committee_views.ScoreDecimals.of = of
    try:
        page = client.get(base).get_data(as_text=True)
        rows = list(csv.DictReader(io.StringIO(client.get(f"{base}.csv").data.decode())))
        sheet = load_workbook(io.BytesIO(client.get(f"{base}.xlsx").data)).active
    finally:
        committee_views.ScoreDecimals.of = real
    assert "27,000" in page
    assert {r["Total SKD"] for r in rows if r["Nomor peserta"] == "RANK26-A"} == {"27.000"}
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("Total SKD") + 1).number_format == "0.000"


ASPECTS = {
    "interview": ("integrity", "communication", "teamwork", "service", "motivation"),
    "track_record": ("education", "experience", "appraisal"),
}


def rubric(client, application_id, level, kind="interview"):
    token = csrf_token(client, f"/seleksi/panitia/lamaran/{application_id}")
    data = {f"{kind}-csrf_token": token, **{f"{kind}-{key}": str(level) for key in ASPECTS[kind]}}
    return client.post(f"/seleksi/panitia/lamaran/{application_id}/rubrik/{kind}", data=data, follow_redirects=True)


def score(client, application_id, value):
    token = csrf_token(client, f"/seleksi/panitia/lamaran/{application_id}")
    data = {"csrf_token": token, "component": "CAT", "score": str(value)}
    return client.post(f"/seleksi/panitia/lamaran/{application_id}/nilai", data=data)


def test_rubrics_are_blind_until_two_are_in_and_the_final_ranking_uses_them(app, ranked, make_user, db_session):
    ids = ranked["applications"]
    first, _member = committee(app, make_user)
    second, _ = committee(app, make_user)
    for letter, cat in (("A", 60), ("B", 90), ("C", 70)):
        assert score(first, ids[letter], cat).status_code == 303
    token = csrf_token(first, f"/seleksi/panitia/lamaran/{ids['A']}")
    too_high = first.post(
        f"/seleksi/panitia/lamaran/{ids['A']}/nilai",
        data={"csrf_token": token, "component": "CAT", "score": "140"},
        follow_redirects=True,
    )
    assert "Nilai harus antara 0 dan 100" in too_high.get_data(as_text=True)
    assert "Nilai rubrik disimpan." in rubric(first, ids["B"], 4).get_data(as_text=True)
    own = first.get(f"/seleksi/panitia/lamaran/{ids['B']}").get_data(as_text=True)
    assert "Nilai Anda: 80,00" in own and "Penilai 1" not in own  # the other score is not shown yet
    assert "Anda sudah mengisi rubrik ini" in rubric(first, ids["B"], 5).get_data(as_text=True)
    rubric(second, ids["B"], 2)
    both = first.get(f"/seleksi/panitia/lamaran/{ids['B']}").get_data(as_text=True)
    assert "Penilai 1: 80,00" in both and "Penilai 2: 40,00" in both
    # Track record: the same blind rubric, by the two scorers independently.
    assert "Nilai rubrik disimpan." in rubric(first, ids["B"], 5, "track_record").get_data(as_text=True)
    rubric(second, ids["B"], 4, "track_record")
    for letter in ("A", "C"):
        for client in (first, second):
            rubric(client, ids[letter], 3)
            rubric(client, ids[letter], 3, "track_record")
    with pytest.raises(Refusal) as refused:
        services.enter_field_score(db_session, db_session.get(Application, ids["A"]), _member.id, "REKAM_JEJAK", 90)
    assert refused.value.code == "selection.component_unknown"  # rubric components are never typed in directly

    rows = {
        r["Nomor peserta"]: r
        for r in rows_of(
            first.get(f"/seleksi/panitia/periode/{ranked['period_id']}/peringkat.csv?tahap=final").data.decode()
        )
    }
    # final = 0.4 * 100 * total / 30 + 0.6 * (0.6 * CAT + 0.25 * interview + 0.15 * track record)
    expected = 0.4 * 100 * 22 / 30 + 0.6 * (0.6 * 90 + 0.25 * 60 + 0.15 * 90)
    # Written to two decimals, as the ranking page shows them (not "78.833333").
    assert rows["RANK26-B"]["Nilai akhir"] == f"{round(expected, 2)}" == "78.83"
    assert rows["RANK26-B"]["Status (kode)"] == "SELECTED" and rows["RANK26-B"]["Peringkat akhir"] == "1"
    assert {rows["RANK26-A"]["Status (kode)"], rows["RANK26-C"]["Status (kode)"]} == {"NOT_SELECTED"}


def publish(client, period_id, stage="basic", **extra):
    token = csrf_token(client, f"/seleksi/panitia/periode/{period_id}/umumkan")
    data = {"csrf_token": token, "stage": stage, "title": "Hasil SKD", "replaces": "0", "correction_reason": ""}
    data["understood"] = "y"  # the box saying the announcement is public and final
    data.update(extra)
    return client.post(f"/seleksi/panitia/periode/{period_id}/umumkan", data=data)


def test_publishing_asks_to_tick_that_the_announcement_is_public_and_final(app, ranked, make_user, db_session):
    client, _member = committee(app, make_user)
    form = client.get(f"/seleksi/panitia/periode/{ranked['period_id']}/umumkan").get_data(as_text=True)
    assert "tidak dapat diubah atau ditarik" in form and 'name="understood"' in form
    unticked = publish(client, ranked["period_id"], understood="")
    assert unticked.status_code == 200 and 'id="understood-error"' in unticked.get_data(as_text=True)
    assert 'value="Hasil SKD"' in unticked.get_data(as_text=True)  # what was typed is kept
    assert db_session.scalar(select(Announcement)) is None


def test_a_published_announcement_verifies_and_one_changed_byte_fails(app, ranked, make_user, tmp_path, db_session):
    client, _member = committee(app, make_user)
    response = publish(client, ranked["period_id"])
    assert response.status_code == 303
    item = db_session.scalar(select(Announcement))
    public = app.test_client()
    page = public.get(f"/seleksi/pengumuman/{item.id}").get_data(as_text=True)
    assert "Pelamar A" in page and item.sha256 in page and "cryptography" in page  # names appear when published
    csv_bytes = public.get(f"/seleksi/pengumuman/{item.id}/pengumuman.csv").data
    signature = public.get(f"/seleksi/pengumuman/{item.id}/pengumuman.sig").data
    key = public.get("/seleksi/kunci-publik.pem").data
    assert key.startswith(b"-----BEGIN PUBLIC KEY-----")
    import hashlib

    assert hashlib.sha256(csv_bytes).hexdigest() == item.sha256
    (tmp_path / "p.csv").write_bytes(csv_bytes)
    (tmp_path / "p.sig").write_bytes(signature)
    (tmp_path / "k.pem").write_bytes(key)
    tampered = bytearray(csv_bytes)
    tampered[tampered.index(b"SHORTLISTED")] ^= 0x01  # one byte
    (tmp_path / "bad.csv").write_bytes(bytes(tampered))

    runner = app.test_cli_runner()
    ok = runner.invoke(args=["selection", "verify-announcement", str(tmp_path / "p.csv"), str(tmp_path / "p.sig"),
                             "--public-key", str(tmp_path / "k.pem")])  # fmt: skip
    assert ok.exit_code == 0 and "OK" in ok.output
    bad = runner.invoke(args=["selection", "verify-announcement", str(tmp_path / "bad.csv"), str(tmp_path / "p.sig")])
    assert bad.exit_code == 1

    # The command documented on the page, run as a member of the public would.
    command = VERIFY_COMMAND.replace("python3", sys.executable, 1)
    good = subprocess.run(command + "p.csv p.sig k.pem", shell=True, cwd=tmp_path, capture_output=True, text=True)
    assert good.returncode == 0 and good.stdout.strip() == "OK"
    broken = subprocess.run(command + "bad.csv p.sig k.pem", shell=True, cwd=tmp_path, capture_output=True, text=True)
    assert broken.returncode != 0 and "InvalidSignature" in broken.stderr

    checkpoints = public.get(f"/seleksi/pengumuman/{item.id}/titik-periksa").get_data(as_text=True)
    assert len(item.session_ids) == 4  # A-D sat the test; E did not
    for session_id in item.session_ids:
        assert chain.latest_checkpoint(db_session, session_id).root_hash in checkpoints


def test_announcements_are_immutable_and_corrections_reference_the_replaced_one(app, ranked, make_user, db_session):
    client, _member = committee(app, make_user)
    publish(client, ranked["period_id"])
    original = db_session.scalar(select(Announcement))
    page = publish(client, ranked["period_id"], replaces=str(original.id), correction_reason="x")
    assert "alasan koreksi" in page.get_data(as_text=True)
    assert publish(client, ranked["period_id"], stage="final", replaces=str(original.id),
                   correction_reason="Nilai TKP peserta salah entri.").status_code == 200  # fmt: skip
    assert db_session.scalar(select(Announcement).where(Announcement.replaces_id.is_not(None))) is None
    response = publish(
        client, ranked["period_id"], replaces=str(original.id), correction_reason="Nilai TKP salah entri."
    )
    assert response.status_code == 303
    correction = db_session.scalar(select(Announcement).where(Announcement.replaces_id == original.id))
    assert correction.correction_reason == "Nilai TKP salah entri."
    public = app.test_client()
    assert "sudah dikoreksi" in public.get(f"/seleksi/pengumuman/{original.id}").get_data(as_text=True)
    assert "Nilai TKP salah entri." in public.get(f"/seleksi/pengumuman/{correction.id}").get_data(as_text=True)
    feed = public.get("/seleksi/RANK26/feed.atom").get_data(as_text=True)
    assert f"/seleksi/pengumuman/{correction.id}" in feed

    stored = db_session.get(Announcement, original.id)
    stored.csv_text = stored.csv_text.replace("SHORTLISTED", "SELECTED")
    with pytest.raises(ImmutableAnnouncementError):
        db_session.flush()
    db_session.rollback()


def test_the_rubrics_and_weights_are_published(client, ranked, db_session):
    period = db_session.get(SelectionPeriod, ranked["period_id"])
    assert [c.kind for c in rules_from_json(period.rules).weights.components] == ["computer", "interview", "other"]
    page = client.get("/seleksi/RANK26/rubrik").get_data(as_text=True)
    for text in (
        "Rekam jejak: 15%",
        "Wawancara: 25%",
        "Integritas dan moralitas",
        "Pengalaman kerja yang relevan",
        "lebih dari 5 tahun",
    ):
        assert text in page
    assert "REKAM_JEJAK" not in page  # the component is named by its rubric, not by its code in the rules
