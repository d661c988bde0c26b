"""What a submitted form carries, handed on to a service by the names its fields share with the
service's parameters."""

from __future__ import annotations

from typing import Any

from flask import flash

from examserver.wtforms_i18n import FlaskForm


def field_values(form: FlaskForm, *names: str) -> dict[str, Any]:
    """The data of the fields ``names`` of ``form``, keyed by field name, e.g. for
    ``services.create_user(session, **field_values(form, "email", "full_name"))``."""
    return {name: form[name].data for name in names}


def flash_form_errors(form, instead: dict[str, str] | None = None) -> None:
    """Every mistake of a form posted from a page that is shown again after a redirect (the
    timeline, the live room, an application's review), as flashes, each once; ``instead``: a
    field's own message, which says more than WTForms' would."""
    instead = instead or {}
    messages = [instead.get(name, error) for name, errors in form.errors.items() for error in errors]
    for message in dict.fromkeys(messages):
        flash(message, "error")
