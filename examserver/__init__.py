"""The web layer: the app factory, blueprints, templates and static files.

``create_app`` only wires things together: it runs no queries and creates no tables.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import orjson
from flask import Flask, Request, current_app, session
from flask.json.provider import DefaultJSONProvider
from jinja2 import pass_context
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug import routing
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

from examserver import access
from examserver.config import Config, load_config
from examserver.extensions import babel, csrf, db, limiter, login_manager, migrate
from examserver.pool import end_reads_with_commit, install_idle_ping
from itembank.database import MAX_INTEGER


def create_app(config: type[Config] | Mapping | None = None) -> Flask:
    """Build the Flask application.

    ``config`` is a config class (its values, then the environment) or a mapping applied on top
    of the environment's configuration.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.request_class = BodyLimitedRequest
    if isinstance(config, type):
        app.config.update(load_config(config))
    else:
        app.config.update(load_config())
        app.config.update(config or {})

    from examserver.compression import install_compression
    from examserver.errors import register_error_handlers
    from examserver.logging import configure_logging
    from examserver.security import install_security_headers

    # Hook order matters: request id, then access (undeclared or forbidden is 403 before
    # anything else looks at the request), then the extensions' hooks such as CSRF.
    configure_logging(app)
    app.before_request(access.enforce_access)
    # Ids in URLs are database integers: a larger number is a 404, not an overflow in the driver.
    app.url_map.converters["int"] = IntegerConverter
    app.json = JSONProvider(app)
    _init_extensions(app)
    _register_blueprints(app)
    _limit_only_where_declared(app)
    access.declare_endpoint(app, "static", access.PUBLIC)
    install_security_headers(app)
    install_compression(app)
    if app.config.get("TRUSTED_PROXIES"):
        # Behind nginx every request comes from the proxy: without this, one guesser would use up
        # the per-address sign-in limit of everybody.
        hops = int(app.config["TRUSTED_PROXIES"])
        # Flask's documented way to wrap the WSGI app; its stubs declare wsgi_app a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    register_error_handlers(app)
    _register_cli(app)
    _register_template_globals(app)
    return app


class IntegerConverter(routing.IntegerConverter):
    """``<int:...>`` limited to what an INTEGER column holds (1 ... 2**31 - 1 unless told)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INTEGER)
        super().__init__(map, *args, **kwargs)


class BodyLimitedRequest(Request):
    """Flask's request with a smaller body limit for some blueprints (``BODY_LIMITS``).

    Flask checks the limit on the stream, not only on ``Content-Length``: a chunked body without
    one is cut off with 413 as soon as it passes the limit (the server sets
    ``wsgi.input_terminated``, as gunicorn does)."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and current_app:
            limit = current_app.config["BODY_LIMITS"].get(self.blueprint)
            if limit is not None:
                return limit
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @cached_property
    def stream(self):
        stream = get_input_stream(self.environ, max_content_length=self.max_content_length)
        return _StrictLimit(stream) if isinstance(stream, LimitedStream) else stream


