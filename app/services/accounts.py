"""Learner accounts: sign-up with e-mail verification, forgotten passwords, the password policy.

Nothing a visitor sees depends on whether an address already has an account. A sign-up with a
taken address gets the same page as a new one (the address's owner is told by e-mail instead),
and a reset request only writes a job, whatever the address: the job looks the address up and
sends the link in the background, so both answers cost the same.

E-mailed links carry a random secret; only its SHA-256 is stored (``AccountToken``), each link
works once and expires (48 hours to verify an address, 1 hour to reset a password). The secret is
drawn by the delivery job and goes into the e-mail only: the copy of the message kept in the
``message`` table (which staff can read) shows a placeholder instead of the link, in every mode
(see ``services.messaging``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ..jobs import enqueue
from ..models import AccountToken, DeliveryStatus, Language, Learner, Message, TokenPurpose, UserPreference
from ..models.base import utcnow
from .access import LEARNER
from .messaging import SECRET_SLOT, already_delivered, deliver, send_message, send_to_learner, write_message

VERIFY_TTL = dt.timedelta(hours=48)
RESET_TTL = dt.timedelta(hours=1)
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128
EMAIL_MAX_LENGTH = 128  # FAB's username column; the username is the address
NAME_MAX_LENGTH = 64  # FAB's first_name / last_name columns
# token_urlsafe(32) gives 43 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 64
# Where the secret goes in a link given by the web layer (e.g. https://…/account/reset/__token__).
TOKEN_PLACEHOLDER = "__token__"
# What the kept copy of a message shows where the e-mail has the link.
LINK_SLOT = SECRET_SLOT
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
MONTREAL = ZoneInfo("America/Montreal")


# --- password policy (OWASP ASVS 5: length only, no composition rules, common ones refused) -------

@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The refused passwords shipped with the application, lower-cased."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, email: str | None = None):
    """Why ``password`` is refused (a translated message), or None when it is acceptable."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return _l("Your password must have at least %(min)d characters.", min=PASSWORD_MIN_LENGTH)
    if len(password) > PASSWORD_MAX_LENGTH:
        return _l("Your password may have at most %(max)d characters.", max=PASSWORD_MAX_LENGTH)
    lowered = password.lower()
    if lowered in common_passwords() or (email and lowered == normalise_email(email)):
        return _l("This password is too common and easy to guess. Choose another one.")
    return None


def hash_password(password: str) -> str:
    """The password hash FAB checks at login, with FAB's configured method."""
    config = current_app.config
    return generate_password_hash(password, method=config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
                                  salt_length=config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))


# --- tokens --------------------------------------------------------------------------------------

def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, purpose: TokenPurpose, now: dt.datetime | None = None) -> str:
    """A new link secret for ``user``; the raw token is returned once, only its hash is kept."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    ttl = VERIFY_TTL if purpose == TokenPurpose.VERIFY_EMAIL else RESET_TTL
    session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=token_hash(token),
                             created_at=now, expires_at=now + ttl))
    session.flush()
    return token


def link_with(template: str, token: str) -> str:
    return template.replace(TOKEN_PLACEHOLDER, token)


def send_account_link(session: Session, user: User, purpose: TokenPurpose, link_template: str, *,
                      language: Language, template: str, payload: dict, learner: Learner | None = None) -> Message:
    """Write a message whose ``{link}`` carries a new token of ``purpose``; the delivery job draws
    the token and puts the link in the e-mail only (see ``services.messaging``)."""
    message = write_message(session, recipient=user.email, language=language, template=template,
                            payload=payload, learner=learner, secret_fields=("link",))
    enqueue("deliver_account_link", session=session, message_id=message.id, user_id=user.id,
            purpose=purpose.value, link_template=link_template)
    return message


def deliver_account_link(session: Session, message_id: int, user_id: int, purpose: TokenPurpose,
                         link_template: str) -> DeliveryStatus | None:
    """Draw the token and deliver the message with its link; only the e-mail holds it."""
    message = session.get(Message, message_id)
    user = session.get(User, user_id)
    if already_delivered(message) or user is None:
        return message.status if message is not None else None
    token = issue_token(session, user, purpose)
    return deliver(session, message_id, secrets={"link": link_with(link_template, token)})


@dataclass(frozen=True)
class TokenCheck:
    """What a link's token is worth: ``state`` is valid, expired, used or unknown."""

    state: str
    token: AccountToken | None = None

    @property
    def valid(self) -> bool:
        return self.state == "valid"


def check_token(session: Session, token: str, purpose: TokenPurpose, now: dt.datetime | None = None) -> TokenCheck:
    """Look a link's token up without using it."""
    now = now or utcnow()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return TokenCheck("unknown")
    row = session.scalar(select(AccountToken).where(AccountToken.token_hash == token_hash(token),
                                                    AccountToken.purpose == purpose))
    if row is None:
        return TokenCheck("unknown")
    if row.used_at is not None:
        return TokenCheck("used", row)
    if row.expires_at <= now:
        return TokenCheck("expired", row)
    return TokenCheck("valid", row)


