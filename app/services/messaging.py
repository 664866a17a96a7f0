"""Messages to people: rendered in the recipient's language, delivered by a job after commit.

A message may carry a credential (a password-reset or verification link, an employer's
invitation): the ``message`` row, which staff can read in the back office, keeps a copy with
``SECRET_SLOT`` where the link goes, and the job row keeps only how to make the link. The delivery
job mints the secret and passes it to ``deliver(..., secrets=...)``, which puts it in the e-mail
it sends and nowhere else. A retry mints a new one (the secret of a failed attempt reached nobody).

Without ``MAIL_SERVER`` (embedded mode) the e-mail is written as an ``.eml`` file into
``MAIL_FILE_DIR`` (instance/mail), the local mailbox of whoever runs the installation; the
back office still shows only the redacted copy.
"""
from __future__ import annotations

import logging
import re
import smtplib
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, lazy_gettext as _l
from sqlalchemy.orm import Session

from ..models import DeliveryStatus, Language, Learner, Message
from ..models.base import utcnow

log = logging.getLogger(__name__)

# What the kept copy of a message shows where the e-mail has a personal link.
SECRET_SLOT = _l("(personal link, in the e-mail only)")

# template name -> (subject, body); bodies are str.format templates over the payload.
TEMPLATES = {
    "welcome": (
        _l("Welcome to Guichet Francisation"),
        _l("Hello {name},\n\nYour account on Guichet Francisation is ready. "
           "You can now apply for French courses and follow your file online.\n\n"
           "Francisation Québec"),
    ),
    "enrolled": (
        _l("Your registration is confirmed: {course}"),
        _l("Hello {name},\n\nYou have a seat in section {section} of {course}.\n\nFrancisation Québec"),
    ),
    "waitlisted": (
        _l("You are on the waiting list: {course}"),
        _l("Hello {name},\n\nSection {section} of {course} is full. You are number {position} on its "
           "waiting list; we will write to you as soon as a seat is yours.\n\nFrancisation Québec"),
    ),
    "promoted": (
        _l("A seat is yours: {course}"),
        _l("Hello {name},\n\nA seat became free in section {section} of {course}: you are now registered."
           "\n\nFrancisation Québec"),
    ),
    "offered": (
        _l("A seat is offered to you: {course}"),
        _l("Hello {name},\n\nA seat became free in section {section} of {course}. Accept it in your file "
           "before {expires}; after that it goes to the next person in line.\n\nFrancisation Québec"),
    ),
    "offer_expired": (
        _l("Your seat offer has expired: {course}"),
        _l("Hello {name},\n\nThe seat offered to you in section {section} of {course} was not accepted "
           "in time and has gone to the next person in line.\n\nFrancisation Québec"),
    ),
    "dropped": (
        _l("You have left a course: {course}"),
        _l("Hello {name},\n\nYou are no longer registered in section {section} of {course}."
           "\n\nFrancisation Québec"),
    ),
    "swapped": (
        _l("Your section has changed: {course}"),
        _l("Hello {name},\n\nYou are now registered in section {section} of {course}; your previous "
           "seat was released.\n\nFrancisation Québec"),
    ),
    "verify_email": (
        _l("Confirm your e-mail address"),
        _l("Hello {name},\n\nTo activate your account on Guichet Francisation, confirm your e-mail address "
           "by opening this link within {hours} hours:\n\n{link}\n\nIf you did not create this account, "
           "ignore this message: the account will not be activated.\n\nFrancisation Québec"),
    ),
    "register_attempt": (
        _l("Someone tried to create an account with your address"),
        _l("Hello {name},\n\nSomeone tried to create an account on Guichet Francisation with this e-mail "
           "address, which already has an account. Nothing was changed.\n\nIf it was you, log in here:\n"
           "{login}\n\nIf you have forgotten your password, or never confirmed your address, ask for a new "
           "password here:\n{forgot}\n\nIf it was not you, you can ignore this message.\n\nFrancisation Québec"),
    ),
    "reset_password": (
        _l("Choose a new password"),
        _l("Hello {name},\n\nWe received a request to reset the password of your Guichet Francisation "
           "account. Open this link within {minutes} minutes to choose a new password:\n\n{link}\n\n"
           "The link works only once. If it has expired, ask for another one:\n{forgot}\n\n"
           "If you did not ask for this, ignore this message: your password stays the same.\n\n"
           "Francisation Québec"),
    ),
    "password_changed": (
        _l("Your password has been changed"),
        _l("Hello {name},\n\nThe password of your Guichet Francisation account has just been changed.\n\n"
           "If you did not do it, choose a new password right away and contact us:\n{forgot}\n\n"
           "Francisation Québec"),
    ),
    "account_locked": (
        _l("Your account is locked for a while"),
        _l("Hello {name},\n\nAfter {attempts} failed attempts to log in, your Guichet Francisation account "
           "is locked until {until}. It will unlock by itself then.\n\nIf it was not you, someone may know "
           "your address: choose a new password once the account is unlocked:\n{forgot}\n\n"
           "To unlock it sooner, contact the help desk.\n\nFrancisation Québec"),
    ),
    "account_unlocked": (
        _l("Your account is unlocked"),
        _l("Hello {name},\n\nThe help desk has unlocked your Guichet Francisation account. "
           "You can log in again.\n\nIf you did not ask for this, contact us.\n\nFrancisation Québec"),
    ),
    "account_deactivated": (
        _l("Your account has been deactivated"),
        _l("Hello {name},\n\nThe help desk has deactivated your Guichet Francisation account: nobody can "
           "log in with it any more, and every open session has been ended.\n\nIf you did not expect this, "
           "contact us.\n\nFrancisation Québec"),
    ),
    "account_reactivated": (
        _l("Your account is active again"),
        _l("Hello {name},\n\nThe help desk has reactivated your Guichet Francisation account. "
           "You can log in again.\n\nFrancisation Québec"),
    ),
    "sessions_ended": (
        _l("You have been logged out everywhere"),
        _l("Hello {name},\n\nThe help desk has ended every open session of your Guichet Francisation "
           "account, on every device. Log in again to continue.\n\nIf you did not ask for this, choose a "
           "new password:\n{forgot}\n\nFrancisation Québec"),
    ),
    "class_start": (
        _l("Your class starts soon: {course}"),
        _l("Hello {name},\n\nYour class in section {section} of {course} starts on {date}. "
           "You will find the schedule and the place in your file.\n\nFrancisation Québec"),
    ),
    "notice": (
        _l("A message from Francisation Québec"),
        _l("Hello {name},\n\n{text}\n\nFrancisation Québec"),
    ),
}


