"""Account administration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from examserver import access
from examserver.accounts import services
from examserver.accounts.models import LoginSession, User
from examserver.accounts.roles import ADMIN, ROLES
from examserver.admin import bp
from examserver.admin.forms import DisableForm, SignOutForm, UserCreateForm, UserFilterForm
from examserver.auth.forms import ConfirmForm
from examserver.errors import back_on_refusal, flash_refusal
from examserver.extensions import db
from examserver.formdata import field_values
from examserver.outcome import committed
from examserver.wtforms_i18n import FlaskForm
from itembank.refusal import Refusal

PAGE_SIZE = 50


@bp.route("/")
@access.roles(ADMIN)
def index():
    """Administrator's home: accounts per role and open sessions."""
    counts = dict(db.session.execute(select(User.role, func.count(User.id)).group_by(User.role)).all())
    open_sessions = db.session.scalar(select(func.count(LoginSession.id)).where(LoginSession.revoked_at.is_(None)))
    disabled = db.session.scalar(select(func.count(User.id)).where(User.is_disabled.is_(True)))
    return render_template(
        "admin/index.html", counts=counts, roles=ROLES, open_sessions=open_sessions, disabled=disabled
    )


#: The query arguments of the users list (its filter and page), kept in the address through actions.
LIST_ARGUMENTS = ("q", "role", "halaman")


def list_arguments() -> dict[str, Any]:
    """The users list's filter and page from this request's address, to carry through an action."""
    return {name: request.args[name] for name in LIST_ARGUMENTS if request.args.get(name)}


@bp.route("/pengguna")
@access.roles(ADMIN)
def users():
    """List and search accounts."""
    return _users_page(UserCreateForm(formdata=None))


def _users_page(create_form: UserCreateForm, status: int = 200):
    """The users list under the address's filter, with ``create_form`` (and its errors) below it."""
    form = UserFilterForm(request.args)
    query = select(User).order_by(User.role, User.email)
    if form.validate():
        if form.q.data:
            pattern = f"%{form.q.data.strip().lower()}%"
            query = query.where(or_(User.email.like(pattern), func.lower(User.full_name).like(pattern)))
        if form.role.data:
            query = query.where(User.role == form.role.data)
    page = max(request.args.get("halaman", 1, type=int) or 1, 1)
    rows = db.session.scalars(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "admin/users.html",
        users=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        page=page,
        filter_form=form,
        list_args=list_arguments(),
        create_form=create_form,
        confirm=ConfirmForm(),
    ), status


@bp.route("/pengguna", methods=["POST"])
@access.roles(ADMIN)
def create_user():
    """Create an account with a role; mistakes are shown beside their fields, with what was typed."""
    form = UserCreateForm()
    if form.validate_on_submit():
        with flash_refusal(form.email):
            user = services.create_user(db.session, **field_values(form, "email", "full_name", "role", "password"))
            return committed(_("Akun %(email)s dibuat.", email=user.email), url_for("admin.users", **list_arguments()))
    return _users_page(form, 422)


def _account_action(user_id: int, act: Callable[[User], str], form: FlaskForm | None = None):
    """A confirmed action on one account from the users page: ``act`` changes it and says what it did;
    committed, flashed, and back to the list under the same filter (a refusal goes back the same
    way, unchanged). ``form``: the action's own confirmation form, else the bare CSRF one."""
    user = db.get_or_404(User, user_id)
    back = back_on_refusal(url_for("admin.users", **list_arguments()))
    if (form or ConfirmForm()).validate_on_submit():
        return committed(act(user), back)
    return redirect(back), 303


def _disable(user: User) -> str:
    if user.id == current_user.id:
        raise Refusal("account.disable_self")
    services.set_disabled(db.session, user, True)
    return _("Akun %(email)s dinonaktifkan.", email=user.email)


def _enable(user: User) -> str:
    services.set_disabled(db.session, user, False)
    return _("Akun %(email)s diaktifkan kembali.", email=user.email)


def _sign_out_everywhere(user: User) -> str:
    count = services.revoke_all_sessions(db.session, user)
    return _("%(count)d sesi %(email)s diakhiri.", count=count, email=user.email)


@bp.route("/pengguna/<int:user_id>/nonaktifkan")
@access.roles(ADMIN)
def confirm_disable_user(user_id: int):
    """What disabling an account does, and the box to tick before it is done."""
    return _disable_page(db.get_or_404(User, user_id), DisableForm(formdata=None))


def _disable_page(user: User, form: DisableForm, status: int = 200):
    """The confirmation page of disabling ``user`` (one's own account is refused, back to the list)."""
    back_on_refusal(url_for("admin.users", **list_arguments()))
    if user.id == current_user.id:
        raise Refusal("account.disable_self")
    return _confirm_page(user, form, _("Nonaktifkan akun"), "admin.disable_user", status)


def _confirm_page(user: User, form: FlaskForm, title: str, endpoint: str, status: int):
    """A consequential action's confirmation page: the account, the box naming the consequence,
    the button, and the way back to the list under the same filter."""
    return render_template(
        "admin/confirm.html", user=user, form=form, title=title, endpoint=endpoint, list_args=list_arguments()
    ), status


@bp.route("/pengguna/<int:user_id>/nonaktifkan", methods=["POST"])
@access.roles(ADMIN)
def disable_user(user_id: int):
    """Disable an account and end all its sessions (never one's own), once confirmed."""
    form = DisableForm()
    if not form.validate_on_submit():
        return _disable_page(db.get_or_404(User, user_id), form, 422)
    return _account_action(user_id, _disable, form)


@bp.route("/pengguna/<int:user_id>/aktifkan", methods=["POST"])
@access.roles(ADMIN)
def enable_user(user_id: int):
    """Re-enable a disabled account."""
    return _account_action(user_id, _enable)


@bp.route("/pengguna/<int:user_id>/keluarkan")
@access.roles(ADMIN)
def confirm_revoke_user_sessions(user_id: int):
    """What signing an account out everywhere does, and the box to tick before it is done."""
    return _sign_out_page(db.get_or_404(User, user_id), SignOutForm(formdata=None))


def _sign_out_page(user: User, form: SignOutForm, status: int = 200):
    return _confirm_page(user, form, _("Keluarkan dari semua perangkat"), "admin.revoke_user_sessions", status)


@bp.route("/pengguna/<int:user_id>/keluarkan", methods=["POST"])
@access.roles(ADMIN)
def revoke_user_sessions(user_id: int):
    """Sign an account out on every device, once confirmed."""
    form = SignOutForm()
    if not form.validate_on_submit():
        return _sign_out_page(db.get_or_404(User, user_id), form, 422)
    return _account_action(user_id, _sign_out_everywhere, form)
