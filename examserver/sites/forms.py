"""Forms of the committee's test-site pages: registering a site, and exporting a sitting's package
for one. Each makes the checks the services make of the input, so every mistake shows at once."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from examserver.errors import refusal_message
from examserver.extensions import db
from examserver.fields import LocaleIntegerField, MultiCheckboxField, understood_field
from examserver.numbers import format_number
from examserver.sites import services
from examserver.wtforms_i18n import FlaskForm
from itembank.refusal import Refusal

#: Most candidates one package takes (as ``flask site export --seats``).
MOST_SEATS = 10_000
#: What separates pasted registration numbers: lines, and the tabs, spaces, commas or semicolons
#: of a row copied from a spreadsheet.
SEPARATORS = re.compile(r"[\s,;]+")


def new_site_code(form, field) -> None:
    """The service's check of a new site's code (format, not taken), beside the field."""
    try:
        services.check_site_code(db.session, field.data or "")
    except Refusal as refusal:
        raise ValidationError(refusal_message(refusal.code, **refusal.params)) from None


class SiteForm(FlaskForm):
    code = StringField(_l("Kode lokasi"), validators=[DataRequired(), Length(max=40), new_site_code])
    name = StringField(_l("Nama lokasi"), validators=[DataRequired(), Length(max=200)])
    address = StringField(_l("Alamat atau kabupaten/kota"), validators=[Length(max=300)])


def registration_numbers(text: str | None) -> list[str]:
    """The registration numbers pasted in ``text``, in order."""
    return [number for number in SEPARATORS.split(text or "") if number]


class ExportForm(FlaskForm):
    """Choices are set by the view: the open sittings and the sites by code, proctors by e-mail."""

    schedule = SelectField(_l("Jadwal ujian"), validators=[DataRequired()])
    site = SelectField(_l("Lokasi"), validators=[DataRequired()])
    proctors = MultiCheckboxField(
        _l("Pengawas di lokasi"), validators=[DataRequired(message=_l("Pilih paling sedikit satu pengawas."))]
    )
    seats = LocaleIntegerField(_l("Jumlah kursi (peserta berikutnya yang belum ditempatkan)"))
    numbers = TextAreaField(
        _l("Atau nomor peserta, satu per baris"), validators=[Length(max=MOST_SEATS * 40)], render_kw={"rows": 6}
    )
    understood = understood_field(
        _l(
            "Saya mengerti: PIN hanya ada di berkas ZIP yang diunduh sekarang, dan paket ini menggantikan "
            "paket lokasi ini sebelumnya untuk jadwal yang sama."
        )
    )

    def validate_seats(self, field) -> None:
        typed = registration_numbers(self.numbers.data)
        if field.data is None:
            if not typed:
                raise ValidationError(_l("Isi jumlah kursi, atau tempel nomor peserta."))
            return
        if typed:
            raise ValidationError(_l("Isi jumlah kursi atau nomor peserta, tidak keduanya."))
        if not 1 <= field.data <= MOST_SEATS:
            raise ValidationError(
                _l("Jumlah kursi antara %(least)s dan %(most)s.")
                % {"least": format_number(1, "count"), "most": format_number(MOST_SEATS, "count")}
            )

    def validate_numbers(self, field) -> None:
        if len(registration_numbers(field.data)) > MOST_SEATS:
            raise ValidationError(
                _l("Paling banyak %(most)s nomor peserta.") % {"most": format_number(MOST_SEATS, "count")}
            )

    def candidates_field(self):
        """The field the candidates were given in (where a refusal about them is shown)."""
        return self.numbers if registration_numbers(self.numbers.data) else self.seats


class ResultsForm(FlaskForm):
    """A site's results file carried to the centre (``hasil-SITE-....json.gz``)."""

    file = FileField(_l("Berkas hasil dari lokasi"), validators=[FileRequired(_l("Pilih berkas hasil dari lokasi."))])
