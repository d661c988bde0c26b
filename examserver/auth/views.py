"""Sign-in pages and the user's own account."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.widgets import TextInput

from examserver import access
from examserver.accounts import recovery, services
from examserver.accounts.models import LoginSession
from examserver.accounts.roles import ROLE_HOME
from examserver.auth import bp
from examserver.auth.devices import describe_device
from examserver.auth.forms import (
    ConfirmForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    RegisterForm,
    ResetForm,
)
from examserver.auth.login import current_login_session, sign_in, sign_out
from examserver.errors import flash_refusal, refusal_message
from examserver.extensions import db, limiter
from examserver.formdata import field_values
from examserver.outcome import committed
from examserver.wib import format_moment
from itembank.refusal import Refusal


def safe_next(target: str | None) -> str | None:
    """Only a local path is an acceptable place to go after signing in (no open redirect)."""
    if not target:
        return None
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in target):
        return None  # CR/LF and other control characters would break the Location header
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def home_url(user) -> str:
    """The home page of the user's role."""
    return url_for(ROLE_HOME[user.role])


def _login_key() -> str:
    return "login-account:" + services.normalise_email(request.form.get("email", ""))


def _login_failed(response) -> bool:
    return bool(g.get("login_failed"))


def _account_limit() -> str:
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def _ip_limit() -> str:
    return current_app.config["LOGIN_FAILURE_LIMIT_PER_IP"]


@bp.route("/masuk", methods=["GET", "POST"])
@access.public
@limiter.limit(_account_limit, key_func=_login_key, methods=["POST"], deduct_when=_login_failed)
@limiter.limit(_ip_limit, methods=["POST"], deduct_when=_login_failed, scope="login-ip")
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = LoginForm()
    at_site = current_app.config["EXAMSERVER_ROLE"] == "site"
    if at_site:  # a test site: candidates sign in with the exam card's number and PIN
        form.email.label.text = _("Nomor peserta atau email")
        form.email.widget = TextInput()  # a registration number is no e-mail address
        form.password.label.text = _("PIN")
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data, form.password.data, registration_numbers=at_site)
        if user is not None:
            sign_in(user)
            current_app.logger.info("login", extra={"user_id": user.id})
            _tell_about_recovery_codes(user)
            response = redirect(safe_next(form.next.data) or home_url(user))
            return forget_this_browser(response, keep_storage=has_running_exam(user))
        g.login_failed = True
        db.session.rollback()
        current_app.logger.info("login failed")
        form.password.errors.append(_("Email atau kata sandi salah."))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, at_site=at_site), status


def _tell_about_recovery_codes(user) -> None:
    """Tell the account holder, once, of every recovery code the committee issued for the account."""
    moments = recovery.unseen_notices(db.session, user)
    for moment in moments:
        flash(
            _(
                "Kode pemulihan akun Anda diterbitkan oleh panitia pada %(when)s. Jika Anda tidak "
                "memintanya, segera hubungi panitia seleksi.",
                when=format_moment(moment),
            ),
            "error",
        )
    if moments:
        db.session.commit()


@bp.route("/keluar", methods=["POST"])
@access.signed_in
def logout():
    """Sign this browser out."""
    if ConfirmForm().validate_on_submit():
        return _signed_out(_("Anda telah keluar."))
    return redirect(url_for("auth.login"))


def _signed_out(message: str):
    """Sign this browser out and go to the sign-in page with ``message``."""
    keep_storage = has_running_exam(current_user)
    sign_out()
    flash(message, "info")
    return forget_this_browser(redirect(url_for("auth.login")), keep_storage=keep_storage)


def has_running_exam(user) -> bool:
    """Whether ``user`` is a candidate with an exam in progress (whose unsent answers wait in the browser)."""
    from examserver.delivery.models import ExamSession

    if user.role != "candidate":
        return False
    running = select(ExamSession.id).where(ExamSession.candidate_id == user.id, ExamSession.status == "in_progress")
    return db.session.scalar(running.limit(1)) is not None


def forget_this_browser(response, *, keep_storage: bool):
    """Ask the browser to drop what it keeps for this site: on a test site's shared computer the next
    person must not find the last candidate's items in the service worker's cache. During an exam the
    storage stays, since it holds answers not yet acknowledged by the server."""
    response.headers["Clear-Site-Data"] = '"cache"' if keep_storage else '"cache", "storage"'
    return response


@bp.route("/akun")
@access.signed_in
def account():
    """The user's own account: open sessions and password."""
    return account_page(PasswordChangeForm(formdata=None))


def account_page(password_form: PasswordChangeForm, status: int = 200):
    """The account page, its password form blank or as posted with its mistakes (never the passwords typed)."""
    rows = db.session.scalars(
        select(LoginSession)
        .where(LoginSession.user_id == current_user.id, LoginSession.revoked_at.is_(None))
        .order_by(LoginSession.last_seen_at.desc())
    ).all()
    this = current_login_session()
    page = render_template(
        "auth/account.html",
        sessions=rows,
        this_session_id=this.id if this else None,
        confirm=ConfirmForm(),
        password_form=password_form,
        describe_device=describe_device,
    )
    return page, status


