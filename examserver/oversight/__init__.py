"""Oversight: the public complaint form and its tracking, the inspectorate's case pages, the
sanctions register and the public complaint statistics."""

from flask import Blueprint

bp = Blueprint("oversight", __name__, template_folder="templates")

from examserver.oversight import case_views, public_views  # noqa: E402,F401
