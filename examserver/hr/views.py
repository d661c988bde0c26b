"""HR officers' home."""

from flask import render_template

from examserver import access
from examserver.accounts.roles import ADMIN, HR_OFFICER
from examserver.hr import bp


@bp.route("/")
@access.roles(HR_OFFICER, ADMIN)
def index():
    """HR home: employees, competency gaps and training plans."""
    return render_template("hr/index.html")
