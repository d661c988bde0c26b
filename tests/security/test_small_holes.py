"""The smaller holes an outside attack found: a sign-in timing oracle, registration telling who is
registered, chunked bodies past the API limit, control characters in ``next``, personal pages in
shared caches, announcement signatures that fit any announcement, Clear-Site-Data on sign-in, and the
demo's national sitting without the proctor's authorisation."""

from __future__ import annotations

import io
import logging

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from examserver.accounts.models import User
from examserver.delivery.models import Answer, ExamSchedule
from examserver.extensions import db
from examserver.selection import announcements, signing
from examserver.selection.models import Announcement
from tests.conftest import csrf_token, login
from tests.examserver.player_client import DEVICE, Player
from tests.examserver.test_registration import VALID_NIK, register
from tests.security.conftest import signed_in


@pytest.fixture
def argon2_calls(monkeypatch):
    """How many Argon2 hashes and verifications the app computes."""
    calls = {"hash": 0, "verify": 0}
    real_hash, real_verify = PasswordHasher.hash, PasswordHasher.verify

    def counted_hash(self, *args, **kwargs):
        calls["hash"] += 1
        return real_hash(self, *args, **kwargs)

    def counted_verify(self, *args, **kwargs):
        calls["verify"] += 1
        return real_verify(self, *args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "hash", counted_hash)
    monkeypatch.setattr(PasswordHasher, "verify", counted_verify)
    return calls


# ------------------------------------------------------------------------ 1. sign-in timing


def test_an_unknown_email_costs_one_verification_like_a_known_one(client, make_user, argon2_calls):
    user = make_user("candidate")
    login(client, "belum-ada-0@contoh.id", "salah-sekali")  # the dummy hash may be made here, once
    argon2_calls.update(hash=0, verify=0)
    for n in range(1, 4):
        assert login(client, f"belum-ada-{n}@contoh.id", "salah-sekali").status_code == 422
    assert argon2_calls == {"hash": 0, "verify": 3}
    assert login(client, user.email, "salah-sekali").status_code == 422
    assert argon2_calls == {"hash": 0, "verify": 4}


# ------------------------------------------------------------------------ 2. registration


def _answer(client, response) -> tuple:
    """What a visitor sees of a registration: status, where it leads, and the message there."""
    page = client.get(response.headers["Location"]).get_data(as_text=True) if response.status_code == 303 else ""
    return response.status_code, response.headers.get("Location"), "Pendaftaran diterima" in page


def test_registration_answers_alike_for_new_and_registered_nik_or_email(app, db_session, argon2_calls, caplog):
    new = app.test_client()
    first = _answer(new, register(new))
    owner = db_session.scalar(select(User).where(User.email == "rina@contoh.id"))
    assert owner is not None and owner.nik == VALID_NIK
    assert first == (303, "/masuk", True)
    assert new.get("/peserta/").status_code == 302  # not signed in: the answer must not differ
    count = db_session.scalar(select(func.count(User.id)))

    caplog.set_level(logging.WARNING, logger=app.logger.name)
    for overrides in ({"email": "lain@contoh.id"}, {"nik": "3171020508990002"}, {"email": "RINA@contoh.id "}):
        visitor = app.test_client()
        argon2_calls.update(hash=0)
        assert _answer(visitor, register(visitor, **overrides)) == first, overrides
        assert argon2_calls["hash"] == 1  # the same work as a new account
        assert visitor.get("/peserta/").status_code == 302
    assert db_session.scalar(select(func.count(User.id))) == count
    notices = [r for r in caplog.records if r.getMessage() == "registration attempted for an existing account"]
    assert len(notices) == 3 and {r.notice_to_user_id for r in notices} == {owner.id}


