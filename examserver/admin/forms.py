"""Forms for managing accounts."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from examserver.fields import email_address, understood_field
from examserver.labels import choices
from examserver.wtforms_i18n import FlaskForm


class UserCreateForm(FlaskForm):
    # Checked as accounts.services.create_user does (wtforms' Email() needs a package we do not install).
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254), email_address])
    full_name = StringField(_l("Nama lengkap"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Peran"), choices=choices("role"))
    password = PasswordField(
        _l("Kata sandi awal"),
        validators=[DataRequired(), Length(min=8, max=200, message=_l("Kata sandi minimal 8 karakter."))],
    )


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Cari nama atau email"), validators=[Length(max=100)])
    # "" (every role) when the address names none: the list's first load is a valid, empty filter.
    role = SelectField(_l("Peran"), choices=[("", _l("Semua peran")), *choices("role")], default="")


class DisableForm(FlaskForm):
    """Disabling an account, once the administrator has ticked that they understand what it does."""

    understood = understood_field(
        _l(
            "Saya mengerti: pemilik akun ini tidak dapat masuk lagi dan semua sesi masuknya langsung diakhiri, "
            "juga di tengah ujian, sampai akun diaktifkan kembali."
        )
    )


class SignOutForm(FlaskForm):
    """Ending every session of an account, once the administrator has ticked that they understand
    what it does (a candidate in the middle of an exam is signed out of it too)."""

    understood = understood_field(
        _l(
            "Saya mengerti: semua sesi masuk akun ini langsung diakhiri di setiap perangkat, juga di tengah "
            "ujian; pemiliknya harus masuk lagi untuk melanjutkan."
        )
    )