def _consume(session: Session, row: AccountToken, now: dt.datetime) -> bool:
    """Mark the token used, if nobody did in the meantime; one statement, so two clicks use it once."""
    result = session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None), AccountToken.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False))
    session.refresh(row)
    return result.rowcount == 1


def _retire_tokens(session: Session, user_id: int, purpose: TokenPurpose, now: dt.datetime) -> None:
    """Every still-usable token of the user for ``purpose`` stops working."""
    session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user_id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False))


# --- accounts ------------------------------------------------------------------------------------

def find_account(session: Session, email: str) -> User | None:
    """The account whose username or e-mail is ``email`` (case ignored)."""
    email = normalise_email(email)
    if not email:
        return None
    return session.scalars(select(User).where(
        or_(func.lower(User.username) == email, func.lower(User.email) == email)).order_by(User.id)).first()


def awaiting_verification(session: Session, user: User) -> bool:
    """A self-registered account whose address was never confirmed (not one deactivated by staff)."""
    if user.active:
        return False
    tokens = select(AccountToken.id).where(AccountToken.user_id == user.id,
                                           AccountToken.purpose == TokenPurpose.VERIFY_EMAIL)
    return bool(session.scalar(select(exists(tokens))) and not session.scalar(
        select(exists(tokens.where(AccountToken.used_at.is_not(None))))))


def learner_of(session: Session, user: User) -> Learner | None:
    return session.scalar(select(Learner).where(Learner.user_id == user.id))


def language_of(session: Session, user: User, fallback: Language = Language.FR) -> Language:
    """The language the account's messages are written in: saved preference, learner file, fallback."""
    preference = session.get(UserPreference, user.id)
    if preference is not None:
        return preference.language
    learner = learner_of(session, user)
    return learner.preferred_language if learner is not None else fallback


def new_file_number(session: Session, today: dt.date) -> str:
    """An unused file number ``FQ-<year>-<6 digits>``; random, so it tells nothing about volumes."""
    for _ in range(50):
        number = f"FQ-{today.year}-{secrets.randbelow(1_000_000):06d}"
        if session.scalar(select(Learner.id).where(Learner.file_number == number)) is None:
            return number
    raise RuntimeError(f"no free file number found for {today.year}")


@dataclass(frozen=True)
class SignUp:
    """What a visitor typed on the sign-up form (already validated by the form)."""

    first_name: str
    last_name: str
    email: str
    birth_date: dt.date
    category_id: int
    language: Language
    password: str


@dataclass(frozen=True)
class Links:
    """Absolute links for the e-mails; ``verify`` and ``reset`` contain ``TOKEN_PLACEHOLDER``."""

    verify: str
    reset: str
    login: str
    forgot: str


def register(session: Session, signup: SignUp, links: Links, now: dt.datetime | None = None) -> Learner | None:
    """Create an inactive Learner account and file and e-mail the verification link.

    When the address already has an account, nothing is created or changed: its owner is told
    by e-mail that someone tried to sign up with it. Returns the new learner, or None in that
    case; the caller must answer the visitor identically either way.
    """
    now = now or utcnow()
    email = normalise_email(signup.email)
    # The password is hashed in both branches: a taken address answers no faster than a new one.
    password_hash = hash_password(signup.password)
    for _ in range(3):
        existing = find_account(session, email)
        if existing is not None:
            notify_address_taken(session, existing, links, signup.language)
            return None
        try:
            with session.begin_nested():
                learner = _create_learner_account(session, signup, email, password_hash, now)
        except IntegrityError:
            # A concurrent sign-up took the address (or, rarely, the file number): look again.
            continue
        send_verification_link(session, learner.user, links, signup.language, learner)
        return learner
    raise RuntimeError("sign-up kept conflicting with concurrent sign-ups")


