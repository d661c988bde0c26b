"""Glue between Flask-Login, the cookie and server-side login sessions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from flask import current_app, g, has_request_context, request, session
from flask_login import login_user, logout_user
from sqlalchemy import Table, bindparam, select, update

from examserver.accounts import services
from examserver.accounts.models import LoginSession, User
from examserver.auth.identity_cache import FEED_OVERLAP, IdentityCache
from examserver.extensions import db, login_manager
from itembank.database import utcnow

SESSION_TOKEN_KEY = "sid"
#: Keys kept across sign-in; everything else in the cookie is dropped with the old session.
KEPT_KEYS = ("lang",)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who sent the request, as the sign-in lookup found them: enough for the access rule, the
    language and the candidate's hot API, which never load the account as an ORM object."""

    user_id: int
    role: str
    locale: str | None
    login_session_id: int


#: Built once: a statement object reused keeps its cache key, so each request only binds the digest.
_LOOKUP = (
    select(
        User.id,
        User.role,
        User.locale,
        User.is_disabled,
        LoginSession.id.label("login_session_id"),
        LoginSession.created_at,
        LoginSession.last_seen_at,
        LoginSession.revoked_at,
    )
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(LoginSession.token_hash == bindparam("digest"))
)
_UNKNOWN = object()
#: The revocation feed, and the last-seen write (one row at a lookup, the queued rows with the
#: feed): Core statements, which the cache's ORM change listeners do not see (a touch changes
#: nothing a remembered identity holds).
_REVOKED_SINCE = select(LoginSession.id).where(LoginSession.revoked_at >= bindparam("since"))
_LOGIN_TABLE = cast(Table, LoginSession.__table__)
_TOUCH_MANY = (
    update(_LOGIN_TABLE).where(_LOGIN_TABLE.c.id == bindparam("row_id")).values(last_seen_at=bindparam("seen"))
)


def identity() -> Identity | None:
    """The signed-in identity behind this request (None: nobody), looked up once per request.

    The cookie names a server-side login session; its row and its user's role are read in one Core
    statement. Revoked, not live (:func:`examserver.accounts.services.session_is_live`: idle or too
    old), or of a disabled account, and the cookie signs nobody in (an expired one is revoked on
    the way). The last-seen time is written back at most once per ``SESSION_TOUCH_INTERVAL``."""
    if not has_request_context():
        return None
    found = g.get("identity", _UNKNOWN)
    if found is _UNKNOWN:
        found = g.identity = _look_up()
    return found


def identity_cache(app=None) -> IdentityCache:
    """The application's cache of sign-in lookups (:mod:`examserver.auth.identity_cache`)."""
    app = app or current_app
    cache = app.extensions.get("identity_cache")
    if cache is None:
        cache = app.extensions["identity_cache"] = IdentityCache(app.config["IDENTITY_CACHE_SECONDS"])
    return cache


def _look_up() -> Identity | None:
    token = session.get(SESSION_TOKEN_KEY)
    if not token:
        return None
    digest = services.token_digest(token)
    config = current_app.config
    now = utcnow()
    cache = identity_cache()
    if cache.seconds > 0 and cache.feed_due():
        _read_feed(cache, now)
    remembered = cache.get(digest)
    if (
        remembered is not None
        and _live(remembered.created_at, remembered.last_seen_at, now)
        and str(remembered.identity.user_id) == session.get("_user_id")
    ):
        cache.seen(remembered, now, config["SESSION_TOUCH_INTERVAL"])
        g.login_session_id = remembered.identity.login_session_id
        return remembered.identity
    found = db.session.connection().execute(_LOOKUP, {"digest": digest}).first()
    if found is None or found.revoked_at is not None:
        return None
    row_id = found.login_session_id
    if not _live(found.created_at, found.last_seen_at, now) or found.is_disabled:
        db.session.execute(update(LoginSession).where(LoginSession.id == row_id).values(revoked_at=now))
        db.session.commit()
        return None
    if str(found.id) != session.get("_user_id"):  # Flask-Login's own key: both must name the same user
        return None
    last_seen = found.last_seen_at
    if now - last_seen >= config["SESSION_TOUCH_INTERVAL"]:
        db.session.connection().execute(_TOUCH_MANY, [{"row_id": row_id, "seen": now}])
        db.session.commit()
        last_seen = now
    g.login_session_id = row_id
    found_identity = Identity(found.id, found.role, found.locale, row_id)
    cache.put(digest, found_identity, found.created_at, last_seen)
    return found_identity


