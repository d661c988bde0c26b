"""Configuration read from the environment.

``DATABASE_URL``  SQLAlchemy URL; default: a SQLite file under ``instance/``.
``SECRET_KEY``    required in production; the embedded default is generated once and kept in
                  ``instance/secret_key``.
``REDIS_URL``     optional; when set, rate limits are shared through Redis (needed with several nodes).
``RATELIMIT_STORAGE_URI`` optional, without ``REDIS_URL``: another ``limits`` storage; default: a
                  SQLite file under ``instance/`` that every worker of the node shares.
``EXAMSERVER_WORKERS`` worker processes serving the app, set by gunicorn.conf.py; with more than
                  one, the per-process ``memory://`` storage is refused.
``EXAMSERVER_ENV`` (or ``FLASK_ENV``) ``production`` switches on the production rules.
``TRUSTED_PROXIES`` how many reverse proxies (nginx: 1) stand in front; their X-Forwarded-For
                  gives the client's address (rate limits, integrity log). Default 0.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from examserver.wib import WIB

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("EXAMSERVER_INSTANCE", ROOT / "instance"))


class ConfigError(RuntimeError):
    """Raised when the environment does not allow a safe configuration."""


class Config:
    """Defaults shared by every environment; values are overridden from the environment."""

    ENV_NAME = "development"
    TESTING = False
    DEBUG = False

    #: No pool_pre_ping: a connection is pinged at checkout only after it rested in the pool this
    #: long (examserver/pool.py), not on every request.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    DATABASE_PING_AFTER_IDLE_SECONDS = 10.0
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "ujian_session"
    #: A candidate session is kept alive by answer saves, so idle here means no request at all.
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    #: How often the last-seen time of a login session is written back (limits writes per request).
    SESSION_TOUCH_INTERVAL = timedelta(seconds=60)
    #: How long a process keeps what the sign-in lookup found (examserver/auth/identity_cache.py):
    #: a revocation made on another node reaches this one within this many seconds; 0 turns it off.
    IDENTITY_CACHE_SECONDS = 5.0
    #: The signed cookie is written when it changes (sign-in, language), not re-signed on every
    #: request: the server-side login session carries idle and absolute expiry, and the cookie
    #: lives no longer than the absolute one.
    SESSION_REFRESH_EACH_REQUEST = False
    PERMANENT_SESSION_LIFETIME = SESSION_ABSOLUTE_TIMEOUT

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the login session
    WTF_CSRF_SSL_STRICT = True

    #: ``centre`` (the central deployment) or ``site`` (a test-site server holding one sitting's
    #: package: docs/operations/test-sites.md), from ``EXAMSERVER_ROLE``.
    EXAMSERVER_ROLE = "centre"
    #: On a site: its code (``EXAMSERVER_SITE_CODE``), which a package must name, and the centre's
    #: public key (PEM file named by ``CENTRE_PUBLIC_KEY_FILE``) that a package must be signed with.
    SITE_CODE: str | None = None
    CENTRE_PUBLIC_KEY_FILE: str | None = None
    #: On a site with a link: the centre's address (``EXAMSERVER_CENTRE_URL``) for ``flask site sync``.
    CENTRE_URL: str | None = None

    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = WIB.key
    LANGUAGES = ("id", "en")

    #: None: the node's shared file, ``instance/ratelimits.db`` (examserver/ratelimit_storage.py).
    RATELIMIT_STORAGE_URI: str | None = None
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_HEADERS_ENABLED = True
    #: Failed logins allowed per account before HTTP 429.
    LOGIN_FAILURE_LIMIT = "10 per 5 minutes"
    #: Failed logins allowed per address; test sites share one address, so this is generous.
    LOGIN_FAILURE_LIMIT_PER_IP = "200 per 5 minutes"
    #: Registrations per address; a school lab or test site registers many people from one address.
    REGISTRATION_LIMIT = "60 per hour"

    #: Argon2id cost; OWASP's minimum is m=19 MiB, t=2, p=1.
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19 * 1024
    ARGON2_PARALLELISM = 1

    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    #: Smaller body limits per blueprint, enforced on the stream (chunked bodies included): 413.
    BODY_LIMITS = {"delivery_api": 64 * 1024}
    #: Reverse proxies in front of the app (nginx: 1) whose X-Forwarded-For/-Proto are believed.
    #: 0 ignores those headers, so a client cannot pick its own address to dodge the per-address limits.
    TRUSTED_PROXIES = 0
    #: Append-only copy of every published checkpoint, outside the database (set in load_config).
    INTEGRITY_ANCHOR_FILE: str | None = None
    DEMO_PASSWORD = "demo12345"


class DevelopmentConfig(Config):
    """The embedded set-up of ``make run``: SQLite under ``instance/``."""


class ProductionConfig(Config):
    """Production rules: a secret key from the environment and secure cookies."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True


