"""Public pages and the health check."""

from __future__ import annotations

from flask import jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from examserver import access
from examserver.accounts.roles import ROLE_HOME
from examserver.extensions import db
from examserver.main import bp


@bp.route("/")
@access.public
def index():
    """Send people to their role's home page, or to the sign-in page."""
    if current_user.is_authenticated:
        return redirect(url_for(ROLE_HOME[current_user.role]))
    return redirect(url_for("auth.login"))


@bp.route("/tentang")
@access.public
def about():
    """What the platform is and what it records."""
    return render_template("main/about.html")


@bp.route("/privasi")
@access.public
def privacy():
    """What is recorded during an exam, how it is used and how long it is kept."""
    return render_template("main/privacy.html")


@bp.route("/healthz")
@access.public
def healthz():
    """Process up and database reachable, as JSON for load balancers and monitors."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # any failure to reach the database means unhealthy
        db.session.rollback()
        database = "unreachable"
    healthy = database == "ok"
    return jsonify(status="ok" if healthy else "error", database=database), 200 if healthy else 503
