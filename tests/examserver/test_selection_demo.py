"""The demo's selection period, as a committee member and the public would find it."""

from __future__ import annotations

from sqlalchemy import func, select

from examserver.demo.selection import PERIOD, seed_selection
from examserver.extensions import db
from examserver.selection import signing
from examserver.selection.documents import stored_path
from examserver.selection.models import Announcement, Application, SelectionAppeal, SelectionPeriod
from examserver.selection.ranking import rank_period
from examserver.selection.web import upload_dir
from tests.conftest import login


def test_the_demo_period_has_applications_appeals_scores_and_signed_announcements(demo_app):
    with demo_app.test_request_context():
        period = db.session.scalar(select(SelectionPeriod).where(SelectionPeriod.code == PERIOD))
        assert len(period.positions) == 4  # STATISTISI has no applicants: the at-risk analysis flags it
        statuses = dict(
            db.session.execute(
                select(Application.status, func.count())
                .where(Application.period_id == period.id)
                .group_by(Application.status)
            ).all()
        )
        assert statuses == {"accepted": 19, "rejected": 1}
        appeals = sorted(db.session.scalars(select(SelectionAppeal.status)).all())
        assert appeals == ["open", "upheld"]
        for application in db.session.scalars(select(Application).where(Application.period_id == period.id)):
            assert len(application.documents) == 3
            assert all(stored_path(upload_dir(), d.stored_name).is_file() for d in application.documents)
        published = db.session.scalars(select(Announcement).where(Announcement.period_id == period.id)).all()
        assert [a.stage for a in published] == ["administrative", "basic"]
        for item in published:
            assert signing.verify(signing.public_key_pem(), item.csv_text.encode(), item.signature)
        assert "SHORTLISTED" in published[1].csv_text and published[1].session_ids

        final = rank_period(db.session, period, final=True)
        applied = {row.position_code for row in final.rows}
        assert applied == {"ANALIS-KEU", "ANALIS-SDM", "PRANATA-KOMP"}
        for code, seats in final.seats.items():
            assert 0 < seats["filled"] if code in applied else seats["filled"] == 0, code
            assert seats["filled"] <= seats["quota"], code
        assert seed_selection("demo12345") == 0  # idempotent


def test_the_demo_committee_sees_numbers_and_the_public_sees_qualified_per_seat(demo_app):
    client = demo_app.test_client()
    assert login(client, "panitia@demo.id", demo_app.config["DEMO_PASSWORD"]).status_code == 302
    with demo_app.app_context():
        period_id = db.session.scalar(select(SelectionPeriod.id).where(SelectionPeriod.code == PERIOD))
    page = client.get(f"/seleksi/panitia/periode/{period_id}").get_data(as_text=True)
    assert f"{PERIOD}-" in page and "Ahmad Fauzi" not in page
    vacancy = demo_app.test_client().get(f"/seleksi/{PERIOD}").get_data(as_text=True)
    assert "Analis Keuangan Ahli Pertama" in vacancy and "Hasil SKD dan peserta yang lulus ke SKB" in vacancy


def test_the_announcement_page_shows_labels_while_its_csv_stays_as_signed(demo_app):
    """People read headers and labels on the page; programs read the signed CSV, unchanged."""
    client = demo_app.test_client()
    with demo_app.app_context():
        published = db.session.scalars(select(Announcement).order_by(Announcement.id)).all()
        expected = [(a.id, a.csv_text.encode(), a.signature) for a in published[:2]]
        key = signing.public_key_pem()
    words = {1: ("memenuhi syarat", "MEMENUHI_SYARAT"), 2: ("lulus ke SKB", "SHORTLISTED")}
    for (announcement_id, signed, signature), (label, code) in zip(expected, words.values(), strict=True):
        page = client.get(f"/seleksi/pengumuman/{announcement_id}").get_data(as_text=True)
        table = page.split("<table>", 1)[1].split("</table>", 1)[0]
        assert "<th>Nomor peserta</th>" in table and "nomor_peserta" not in table
        assert f"<td>{label}</td>" in table and code not in table
        assert "<td>umum</td>" in table and "<td>general</td>" not in table
        csv_file = client.get(f"/seleksi/pengumuman/{announcement_id}/pengumuman.csv").data
        assert csv_file == signed and code.encode() in csv_file and b"nomor_peserta" in csv_file
        assert signing.verify(key, csv_file, signature)
