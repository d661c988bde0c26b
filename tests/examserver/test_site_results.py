"""Results back from a site (issue 17): candidates sit on a site server, its signed results file is
received at the centre, which verifies every chain before it takes anything; the same scores as on
the site, the same file twice changes nothing, a spoiled file or an answer edited on the site is
refused naming the session, and a later file completes a partial one."""

from __future__ import annotations

import gzip
import io
import json
import sqlite3

import pytest
from sqlalchemy import func, select

from examserver.accounts.models import User
from examserver.delivery.models import Answer, ExamSession, SessionItem, SessionResult
from examserver.extensions import db
from examserver.sites.models import SitePackage
from examserver.sites.results import SITE_IMPORT, receive_results, write_results
from itembank.database import utcnow
from itembank.refusal import Refusal
from proctoring import chain
from proctoring.models import LogEntry, Receipt
from tests.conftest import csrf_token, login
from tests.examserver.player_client import Player
from tests.examserver.site_servers import export_for, holding, site_server


@pytest.fixture
def centre(own_demo, tmp_path):
    """A centre of its own (a demo copy) with a package of DEMO-SKD for three candidates."""
    app = own_demo(f"results-{tmp_path.name}")
    app.exported = export_for(app, tmp_path / "package.json.gz")
    app.code = app.exported.code
    return app


@pytest.fixture
def site(centre, tmp_path):
    """A site server holding the centre's package, released."""
    app = holding(site_server(tmp_path), centre, centre.exported, released=True)
    yield app
    with app.app_context():
        db.engine.dispose()


def sit(site, number: str, pin: str, *, submit: bool = True) -> int:
    """The candidate of ``number`` signs in with the exam card's PIN, answers every item, submits."""
    with site.app_context():
        exam = db.session.scalar(select(ExamSession).where(ExamSession.registration_number == number))
        email, exam_id = db.session.get(User, exam.candidate_id).email, exam.id
    client = site.test_client()
    assert login(client, email, pin).status_code == 302
    player = Player(client, exam_id)
    items = player.start().get_json()["items"]
    saves = [{"position": item["position"], "seq": n, "response": 1 + n % 2} for n, item in enumerate(items, 1)]
    assert player.save(*saves).status_code == 200
    assert player.save({"position": items[0]["position"], "seq": 99, "response": 3}).status_code == 200
    if submit:
        assert player.submit().status_code == 200
    return exam_id


def upload(site, folder) -> bytes:
    with site.app_context():
        path = folder / "hasil.json.gz"
        write_results(db.session, path, now=utcnow())
        return path.read_bytes()


def receive(centre, raw: bytes):
    with centre.app_context():
        received = receive_results(db.session, raw, now=utcnow())
        db.session.commit()
        return received.imported, received.unchanged, received.not_started, received.running, received.problems


def results(app, ids) -> dict[int, tuple]:
    with app.app_context():
        rows = db.session.scalars(select(SessionResult).where(SessionResult.session_id.in_(ids)))
        return {
            r.session_id: (r.total_raw, r.total_max, r.passed, json.dumps(r.sections, sort_keys=True)) for r in rows
        }


def answers(app, ids) -> dict[tuple[int, int], object]:
    with app.app_context():
        rows = db.session.execute(
            select(SessionItem.session_id, SessionItem.position, Answer.response)
            .join(Answer, Answer.session_item_id == SessionItem.id)
            .where(SessionItem.session_id.in_(ids))
        ).all()
        return {(sid, position): response for sid, position, response in rows}


def test_the_centre_takes_the_sites_results_with_the_same_answers_and_scores(centre, site, tmp_path):
    pins = centre.exported.candidate_pins
    sat = [sit(site, number, pin) for number, _name, pin in pins[:2]]  # the third stays away
    imported, unchanged, absent, running, problems = receive(centre, upload(site, tmp_path))
    assert problems == [] and unchanged == [] and running == []
    assert sorted(imported) == sorted(number for number, _, _ in pins[:2]) and absent == [pins[2][0]]
    assert answers(centre, sat) == answers(site, sat) and len(answers(centre, sat)) > 10
    assert results(centre, sat) == results(site, sat) and len(results(centre, sat)) == 2
    with centre.app_context():
        for exam_id in sat:
            exam = db.session.get(ExamSession, exam_id)
            assert exam.status == "submitted" and exam.end_reason == "candidate"
            kinds = db.session.scalars(select(LogEntry.record_type).where(LogEntry.chain_id == exam_id)).all()
            assert SITE_IMPORT in kinds and "result" in kinds
        assert chain.verify(db.session).first_break is None  # the centre's whole log still verifies
        package = db.session.get(SitePackage, centre.exported.package.id)
        assert package.results_verified_at is not None and package.results_problems is None

    # The same file again: nothing changes.
    counted = answers(centre, sat)
    imported, unchanged, *_rest, problems = receive(centre, upload(site, tmp_path))
    assert imported == [] and sorted(unchanged) == sorted(number for number, _, _ in pins[:2]) and problems == []
    assert answers(centre, sat) == counted


