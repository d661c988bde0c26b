"""What the selection views share: time zones, the upload folder, lookups that 404 or 403."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy import select

from examserver.config import INSTANCE
from examserver.extensions import db
from examserver.selection import bp, services
from examserver.selection.documents import DOCUMENT_TYPES, readable_reason
from examserver.selection.messages import category_label
from examserver.selection.models import Application, SelectionPeriod
from examserver.selection.rubrics import RUBRICS
from examserver.wtforms_i18n import FlaskForm


def upload_dir(setting: str = "SELECTION_UPLOAD_DIR", name: str = "selection") -> Path:
    """Where uploaded files are stored: outside the web root, under the instance folder
    (``uploads/<name>``; the selection documents by default, the complaints' evidence with
    ``OVERSIGHT_UPLOAD_DIR``).

    The ``setting`` overrides it; under TESTING the default is a temporary folder, so the test
    suite never writes into a developer's instance folder.
    """
    configured = current_app.config.get(setting)
    if configured:
        return Path(configured)
    if current_app.config.get("TESTING"):
        return Path(tempfile.gettempdir()) / f"examserver-{name}-{os.getuid()}"
    return INSTANCE / "uploads" / name


def newest_periods() -> Sequence[SelectionPeriod]:
    """Every selection period, the newest first."""
    return db.session.scalars(select(SelectionPeriod).order_by(SelectionPeriod.id.desc())).all()


def period_choices(periods: Iterable[SelectionPeriod]) -> list[tuple[int, str]]:
    """The choices of a select field of periods: id and "code · title"."""
    return [(p.id, f"{p.code} · {p.title}") for p in periods]


FormT = TypeVar("FormT", bound=FlaskForm)


def list_periods(form: FormT, *, blank: str | None = None) -> FormT:
    """``form`` with its ``period`` select listing every period, newest first, after a ``blank``
    choice (value "") when the period is optional."""
    optional = [("", blank)] if blank is not None else []
    form.period.choices = optional + period_choices(newest_periods())
    return form


def chosen_period(form: FlaskForm) -> SelectionPeriod:
    """The period a validated form's ``period`` select names (404 if it vanished meanwhile)."""
    return db.get_or_404(SelectionPeriod, form.period.data)


def period_by_code(code: str) -> SelectionPeriod:
    period = db.session.query(SelectionPeriod).filter_by(code=code).one_or_none()
    if period is None:
        abort(404)
    return period


def guarded_application(application_id: int) -> Application:
    """An application for a committee page: 404 if missing, 403 if the member declared a relationship."""
    application = db.session.get(Application, application_id)
    if application is None:
        abort(404)
    if services.has_conflict(db.session, current_user.id, application):
        abort(403)
    return application


@bp.app_context_processor
def selection_labels():
    return {
        "category_label": category_label,
        "document_types": DOCUMENT_TYPES,
        "readable_reason": readable_reason,
        "rubrics": RUBRICS,
    }
