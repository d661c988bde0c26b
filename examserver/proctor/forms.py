"""Forms of the proctor console."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from examserver.fields import UNDERSTOOD, LocaleIntegerField, understood_field
from examserver.proctor.actions import ACTIONS, MAX_EXTENSION, MAX_MESSAGE
from examserver.proctor.messages import MESSAGES, reason_category_label
from examserver.wtforms_i18n import FlaskForm
from proctoring.services import MIN_REASON, REASON_CATEGORIES


def category_choices():
    codes = (f"{top}.{sub}" for top, subs in REASON_CATEGORIES.items() for sub in subs)
    return [(code, reason_category_label(code)) for code in codes]


def required_category_choices():
    """The categories after an empty first choice, so a decision's category is chosen, never defaulted."""
    return [("", _l("(pilih kategori)")), *category_choices()]


#: The service's refusal of a short reason, beside the field.
REASON_REQUIRED = MESSAGES["proctoring.reason_required"]


def trimmed(text):
    return text.strip() if isinstance(text, str) else text


def reason_field(**options) -> TextAreaField:
    """A decision's or an appeal outcome's reason, with the service's own check (at least
    :data:`~proctoring.services.MIN_REASON` characters once trimmed) made here, so it shows beside
    the field with the others. ``options``: the field's own, e.g. an ``id``."""
    return TextAreaField(
        _l("Alasan (wajib, minimal 10 karakter)"),
        filters=[trimmed],
        validators=[
            DataRequired(message=REASON_REQUIRED),
            Length(min=MIN_REASON, message=REASON_REQUIRED),
            Length(max=4000),
        ],
        **options,
    )


class ActionForm(FlaskForm):
    """One form, one button per action; the checks the actions make of what was typed are made here
    too (the seconds of an extension, the text of a message, a terminated exam's reason and box), so
    a mistake shows beside its field with the others. Its fields have ids of their own, as the
    timeline shows this form beside the decision form."""

    action = HiddenField(
        validators=[DataRequired(), AnyOf(list(ACTIONS), message=MESSAGES["proctoring.action_unknown"])]
    )
    # Chosen, never defaulted (the first category used to be logged unseen).
    category = SelectField(
        _l("Kategori alasan tindakan"),
        choices=required_category_choices,
        validators=[DataRequired(message=_l("Pilih kategori alasan."))],
        id="action-category",
    )
    comment = TextAreaField(
        _l("Keterangan (untuk menghentikan ujian: wajib, minimal 10 karakter)"),
        filters=[trimmed],
        validators=[Length(max=1000)],
        id="action-comment",
    )
    message = StringField(
        _l("Pesan untuk peserta"), filters=[trimmed], validators=[Length(max=MAX_MESSAGE)], id="action-message"
    )
    seconds = LocaleIntegerField(_l("Tambahan waktu (detik)"), id="action-seconds")
    understood = BooleanField(
        _l(
            "Untuk menghentikan ujian: saya mengerti bahwa ujian peserta langsung berakhir dan tidak dapat "
            "dilanjutkan, dan hanya jawaban yang sudah tersimpan yang dinilai."
        ),
        id="action-understood",
    )

    def validate_seconds(self, field) -> None:
        # (What could not be read as a whole number was said already, and stopped the checks.)
        wanted = self.action.data == "extend" or field.data is not None
        if wanted and not (field.data is not None and 1 <= field.data <= MAX_EXTENSION):
            raise ValidationError(str(MESSAGES["proctoring.extension_invalid"]))

    def validate_message(self, field) -> None:
        if self.action.data == "message" and not field.data:
            raise ValidationError(str(MESSAGES["proctoring.message_invalid"]))

    def validate_comment(self, field) -> None:
        # Ending an exam takes a reason, as the service wants it (at least 10 characters).
        if self.action.data == "terminate" and len(field.data or "") < MIN_REASON:
            raise ValidationError(str(REASON_REQUIRED))

    def validate_understood(self, field) -> None:
        # Asked only when ending the exam: the other actions can be undone or change no result.
        if self.action.data == "terminate" and not field.data:
            raise ValidationError(str(UNDERSTOOD))


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
    reason = reason_field()
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
        ),
        id="confirm-understood",  # the decision form beside it has its own box
    )


class AppealOutcomeForm(FlaskForm):
    # Chosen, never defaulted (it defaulted to rejected); its own ids beside the decision form's.
    outcome = SelectField(
        _l("Hasil"),
        choices=[("", _l("(pilih hasil)")), ("rejected", _l("Ditolak")), ("upheld", _l("Diterima"))],
        validators=[DataRequired(message=_l("Pilih hasil sanggahan."))],
        id="appeal-outcome",
    )
    reason = reason_field(id="appeal-reason")
    # The outcome is final and, when upheld, gives the result back everywhere it is shown.
    understood = understood_field(
        _l(
            "Saya mengerti: putusan sanggahan ini final; bila sanggahan diterima, pembatalan hasil dicabut "
            "dan hasil peserta kembali berlaku di peringkat, pengumuman, dan sertifikat."
        ),
        id="appeal-understood",
    )
