"""The help desk: find an account, read its state, and act on it — each act justified and audited.

Support sees who an account is and whether it can log in, nothing of the learner's file (no
grades, money, documents or case notes): ``account_state`` reads only identity and account
tables. Every action takes the acting account and a reason (10 to 500 characters), refuses what
makes no sense in the account's current state, writes one ``support.<action>`` AuditEvent with
the reason, and tells the account holder by e-mail in their own language.

The help desk acts on learner and enterprise-representative accounts. An account holding a staff
role can only be acted on by an administrator, and only an administrator resets a staff second
factor: the help desk is no way to take over a colleague's (or a more powerful) account. Nobody
acts on their own account here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from ..models import AccountSecurity, AuditEvent, Language, Learner, SessionEnd, TokenPurpose
from ..models.base import utcnow
from . import lockout, login_sessions, mfa
from .access import ADMIN, SUPPORT, role_names
from .accounts import (
    RESET_TTL, Links, awaiting_verification, language_of, learner_of, send_account_link, send_verification_link,
)
from .audit import current_ip
from .learner_file import Page
from .messaging import TEMPLATES, send_message
from .refusals import Refusal

REASON_MIN_LENGTH = 10
REASON_MAX_LENGTH = 500
PER_PAGE = 20
MAX_PER_PAGE = 100
# A search longer than this is not a name, an address or a file number.
QUERY_MAX_LENGTH = 100
QUERY_MAX_WORDS = 5

# Every action of the console, in the order the account page shows them.
ACTIONS = ("send_reset_link", "unlock", "resend_verification", "deactivate", "reactivate", "end_sessions",
           "reset_second_factor")
# Actions the console asks to confirm before doing them (they cut the account holder off).
DESTRUCTIVE = frozenset({"deactivate", "end_sessions", "reset_second_factor"})

REFUSALS = {
    "reason_missing": _l("Give the reason for this action: it is written to the audit trail."),
    "reason_too_short": _l("The reason must have at least %(min)s characters."),
    "reason_too_long": _l("The reason may have at most %(max)s characters."),
    "not_help_desk": _l("Only the help desk and administrators can act on accounts here."),
    "own_account": _l("You cannot act on your own account from the help desk console."),
    "staff_account": _l("This account holds a staff role: only an administrator can act on it."),
    "admin_only": _l("Only an administrator can reset a second factor."),
    "not_staff": _l("This account has no second factor to reset: only staff accounts use one."),
    "no_second_factor": _l("This account has not set up its second factor yet: there is nothing to reset."),
    "inactive": _l("This account is deactivated: reactivate it before sending a password reset link."),
    "not_locked": _l("This account is not locked: there is nothing to unlock."),
    "already_verified": _l("This account's e-mail address is already confirmed: there is nothing to verify."),
    "not_awaiting_verification": _l("This account was deactivated by staff, not waiting for its address to be "
                                    "confirmed: reactivate it instead."),
    "already_inactive": _l("This account is already deactivated."),
    "already_active": _l("This account is already active."),
    "awaiting_verification": _l("This account is waiting for its e-mail address to be confirmed: resend the "
                                "verification link instead of reactivating it."),
    "no_sessions": _l("This account has no open session to end."),
    "no_email": _l("This account has no e-mail address: the link cannot be sent."),
    "unknown_action": _l("The help desk has no such action."),
}


class SupportRefused(Refusal):
    """An action the help desk may not take as asked; ``message`` is translated when read."""

    MESSAGES = REFUSALS


# The e-mail for a reset second factor (the other notices are in ``messaging.TEMPLATES``).
SUPPORT_TEMPLATES = {
    "second_factor_reset": (
        _l("Your second factor has been reset"),
        _l("Hello {name},\n\nAn administrator has reset the second factor of your Guichet Francisation "
           "account, and every open session has been ended. At your next login you will set up your "
           "authenticator app again.\n\nIf you did not ask for this, contact the help desk at once.\n\n"
           "Francisation Québec"),
    ),
}
TEMPLATES.update(SUPPORT_TEMPLATES)


# --- who may act on whom -------------------------------------------------------------------------

def is_admin(user: User) -> bool:
    return ADMIN in role_names(user)


is_staff = login_sessions.is_staff


def may_act_on(actor: User, target: User) -> str | None:
    """Why ``actor`` may not act on ``target`` at all (a refusal code), or None when it may."""
    if not role_names(actor) & {SUPPORT, ADMIN}:
        return "not_help_desk"
    if actor.id == target.id:
        return "own_account"
    if is_staff(target) and not is_admin(actor):
        return "staff_account"
    return None


# --- search --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AccountRow:
    """One search result: the account, the learner file number (if any) and the end of its lock."""

    user: User
    file_number: str | None
    locked_until: dt.datetime | None

    @property
    def roles(self) -> list[str]:
        return sorted(role.name for role in self.user.roles)


@dataclass
class SearchPage(Page):
    """A page of accounts (``items``, also named ``rows``) and the query that found them."""

    query: str = ""

    @property
    def rows(self) -> list[AccountRow]:
        return self.items


def clean_query(query: str | None) -> str:
    return " ".join((query or "").split())[:QUERY_MAX_LENGTH]


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(query: str):
    """Every word of the query appears in the name, e-mail, username or file number (case ignored)."""
    columns = (User.first_name, User.last_name, User.email, User.username,
               Learner.file_number, Learner.first_name, Learner.last_name, Learner.email)
    return and_(*(or_(*(column.ilike(_like(word), escape="\\") for column in columns))
                  for word in query.split()[:QUERY_MAX_WORDS]))


def search_accounts(session: Session, query: str | None, page: int = 1, per_page: int = PER_PAGE) -> SearchPage:
    """One page of the accounts matching ``query``, by last then first name.

    Two statements whatever the page holds: the count, and the page with each account's roles,
    learner file number and lock. An empty query finds nothing (the help desk looks someone up;
    it does not browse the accounts).
    """
    query = clean_query(query)
    page, per_page = max(page, 1), min(max(per_page, 1), MAX_PER_PAGE)
    if not query:
        return SearchPage([], 0, page, per_page, query=query)
    joined = (lambda statement: statement
              .outerjoin(Learner, Learner.user_id == User.id)
              .outerjoin(AccountSecurity, AccountSecurity.user_id == User.id)
              .where(_matches(query)))
    total = session.scalar(joined(select(func.count(User.id)).select_from(User))) or 0
    result = session.execute(
        joined(select(User, Learner.file_number, AccountSecurity.locked_until))
        .options(joinedload(User.roles))
        .order_by(func.lower(User.last_name), func.lower(User.first_name), User.id)
        .limit(per_page).offset((page - 1) * per_page)).unique()
    now = utcnow()
    rows = [AccountRow(user, file_number, until if until is not None and until > now else None)
            for user, file_number, until in result]
    return SearchPage(rows, total, page, per_page, query=query)


# --- the state of an account ---------------------------------------------------------------------

@dataclass(frozen=True)
class AccountState:
    """What the help desk may know of an account: identity and whether (and how) it can log in."""

    user_id: int
    username: str
    first_name: str
    last_name: str
    email: str
    file_number: str | None
    roles: list[str]
    staff: bool
    language: Language
    active: bool
    awaiting_verification: bool
    locked_until: dt.datetime | None
    failed_attempts: int
    last_login: dt.datetime | None
    open_sessions: int
    second_factor: bool


def account_state(session: Session, user: User) -> AccountState:
    learner = learner_of(session, user)
    security = session.get(AccountSecurity, user.id)
    return AccountState(
        user_id=user.id, username=user.username, first_name=user.first_name, last_name=user.last_name,
        email=user.email, file_number=learner.file_number if learner is not None else None,
        roles=sorted(role_names(user)), staff=is_staff(user), language=language_of(session, user),
        active=bool(user.active), awaiting_verification=awaiting_verification(session, user),
        locked_until=lockout.locked_until(session, user),
        failed_attempts=security.failed_logins if security is not None else 0,
        last_login=user.last_login, open_sessions=login_sessions.open_count(session, user.id),
        second_factor=security is not None and security.totp_enabled_at is not None)


def find_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


# --- what each action needs ----------------------------------------------------------------------

def _state_refusal(action: str, state: AccountState, actor: User) -> str | None:
    """Why ``action`` makes no sense on an account in ``state`` (a refusal code), or None."""
    if action == "send_reset_link":
        if not state.email:
            return "no_email"
        return None if state.active or state.awaiting_verification else "inactive"
    if action == "unlock":
        return None if state.locked_until is not None else "not_locked"
    if action == "resend_verification":
        if state.active:
            return "already_verified"
        return None if state.awaiting_verification else "not_awaiting_verification"
    if action == "deactivate":
        return None if state.active else "already_inactive"
    if action == "reactivate":
        if state.active:
            return "already_active"
        return "awaiting_verification" if state.awaiting_verification else None
    if action == "end_sessions":
        return None if state.open_sessions else "no_sessions"
    if action == "reset_second_factor":
        if not is_admin(actor):
            return "admin_only"
        if not state.staff:
            return "not_staff"
        return None if state.second_factor else "no_second_factor"
    return "unknown_action"


def available_actions(state: AccountState, actor: User, target: User) -> list[str]:
    """The actions the account page offers ``actor`` on an account in ``state``."""
    if may_act_on(actor, target) is not None:
        return []
    return [action for action in ACTIONS if _state_refusal(action, state, actor) is None]


def clean_reason(reason: str | None) -> str:
    """The reason, trimmed; refused when missing, shorter than 10 or longer than 500 characters."""
    reason = (reason or "").strip()
    if not reason:
        raise SupportRefused("reason_missing")
    if len(reason) < REASON_MIN_LENGTH:
        raise SupportRefused("reason_too_short", min=REASON_MIN_LENGTH)
    if len(reason) > REASON_MAX_LENGTH:
        raise SupportRefused("reason_too_long", max=REASON_MAX_LENGTH)
    return reason


def check(session: Session, action: str, target: User, actor: User, reason: str | None) -> str:
    """Refuse (``SupportRefused``) unless ``actor`` may take ``action`` on ``target`` now with this
    reason; changes nothing. Returns the trimmed reason."""
    if action not in ACTIONS:
        raise SupportRefused("unknown_action")
    refusal = may_act_on(actor, target) or _state_refusal(action, account_state(session, target), actor)
    if refusal is not None:
        raise SupportRefused(refusal)
    return clean_reason(reason)


def _prepare(session: Session, action: str, target: User, actor: User, reason: str | None) -> str:
    """Lock the account's row (two help-desk agents acting at once are served one after the other),
    then ``check``."""
    session.scalar(select(User).where(User.id == target.id).with_for_update()
                   .execution_options(populate_existing=True))
    return check(session, action, target, actor, reason)


def _record(session: Session, action: str, target: User, actor: User, reason: str, **changes) -> AuditEvent:
    event = AuditEvent(actor_id=actor.id, action=f"support.{action}", object_type="User",
                       object_id=str(target.id), changes={"reason": reason, **changes}, ip=current_ip(),
                       reason=reason)
    session.add(event)
    session.flush()
    return event


def _tell(session: Session, target: User, template: str, **payload) -> None:
    """E-mail the account holder in their language."""
    if not target.email:
        return
    send_message(session, recipient=target.email, language=language_of(session, target), template=template,
                 payload={"name": target.first_name, **payload}, learner=learner_of(session, target))


# --- the actions ---------------------------------------------------------------------------------

def send_reset_link(session: Session, target: User, actor: User, reason: str | None, links: Links) -> None:
    """E-mail the account holder a password reset link (single use, valid one hour)."""
    reason = _prepare(session, "send_reset_link", target, actor, reason)
    send_account_link(session, target, TokenPurpose.RESET_PASSWORD, links.reset,
                      language=language_of(session, target), template="reset_password",
                      payload={"name": target.first_name, "minutes": int(RESET_TTL.total_seconds() // 60),
                               "forgot": links.forgot},
                      learner=learner_of(session, target))
    _record(session, "send_reset_link", target, actor, reason)


def unlock(session: Session, target: User, actor: User, reason: str | None) -> None:
    """Lift the lockout now rather than when it ends by itself."""
    reason = _prepare(session, "unlock", target, actor, reason)
    until = lockout.locked_until(session, target)
    if not lockout.unlock(session, target):
        raise SupportRefused("not_locked")
    target.fail_login_count = 0
    _record(session, "unlock", target, actor, reason, locked_until=until.isoformat() if until else None)
    _tell(session, target, "account_unlocked")


def resend_verification(session: Session, target: User, actor: User, reason: str | None, links: Links) -> None:
    """E-mail a new link confirming the address of an account that never confirmed it."""
    reason = _prepare(session, "resend_verification", target, actor, reason)
    send_verification_link(session, target, links, language_of(session, target), learner_of(session, target))
    _record(session, "resend_verification", target, actor, reason)


def deactivate(session: Session, target: User, actor: User, reason: str | None) -> int:
    """Stop the account from logging in; its open sessions end with it. Returns how many were open."""
    reason = _prepare(session, "deactivate", target, actor, reason)
    open_sessions = login_sessions.open_count(session, target.id)
    target.active = False
    session.flush()  # the flush hook of login_sessions ends every session of the account
    _record(session, "deactivate", target, actor, reason, active=[True, False], sessions_ended=open_sessions)
    _tell(session, target, "account_deactivated")
    return open_sessions


def reactivate(session: Session, target: User, actor: User, reason: str | None) -> None:
    """Let a deactivated account log in again."""
    reason = _prepare(session, "reactivate", target, actor, reason)
    target.active = True
    session.flush()
    _record(session, "reactivate", target, actor, reason, active=[False, True])
    _tell(session, target, "account_reactivated")


def end_sessions(session: Session, target: User, actor: User, reason: str | None, links: Links) -> int:
    """Log the account out everywhere; returns how many sessions were ended."""
    reason = _prepare(session, "end_sessions", target, actor, reason)
    ended = login_sessions.end_all(session, target.id, SessionEnd.ENDED_BY_SUPPORT)
    if not ended:
        raise SupportRefused("no_sessions")
    _record(session, "end_sessions", target, actor, reason, sessions_ended=ended)
    _tell(session, target, "sessions_ended", forgot=links.forgot)
    return ended


def reset_second_factor(session: Session, target: User, actor: User, reason: str | None) -> None:
    """Forget a staff account's second factor (administrators only): it enrols again at its next
    login, and its open sessions end."""
    reason = _prepare(session, "reset_second_factor", target, actor, reason)
    mfa.reset(session, target, actor.id)
    _record(session, "reset_second_factor", target, actor, reason)
    _tell(session, target, "second_factor_reset")


__all__ = [
    "ACTIONS", "DESTRUCTIVE", "REASON_MIN_LENGTH", "REASON_MAX_LENGTH", "SupportRefused", "AccountRow",
    "SearchPage", "AccountState", "search_accounts", "account_state", "available_actions", "check", "clean_reason",
    "may_act_on", "send_reset_link", "unlock", "resend_verification", "deactivate", "reactivate", "end_sessions",
    "reset_second_factor",
]
