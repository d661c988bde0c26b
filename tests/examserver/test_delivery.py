"""Exam delivery through the candidate API: idempotent saves, the server's clock, resume, results."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from examserver.delivery import api_views
from examserver.delivery.models import Answer, ExamSession
from examserver.delivery.services import credit_outage, expire_overdue
from itembank.database import utcnow
from tests.conftest import csrf_token, login
from tests.examserver.player_client import DEVICE, Player


@pytest.fixture
def started(client, exam_factory):
    candidate, exam = exam_factory()
    login(client, candidate.email)
    player = Player(client, exam.id)
    response = player.start()
    assert response.status_code == 200, response.get_json()
    return player, exam


def stored(db_session, exam_id: int) -> dict[int, Answer]:
    db_session.expire_all()
    exam = db_session.get(ExamSession, exam_id)
    return {si.position: si.answer for si in exam.items if si.answer is not None}


def test_start_sets_the_deadline_on_the_server_clock(started, db_session):
    player, exam = started
    state = player.state()
    assert state["status"] == "in_progress" and state["item_count"] == 6
    exam = db_session.get(ExamSession, exam.id)
    assert exam.deadline_at - exam.started_at == timedelta(minutes=30)
    assert 29 * 60 < state["remaining_seconds"] <= 30 * 60


def test_items_never_carry_keys_weights_or_parameters(started, db_session):
    player, exam = started
    everything = [
        player.client.get(f"/api/sesi/{exam.id}/butir").get_data(as_text=True),
        json.dumps(player.state()),
        player.client.get(f"/ujian/{exam.id}").get_data(as_text=True),
    ]
    everything += [player.item(p).get_data(as_text=True) for p in range(1, 7)]
    text = "\n".join(everything)
    for secret in ('"correct"', '"weights"', '"answer"', '"a":', '"b":', "item_id", "TWK-", "TKP-"):
        assert secret not in text, secret
    item = player.item(1).get_json()
    assert set(item) == {
        "position",
        "section",
        "kind",
        "stem",
        "options",
        "images",
        "response",
        "flagged",
        "seq",
    }
    assert [o["id"] for o in item["options"]] == [str(i) for i in range(1, len(item["options"]) + 1)]


def test_the_first_start_carries_every_item_as_the_items_request_gives_them(client, exam_factory, db_session):
    candidate, exam = exam_factory()
    login(client, candidate.email)
    player = Player(client, exam.id)
    reply = player.start()
    assert reply.status_code == 200
    started = reply.get_json()
    items = client.get(f"/api/sesi/{exam.id}/butir").get_json()["items"]
    assert len(items) == started["item_count"] == 6
    assert started["items"] == items  # the same payloads, in position order, none answered yet
    for secret in ('"correct"', '"weights"', '"answer"', '"a":', '"b":', "item_id", "TWK-", "TKP-"):
        assert secret not in reply.get_data(as_text=True), secret
    assert "items" not in player.start().get_json()  # a resume: the player holds them, or asks


def test_the_player_page_speaks_the_candidates_language_each_time(started, client):
    """The player's words are translated once per language and kept (delivery/player_text.py):
    each page still comes in the language its reader chose, back and forth."""
    player, exam = started

    def words() -> tuple[str, dict]:
        page = client.get(f"/ujian/{exam.id}").get_data(as_text=True)
        messages = json.loads(
            re.search(r'<script id="player-text" type="application/json">(.*?)</script>', page).group(1)
        )
        return page, messages

    for language, label, saved in (("id", "Sisa waktu", "Tersimpan"), ("en", "Time left", "Saved"),
                                   ("id", "Sisa waktu", "Tersimpan")):  # fmt: skip
        client.post("/bahasa", data={"csrf_token": csrf_token(client, "/tentang"), "lang": language, "next": "/"})
        page, messages = words()
        assert f'<html lang="{language}">' in page and f'aria-label="{label}"' in page
        assert messages["saved"] == saved and "{n}" in messages["waiting"]


def test_saves_are_idempotent_and_stale_saves_never_win(started, db_session):
    player, exam = started
    assert player.save({"position": 1, "seq": 5, "response": "2"}).get_json()["saved"][0]["applied"] is True
    replay = player.save({"position": 1, "seq": 5, "response": "2"}).get_json()
    assert replay["saved"] == [{"position": 1, "seq": 5, "applied": False}]
    stale = player.save({"position": 1, "seq": 3, "response": "4"}).get_json()
    assert stale["saved"] == [{"position": 1, "seq": 5, "applied": False}]
    # Out of order across items: 7 for item 2 then 6 for item 3, both apply.
    player.save({"position": 2, "seq": 7, "response": "1"})
    player.save({"position": 3, "seq": 6, "response": "3"})
    answers = stored(db_session, exam.id)
    assert answers[1].client_seq == 5 and answers[2].client_seq == 7 and answers[3].client_seq == 6
    assert player.item(1).get_json()["response"] == "2"


def test_a_synced_offline_queue_applies_in_one_request_all_or_nothing(started, db_session):
    player, exam = started
    ok = player.save(*({"position": p, "seq": 10 + p, "response": "1"} for p in range(1, 5)))
    assert [s["applied"] for s in ok.get_json()["saved"]] == [True] * 4
    bad = player.save({"position": 5, "seq": 30, "response": "1"}, {"position": 6, "seq": 31, "response": "99"})
    assert bad.status_code == 400 and bad.get_json()["code"] == "response_invalid"
    assert "nomor 6" in bad.get_json()["message"]
    assert set(stored(db_session, exam.id)) == {1, 2, 3, 4}


@pytest.mark.parametrize("seq", [-1, 2**31, 2**63, True, "5"])
def test_a_sequence_number_outside_the_column_is_refused_the_same_on_every_database(started, db_session, seq):
    player, exam = started
    refused = player.save({"position": 1, "seq": seq, "response": "2"})
    assert refused.status_code == 400 and refused.get_json()["code"] == "seq_invalid"
    assert stored(db_session, exam.id) == {}
    assert player.save({"position": 1, "seq": 2**31 - 1, "response": "2"}).status_code == 200


def test_the_device_clock_changes_nothing(started, db_session):
    player, exam = started
    deadline = db_session.get(ExamSession, exam.id).deadline_at
    for skew in (timedelta(hours=1), -timedelta(hours=1)):
        answered_at = (utcnow() + skew).isoformat()
        response = player.save(
            {
                "position": 1,
                "seq": 100 + int(skew.total_seconds() > 0),
                "response": "1",
                "answered_at": answered_at,
            }
        )
        assert response.status_code == 200
    db_session.expire_all()
    assert db_session.get(ExamSession, exam.id).deadline_at == deadline


def test_grace_period_then_time_up(started, db_session, monkeypatch):
    player, exam = started
    deadline = db_session.get(ExamSession, exam.id).deadline_at
    monkeypatch.setattr(api_views, "now", lambda: deadline + timedelta(seconds=20))  # in flight
    assert player.save({"position": 1, "seq": 1, "response": "1"}).status_code == 200
    monkeypatch.setattr(api_views, "now", lambda: deadline + timedelta(seconds=31))
    late = player.save({"position": 2, "seq": 2, "response": "1"})
    assert late.status_code == 409 and late.get_json()["code"] == "time_up"
    db_session.expire_all()
    exam = db_session.get(ExamSession, exam.id)
    assert exam.status == "expired" and exam.ended_at == deadline
    assert set(stored(db_session, exam.id)) == {1}
    assert exam.result is not None


def test_the_server_expires_sessions_with_nobody_connected(started, db_session):
    player, exam = started
    player.save({"position": 1, "seq": 1, "response": "1"})
    deadline = db_session.get(ExamSession, exam.id).deadline_at
    assert expire_overdue(db_session, now=deadline + timedelta(seconds=10)) == 0  # grace
    assert expire_overdue(db_session, now=deadline + timedelta(minutes=5)) == 1
    db_session.commit()
    exam = db_session.get(ExamSession, exam.id)
    assert exam.status == "expired" and exam.end_reason == "deadline" and exam.result.sections


def test_outage_time_is_credited(started, db_session):
    player, exam = started
    exam = db_session.get(ExamSession, exam.id)
    before = exam.deadline_at
    outage_start = exam.started_at + timedelta(minutes=5)
    assert credit_outage(db_session, start=outage_start, end=outage_start + timedelta(minutes=16)) == 1
    db_session.commit()
    assert exam.deadline_at - before == timedelta(minutes=16) and exam.credited_seconds == 16 * 60


def test_resume_on_the_same_device_keeps_answers_and_time(started, app, db_session):
    player, exam = started
    player.save({"position": 2, "seq": 1, "response": "3", "flagged": True})
    remaining = player.state()["remaining_seconds"]
    again = Player(player.client, exam.id)  # a reload, or the browser reopened
    state = again.start().get_json()
    assert state["answers"] == [{"position": 2, "seq": 1, "response": "3", "flagged": True}]
    assert state["last_seq"] == 1
    assert abs(state["remaining_seconds"] - remaining) < 5


def test_another_device_needs_the_proctors_consent(started, app, make_user, db_session):
    player, exam = started
    other = Player(player.client, exam.id, device="perangkat-lain-0002")
    refused = other.start()
    assert refused.status_code == 409 and refused.get_json()["code"] == "other_device"
    assert other.save({"position": 1, "seq": 1, "response": "1"}).status_code == 409
    assert other.state()["device_change_allowed"] is False
    db_session.get(ExamSession, exam.id).allows_device_change = True
    db_session.commit()
    # The refused device's next status poll tells it, and it starts again without a manual reload.
    assert other.state()["device_change_allowed"] is True
    assert other.start().status_code == 200
    assert other.state()["device_change_allowed"] is False  # used up by the take-over
    assert player.save({"position": 1, "seq": 2, "response": "1"}).get_json()["code"] == "other_device"


def test_submit_scores_and_the_certificate_is_publicly_verifiable(started, app, db_session):
    player, exam = started
    # Answer every item with its best option, via the server's option order.
    exam = db_session.get(ExamSession, exam.id)
    best_choices = []
    for si in exam.items:  # read everything first: each request closes the test's session
        key = si.version.answer
        best = key["correct"] if "correct" in key else max(key["weights"], key=key["weights"].get)
        best_choices.append((si.position, str(si.option_order.index(best) + 1)))
    for seq, (position, display) in enumerate(best_choices, start=1):
        player.save({"position": position, "seq": seq, "response": display})
    body = player.submit().get_json()
    assert body["status"] == "submitted"
    assert body["result"]["sections"][0]["raw"] == 15 and body["result"]["sections"][0]["max"] == 15
    assert body["result"]["sections"][1]["raw"] == 15  # best weight 5 on each of 3 items
    assert body["result"]["passed"] is True
    db_session.expire_all()
    code = db_session.get(ExamSession, exam.id).result.verification_code
    page = app.test_client().get(f"/ujian/verifikasi?kode={code.lower()}").get_data(as_text=True)
    assert "Sertifikat sah" in page and exam.registration_number in page
    # As a person types it off paper: with spaces, without dashes, in small letters.
    for typed in (code.replace("-", " "), code.replace("-", ""), f" {code[:6].lower()} {code[6:].replace('-', '')} "):
        assert "Sertifikat sah" in app.test_client().get("/ujian/verifikasi", query_string={"kode": typed}).get_data(
            as_text=True
        ), typed
    assert "Kode tidak ditemukan" in app.test_client().get("/ujian/verifikasi?kode=XXXX").get_data(as_text=True)
    assert player.save({"position": 1, "seq": 99, "response": "1"}).get_json()["code"] == "session_ended"


def test_thresholds_decide_pass_per_section(started, db_session):
    player, exam = started
    body = player.submit().get_json()  # nothing answered
    assert [s["passed"] for s in body["result"]["sections"]] == [False, False]
    assert body["result"]["total"] == 0 and body["result"]["passed"] is False


def test_other_candidates_cannot_touch_a_session(app, exam_factory, make_user):
    candidate, exam = exam_factory()
    intruder_client = app.test_client()
    login(intruder_client, make_user("candidate").email)
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"',
        intruder_client.get("/akun").get_data(as_text=True),
    ).group(1)
    headers = {"X-CSRFToken": token}
    for method, path in (
        ("POST", "mulai"),
        ("GET", "status"),
        ("GET", "butir/1"),
        ("GET", "butir"),
        ("POST", "jawaban"),
        ("POST", "selesai"),
        ("GET", "aset/1"),
    ):
        response = intruder_client.open(f"/api/sesi/{exam.id}/{path}", method=method, json={}, headers=headers)
        assert response.status_code == 404, (method, path)
    for path in ("", "/kartu", "/hasil", "/sertifikat"):
        assert intruder_client.get(f"/ujian/{exam.id}{path}").status_code == 404


def test_saves_need_the_csrf_token(app, started, db_session):
    player, exam = started
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    # A batch the API would otherwise accept: only the missing token can refuse it.
    batch = {"client_id": DEVICE, "saves": [{"position": 1, "seq": 1, "response": "2"}]}
    refused = player.client.post(f"/api/sesi/{exam.id}/jawaban", json=batch)
    assert refused.status_code == 400
    assert refused.get_json()["code"] == "csrf_failed"
    assert stored(db_session, exam.id) == {}
    # The same batch with the page's token is saved, so the refusal above was the token's doing.
    accepted = player.client.post(f"/api/sesi/{exam.id}/jawaban", json=batch, headers={"X-CSRFToken": player.token})
    assert accepted.status_code == 200, accepted.get_json()
    assert stored(db_session, exam.id)[1].client_seq == 1
    assert player.item(1).get_json()["response"] == "2"


def test_pin_and_authorisation(client, exam_factory, db_session):
    from argon2 import PasswordHasher

    pin_hash = PasswordHasher(time_cost=1, memory_cost=1024).hash("4321")
    candidate, exam = exam_factory(start_pin_hash=pin_hash, requires_authorisation=True)
    login(client, candidate.email)
    player = Player(client, exam.id)
    assert player.start(pin="0000").get_json()["code"] == "pin_wrong"
    waiting = player.start(pin="4321")
    assert waiting.status_code == 403 and waiting.get_json()["code"] == "awaiting_authorisation"
    db_session.get(ExamSession, exam.id).authorised_at = utcnow()
    db_session.commit()
    assert player.start(pin="4321").status_code == 200


def test_window_not_open(client, exam_factory):
    candidate, exam = exam_factory(opens_at=utcnow() + timedelta(hours=1), closes_at=utcnow() + timedelta(hours=2))
    login(client, candidate.email)
    assert Player(client, exam.id).start().get_json()["code"] == "not_open_yet"


def test_openapi_document(client):
    document = client.get("/api/openapi.json").get_json()
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert {"startSession", "getItem", "saveAnswer", "submitSession", "getSessionState"} <= operations
    assert document["openapi"].startswith("3.")


def test_errors_are_translated_json(started):
    player, exam = started
    bad = player.post("jawaban", {"client_id": DEVICE, "saves": "bukan daftar"})
    assert bad.status_code == 400
    assert bad.get_json() == {
        "code": "body_invalid",
        "message": "Permintaan tidak valid.",
        "server_time": bad.get_json()["server_time"],
    }


def test_candidate_home_lists_sessions(client, exam_factory):
    candidate, exam = exam_factory()
    login(client, candidate.email)
    page = client.get("/peserta/").get_data(as_text=True)
    assert exam.registration_number in page and f"/ujian/{exam.id}" in page


def test_save_request_is_small(started):
    player, exam = started
    body = json.dumps(
        {
            "client_id": DEVICE,
            "saves": [
                {
                    "position": 110,
                    "seq": 123456,
                    "response": ["1", "3"],
                    "flagged": True,
                    "answered_at": utcnow().isoformat(),
                }
            ],
        }
    )
    assert len(body.encode()) < 1024
    items = player.client.get(f"/api/sesi/{exam.id}/butir").get_json()["items"]
    assert max(len(json.dumps(item).encode()) for item in items) < 3 * 1024


def test_delivery_cli_expires_and_credits(app, started, db_session):
    player, exam = started
    runner = app.test_cli_runner()
    result = runner.invoke(args=["delivery", "expire"])
    assert result.exit_code == 0 and "sessions expired: 0" in result.output
    assert "queued receipts sealed: 0" in result.output
    start = db_session.get(ExamSession, exam.id).started_at
    result = runner.invoke(
        args=[
            "delivery",
            "credit-outage",
            "--from",
            start.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "--to",
            (start + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        ]
    )
    assert result.exit_code == 0 and "sessions credited: 1" in result.output
    bad = runner.invoke(
        args=["delivery", "credit-outage", "--from", "2026-01-01T10:00+0700", "--to", "2026-01-01T09:00+0700"]
    )
    assert bad.exit_code != 0 and "window_empty" in bad.output


def test_the_sweeper_ends_overdue_sessions(app, started, db_session, monkeypatch):
    from examserver.delivery import sweeper

    player, exam = started
    deadline = db_session.get(ExamSession, exam.id).deadline_at
    monkeypatch.setattr(sweeper, "utcnow", lambda: deadline + timedelta(minutes=2))
    assert sweeper.sweep_once(app) == 1
    db_session.expire_all()
    assert db_session.get(ExamSession, exam.id).status == "expired"


def test_the_sweeper_commits_a_deadline_in_batches(exam_factory, make_user, db_session, monkeypatch):
    """Each end seals into the sitting's tree under the platform chain's lock until the commit, so
    the sweeper commits every few sessions (a deadline of thousands in one transaction would hold
    the lock for minutes); every overdue session ends once, one inside its grace period is left
    running, and the heads queued while the locks were busy are sealed by the next pass, in the
    order they ended."""
    import numpy as np
    from sqlalchemy import event, func, select

    from examserver.delivery import services as delivery
    from examserver.delivery import sweeper
    from proctoring import receipts
    from proctoring.models import Receipt

    first_id = exam_factory()[1].id
    others = [make_user().id for _ in range(5)]
    first = db_session.get(ExamSession, first_id)
    exams = [first] + [delivery.enrol(db_session, first.schedule, candidate) for candidate in others]
    now = utcnow()
    for exam in exams:
        delivery.start(db_session, exam, delivery.StartRequest(client_id=DEVICE), now=now, rng=np.random.default_rng(7))
    grace = timedelta(seconds=first.schedule.grace_seconds)
    later = max(exam.deadline_at for exam in exams) + grace + timedelta(seconds=1)
    exams[-1].deadline_at = later  # past its deadline but inside its grace
    db_session.commit()
    ids = [exam.id for exam in exams]
    commits = []

    def committed(session):
        commits.append(session)

    event.listen(db_session, "after_commit", committed)
    # At a real deadline the requests' own ends hold the seal's locks now and then: here always.
    monkeypatch.setattr(receipts, "seal_locks", lambda connection, schedule_id: False)
    try:
        assert sweeper.expire_in_batches(db_session, now=later, batch=2) == 5
    finally:
        event.remove(db_session, "after_commit", committed)
        monkeypatch.undo()
    assert len(commits) == 3  # batches of 2, 2 and 2 (the last holds the one in its grace)
    db_session.expire_all()
    statuses = [db_session.get(ExamSession, exam_id).status for exam_id in ids]
    assert statuses == ["expired"] * 5 + ["in_progress"]
    assert [receipts.is_queued(db_session, exam_id) for exam_id in ids] == [True] * 5 + [False]
    mine = Receipt.session_id.in_(ids)
    assert db_session.scalar(select(func.count()).select_from(Receipt).where(mine)) == 0
    assert sweeper.seal_in_batches(db_session, now=later) == 5  # the next pass seals the queue
    sealed = db_session.scalars(select(Receipt).where(mine).order_by(Receipt.leaf_index)).all()
    assert [(r.session_id, r.leaf_index) for r in sealed] == [(exam_id, n) for n, exam_id in enumerate(ids[:5])]
    assert sweeper.expire_in_batches(db_session, now=later, batch=2) == 0
    assert sweeper.seal_in_batches(db_session, now=later) == 0


def test_a_receipt_waiting_for_the_seal_is_announced_then_shown(started, db_session, monkeypatch):
    """A submit that found the seal's locks busy gets its result at once and its receipt with the
    sweeper's next pass: the result page says the receipt is being prepared, then shows it."""
    from examserver.delivery import sweeper
    from proctoring import receipts

    player, exam = started
    monkeypatch.setattr(receipts, "seal_locks", lambda connection, schedule_id: False)
    assert player.submit().status_code == 200
    monkeypatch.undo()
    waiting = player.client.get(f"/ujian/{exam.id}/hasil").get_data(as_text=True)
    assert 'id="tanda-terima-menunggu"' in waiting and 'id="tanda-terima"' not in waiting
    assert "sedang disiapkan" in waiting
    assert sweeper.seal_in_batches(db_session, now=utcnow()) == 1
    code = receipts.readable(db_session.get(receipts.Receipt, exam.id).code)
    shown = player.client.get(f"/ujian/{exam.id}/hasil").get_data(as_text=True)
    assert f'id="tanda-terima">{code}<' in shown and "tanda-terima-menunggu" not in shown