def render(template: str, language: Language, payload: dict) -> tuple[str, str]:
    """Subject and body of a template in a language."""
    subject, body = TEMPLATES[template]
    with force_locale(language.value):
        return str(subject).format(**payload), str(body).format(**payload)


def send_message(session: Session, *, recipient: str, language: Language, template: str,
                 payload: dict | None = None, learner: Learner | None = None) -> Message:
    """Write a message in the caller's transaction; it is delivered after commit."""
    from ..jobs import enqueue

    message = write_message(session, recipient=recipient, language=language, template=template,
                            payload=payload, learner=learner)
    enqueue("deliver_message", session=session, message_id=message.id)
    return message


def write_message(session: Session, *, recipient: str, language: Language, template: str,
                  payload: dict | None = None, learner: Learner | None = None,
                  secret_fields: tuple[str, ...] = ()) -> Message:
    """The ``message`` row, its ``secret_fields`` shown as ``SECRET_SLOT`` (the caller enqueues
    the delivery job that mints them)."""
    payload = dict(payload or {})
    with force_locale(language.value):
        slot = str(SECRET_SLOT)
    subject, body = render(template, language, {**payload, **{name: slot for name in secret_fields}})
    message = Message(recipient=recipient, language=language, template=template, subject=subject,
                      body=body, payload=payload, learner=learner, status=DeliveryStatus.QUEUED)
    session.add(message)
    session.flush()
    return message


