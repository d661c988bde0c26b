"""Form fields shared by the blueprints: the check of a typed code and of an email address, the
"I understand" box of a consequential action, a group of checkboxes, and the one family of fields
that read a number as a person types it, in the reader's locale.

WTForms' number fields read only Python's notation, so an Indonesian "3,45" (decimal comma) or
"250.000.000" (thousands dots) is refused, in English, and ``IntegerField`` draws an
``<input type=number>`` that many phones' browsers refuse a comma in. Every number of every form
is one of :class:`LocaleFloatField`, :class:`LocaleIntegerField` or :class:`RupiahField`: one
parser each from :mod:`examserver.numbers`, a translated message with an example in the reader's
notation, a text input with the phone's number keyboard, and the value shown back as the reader
writes it. ``tests/examserver/test_number_fields.py`` walks every form and fails on any other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FloatField, IntegerField, SelectMultipleField
from wtforms.validators import DataRequired, Regexp, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from examserver.accounts.identity import is_email
from examserver.accounts.services import normalise_email
from examserver.errors import refusal_message
from examserver.numbers import format_rupiah, parse_number, parse_rupiah, parse_whole

#: The check of a code typed as a record's key (a period's, a programme's, a schedule's).
CODE = Regexp(r"^[A-Za-z0-9-]+$", message=_l("Hanya huruf, angka dan tanda hubung."))
UNDERSTOOD = _l("Centang kotak ini untuk menyatakan Anda mengerti akibatnya.")


def email_address(form, field) -> None:
    """The check of a typed email address, the same as the accounts service's (a domain with a dot:
    "siti@contoh" is refused), so the form says so beside the field with every other mistake."""
    if field.data and not is_email(normalise_email(field.data)):
        raise ValidationError(refusal_message("account.invalid_email"))


def understood_field(consequence, **options) -> BooleanField:
    """A box "Saya mengerti ..." naming the ``consequence`` of a destructive or consequential
    action; the form is refused, with the box marked, until it is ticked. ``options``: the field's
    own, e.g. an ``id`` when a page holds another such box."""
    return BooleanField(consequence, validators=[DataRequired(message=UNDERSTOOD)], **options)


class LocaleNumber:
    """What the number fields share: read with :attr:`parse`, refuse with :meth:`refusal`, draw a
    text input with the keyboard of :attr:`inputmode`, show the value back with :meth:`shown`.

    A mixin before a WTForms number field, so the field stays what WTForms and its validators
    (``NumberRange``) expect, with ``data`` a number or None."""

    #: The number typed, or None when nothing (valid) was; typed as WTForms' own fields are.
    data: Any
    raw_data: Any
    process_errors: list
    widget = TextInput()
    #: The phone keyboard to offer: "decimal" has the comma, "numeric" only digits.
    inputmode = "decimal"
    #: Reads what is typed; raises ValueError.
    parse: Callable[[str], float | int] = staticmethod(parse_number)

    #: The message for what could not be read, with an example (:meth:`example`) in the reader's notation.
    refusal_text = _l("Tulis angka, misalnya %(example)s.")
    #: How the value is shown back in the input: no grouping, as it is typed back.
    pattern = "0.######"

    def example(self) -> str:
        return format_decimal(3.45)

    def refusal(self) -> str:
        return str(self.refusal_text) % {"example": self.example()}

    def shown(self, value) -> str:
        """The value as the reader writes it, in the input."""
        return format_decimal(value, self.pattern)

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        raw = valuelist[0].strip()
        if not raw:
            self.data = None
            return
        try:
            self.data = self.parse(raw)
        except ValueError:
            self.data = None
            raise ValueError(self.refusal()) from None

    def pre_validate(self, form) -> None:
        # What could not be read as a number is said once; the range or required check would only repeat it.
        if self.process_errors:
            raise StopValidation()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.shown(self.data) if self.data is not None else ""

    def __call__(self, **kwargs) -> Any:
        kwargs.setdefault("inputmode", self.inputmode)
        return super().__call__(**kwargs)  # type: ignore[misc]


class LocaleFloatField(LocaleNumber, FloatField):
    """A decimal number: "3,45" or "3.45" in Indonesian, "3.45" in English."""


class LocaleIntegerField(LocaleNumber, IntegerField):
    """A whole number: "1.200" in Indonesian; a fraction ("3,5") is refused."""

    inputmode = "numeric"
    parse = staticmethod(parse_whole)
    refusal_text = _l("Tulis bilangan bulat, misalnya %(example)s.")
    pattern = "0"

    def example(self) -> str:
        return format_decimal(12)


class RupiahField(LocaleIntegerField):
    """An amount in whole rupiah: "250.000.000" or "Rp 250.000.000" in Indonesian."""

    parse = staticmethod(parse_rupiah)
    refusal_text = _l("Tulis jumlah rupiah tanpa sen, misalnya %(example)s.")
    pattern = "#,##0"  # grouped, as amounts are read and typed; the label says "(Rp)"

    def example(self) -> str:
        return format_rupiah(250_000_000)


class MultiCheckboxField(SelectMultipleField):
    """A choice of several as a list of checkboxes (the ``field`` macro puts it in a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
