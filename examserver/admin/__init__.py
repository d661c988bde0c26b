"""Administration: accounts and roles."""

from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates")

from examserver.admin import views  # noqa: E402,F401