class TestingConfig(Config):
    """Unit tests: cheap password hashing, an in-memory limiter reset per test."""

    ENV_NAME = "testing"
    TESTING = True
    #: One process per test run; a gunicorn with several workers needs a shared storage instead.
    RATELIMIT_STORAGE_URI = "memory://"
    SECRET_KEY = "test-secret-key-not-for-production"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    #: The limiter is reset before each test, so a long window does not leak between tests.
    LOGIN_FAILURE_LIMIT = "10 per 5 minutes"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    #: The revocation feed runs when a test moves the clock (tests/examserver/test_identity_cache.py),
    #: not every 5 s of a slow test, where its statement would change the counts other tests hold.
    IDENTITY_CACHE_SECONDS = 60.0


def environment_name() -> str:
    """Return ``production``, ``testing`` or ``development`` from the environment."""
    name = os.environ.get("EXAMSERVER_ENV") or os.environ.get("FLASK_ENV") or "development"
    return name.strip().lower()


def _default_database_url() -> str:
    INSTANCE.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE / 'examserver.db'}"


def _embedded_secret_key() -> str:
    """Generate the development secret key once and keep it under ``instance/``."""
    INSTANCE.mkdir(parents=True, exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def check_rate_limit_storage(uri: str, workers: int) -> None:
    """Refuse a per-process rate-limit storage when several worker processes serve the app.

    With ``memory://`` each worker counts on its own, so two workers let twice the limit through
    (15-20 sign-in guesses where 10 are allowed).
    """
    if workers > 1 and uri.startswith("memory:"):
        raise ConfigError(
            f"RATELIMIT_STORAGE_URI={uri} keeps rate limits inside one process, but {workers} worker "
            "processes serve the app: each would count on its own. Unset RATELIMIT_STORAGE_URI (the "
            "node's shared file under instance/ is used), set REDIS_URL, or run one worker (WEB_CONCURRENCY=1)."
        )


def load_config(base: type[Config] | None = None) -> dict:
    """Build the configuration mapping from a config class and the environment."""
    if base is None:
        base = {"production": ProductionConfig, "testing": TestingConfig}.get(environment_name(), DevelopmentConfig)
    values = {key: getattr(base, key) for key in dir(base) if key.isupper()}
    env = os.environ
    # A URL fixed by the config class (tests) wins over the environment, so a developer's
    # DATABASE_URL is never touched by the test suite.
    values["SQLALCHEMY_DATABASE_URI"] = (
        values.get("SQLALCHEMY_DATABASE_URI") or env.get("DATABASE_URL") or _default_database_url()
    )
    if env.get("TRUSTED_PROXIES"):
        values["TRUSTED_PROXIES"] = int(env["TRUSTED_PROXIES"])
    for seconds in ("IDENTITY_CACHE_SECONDS", "DATABASE_PING_AFTER_IDLE_SECONDS"):
        if env.get(seconds):
            values[seconds] = float(env[seconds])
    if env.get("REDIS_URL"):
        values["REDIS_URL"] = env["REDIS_URL"]
        values["RATELIMIT_STORAGE_URI"] = env["REDIS_URL"]
    elif env.get("RATELIMIT_STORAGE_URI"):
        values["RATELIMIT_STORAGE_URI"] = env["RATELIMIT_STORAGE_URI"]
    elif not values.get("RATELIMIT_STORAGE_URI"):
        values["RATELIMIT_STORAGE_URI"] = f"sqlite:///{INSTANCE / 'ratelimits.db'}"
    check_rate_limit_storage(values["RATELIMIT_STORAGE_URI"], int(env.get("EXAMSERVER_WORKERS") or 1))
    role = env.get("EXAMSERVER_ROLE") or values.get("EXAMSERVER_ROLE") or "centre"
    if role not in ("centre", "site"):
        raise ConfigError(f"EXAMSERVER_ROLE must be centre or site, not {role!r}")
    values["EXAMSERVER_ROLE"] = role
    for name, variable in (
        ("SITE_CODE", "EXAMSERVER_SITE_CODE"),
        ("CENTRE_PUBLIC_KEY_FILE", "CENTRE_PUBLIC_KEY_FILE"),
        ("CENTRE_URL", "EXAMSERVER_CENTRE_URL"),
    ):
        if env.get(variable):
            values[name] = env[variable]
    secret = env.get("SECRET_KEY") or values.get("SECRET_KEY")
    if not secret:
        if values["ENV_NAME"] == "production":
            raise ConfigError("SECRET_KEY must be set in the environment in production")
        secret = _embedded_secret_key()
    if values["ENV_NAME"] == "production" and len(secret) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters in production")
    values["SECRET_KEY"] = secret
    if not values.get("INTEGRITY_ANCHOR_FILE") and not values.get("TESTING"):
        values["INTEGRITY_ANCHOR_FILE"] = env.get("INTEGRITY_ANCHOR_FILE") or str(INSTANCE / "integrity-anchors.log")
    return values
