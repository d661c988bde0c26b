"""Acceptance on a freshly seeded demo: the finished sitting's answers and results are on the chain
(a direct SQL edit of one answer, and separately of a result, makes ``integrity verify`` exit 1
naming the record), the candidate's receipt proves inclusion on the public page (one character
changed does not), the proof checks offline as docs/guide/public.md says, and the announcement commits to
the receipts."""

from __future__ import annotations

import csv
import hashlib
import io
import re

import pytest
from sqlalchemy import select, text

from examserver.accounts.models import User
from examserver.delivery.models import Answer, ExamSchedule, ExamSession, SessionItem
from examserver.demo.finished import CODE
from examserver.extensions import db
from examserver.selection.models import Announcement
from proctoring import receipts
from proctoring.models import Receipt, SittingRoot
from tests.conftest import demo_client


@pytest.fixture(scope="module")
def demo(own_demo):
    """A demo of this module's own: the tests edit rows of the finished sitting."""
    return own_demo("receipts")


def _session_of(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(ExamSession.id)
            .join(ExamSchedule)
            .join(User, User.id == ExamSession.candidate_id)
            .where(ExamSchedule.code == CODE, User.email == email)
        )


def _verify(app):
    return app.test_cli_runner().invoke(args=["integrity", "verify"])


def _sql(app, statement: str, **params):
    with app.app_context():
        db.session.execute(text(statement), params)
        db.session.commit()


def test_the_untouched_demo_verifies(demo):
    result = _verify(demo)
    assert result.exit_code == 0, result.output
    with demo.app_context():
        schedule = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == CODE))
        ended = db.session.scalars(select(ExamSession).where(ExamSession.schedule_id == schedule.id)).all()
        sealed = db.session.scalars(select(Receipt).where(Receipt.schedule_id == schedule.id)).all()
        assert len(sealed) == len(ended) == 60
        assert receipts.latest_root(db.session, schedule.id).tree_size == 60


def test_a_direct_edit_of_an_answer_of_a_closed_demo_session_is_named(demo):
    exam_id = _session_of(demo, "kandidat4@demo.id")
    with demo.app_context():
        answer_id, response = db.session.execute(
            select(Answer.id, Answer.response)
            .join(SessionItem)
            .where(SessionItem.session_id == exam_id, SessionItem.position == 17)
        ).one()
    original = '"' + response + '"'
    changed = '"A"' if response != "A" else '"B"'
    _sql(demo, "UPDATE answer SET response = :r WHERE id = :id", r=changed, id=answer_id)
    broken = _verify(demo)
    assert broken.exit_code == 1
    assert f"answer of session {exam_id} at position 17 was changed" in broken.output, broken.output
    _sql(demo, "UPDATE answer SET response = :r WHERE id = :id", r=original, id=answer_id)
    assert _verify(demo).exit_code == 0


def test_a_direct_edit_of_a_demo_result_is_named(demo):
    exam_id = _session_of(demo, "kandidat4@demo.id")
    _sql(demo, "UPDATE session_result SET total_raw = total_raw + 10 WHERE session_id = :id", id=exam_id)
    broken = _verify(demo)
    assert broken.exit_code == 1
    assert f"result of session {exam_id} was changed (total_raw)" in broken.output, broken.output
    _sql(demo, "UPDATE session_result SET total_raw = total_raw - 10 WHERE session_id = :id", id=exam_id)
    assert _verify(demo).exit_code == 0


def _receipt_on_result_page(demo, email: str) -> tuple[str, str]:
    client = demo_client(demo, email)
    exam_id = _session_of(demo, email)
    page = client.get(f"/ujian/{exam_id}/hasil").get_data(as_text=True)
    found = re.search(r'id="tanda-terima">([A-Z2-7-]+)<', page)
    assert found, page[:2000]
    certificate = client.get(f"/ujian/{exam_id}/sertifikat").get_data(as_text=True)
    assert found.group(1) in certificate
    return found.group(1), page


