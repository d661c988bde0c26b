"""Forms for signing in and managing one's own account."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from examserver.accounts.identity import nik_problem, normalise_phone
from examserver.accounts.services import MIN_PASSWORD_LENGTH
from examserver.errors import refusal_message
from examserver.fields import email_address
from examserver.wtforms_i18n import FlaskForm


def new_password_field(label):
    """A field for choosing a password, held to the accounts service's minimum length."""
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("Kata sandi minimal 8 karakter.")),
        ],
    )


def repeat_password_field(label, of, message):
    """A field that must repeat the password typed in the field named ``of``."""
    return PasswordField(label, validators=[DataRequired(), EqualTo(of, message=message)])


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Email wajib diisi.")), Length(max=254)])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(_l("Kata sandi wajib diisi."))])
    next = HiddenField()


class LanguageForm(FlaskForm):
    lang = SelectField(_l("Bahasa"), choices=[("id", "Bahasa Indonesia"), ("en", "English")])
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change state."""


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Kata sandi sekarang"), validators=[DataRequired()])
    new = new_password_field(_l("Kata sandi baru"))
    confirm = repeat_password_field(_l("Ulangi kata sandi baru"), "new", _l("Kedua kata sandi baru tidak sama."))


class RegisterForm(FlaskForm):
    """Every check the registration service makes of the input is made here too, field by field, so
    one submit shows every mistake beside its field (the service still refuses on its own)."""

    full_name = StringField(_l("Nama lengkap (sesuai KTP)"), validators=[DataRequired(), Length(max=200)])
    # A phone shows its number keyboard for the NIK and its phone keyboard for the number.
    nik = StringField(_l("NIK (16 angka)"), validators=[DataRequired()], render_kw={"inputmode": "numeric"})
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254), email_address])
    phone = TelField(_l("Nomor ponsel"), validators=[DataRequired(), Length(max=20)])
    password = new_password_field(_l("Kata sandi"))
    confirm = repeat_password_field(_l("Ulangi kata sandi"), "password", _l("Kata sandi tidak sama."))

    def validate_nik(self, field) -> None:
        problem = nik_problem((field.data or "").strip())
        if problem:
            raise ValidationError(refusal_message(f"account.{problem}"))

    def validate_phone(self, field) -> None:
        if normalise_phone(field.data) is None:
            raise ValidationError(refusal_message("account.phone_format"))


class ResetForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    code = StringField(_l("Kode pemulihan dari panitia"), validators=[DataRequired(), Length(max=20)])
    new = new_password_field(_l("Kata sandi baru"))
    confirm = repeat_password_field(_l("Ulangi kata sandi baru"), "new", _l("Kata sandi tidak sama."))
