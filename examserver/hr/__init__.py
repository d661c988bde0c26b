"""HR and training officers' pages, the public feedback form and the public consultation on
selection criteria."""

from flask import Blueprint

bp = Blueprint("hr", __name__, template_folder="templates")

from examserver.hr import (  # noqa: E402,F401
    cohort_views,
    consultation_views,
    effectiveness_views,
    evaluation_views,
    honeypot,
    success_views,
    views,
)
