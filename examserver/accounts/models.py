"""Users and their server-side login sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examserver.accounts.roles import ROLES
from itembank.database import Base, UTCDateTime, one_of, utcnow


class User(Base):
    """A person who signs in: a candidate or a member of staff, with exactly one role."""

    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="role_known"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("locale IN ('id', 'en')", name="locale_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Stored lower-case; the sign-in name.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), index=True)
    #: Argon2id encoded hash (parameters and salt included).
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Disabled accounts cannot sign in and lose their open sessions.
    is_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Interface language chosen by the user.
    locale: Mapped[str] = mapped_column(String(5), default="id")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Nomor Induk Kependudukan (16 digits) of a candidate; unique, so one person has one account.
    nik: Mapped[str | None] = mapped_column(String(16), unique=True)
    #: Mobile number in +62 form, for the committee to reach the candidate.
    phone: Mapped[str | None] = mapped_column(String(20))

    login_sessions: Mapped[list[LoginSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    # Flask-Login protocol, written out so the domain rules stay visible.
    @property
    def is_active(self) -> bool:
        return not self.is_disabled

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class PasswordReset(Base):
    """A one-time code, made by the committee for a candidate who lost the password (no email is
    needed: the committee hands the code over by phone or in person). Only its hash is stored.

    Four eyes: one member requests the code with a reason, a second member confirms it; only a
    confirmed code sets a password, and the candidate is told at the next sign-in.
    """

    __tablename__ = "password_reset"
    __table_args__ = (
        CheckConstraint("(confirmed_at IS NULL) = (confirmed_by_id IS NULL)", name="confirmed_with_member"),
        CheckConstraint("confirmed_by_id IS NULL OR confirmed_by_id <> created_by_id", name="confirmed_by_other"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Until confirmed: the end of the wait for a second member; once confirmed: the end of the code's life.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Also set when a newer code replaces this one.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Why the requesting member issues the code (required; shown to the confirming member).
    reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    #: The second committee member, never the requester; the code works only once this is set.
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the candidate was shown, at sign-in, that a code was issued for the account.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])


class LoginSession(Base):
    """One signed-in browser. The cookie carries only the random ``token`` of this row.

    A new row (and so a new session id) is made at every sign-in; signing out, "sign out
    everywhere" and disabling an account set ``revoked_at``.
    """

    __tablename__ = "login_session"
    __table_args__ = (CheckConstraint("last_seen_at >= created_at", name="seen_after_created"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: SHA-256 of the cookie token, so a database reader cannot hijack sessions.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Indexed: the revocation feed of every process reads the rows revoked in the last minutes.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    #: Address and browser at sign-in, for the user's own session list and for proctors.
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship(back_populates="login_sessions")
