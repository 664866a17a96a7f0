"""Account tokens: the secrets behind e-mailed links (address verification, password reset)."""
from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

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


__all__ = ["AccountToken", "TokenPurpose"]
