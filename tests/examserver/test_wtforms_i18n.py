"""WTForms' own messages reach a page in its language, through the one base form of examserver."""

from __future__ import annotations

from flask_babel import force_locale
from flask_wtf import FlaskForm as FlaskWTFForm
from wtforms import Form, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from examserver.hr.forms import RatingForm
from examserver.wtforms_i18n import MESSAGES, FlaskForm, SubForm


def subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found.union(*(subclasses(sub) for sub in found))


def forms_without_our_messages(classes: set[type]) -> list[str]:
    """Every form class of examserver's among ``classes`` that is not built on our ``FlaskForm``."""
    return sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in classes
        if cls.__module__.startswith("examserver.") and not issubclass(cls, FlaskForm)
    )


def test_every_form_of_ours_gets_the_translated_messages(app):
    assert forms_without_our_messages(subclasses(FlaskWTFForm)) == []
    nested = {cls for cls in subclasses(Form) if not issubclass(cls, SubForm | FlaskWTFForm)}
    assert forms_without_our_messages(nested) == []


def test_a_nested_form_speaks_the_page_language(app):
    # WTForms builds the targets of a rating with their own meta: they said "Number must be between
    # 0 and 120." on an Indonesian page.
    data = {"targets-0-target": "Laporan", "targets-0-weight": "1", "targets-0-achieved": "130"}
    for locale, message in (("id", "Angka harus antara 0 dan 120."), ("en", "Number must be between 0 and 120.")):
        with app.test_request_context(method="POST", data=data), force_locale(locale):
            form = RatingForm(meta={"csrf": False})
            assert not form.validate()
            assert form.targets[0].achieved.errors == [message]


def test_the_check_reports_a_form_built_on_flask_wtf_directly():
    # A plain WTForms form stands in for it: a real FlaskForm subclass would stay registered for the
    # other tests of this process.
    stray = type("StrayForm", (Form,), {"__module__": "examserver.hr.forms"})
    assert forms_without_our_messages(subclasses(FlaskWTFForm) | {stray}) == ["examserver.hr.forms.StrayForm"]


class Sample(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(validators=[DataRequired(), Length(min=3)])
    count = IntegerField()
    choice = SelectField(choices=[("a", "A")])


def test_wtforms_messages_follow_the_page_language(app):
    data = {"name": "ab", "count": "dua", "choice": "z"}
    expected = {
        "id": {"name": ["Isian minimal 3 karakter."], "count": ["Tulis bilangan bulat, misalnya 12."]},
        "en": {
            "name": ["Field must be at least 3 characters long."],
            "count": ["Enter a whole number, for example 12."],
        },
    }
    for locale, messages in expected.items():
        with app.test_request_context(method="POST", data=data), force_locale(locale):
            form = Sample()
            assert not form.validate()
            assert {k: form.errors[k] for k in ("name", "count")} == messages
            assert form.errors["choice"] == [{"id": "Pilihan tidak valid.", "en": "Not a valid choice."}[locale]]


def test_every_message_wtforms_writes_for_our_fields_has_an_indonesian_text():
    for needed in (
        "This field is required.",
        "Not a valid choice.",
        "Not a valid float value.",
        "Not a valid integer value.",
    ):
        assert needed in MESSAGES
