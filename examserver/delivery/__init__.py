"""Exam delivery: schedules, candidates' sessions, the player and its JSON API, results."""

from flask import Blueprint

bp = Blueprint("delivery", __name__, template_folder="templates")
api = Blueprint("delivery_api", __name__)

from examserver.delivery import api_views, receipt_views, views  # noqa: E402,F401
