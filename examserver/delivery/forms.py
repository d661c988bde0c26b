"""Forms of the delivery pages."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from examserver.fields import CODE, LocaleIntegerField
from examserver.wib import MOMENT
from examserver.wtforms_i18n import FlaskForm


class ScheduleForm(FlaskForm):
    code = StringField(_l("Kode jadwal"), validators=[DataRequired(), Length(max=20), CODE])
    title = StringField(_l("Judul"), validators=[DataRequired(), Length(max=200)])
    blueprint = SelectField(_l("Cetak biru"), coerce=int, validate_choice=False)
    opens_at = DateTimeLocalField(_l("Dibuka (WIB)"), validators=[InputRequired()], format=MOMENT)
    closes_at = DateTimeLocalField(_l("Ditutup (WIB)"), validators=[InputRequired()], format=MOMENT)
    location = StringField(_l("Tempat"), validators=[DataRequired(), Length(max=300)], default="Daring (jarak jauh)")
    uses_pin = BooleanField(_l("Pakai PIN mulai (6 angka, dibuat server dan ditampilkan sekali)"))
    requires_authorisation = BooleanField(_l("Pengawas harus mengizinkan setiap peserta mulai"))
    shows_score = BooleanField(_l("Tampilkan nilai kepada peserta segera setelah selesai"), default=True)
    has_public_scoreboard = BooleanField(_l("Papan skor publik"))
    grace_seconds = LocaleIntegerField(_l("Masa tenggang simpan (detik)"), validators=[NumberRange(0, 300)], default=30)


class EnrolForm(FlaskForm):
    emails = TextAreaField(_l("Email peserta (satu per baris)"), validators=[DataRequired(), Length(max=200_000)])


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False

    # Room for the spaces and dashes a person may type around the 12 characters (they are dropped).
    kode = StringField(_l("Kode verifikasi"), validators=[DataRequired(), Length(max=40)])


class AppealForm(FlaskForm):
    text = TextAreaField(_l("Sanggahan Anda"), validators=[DataRequired(), Length(min=20, max=4000)])


class ReceiptForm(FlaskForm):
    class Meta:
        csrf = False

    kode = StringField(_l("Tanda terima"), validators=[DataRequired(), Length(max=40)])
