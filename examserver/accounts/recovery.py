"""Password recovery codes under four eyes.

A candidate who lost the password gets a one-time code from the committee instead of an email.
Since such a code hands over the account, no single member can make a working one: a member
requests it with a reason, a second member confirms it, and only then does it set a password.
Both steps, and the use of the code, go on the platform chain of the tamper-evident log, and the
candidate is told at the next sign-in. The caller (a view) refuses members with a declared
relationship to the candidate; these functions add and flush, the caller commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from examserver.accounts.models import PasswordReset, User
from examserver.accounts.passwords import hash_password, verify_password
from examserver.accounts.services import normalise_email, revoke_all_sessions, set_password
from itembank.database import utcnow
from itembank.refusal import Refusal
from proctoring import chain

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
#: How long a request waits for the second member, and how long a confirmed code then works.
CODE_LIFETIME = timedelta(hours=24)
MIN_REASON = 10


def _moment(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def _record(session: Session, record_type: str, reset: PasswordReset, **details) -> None:
    payload = {"type": record_type, "reset_id": reset.id, "candidate_id": reset.user_id, **details}
    chain.append(session, chain.PLATFORM_CHAIN, record_type, reset.id, payload)


def request_code(session: Session, user: User, *, requested_by: int, reason: str, now: datetime | None = None) -> str:
    """Request a code for ``user``; it works only after :func:`confirm_code` by another member.

    Earlier unused codes of the account stop working. Returns the code, to be shown once.
    """
    if user.role != "candidate":
        raise Refusal("account.not_a_candidate")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise Refusal("account.reset_reason_required")
    now = now or utcnow()
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    reset = PasswordReset(
        user_id=user.id,
        code_hash=hash_password(code),
        created_by_id=requested_by,
        created_at=now,
        expires_at=now + CODE_LIFETIME,
        reason=reason,
    )
    session.add(reset)
    session.flush()
    _record(session, "recovery_request", reset, requested_by_id=requested_by, reason=reason, at=_moment(now))
    return f"{code[:5]}-{code[5:]}"


def pending_requests(session: Session, now: datetime | None = None) -> list[PasswordReset]:
    """Requests still waiting for a second member, oldest first."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(PasswordReset)
            .where(
                PasswordReset.confirmed_at.is_(None),
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
            )
            .order_by(PasswordReset.created_at)
        )
    )


def confirm_code(session: Session, reset: PasswordReset, *, confirmed_by: int, now: datetime | None = None) -> None:
    """The second member's confirmation: from now on the code works for :data:`CODE_LIFETIME`."""
    now = now or utcnow()
    if reset.confirmed_at is not None or reset.used_at is not None or reset.expires_at <= now:
        raise Refusal("account.reset_not_pending")
    if reset.created_by_id == confirmed_by:
        raise Refusal("account.reset_self_confirmation")
    reset.confirmed_by_id, reset.confirmed_at = confirmed_by, now
    reset.expires_at = now + CODE_LIFETIME
    session.flush()
    _record(session, "recovery_confirm", reset, confirmed_by_id=confirmed_by, at=_moment(now))


def reset_password(session: Session, *, email: str, code: str, new_password: str, now: datetime | None = None) -> User:
    """Set a new password with a confirmed code; every session of the account ends."""
    now = now or utcnow()
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    cleaned = (code or "").replace("-", "").replace(" ", "").upper()
    live: Sequence[PasswordReset] = []
    if user is not None:
        live = session.scalars(
            select(PasswordReset).where(
                PasswordReset.user_id == user.id,
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
            )
        ).all()
    match = next((row for row in live if verify_password(row.code_hash, cleaned)), None)
    if match is None:
        verify_password(None, cleaned)  # same time whether or not the account exists
        raise Refusal("account.reset_code_invalid")
    if match.confirmed_at is None:
        raise Refusal("account.reset_code_unconfirmed")
    assert user is not None, "codes are only looked up for an existing account"
    set_password(user, new_password)
    match.used_at = now
    revoke_all_sessions(session, user)
    session.flush()
    _record(session, "recovery_use", match, at=_moment(now))
    return user


def unseen_notices(session: Session, user: User, now: datetime | None = None) -> list[datetime]:
    """When confirmed codes were issued for ``user`` that the user has not been told about yet;
    marks them told, so each notice is shown once."""
    rows = session.scalars(
        select(PasswordReset)
        .where(
            PasswordReset.user_id == user.id,
            PasswordReset.confirmed_at.is_not(None),
            PasswordReset.notified_at.is_(None),
        )
        .order_by(PasswordReset.confirmed_at)
    ).all()
    now = now or utcnow()
    for row in rows:
        row.notified_at = now
    session.flush()
    # The filter drops nothing (the query asks for confirmed rows); it tells the checker so.
    return [row.confirmed_at for row in rows if row.confirmed_at is not None]
