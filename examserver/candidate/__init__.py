"""The candidate's pages: exam schedule and results."""

from flask import Blueprint

bp = Blueprint("candidate", __name__, template_folder="templates")

from examserver.candidate import views  # noqa: E402,F401
