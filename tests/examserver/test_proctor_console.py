"""The proctor console: assigned sessions only, live room, actions, review queue, decisions, appeals."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from examserver.delivery.models import ExamSession
from proctoring.models import Appeal, IntegrityEvent, ProctorDecision, ScheduleProctor
from tests.conftest import csrf_token, login
from tests.examserver.player_client import Player
from tests.examserver.test_registration import field_errors


@pytest.fixture
def room(app, db_session, exam_factory, make_user):
    """A running session, its proctor (assigned) and another proctor (not assigned)."""
    candidate, exam = exam_factory()
    proctor, outsider = make_user("proctor"), make_user("proctor")
    db_session.add(ScheduleProctor(schedule_id=exam.schedule_id, proctor_id=proctor.id))
    db_session.commit()
    candidate_client = app.test_client()
    login(candidate_client, candidate.email)
    player = Player(candidate_client, exam.id)
    assert player.start().status_code == 200
    proctor_client = app.test_client()
    login(proctor_client, proctor.email)
    return {"exam": exam, "player": player, "proctor": proctor, "client": proctor_client, "outsider": outsider}


def act(room, action, **fields):
    client, exam = room["client"], room["exam"]
    token = csrf_token(client, f"/pengawas/sesi/{exam.id}")
    data = {"csrf_token": token, "action": action, "category": "examinee.misconduct", "comment": "", **fields}
    return client.post(f"/pengawas/sesi/{exam.id}/tindakan", data=data)


def test_a_proctor_sees_only_assigned_sessions(app, room):
    exam = room["exam"]
    assert room["client"].get(f"/pengawas/jadwal/{exam.schedule_id}").status_code == 200
    outsider = app.test_client()
    login(outsider, room["outsider"].email)
    for path in (
        f"/pengawas/jadwal/{exam.schedule_id}",
        f"/pengawas/jadwal/{exam.schedule_id}/langsung.json",
        f"/pengawas/jadwal/{exam.schedule_id}/telaah",
        f"/pengawas/sesi/{exam.id}",
        f"/pengawas/jadwal/{exam.schedule_id}/pelanggaran.csv",
    ):
        assert outsider.get(path).status_code == 404, path
    assert exam.schedule.code not in outsider.get("/pengawas/").get_data(as_text=True)


def test_candidates_get_403_on_every_proctor_route(app, room):
    paths = [rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("proctor.")]
    candidate = room["player"].client
    for path in paths:
        url = re.sub(r"<int:\w+>", str(room["exam"].id), path)
        for method in ("GET", "POST"):
            assert candidate.open(url, method=method).status_code in (403, 405), (url, method)


def test_focus_losses_reach_the_live_room(room):
    room["player"].save(
        {"position": 1, "seq": 1, "response": "1"},
        events=[{"kind": "focus_lost", "duration_ms": 7000}, {"kind": "focus_lost", "duration_ms": 3000}],
    )
    data = room["client"].get(f"/pengawas/jadwal/{room['exam'].schedule_id}/langsung.json").get_json()
    row = data["rows"][0]
    assert (row["focus_losses"], row["seconds_away"], row["answered"]) == (2, 10, 1)
    assert row["last_event"] == "focus_lost" and row["seen_seconds_ago"] <= 5
    # The page's first render shows the same numbers as the refresh (it once showed
    # "1/<built-in method items of dict object>": the template read the dict's method).
    page = room["client"].get(f"/pengawas/jadwal/{room['exam'].schedule_id}").get_data(as_text=True)
    assert f'data-field="answered">1/{row["items"]}<' in page


def test_the_live_room_counts_answers_not_cleared_choices(room):
    """Three answered, one of them then cleared (the player saves a null response): two answered of six,
    and the count is one grouped query however many items the room holds."""
    player = room["player"]
    for position in (1, 2, 3):
        assert player.save({"position": position, "seq": 1, "response": "1"}).status_code == 200
    assert player.save({"position": 2, "seq": 2, "response": None}).status_code == 200
    data = room["client"].get(f"/pengawas/jadwal/{room['exam'].schedule_id}/langsung.json").get_json()
    row = data["rows"][0]
    assert (row["answered"], row["items"]) == (2, 6)


def test_message_pause_resume_extend_and_terminate(room, db_session):
    player = room["player"]
    assert act(room, "message", message="Harap tetap di halaman ujian.").status_code == 303
    assert player.state()["messages"][-1]["text"] == "Harap tetap di halaman ujian."

    before = db_session.get(ExamSession, room["exam"].id).deadline_at
    act(room, "pause")
    refused = player.save({"position": 1, "seq": 1, "response": "1"})
    assert refused.status_code == 409 and refused.get_json()["code"] == "paused"
    assert player.state()["paused"] is True
    act(room, "resume")
    db_session.expire_all()
    assert db_session.get(ExamSession, room["exam"].id).deadline_at >= before  # paused time given back
    assert player.save({"position": 1, "seq": 2, "response": "1"}).status_code == 200

    act(room, "extend", seconds="600")
    db_session.expire_all()
    assert db_session.get(ExamSession, room["exam"].id).deadline_at >= before + timedelta(seconds=600)

    short = act(room, "terminate", comment="singkat", understood="y")
    assert short.status_code == 200
    db_session.expire_all()
    assert db_session.get(ExamSession, room["exam"].id).status == "in_progress"  # a reason is required
    act(room, "terminate", comment="Peserta terbukti memakai ponsel kedua.", understood="y")
    db_session.expire_all()
    exam = db_session.get(ExamSession, room["exam"].id)
    assert exam.status == "terminated" and exam.result is not None


def test_the_review_queue_puts_the_suspicious_candidate_first(app, db_session, exam_factory, make_user):
    proctor = make_user("proctor")
    calm_candidate, calm = exam_factory()
    schedule_id = calm.schedule_id
    from examserver.delivery.models import ExamSchedule
    from examserver.delivery.services import enrol

    schedule = db_session.get(ExamSchedule, schedule_id)
    suspicious_user = make_user("candidate")
    suspicious = enrol(db_session, schedule, suspicious_user.id)
    db_session.add(ScheduleProctor(schedule_id=schedule_id, proctor_id=proctor.id))
    db_session.commit()
    for user, exam, events in (
        (calm_candidate, calm, [{"kind": "focus_lost", "duration_ms": 2000}]),
        (suspicious_user, suspicious, [{"kind": "focus_lost", "duration_ms": 60000}] * 7 + [{"kind": "paste"}] * 2),
    ):
        client = app.test_client()
        login(client, user.email)
        player = Player(client, exam.id)
        player.start()
        player.save({"position": 1, "seq": 1, "response": "1"}, events=events)
        player.submit()
    client = app.test_client()
    login(client, proctor.email)
    page = client.get(f"/pengawas/jadwal/{schedule_id}/telaah").get_data(as_text=True)
    first = page.index(suspicious.registration_number)
    assert first < page.index(calm.registration_number)
    assert "meninggalkan jendela ujian 7 kali, 7 mnt 0 dtk seluruhnya" in page
    assert "menyalin atau menempel 2 kali" in page
    csv_text = client.get(f"/pengawas/jadwal/{schedule_id}/pelanggaran.csv").get_data().decode("utf-8-sig")
    assert suspicious.registration_number in csv_text and calm.registration_number not in csv_text


def test_invalidation_then_confirmation_then_appeal(app, room, db_session, make_user):
    exam = room["exam"]
    room["player"].submit()
    client = room["client"]
    token = csrf_token(client, f"/pengawas/sesi/{exam.id}")
    decision = {
        "csrf_token": token,
        "decision": "invalidated",
        "category": "examinee.collusion",
        "reason": "Jawaban identik dengan peserta di sebelahnya.",
    }
    timeline = client.get(f"/pengawas/sesi/{exam.id}").get_data(as_text=True)
    assert "hasil ujian ini batal, tidak ikut peringkat" in timeline  # the box names the consequence
    unticked = client.post(f"/pengawas/sesi/{exam.id}/keputusan", data=decision, follow_redirects=True)
    assert "Centang kotak ini" in unticked.get_data(as_text=True)
    assert db_session.scalar(select(ProctorDecision.id).where(ProctorDecision.session_id == exam.id)) is None
    client.post(f"/pengawas/sesi/{exam.id}/keputusan", data={**decision, "understood": "y"})
    decision_id = db_session.scalar(select(ProctorDecision.id).where(ProctorDecision.session_id == exam.id))
    client.post(f"/pengawas/keputusan/{decision_id}/konfirmasi", data={"csrf_token": token, "understood": "y"})
    db_session.expire_all()
    assert db_session.get(ProctorDecision, decision_id).confirmed_by_id is None  # not by the same proctor
    second = make_user("proctor")
    db_session.add(ScheduleProctor(schedule_id=exam.schedule_id, proctor_id=second.id))
    db_session.commit()
    other = app.test_client()
    login(other, second.email)
    confirmation = {"csrf_token": csrf_token(other, f"/pengawas/sesi/{exam.id}")}
    unticked = other.post(f"/pengawas/keputusan/{decision_id}/konfirmasi", data=confirmation)
    db_session.expire_all()
    assert db_session.get(ProctorDecision, decision_id).confirmed_by_id is None  # the box was not ticked
    # The timeline again, the box marked beside it (it was a flash after a redirect); the browser
    # leaves the check to the server, and the box's id is not the decision form's.
    html = unticked.get_data(as_text=True)
    assert unticked.status_code == 200 and not unticked.history
    assert re.search(r'<p class="error" id="confirm-understood-error">Centang kotak ini', html)
    form_tag = re.search(rf'<form[^>]*action="/pengawas/keputusan/{decision_id}/konfirmasi[^"]*"[^>]*>', html)
    assert form_tag and "novalidate" in form_tag.group()
    assert html.count('id="understood"') == 1 and html.count('id="confirm-understood"') == 1
    other.post(f"/pengawas/keputusan/{decision_id}/konfirmasi", data={**confirmation, "understood": "y"})
    db_session.expire_all()
    assert db_session.get(ProctorDecision, decision_id).confirmed_by_id == second.id

    candidate = room["player"].client
    result_page = candidate.get(f"/ujian/{exam.id}/hasil").get_data(as_text=True)
    assert "Keputusan pengawas" in result_page and "Ajukan sanggahan" in result_page
    candidate.post(
        f"/ujian/{exam.id}/sanggah",
        data={
            "csrf_token": csrf_token(candidate, f"/ujian/{exam.id}/hasil"),
            "text": "Saya duduk sendiri dan mengerjakan tanpa bantuan siapa pun.",
        },
    )
    assert "Sanggahan Anda" in candidate.get(f"/ujian/{exam.id}/hasil").get_data(as_text=True)
    appeals = client.get("/pengawas/sanggah").get_data(as_text=True)
    assert exam.registration_number in appeals

    decide_the_appeal(app, exam, other, db_session, make_user)


def decide_the_appeal(app, exam, other, db_session, make_user):
    """The appeal of the test above, decided: the proctor who confirmed the decision may not, an admin may."""
    # The outcome is chosen, never defaulted (it defaulted to
    # rejected), and a mistake shows the timeline again, every error beside its field and the
    # typed reason kept (a too short reason was a flash after a redirect that lost it).
    appeal_id = db_session.scalar(select(Appeal.id).where(Appeal.session_id == exam.id))
    page = other.get(f"/pengawas/sesi/{exam.id}").get_data(as_text=True)
    form_tag = re.search(rf'<form[^>]*action="/pengawas/sanggah/{appeal_id}[^"]*"[^>]*>', page)
    assert form_tag and "novalidate" in form_tag.group()
    first_choice = re.search(r'<select[^>]*name="outcome"[^>]*>\s*<option([^>]*)>', page)
    assert first_choice and first_choice.group(1) == ' value=""'
    outcome = {"csrf_token": csrf_token(other, f"/pengawas/sesi/{exam.id}"), "outcome": "", "reason": "Benar"}
    refused = other.post(f"/pengawas/sanggah/{appeal_id}", data=outcome)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and not refused.history
    expected = {
        "appeal-outcome": "Pilih hasil sanggahan.",
        "appeal-reason": "Tuliskan alasannya (minimal 10 karakter).",
        "appeal-understood": "Centang kotak ini untuk menyatakan Anda mengerti akibatnya.",
    }
    assert {name: field_errors(html).get(name) for name in expected} == expected  # each beside its field
    assert re.search(r'<textarea[^>]*name="reason"[^>]*>\s*Benar</textarea>', html)
    db_session.expire_all()
    assert db_session.get(Appeal, appeal_id).status == "open"
    assert "putusan sanggahan ini final" in page  # the box names what the outcome does
    upheld = {**outcome, "outcome": "upheld", "reason": "Tempat duduknya memang terpisah.", "understood": "y"}
    not_theirs = other.post(f"/pengawas/sanggah/{appeal_id}", data=upheld).get_data(as_text=True)
    assert "Sanggahan harus diputus oleh orang yang tidak membuat keputusan itu." in not_theirs  # they confirmed it
    assert re.search(r'<textarea[^>]*name="reason"[^>]*>\s*Tempat duduknya memang terpisah.</textarea>', not_theirs)
    third = app.test_client()
    login(third, make_user("admin").email)
    upheld["csrf_token"] = csrf_token(third, f"/pengawas/sesi/{exam.id}")
    assert third.post(f"/pengawas/sanggah/{appeal_id}", data=upheld).status_code == 303
    db_session.expire_all()
    assert db_session.get(Appeal, appeal_id).status == "upheld"


def test_committee_assigns_proctors(app, client, exam_factory, make_user, db_session):
    candidate, exam = exam_factory()
    proctor = make_user("proctor")
    login(client, make_user("committee").email)
    token = csrf_token(client, f"/ujian/jadwal/{exam.schedule_id}")
    client.post(f"/ujian/jadwal/{exam.schedule_id}/pengawas", data={"csrf_token": token, "proctor": [str(proctor.id)]})
    assigned = db_session.scalars(
        select(ScheduleProctor.proctor_id).where(ScheduleProctor.schedule_id == exam.schedule_id)
    )
    assert list(assigned) == [proctor.id]


def test_privacy_page(client):
    page = client.get("/privasi").get_data(as_text=True)
    assert "Apa yang dicatat selama ujian" in page and "SHA-256" in page


def decide(room, **fields):
    client, exam = room["client"], room["exam"]
    data = {"csrf_token": csrf_token(client, f"/pengawas/sesi/{exam.id}"), "decision": "warning", **fields}
    return client.post(f"/pengawas/sesi/{exam.id}/keputusan", data=data, follow_redirects=True)


def test_a_decision_needs_its_category_chosen(room, db_session):
    """The category starts empty (it used to default to the first, environment.noise, unseen)."""
    exam = room["exam"]
    form = room["client"].get(f"/pengawas/sesi/{exam.id}").get_data(as_text=True)
    decision_form = form[form.index(f"/pengawas/sesi/{exam.id}/keputusan") :]
    first_choice = re.search(r'<select[^>]*name="category"[^>]*>\s*<option([^>]*)>', decision_form)
    assert first_choice and first_choice.group(1) == ' value=""'

    page = decide(room, category="", reason="Peserta berbicara dengan orang lain.").get_data(as_text=True)
    assert "Pilih kategori alasan." in page
    assert db_session.scalar(select(ProctorDecision.id).where(ProctorDecision.session_id == exam.id)) is None


def test_a_decision_is_chosen_and_its_mistakes_show_beside_their_fields_with_what_was_typed(room, db_session):
    """The decision starts empty too (it used to default to "clear", recorded unseen); a refused
    decision shows the timeline again with every mistake beside its field and the typed reason
    kept (it was a flash above the page after a redirect that lost the reason), and the browser
    leaves the checks to the server (novalidate)."""
    exam = room["exam"]
    page = room["client"].get(f"/pengawas/sesi/{exam.id}").get_data(as_text=True)
    form_tag = re.search(rf'<form[^>]*action="/pengawas/sesi/{exam.id}/keputusan[^"]*"[^>]*>', page)
    assert form_tag and "novalidate" in form_tag.group()
    first_choice = re.search(r'<select[^>]*name="decision"[^>]*>\s*<option([^>]*)>', page)
    assert first_choice and first_choice.group(1) == ' value=""'

    response = decide(room, decision="", category="", reason="Bising")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and not response.history  # shown again, not redirected
    expected = {
        "decision": "Pilih keputusan.",
        "category": "Pilih kategori alasan.",
        "reason": "Tuliskan alasannya (minimal 10 karakter).",
    }
    assert {name: field_errors(html).get(name) for name in expected} == expected  # each beside its field
    assert re.search(r'<textarea[^>]*name="reason"[^>]*>\s*Bising</textarea>', html)
    assert db_session.scalar(select(ProctorDecision.id).where(ProctorDecision.session_id == exam.id)) is None

    kept = decide(room, decision="invalidated", category="examinee.collusion", reason="Jawaban identik dengan 2.")
    html = kept.get_data(as_text=True)
    assert re.search(r'<option selected value="invalidated">|<option value="invalidated" selected>', html)
    assert 'id="understood-error"' in html and 'id="decision-error"' not in html


def test_an_action_needs_its_category_chosen_and_says_what_else_was_wrong(room, db_session):
    """The action form's category starts empty too, with an id of its own beside the decision's; a
    refused action names each mistake (not always "choose a category")."""
    exam = room["exam"]
    page = room["client"].get(f"/pengawas/sesi/{exam.id}").get_data(as_text=True)
    assert page.count('id="category"') == 1 and page.count('id="action-category"') == 1
    first_choice = re.search(r'<select[^>]*id="action-category"[^>]*>\s*<option([^>]*)>', page)
    assert first_choice and first_choice.group(1) == ' value=""'
    events = db_session.scalar(select(func.count(IntegrityEvent.id)).where(IntegrityEvent.session_id == exam.id))
    refused = room["client"].post(
        f"/pengawas/sesi/{exam.id}/tindakan",
        data={"csrf_token": csrf_token(room["client"], f"/pengawas/sesi/{exam.id}"), "action": "extend",
              "category": "", "seconds": "sepuluh"},
        follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip
    assert "Pilih kategori alasan." in refused and "Tulis bilangan bulat, misalnya 12." in refused
    db_session.expire_all()
    after = db_session.scalar(select(func.count(IntegrityEvent.id)).where(IntegrityEvent.session_id == exam.id))
    assert after == events


def test_an_action_s_mistakes_show_beside_their_fields_with_what_was_typed(room, db_session):
    """A refused action shows the timeline again at the action form, every mistake beside its field
    (the seconds an extension needs, the text of a message) and what was typed kept; it was a flash
    above the page after a redirect that lost the comment, and the browser stopped at the first
    empty field with its own bubble (the form now carries novalidate)."""
    exam = room["exam"]
    page = room["client"].get(f"/pengawas/sesi/{exam.id}").get_data(as_text=True)
    form_tag = re.search(rf'<form[^>]*action="/pengawas/sesi/{exam.id}/tindakan[^"]*"[^>]*>', page)
    assert form_tag and "novalidate" in form_tag.group()
    events = db_session.scalar(select(func.count(IntegrityEvent.id)).where(IntegrityEvent.session_id == exam.id))

    extend = act(room, "extend", category="", comment="Listrik padam di ruang 2", seconds="")
    html = extend.get_data(as_text=True)
    assert extend.status_code == 200 and not extend.history
    expected = {
        "action-category": "Pilih kategori alasan.",
        "action-seconds": "Tambahan waktu harus 1 sampai 7.200 detik.",
    }
    assert {name: field_errors(html).get(name) for name in expected} == expected  # each beside its field
    assert re.search(r'<textarea[^>]*name="comment"[^>]*>\s*Listrik padam di ruang 2</textarea>', html)
    too_long = act(room, "extend", seconds="9.000").get_data(as_text=True)
    assert 'id="action-seconds-error">Tambahan waktu harus 1 sampai 7.200 detik.<' in too_long
    assert re.search(r'<input[^>]*name="seconds"[^>]*value="9.000"', too_long)
    message = act(room, "message", comment="Peserta menoleh", message=" ").get_data(as_text=True)
    assert 'id="action-message-error">Pesan harus diisi, paling banyak 300 karakter.<' in message
    db_session.expire_all()
    after = db_session.scalar(select(func.count(IntegrityEvent.id)).where(IntegrityEvent.session_id == exam.id))
    assert after == events


def test_stopping_an_exam_asks_naming_the_consequence(room, db_session):
    """Stopping a candidate's exam (it ends for good and is scored as saved) needs a ticked box
    naming that, and a reason of ten characters; refused, both mistakes show beside their fields at
    once, the reason kept, and the exam runs on (one click ended it)."""
    exam = room["exam"]
    page = room["client"].get(f"/pengawas/sesi/{exam.id}").get_data(as_text=True)
    assert "ujian peserta langsung berakhir dan tidak dapat dilanjutkan" in page
    refused = act(room, "terminate", comment="Ponsel")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert 'id="action-comment-error">Tuliskan alasannya (minimal 10 karakter).<' in html
    assert 'id="action-understood-error">Centang kotak ini untuk menyatakan Anda mengerti akibatnya.<' in html
    assert re.search(r'<textarea[^>]*name="comment"[^>]*>\s*Ponsel</textarea>', html)
    unticked = act(room, "terminate", comment="Peserta memakai ponsel kedua.").get_data(as_text=True)
    assert 'id="action-understood-error"' in unticked and 'id="action-comment-error"' not in unticked
    db_session.expire_all()
    assert db_session.get(ExamSession, exam.id).status == "in_progress"
    done = act(room, "terminate", comment="Peserta memakai ponsel kedua.", understood="y")
    assert done.status_code == 303
    db_session.expire_all()
    assert db_session.get(ExamSession, exam.id).status == "terminated"


def test_decisions_show_and_export_labels_next_to_codes(room):
    exam = room["exam"]
    page = decide(room, category="environment.noise", reason="Ruangan sangat bising sepanjang ujian.")
    shown_decision = re.search(r"<strong>peringatan</strong> · ([^·]*) ·", page.get_data(as_text=True))
    assert shown_decision and shown_decision.group(1) == "Lingkungan: bising"
    export = room["client"].get(f"/pengawas/jadwal/{exam.schedule_id}/pelanggaran.csv").get_data(as_text=True)
    header, row = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))[:2]
    assert header == [
        "Nomor peserta", "Skor risiko", "Tanda", "Keputusan", "Keputusan (kode)", "Kategori", "Kategori (kode)",
        "Alasan", "Dikonfirmasi",
    ]  # fmt: skip
    shown = dict(zip(header, row, strict=True))
    assert (shown["Keputusan"], shown["Keputusan (kode)"]) == ("peringatan", "warning")
    assert (shown["Kategori"], shown["Kategori (kode)"]) == ("Lingkungan: bising", "environment.noise")
