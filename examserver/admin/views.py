"""Account administration."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from examserver import access
from examserver.accounts import services
from examserver.accounts.models import LoginSession, User
from examserver.accounts.roles import ADMIN, ROLES
from examserver.admin import bp
from examserver.admin.forms import UserCreateForm, UserFilterForm
from examserver.auth.forms import ConfirmForm
from examserver.errors import back_on_refusal, flash_refusal
from examserver.extensions import db
from examserver.formdata import field_values
from examserver.outcome import committed
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


@bp.route("/pengguna")
@access.roles(ADMIN)
def users():
    """List and search accounts."""
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
        create_form=UserCreateForm(),
        confirm=ConfirmForm(),
    )


@bp.route("/pengguna", methods=["POST"])
@access.roles(ADMIN)
def create_user():
    """Create an account with a role."""
    form = UserCreateForm()
    if form.validate_on_submit():
        with flash_refusal():
            user = services.create_user(db.session, **field_values(form, "email", "full_name", "role", "password"))
            return committed(_("Akun %(email)s dibuat.", email=user.email), url_for("admin.users"))
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")
    return redirect(url_for("admin.users")), 303


def _account_action(user_id: int, act: Callable[[User], str]):
    """A confirmed action on one account from the users page: ``act`` changes it and says what it did;
    committed, flashed, and back to the list (a refusal goes back the same way, unchanged)."""
    user = db.get_or_404(User, user_id)
    back = back_on_refusal(url_for("admin.users"))
    if ConfirmForm().validate_on_submit():
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


@bp.route("/pengguna/<int:user_id>/nonaktifkan", methods=["POST"])
@access.roles(ADMIN)
def disable_user(user_id: int):
    """Disable an account and end all its sessions (never one's own)."""
    return _account_action(user_id, _disable)


@bp.route("/pengguna/<int:user_id>/aktifkan", methods=["POST"])
@access.roles(ADMIN)
def enable_user(user_id: int):
    """Re-enable a disabled account."""
    return _account_action(user_id, _enable)


@bp.route("/pengguna/<int:user_id>/keluarkan", methods=["POST"])
@access.roles(ADMIN)
def revoke_user_sessions(user_id: int):
    """Sign an account out on every device."""
    return _account_action(user_id, _sign_out_everywhere)
