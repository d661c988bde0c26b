"""Health, headers, request ids, language and configuration."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from examserver import create_app
from examserver.accounts.models import User
from examserver.config import ConfigError, ProductionConfig, TestingConfig, load_config
from examserver.extensions import db
from tests.conftest import csrf_token


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    config = type("Broken", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no/such/dir/x.db"})
    response = create_app(config).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_security_headers(client):
    response = client.get("/masuk")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_and_no_external_resources(client):
    html = client.get("/masuk").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "<main" in html and 'role="banner"' in html and 'role="contentinfo"' in html


def test_request_id_is_echoed_or_generated(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc12345-xyz"}).headers["X-Request-ID"] == "abc12345-xyz"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)


def test_language_switch_to_english_and_back(client):
    token = csrf_token(client)
    response = client.post("/bahasa", data={"csrf_token": token, "lang": "en", "next": "/masuk"})
    assert response.headers["Location"] == "/masuk"
    html = client.get("/masuk").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Sign in" in html
    token = csrf_token(client)
    client.post("/bahasa", data={"csrf_token": token, "lang": "id", "next": "/masuk"})
    assert "Masuk dengan email" in client.get("/masuk").get_data(as_text=True)


def test_language_choice_survives_login_and_is_saved(client, make_user, db_session):
    user = make_user()
    token = csrf_token(client)
    client.post("/bahasa", data={"csrf_token": token, "lang": "en", "next": "/masuk"})
    from tests.conftest import login

    login(client, user.email)
    assert '<html lang="en">' in client.get("/peserta/").get_data(as_text=True)
    token = csrf_token(client, "/akun")
    client.post("/bahasa", data={"csrf_token": token, "lang": "id", "next": "/akun"})
    db_session.expire_all()
    assert db_session.get(User, user.id).locale == "id"


def test_unknown_language_is_ignored(client):
    token = csrf_token(client)
    client.post("/bahasa", data={"csrf_token": token, "lang": "xx", "next": "/masuk"})
    assert '<html lang="id">' in client.get("/masuk").get_data(as_text=True)


def test_404_is_translated(client):
    response = client.get("/tidak-ada")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan." in response.get_data(as_text=True)


def test_production_requires_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        load_config(ProductionConfig)
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError):
        load_config(ProductionConfig)
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    values = load_config(ProductionConfig)
    assert values["SESSION_COOKIE_SECURE"] is True


def test_development_secret_is_generated_once(monkeypatch, tmp_path):
    import examserver.config as config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE", tmp_path)
    first = load_config(config.DevelopmentConfig)["SECRET_KEY"]
    second = load_config(config.DevelopmentConfig)["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_redis_url_switches_rate_limit_storage(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert load_config(TestingConfig)["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def demo_again(own_demo):
    """A copy of the suite's demo (seeded once per run by ``flask demo --if-empty``), for seeding again."""
    return own_demo("demo-again")


def test_demo_command_is_idempotent(demo_again):
    runner = demo_again.test_cli_runner()
    with demo_again.app_context():
        count = db.session.scalar(select(func.count(User.id)))
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "accounts: 0" in again.output and "items: 0" in again.output
    assert "database already has accounts" in runner.invoke(args=["demo", "--if-empty"]).output
    with demo_again.app_context():
        assert db.session.scalar(select(func.count(User.id))) == count
        emails = set(db.session.scalars(select(User.email)))
    assert {
        "admin@demo.id",
        "penulis@demo.id",
        "reviewer@demo.id",
        "pengawas@demo.id",
        "panitia@demo.id",
        "hr@demo.id",
        "kandidat1@demo.id",
        "kandidat20@demo.id",
    } <= emails


def test_demo_accounts_sign_in_with_the_demo_password(demo_app):
    from tests.conftest import login

    response = login(demo_app.test_client(), "panitia@demo.id", "demo12345")
    assert response.headers["Location"] == "/panitia/"


def test_demo_is_refused_in_production(config_class):
    prod = create_app(config_class(ENV_NAME="production"))
    result = prod.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "never created in production" in result.output


def test_users_cli_creates_and_disables(app, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "kepala@contoh.id", "--name", "Kepala", "--role", "admin"],
        input="sandi-kuat-1\nsandi-kuat-1\n",
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["users", "create", "kepala@contoh.id", "--name", "X", "--role", "admin"],
        input="sandi-kuat-1\nsandi-kuat-1\n",
    )
    assert result.exit_code != 0 and "email_taken" in result.output
    assert runner.invoke(args=["users", "disable", "kepala@contoh.id"]).exit_code == 0
    assert db_session.scalar(select(User).where(User.email == "kepala@contoh.id")).is_disabled


def test_text_responses_are_gzipped_for_slow_links(client):
    import gzip

    page = client.get("/masuk", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in page.headers["Vary"]
    assert b"Masuk" in gzip.decompress(page.data)
    css = client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip, deflate"})
    assert css.headers["Content-Encoding"] == "gzip" and len(css.data) < len(gzip.decompress(css.data))
    plain = client.get("/masuk")
    assert "Content-Encoding" not in plain.headers


def test_demo_seeds_schedules_for_every_demo_candidate(demo_app):
    from examserver.delivery.models import ExamSchedule

    with demo_app.app_context():
        demo = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == "DEMO-SKD"))
        national = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == "SKD-2026-I"))
        assert len(demo.sessions) == 20 and len(national.sessions) == 20
        assert demo.blueprint.item_count == 15 and national.blueprint.item_count == 110
        assert national.start_pin_hash and demo.has_public_scoreboard
