"""Error pages and JSON errors, translated; the one handler of :class:`~itembank.refusal.Refusal`.

A view calls a service and lets a refusal pass: the handler rolls back, translates the code through
the one message registry (every ``examserver/*/messages.py`` contributes its ``MESSAGES``) and
answers with a flash and a redirect for pages (to where :func:`back_on_refusal` said, else a local
referrer, else the page itself) or ``{code, message}`` JSON with the refusal's status for the API.
A form that is shown again with what was typed uses :func:`flash_refusal` instead of a redirect.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache

from flask import Flask, flash, g, jsonify, make_response, redirect, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from examserver.access import wants_json
from examserver.wib import format_day, format_moment
from itembank.refusal import Refusal


def _messages() -> dict[int, str]:
    return {
        400: _("Permintaan tidak valid."),
        403: _("Anda tidak berhak membuka halaman ini."),
        404: _("Halaman tidak ditemukan."),
        405: _("Metode ini tidak diizinkan untuk alamat ini."),
        413: _("Berkas atau isian terlalu besar."),
        422: _("Isian tidak dapat diproses."),
        429: _("Terlalu banyak percobaan yang gagal. Demi keamanan akun, tunggu beberapa menit lalu coba lagi."),
        500: _("Terjadi kesalahan pada server. Jawaban yang sudah tersimpan tetap aman."),
        503: _("Layanan sedang tidak tersedia. Coba lagi sebentar lagi."),
    }


def error_response(status: int, code: str, message: str | None = None):
    """An error as JSON for API calls, or as a page for people."""
    message = message or _messages().get(status, _("Terjadi kesalahan."))
    if wants_json():
        return make_response(jsonify(code=code, message=message), status)
    return make_response(render_template("errors/error.html", status=status, message=message), status)


@cache
def _registry() -> dict:
    from examserver.auth import messages as account
    from examserver.authoring import messages as authoring
    from examserver.delivery import messages as delivery
    from examserver.hr import messages as hr
    from examserver.oversight import messages as oversight
    from examserver.proctor import messages as proctor
    from examserver.selection import messages as selection
    from examserver.sites import messages as sites

    registry: dict = {}
    for module in (account, authoring, delivery, hr, oversight, proctor, selection, sites):
        taken = registry.keys() & module.MESSAGES.keys()
        if taken:
            raise RuntimeError(f"refusal codes registered twice: {sorted(taken)}")
        registry.update(module.MESSAGES)
    return registry


def refusal_codes() -> frozenset[str]:
    """Every code the registry can translate."""
    return frozenset(_registry())


class _Params(dict):
    def __missing__(self, key):
        return ""


def _readable(value):
    """A date, time or decimal parameter as the reader's locale writes it (times in WIB, "0,5");
    others as they are. A whole float is passed on as an int, so "%(n)d" and "%(n)s" both read 100."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else format_decimal(value)
    if isinstance(value, datetime):
        return format_moment(value, "short")
    if isinstance(value, date):
        return format_day(value, "long")
    return value


def refusal_message(code: str, /, **params) -> str:
    """The person-facing text of a refusal ``code`` (``area.reason``) with its parameters; a date,
    datetime or decimal parameter is written out in the reader's locale."""
    text = _registry().get(code)
    if text is None:
        return _("Terjadi kesalahan (%(code)s).", code=code)
    return str(text) % _Params({key: _readable(value) for key, value in params.items()}) if params else str(text)


def _refused(refusal: Refusal) -> str:
    from examserver.extensions import db

    db.session.rollback()
    return refusal_message(refusal.code, **refusal.params)


def back_on_refusal(url: str) -> str:
    """Where the page goes after a refusal during this request (returned, for the success path too)."""
    g.back_on_refusal = url
    return url


@contextmanager
def flash_refusal(field=None) -> Iterator[None]:
    """For a form shown again with what was typed: a refusal inside rolls back and is flashed, or
    added to ``field``'s errors, and the view carries on to render the form."""
    try:
        yield
    except Refusal as refusal:
        message = _refused(refusal)
        if field is None:
            flash(message, "error")
        else:
            field.errors.append(message)


def _local_referrer() -> str | None:
    from examserver.auth.views import safe_next

    referrer = request.referrer or ""
    root = request.host_url
    return safe_next("/" + referrer[len(root) :]) if referrer.startswith(root) else None


def refusal_response(refusal: Refusal):
    """Roll back and answer a refusal: JSON for the API, else a flash and a redirect."""
    message = _refused(refusal)
    if wants_json():
        return make_response(jsonify(code=refusal.code, message=message), refusal.status)
    flash(message, "error")
    target = g.get("back_on_refusal") or _local_referrer() or request.full_path.rstrip("?")
    return redirect(target, 303)


def register_error_handlers(app: Flask) -> None:
    """Turn refusals, HTTP errors and CSRF failures into translated responses."""

    app.register_error_handler(Refusal, refusal_response)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_response(
            400,
            "csrf_failed",
            _("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu kirim lagi."),
        )

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def value_out_of_range(error):
        # A number too large for its column (SQLite raises OverflowError, PostgreSQL DataError):
        # the client sent it, so it is a bad request and not a server error.
        from examserver.extensions import db

        db.session.rollback()
        return error_response(400, "value_out_of_range")

    @app.errorhandler(HTTPException)
    def http_error(error):
        return error_response(error.code or 500, (error.name or "error").lower().replace(" ", "_"))

    @app.errorhandler(Exception)
    def unexpected(error):
        from examserver.extensions import db

        app.logger.exception("unhandled error")
        # A failed flush (e.g. "database is locked") leaves the session unusable, and building the
        # translated reply loads the user's language through it: roll back first, or the handler
        # itself fails and the client gets Werkzeug's bare 500 instead of ours.
        db.session.rollback()
        return error_response(500, "internal_error")
