"""Forms of the HR pages and of the public feedback and consultation forms."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    FormField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from examserver.fields import CODE, UNDERSTOOD, LocaleFloatField, LocaleIntegerField, RupiahField, understood_field
from examserver.labels import choices
from examserver.wib import MOMENT
from examserver.wtforms_i18n import FlaskForm, SubForm


class ProgrammeForm(FlaskForm):
    code = StringField(_l("Kode program"), validators=[DataRequired(), Length(max=40), CODE])
    name = StringField(_l("Nama program"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Keterangan"), validators=[Length(max=4000)])
    mode = SelectField(_l("Moda"), choices=choices("training_mode"))
    hours = LocaleFloatField(_l("Durasi (jam pelajaran)"), validators=[InputRequired(), NumberRange(min=0.5, max=2000)])
    capacity = LocaleIntegerField(
        _l("Kapasitas per angkatan"), validators=[InputRequired(), NumberRange(min=1, max=10000)]
    )
    cost_per_run = RupiahField(
        _l("Biaya per angkatan (Rp)"), validators=[InputRequired(), NumberRange(min=0)], default=0
    )
    cost_per_participant = RupiahField(
        _l("Biaya per peserta (Rp)"), validators=[InputRequired(), NumberRange(min=0)], default=0
    )
    max_runs = LocaleIntegerField(
        _l("Angkatan paling banyak per tahun (kosong = tanpa batas)"), [Optional(), NumberRange(0, 1000)]
    )
    is_orientation = BooleanField(_l("Program orientasi bagi setiap pegawai baru"))
    is_active = BooleanField(_l("Aktif (dipakai dalam rencana)"), default=True)


class ProfileForm(FlaskForm):
    code = StringField(_l("Kode jabatan"), validators=[DataRequired(), Length(max=40), CODE])
    title = StringField(_l("Nama jabatan"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Keterangan"), validators=[Length(max=4000)])


class AppointForm(FlaskForm):
    period = SelectField(_l("Periode seleksi"), coerce=int, validate_choice=False)
    appointed_on = DateField(_l("Tanggal pengangkatan"), validators=[InputRequired()])


class TrainingPlanForm(FlaskForm):
    title = StringField(_l("Judul rencana"), validators=[DataRequired(), Length(max=200)])
    budget = RupiahField(_l("Anggaran (Rp)"), validators=[InputRequired(), NumberRange(min=0, max=1e13)])
    grouping = SelectField(_l("Pegawai"), choices=choices("employee_grouping"))
    group_value = StringField(_l("Unit, wilayah atau jabatan (bila dipilih)"), validators=[Optional(), Length(max=200)])
    max_programmes = LocaleIntegerField(
        _l("Program paling banyak per pegawai (kosong = tanpa batas)"), [Optional(), NumberRange(1, 20)]
    )
    orientation = BooleanField(_l("Wajibkan orientasi bagi pegawai baru"), default=True)


class EvaluationPeriodForm(FlaskForm):
    code = StringField(_l("Kode periode"), validators=[DataRequired(), Length(max=40), CODE])
    title = StringField(_l("Judul"), validators=[DataRequired(), Length(max=200)])
    starts_on = DateField(_l("Mulai"), validators=[InputRequired()])
    ends_on = DateField(_l("Selesai"), validators=[InputRequired()])
    supervisor_weight = LocaleFloatField(
        _l("Bobot penilaian atasan (0-1; sisanya umpan balik masyarakat)"),
        validators=[InputRequired(), NumberRange(0, 1)],
        default=0.7,
    )
    is_feedback_open = BooleanField(_l("Formulir umpan balik masyarakat dibuka"), default=True)


class TargetForm(SubForm):
    target = StringField(_l("Sasaran kinerja"), validators=[Optional(), Length(max=300)])
    weight = LocaleFloatField(_l("Bobot"), validators=[Optional(), NumberRange(0, 100)], default=1)
    achieved = LocaleFloatField(_l("Capaian (%)"), validators=[Optional(), NumberRange(0, 120)])


class RatingForm(FlaskForm):
    targets = FieldList(FormField(TargetForm), min_entries=3, max_entries=3)
    comment = TextAreaField(_l("Catatan atasan"), validators=[Length(max=4000)])


class FeedbackForm(FlaskForm):
    period = SelectField(_l("Periode"), coerce=int, validate_choice=False)
    unit = SelectField(_l("Unit layanan"), validate_choice=False)
    rating = RadioField(
        _l("Penilaian Anda"),
        choices=[
            ("5", _l("5 - sangat baik")),
            ("4", _l("4 - baik")),
            ("3", _l("3 - cukup")),
            ("2", _l("2 - buruk")),
            ("1", _l("1 - sangat buruk")),
        ],
        validators=[InputRequired(message=_l("Pilih salah satu penilaian."))],
    )
    comment = TextAreaField(_l("Saran atau keluhan (tanpa data pribadi)"), validators=[Length(max=2000)])


class ModerationForm(FlaskForm):
    note = StringField(_l("Catatan moderasi"), validators=[Length(max=500)])
    #: The button pressed: "approve" or "reject".
    decision = StringField(validators=[AnyOf(("approve", "reject"))])
    #: Approving publishes a comment (or counts a rating): a box naming that, per item on the page
    #: (:data:`APPROVAL_CONSEQUENCES`); rejecting needs no box.
    understood = BooleanField()

    def validate_understood(self, field) -> None:
        if self.decision.data == "approve" and not field.data:
            raise ValidationError(UNDERSTOOD)


#: What approving a pending item does, by the kind in the moderation URL, as its box says it.
APPROVAL_CONSEQUENCES = {
    "umpan-balik": _l(
        "Saya mengerti: bila disetujui, penilaian ini langsung dihitung dalam nilai masyarakat unit tersebut."
    ),
    "komentar": _l("Saya mengerti: bila disetujui, komentar ini langsung tampil di halaman publik konsultasi."),
}


class ConsultationForm(FlaskForm):
    period = SelectField(_l("Periode seleksi"), coerce=int, validate_choice=False)
    question = TextAreaField(_l("Pertanyaan kepada publik"), validators=[DataRequired(), Length(max=4000)])
    opens_at = DateTimeLocalField(_l("Dibuka (WIB)"), validators=[InputRequired()], format=MOMENT)
    closes_at = DateTimeLocalField(_l("Ditutup (WIB)"), validators=[InputRequired()], format=MOMENT)


class CommentForm(FlaskForm):
    topic = SelectField(_l("Kriteria yang dikomentari"), choices=choices("consultation_topic"))
    text = TextAreaField(_l("Komentar"), validators=[DataRequired(), Length(min=10, max=2000)])
    author = StringField(_l("Nama atau organisasi (boleh dikosongkan)"), validators=[Length(max=120)])


class SummaryForm(FlaskForm):
    summary = TextAreaField(_l("Ringkasan untuk panitia"), validators=[DataRequired(), Length(max=8000)])
    understood = understood_field(
        _l("Saya mengerti: ringkasan ini langsung tampil di halaman publik konsultasi, bukan hanya bagi panitia.")
    )


class AcceptSuccessProfileForm(FlaskForm):
    """Accepting a success profile: its levels are typed in the page's own inputs, the box is here."""

    understood = understood_field(
        _l(
            "Saya mengerti: profil kompetensi panitia dibuat dari level ini dan langsung dipakai formasi jabatan "
            "ini pada periode seleksi yang pendaftarannya belum dibuka."
        )
    )
