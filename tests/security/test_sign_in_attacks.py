"""Attacks on signing in: password guessing (HTTP 429), session fixation, replayed cookies, login
CSRF, and the recovery-code form."""

from __future__ import annotations

from sqlalchemy import select

from examserver.accounts import services
from examserver.accounts.models import User
from tests.conftest import PASSWORD, csrf_token, login
from tests.security.conftest import signed_in

BLOCKED = "Terlalu banyak percobaan"
COOKIE = "ujian_session"


def test_guessing_one_account_is_stopped_with_429_whatever_the_spelling(client, make_user):
    user = make_user("candidate")
    spellings = [user.email, user.email.upper(), f"  {user.email}", user.email.title()]
    for attempt in range(10):
        assert login(client, spellings[attempt % 4], "salah-sekali").status_code == 422
    for spelling in spellings:
        blocked = login(client, spelling, "salah-lagi")
        assert blocked.status_code == 429 and BLOCKED in blocked.get_data(as_text=True), spelling
    # The right password is refused too while the window lasts: the guesser learns nothing.
    assert login(client, user.email, PASSWORD).status_code == 429
    assert not client.get("/peserta/").status_code == 200


def test_guessing_many_accounts_from_one_address_is_stopped(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURE_LIMIT_PER_IP", "5 per 5 minutes")
    for n in range(5):
        assert login(client, f"tebakan{n}@contoh.id", "salah-sekali").status_code == 422
    assert login(client, "tebakan-lain@contoh.id", "salah-sekali").status_code == 429
    other = app.test_client()
    other_address = {"REMOTE_ADDR": "10.9.8.7"}
    token = csrf_token(other)
    response = other.post(
        "/masuk", data={"email": "x@contoh.id", "password": "salah", "csrf_token": token}, environ_base=other_address
    )
    assert response.status_code == 422  # another address is not blocked


def test_successful_sign_ins_never_count_as_failures(app, make_user):
    user = make_user("candidate")
    for _ in range(15):
        client = app.test_client()
        assert login(client, user.email).status_code == 302


def test_recovery_codes_cannot_be_guessed(client, make_user, db_session):
    user = make_user("candidate")
    for _ in range(10):
        token = csrf_token(client, "/lupa-sandi")
        data = {"email": user.email, "code": "AAAAA-BBBBB", "new": "kata-sandi-baru", "confirm": "kata-sandi-baru"}
        assert client.post("/lupa-sandi", data={**data, "csrf_token": token}).status_code == 422
    token = csrf_token(client, "/lupa-sandi")
    assert client.post("/lupa-sandi", data={**data, "csrf_token": token}).status_code == 429


def test_the_session_id_changes_at_sign_in_so_a_planted_cookie_gains_nothing(app, make_user, db_session):
    user = make_user("candidate")
    victim = app.test_client()
    token = csrf_token(victim)
    planted = victim.get_cookie(COOKIE).value  # what an attacker could have set in the victim's browser
    response = victim.post("/masuk", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    after = victim.get_cookie(COOKIE).value
    assert after != planted
    assert victim.get("/peserta/").status_code == 200
    attacker = app.test_client()
    attacker.set_cookie(COOKIE, planted)
    assert attacker.get("/peserta/").status_code == 302  # the planted session was never signed in
    # The pre-sign-in CSRF token is gone with the old session (no login CSRF carried over).
    stale = victim.post("/akun/keluar-semua", data={"csrf_token": token})
    assert stale.status_code == 400
    assert victim.get("/peserta/").status_code == 200


def test_two_sign_ins_get_two_server_sessions(app, make_user, db_session):
    user = make_user("candidate")
    first, second = signed_in(app, user), signed_in(app, user)
    assert first.get_cookie(COOKIE).value != second.get_cookie(COOKIE).value
    db_session.expire_all()
    assert len([s for s in db_session.get(User, user.id).login_sessions if s.revoked_at is None]) == 2


def test_a_copied_cookie_stops_working_at_sign_out(app, make_user):
    user = make_user("candidate")
    client = signed_in(app, user)
    stolen = client.get_cookie(COOKIE).value
    thief = app.test_client()
    thief.set_cookie(COOKIE, stolen)
    assert thief.get("/peserta/").status_code == 200
    token = csrf_token(client, "/akun")
    assert client.post("/keluar", data={"csrf_token": token}).status_code == 302
    assert thief.get("/peserta/").status_code == 302
    assert thief.get("/api/sesi/1/status").status_code == 401


def test_a_disabled_account_is_signed_out_everywhere_at_once(app, make_user, db_session):
    user = make_user("candidate")
    client = signed_in(app, user)
    with app.app_context():
        row = db_session.scalar(select(User).where(User.id == user.id))
        services.set_disabled(db_session, row, True)
        db_session.commit()
    assert client.get("/peserta/").status_code == 302
    assert login(app.test_client(), user.email).status_code == 422


def test_a_tampered_cookie_is_ignored(app, make_user):
    user = make_user("candidate")
    client = signed_in(app, user)
    value = client.get_cookie(COOKIE).value
    forged = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    thief = app.test_client()
    thief.set_cookie(COOKIE, forged)
    assert thief.get("/peserta/").status_code == 302


def _fail(client, forwarded_for: str):
    token = csrf_token(client)
    return client.post(
        "/masuk",
        data={"email": f"tebak-{forwarded_for}@contoh.id", "password": "salah", "csrf_token": token},
        headers={"X-Forwarded-For": forwarded_for},
    )


def test_a_forged_forwarded_for_does_not_dodge_the_address_limit(app, client, monkeypatch):
    """Without a trusted proxy, X-Forwarded-For is ignored: a guesser cannot pick a new address."""
    monkeypatch.setitem(app.config, "LOGIN_FAILURE_LIMIT_PER_IP", "5 per 5 minutes")
    for n in range(5):
        assert _fail(client, f"203.0.113.{n}").status_code == 422
    assert _fail(client, "203.0.113.99").status_code == 429


def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(config_class, db_session):
    """Behind nginx (TRUSTED_PROXIES=1) one guesser does not lock everybody else out."""
    from examserver import create_app

    proxied = create_app(config_class(TRUSTED_PROXIES=1, LOGIN_FAILURE_LIMIT_PER_IP="5 per 5 minutes"))
    client = proxied.test_client()
    for _ in range(5):
        assert _fail(client, "203.0.113.7").status_code == 422
    assert _fail(client, "203.0.113.7").status_code == 429
    assert _fail(client, "198.51.100.20").status_code == 422


def test_signing_out_clears_what_the_browser_keeps_unless_an_exam_runs(app, make_user, exam_factory):
    """A shared computer at a test site: the next person must not find the items in the cache."""
    user = make_user("candidate")
    client = signed_in(app, user)
    response = client.post("/keluar", data={"csrf_token": csrf_token(client, "/akun")})
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    candidate, exam = exam_factory()
    client = signed_in(app, candidate)
    from tests.examserver.player_client import Player

    assert Player(client, exam.id).start().status_code == 200
    response = client.post("/akun/keluar-semua", data={"csrf_token": csrf_token(client, "/akun")})
    assert response.headers["Clear-Site-Data"] == '"cache"'  # unsent answers wait in the storage
    assert client.get("/peserta/").status_code == 302


def test_self_registration_always_makes_a_candidate(client, db_session):
    """Mass assignment: extra fields for role, state or locale in the sign-up post change nothing."""
    data = {
        "full_name": "Rina Wulandari", "nik": "3171024508990001", "email": "rina@contoh.id", "phone": "0812 3456 7890",
        "password": "sandi-rina-1", "confirm": "sandi-rina-1", "role": "admin", "is_disabled": "0", "locale": "xx",
    }  # fmt: skip
    response = client.post("/daftar", data={**data, "csrf_token": csrf_token(client, "/daftar")})
    assert response.status_code == 303
    user = db_session.scalar(select(User).where(User.email == "rina@contoh.id"))
    assert user.role == "candidate" and user.locale in ("id", "en")
    assert login(client, "rina@contoh.id", "sandi-rina-1").status_code == 302
    assert client.get("/admin/").status_code == 403
