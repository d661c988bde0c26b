"""What a submitted form carries, handed on to a service by the names its fields share with the
service's parameters."""

from __future__ import annotations

from typing import Any

from examserver.wtforms_i18n import FlaskForm


def field_values(form: FlaskForm, *names: str) -> dict[str, Any]:
    """The data of the fields ``names`` of ``form``, keyed by field name, e.g. for
    ``services.create_user(session, **field_values(form, "email", "full_name"))``."""
    return {name: form[name].data for name in names}
