"""A honeypot on the public forms (community feedback, consultation comments, complaints).

The forms carry a field that people never see or reach (hidden from sight, from screen readers and
from the tab order); automated posters fill every field they find. A post that fills it is answered
as if it were accepted, so the sender learns nothing, and nothing is stored. It runs after the
app's own hooks, so such a post has passed CSRF; it is counted against the form's rate limit here,
since the limit is checked when the view runs and a trapped post never reaches the view.
"""

from __future__ import annotations

import logging

from flask import flash, redirect, request
from flask_babel import gettext as _

from examserver.extensions import limiter
from examserver.hr import bp

log = logging.getLogger(__name__)

#: The trap's field name: a plausible one that form fillers like to complete.
FIELD = "situs_web"


def _thanks() -> dict[str, str]:
    return {
        "hr.feedback": _("Terima kasih. Umpan balik Anda diterima dan akan ditampilkan setelah diperiksa."),
        "hr.public_consultation": _("Terima kasih. Komentar Anda akan ditampilkan setelah diperiksa."),
    }


def trapped(thanks: str):
    """The answer to a public post whose honeypot is filled: ``thanks`` flashed as if it were
    accepted, and a redirect to the form; None when the trap is empty. Other public forms (the
    complaint form of ``examserver.oversight``) call it from their own blueprint's hook."""
    if not request.form.get(FIELD, "").strip():
        return None
    limiter.check()  # a flood of trapped posts gets 429 like any other
    log.info("public form honeypot filled", extra={"endpoint": request.endpoint})
    flash(thanks, "success")
    return redirect(request.path), 303


@bp.before_request
def refuse_filled_honeypot():
    """Pretend to accept a public post whose honeypot is filled, and store nothing."""
    if request.method != "POST" or request.endpoint not in ("hr.feedback", "hr.public_consultation"):
        return None
    return trapped(_thanks()[request.endpoint])