class _StrictLimit(LimitedStream):
    """Werkzeug's stream at ``max_content_length``, except that reading it all answers 413 when the
    body goes on past the limit (werkzeug then returns the first ``limit`` bytes without a word)."""

    def __init__(self, limited: LimitedStream):
        super().__init__(limited._stream, limited.limit, is_max=limited._limit_is_max)

    def readall(self) -> bytes:
        data = super().readall()
        if self._limit_is_max and self.is_exhausted and self._stream.read(1):
            raise RequestEntityTooLarge()
        return data


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON through orjson: the same documents (keys sorted, dates as Flask writes them),
    several times faster on the candidate's item payloads. A body nested too deeply for the parser
    is bad JSON (400), not a 500; so is an integer beyond 64 bits (no field of ours takes one)."""

    OPTIONS = (
        orjson.OPT_SORT_KEYS
        | orjson.OPT_NON_STR_KEYS
        | orjson.OPT_SERIALIZE_NUMPY
        | orjson.OPT_PASSTHROUGH_DATETIME  # dates as Flask's ``default`` writes them (HTTP dates)
        | orjson.OPT_PASSTHROUGH_DATACLASS
    )

    #: What ``jsonify`` asks for outside debug mode: compact output, which orjson writes anyway.
    COMPACT = {"separators": (",", ":")}

    def dumps(self, obj, **kwargs):
        if kwargs and kwargs != self.COMPACT:  # options orjson does not take (indent in debug): Flask's own
            return super().dumps(obj, **kwargs)
        return orjson.dumps(obj, default=self._fallback, option=self.OPTIONS).decode()

    def _fallback(self, value):
        if isinstance(value, float):  # a float subclass orjson leaves to us (int subclasses it writes)
            return float(value)
        return self.default(value)

    def loads(self, s, **kwargs):
        if kwargs:
            return super().loads(s, **kwargs)
        try:
            return orjson.loads(s)
        except orjson.JSONDecodeError as error:
            raise ValueError(str(error)) from None


def select_locale() -> str:
    """The language chosen in this browser (the signed cookie; a sign-in copies the account's saved
    one into it), else the signed-in user's saved language, else Indonesian. The cookie comes
    first because it changes with the switch in the same response, while the account's language
    is read through the remembered sign-in (:mod:`examserver.auth.identity_cache`)."""
    from flask import current_app

    from examserver.auth.login import identity

    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if isinstance(chosen, str) and chosen in languages:
        return chosen
    signed_in = identity()
    if signed_in is not None and signed_in.locale and signed_in.locale in languages:
        return signed_in.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, use WAL so readers do not block the writer."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # Let SQLAlchemy, not pysqlite, decide where transactions begin, so SAVEPOINT works.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    """SQLite: emit the BEGIN ourselves (pysqlite's implicit transactions are disabled above), and
    make it ``BEGIN IMMEDIATE``.

    A deferred transaction reads first and asks for the write lock only at its first write; in
    WAL mode, if another connection committed in between, SQLite answers SQLITE_BUSY at once
    ("database is locked"; the busy timeout does not apply, since waiting cannot help a stale
    snapshot), and two concurrent saves of one session answered HTTP 500. An immediate
    transaction takes the write lock at its start, so writers queue on the busy timeout instead.
    Almost every request writes (the login session's touch, expiry on read, the answer saves),
    and SQLite allows one writer at a time anyway, so little concurrency is lost; readers outside
    a transaction of ours (backups, the CLI's reads) still read alongside.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        install_idle_ping(db.engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
        end_reads_with_commit(db.engine)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # mobile candidates change address often; see auth.login
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    # Import for the user_loader registration.
    from examserver.auth import login  # noqa: F401


def _limit_only_where_declared(app: Flask) -> None:
    """Drop Flask-Limiter's check before every request when nothing but decorated views is limited.

    That hook applies default, application and blueprint limits; the views limited here (sign-in,
    registration, public posts) carry a decorator, which checks its own limit when the view runs,
    and the after-request hook (conditional deductions, headers) stays. With no other limit the
    hook found nothing to check on every request, at about a fifth of a ping's CPU (issue 16).
    Should a default, application or blueprint limit ever be set, the hook stays."""
    manager = limiter.limit_manager
    # Flask-Limiter has no public accessor for blueprint limits; an empty dict means none.
    if manager.default_limits or manager.application_limits or manager._blueprint_limits:
        return
    hooks = app.before_request_funcs.get(None, [])
    app.before_request_funcs[None] = [hook for hook in hooks if hook != limiter._check_request_limit]


def _migrations_dir():
    from examserver.config import ROOT

    return ROOT / "migrations"


def _register_blueprints(app: Flask) -> None:
    from examserver.admin import bp as admin_bp
    from examserver.auth import bp as auth_bp
    from examserver.authoring import bp as authoring_bp
    from examserver.candidate import bp as candidate_bp
    from examserver.committee import bp as committee_bp
    from examserver.delivery import api as delivery_api
    from examserver.delivery import bp as delivery_bp
    from examserver.hr import bp as hr_bp
    from examserver.hr.committee_consultation_views import bp as committee_consultation_bp
    from examserver.main import bp as main_bp
    from examserver.oversight import bp as oversight_bp
    from examserver.proctor import bp as proctor_bp
    from examserver.selection import bp as selection_bp
    from examserver.sites.link_views import bp as site_link_bp
    from examserver.sites.views import bp as sites_bp

    for blueprint, prefix in (
        (main_bp, None),
        (auth_bp, None),
        (admin_bp, "/admin"),
        (candidate_bp, "/peserta"),
        (authoring_bp, "/bank-soal"),
        (proctor_bp, "/pengawas"),
        (committee_bp, "/panitia"),
        (hr_bp, "/sdm"),
        (committee_consultation_bp, "/panitia/konsultasi"),
        (delivery_bp, "/ujian"),
        (delivery_api, "/api"),
        (selection_bp, "/seleksi"),
        (sites_bp, "/panitia/lokasi"),
        (site_link_bp, "/api/lokasi"),
        (oversight_bp, None),
    ):
        app.register_blueprint(blueprint, url_prefix=prefix)
    if app.config["EXAMSERVER_ROLE"] == "site":  # the head proctor's pages: on a centre they do not exist
        from examserver.sites.site_views import bp as site_bp

        app.register_blueprint(site_bp, url_prefix="/lokasi")


def _register_cli(app: Flask) -> None:
    from examserver.backup import backup_cli
    from examserver.cli import demo_command, users_cli
    from examserver.delivery.sweeper import delivery_cli
    from examserver.proctor.cli import integrity_cli
    from examserver.sites.cli import site_cli

    app.cli.add_command(integrity_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(delivery_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(site_cli)


class ProcessBytecodeCache(BytecodeCache):
    """Jinja's compiled templates kept in the process for every app it builds. Jinja keys each
    entry by the template's name and file and checks the source's checksum before using it, so an
    edited template is compiled again."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = ProcessBytecodeCache()

#: The macros of templates/macros.html, callable from every template without an import.
SHARED_MACROS = ("field", "data_table", "pager", "post_form", "form_card", "chart", "account_facts")


def per_reader(function: Callable) -> Callable:
    """A template filter whose output depends on the reader's language (labels, numbers, times),
    marked as taking the template's context (unused) so that Jinja never folds it over a literal at
    compile time: ``{{ "approved"|label("moderation_status") }}`` was compiled into the template in
    its first reader's language, and compiled templates are shared by the process."""

    @pass_context
    @functools.wraps(function)
    def filter_of_the_reader(_context, *args, **kwargs):
        return function(*args, **kwargs)

    return filter_of_the_reader


def _register_template_globals(app: Flask) -> None:
    from examserver.access import may_open
    from examserver.accounts.roles import ROLE_HOME
    from examserver.auth.forms import ConfirmForm, LanguageForm
    from examserver.labels import LABELS, label_filter
    from examserver.numbers import format_decimals, format_number, format_rupiah
    from examserver.wib import format_day, format_moment

    # The labels of enumerated values: {{ code|label("kind") }}, and the registry to iterate.
    app.jinja_env.filters["label"] = per_reader(label_filter)
    app.jinja_env.globals["labels"] = LABELS
    # Numbers people read, in their locale: {{ x|number("score") }}, {{ amount|rupiah }}.
    app.jinja_env.filters["number"] = per_reader(format_number)
    app.jinja_env.filters["rupiah"] = per_reader(format_rupiah)
    # A column's own decimals, {{ x|decimals(3) }}, where two decimals would hide a difference.
    app.jinja_env.filters["decimals"] = per_reader(format_decimals)
    # Pages link only what their reader may open.
    app.jinja_env.globals["may_open"] = may_open
    # Times in WIB with the zone named, days in the reader's format: in place of Flask-Babel's
    # filters of the same names, which name no zone.
    app.jinja_env.filters["datetimeformat"] = per_reader(format_moment)
    app.jinja_env.filters["dateformat"] = per_reader(format_day)
    # Every app of the process shares the compiled templates (tests build many apps; a template
    # compiles once per process, not once per app).
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    # The module is what `{% from "macros.html" import ... %}` would give each template (imports
    # are without context): the macros see only the environment's globals, such as `_` and url_for.
    macros = app.jinja_env.get_template("macros.html").module
    app.jinja_env.globals.update({name: getattr(macros, name) for name in SHARED_MACROS})

    @app.context_processor
    def layout_context():
        from flask_babel import get_locale

        locale = str(get_locale())
        return {
            "current_locale": locale,
            "role_home": ROLE_HOME,
            "language_form": LanguageForm(formdata=None, lang=locale),
            "logout_form": ConfirmForm(formdata=None),
        }
