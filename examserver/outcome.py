"""How a page request that changed something ends: the one commit, the news, and the next page.

The mirror of the refusal path in :mod:`examserver.errors` (roll back, flash the refusal, redirect):
a view that got what it asked for commits once (STYLE: one commit per request), flashes what was
done and answers ``303 See Other``, so a reload of the next page never posts the form again (the
Post/Redirect/Get pattern; RFC 9110 section 15.4.4 for the status).
"""

from __future__ import annotations

from flask import flash, redirect
from werkzeug.wrappers import Response

from examserver.extensions import db


def committed(message: str, url: str) -> Response:
    """Commit the request's transaction, flash ``message`` as a success and redirect to ``url``."""
    db.session.commit()
    flash(message, "success")
    return redirect(url, 303)
