"""Proctors' pages: live sessions and integrity review."""

from flask import Blueprint

bp = Blueprint("proctor", __name__, template_folder="templates")

from examserver.proctor import views  # noqa: E402,F401
