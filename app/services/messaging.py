"""Messages to people: rendered in the recipient's language, delivered by a job after commit."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, lazy_gettext as _l
from sqlalchemy.orm import Session

from ..models import DeliveryStatus, Language, Learner, Message
from ..models.base import utcnow

log = logging.getLogger(__name__)

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

    payload = dict(payload or {})
    subject, body = render(template, language, payload)
    message = Message(recipient=recipient, language=language, template=template, subject=subject,
                      body=body, payload=payload, learner=learner, status=DeliveryStatus.QUEUED)
    session.add(message)
    session.flush()
    enqueue("deliver_message", session=session, message_id=message.id)
    return message


def send_to_learner(session: Session, learner: Learner, template: str, payload: dict | None = None) -> Message:
    """A message to a learner, in the learner's preferred language."""
    payload = {"name": learner.first_name, **(payload or {})}
    return send_message(session, recipient=learner.email, language=learner.preferred_language,
                        template=template, payload=payload, learner=learner)


def deliver(session: Session, message_id: int) -> DeliveryStatus:
    """Send one message by SMTP when MAIL_SERVER is set; otherwise keep it in the outbox."""
    message = session.get(Message, message_id)
    if message is None or message.status in (DeliveryStatus.SENT, DeliveryStatus.OUTBOX):
        return message.status if message else DeliveryStatus.FAILED
    config = current_app.config
    message.attempts += 1
    if not config.get("MAIL_SERVER"):
        message.status = DeliveryStatus.OUTBOX
        log.info("e-mail kept in the outbox for %s: %s", message.recipient, message.subject)
        session.commit()
        return message.status
    email = EmailMessage()
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    email["Content-Language"] = message.language.value  # after set_content, which resets Content-* headers
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
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


__all__ = ["send_message", "send_to_learner", "deliver", "render", "TEMPLATES"]