@bp.route("/akun/keluar-semua", methods=["POST"])
@access.signed_in
def logout_everywhere():
    """Sign out on every device, this one included."""
    if ConfirmForm().validate_on_submit():
        count = services.revoke_all_sessions(db.session, current_user)
        db.session.commit()
        return _signed_out(_("Anda telah keluar dari %(count)d perangkat.", count=count))
    return redirect(url_for("auth.login"))


@bp.route("/akun/kata-sandi", methods=["POST"])
@access.signed_in
def change_password():
    """Change one's own password; other devices are signed out. A mistake shows the account page
    again with every error beside its field (the passwords typed are never sent back)."""
    form = PasswordChangeForm()
    user = current_user._get_current_object()
    valid = form.validate_on_submit()
    # The current password is checked with the rest, so its mistake shows with theirs.
    if form.current.data and not services.authenticate(db.session, user.email, form.current.data):
        form.current.errors.append(_("Kata sandi sekarang salah."))
        valid = False
    if not valid:
        return account_page(form, 422)
    with flash_refusal(form.new):
        services.set_password(user, form.new.data)
        this = current_login_session()
        for row in user.login_sessions:
            if this is None or row.id != this.id:
                services.revoke_session(row)
        return committed(_("Kata sandi telah diganti. Perangkat lain telah dikeluarkan."), url_for("auth.account"))
    return account_page(form, 422)


@bp.route("/bahasa", methods=["POST"])
@access.public
def set_language():
    """Switch the interface language."""
    form = LanguageForm()
    target = safe_next(form.next.data) or url_for("main.index")
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            current_user.locale = form.lang.data
            db.session.commit()
    return redirect(target)


def _registration_limit() -> str:
    return current_app.config["REGISTRATION_LIMIT"]


@bp.route("/daftar", methods=["GET", "POST"])
@access.public
@limiter.limit(_registration_limit, methods=["POST"])
def register():
    """Self-registration for candidates (NIK, email, phone)."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_candidate(
                db.session, **field_values(form, "email", "full_name", "nik", "phone", "password")
            )
        except services.AlreadyRegistered as taken:
            db.session.rollback()
            _tell_owners_of_registration_attempt(taken.owners)
        except Refusal as error:
            db.session.rollback()
            message = refusal_message(error.code)
            field = _registration_field(error.code)
            if field:
                form[field].errors.append(message)
            else:
                flash(message, "error")
            return render_template("auth/register.html", form=form), 422
        else:
            db.session.commit()
            current_app.logger.info("registered", extra={"user_id": user.id})
        # One answer whether the NIK and email were new or already had an account.
        flash(
            _(
                "Pendaftaran diterima. Periksa email/ponsel Anda untuk melanjutkan: jika NIK dan email ini "
                "belum terdaftar, akun Anda sudah dibuat dan Anda dapat masuk dengan kata sandi yang Anda pilih."
            ),
            "success",
        )
        return redirect(url_for("auth.login")), 303
    return render_template("auth/register.html", form=form), (422 if request.method == "POST" else 200)


#: The registration form's field a refusal of the accounts service is about (the NIK's: by prefix).
REGISTRATION_FIELDS = {
    "account.phone_format": "phone",
    "account.invalid_email": "email",
    "account.name_missing": "full_name",
    "account.password_too_short": "password",
}


def _registration_field(code: str) -> str | None:
    """Where the registration page shows a refusal: beside its field, or (None) as a flash."""
    return "nik" if code.startswith("account.nik") else REGISTRATION_FIELDS.get(code)


def _tell_owners_of_registration_attempt(owners) -> None:
    """Tell the holders of a NIK or email that someone tried to register with it. The platform has
    no outbound mail or SMS yet: the notice is logged (with the owner's email and phone) for the
    operators' notification relay to deliver."""
    for owner in owners:
        current_app.logger.warning(
            "registration attempted for an existing account",
            extra={"notice_to_user_id": owner.id, "notice_email": owner.email, "notice_phone": owner.phone},
        )


@bp.route("/lupa-sandi", methods=["GET", "POST"])
@access.public
@limiter.limit(_account_limit, key_func=_login_key, methods=["POST"], deduct_when=_login_failed)
def reset_password():
    """Choose a new password with the recovery code the committee gave you."""
    form = ResetForm()
    if form.validate_on_submit():
        g.login_failed = True  # until the reset goes through: a refused code counts against the limit
        with flash_refusal():
            recovery.reset_password(db.session, email=form.email.data, code=form.code.data, new_password=form.new.data)
            g.login_failed = False
            return committed(_("Kata sandi baru disimpan. Silakan masuk."), url_for("auth.login"))
    return render_template("auth/reset.html", form=form), (422 if request.method == "POST" else 200)
