"""Forms of the public complaint and tracking pages and of the inspectorate's case pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from examserver.errors import refusal_message
from examserver.fields import LocaleIntegerField, understood_field
from examserver.labels import LABELS, choices
from examserver.oversight.models import OUTCOMES
from examserver.oversight.services import MIN_DESCRIPTION, EvidenceFile, check_evidence
from examserver.wtforms_i18n import FlaskForm
from itembank.refusal import Refusal

#: Messages of the stock validators in Indonesian (WTForms' own are English only).
REQUIRED = _l("Wajib diisi.")
TOO_LONG = _l("Terlalu panjang: paling banyak %(max)d karakter.")
REASON = Length(min=10, max=4000, message=_l("Tulis antara %(min)d dan %(max)d karakter."))


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=TOO_LONG)


#: Bytes read of each evidence file: one more than the limit, so a larger file is seen as too large.
READ_LIMIT = 2 * 1024 * 1024 + 1


def _optional_id(value) -> int | None:
    """A select of ids with an empty first choice: '' is None."""
    if value in (None, "", "None"):
        return None
    return int(value)


def evidence_files(field) -> list[EvidenceFile]:
    """The files of a multiple file field that were chosen (a form with none sends one empty part)."""
    return [
        EvidenceFile(storage.filename, storage.read(READ_LIMIT))
        for storage in (field.data or [])
        if getattr(storage, "filename", "")
    ]


class ComplaintForm(FlaskForm):
    period = SelectField(
        _l("Periode seleksi"), coerce=int, validators=[InputRequired(message=_l("Pilih periode seleksi."))]
    )
    category = SelectField(
        _l("Jenis dugaan pelanggaran"), choices=choices("complaint_category"), validators=[DataRequired(REQUIRED)]
    )
    subject_kind = SelectField(
        _l("Yang diadukan"), choices=choices("complaint_subject"), validators=[DataRequired(REQUIRED)]
    )
    schedule = SelectField(_l("Jadwal ujian (jika tentang lokasi atau jadwal ujian)"), coerce=_optional_id)
    subject_text = StringField(
        _l("Nama orang atau tempat yang diadukan (jika ada)"), validators=[Optional(), _at_most(200)]
    )
    description = TextAreaField(
        _l("Uraian kejadian: apa, kapan, di mana, siapa"),
        validators=[
            DataRequired(message=_l("Uraikan kejadiannya.")),
            Length(min=MIN_DESCRIPTION, max=8000, message=_l("Uraian antara 30 dan 8000 karakter.")),
        ],
    )
    evidence = MultipleFileField(_l("Berkas bukti (PDF, JPG atau PNG, paling banyak 5 berkas, masing-masing 2 MB)"))
    reporter_name = StringField(_l("Nama Anda (boleh dikosongkan)"), validators=[Optional(), _at_most(200)])
    reporter_contact = StringField(
        _l("Surel atau nomor telepon Anda (boleh dikosongkan)"), validators=[Optional(), _at_most(200)]
    )

    def validate_schedule(self, field) -> None:
        if self.subject_kind.data == "sitting" and field.data is None:
            raise ValidationError(refusal_message("oversight.sitting_required"))

    def validate_evidence(self, field) -> None:
        try:
            check_evidence(evidence_files(field))
        except Refusal as refusal:
            raise ValidationError(refusal_message(refusal.code, **refusal.params)) from None
        finally:
            for storage in field.data or []:
                if hasattr(storage, "stream"):
                    storage.stream.seek(0)


class FollowForm(FlaskForm):
    tracking_code = StringField(_l("Kode pelacakan"), validators=[DataRequired(REQUIRED), _at_most(20)])
    secret = StringField(_l("Kode rahasia"), validators=[DataRequired(REQUIRED), _at_most(100)])


class AssessForm(FlaskForm):
    reason = TextAreaField(_l("Hasil telaah dan alasannya"), validators=[DataRequired(REQUIRED), REASON])
    session_number = StringField(_l("Nomor peserta sesi ujian yang diperiksa (jika ada)"), validators=[_at_most(40)])
    application_number = StringField(
        _l("Nomor pendaftaran lamaran yang diperiksa (jika ada)"), validators=[_at_most(40)]
    )
    staff_email = StringField(_l("Surel panitia atau pengawas yang diadukan (jika ada)"), validators=[_at_most(200)])


class InvestigateForm(FlaskForm):
    reason = TextAreaField(_l("Alasan pemeriksaan"), validators=[DataRequired(REQUIRED), REASON])


class ConcludeForm(FlaskForm):
    outcome = RadioField(
        _l("Kesimpulan"),
        choices=[(key, LABELS["complaint_outcome"][key]) for key in OUTCOMES],
        validators=[InputRequired(message=_l("Pilih kesimpulan."))],
    )
    reason = TextAreaField(_l("Alasan (hanya untuk Inspektorat)"), validators=[DataRequired(REQUIRED), REASON])
    public_conclusion = TextAreaField(
        _l("Kesimpulan untuk pelapor dan publik (tanpa nama)"), validators=[DataRequired(REQUIRED), REASON]
    )
    understood = understood_field(
        _l(
            "Saya mengerti: kasus ini ditutup dan tidak dapat diubah lagi; kesimpulan untuk publik langsung "
            "terbit di halaman lacak pengaduan dan hasilnya masuk statistik pengaduan publik."
        )
    )


class SanctionForm(FlaskForm):
    kind = SelectField(_l("Jenis sanksi"), choices=choices("sanction_kind"), validators=[DataRequired(REQUIRED)])
    person_email = StringField(
        _l("Surel orang yang dikenai sanksi"), validators=[DataRequired(REQUIRED), _at_most(200)]
    )
    period = SelectField(_l("Periode (untuk diskualifikasi)"), coerce=_optional_id)
    periods = LocaleIntegerField(
        _l("Jumlah periode (untuk larangan mendaftar)"),
        validators=[Optional(), NumberRange(min=1, max=10, message=_l("Isi bilangan bulat 1 sampai 10."))],
    )
    until = DateField(_l("Sampai tanggal (untuk pencoretan)"), validators=[Optional()])
    reason = TextAreaField(_l("Alasan sanksi"), validators=[DataRequired(REQUIRED), REASON])


class ConfirmSanctionForm(FlaskForm):
    """The second inspector's confirmation, which is when a sanction starts to act."""

    understood = understood_field(
        _l(
            "Saya mengerti: sanksi ini langsung berlaku bagi orang tersebut dan tercatat permanen di log "
            "integritas; diskualifikasi langsung membatalkan hasil ujiannya pada periode itu."
        )
    )
