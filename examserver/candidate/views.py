"""The candidate's home."""

from flask import render_template
from flask_login import current_user

from examserver import access
from examserver.accounts.roles import CANDIDATE
from examserver.candidate import bp
from examserver.delivery.views import candidate_sessions


@bp.route("/")
@access.roles(CANDIDATE)
def index():
    """The candidate's home: scheduled exams and results."""
    return render_template("candidate/index.html", sessions=candidate_sessions(current_user.id))
