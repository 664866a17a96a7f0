"""Account lockout: ``LOCKOUT_THRESHOLD`` failed logins in a row lock the account for
``LOCKOUT_MINUTES``; the lock lifts by itself, or sooner by the help desk (``support.unlock``).

A failure is a wrong password or a wrong second-factor code. While locked, even the right password
is refused, with the same answer as a wrong one (the login page says nothing about the account);
the owner is told by e-mail, in their language, when the lock starts. Every lock is written to the
audit trail. Counting is done with one UPDATE, so concurrent attempts are all counted.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale, format_datetime
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import AccountSecurity, AuditEvent
from ..models.base import utcnow

MONTREAL = ZoneInfo("America/Montreal")


def threshold() -> int:
    return int(current_app.config.get("LOCKOUT_THRESHOLD", 5))


def duration() -> dt.timedelta:
    return dt.timedelta(minutes=int(current_app.config.get("LOCKOUT_MINUTES", 15)))


def security_row(session: Session, user_id: int) -> AccountSecurity:
    """The account's security row, created on first need (safe against a concurrent creation)."""
    row = session.get(AccountSecurity, user_id)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = AccountSecurity(user_id=user_id, failed_logins=0)
            session.add(row)
    except IntegrityError:
        row = session.get(AccountSecurity, user_id, populate_existing=True)
    return row


def locked_until(session: Session, user: User, now: dt.datetime | None = None) -> dt.datetime | None:
    """The end of the account's lock, or None when it is not locked."""
    now = now or utcnow()
    until = session.scalar(select(AccountSecurity.locked_until).where(AccountSecurity.user_id == user.id))
    return until if until is not None and until > now else None


def record_failure(session: Session, user: User, now: dt.datetime | None = None) -> bool:
    """Count a failed attempt; returns True when this one locked the account."""
    now = now or utcnow()
    row = security_row(session, user.id)
    count = session.execute(
        update(AccountSecurity).where(AccountSecurity.user_id == user.id)
        .values(failed_logins=AccountSecurity.failed_logins + 1)
        .returning(AccountSecurity.failed_logins)).scalar_one()
    if count < threshold():
        session.refresh(row)
        return False
    until = now + duration()
    locked = session.execute(
        update(AccountSecurity)
        .where(AccountSecurity.user_id == user.id, AccountSecurity.failed_logins >= threshold())
        .values(failed_logins=0, locked_until=until)
        .execution_options(synchronize_session=False)).rowcount == 1
    session.refresh(row)
    if locked:
        session.add(AuditEvent(actor_id=None, action="account.locked", object_type="User", object_id=str(user.id),
                               changes={"attempts": count, "locked_until": until.isoformat()},
                               ip=_ip()))
        _tell_owner(session, user, count, until)
    return locked


def record_success(session: Session, user: User) -> None:
    """A successful login (password and, for staff, second factor) resets the count."""
    session.execute(update(AccountSecurity).where(AccountSecurity.user_id == user.id,
                                                  AccountSecurity.failed_logins != 0)
                    .values(failed_logins=0).execution_options(synchronize_session=False))


def unlock(session: Session, user: User) -> bool:
    """Lift the lock and reset the count; returns whether the account was locked."""
    now = utcnow()
    row = session.get(AccountSecurity, user.id)
    if row is None:
        return False
    was_locked = row.locked_until is not None and row.locked_until > now
    row.locked_until = None
    row.failed_logins = 0
    return was_locked


def _ip() -> str | None:
    from .audit import current_ip

    return current_ip()


def _tell_owner(session: Session, user: User, attempts: int, until: dt.datetime) -> None:
    from .public_links import public_url
    from .accounts import language_of, learner_of
    from .messaging import send_message

    if not user.email:
        return
    language = language_of(session, user)
    with force_locale(language.value):
        until_text = format_datetime(until.astimezone(MONTREAL), "d MMMM y, HH:mm")
    forgot = public_url("AccountSelfServiceView.forgot")
    send_message(session, recipient=user.email, language=language, template="account_locked",
                 payload={"name": user.first_name, "attempts": attempts, "until": until_text, "forgot": forgot},
                 learner=learner_of(session, user))


__all__ = ["threshold", "duration", "security_row", "locked_until", "record_failure", "record_success", "unlock"]
