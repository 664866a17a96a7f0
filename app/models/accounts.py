"""Account security: e-mailed link secrets, lockout and second factor state, login sessions."""
from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..services.secret_box import EncryptedString
from .base import UTCDateTime, utcnow
from .reference import LABELS, LabelledEnum, db_enum


class TokenPurpose(LabelledEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"


LABELS.update({
    TokenPurpose.VERIFY_EMAIL: _l("E-mail address verification"),
    TokenPurpose.RESET_PASSWORD: _l("Password reset"),
})


class AccountToken(Model):
    """One e-mailed link: single use, expiring; only the SHA-256 of its secret is kept."""

    __tablename__ = "account_token"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_account_token_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("ab_user.id", name="fk_account_token_user", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(db_enum(TokenPurpose, "account_token_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(User)

    def __str__(self) -> str:
        return f"{self.purpose.label} #{self.id}"


class AccountSecurity(Model):
    """Per-account lockout counter and second factor (TOTP) state; a row appears on first need."""

    __tablename__ = "account_security"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("ab_user.id", name="fk_account_security_user", ondelete="CASCADE"), primary_key=True)
    # failed logins since the last success or lock; reaching the threshold locks the account
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # base32 TOTP secret (RFC 6238); set at enrolment, confirmed by a first valid code.
    # Stored encrypted (Fernet, ``services.secret_box``); read and written in clear by the code.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString)
    totp_enabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # the last 30-second time step accepted: a code is never accepted twice
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # API tokens (JWT) carry the version current when they were issued; raising it revokes them all
    # (logout, password change, deactivation, the help desk's "end all sessions").
    api_token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    user: Mapped[User] = relationship(User)


class RecoveryCode(Model):
    """A one-time recovery code for the second factor; only its SHA-256 is kept."""

    __tablename__ = "recovery_code"
    __table_args__ = (UniqueConstraint("user_id", "code_hash", name="uq_recovery_code_user_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("ab_user.id", name="fk_recovery_code_user", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SessionEnd(LabelledEnum):
    LOGOUT = "logout"
    IDLE = "idle"
    EXPIRED = "expired"
    PASSWORD_CHANGED = "password_changed"
    DEACTIVATED = "deactivated"
    ENDED_BY_SUPPORT = "ended_by_support"
    MFA_RESET = "mfa_reset"


LABELS.update({
    SessionEnd.LOGOUT: _l("Logged out"),
    SessionEnd.IDLE: _l("Inactive too long"),
    SessionEnd.EXPIRED: _l("Expired"),
    SessionEnd.PASSWORD_CHANGED: _l("Password changed"),
    SessionEnd.DEACTIVATED: _l("Account deactivated"),
    SessionEnd.ENDED_BY_SUPPORT: _l("Ended by the help desk"),
    SessionEnd.MFA_RESET: _l("Second factor reset"),
})


class UserSession(Model):
    """One login: the browser's session cookie carries a random secret whose SHA-256 is kept here,
    so a session can be ended from the server (logout, password change, help desk, idle time)."""

    __tablename__ = "user_session"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_user_session_token_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("ab_user.id", name="fk_user_session_user", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # when the second factor was passed in this session (staff roles need it before any page)
    mfa_passed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[SessionEnd | None] = mapped_column(db_enum(SessionEnd, "session_end"))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship(User)

    @property
    def open(self) -> bool:
        return self.ended_at is None


__all__ = ["AccountToken", "TokenPurpose", "AccountSecurity", "RecoveryCode", "SessionEnd", "UserSession"]
