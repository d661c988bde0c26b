"""Form fields shared by the blueprints: the check of a typed code, a group of checkboxes, and
fields that read a number as a person types it, in the reader's locale.

WTForms' ``FloatField`` reads only Python's notation, so an Indonesian "3,45" (decimal comma) is
refused, in English. Babel's locale data parses what is typed and formats what is shown back, as
the style guide asks of numbers both ways.
"""

from __future__ import annotations

import re
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal
from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from wtforms import FloatField, SelectMultipleField
from wtforms.validators import Regexp, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

#: The check of a code typed as a record's key (a period's, a programme's, a schedule's).
CODE = Regexp(r"^[A-Za-z0-9-]+$", message=_l("Hanya huruf, angka dan tanda hubung."))
NOT_A_NUMBER = _l("Tulis angka, misalnya 3,45.")
#: What a typed number may hold: a sign, then digits and the marks locales group and separate them
#: with (Decimal alone would also take "nan", "inf", "1e3" and "1_0").
TYPED = re.compile(r"[+-]?\d[\d.,'\u00a0\u202f]*")
#: The plain notation accepted when the locale's is not: digits with an optional decimal point.
PLAIN = re.compile(r"[+-]?\d+(?:\.\d+)?")


def parse_number(raw: str) -> float:
    """A typed number: in the reader's locale first ("3,45" or "1.234,5" in Indonesian), else in
    the plain notation a browser's autofill or a script sends ("3.45"). Raises ``ValueError``.

    Where the two readings differ the locale's wins: "1.234" is one thousand two hundred and
    thirty-four to an Indonesian reader."""
    if TYPED.fullmatch(raw) is None:
        raise ValueError(raw)
    try:
        return float(parse_decimal(raw, locale=get_locale(), strict=True))
    except NumberFormatError:
        if PLAIN.fullmatch(raw) is None:
            raise ValueError(raw) from None
        return float(raw)


class LocaleFloatField(FloatField):
    """A ``FloatField`` that reads and shows numbers in the reader's locale."""

    #: The number typed, or None when nothing (valid) was; typed as WTForms' own fields are.
    data: Any

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        raw = valuelist[0].strip()
        if not raw:
            self.data = None
            return
        try:
            self.data = parse_number(raw)
        except ValueError:
            self.data = None
            raise ValueError(str(NOT_A_NUMBER)) from None

    def pre_validate(self, form) -> None:
        # What could not be read as a number is said once; the range or required check would only repeat it.
        if self.process_errors:
            raise StopValidation()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_decimal(self.data) if self.data is not None else ""


class MultiCheckboxField(SelectMultipleField):
    """A choice of several as a list of checkboxes (the ``field`` macro puts it in a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
