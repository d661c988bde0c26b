"""Forms for signing in and managing one's own account."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from examserver.accounts.services import MIN_PASSWORD_LENGTH


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
    full_name = StringField(_l("Nama lengkap (sesuai KTP)"), validators=[DataRequired(), Length(max=200)])
    nik = StringField(
        _l("NIK (16 angka)"),
        validators=[DataRequired(), Length(min=16, max=16, message=_l("NIK harus 16 angka."))],
    )
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    phone = StringField(_l("Nomor ponsel"), validators=[DataRequired(), Length(max=20)])
    password = new_password_field(_l("Kata sandi"))
    confirm = repeat_password_field(_l("Ulangi kata sandi"), "password", _l("Kata sandi tidak sama."))


class ResetForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    code = StringField(_l("Kode pemulihan dari panitia"), validators=[DataRequired(), Length(max=20)])
    new = new_password_field(_l("Kata sandi baru"))
    confirm = repeat_password_field(_l("Ulangi kata sandi baru"), "new", _l("Kata sandi tidak sama."))