def test_a_partial_upload_is_completed_by_the_next(centre, site, tmp_path):
    pins = centre.exported.candidate_pins
    first = sit(site, *pins[0][::2])
    second = sit(site, *pins[1][::2], submit=False)  # still answering when the first file is written
    imported, _, _, running, problems = receive(centre, upload(site, tmp_path))
    assert imported == [pins[0][0]] and running == [pins[1][0]] and problems == []
    with site.app_context():
        exam = db.session.get(ExamSession, second)
        from examserver.delivery.services import end

        end(db.session, exam, now=utcnow(), reason="proctor")
        db.session.commit()
    imported, unchanged, _, running, problems = receive(centre, upload(site, tmp_path))
    assert imported == [pins[1][0]] and unchanged == [pins[0][0]] and running == [] and problems == []
    assert results(centre, [first, second]) == results(site, [first, second])


def test_an_answer_edited_on_the_site_refuses_the_file_and_names_it(centre, site, tmp_path):
    pins = centre.exported.candidate_pins
    sat = [sit(site, number, pin) for number, _name, pin in pins[:2]]
    with sqlite3.connect(site.database) as edit:  # the site operator, straight into the database
        edit.execute(
            "UPDATE answer SET response = '\"X\"' WHERE session_item_id = "
            "(SELECT id FROM session_item WHERE session_id = ? AND position = 2)",
            (sat[1],),
        )
    imported, _, _, _, problems = receive(centre, upload(site, tmp_path))
    assert imported == []
    assert [(name, code) for name, code, _position, _detail in problems] == [(pins[1][0], "answer_not_in_chain")]
    with centre.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(SessionItem).where(SessionItem.session_id.in_(sat))) == 0
        )
        package = db.session.get(SitePackage, centre.exported.package.id)
        assert package.results_verified_at is None and package.results_problems[0][:2] == [
            pins[1][0],
            "answer_not_in_chain",
        ]


def test_a_spoiled_or_foreign_results_file_is_refused(centre, site, tmp_path):
    sit(site, *centre.exported.candidate_pins[0][::2])
    raw = upload(site, tmp_path)
    envelope = json.loads(gzip.decompress(raw))
    sat = next(entry for entry in envelope["manifest"]["sessions"] if entry["answers"])
    sat["answers"][0]["client_seq"] += 1
    for spoiled, code in (
        (gzip.compress(json.dumps(envelope).encode()), "sites.signature_invalid"),
        (raw[:-9], "sites.not_a_package"),
    ):
        with centre.app_context(), pytest.raises(Refusal) as refused:
            receive_results(db.session, spoiled, now=utcnow())
        assert refused.value.code == code
    envelope = json.loads(gzip.decompress(raw))
    envelope["manifest"]["package_id"] = "0" * 32
    with centre.app_context(), pytest.raises(Refusal) as unknown:
        receive_results(db.session, gzip.compress(json.dumps(envelope).encode()), now=utcnow())
    assert unknown.value.code == "sites.results_package_unknown"
    with centre.app_context():
        assert db.session.get(SitePackage, centre.exported.package.id).results_verified_at is None


def test_a_candidate_who_also_sat_at_the_centre_is_flagged_not_merged(centre, site, tmp_path):
    number, _name, pin = centre.exported.candidate_pins[0]
    exam_id = sit(site, number, pin)
    with centre.app_context():  # the same candidate started at the centre too
        exam = db.session.get(ExamSession, exam_id)
        email = db.session.get(User, exam.candidate_id).email
    client = centre.test_client()
    assert login(client, email, centre.config["DEMO_PASSWORD"]).status_code == 302
    assert Player(client, exam_id).start().status_code == 200
    with centre.app_context():
        before = db.session.scalar(
            select(func.count()).select_from(SessionItem).where(SessionItem.session_id == exam_id)
        )
    received = None
    with centre.app_context():
        received = receive_results(db.session, upload(site, tmp_path), now=utcnow())
        db.session.commit()
        assert received.flagged == [number] and received.imported == []
        after = db.session.scalar(
            select(func.count()).select_from(SessionItem).where(SessionItem.session_id == exam_id)
        )
        kinds = db.session.scalars(select(LogEntry.payload["kind"].as_string()).where(LogEntry.chain_id == exam_id))
        assert after == before and "site_duplicate" in set(kinds)


def test_the_receipt_a_candidate_got_on_the_site_is_checked_at_the_centre(centre, site, tmp_path):
    number, _name, pin = centre.exported.candidate_pins[0]
    exam_id = sit(site, number, pin)
    with site.app_context():
        code = db.session.get(Receipt, exam_id).code
    assert receive(centre, upload(site, tmp_path))[0] == [number]
    page = centre.test_client().get(f"/ujian/tanda-terima?kode={code.lower()}").get_data(as_text=True)
    assert "Tanda terima dari lokasi ujian: cocok" in page and "SMA Negeri 1 Muara Bungo" in page
    assert "Tanda terima pusat untuk sesi ini" in page  # the centre sealed the session anew
    unknown = centre.test_client().get("/ujian/tanda-terima?kode=AAAAABBBBBCCCCCDDDDD").get_data(as_text=True)
    assert "tidak ditemukan" in unknown and "dari lokasi ujian" not in unknown