def send_verification_link(session: Session, user: User, links: Links, language: Language,
                           learner: Learner | None = None) -> Message:
    """E-mail a link that confirms the address and activates the account (valid 48 hours)."""
    return send_account_link(session, user, TokenPurpose.VERIFY_EMAIL, links.verify, language=language,
                             template="verify_email", learner=learner,
                             payload={"name": user.first_name, "hours": int(VERIFY_TTL.total_seconds() // 3600)})


def _create_learner_account(session: Session, signup: SignUp, email: str, password_hash: str,
                            now: dt.datetime) -> Learner:
    sm = current_app.appbuilder.sm
    role = sm.find_role(LEARNER)
    if role is None:
        raise LookupError(f"role {LEARNER} does not exist: run `flask seed-roles` first")
    user = sm.user_model()
    user.first_name, user.last_name = signup.first_name.strip(), signup.last_name.strip()
    user.username = user.email = email
    user.password = password_hash
    user.active = False
    user.roles = [role]
    session.add(user)
    session.flush()
    session.add(UserPreference(user_id=user.id, language=signup.language))
    learner = Learner(user=user, file_number=new_file_number(session, now.astimezone(MONTREAL).date()),
                      first_name=user.first_name, last_name=user.last_name, email=email,
                      birth_date=signup.birth_date, category_id=signup.category_id,
                      preferred_language=signup.language, created_at=now)
    session.add(learner)
    session.flush()
    return learner


def notify_address_taken(session: Session, user: User, links: Links, language: Language) -> None:
    """Tell an address's owner that someone tried to sign up with it (in the owner's language)."""
    send_message(session, recipient=user.email, language=language_of(session, user, language),
                 template="register_attempt", payload={"name": user.first_name, "login": links.login,
                                                       "forgot": links.forgot},
                 learner=learner_of(session, user))


@dataclass(frozen=True)
class Verification:
    """The outcome of following a verification link: ``state`` is verified, already, used,
    expired or unknown."""

    state: str
    user: User | None = None


def verify_email(session: Session, token: str, now: dt.datetime | None = None) -> Verification:
    """Activate the account of a verification link (once, before it expires) and welcome the learner."""
    now = now or utcnow()
    check = check_token(session, token, TokenPurpose.VERIFY_EMAIL, now)
    user = check.token.user if check.token is not None else None
    if check.state == "used" and user is not None and user.active:
        return Verification("already", user)
    if not check.valid or not _consume(session, check.token, now):
        return Verification(check.state if not check.valid else "used", user)
    user.active = True
    _retire_tokens(session, user.id, TokenPurpose.VERIFY_EMAIL, now)
    learner = learner_of(session, user)
    if learner is not None:
        send_to_learner(session, learner, "welcome")
    return Verification("verified", user)


# --- forgotten password --------------------------------------------------------------------------

def request_password_reset(session: Session, email: str, links: Links, language: Language) -> None:
    """Record the request as a job, whatever the address: the job finds out whether it has an
    account and sends the link, so the visitor's answer takes the same time either way."""
    enqueue("send_password_reset", session=session, email=normalise_email(email),
            links=asdict(links), language=language.value)


def send_password_reset(session: Session, email: str, links: Links, language: Language) -> bool:
    """E-mail a reset link to the account of ``email`` when there is one that may use it.

    An account awaiting verification may (completing the reset proves the address); one that
    staff deactivated may not. Returns whether a link was sent.
    """
    user = find_account(session, email)
    if user is None or not (user.active or awaiting_verification(session, user)):
        return False
    send_account_link(session, user, TokenPurpose.RESET_PASSWORD, links.reset,
                      language=language_of(session, user, language), template="reset_password",
                      payload={"name": user.first_name, "minutes": int(RESET_TTL.total_seconds() // 60),
                               "forgot": links.forgot},
                      learner=learner_of(session, user))
    return True


def reset_password(session: Session, token: str, password: str, links: Links,
                   now: dt.datetime | None = None) -> TokenCheck:
    """Set a new password through a reset link: the link is used up, the account's other reset
    links stop working, an unconfirmed address counts as confirmed, and the owner is told.

    The password must already satisfy ``password_problem``. Returns the token's state before use
    (``valid`` when the password was changed).
    """
    now = now or utcnow()
    check = check_token(session, token, TokenPurpose.RESET_PASSWORD, now)
    if not check.valid:
        return check
    user = check.token.user
    confirms_address = awaiting_verification(session, user)
    if not (user.active or confirms_address):  # deactivated by staff since the link was sent
        return TokenCheck("unknown", check.token)
    if not _consume(session, check.token, now):
        return TokenCheck("used", check.token)
    if confirms_address:
        user.active = True
        _retire_tokens(session, user.id, TokenPurpose.VERIFY_EMAIL, now)
    user.password = hash_password(password)
    user.fail_login_count = 0
    _retire_tokens(session, user.id, TokenPurpose.RESET_PASSWORD, now)
    send_message(session, recipient=user.email, language=language_of(session, user), template="password_changed",
                 payload={"name": user.first_name, "forgot": links.forgot}, learner=learner_of(session, user))
    return check


__all__ = [
    "PASSWORD_MIN_LENGTH", "PASSWORD_MAX_LENGTH", "VERIFY_TTL", "RESET_TTL", "TOKEN_PLACEHOLDER",
    "SignUp", "Links", "TokenCheck", "Verification", "password_problem", "register", "verify_email",
    "send_verification_link", "send_account_link",
    "request_password_reset", "send_password_reset", "reset_password", "check_token", "find_account",
]