def test_the_session_is_logged_and_checkpointed(started, db_session, app):
    from proctoring import chain, services

    player, exam = started
    player.save(
        {"position": 1, "seq": 1, "response": "1"},
        events=[{"kind": "focus_lost", "duration_ms": 4000, "at": "2026-11-23T08:00:00Z"}],
    )
    Player(player.client, exam.id, device="perangkat-lain-0002").start()  # refused and logged
    player.submit()
    db_session.expire_all()
    kinds = [event.kind for event in services.timeline(db_session, exam.id).events]
    assert kinds == ["session_started", "focus_lost", "other_device_refused", "session_submitted"]
    head = chain.latest_checkpoint(db_session, exam.id)
    # the 4 events, the save, the first save's checkpoint, the answer sheet and the result
    assert head is not None and head.tree_size == 8
    assert chain.verify(db_session).ok


def test_signing_in_elsewhere_during_an_exam_is_logged(app, started, db_session):
    from proctoring import services

    player, exam = started
    other_browser = app.test_client()
    email = db_session.get(ExamSession, exam.id).candidate_id
    from examserver.accounts.models import User

    login(other_browser, db_session.get(User, email).email)
    assert "second_session" in [e.kind for e in services.timeline(db_session, exam.id).events]


def answer_all(player, db_session, exam_id, pick):
    """Answer every item with ``pick(key) -> option letter``, via the session's option order."""
    exam = db_session.get(ExamSession, exam_id)
    choices = [(si.position, str(si.option_order.index(pick(si.version.answer)) + 1)) for si in exam.items]
    for seq, (position, display) in enumerate(choices, start=1):
        player.save({"position": position, "seq": seq, "response": display})


