"""Sign in, sign out, language and the user's own account page."""

from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")

from examserver.auth import views  # noqa: E402,F401
