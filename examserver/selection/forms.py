"""Forms of the selection pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    DateTimeLocalField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from examserver.fields import CODE, LocaleFloatField, LocaleIntegerField, MultiCheckboxField, understood_field
from examserver.selection.rubrics import Rubric
from examserver.wib import MOMENT
from examserver.wtforms_i18n import FlaskForm


class PeriodForm(FlaskForm):
    code = StringField(_l("Kode periode"), validators=[DataRequired(), Length(max=30), CODE])
    title = StringField(_l("Judul"), validators=[DataRequired(), Length(max=200)])
    agency = StringField(_l("Instansi"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Keterangan"), validators=[Length(max=4000)])
    applications_open_at = DateTimeLocalField(
        _l("Pendaftaran dibuka (WIB)"), validators=[InputRequired()], format=MOMENT
    )
    applications_close_at = DateTimeLocalField(
        _l("Pendaftaran ditutup (WIB)"), validators=[InputRequired()], format=MOMENT
    )
    appeal_days = LocaleIntegerField(
        _l("Masa sanggah (hari)"), validators=[InputRequired(), NumberRange(0, 30)], default=3
    )
    schedule = SelectField(_l("Jadwal ujian SKD"), coerce=int)  # choices: the schedules that exist
    interviewers_required = LocaleIntegerField(
        _l("Pewawancara per pelamar (nilai lain terlihat setelah semua terisi)"),
        validators=[InputRequired(), NumberRange(2, 10)],
        default=2,
    )
    administrative_end = DateTimeLocalField(_l("Verifikasi administrasi selesai (WIB)"), [Optional()], format=MOMENT)
    basic_start = DateTimeLocalField(_l("SKD mulai (WIB)"), [Optional()], format=MOMENT)
    basic_end = DateTimeLocalField(_l("SKD selesai (WIB)"), [Optional()], format=MOMENT)
    field_start = DateTimeLocalField(_l("SKB mulai (WIB)"), [Optional()], format=MOMENT)
    field_end = DateTimeLocalField(_l("SKB selesai (WIB)"), [Optional()], format=MOMENT)
    final_at = DateTimeLocalField(_l("Pengumuman akhir (WIB)"), [Optional()], format=MOMENT)
    rules = TextAreaField(_l("Aturan seleksi (JSON)"), validators=[DataRequired(), Length(max=20000)])


class PositionForm(FlaskForm):
    code = StringField(_l("Kode formasi"), validators=[DataRequired(), Length(max=30), CODE])
    agency = StringField(_l("Instansi"), validators=[DataRequired(), Length(max=200)])
    title = StringField(_l("Jabatan"), validators=[DataRequired(), Length(max=200)])
    unit = StringField(_l("Unit kerja"), validators=[DataRequired(), Length(max=200)])
    location = StringField(_l("Lokasi"), validators=[DataRequired(), Length(max=200)])
    quota = LocaleIntegerField(_l("Kuota"), validators=[InputRequired(), NumberRange(1, 100000)])
    education = TextAreaField(_l("Kualifikasi pendidikan"), validators=[DataRequired(), Length(max=2000)])
    categories = MultiCheckboxField(_l("Kategori pelamar"), validate_choice=False)
    required_documents = MultiCheckboxField(_l("Dokumen yang diminta"), validate_choice=False)
    competency_profile = TextAreaField(
        _l("Profil kompetensi (JSON, level 1-5)"), validators=[Length(max=4000)], default="{}"
    )
    equivalence_group = LocaleIntegerField(
        _l("Kelompok formasi setara (opsional)"), [Optional(), NumberRange(0, 10**6)]
    )


class ApplyForm(FlaskForm):
    position = SelectField(_l("Formasi"), coerce=int, validate_choice=False)
    # The one category the candidate applies under (the committee's "Kategori pelamar" lists several).
    category = SelectField(_l("Kategori pelamar Anda"), validate_choice=False)
    education_score = LocaleFloatField(
        _l("IPK"),
        validators=[
            InputRequired(message=_l("Isi IPK, misalnya 3,45.")),
            NumberRange(0, 4, message=_l("IPK harus antara 0 dan 4.")),
        ],
    )
    birth_date = DateField(_l("Tanggal lahir"), validators=[InputRequired(message=_l("Isi tanggal lahir."))])


class UploadForm(FlaskForm):
    doc_type = SelectField(_l("Jenis dokumen"), validate_choice=False)
    file = FileField(_l("Berkas (PDF, JPG atau PNG)"))


class AppealForm(FlaskForm):
    text = TextAreaField(_l("Sanggahan Anda"), validators=[DataRequired(), Length(max=4000)])


class CheckForm(FlaskForm):
    checklist = MultiCheckboxField(_l("Daftar periksa"), validate_choice=False)
    verdict = SelectField(_l("Hasil pemeriksaan"), choices=[("accepted", _l("Diterima")), ("rejected", _l("Ditolak"))])
    reason = TextAreaField(_l("Alasan (wajib jika ditolak)"), validators=[Length(max=2000)])


class AppealDecisionForm(FlaskForm):
    outcome = SelectField(_l("Keputusan"), choices=[("rejected", _l("Ditolak")), ("upheld", _l("Diterima"))])
    reason = TextAreaField(_l("Alasan (wajib)"), validators=[DataRequired(), Length(max=4000)])


class FieldScoreForm(FlaskForm):
    component = SelectField(_l("Komponen"), validate_choice=False)
    score = LocaleFloatField(_l("Nilai"), validators=[InputRequired(message=_l("Isi nilainya."))])


def rubric_form(rubric: Rubric, **kwargs) -> FlaskForm:
    """A form with one level (1-5, described in words) per aspect of ``rubric``, prefixed by its key."""
    fields = {
        aspect.key: SelectField(
            aspect.label,
            coerce=int,
            choices=[(n, f"{n} - {text}") for n, text in enumerate(aspect.levels, start=1)],
            validators=[InputRequired()],
        )
        for aspect in rubric.aspects
    }
    return type("RubricForm", (FlaskForm,), fields)(prefix=rubric.key, **kwargs)


class ConflictForm(FlaskForm):
    nik = StringField(_l("NIK orang tersebut"), validators=[DataRequired(), Length(min=16, max=16)])
    relationship_text = StringField(
        _l("Hubungan (mis. saudara kandung, ipar, bimbingan skripsi)"), validators=[DataRequired(), Length(max=200)]
    )


class AnnouncementForm(FlaskForm):
    stage = SelectField(_l("Tahap"), validate_choice=False)
    title = StringField(_l("Judul pengumuman"), validators=[DataRequired(), Length(max=200)])
    replaces = SelectField(_l("Mengoreksi pengumuman"), coerce=int, validate_choice=False)
    correction_reason = TextAreaField(_l("Alasan koreksi"), validators=[Length(max=2000)])
    understood = understood_field(
        _l(
            "Saya mengerti: pengumuman ini langsung terbuka untuk umum, ditandatangani, dan tidak dapat diubah "
            "atau ditarik; kesalahan hanya dapat diperbaiki dengan pengumuman koreksi."
        )
    )