def test_a_receipt_rewritten_on_the_site_refuses_the_file(centre, site, tmp_path):
    number, _name, pin = centre.exported.candidate_pins[0]
    exam_id = sit(site, number, pin)
    with sqlite3.connect(site.database) as edit:  # the operator makes the receipt name another head
        edit.execute("UPDATE receipt SET chain_size = chain_size - 1 WHERE session_id = ?", (exam_id,))
    imported, _, _, _, problems = receive(centre, upload(site, tmp_path))
    assert imported == [] and [(name, code) for name, code, *_ in problems] == [(number, "receipt_not_in_chain")]


def committee_of(centre):
    client = centre.test_client()
    assert login(client, "panitia@demo.id", centre.config["DEMO_PASSWORD"]).status_code == 302
    return client


def post_results(client, raw: bytes):
    token = csrf_token(client, "/panitia/lokasi/hasil")
    data = {"csrf_token": token, "file": (io.BytesIO(raw), "hasil.json.gz")}
    return client.post("/panitia/lokasi/hasil", data=data, content_type="multipart/form-data")


def test_the_committee_receives_a_results_file_on_its_page(centre, site, tmp_path):
    number, _name, pin = centre.exported.candidate_pins[0]
    exam_id = sit(site, number, pin)
    raw = upload(site, tmp_path)
    client = committee_of(centre)
    spoiled = post_results(client, raw[:-9])
    assert spoiled.status_code == 422 and "Berkas ini bukan paket ujian yang dapat dibaca." in spoiled.get_data(True)
    taken = post_results(client, raw)
    assert taken.status_code == 303 and "/panitia/lokasi/jadwal/" in taken.headers["Location"]
    page = client.get(taken.headers["Location"]).get_data(as_text=True)
    assert "Hasil SMAN1-BUNGO diterima: 1 sesi diimpor" in page
    with centre.app_context():
        assert db.session.get(ExamSession, exam_id).status == "submitted"
    assert "0 sesi diimpor, 1 sudah ada" in client.get(post_results(client, raw).headers["Location"]).get_data(True)


def test_a_refused_file_is_shown_problem_by_problem_in_words(centre, site, tmp_path):
    number, _name, pin = centre.exported.candidate_pins[0]
    exam_id = sit(site, number, pin)
    with sqlite3.connect(site.database) as edit:
        edit.execute(
            "UPDATE answer SET response = '\"X\"' WHERE session_item_id = "
            "(SELECT id FROM session_item WHERE session_id = ? AND position = 2)",
            (exam_id,),
        )
    response = post_results(committee_of(centre), upload(site, tmp_path))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Berkas ditolak: tidak ada yang diimpor" in page
    assert number in page and "jawaban diubah setelah disimpan" in page and "answer_not_in_chain" not in page
    assert centre.test_client().get("/panitia/lokasi/hasil").status_code in (302, 303)  # signed out: sign in first


def response_to(item: dict, choice: int):
    """An answer of the item's kind, as the player sends it (the pool mixes kinds, and which item
    comes next depends on the answers so far)."""
    if item["kind"] == "numeric":
        return str(10 + choice)
    option = item["options"][choice % len(item["options"])]["id"]
    return [option] if item["kind"] == "multiple" else option


def test_an_adaptive_sitting_runs_on_the_site_and_comes_back_with_the_same_score(own_demo, tmp_path):
    """DEMO-CAT: the package carries the pool with its current parameters, the site chooses each next
    item itself (the centre is not asked), and the centre scores the imported session the same."""
    centre = own_demo(f"results-cat-{tmp_path.name}")
    exported = export_for(centre, tmp_path / "cat.json.gz", schedule="DEMO-CAT", seats=1)
    site = holding(site_server(tmp_path), centre, exported, released=True)
    number, _name, pin = exported.candidate_pins[0]
    client = site.test_client()
    assert login(client, number, pin).status_code == 302
    with site.app_context():
        exam_id = db.session.scalar(select(ExamSession.id).where(ExamSession.registration_number == number))
    player = Player(client, exam_id)
    first = player.start().get_json()
    assert first["mode"] == "adaptive"
    count = first["item_count"]
    for position in range(1, count + 1):  # each next item is chosen on the site from the answers so far
        shown = player.item(position)
        assert shown.status_code == 200, position
        item = shown.get_json()
        save = {"position": position, "seq": position, "response": response_to(item, position)}
        assert player.save(save).status_code == 200, (item["kind"], save)
    assert player.submit().status_code == 200
    imported, _, _, _, problems = receive(centre, upload(site, tmp_path))
    assert imported == [number] and problems == []
    assert results(centre, [exam_id]) == results(site, [exam_id]) and len(results(centre, [exam_id])) == 1
    with site.app_context():
        db.engine.dispose()