def _read_feed(cache: IdentityCache, now) -> None:
    """The revocation feed (:mod:`examserver.auth.identity_cache`): forget the login sessions
    revoked since a little before the last read, and write the queued last-seen times in one
    statement. Runs in the request's own transaction, before anything else of the request."""
    revoked = db.session.connection().execute(_REVOKED_SINCE, {"since": cache.fed_at - FEED_OVERLAP}).scalars().all()
    touches, cache.touches = cache.touches, {}
    if touches:
        # In the rows' id order, as every process writes its batch: two batches sharing rows, each
        # taking row locks in its own order, deadlocked under a sign-in storm (one request failed).
        rows = [{"row_id": row_id, "seen": touches[row_id]} for row_id in sorted(touches)]
        db.session.connection().execute(_TOUCH_MANY, rows)
        db.session.commit()
    cache.fed(now, list(revoked))


def _live(created_at, last_seen_at, now) -> bool:
    config = current_app.config
    return services.session_is_live(
        created_at,
        last_seen_at,
        now=now,
        idle=config["SESSION_IDLE_TIMEOUT"],
        absolute=config["SESSION_ABSOLUTE_TIMEOUT"],
    )


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The account of :func:`identity`, loaded as an ORM object only when a view or template asks
    for ``current_user`` beyond what the identity holds (the candidate's hot API never does)."""
    found = identity()
    if found is None or str(found.user_id) != user_id:
        return None
    return db.session.get(User, found.user_id)


def sign_in(user: User) -> None:
    """Start a new login session with a fresh id (no session fixation) and commit."""
    kept = {key: session[key] for key in KEPT_KEYS if key in session}
    session.clear()
    session.update(kept)
    g.pop("identity", None)
    if kept.get("lang") in current_app.config["LANGUAGES"]:
        user.locale = kept["lang"]  # a language picked on the sign-in page sticks to the account
    elif user.locale in current_app.config["LANGUAGES"]:
        session["lang"] = user.locale  # and the account's language follows it to a new browser
    new = services.start_login_session(
        db.session,
        user,
        ip_address=request.remote_addr,
        user_agent=request.user_agent.string,
    )
    db.session.commit()
    session[SESSION_TOKEN_KEY] = new.token
    session.permanent = True
    login_user(user)
    g.identity = Identity(user.id, user.role, user.locale, new.row.id)
    if user.role == "candidate":
        _log_second_session(user)


def _log_second_session(user: User) -> None:
    """A candidate signing in elsewhere while an exam runs: the exam stays bound to its device
    (a second device cannot save), and proctors see the attempt."""
    from examserver.delivery.integrity import server_event
    from examserver.delivery.models import ExamSession

    running = db.session.scalars(
        select(ExamSession).where(ExamSession.candidate_id == user.id, ExamSession.status == "in_progress")
    ).all()
    for exam in running:
        server_event(db.session, exam, "second_session", ip=request.remote_addr)
    if running:
        db.session.commit()


def current_login_session() -> LoginSession | None:
    """The login session behind the current request, if signed in."""
    session_id = g.get("login_session_id")
    return db.session.get(LoginSession, session_id) if session_id else None


def sign_out() -> None:
    """End this browser's login session and clear the cookie."""
    row = current_login_session()
    if row is not None:
        services.revoke_session(row)
        db.session.commit()
    kept = {key: session[key] for key in KEPT_KEYS if key in session}
    logout_user()
    session.clear()
    session.update(kept)
    g.pop("identity", None)
