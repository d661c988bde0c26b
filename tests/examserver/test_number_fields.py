"""Numbers the Indonesian way, in and out: every number field of every form reads the reader's
notation (one family of fields), and numbers people read are written in it (one filter)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from flask_babel import force_locale
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DecimalField, FieldList, FloatField, Form, FormField, IntegerField
from wtforms.fields.numeric import DecimalRangeField, IntegerRangeField
from wtforms.validators import NumberRange, Optional

import examserver
from examserver.fields import LocaleFloatField, LocaleIntegerField, LocaleNumber, RupiahField
from examserver.numbers import format_number, format_rupiah
from examserver.selection.announcements import readable_scores

#: WTForms' own number fields: they read only Python's notation ("3.45"), in English.
PLAIN_NUMBER_FIELDS = (FloatField, IntegerField, DecimalField, IntegerRangeField, DecimalRangeField)


def app_forms() -> list[type[Form]]:
    """Every form class of the app: each module of ``examserver`` imported, then every subclass
    of WTForms' ``Form`` (``FlaskForm`` is one) defined in one of them."""
    for module in pkgutil.walk_packages(examserver.__path__, "examserver."):
        importlib.import_module(module.name)
    found, pending = [], list(Form.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("examserver."):
            found.append(cls)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


def _fields(form):
    """The fields of a bound form, those of its sub-forms (FormField, FieldList) included."""
    for field in form:
        if isinstance(field, FormField):
            yield from _fields(field.form)
        elif isinstance(field, FieldList):
            for entry in field.entries:
                yield from _fields(entry.form) if isinstance(entry, FormField) else [entry]
        else:
            yield field


def plain_number_fields(forms) -> list[str]:
    """The number fields of ``forms`` (classes) that are WTForms' own rather than one of the
    locale fields, as ``module.Form.field``; each form is built as a page builds it, so fields
    added after the class statement and those of sub-forms are seen too."""
    found = []
    for cls in forms:
        form = cls(formdata=None) if issubclass(cls, FlaskForm) else cls()
        for field in _fields(form):
            if isinstance(field, PLAIN_NUMBER_FIELDS) and not isinstance(field, LocaleNumber):
                found.append(f"{cls.__module__}.{cls.__name__}.{field.name}")
    return found


def test_every_number_field_of_every_form_reads_the_readers_notation(app):
    with app.test_request_context():
        forms = app_forms()
        assert len(forms) > 40  # the walk finds the app's forms (a broken import would find none)
        assert plain_number_fields(forms) == []


def test_the_walk_reports_a_plain_number_field(app):
    class Violating(FlaskForm):
        ok = LocaleFloatField("ok")
        hidden = FormField(type("Inner", (Form,), {"count": IntegerField("n")}))

    here = f"{__name__}.Violating"
    with app.test_request_context():
        assert plain_number_fields([Violating]) == [f"{here}.hidden-count"]
        Violating.score = FloatField("Nilai")  # one more plain field
        assert plain_number_fields([Violating]) == [f"{here}.hidden-count", f"{here}.score"]


class NumbersForm(Form):
    decimal = LocaleFloatField("decimal", [Optional(), NumberRange(0, 100)])
    whole = LocaleIntegerField("whole", [Optional()])
    amount = RupiahField("amount", [Optional()])


def _read(locale: str, **typed) -> tuple[dict, dict]:
    with force_locale(locale):
        form = NumbersForm(MultiDict(typed))
        form.validate()
        return form.data, form.errors


@pytest.mark.parametrize(
    ("locale", "typed", "value"),
    [
        ("id", {"decimal": "3,45"}, 3.45),
        ("id", {"decimal": "3.45"}, 3.45),  # the plain notation, when the locale cannot read it
        ("id", {"decimal": "82,5"}, 82.5),
        ("id", {"decimal": " 95,5 "}, 95.5),
        ("en", {"decimal": "3.45"}, 3.45),
        ("id", {"whole": "1.200"}, 1200),
        ("en", {"whole": "1,200"}, 1200),
        ("id", {"amount": "250.000.000"}, 250_000_000),
        ("id", {"amount": "Rp 250.000.000"}, 250_000_000),
        ("id", {"amount": "Rp250.000.000,00"}, 250_000_000),
        ("id", {"amount": "rp\u00a0400.000.000"}, 400_000_000),
        ("en", {"amount": "Rp 250,000,000"}, 250_000_000),
        ("en", {"amount": "IDR 250,000,000"}, 250_000_000),
    ],
)
def test_a_number_is_read_as_the_reader_types_it(app, locale, typed, value):
    with app.test_request_context():
        data, errors = _read(locale, **typed)
    (name,) = typed
    assert errors == {} and data[name] == pytest.approx(value) and type(data[name]) is type(value)


@pytest.mark.parametrize(
    ("locale", "typed", "message"),
    [
        ("id", {"decimal": "3,4,5"}, "Tulis angka, misalnya 3,45."),
        ("id", {"decimal": "1.2.3,4,5"}, "Tulis angka, misalnya 3,45."),
        ("id", {"decimal": "abc"}, "Tulis angka, misalnya 3,45."),
        ("en", {"decimal": "3,45"}, "Enter a number, for example 3.45."),
        ("id", {"whole": "3,5"}, "Tulis bilangan bulat, misalnya 12."),
        ("en", {"whole": "3.5"}, "Enter a whole number, for example 12."),
        ("id", {"amount": "Rp 1.000,50"}, "Tulis jumlah rupiah tanpa sen, misalnya Rp\u00a0250.000.000."),
        ("id", {"amount": "Rp"}, "Tulis jumlah rupiah tanpa sen, misalnya Rp\u00a0250.000.000."),
        ("en", {"amount": "250.000.000"}, "Enter an amount in whole rupiah, for example Rp\u00a0250,000,000."),
    ],
)
def test_what_cannot_be_read_is_refused_once_in_the_readers_language(app, locale, typed, message):
    with app.test_request_context():
        data, errors = _read(locale, **typed)
    (name,) = typed
    assert data[name] is None and errors == {name: [message]}  # said once: no range message after it


def test_a_number_field_offers_the_phone_number_keyboard_and_shows_the_value_as_typed(app):
    with app.test_request_context(), force_locale("id"):
        form = NumbersForm(data={"decimal": 3.45, "whole": 1200, "amount": 250_000_000})
        assert 'type="text"' in form.decimal() and 'inputmode="decimal"' in form.decimal()
        assert 'inputmode="numeric"' in form.whole() and 'value="1200"' in form.whole()
        assert 'value="3,45"' in form.decimal() and 'value="250.000.000"' in form.amount()
    with app.test_request_context(), force_locale("en"):
        assert 'value="3.45"' in NumbersForm(data={"decimal": 3.45}).decimal()
        typed = NumbersForm(MultiDict({"decimal": "3,4,5"}))
        assert 'value="3,4,5"' in typed.decimal()  # what was typed stays, to be corrected


@pytest.mark.parametrize(
    ("locale", "shown"),
    [
        ("id", ["76,96", "-0,50", "0,31", "Rp\u00a0400.000.000", "12,5%", "13%", "1.234", "–", "–"]),
        ("en", ["76.96", "-0.50", "0.31", "Rp\u00a0400,000,000", "12.5%", "13%", "1,234", "–", "–"]),
    ],
)
def test_numbers_are_written_with_the_precision_of_their_quantity(app, locale, shown):
    with app.test_request_context(), force_locale(locale):
        assert [
            format_number(76.964791, "score"),
            format_number(-0.5, "theta"),
            format_number(0.3125, "se"),
            format_rupiah(400_000_000.4),
            format_number(0.125, "share"),
            format_number(0.126, "percent"),
            format_number(1234, "count"),
            format_number(None, "score"),
            format_number(float("nan"), "score"),
        ] == shown


def test_the_template_filters_are_the_same_helpers(app):
    with app.test_request_context(), force_locale("id"):
        template = app.jinja_env.from_string('{{ x|number("score") }} · {{ y|rupiah }}')
        assert template.render(x=76.964791, y=400_000_000) == "76,96 · Rp\u00a0400.000.000"


def test_an_exported_decimal_is_shown_in_the_readers_notation_and_nothing_else_changes(app):
    """An announcement's cells as the page shows them: its decimals at the score precision (a column
    whose scores two decimals would merge keeps the CSV's three), anything else as it is."""
    rows = [["76.965", "-1.250", "3", "RANK26-A", "", "SHORTLISTED"], ["70.000", "-1.254", "4", "RANK26-B", "", ""]]
    with app.test_request_context(), force_locale("id"):
        assert readable_scores(rows) == [
            ["76,96", "-1,250", "3", "RANK26-A", "", "SHORTLISTED"],
            ["70,00", "-1,254", "4", "RANK26-B", "", ""],
        ]
