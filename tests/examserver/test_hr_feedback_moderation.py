"""Community feedback and public consultation: public forms without an account, refused floods
(HTTP 429, nothing stored), CSRF, moderation by HR, and only approved posts counting."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from examserver.hr.analysis import community_scores
from examserver.hr.models import CommunityFeedback, ConsultationComment, PublicConsultation, SupervisorRating
from examserver.selection import services as selection
from examserver.selection.rules import default_rules_json
from itembank.database import utcnow
from tests.examserver import hr_evaluation_world as hr_world
from tests.examserver.hr_evaluation_world import token

FEEDBACK = "/sdm/umpan-balik"
FLOOD_ID = "Terlalu banyak kiriman dari alamat Anda"
FLOOD_EN = "Too many"


def _fresh(db_session, model, key):
    db_session.expire_all()
    return db_session.get(model, key)


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def units(app, db_session):
    """Two service units with an employee each, and an evaluation period open for feedback."""
    position = hr_world.profile(db_session)
    a = hr_world.employee(db_session, position, 1, unit="Dinas Dukcapil")
    b = hr_world.employee(db_session, position, 2, unit="Badan Pendapatan Daerah")
    period = hr_world.period(db_session)
    closed = hr_world.period(db_session, "PK-LAMA", is_open=False)
    db_session.commit()
    return {"a": a, "b": b, "period": period, "closed": closed}


def _feedback(client, units, *, rating="4", comment="Petugas ramah.", unit=None, period=None, csrf=True, **extra):
    data = {
        "period": str((period or units["period"]).id),
        "unit": unit or units["a"].unit,
        "rating": rating,
        "comment": comment,
        **extra,
    }
    if csrf:
        data["csrf_token"] = token(client, FEEDBACK)
    return client.post(FEEDBACK, data=data)


def test_the_public_sends_feedback_without_an_account_and_it_waits_for_moderation(client, db_session, units):
    assert f'href="{FEEDBACK}"' in client.get("/masuk").get_data(as_text=True)  # every page's footer links it
    page = client.get(FEEDBACK)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert units["a"].unit in html and 'name="csrf_token"' in html
    assert units["closed"].title not in html  # a closed period is not offered

    response = _feedback(client, units, rating="5", comment="Antrean cepat, petugas ramah.")
    assert response.status_code == 303
    feedback = db_session.scalar(select(CommunityFeedback))
    assert (feedback.unit, feedback.rating, feedback.status) == (units["a"].unit, 5, "pending")
    # The address is kept only as a keyed hash, to trace floods without storing it.
    assert len(feedback.sender_hash) == 64 and "127.0.0.1" not in feedback.sender_hash
    # Pending feedback does not count yet.
    assert community_scores(db_session, units["period"].id) == {}


def test_a_flood_of_feedback_gets_429_with_a_translated_message_and_stores_nothing(app, client, db_session, units):
    accepted = 0
    while True:
        response = _feedback(client, units, comment=f"Kiriman {accepted}")
        if response.status_code == 429:
            break
        assert response.status_code == 303
        accepted += 1
        assert accepted < 50, "no limit on the public form"
    assert accepted >= 3  # a person sending a few in a row is not refused
    assert FLOOD_ID in response.get_data(as_text=True)
    stored = _count(db_session, CommunityFeedback)
    assert stored == accepted

    # Every further post in the window is refused and stores nothing, whatever it carries.
    for n in range(10):
        refused = _feedback(client, units, rating=str(1 + n % 5), unit=units["b"].unit, comment=f"Banjir {n}")
        assert refused.status_code == 429
    refused = client.post(
        FEEDBACK,
        data={
            "period": units["period"].id,
            "unit": units["a"].unit,
            "rating": "1",
            "csrf_token": token(client, FEEDBACK),
        },
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 429 and refused.get_json()["code"] == "too_many_requests"
    assert _count(db_session, CommunityFeedback) == stored
    assert not db_session.scalar(select(CommunityFeedback).where(CommunityFeedback.comment.like("Banjir%")))

    # Reading the form still works, the message is translated, and another address may still post.
    assert client.get(FEEDBACK).status_code == 200
    client.post("/bahasa", data={"lang": "en", "next": FEEDBACK, "csrf_token": token(client, FEEDBACK)})
    english = _feedback(client, units)
    assert english.status_code == 429 and FLOOD_EN in english.get_data(as_text=True)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert _feedback(other, units).status_code == 303
    assert _count(db_session, CommunityFeedback) == stored + 1


def test_feedback_without_csrf_token_is_refused_and_stores_nothing(client, db_session, units):
    client.get(FEEDBACK)
    response = _feedback(client, units, csrf=False)
    assert response.status_code == 400
    assert _count(db_session, CommunityFeedback) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"unit": "Unit Yang Tidak Ada"},
        {"closed": True},
        {"rating": "9"},
        {"rating": ""},
        {"comment": "x" * 2001},
    ],
)
def test_invalid_feedback_stores_nothing(client, db_session, units, change):
    change = dict(change)
    period = units["closed"] if change.pop("closed", False) else None
    response = _feedback(client, units, period=period, **change)
    assert response.status_code == 200  # the form again, with the error
    assert _count(db_session, CommunityFeedback) == 0


def test_feedback_text_is_escaped_on_the_moderation_page(app, make_user, client, db_session, units):
    _feedback(client, units, comment='<script>alert(1)</script><img src=x onerror="alert(2)">')
    hr, _user = hr_world.signed_in(app, make_user, "hr_officer")
    html = hr.get("/sdm/moderasi").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "<img src=x" not in html


def _moderate(client, kind, item_id, decision, note="", understood=True):
    data = {"decision": decision, "note": note, "csrf_token": token(client, "/sdm/moderasi")}
    return client.post(f"/sdm/moderasi/{kind}/{item_id}", data={**data, **({"understood": "y"} if understood else {})})


def test_hr_moderates_and_only_approved_feedback_counts_in_the_combination(app, make_user, client, db_session, units):
    for rating, comment in (("5", "Sangat baik."), ("1", "Buruk sekali."), ("3", "Cukup.")):
        assert _feedback(client, units, rating=rating, comment=comment).status_code == 303
    good, bad, middling = db_session.scalars(select(CommunityFeedback).order_by(CommunityFeedback.id)).all()
    hr, hr_user = hr_world.signed_in(app, make_user, "hr_officer")
    queue = hr.get("/sdm/moderasi").get_data(as_text=True)
    assert "Sangat baik." in queue and "Buruk sekali." in queue

    assert _moderate(hr, "umpan-balik", good.id, "approve").status_code == 303
    assert _moderate(hr, "umpan-balik", bad.id, "reject", "Memuat data pribadi.").status_code == 303
    good, bad = _fresh(db_session, CommunityFeedback, good.id), _fresh(db_session, CommunityFeedback, bad.id)
    assert (good.status, good.moderated_by_id) == ("approved", hr_user.id) and good.moderated_at is not None
    assert (bad.status, bad.moderation_note) == ("rejected", "Memuat data pribadi.")
    assert "Buruk sekali." not in hr.get("/sdm/moderasi").get_data(as_text=True)

    # A decided post is not decided again.
    _moderate(hr, "umpan-balik", bad.id, "approve")
    bad = _fresh(db_session, CommunityFeedback, bad.id)
    assert bad.status == "rejected"

    # Only the approved 5 counts (the pending 3 and the rejected 1 do not): community = 100.
    assert community_scores(db_session, units["period"].id) == {units["a"].unit: (100.0, 1)}
    db_session.add(
        SupervisorRating(
            period_id=units["period"].id, employee_id=units["a"].id, rater_id=hr_user.id, targets=[], score=80.0
        )
    )
    db_session.commit()
    page = hr.get(f"/sdm/penilaian/{units['period'].id}").get_data(as_text=True)
    assert "86,0" in page  # 0.7 x 80 + 0.3 x 100

    # Candidates and the public cannot moderate.
    candidate, _c = hr_world.signed_in(app, make_user, "candidate")
    assert candidate.get("/sdm/moderasi").status_code == 403
    assert _moderate(candidate, "umpan-balik", middling.id, "approve").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get("/sdm/moderasi").status_code in (302, 401, 403)
    assert _fresh(db_session, CommunityFeedback, middling.id).status == "pending"


# --------------------------------------------------------------------------- public consultation


@pytest.fixture
def consultation(app, db_session, make_user):
    member = make_user("committee")
    now = utcnow()
    period = selection.save_period(
        db_session, None, actor_id=member.id, code="CPNS-UJI-2027", title="Seleksi uji 2027", agency="Instansi",
        description="", applications_open_at=now + timedelta(days=30), applications_close_at=now + timedelta(days=60),
        appeal_days=3, schedule_id=None, rules=default_rules_json(),
    )  # fmt: skip
    row = PublicConsultation(
        period_id=period.id,
        question="Apakah ambang batas dan bobot periode ini adil?",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14),
        created_by_id=member.id,
    )
    db_session.add(row)
    db_session.commit()
    return row


def _comment(client, code, *, topic="thresholds", text="Ambang batas TKP sebaiknya diumumkan sejak awal.", **extra):
    path = f"/sdm/konsultasi/{code}"
    data = {"topic": topic, "text": text, "author": "", "csrf_token": token(client, path), **extra}
    return client.post(path, data=data)


def test_the_public_comments_on_criteria_floods_are_refused_and_the_committee_reads_a_summary(
    app, make_user, client, db_session, consultation
):
    code = consultation.period.code
    page = client.get(f"/sdm/konsultasi/{code}")
    assert page.status_code == 200 and consultation.question in page.get_data(as_text=True)

    sent = 0
    topics = ["thresholds", "weights", "requirements", "documents", "thresholds"]
    while True:
        response = _comment(client, code, topic=topics[sent % len(topics)], text=f"Komentar publik nomor {sent}.")
        if response.status_code == 429:
            break
        assert response.status_code == 303
        sent += 1
        assert sent < 50
    assert sent >= 3 and FLOOD_ID in response.get_data(as_text=True)
    for n in range(5):
        assert _comment(client, code, text=f"Banjir komentar {n} dari alamat yang sama.").status_code == 429
    comments = db_session.scalars(select(ConsultationComment).order_by(ConsultationComment.id)).all()
    assert len(comments) == sent and all(c.status == "pending" for c in comments)
    # Nothing is public before moderation.
    assert "Komentar publik nomor 0." not in client.get(f"/sdm/konsultasi/{code}").get_data(as_text=True)

    hr, _hr_user = hr_world.signed_in(app, make_user, "hr_officer")
    assert _moderate(hr, "komentar", comments[0].id, "approve").status_code == 303
    assert _moderate(hr, "komentar", comments[1].id, "reject", "Tidak membahas kriteria.").status_code == 303
    assert "Komentar publik nomor 0." in client.get(f"/sdm/konsultasi/{code}").get_data(as_text=True)

    committee, _member = hr_world.signed_in(app, make_user, "committee")
    summary = committee.get(f"/sdm/konsultasi/{consultation.id}/ringkasan")
    assert summary.status_code == 200
    html = summary.get_data(as_text=True)
    assert "Komentar publik nomor 0." in html  # approved
    assert "Komentar publik nomor 1." not in html  # rejected
    assert "Komentar publik nomor 2." not in html  # still pending
    counts = {
        topic: dict(row)
        for topic, row in _topic_counts(_fresh(db_session, PublicConsultation, consultation.id)).items()
    }
    assert counts["thresholds"]["approved"] == 1 and counts["weights"]["rejected"] == 1
    assert sum(row["pending"] for row in counts.values()) == sent - 2

    candidate, _c = hr_world.signed_in(app, make_user, "candidate")
    assert candidate.get(f"/sdm/konsultasi/{consultation.id}/ringkasan").status_code == 403


def test_approving_a_comment_or_saving_the_summary_asks_for_the_box_naming_that_it_goes_public(
    app, make_user, client, db_session, consultation
):
    code = consultation.period.code
    assert _comment(client, code, text="Komentar yang menunggu moderasi.").status_code == 303
    comment = db_session.scalar(select(ConsultationComment))
    hr, _hr_user = hr_world.signed_in(app, make_user, "hr_officer")
    queue = hr.get("/sdm/moderasi").get_data(as_text=True)
    box = f"understood-c{comment.id}"
    assert f'id="{box}"' in queue and "komentar ini langsung tampil di halaman publik konsultasi" in queue

    # Unticked, the approval is refused beside that comment's box, the note kept; nothing is published.
    response = _moderate(hr, "komentar", comment.id, "approve", "Relevan.", understood=False)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(rf'id="{box}"[^>]*aria-invalid="true".*?<p class="error" id="{box}-error">Centang', page, re.S)
    assert f'id="note-c{comment.id}" name="note" maxlength="500" value="Relevan."' in page
    assert _fresh(db_session, ConsultationComment, comment.id).status == "pending"
    assert "Komentar yang menunggu moderasi." not in client.get(f"/sdm/konsultasi/{code}").get_data(as_text=True)
    with hr.session_transaction() as session:
        session["lang"] = "en"
    english = _moderate(hr, "komentar", comment.id, "approve", understood=False).get_data(as_text=True)
    assert "this comment is shown at once on the public consultation page" in english
    assert "Tick this box" in english
    with hr.session_transaction() as session:
        session["lang"] = "id"
    # Ticked, it is published.
    assert _moderate(hr, "komentar", comment.id, "approve").status_code == 303
    assert "Komentar yang menunggu moderasi." in client.get(f"/sdm/konsultasi/{code}").get_data(as_text=True)

    # The summary shows on the public page too: its box says so, and unticked nothing is saved.
    path = f"/sdm/konsultasi/{consultation.id}/ringkasan"
    assert "ringkasan ini langsung tampil di halaman publik konsultasi" in hr.get(path).get_data(as_text=True)
    response = hr.post(path, data={"csrf_token": token(hr, path), "summary": "Publik meminta ambang tetap."})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="understood-error">Centang' in page
    assert "Publik meminta ambang tetap.</textarea>" in page
    assert _fresh(db_session, PublicConsultation, consultation.id).summary is None
    data = {"csrf_token": token(hr, path), "summary": "Publik meminta ambang tetap.", "understood": "y"}
    assert hr.post(path, data=data).status_code == 303
    assert "Publik meminta ambang tetap." in client.get(f"/sdm/konsultasi/{code}").get_data(as_text=True)


def _topic_counts(consultation):
    from examserver.hr.services import topic_counts

    return topic_counts(consultation)


def test_a_closed_consultation_takes_no_comments(client, db_session, consultation):
    consultation.opens_at = utcnow() - timedelta(days=10)
    consultation.closes_at = utcnow() - timedelta(days=1)
    db_session.commit()
    path = f"/sdm/konsultasi/{consultation.period.code}"
    assert 'name="text"' not in client.get(path).get_data(as_text=True)  # no form offered
    data = {"topic": "other", "text": "Komentar setelah konsultasi ditutup.", "csrf_token": token(client, "/masuk")}
    client.post(path, data=data)
    assert _count(db_session, ConsultationComment) == 0


# --------------------------------------------------------------------------- honeypot


def test_a_filled_honeypot_on_the_feedback_form_is_answered_as_accepted_and_stores_nothing(client, db_session, units):
    html = client.get(FEEDBACK).get_data(as_text=True)
    assert re.search(r'<div class="visually-hidden" aria-hidden="true">.*?name="situs_web"[^>]*tabindex="-1"', html)
    response = _feedback(client, units, situs_web="https://obat-murah.example")
    assert response.status_code == 303 and response.headers["Location"].endswith(FEEDBACK)
    assert "Terima kasih" in client.get(FEEDBACK).get_data(as_text=True)  # the sender learns nothing
    assert _count(db_session, CommunityFeedback) == 0
    # A person (empty trap) is still accepted.
    assert _feedback(client, units, situs_web="").status_code == 303
    assert _count(db_session, CommunityFeedback) == 1
    # Trapped posts count toward the address's limit like any other.
    statuses = [_feedback(client, units, situs_web="x").status_code for _n in range(12)]
    assert 303 in statuses and statuses[-1] == 429
    assert _feedback(client, units).status_code == 429
    assert _count(db_session, CommunityFeedback) == 1


def test_a_filled_honeypot_on_a_consultation_stores_no_comment(client, db_session, consultation):
    code = consultation.period.code
    assert 'name="situs_web"' in client.get(f"/sdm/konsultasi/{code}").get_data(as_text=True)
    response = _comment(client, code, situs_web="spam")
    assert response.status_code == 303
    assert _count(db_session, ConsultationComment) == 0


# --------------------------------------------------------------------------- committee opens a consultation


def test_the_committee_opens_a_consultation_on_a_period_and_reads_its_summary(app, make_user, db_session):
    member = make_user("committee")
    now = utcnow()
    period = selection.save_period(
        db_session, None, actor_id=member.id, code="CPNS-2028", title="Seleksi 2028", agency="Instansi",
        description="", applications_open_at=now + timedelta(days=60), applications_close_at=now + timedelta(days=90),
        appeal_days=3, schedule_id=None, rules=default_rules_json(),
    )  # fmt: skip
    db_session.commit()
    committee, member = hr_world.signed_in(app, make_user, "committee")
    public = app.test_client()
    link = 'href="/sdm/konsultasi/CPNS-2028"'
    assert link not in public.get("/seleksi/CPNS-2028").get_data(as_text=True)  # nothing to comment on yet
    page = "/panitia/konsultasi/"
    assert f'href="{page}"' in committee.get("/panitia/").get_data(as_text=True)  # linked from the committee home
    html = committee.get(page).get_data(as_text=True)
    assert "CPNS-2028" in html and "belum dibuka" in html
    form = {
        "period": str(period.id),
        "question": "Apakah ambang batas dan bobot periode 2028 sudah adil?",
        "opens_at": "2030-01-01T08:00",
        "closes_at": "2029-12-01T08:00",
        "csrf_token": token(committee, page),
    }
    assert committee.post(page, data=form).status_code == 200  # closes before it opens: refused
    assert _count(db_session, PublicConsultation) == 0
    response = committee.post(page, data={**form, "opens_at": "2029-11-01T08:00"})
    assert response.status_code == 303
    opened = db_session.scalar(select(PublicConsultation))
    assert (opened.period_id, opened.created_by_id) == (period.id, member.id)
    assert opened.opens_at.hour == 1  # 08:00 WIB is 01:00 UTC
    assert response.headers["Location"].endswith(f"/sdm/konsultasi/{opened.id}/ringkasan")
    assert committee.get(f"/sdm/konsultasi/{opened.id}/ringkasan").status_code == 200
    assert link in public.get("/seleksi/CPNS-2028").get_data(as_text=True)  # the public finds it on the vacancy
    # One consultation per period: the period is no longer offered, and a forged post opens nothing.
    assert 'name="period"' not in committee.get(page).get_data(as_text=True)
    committee.post(page, data={**form, "opens_at": "2029-11-01T08:00", "csrf_token": token(committee, "/akun")})
    assert _count(db_session, PublicConsultation) == 1

    for role in ("candidate", "hr_officer", "proctor"):
        other, _user = hr_world.signed_in(app, make_user, role)
        assert other.get(page).status_code == 403, role
    assert app.test_client().get(page).status_code == 302


# --------------------------------------------------------------------------- times in WIB

#: 15:59 UTC is 22:59 in Jakarta: these pages used to print the UTC time (once with "UTC" after it).
LATE_EVENING = datetime(2026, 12, 3, 15, 59, tzinfo=UTC)


def test_moderation_and_consultation_times_are_wib_with_the_zone_named(app, make_user, client, db_session, units):
    _feedback(client, units, comment="Pelayanan cepat.")
    feedback = db_session.scalar(select(CommunityFeedback))
    feedback.submitted_at = LATE_EVENING
    member = make_user("committee")
    period = selection.save_period(
        db_session, None, actor_id=member.id, code="CPNS-WIB-2027", title="Seleksi WIB", agency="Instansi",
        description="", applications_open_at=LATE_EVENING + timedelta(days=30),
        applications_close_at=LATE_EVENING + timedelta(days=60), appeal_days=3, schedule_id=None,
        rules=default_rules_json(),
    )  # fmt: skip
    consultation = PublicConsultation(
        period_id=period.id, question="Adilkah?", opens_at=LATE_EVENING, closes_at=LATE_EVENING + timedelta(days=1),
        created_by_id=member.id, summary="Ringkasan.", summarised_at=LATE_EVENING,
    )  # fmt: skip
    db_session.add(consultation)
    db_session.commit()
    hr, _user = hr_world.signed_in(app, make_user, "hr_officer")
    committee, _member = hr_world.signed_in(app, make_user, "committee")
    pages = {
        "moderation": hr.get("/sdm/moderasi").get_data(as_text=True),
        "summary": committee.get(f"/sdm/konsultasi/{consultation.id}/ringkasan").get_data(as_text=True),
        "public": client.get("/sdm/konsultasi/CPNS-WIB-2027").get_data(as_text=True),
    }
    for name, html in pages.items():
        assert "3 Des 2026 22.59 WIB" in html, name
        assert "UTC" not in html and "15.59" not in html and "15:59" not in html and "2026-12-03" not in html, name
    assert "Dibuka 3 Des 2026 22.59 WIB sampai 4 Des 2026 22.59 WIB." in pages["public"]
