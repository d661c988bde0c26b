"""Forms of the proctor console."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from examserver.fields import UNDERSTOOD, LocaleIntegerField, understood_field
from examserver.proctor.messages import MESSAGES, reason_category_label
from examserver.wtforms_i18n import FlaskForm
from proctoring.services import REASON_CATEGORIES


def category_choices():
    codes = (f"{top}.{sub}" for top, subs in REASON_CATEGORIES.items() for sub in subs)
    return [(code, reason_category_label(code)) for code in codes]


def required_category_choices():
    """The categories after an empty first choice, so a decision's category is chosen, never defaulted."""
    return [("", _l("(pilih kategori)")), *category_choices()]


class ActionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    # Chosen, never defaulted (the first category used to be logged unseen); its own id and label,
    # as the timeline shows this form beside the decision form and its category.
    category = SelectField(
        _l("Kategori alasan tindakan"),
        choices=required_category_choices,
        validators=[DataRequired(message=_l("Pilih kategori alasan."))],
        id="action-category",
    )
    comment = TextAreaField(_l("Keterangan"), validators=[Length(max=1000)])
    seconds = LocaleIntegerField(_l("Tambahan waktu (detik)"), validators=[Optional(), NumberRange(1, 7200)])
    message = StringField(_l("Pesan untuk peserta"), validators=[Length(max=300)])


#: The service's refusal of a short reason, beside the field.
REASON_REQUIRED = MESSAGES["proctoring.reason_required"]


class DecisionForm(FlaskForm):
    # Chosen, never defaulted: the first choice used to be "clear", recorded unseen.
    decision = SelectField(
        _l("Keputusan"),
        choices=[
            ("", _l("(pilih keputusan)")),
            ("cleared", _l("Bersih (tidak ada pelanggaran)")),
            ("warning", _l("Peringatan")),
            ("invalidated", _l("Dibatalkan (perlu konfirmasi orang kedua)")),
        ],
        validators=[DataRequired(message=_l("Pilih keputusan."))],
    )
    category = SelectField(
        _l("Kategori alasan"),
        choices=required_category_choices,
        validators=[DataRequired(message=_l("Pilih kategori alasan."))],
    )
    # The service's own check (at least 10 characters once trimmed), made here so it shows with the others.
    reason = TextAreaField(
        _l("Alasan (wajib, minimal 10 karakter)"),
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
        validators=[
            DataRequired(message=REASON_REQUIRED),
            Length(min=10, message=REASON_REQUIRED),
            Length(max=4000),
        ],
    )
    understood = BooleanField(
        _l(
            "Untuk pembatalan: saya mengerti bahwa setelah dikonfirmasi orang kedua, hasil ujian ini batal, "
            "tidak ikut peringkat, dan sertifikatnya dinyatakan tidak berlaku."
        )
    )

    def validate_understood(self, field) -> None:
        # Asked only of an invalidation: clearing or warning changes no result.
        if self.decision.data == "invalidated" and not field.data:
            raise ValidationError(str(UNDERSTOOD))


class ConfirmInvalidationForm(FlaskForm):
    """The second person's confirmation of an invalidation, which is when the result falls."""

    understood = understood_field(
        _l(
            "Saya mengerti: hasil ujian ini langsung batal, tidak ikut peringkat, dan sertifikatnya dinyatakan "
            "tidak berlaku; hanya sanggahan yang diterima dapat memulihkannya."
        )
    )


class AppealOutcomeForm(FlaskForm):
    outcome = SelectField(_l("Hasil"), choices=[("rejected", _l("Ditolak")), ("upheld", _l("Diterima"))])
    reason = TextAreaField(_l("Alasan (wajib)"), validators=[DataRequired(), Length(max=4000)])
