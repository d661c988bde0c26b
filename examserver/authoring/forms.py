"""Forms of the item bank pages. One item form serves every type: the fields that a type does
not use are ignored, and the page shows only the ones it needs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from examserver.fields import LocaleFloatField, LocaleIntegerField, MultiCheckboxField
from examserver.labels import choices
from examserver.wtforms_i18n import FlaskForm
from itembank.item_types import LETTERS
from itembank.models import ITEM_STATUSES

MAX_OPTIONS = 8
OPTION_LETTERS = list(LETTERS[:MAX_OPTIONS])


class ItemForm(FlaskForm):
    competency = SelectField(_l("Kompetensi"), coerce=int, validators=[InputRequired()])
    stem = TextAreaField(_l("Pokok soal"), validators=[DataRequired(), Length(max=8000)])
    shuffle = BooleanField(_l("Acak urutan opsi untuk setiap peserta"), default=True)
    correct = SelectField(_l("Kunci jawaban"), choices=[(x, x) for x in OPTION_LETTERS], validate_choice=False)
    correct_multi = MultiCheckboxField(
        _l("Jawaban benar (pilih semua)"), choices=[(x, x) for x in OPTION_LETTERS], validate_choice=False
    )
    numeric_value = LocaleFloatField(_l("Jawaban angka"), validators=[Optional()])
    numeric_tolerance = LocaleFloatField(_l("Toleransi (selisih yang masih dianggap benar)"), validators=[Optional()])
    image = FileField(_l("Gambar (PNG atau JPEG, maks. 300 KB)"))
    image_alt = StringField(_l("Teks pengganti gambar"), validators=[Length(max=300)])
    remove_images = BooleanField(_l("Hapus gambar yang ada"))
    note = StringField(_l("Catatan perubahan"), validators=[Length(max=500)])


for _letter in OPTION_LETTERS:
    setattr(
        ItemForm,
        f"option_{_letter}",
        TextAreaField(_l("Opsi %(letter)s", letter=_letter), validators=[Length(max=2000)]),
    )
    setattr(
        ItemForm,
        f"weight_{_letter}",
        LocaleIntegerField(_l("Bobot %(letter)s", letter=_letter), validators=[Optional(), NumberRange(0, 5)]),
    )


class TransitionForm(FlaskForm):
    to_status = SelectField(choices=[(s, s) for s in ITEM_STATUSES])
    comment = TextAreaField(_l("Alasan atau catatan"), validators=[Length(max=2000)])


class ItemFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Cari kode atau isi soal"), validators=[Optional(), Length(max=100)])
    kompetensi = SelectField(_l("Kompetensi"), coerce=int, validate_choice=False, default=0)
    tipe = SelectField(_l("Tipe"), choices=[("", _l("Semua tipe")), *choices("item_type")], default="")
    status = SelectField(_l("Status"), choices=[("", _l("Semua status")), *choices("item_status")], default="")
    penulis = SelectField(_l("Penulis"), coerce=int, validate_choice=False, default=0)
    b_min = LocaleFloatField(_l("Tingkat kesulitan (b) dari"), validators=[Optional(), NumberRange(-6, 6)])
    b_max = LocaleFloatField(_l("sampai"), validators=[Optional(), NumberRange(-6, 6)])
    paparan_min = LocaleFloatField(_l("Paparan dari (persen)"), validators=[Optional(), NumberRange(0, 100)])
    paparan_max = LocaleFloatField(_l("Paparan sampai (persen)"), validators=[Optional(), NumberRange(0, 100)])


class CompetencyForm(FlaskForm):
    code = StringField(_l("Kode"), validators=[DataRequired(), Length(max=60)])
    name = StringField(_l("Nama"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Nama (bahasa Inggris)"), validators=[Length(max=200)])
    parent = SelectField(_l("Induk"), coerce=int, validate_choice=False, default=0)
    description = TextAreaField(_l("Uraian"), validators=[Length(max=2000)])


MAX_SECTIONS = 6


class BlueprintForm(FlaskForm):
    code = StringField(_l("Kode"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Nama"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Uraian"), validators=[Length(max=2000)])
    time_limit_minutes = LocaleIntegerField(_l("Waktu (menit)"), validators=[InputRequired(), NumberRange(1, 600)])
    delivery_mode = SelectField(_l("Cara penyajian"), choices=choices("delivery_mode"))
    scale_kind = SelectField(
        _l("Skala pelaporan"),
        choices=[
            ("range", _l("Rentang (mis. 0-100)")),
            ("normal", _l("Rerata dan simpangan baku (mis. 500/100)")),
        ],
    )
    scale_a = LocaleFloatField(_l("Minimum atau rerata"), validators=[InputRequired()], default=0)
    scale_b = LocaleFloatField(_l("Maksimum atau simpangan baku"), validators=[InputRequired()], default=100)


for _n in range(1, MAX_SECTIONS + 1):
    setattr(
        BlueprintForm,
        f"s{_n}_competency",
        SelectField(_l("Kompetensi"), coerce=int, validate_choice=False, default=0),
    )
    setattr(BlueprintForm, f"s{_n}_title", StringField(_l("Judul bagian"), validators=[Length(max=200)]))
    setattr(
        BlueprintForm,
        f"s{_n}_count",
        LocaleIntegerField(_l("Jumlah butir"), validators=[Optional(), NumberRange(1, 500)]),
    )
    setattr(
        BlueprintForm,
        f"s{_n}_rule",
        SelectField(
            _l("Aturan skor"),
            choices=[
                ("points_per_correct", _l("Poin per jawaban benar")),
                ("weighted_options", _l("Bobot opsi")),
            ],
        ),
    )
    setattr(
        BlueprintForm,
        f"s{_n}_points",
        LocaleIntegerField(_l("Poin per benar"), validators=[Optional(), NumberRange(1, 100)], default=5),
    )
    setattr(
        BlueprintForm,
        f"s{_n}_threshold",
        LocaleFloatField(_l("Nilai ambang lulus"), validators=[Optional(), NumberRange(0, 10000)]),
    )
    setattr(
        BlueprintForm,
        f"s{_n}_scaled_threshold",
        LocaleFloatField(
            _l("Ambang pada skala pelaporan (khusus adaptif)"),
            validators=[Optional(), NumberRange(-10000, 10000)],
        ),
    )


class AssembleForm(FlaskForm):
    n_forms = LocaleIntegerField(
        _l("Jumlah naskah paralel"), validators=[InputRequired(), NumberRange(1, 10)], default=2
    )
