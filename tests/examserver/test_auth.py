"""Signing in and out, throttling, CSRF and login sessions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from examserver.accounts.models import LoginSession, User
from examserver.accounts.roles import ROLE_HOME, ROLES
from examserver.auth.login import SESSION_TOKEN_KEY
from tests.conftest import PASSWORD, csrf_token, login
from tests.examserver.test_registration import field_errors


def test_login_page_is_indonesian_by_default(client):
    response = client.get("/masuk")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="id">' in html
    assert "Masuk dengan email dan kata sandi" in html
    assert 'autocomplete="current-password"' in html


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lands_on_its_home(app, client, make_user, role):
    user = make_user(role)
    response = login(client, user.email)
    assert response.status_code == 302
    with app.test_request_context():
        from flask import url_for

        home = url_for(ROLE_HOME[role])
    assert response.headers["Location"] == home
    page = client.get(home)
    assert page.status_code == 200
    assert user.full_name in page.get_data(as_text=True)


def test_wrong_password_is_refused_with_a_message(client, make_user):
    user = make_user()
    response = login(client, user.email, "salah-sekali")
    assert response.status_code == 422
    assert "Email atau kata sandi salah." in response.get_data(as_text=True)
    assert client.get("/peserta/").status_code == 302  # still signed out


def test_unknown_email_gets_the_same_message(client):
    response = login(client, "tidak-ada@contoh.id", "apa-saja-123")
    assert response.status_code == 422
    assert "Email atau kata sandi salah." in response.get_data(as_text=True)


def test_ten_failures_then_429_then_the_right_password_works_after_the_window(app, client, make_user, clock):
    # The production window (5 minutes); the limiter's clock is moved past it instead of waited out.
    window = 300
    assert app.config["LOGIN_FAILURE_LIMIT"] == "10 per 5 minutes"
    user = make_user()
    for _ in range(10):
        assert login(client, user.email, "salah-sekali").status_code == 422
    blocked = login(client, user.email, PASSWORD)
    assert blocked.status_code == 429
    assert "Terlalu banyak percobaan yang gagal" in blocked.get_data(as_text=True)
    assert "Retry-After" in blocked.headers
    clock.advance(window - 5)
    assert login(client, user.email, PASSWORD).status_code == 429, "still inside the window"
    clock.advance(5.5)
    assert login(client, user.email, PASSWORD).status_code == 302


def test_throttling_is_per_account(client, make_user):
    victim, other = make_user(), make_user()
    for _ in range(10):
        login(client, victim.email, "salah-sekali")
    assert login(client, other.email).status_code == 302


def test_successful_logins_do_not_count_as_failures(client, make_user):
    user = make_user()
    for _ in range(12):
        assert login(client, user.email).status_code == 302
        client.post("/keluar", data={"csrf_token": csrf_token(client, "/akun")})


def test_login_without_csrf_token_is_refused_and_changes_nothing(client, make_user, db_session):
    user = make_user()
    before = db_session.scalar(select(func.count(LoginSession.id)))
    response = client.post("/masuk", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Formulir kedaluwarsa atau tidak sah" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(LoginSession.id))) == before
    assert client.get("/peserta/").status_code == 302


def test_admin_form_without_csrf_is_refused_and_creates_nothing(client, login_as, db_session):
    login_as("admin")
    before = db_session.scalar(select(func.count(User.id)))
    response = client.post(
        "/admin/pengguna",
        data={"email": "baru@contoh.id", "full_name": "Baru", "role": "candidate", "password": "12345678"},
    )
    assert response.status_code == 400
    assert db_session.scalar(select(func.count(User.id))) == before


def test_login_issues_a_new_session_id(client, make_user):
    user = make_user()
    login(client, user.email)
    with client.session_transaction() as session:
        first = session[SESSION_TOKEN_KEY]
    client.post("/keluar", data={"csrf_token": csrf_token(client, "/akun")})
    login(client, user.email)
    with client.session_transaction() as session:
        assert session[SESSION_TOKEN_KEY] != first


def test_planted_session_values_do_not_survive_login(client, make_user):
    user = make_user()
    with client.session_transaction() as session:
        session[SESSION_TOKEN_KEY] = "attacker-chosen"
        session["_user_id"] = "999"
    login(client, user.email)
    with client.session_transaction() as session:
        assert session[SESSION_TOKEN_KEY] != "attacker-chosen"
        assert session["_user_id"] == str(user.id)


def test_logout_ends_the_server_session(app, client, make_user):
    user = make_user()
    login(client, user.email)
    with client.session_transaction() as session:
        stolen = dict(session)
    client.post("/keluar", data={"csrf_token": csrf_token(client, "/akun")})
    # Replaying the old cookie contents does not sign anyone in.
    with client.session_transaction() as session:
        session.update(stolen)
    assert client.get("/peserta/").status_code == 302


def test_logout_everywhere_signs_out_other_devices(app, client, make_user):
    user = make_user()
    other_device = app.test_client()
    login(other_device, user.email)
    login(client, user.email)
    assert other_device.get("/peserta/").status_code == 200
    response = client.post("/akun/keluar-semua", data={"csrf_token": csrf_token(client, "/akun")})
    assert response.status_code == 302
    assert other_device.get("/peserta/").status_code == 302
    assert client.get("/peserta/").status_code == 302


def test_idle_timeout(app, client, make_user, db_session):
    user = make_user()
    login(client, user.email)
    row = db_session.scalar(select(LoginSession).where(LoginSession.user_id == user.id))
    row.created_at -= app.config["SESSION_IDLE_TIMEOUT"] + timedelta(minutes=1)
    row.last_seen_at = row.created_at
    db_session.commit()
    assert client.get("/peserta/").status_code == 302
    assert db_session.get(LoginSession, row.id).revoked_at is not None


def test_activity_keeps_the_session_alive_until_the_absolute_timeout(app, client, make_user, db_session):
    user = make_user()
    login(client, user.email)
    row = db_session.scalar(select(LoginSession).where(LoginSession.user_id == user.id))
    row.created_at -= app.config["SESSION_ABSOLUTE_TIMEOUT"] - timedelta(minutes=5)
    db_session.commit()
    assert client.get("/peserta/").status_code == 200  # recently seen, within the absolute limit
    db_session.get(LoginSession, row.id).created_at -= timedelta(minutes=10)
    db_session.commit()
    assert client.get("/peserta/").status_code == 302


def test_disabled_account_cannot_sign_in(client, make_user, db_session):
    user = make_user()
    db_session.get(User, user.id).is_disabled = True
    db_session.commit()
    response = login(client, user.email)
    assert response.status_code == 422


def test_admin_disabling_an_account_ends_its_sessions(app, client, make_user, login_as):
    victim = make_user()
    victim_client = app.test_client()
    login(victim_client, victim.email)
    assert victim_client.get("/peserta/").status_code == 200
    login_as("admin")
    token = csrf_token(client, "/admin/pengguna")
    response = client.post(f"/admin/pengguna/{victim.id}/nonaktifkan", data={"csrf_token": token, "understood": "y"})
    assert response.status_code == 303
    assert victim_client.get("/peserta/").status_code == 302
    assert login(victim_client, victim.email).status_code == 422


def test_an_admin_cannot_disable_their_own_account_and_can_enable_another_again(
    app, client, make_user, login_as, db_session
):
    admin = login_as("admin")
    token = csrf_token(client, "/admin/pengguna")
    refused = client.post(f"/admin/pengguna/{admin.id}/nonaktifkan", data={"csrf_token": token, "understood": "y"})
    assert refused.status_code == 303 and refused.headers["Location"] == "/admin/pengguna"
    page = client.get("/admin/pengguna").get_data(as_text=True)
    assert "Anda tidak dapat menonaktifkan akun Anda sendiri." in page
    db_session.expire_all()
    assert not db_session.get(User, admin.id).is_disabled
    other = make_user()
    for action in ("nonaktifkan", "aktifkan"):
        done = client.post(f"/admin/pengguna/{other.id}/{action}", data={"csrf_token": token, "understood": "y"})
        assert done.status_code == 303
    db_session.expire_all()
    assert not db_session.get(User, other.id).is_disabled
    assert f"Akun {other.email} diaktifkan kembali." in client.get("/admin/pengguna").get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://jahat.example/", "//jahat.example/x", "/\\jahat.example"])
def test_login_never_redirects_off_site(client, make_user, target):
    user = make_user()
    response = login(client, user.email, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/peserta/"


def test_login_returns_to_a_local_next_page(client, make_user):
    user = make_user("admin")
    response = login(client, user.email, next="/admin/pengguna?role=proctor")
    assert response.headers["Location"] == "/admin/pengguna?role=proctor"


def test_cookie_flags(client, make_user):
    user = make_user()
    response = login(client, user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_password_change_signs_out_other_devices(app, client, make_user):
    user = make_user()
    other_device = app.test_client()
    login(other_device, user.email)
    login(client, user.email)
    token = csrf_token(client, "/akun")
    response = client.post(
        "/akun/kata-sandi",
        data={"csrf_token": token, "current": PASSWORD, "new": "sandi-baru-99", "confirm": "sandi-baru-99"},
    )
    assert response.status_code == 303
    assert client.get("/peserta/").status_code == 200
    assert other_device.get("/peserta/").status_code == 302
    assert login(other_device, user.email, "sandi-baru-99").status_code == 302


def test_password_change_with_wrong_current_password_changes_nothing(client, make_user):
    user = make_user()
    login(client, user.email)
    token = csrf_token(client, "/akun")
    client.post(
        "/akun/kata-sandi",
        data={
            "csrf_token": token,
            "current": "keliru-123",
            "new": "sandi-baru-99",
            "confirm": "sandi-baru-99",
        },
    )
    fresh = client.application.test_client()
    assert login(fresh, user.email, PASSWORD).status_code == 302


def test_a_password_change_s_mistakes_show_beside_their_fields_and_no_password_comes_back(client, make_user):
    """Every mistake at once beside its field, the wrong current password with the others (it was one
    flash above the page at a time, after a redirect); the browser leaves the checks to the server
    (novalidate); and nothing typed is sent back, as passwords never are."""
    user = make_user()
    login(client, user.email)
    page = client.get("/akun").get_data(as_text=True)
    form_tag = re.search(r'<form[^>]*action="/akun/kata-sandi[^"]*"[^>]*>', page)
    assert form_tag and "novalidate" in form_tag.group()
    typed = {"current": "keliru-123", "new": "pendek", "confirm": "lain-lagi"}
    response = client.post("/akun/kata-sandi", data={"csrf_token": csrf_token(client, "/akun"), **typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and not response.history
    expected = {
        "current": "Kata sandi sekarang salah.",
        "new": "Kata sandi minimal 8 karakter.",
        "confirm": "Kedua kata sandi baru tidak sama.",
    }
    assert {name: field_errors(html).get(name) for name in expected} == expected  # each beside its field
    for value in typed.values():
        assert value not in html
    assert not re.search(r'name="(current|new|confirm)"[^>]*value="[^"]', html)
    fresh = client.application.test_client()
    assert login(fresh, user.email, PASSWORD).status_code == 302


def test_throttling_through_redis(config_class, db_session, make_user):
    """With REDIS_URL set (several nodes), failures are counted in Redis and still give 429."""
    import socket
    import uuid

    from examserver import create_app
    from examserver.extensions import limiter
    from tests.conftest import require

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        reachable = True
    except OSError:
        reachable = False
    require(reachable, "Redis not running on 127.0.0.1:6379")
    # Flask-Limiter is one object per process and the last init_app picks its storage: keep the
    # suite's storage to put back afterwards.
    saved = limiter._storage, limiter._limiter
    app = create_app(
        config_class(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex)
    )
    try:
        client = app.test_client()
        user = make_user()
        for _ in range(10):
            assert login(client, user.email, "salah-sekali").status_code == 422
        assert login(client, user.email, PASSWORD).status_code == 429
        # A second node sharing Redis sees the same count.
        other_node = create_app(
            config_class(
                RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
                RATELIMIT_KEY_PREFIX=app.config["RATELIMIT_KEY_PREFIX"],
            )
        )
        assert login(other_node.test_client(), user.email, PASSWORD).status_code == 429
    finally:
        with app.app_context():
            limiter.reset()
        limiter._storage, limiter._limiter = saved
