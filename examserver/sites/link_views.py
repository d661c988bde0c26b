"""The centre's two endpoints for sites with a link (:mod:`examserver.sites.link`).

They take no sign-in and no CSRF token: a request is a file signed with the key registered for the
package it names, and nothing else is answered. A refusal is the app's one refusal, as JSON."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request

from examserver import access
from examserver.extensions import csrf, db
from examserver.sites.link import receive_report, received_json
from examserver.sites.results import receive_results
from itembank.database import utcnow

bp = Blueprint("site_link", __name__)


@bp.before_request
def _centre_only():
    if current_app.config["EXAMSERVER_ROLE"] != "centre":
        abort(404)


@bp.route("/laporan", methods=["POST"])
@access.public  # authenticated by the site key's signature over the report
@csrf.exempt
def report():
    """A site's signed report; answers the centre's time and, from the opening, the release code."""
    answer = receive_report(db.session, request.get_data(), now=utcnow())
    db.session.commit()
    return jsonify(answer)


@bp.route("/hasil", methods=["POST"])
@access.public  # authenticated by the site key's signature over the results file
@csrf.exempt
def results():
    """A site's signed results file, verified and imported as one carried by hand."""
    received = receive_results(db.session, request.get_data(), now=utcnow())
    db.session.commit()
    return jsonify(received_json(received)), 422 if received.problems else 200