def test_registration_still_shows_real_input_errors_beside_their_fields(app, db_session):
    register(app.test_client())
    for nik in (VALID_NIK, "3171020508990002"):  # registered or not, a bad field is named the same way
        bad_phone = register(app.test_client(), nik=nik, email="x@contoh.id", phone="12345")
        assert bad_phone.status_code == 422 and "Nomor ponsel tidak valid" in bad_phone.get_data(as_text=True)
        bad_email = register(app.test_client(), nik=nik, email="bukan-email")
        assert bad_email.status_code == 422 and "Email tidak valid" in bad_email.get_data(as_text=True)
    bad_nik = register(app.test_client(), nik="3171027508990001", email="y@contoh.id")
    assert bad_nik.status_code == 422 and "Tanggal lahir pada NIK tidak valid." in bad_nik.get_data(as_text=True)


# ------------------------------------------------------------------------ 3. chunked bodies


def test_a_chunked_save_past_the_api_limit_is_refused_and_stores_nothing(app, db_session, exam_factory):
    candidate, exam = exam_factory()
    client = signed_in(app, candidate)
    player = Player(client, exam.id)
    assert player.start().status_code == 200
    payload = b'{"client_id": "%s", "saves": [{"position": 1, "seq": 1, "response": "A"}], "x": "' % DEVICE.encode()

    def chunks():  # 7 MB without a Content-Length, as a chunked upload arrives from gunicorn
        yield payload
        for _ in range(7 * 16):
            yield b"a" * 65536
        yield b'"}'

    environ = EnvironBuilder(
        path=f"/api/sesi/{exam.id}/jawaban",
        method="POST",
        headers={"X-CSRFToken": player.token, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": io.BufferedReader(_Chunked(chunks())), "wsgi.input_terminated": True})
    response = client.open(Request(environ))
    assert response.status_code == 413, response.get_data(as_text=True)[:300]
    assert "Content-Length" not in response.request.headers
    assert db_session.scalar(select(func.count(Answer.session_item_id))) == 0


def test_a_save_declaring_a_body_past_the_api_limit_is_refused_and_stores_nothing(app, db_session, exam_factory):
    candidate, exam = exam_factory()
    client = signed_in(app, candidate)
    player = Player(client, exam.id)
    assert player.start().status_code == 200
    body = b'{"client_id": "%s", "saves": [{"position": 1, "seq": 1, "response": "A"}], "x": "%s"}' % (
        DEVICE.encode(),
        b"a" * (65 * 1024),
    )
    response = client.post(
        f"/api/sesi/{exam.id}/jawaban",
        data=body,
        headers={"X-CSRFToken": player.token, "Content-Type": "application/json"},
    )
    assert response.status_code == 413 and response.request.headers["Content-Length"] == str(len(body))
    assert db_session.scalar(select(func.count(Answer.session_item_id))) == 0


class _Chunked(io.RawIOBase):
    """A byte stream of unknown length made of chunks."""

    def __init__(self, chunks):
        self.chunks, self.rest = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.rest:
            self.rest = next(self.chunks, None)
            if self.rest is None:
                return 0
        n = min(len(buffer), len(self.rest))
        buffer[:n], self.rest = self.rest[:n], self.rest[n:]
        return n


# ------------------------------------------------------------------------ 4. control characters in next

HOSTILE_NEXT = ["/peserta/\r\nSet-Cookie: x=1", "/akun\nX: y", "/akun\x00", "/akun\x7f", "/akun\u2028"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_control_characters_in_next_after_sign_in_are_ignored(client, make_user, target):
    user = make_user("candidate")
    response = login(client, user.email, next=target)
    assert response.status_code == 302 and response.headers["Location"] == "/peserta/"
    assert client.get(f"/masuk?next={target}").status_code == 302  # signed in already: home, no 500


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_control_characters_in_next_of_the_language_switch_are_ignored(client, target):
    response = client.post("/bahasa", data={"lang": "en", "next": target, "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/"


# ------------------------------------------------------------------------ 5. shared caches


def test_the_public_scoreboard_with_a_cookie_or_csrf_token_is_never_public(app, make_user, exam_factory):
    _, exam = exam_factory(has_public_scoreboard=True)
    with app.app_context():
        code = db.session.get(ExamSchedule, exam.schedule_id).code
    for client in (app.test_client(), signed_in(app, make_user("candidate"))):
        response = client.get(f"/ujian/papan-skor/{code}")
        assert response.status_code == 200
        assert 'name="csrf_token"' in response.get_data(as_text=True)  # the language switch's form
        cache = response.cache_control
        assert cache.private and not cache.public and cache.max_age == 10, response.headers["Cache-Control"]


# ------------------------------------------------------------------------ 6. announcement signatures


def test_a_signature_does_not_verify_another_announcements_header(own_demo):
    app = own_demo("small-holes-announcements")
    with app.app_context():
        first = db.session.scalars(select(Announcement).order_by(Announcement.id)).first()
        body = "".join(f"{','.join(row)}\n" for row in announcements.table(first.csv_text))
        again = announcements.publish(
            db.session, first.period, stage=first.stage, title=first.title, csv_text=body,
            session_ids=first.session_ids, member_id=first.published_by_id, replaces=first,
            correction_reason="Diterbitkan ulang tanpa perubahan isi",
        )  # fmt: skip
        db.session.commit()
        key = signing.public_key_pem()
        header = again.csv_text.split("\n", 1)[0]
        assert header == (
            f"#pengumuman={again.id},periode={first.period.code},tahap={first.stage},"
            f"diterbitkan={again.published_at:%Y-%m-%dT%H:%M:%SZ},mengganti={first.id}"
        )
        assert announcements.table(again.csv_text) == announcements.table(first.csv_text)  # the same list
        assert signing.verify(key, again.csv_text.encode(), again.signature)
        assert signing.verify(key, first.csv_text.encode(), first.signature)
        # Neither signature vouches for the other announcement (the other id, time and replaced one).
        assert not signing.verify(key, again.csv_text.encode(), first.signature)
        assert not signing.verify(key, first.csv_text.encode(), again.signature)
        swapped = header + "\n" + first.csv_text.split("\n", 1)[1]
        assert not signing.verify(key, swapped.encode(), first.signature)
        stored = db.session.get(Announcement, again.id)
        assert stored.sha256 == announcements.digest(stored.csv_text)


# ------------------------------------------------------------------------ 7. Clear-Site-Data


def test_signing_in_clears_the_browser_unless_the_candidate_has_an_exam_running(app, make_user, exam_factory):
    fresh = login(app.test_client(), make_user("candidate").email)
    assert fresh.status_code == 302 and fresh.headers["Clear-Site-Data"] == '"cache", "storage"'
    staff = login(app.test_client(), make_user("proctor").email)
    assert staff.headers["Clear-Site-Data"] == '"cache", "storage"'

    candidate, exam = exam_factory()
    device = signed_in(app, candidate)
    assert Player(device, exam.id).start().status_code == 200
    again = app.test_client()  # e.g. the same computer after its cookie expired mid-exam
    response = login(again, candidate.email)
    assert response.status_code == 302 and response.headers["Clear-Site-Data"] == '"cache"'
    # Signing out: storage too only when no exam runs.
    out = device.post("/keluar", data={"csrf_token": csrf_token(device, "/akun")})
    assert out.headers["Clear-Site-Data"] == '"cache"'
    other = signed_in(app, make_user("candidate"))
    assert other.post("/keluar", data={"csrf_token": csrf_token(other, "/akun")}).headers["Clear-Site-Data"] == (
        '"cache", "storage"'
    )


# ------------------------------------------------------------------------ 8. the demo


def test_the_demo_national_sitting_needs_the_proctors_authorisation(demo_app):
    with demo_app.app_context():
        schedules = {s.code: s for s in db.session.scalars(select(ExamSchedule))}
        assert schedules["SKD-2026-I"].requires_authorisation
        assert schedules["SKD-2026-I"].start_pin_hash
        assert not schedules["DEMO-SKD"].requires_authorisation  # the always-open try-out stays open
