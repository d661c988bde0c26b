"""The sign-in lookup remembered per process (examserver/auth/identity_cache.py): a signed-in
request sends no statement for who it is, a revocation in this process takes effect at once, one
made elsewhere (another node) within ``IDENTITY_CACHE_SECONDS`` through the revocation feed, and the
last-seen times are written in one statement with the feed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select, text

from examserver.accounts.models import LoginSession, User
from examserver.auth import identity_cache as cache_module
from examserver.auth.login import identity_cache
from tests.conftest import CSRF_FIELD, login, statements

LOOKUP = "login_session.token_hash"


@pytest.fixture(autouse=True)
def fresh_cache(app):
    """Each test starts with a new cache: a clock moved by an earlier test must not leave its
    schedule in the application's cache."""
    app.extensions.pop("identity_cache", None)


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
    remembered.created_at -= idle
    remembered.last_seen_at -= idle
    row = db_session.scalar(select(LoginSession).where(LoginSession.user_id == user.id))
    db_session.execute(
        text("UPDATE login_session SET last_seen_at = :t, created_at = :t WHERE id = :i"),
        {"t": row.last_seen_at - idle, "i": row.id},
    )
    db_session.commit()
    assert client.get("/ujian/ping").status_code != 200
    db_session.expire_all()
    assert db_session.get(LoginSession, row.id).revoked_at is not None


def feed_now(monkeypatch, app):
    """Move the monotonic clock past the feed's interval, so the next request reads the feed."""
    later = cache_module.time.monotonic() + app.config["IDENTITY_CACHE_SECONDS"] + 0.1
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: later)


def entry_of(app, user):
    return next(entry for entry in identity_cache(app)._entries.values() if entry.identity.user_id == user.id)


def test_a_due_touch_is_written_with_the_next_feed_in_one_statement(app, db_session, make_user, monkeypatch):
    """A remembered request whose last-seen time is due to be written is still answered from memory;
    the write waits for the feed, which writes every queued row of the process at once."""
    users = [signed_in(app, make_user) for _ in range(3)]
    interval = app.config["SESSION_TOUCH_INTERVAL"]
    for user, client in users:
        assert client.get("/ujian/ping").status_code == 200
        entry = entry_of(app, user)
        entry.written_at -= interval  # the database's last-seen time is an interval old
    for _, client in users:
        with statements(db_session) as sent:
            assert client.get("/ujian/ping").status_code == 200
        assert sent == [], sent
    assert len(identity_cache(app).touches) == 3
    feed_now(monkeypatch, app)
    with statements(db_session) as sent:
        assert users[0][1].get("/ujian/ping").status_code == 200
    sent = [sql for sql in sent if "SAVEPOINT" not in sql]  # the test's transaction, not the app's
    assert [sql.split()[0] for sql in sent] == ["SELECT", "UPDATE"], sent
    assert identity_cache(app).touches == {}
    db_session.expire_all()
    for user, _ in users:
        row = db_session.scalar(select(LoginSession).where(LoginSession.user_id == user.id))
        assert row.last_seen_at == entry_of(app, user).written_at


def test_every_process_writes_its_touches_in_the_rows_order(app, db_session, make_user, monkeypatch):
    """Two processes' batches share rows; each takes the rows' locks in id order, so neither waits for
    the other in a cycle (a deadlock, which failed a request under load)."""
    users = [signed_in(app, make_user) for _ in range(4)]
    interval = app.config["SESSION_TOUCH_INTERVAL"]
    for user, client in reversed(users):  # queued newest row first
        assert client.get("/ujian/ping").status_code == 200
        entry_of(app, user).written_at -= interval
    for _, client in reversed(users):
        assert client.get("/ujian/ping").status_code == 200
    assert list(identity_cache(app).touches) != sorted(identity_cache(app).touches)
    written: list[list[int]] = []

    def batch(connection, cursor, statement, parameters, context, executemany):
        if executemany and statement.startswith("UPDATE login_session"):
            # named on PostgreSQL; positional on SQLite, the row's id last (SET, then WHERE)
            written.append([row["row_id"] if isinstance(row, dict) else row[-1] for row in parameters])

    feed_now(monkeypatch, app)
    with app.app_context():
        from examserver.extensions import db

        event.listen(db.engine, "before_cursor_execute", batch)
        try:
            assert users[0][1].get("/ujian/ping").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", batch)
    assert len(written) == 1 and len(written[0]) == 4 and written[0] == sorted(written[0]), written


