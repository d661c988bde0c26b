"""HR and training officers' pages."""

from flask import Blueprint

bp = Blueprint("hr", __name__, template_folder="templates")

from examserver.hr import views  # noqa: E402,F401