def send_to_learner(session: Session, learner: Learner, template: str, payload: dict | None = None) -> Message:
    """A message to a learner, in the learner's preferred language."""
    payload = {"name": learner.first_name, **(payload or {})}
    return send_message(session, recipient=learner.email, language=learner.preferred_language,
                        template=template, payload=payload, learner=learner)


def already_delivered(message: Message | None) -> bool:
    return message is None or message.status in (DeliveryStatus.SENT, DeliveryStatus.OUTBOX)


def html_body(message: Message, body: str) -> str:
    """The HTML part: the same words as the text part, paragraphs kept and addresses made links."""
    from flask import render_template

    return render_template("email/message.html", message=message, paragraphs=paragraphs(body))


_URL = re.compile(r"(https?://[^\s<>\"]+)")


def paragraphs(body: str) -> list[list[tuple[str, str]]]:
    """The body as paragraphs of lines, each line split into ("text"|"link", value) pieces."""
    result = []
    for block in body.split("\n\n"):
        lines = []
        for line in block.splitlines():
            pieces = [("link" if index % 2 else "text", piece)
                      for index, piece in enumerate(_URL.split(line)) if piece]
            lines.append(pieces)
        result.append(lines)
    return result


def build_email(message: Message, config, body: str | None = None) -> EmailMessage:
    """The e-mail of a message (``body``: the stored one unless given, e.g. with its secrets): text
    and HTML alternatives in the recipient's language, and a Message-ID fixed by the message's id
    (a resend after a crash carries the same one)."""
    body = message.body if body is None else body
    email = EmailMessage()
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    domain = config["MAIL_DEFAULT_SENDER"].rsplit("@", 1)[-1].strip("> ") or "guichet.invalid"
    email["Message-ID"] = f"<guichet-message-{message.id}@{domain}>"
    with force_locale(message.language.value):
        html = html_body(message, body)
    email.set_content(body)
    email.add_alternative(html, subtype="html")
    email["Content-Language"] = message.language.value  # after set_content, which resets Content-* headers
    return email


def deliver(session: Session, message_id: int, secrets: dict | None = None) -> DeliveryStatus:
    """Send one message by SMTP when MAIL_SERVER is set; otherwise write it to the local mail folder.

    ``secrets`` (e.g. ``{"link": ...}``) are payload values that go into the e-mail only: the
    stored message keeps its redacted body. Idempotent: a message already sent or kept is not sent
    again; ``sent`` is committed right after the SMTP server accepted it.
    """
    message = session.get(Message, message_id)
    if already_delivered(message):
        return message.status if message else DeliveryStatus.FAILED
    config = current_app.config
    message.attempts += 1
    body = message.body
    if secrets:
        body = render(message.template, message.language, {**(message.payload or {}), **secrets})[1]
    email = build_email(message, config, body)
    if not config.get("MAIL_SERVER"):
        path = write_to_mail_folder(message, email)
        message.status = DeliveryStatus.OUTBOX
        log.info("e-mail for %s written to %s: %s", message.recipient, path, message.subject)
        session.commit()
        return message.status
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"],
                          timeout=config.get("SMTP_TIMEOUT_SECONDS", 20)) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as exc:
        message.status = DeliveryStatus.FAILED
        message.last_error = str(exc)[:1000]
        session.commit()
        raise
    message.status = DeliveryStatus.SENT
    message.sent_at = utcnow()
    session.commit()
    return message.status


def mail_folder() -> Path:
    configured = current_app.config.get("MAIL_FILE_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "mail"


def write_to_mail_folder(message: Message, email: EmailMessage) -> Path:
    """The embedded mode's mailbox: one ``.eml`` file per e-mail, readable by its owner only."""
    import os

    folder = mail_folder()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    slug = re.sub(r"[^a-z0-9_]+", "-", message.template.lower())[:40]
    path = folder / f"{message.id:08d}-{slug}.eml"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(bytes(email))
    return path


__all__ = ["send_message", "send_to_learner", "write_message", "deliver", "render", "TEMPLATES", "SECRET_SLOT",
           "mail_folder"]
