"""Selection: periods and positions, applications with documents, verification, ranking and announcements."""

from flask import Blueprint

bp = Blueprint("selection", __name__, template_folder="templates", cli_group="selection")

from examserver.selection import candidate_views, cli, committee_views, public_views, risk_views, web  # noqa: E402,F401
