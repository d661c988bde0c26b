"""Forms for managing accounts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from examserver.labels import choices


class UserCreateForm(FlaskForm):
    # Checked by accounts.services.create_user (wtforms' Email() needs a package we do not install).
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
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
    role = SelectField(_l("Peran"), choices=[("", _l("Semua peran")), *choices("role")])
