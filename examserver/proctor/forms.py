"""Forms of the proctor console."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from proctoring.services import REASON_CATEGORIES

CATEGORY_LABELS = {
    "environment": _l("Lingkungan"), "examinee": _l("Peserta"), "staff": _l("Petugas"),
    "technical": _l("Teknis"), "other": _l("Lainnya"),
}  # fmt: skip
SUBCATEGORY_LABELS = {
    "noise": _l("bising"), "power": _l("listrik padam"), "internet": _l("internet"), "illness": _l("sakit"),
    "misconduct": _l("pelanggaran tata tertib"), "collusion": _l("kerja sama / menyontek"),
    "impersonation": _l("perjokian"), "prohibited_device": _l("perangkat terlarang"), "error": _l("kesalahan"),
    "server": _l("server"), "device": _l("perangkat"), "network": _l("jaringan"), "other": _l("lainnya"),
}  # fmt: skip


def category_choices():
    return [
        (f"{top}.{sub}", f"{CATEGORY_LABELS[top]}: {SUBCATEGORY_LABELS[sub]}")
        for top, subs in REASON_CATEGORIES.items()
        for sub in subs
    ]


class ActionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    category = SelectField(_l("Kategori alasan"), choices=category_choices, validate_choice=True)
    comment = TextAreaField(_l("Keterangan"), validators=[Length(max=1000)])
    seconds = IntegerField(_l("Tambahan waktu (detik)"), validators=[Optional(), NumberRange(1, 7200)])
    message = StringField(_l("Pesan untuk peserta"), validators=[Length(max=300)])


class DecisionForm(FlaskForm):
    decision = SelectField(
        _l("Keputusan"),
        choices=[
            ("cleared", _l("Bersih (tidak ada pelanggaran)")),
            ("warning", _l("Peringatan")),
            ("invalidated", _l("Dibatalkan (perlu konfirmasi orang kedua)")),
        ],
    )
    category = SelectField(_l("Kategori alasan"), choices=category_choices)
    reason = TextAreaField(_l("Alasan (wajib, minimal 10 karakter)"), validators=[DataRequired(), Length(max=4000)])


class AppealOutcomeForm(FlaskForm):
    outcome = SelectField(_l("Hasil"), choices=[("rejected", _l("Ditolak")), ("upheld", _l("Diterima"))])
    reason = TextAreaField(_l("Alasan (wajib)"), validators=[DataRequired(), Length(max=4000)])