def best(key):
    return key["correct"] if "correct" in key else max(key["weights"], key=key["weights"].get)


def worst(key):
    if "correct" in key:
        return next(letter for letter in "ABCD" if letter != key["correct"])
    return min(key["weights"], key=key["weights"].get)


def test_theta_and_the_scaled_score_come_from_the_irt_engine(app, exam_factory, db_session):
    results = {}
    for label, pick in (("best", best), ("worst", worst)):
        candidate, exam = exam_factory()
        client = app.test_client()
        login(client, candidate.email)
        player = Player(client, exam.id)
        player.start()
        answer_all(player, db_session, exam.id, pick)
        body = player.submit().get_json()
        db_session.expire_all()
        results[label] = db_session.get(ExamSession, exam.id).result
        assert body["result"]["scaled"] == results[label].scaled
    high, low = results["best"], results["worst"]
    assert high.theta > 1.0 and low.theta < -1.0
    assert 0 < high.theta_se < 1.2 and 0 < low.theta_se < 1.2
    assert 0 <= low.scaled < 50 < high.scaled <= 100
    assert len(high.parameter_ids) == 6  # the parameter versions used are recorded


def test_theta_is_withheld_when_an_item_has_no_usable_parameters(started, db_session):
    from itembank.models import ItemParameter

    player, exam = started
    exam_row = db_session.get(ExamSession, exam.id)
    weighted = next(si.item_id for si in exam_row.items if si.item.item_type == "weighted_options")
    db_session.execute(
        __import__("sqlalchemy").update(ItemParameter).where(ItemParameter.item_id == weighted).values(thresholds=[])
    )
    db_session.commit()
    body = player.submit().get_json()
    assert body["result"]["scaled"] is None
    assert body["result"]["total"] == 0
