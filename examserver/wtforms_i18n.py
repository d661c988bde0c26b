"""WTForms' own messages ("This field is required.", "Not a valid choice.") in the page's language.

Flask-WTF looks WTForms' messages up in the catalogue WTForms ships for the reader's locale, and
WTForms ships none for Indonesian: an Indonesian page showed them in English. Here they are given
Indonesian texts as our own messages (so English pages read them from our English catalogue), and
:class:`FlaskForm`, the base of every form of ours, hands them to WTForms. A test fails on a form
built on Flask-WTF's class directly.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskWTFForm
from wtforms import Form as _WTForm

#: WTForms' English message (its msgid; the singular of a plural) -> ours. Indonesian has one form
#: for singular and plural. CSRF messages never reach a page (errors.py answers a CSRF failure).
MESSAGES = {
    "This field is required.": _l("Wajib diisi."),
    "Invalid input.": _l("Isian tidak valid."),
    "Not a valid choice.": _l("Pilihan tidak valid."),
    "Invalid Choice: could not coerce.": _l("Pilihan tidak valid."),
    "Invalid choice(s): one or more data inputs could not be coerced.": _l("Ada pilihan yang tidak valid."),
    "'%(value)s' is not a valid choice for this field.": _l("'%(value)s' bukan pilihan yang valid."),
    "Field must be equal to %(other_name)s.": _l("Isian harus sama dengan %(other_name)s."),
    "Field must be at least %(min)d character long.": _l("Isian minimal %(min)d karakter."),
    "Field cannot be longer than %(max)d character.": _l("Isian paling banyak %(max)d karakter."),
    "Field must be exactly %(max)d character long.": _l("Isian harus tepat %(max)d karakter."),
    "Field must be between %(min)d and %(max)d characters long.": _l("Isian harus %(min)d sampai %(max)d karakter."),
    "Number must be at least %(min)s.": _l("Angka minimal %(min)s."),
    "Number must be at most %(max)s.": _l("Angka paling besar %(max)s."),
    "Number must be between %(min)s and %(max)s.": _l("Angka harus antara %(min)s dan %(max)s."),
    "Invalid email address.": _l("Email tidak valid."),
    "Invalid value, must be one of: %(values)s.": _l("Isian tidak valid, harus salah satu dari: %(values)s."),
    "Invalid value, can't be any of: %(values)s.": _l("Isian tidak valid, tidak boleh salah satu dari: %(values)s."),
    "Not a valid datetime value.": _l("Tanggal dan jam tidak valid."),
    "Not a valid date value.": _l("Tanggal tidak valid."),
    "Not a valid time value.": _l("Jam tidak valid."),
    "Not a valid integer value.": _l("Tulis bilangan bulat, misalnya 12."),
    "Not a valid decimal value.": _l("Tulis angka, misalnya 3,45."),
    "Not a valid float value.": _l("Tulis angka, misalnya 3,45."),
}


class Translations:
    """The translations object WTForms asks for its messages (``gettext``/``ngettext``)."""

    def gettext(self, string: str) -> str:
        message = MESSAGES.get(string)
        return string if message is None else str(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        message = MESSAGES.get(singular)
        if message is None:
            return singular if n == 1 else plural
        return str(message)


TRANSLATIONS = Translations()


class FlaskForm(_FlaskWTFForm):
    """Flask-WTF's form, with WTForms' own messages in the page's language (see the module)."""

    class Meta(_FlaskWTFForm.Meta):
        def get_translations(self, form):
            return TRANSLATIONS


class SubForm(_WTForm):
    """The base of a form nested in one of ours (``FormField``, ``FieldList``): WTForms builds the
    inner form with its own meta, not the outer form's, so it needs the messages too."""

    class Meta:
        def get_translations(self, form):
            return TRANSLATIONS
