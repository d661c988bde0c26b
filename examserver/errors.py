"""Error pages and JSON errors, translated."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from examserver.access import wants_json


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


def register_error_handlers(app: Flask) -> None:
    """Turn HTTP errors and CSRF failures into translated responses."""

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
