"""The sign-in lookup remembered for a few seconds (examserver/auth/identity_cache.py): a signed-in
request sends no statement for who it is, a revocation in this process takes effect at once, and one
made elsewhere (another node) within ``IDENTITY_CACHE_SECONDS``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from examserver.accounts.models import LoginSession, User
from examserver.auth import identity_cache as cache_module
from examserver.auth.login import identity_cache
from tests.conftest import login, statements

LOOKUP = "login_session.token_hash"


def signed_in(app, make_user):
    user = make_user()
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    return user, client


def test_the_second_request_sends_no_statement_for_the_sign_in(app, db_session, make_user):
    _, client = signed_in(app, make_user)
    with statements(db_session) as first:
        assert client.get("/ujian/ping").status_code == 200
    with statements(db_session) as second:
        assert client.get("/ujian/ping").status_code == 200
    assert any(LOOKUP in sql for sql in first), first
    assert not any(LOOKUP in sql for sql in second), second


def test_turned_off_every_request_looks_the_sign_in_up(app, db_session, make_user, monkeypatch):
    _, client = signed_in(app, make_user)
    monkeypatch.setattr(identity_cache(app), "seconds", 0)
    identity_cache(app).clear()
    for _ in range(2):
        with statements(db_session) as sent:
            assert client.get("/ujian/ping").status_code == 200
        assert any(LOOKUP in sql for sql in sent), sent


def test_a_revocation_made_elsewhere_holds_at_most_the_cache_time(app, db_session, make_user, monkeypatch):
    """A revocation this process does not see (another node's, here a raw UPDATE past the ORM) is
    answered from the cache until its entry ends, then refused: the documented bound."""
    user, client = signed_in(app, make_user)
    assert client.get("/ujian/ping").status_code == 200
    db_session.execute(text("UPDATE login_session SET revoked_at = created_at WHERE user_id = :u"), {"u": user.id})
    db_session.commit()
    assert client.get("/ujian/ping").status_code == 200  # still remembered
    later = cache_module.time.monotonic() + app.config["IDENTITY_CACHE_SECONDS"] + 0.1
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: later)
    assert client.get("/ujian/ping").status_code != 200


def test_a_remembered_sign_in_still_ends_when_idle(app, db_session, make_user):
    """The cache judges the session's life on each request: an entry is not a licence to outlive
    the idle timeout (the ORM change to the row also forgets it; here the times alone decide)."""
    user, client = signed_in(app, make_user)
    assert client.get("/ujian/ping").status_code == 200
    cache = identity_cache(app)
    digest, remembered = next(
        (digest, entry) for digest, entry in cache._entries.items() if entry.identity.user_id == user.id
    )
    idle = app.config["SESSION_IDLE_TIMEOUT"] + timedelta(minutes=1)
    cache._entries[digest] = remembered.__class__(
        remembered.identity, remembered.created_at - idle, remembered.last_seen_at - idle, remembered.until
    )
    row = db_session.scalar(select(LoginSession).where(LoginSession.user_id == user.id))
    db_session.execute(
        text("UPDATE login_session SET last_seen_at = :t, created_at = :t WHERE id = :i"),
        {"t": row.last_seen_at - idle, "i": row.id},
    )
    db_session.commit()
    assert client.get("/ujian/ping").status_code != 200
    db_session.expire_all()
    assert db_session.get(LoginSession, row.id).revoked_at is not None


def test_a_due_touch_reads_and_writes_the_database(app, db_session, make_user):
    """The last-seen time is still written back once per SESSION_TOUCH_INTERVAL: a remembered entry
    whose touch is due is not used."""
    user, client = signed_in(app, make_user)
    assert client.get("/ujian/ping").status_code == 200
    cache = identity_cache(app)
    interval = app.config["SESSION_TOUCH_INTERVAL"]
    for digest, entry in list(cache._entries.items()):
        if entry.identity.user_id == user.id:
            cache._entries[digest] = entry.__class__(
                entry.identity, entry.created_at, entry.last_seen_at - interval, entry.until
            )
    with statements(db_session) as sent:
        assert client.get("/ujian/ping").status_code == 200
    assert any(LOOKUP in sql for sql in sent), sent


def test_a_change_to_the_account_is_seen_at_once(app, db_session, make_user):
    user, client = signed_in(app, make_user)
    assert client.get("/ujian/ping").status_code == 200
    db_session.get(User, user.id).role = "proctor"  # an ORM change to the account forgets its entries
    db_session.commit()
    assert all(entry.identity.user_id != user.id for entry in identity_cache(app)._entries.values())
    assert client.get("/ujian/ping").status_code == 403


def test_the_cache_time_is_read_from_the_environment(monkeypatch, tmp_path):
    import examserver.config as config
    from examserver.config import Config, load_config

    monkeypatch.setattr(config, "INSTANCE", tmp_path)  # nothing written under the checkout's instance/
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("IDENTITY_CACHE_SECONDS", "0")
    assert load_config(Config)["IDENTITY_CACHE_SECONDS"] == 0.0
    monkeypatch.delenv("IDENTITY_CACHE_SECONDS")
    assert load_config(Config)["IDENTITY_CACHE_SECONDS"] == 5.0
