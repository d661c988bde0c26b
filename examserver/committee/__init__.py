"""The selection committee's pages (panitia seleksi)."""

from flask import Blueprint

bp = Blueprint("committee", __name__, template_folder="templates")

from examserver.committee import views  # noqa: E402,F401
