"""Second factor for staff: time-based one-time codes (TOTP, RFC 6238) and recovery codes.

Every account holding a staff role (``access.STAFF_ROLES``: Agent, PartnerStaff, Support, Analyst,
Admin) must pass a code after the password before any back-office page (``app.auth`` enforces it
per session). At its first login the account enrols: the page shows a QR code of the secret for an
authenticator app, and the first valid code confirms it and gives ten recovery codes, shown once.

A code is accepted once: the 30-second step of the last accepted code is kept, and a code of the
same or an earlier step is refused (a code seen over someone's shoulder cannot be replayed). A
wrong code counts as a failed login for the lockout. Recovery codes are random, kept as SHA-256,
and each works once. Only an administrator can reset someone's second factor.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pyotp
import segno
from flask import current_app
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..models import AccountSecurity, AuditEvent, RecoveryCode, SessionEnd
from ..models.base import utcnow
from . import login_sessions
from .lockout import security_row

RECOVERY_CODES = 10
# a code of the previous or next 30-second step is accepted too (clocks drift)
VALID_WINDOW = 1
STEP = 30


def required(user: User) -> bool:
    """Whether the account must pass a second factor (it holds a staff role)."""
    return login_sessions.is_staff(user)


def enrolled(session: Session, user: User) -> bool:
    row = session.get(AccountSecurity, user.id)
    return row is not None and row.totp_enabled_at is not None


def pending_secret(session: Session, user: User) -> str:
    """The secret being enrolled: drawn at the first visit of the enrolment page, kept until confirmed."""
    row = security_row(session, user.id)
    if row.totp_enabled_at is not None:
        raise ValueError("the second factor is already enrolled")
    if not row.totp_secret:
        row.totp_secret = pyotp.random_base32()
    return row.totp_secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username,
                                              issuer_name=current_app.config.get("MFA_ISSUER", "Guichet Francisation"))


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an inline SVG element (no script, no external image)."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff",
                                                 title="QR", svgclass="mfa-qr")


def _step_of(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step ``code`` belongs to, within the allowed window, or None."""
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def _clean(code: str | None) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def confirm_enrolment(session: Session, user: User, code: str, now: dt.datetime | None = None) -> list[str] | None:
    """Confirm the pending secret with a first code; returns the recovery codes (shown once), or
    None when the code is wrong."""
    now = now or utcnow()
    row = security_row(session, user.id)
    code = _clean(code)
    if row.totp_enabled_at is not None or not row.totp_secret or not code.isdigit():
        return None
    step = _step_of(row.totp_secret, code, now)
    if step is None:
        return None
    row.totp_enabled_at = now
    row.totp_last_step = step
    session.add(AuditEvent(actor_id=user.id, action="mfa.enrolled", object_type="User", object_id=str(user.id),
                           changes={}, ip=_ip()))
    return new_recovery_codes(session, user, now)


def new_recovery_codes(session: Session, user: User, now: dt.datetime | None = None) -> list[str]:
    """Replace the account's recovery codes by ten new ones; returns them in clear (once)."""
    had_codes = session.scalar(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id).limit(1))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    if had_codes is not None:
        session.add(AuditEvent(actor_id=user.id, action="mfa.recovery_codes_renewed", object_type="User",
                               object_id=str(user.id), changes={}, ip=_ip()))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 10 hex digits, 40 bits
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw), created_at=now or utcnow()))
    session.flush()
    return codes


def verify(session: Session, user: User, code: str, now: dt.datetime | None = None) -> str | None:
    """Check a code typed at login: ``"totp"`` or ``"recovery"`` when accepted, None otherwise.

    A TOTP code is accepted once (its step must be later than the last accepted one, checked and
    moved in one UPDATE); a recovery code is used up.
    """
    now = now or utcnow()
    row = security_row(session, user.id)
    code = _clean(code)
    if row.totp_enabled_at is None or not row.totp_secret or not code:
        return None
    if code.isdigit() and len(code) == 6:
        step = _step_of(row.totp_secret, code, now)
        if step is None:
            return None
        moved = session.execute(
            update(AccountSecurity)
            .where(AccountSecurity.user_id == user.id,
                   (AccountSecurity.totp_last_step.is_(None)) | (AccountSecurity.totp_last_step < step))
            .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount
        session.refresh(row)
        return "totp" if moved == 1 else None
    used = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code), RecoveryCode.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if used != 1:
        return None
    session.add(AuditEvent(actor_id=user.id, action="mfa.recovery_code_used", object_type="User",
                           object_id=str(user.id), changes={"left": recovery_codes_left(session, user)}, ip=_ip()))
    return "recovery"


def recovery_codes_left(session: Session, user: User) -> int:
    return len(session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                                             RecoveryCode.used_at.is_(None))).all())


def reset(session: Session, user: User, actor_id: int | None) -> None:
    """Forget the account's second factor (lost phone): it enrols again at its next login, and its
    open sessions end."""
    row = security_row(session, user.id)
    row.totp_secret = None
    row.totp_enabled_at = None
    row.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    login_sessions.end_all(session, user.id, SessionEnd.MFA_RESET)
    session.add(AuditEvent(actor_id=actor_id, action="mfa.reset", object_type="User", object_id=str(user.id),
                           changes={}, ip=_ip()))


def _hash(code: str) -> str:
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def _ip() -> str | None:
    from .audit import current_ip

    return current_ip()


__all__ = ["required", "enrolled", "pending_secret", "provisioning_uri", "qr_svg", "confirm_enrolment",
           "new_recovery_codes", "verify", "recovery_codes_left", "reset"]
