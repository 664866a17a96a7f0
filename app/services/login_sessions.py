"""Login sessions that the server can end.

The browser's signed session cookie carries a random secret (``session["sid"]``); the
``user_session`` table keeps its SHA-256 with the time of login, the last request, whether the
second factor was passed and, once over, when and why it ended. A request whose secret is not an
open row is logged out (``app.auth``). That is how a session is:

* rotated at login (a new secret, the pre-login cookie's content dropped),
* ended at logout, on a password change (every other session of the account), when the account
  is deactivated (every session), by the help desk ("end all sessions"),
* ended after ``STAFF_IDLE_MINUTES`` without a request for staff, and for everyone
  ``PERMANENT_SESSION_LIFETIME`` after login.

Password changes and deactivations are caught by a flush hook on ``User``: whatever screen or
service makes them, the sessions end in the same transaction.

The REST API's tokens (JWT, signed, 15 minutes for an access token and 30 days for a refresh token)
are ended with the sessions: each carries the account's ``api_token_version`` (claim ``tv``) at
issue, and every request checks it against the current one (flask-jwt-extended's
``token_in_blocklist_loader``). Logout, a password change, a deactivation, a second-factor reset
and the help desk's "end all sessions" raise the version: every token issued before is refused.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app, has_request_context, session as flask_session
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm import Session

from ..models import AccountSecurity, SessionEnd, UserSession
from ..models.base import utcnow
from .access import STAFF_ROLES, role_names

SESSION_KEY = "sid"
TOKEN_VERSION_CLAIM = "tv"
# last_seen_at is written at most this often (one UPDATE a minute per active session, not per request)
TOUCH_EVERY = dt.timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_staff(user: User) -> bool:
    """Whether the account holds a staff role, directly or through a group."""
    return not role_names(user).isdisjoint(STAFF_ROLES)


def start(session: Session, user: User, *, ip: str | None = None, user_agent: str | None = None,
          now: dt.datetime | None = None) -> str:
    """Open a session for ``user``; returns the secret to put in the cookie."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=_hash(token), created_at=now, last_seen_at=now,
                            ip=(ip or "")[:45] or None, user_agent=(user_agent or "")[:255] or None))
    session.flush()
    return token


def find(session: Session, token: str | None) -> UserSession | None:
    if not token or len(token) > 64:
        return None
    return session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))


def current(session: Session) -> UserSession | None:
    """The session row of this request's cookie, if any."""
    if not has_request_context():
        return None
    return find(session, flask_session.get(SESSION_KEY))


def idle_limit() -> dt.timedelta:
    return dt.timedelta(minutes=current_app.config.get("STAFF_IDLE_MINUTES", 30))


def why_over(row: UserSession | None, user: User, now: dt.datetime | None = None) -> SessionEnd | None:
    """Why this request's session may not go on (None: it may)."""
    now = now or utcnow()
    if row is None or row.user_id != user.id:
        return SessionEnd.EXPIRED
    if row.ended_at is not None:
        return row.end_reason or SessionEnd.EXPIRED
    if not user.active:
        return SessionEnd.DEACTIVATED
    if now - row.created_at > current_app.permanent_session_lifetime:
        return SessionEnd.EXPIRED
    if is_staff(user) and now - row.last_seen_at > idle_limit():
        return SessionEnd.IDLE
    return None


def touch(session: Session, row: UserSession, now: dt.datetime | None = None) -> bool:
    """Record activity, at most once a minute; returns whether a write was made."""
    now = now or utcnow()
    if now - row.last_seen_at < TOUCH_EVERY:
        return False
    row.last_seen_at = now
    return True


def end(session: Session, row: UserSession, reason: SessionEnd, now: dt.datetime | None = None) -> None:
    if row.ended_at is None:
        row.ended_at = now or utcnow()
        row.end_reason = reason


# --- API tokens ---------------------------------------------------------------------------------

def _account_id(user_id) -> int | None:
    """A token subject as an account id, or None when it cannot be one."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    return user_id if 0 < user_id < 2**31 else None


def api_token_version(session: Session, user_id) -> int:
    """The account's current API token version (0 until the first revocation)."""
    user_id = _account_id(user_id)
    if user_id is None:
        return -1
    return session.scalar(select(AccountSecurity.api_token_version).where(AccountSecurity.user_id == user_id)) or 0


