"""Item writers' and reviewers' pages: the item bank, blueprints and forms."""

from flask import Blueprint

bp = Blueprint("authoring", __name__, template_folder="templates")

from examserver.authoring import blueprint_views, calibration_views, transfer_views, views  # noqa: E402,F401
