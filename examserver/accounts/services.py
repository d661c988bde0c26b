"""Operations on accounts and login sessions. They add and flush; the caller commits."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from examserver.accounts.identity import is_email, nik_problem, normalise_phone
from examserver.accounts.models import LoginSession, User
from examserver.accounts.passwords import hash_password, needs_rehash, verify_password
from examserver.accounts.roles import ROLES
from itembank.database import utcnow
from itembank.refusal import Refusal

MIN_PASSWORD_LENGTH = 8


def normalise_email(email: str) -> str:
    """Trim and lower-case an email address, the form in which accounts are stored."""
    return (email or "").strip().lower()


def checked_email(email: str) -> str:
    """``email`` as accounts store it (:func:`normalise_email`); a Refusal if it is not an address."""
    email = normalise_email(email)
    if not is_email(email):
        raise Refusal("account.invalid_email")
    return email


def token_digest(token: str) -> str:
    """SHA-256 hex digest of a session token, as stored in the database."""
    return hashlib.sha256(token.encode()).hexdigest()


def full_names(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """The full name of each of ``user_ids`` (repeats allowed), for pages that show who did what."""
    ids = set(user_ids)
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).tuples().all())


def create_user(session: Session, *, email: str, full_name: str, role: str, password: str, locale: str = "id") -> User:
    """Create an account; raises Refusal for a duplicate email, bad role or weak password."""
    email = checked_email(email)
    if role not in ROLES:
        raise Refusal("account.unknown_role")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refusal("account.password_too_short")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Refusal("account.email_taken")
    user = User(
        email=email,
        full_name=full_name.strip(),
        role=role,
        password_hash=hash_password(password),
        locale=locale,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str, *, registration_numbers: bool = False) -> User | None:
    """Return the active user whose credentials match, or None. Rehashes outdated hashes.

    With ``registration_numbers`` (a test site: docs/operations/test-sites.md), ``email`` may also be
    a registration number from the exam card, naming that session's candidate."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None and registration_numbers and "@" not in email:
        from examserver.delivery.models import ExamSession  # accounts sits below delivery

        user = session.scalar(
            select(User)
            .join(ExamSession, ExamSession.candidate_id == User.id)
            .where(ExamSession.registration_number == email.strip().upper())
        )
    # Verify before looking at ``user``: an unknown email costs the same time as a wrong password.
    verified = verify_password(user.password_hash if user else None, password)
    if user is None or not verified:
        return None
    if user.is_disabled:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def set_password(user: User, password: str) -> None:
    """Replace the user's password (the caller revokes sessions where appropriate)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refusal("account.password_too_short")
    user.password_hash = hash_password(password)


@dataclass(frozen=True)
class NewLoginSession:
    """A login session just started: the row and the token to put in the cookie."""

    row: LoginSession
    token: str


def start_login_session(
    session: Session, user: User, *, ip_address: str | None, user_agent: str | None
) -> NewLoginSession:
    """Start a new server-side session with a fresh random id for ``user``."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = LoginSession(
        token_hash=token_digest(token),
        user=user,
        created_at=now,
        last_seen_at=now,
        ip_address=(ip_address or "")[:45] or None,
        user_agent=(user_agent or "")[:300] or None,
    )
    user.last_login_at = now
    session.add(row)
    session.flush()
    return NewLoginSession(row=row, token=token)


def session_is_live(
    created_at: datetime, last_seen_at: datetime, *, now: datetime, idle: timedelta, absolute: timedelta
) -> bool:
    """The one rule of a sign-in's life: not idle for longer than ``idle``, not older than ``absolute``
    (a revoked session, or one of a disabled account, is not live either: the caller checks those)."""
    return now - last_seen_at <= idle and now - created_at <= absolute


def revoke_session(row: LoginSession) -> None:
    """Sign one browser out."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()


def revoke_all_sessions(session: Session, user: User) -> int:
    """Sign ``user`` out everywhere; returns how many sessions were still open."""
    # An UPDATE answers with a CursorResult (which has rowcount); Session.execute is typed as plain Result.
    result = cast(
        "CursorResult[Any]",
        session.execute(
            update(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session="fetch")
        ),
    )
    return result.rowcount or 0


def set_disabled(session: Session, user: User, disabled: bool) -> None:
    """Disable or re-enable an account; disabling ends its open sessions."""
    user.is_disabled = disabled
    if disabled:
        revoke_all_sessions(session, user)
    session.flush()


class AlreadyRegistered(Refusal):
    """Self-registration with a NIK or email that already has an account. The visitor gets the
    same answer as for a new account (nobody learns who is registered); ``owners`` are told."""

    def __init__(self, owners: list[User]):
        super().__init__("account.already_registered")
        self.owners = owners


def register_candidate(session: Session, *, email: str, full_name: str, nik: str, phone: str, password: str) -> User:
    """Self-registration of a candidate: one account per NIK and per email.

    Every check of the input itself comes before the look-up of existing accounts, and a taken NIK
    or email costs the same password hash as a new account, so neither the answer nor its timing
    tells an anonymous visitor whether someone is registered (AlreadyRegistered carries the owners)."""
    nik = (nik or "").strip()
    problem = nik_problem(nik)
    if problem:
        raise Refusal(f"account.{problem}")
    phone_number = normalise_phone(phone)
    if phone_number is None:
        raise Refusal("account.phone_format")
    if not (full_name or "").strip():
        raise Refusal("account.name_missing")
    email = checked_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refusal("account.password_too_short")
    owners = session.scalars(select(User).where((User.nik == nik) | (User.email == email))).all()
    if owners:
        hash_password(password)  # the work a new account costs
        raise AlreadyRegistered(list(owners))
    user = create_user(session, email=email, full_name=full_name, role="candidate", password=password)
    user.nik = nik
    user.phone = phone_number
    session.flush()
    return user