def test_a_receipt_from_a_demo_result_page_verifies_and_one_changed_character_does_not(demo):
    code, _page = _receipt_on_result_page(demo, "kandidat1@demo.id")
    assert re.fullmatch(r"[A-Z2-7]{5}(-[A-Z2-7]{5}){3}", code)
    public = demo.test_client()
    page = public.get("/ujian/tanda-terima", query_string={"kode": code}).get_data(as_text=True)
    assert "Tanda terima sah" in page and "Jalur audit" in page
    with demo.app_context():
        receipt = db.session.scalar(select(Receipt).where(Receipt.code == code.replace("-", "")))
        root = receipts.latest_root(db.session, receipt.schedule_id)
        assert receipt.final_head in page and root.root_hash in page
    for index in (0, 7, 19):
        plain = code.replace("-", "")
        forged = plain[:index] + ("A" if plain[index] != "A" else "B") + plain[index + 1 :]
        refused = public.get("/ujian/tanda-terima", query_string={"kode": forged}).get_data(as_text=True)
        assert "Tanda terima sah" not in refused and "tidak ditemukan atau tidak sah" in refused
    assert public.get("/ujian/tanda-terima.json", query_string={"kode": forged}).status_code == 404


def _offline_check(proof: dict) -> bool:
    """RFC 9162 section 2.1.3.2, written out again from the RFC with nothing but hashlib."""
    h = lambda b: hashlib.sha256(b).digest()  # noqa: E731
    fn, sn = proof["leaf_index"], proof["tree_size"] - 1
    r = h(b"\0" + bytes.fromhex(proof["leaf"]))
    for p in map(bytes.fromhex, proof["audit_path"]):
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = h(b"\1" + p + r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = h(b"\1" + r + p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r.hex() == proof["root"]


def test_the_proof_checks_offline_and_the_root_is_on_the_sittings_public_pages(demo):
    code, _page = _receipt_on_result_page(demo, "kandidat2@demo.id")
    public = demo.test_client()
    proof = public.get("/ujian/tanda-terima.json", query_string={"kode": code}).get_json()
    assert proof["valid"] and proof["tree_size"] == 60 and len(proof["audit_path"]) >= 5
    assert _offline_check(proof)
    assert not _offline_check({**proof, "leaf": "00" + proof["leaf"][2:]})
    roots = public.get(f"/ujian/tanda-terima/jadwal/{CODE}").get_data(as_text=True)
    scoreboard = public.get(f"/ujian/papan-skor/{CODE}").get_data(as_text=True)
    assert proof["root"] in roots and proof["root"] in scoreboard


def test_a_changed_head_no_longer_proves_inclusion(demo):
    exam_id = _session_of(demo, "kandidat6@demo.id")
    with demo.app_context():
        receipt = db.session.get(Receipt, exam_id)
        code, head = receipt.code, receipt.final_head
    _sql(demo, "UPDATE receipt SET final_head = :h WHERE session_id = :id", h="0" * 64, id=exam_id)
    page = demo.test_client().get("/ujian/tanda-terima", query_string={"kode": code}).get_data(as_text=True)
    assert "Tanda terima tidak sah" in page
    broken = _verify(demo)
    assert broken.exit_code == 1 and f"receipt of session {exam_id}" in broken.output, broken.output
    _sql(demo, "UPDATE receipt SET final_head = :h WHERE session_id = :id", h=head, id=exam_id)
    assert _verify(demo).exit_code == 0


def test_the_demo_announcement_commits_to_every_receipt_behind_it(demo):
    with demo.app_context():
        published = db.session.scalars(select(Announcement).where(Announcement.stage == "basic")).all()
        assert published
        body = published[0].csv_text.split("\n", 1)[1]  # below the signed header line
        rows = list(csv.DictReader(io.StringIO(body)))
        sealed = {r.session_id: r for r in db.session.scalars(select(Receipt).where(
            Receipt.session_id.in_(published[0].session_ids)))}  # fmt: skip
        assert sealed and set(sealed) == set(published[0].session_ids)
        in_csv = {row["tanda_terima"]: row["kepala_rantai"] for row in rows if row["tanda_terima"]}
        for receipt in sealed.values():
            assert in_csv[receipts.readable(receipt.code)] == receipt.final_head
        assert db.session.scalar(select(SittingRoot.id).limit(1)) is not None
