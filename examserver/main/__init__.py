"""Public pages: the home page, health check and privacy notice."""

from flask import Blueprint

bp = Blueprint("main", __name__, template_folder="templates")

from examserver.main import views  # noqa: E402,F401