def test_the_feed_forgets_only_the_revoked_sign_ins(app, db_session, make_user, monkeypatch):
    (revoked, revoked_client), (kept, kept_client) = signed_in(app, make_user), signed_in(app, make_user)
    for client in (revoked_client, kept_client):
        assert client.get("/ujian/ping").status_code == 200
    db_session.execute(text("UPDATE login_session SET revoked_at = last_seen_at WHERE user_id = :u"), {"u": revoked.id})
    db_session.commit()
    feed_now(monkeypatch, app)
    with statements(db_session) as sent:
        assert kept_client.get("/ujian/ping").status_code == 200  # the feed runs here, before the answer
    sent = [sql for sql in sent if "SAVEPOINT" not in sql]
    assert len(sent) == 1 and "revoked_at >=" in sent[0], sent
    assert all(entry.identity.user_id != revoked.id for entry in identity_cache(app)._entries.values())
    assert entry_of(app, kept)
    assert revoked_client.get("/ujian/ping").status_code != 200


def test_an_entry_idle_here_is_looked_up_again_not_refused(app, db_session, make_user):
    """The candidate's requests went to another process for half an hour: this process's entry
    looks idle, but the database (touched by the other process) says live."""
    user, client = signed_in(app, make_user)
    assert client.get("/ujian/ping").status_code == 200
    idle = app.config["SESSION_IDLE_TIMEOUT"] + timedelta(minutes=1)
    entry_of(app, user).last_seen_at -= idle
    with statements(db_session) as sent:
        assert client.get("/ujian/ping").status_code == 200
    assert any(LOOKUP in sql for sql in sent), sent


def test_an_entry_ends_after_its_lifetime(app, db_session, make_user, monkeypatch):
    user, client = signed_in(app, make_user)
    assert client.get("/ujian/ping").status_code == 200
    later = cache_module.time.monotonic() + cache_module.LIFETIME_SECONDS + 1
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: later)
    with statements(db_session) as sent:
        assert client.get("/ujian/ping").status_code == 200
    assert any(LOOKUP in sql for sql in sent), sent


def test_the_language_follows_the_browser_and_the_account_to_a_new_one(app, make_user):
    """The switch sets this browser's language at once, whatever a remembered sign-in holds; a new
    browser signing in gets the account's saved language."""
    user, client = signed_in(app, make_user)
    page = client.get("/peserta/").get_data(as_text=True)
    assert '<html lang="id">' in page  # and the sign-in is remembered, with no saved language
    token = CSRF_FIELD.search(page).group(1)  # the language switch in the header is a form
    response = client.post("/bahasa", data={"lang": "en", "next": "/peserta/", "csrf_token": token})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get("/peserta/").get_data(as_text=True)
    other = app.test_client()
    assert login(other, user.email).status_code == 302
    assert '<html lang="en">' in other.get("/peserta/").get_data(as_text=True)


def test_a_switch_made_on_another_node_shows_at_once(app, db_session, make_user):
    """The switch was answered by another node (its write reaches this one's database, not its
    cache): this browser's next page is in the language its cookie now carries, not in the one the
    remembered sign-in read."""
    user, client = signed_in(app, make_user)
    db_session.execute(text("UPDATE \"user\" SET locale = 'id' WHERE id = :u"), {"u": user.id})
    db_session.commit()
    identity_cache(app).clear()
    assert '<html lang="id">' in client.get("/peserta/").get_data(as_text=True)  # remembered: "id"
    db_session.execute(text("UPDATE \"user\" SET locale = 'en' WHERE id = :u"), {"u": user.id})
    db_session.commit()
    with client.session_transaction() as cookie:
        cookie["lang"] = "en"  # what the other node's answer to the switch set
    assert '<html lang="en">' in client.get("/peserta/").get_data(as_text=True)


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