def api_token_holder(session: Session, payload: dict):
    """The token's account, its learner file and the account's token version, read in one statement
    (every learner API call needs all three): a row ``(user, learner or None, version or None)``,
    or None when the subject names no account."""
    from ..models import Learner

    user_id = _account_id(payload.get("sub"))
    if user_id is None:
        return None
    return session.execute(
        select(User, Learner, AccountSecurity.api_token_version)
        .outerjoin(Learner, Learner.user_id == User.id)
        .outerjoin(AccountSecurity, AccountSecurity.user_id == User.id)
        .where(User.id == user_id)).first()


def api_token_revoked(session: Session, payload: dict, holder=None) -> bool:
    """Whether an API token is no longer valid: issued before the account's last revocation (or
    without a version at all). ``holder``: the row of ``api_token_holder`` when already read."""
    version = payload.get(TOKEN_VERSION_CLAIM)
    if not isinstance(version, int) or isinstance(version, bool):
        return True
    if holder is not None:
        return version != (holder[2] or 0)
    return version != api_token_version(session, payload.get("sub"))


def revoke_api_tokens(connection_or_session, user_id: int) -> None:
    """Every API token issued so far to the account stops working (in the caller's transaction)."""
    table = AccountSecurity.__table__
    done = connection_or_session.execute(update(table).where(table.c.user_id == user_id)
                                         .values(api_token_version=table.c.api_token_version + 1)).rowcount
    if not done:
        connection_or_session.execute(table.insert().values(user_id=user_id, failed_logins=0, api_token_version=1))


def end_all(session: Session, user_id: int, reason: SessionEnd, *, keep_id: int | None = None,
            now: dt.datetime | None = None) -> int:
    """End every open session of the account (but ``keep_id``) and revoke its API tokens; returns
    how many sessions were open."""
    revoke_api_tokens(session, user_id)
    statement = (update(UserSession)
                 .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                 .values(ended_at=now or utcnow(), end_reason=reason)
                 .execution_options(synchronize_session=False))
    if keep_id is not None:
        statement = statement.where(UserSession.id != keep_id)
    return session.execute(statement).rowcount


def open_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count(UserSession.id)).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None))) or 0


def mark_mfa_passed(row: UserSession, now: dt.datetime | None = None) -> None:
    row.mfa_passed_at = now or utcnow()


# --- password changes and deactivations end sessions, whoever makes them -------------------------

def _changed(user: User, attribute: str) -> bool:
    history = inspect(user).attrs[attribute].history
    return bool(history.added) and bool(history.deleted) and history.added != history.deleted


def _end_on_account_change(session: Session, flush_context, instances) -> None:
    for user in session.dirty:
        if not isinstance(user, User) or user.id is None:
            continue
        reason, keep_id = None, None
        if _changed(user, "active") and not user.active:
            reason = SessionEnd.DEACTIVATED
        elif _changed(user, "password"):
            reason = SessionEnd.PASSWORD_CHANGED
            # changing one's own password keeps the session one is in
            own = current(session) if has_request_context() else None
            keep_id = own.id if own is not None and own.user_id == user.id else None
        if reason is None:
            continue
        statement = (update(UserSession.__table__)
                     .where(UserSession.__table__.c.user_id == user.id, UserSession.__table__.c.ended_at.is_(None))
                     .values(ended_at=utcnow(), end_reason=reason.value))
        if keep_id is not None:
            statement = statement.where(UserSession.__table__.c.id != keep_id)
        session.connection().execute(statement)
        pending = next((obj for obj in session.new if isinstance(obj, AccountSecurity) and obj.user_id == user.id),
                       None)
        if pending is not None:  # its row is inserted by this very flush
            pending.api_token_version = (pending.api_token_version or 0) + 1
        else:
            revoke_api_tokens(session.connection(), user.id)


def install() -> None:
    if not event.contains(Session, "before_flush", _end_on_account_change):
        event.listen(Session, "before_flush", _end_on_account_change)


__all__ = ["SESSION_KEY", "TOKEN_VERSION_CLAIM", "api_token_version", "api_token_holder", "api_token_revoked",
           "revoke_api_tokens",
           "start", "find", "current", "why_over", "touch", "end", "end_all", "open_count",
           "mark_mfa_passed", "is_staff", "install"]
