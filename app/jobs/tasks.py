"""Job tasks: thin wrappers that call a service with the job's own session.

Every task may run more than once (a worker killed mid-job, a retry); each says how a second run
changes nothing that the first one did (docs/ARCHITECTURE.md, "Jobs").
"""
from __future__ import annotations

from ..extensions import db
from ..services import messaging
from .registry import task


@task("deliver_message")
def deliver_message(message_id: int) -> dict:
    """Idempotent: a message already sent (or kept in the outbox) is not sent again."""
    status = messaging.deliver(db.session, message_id)
    return {"status": status.value}


@task("deliver_account_link")
def deliver_account_link(message_id: int, user_id: int, purpose: str, link_template: str) -> dict:
    """Mint the account link's token and deliver the message. Idempotent: a message already sent
    is not sent again."""
    from ..models import TokenPurpose
    from ..services.accounts import deliver_account_link as deliver

    status = deliver(db.session, message_id, user_id, TokenPurpose(purpose), link_template)
    return {"status": status.value if status else None}


@task("send_password_reset")
def send_password_reset(email: str, links: dict, language: str) -> None:
    """The job behind ``request_password_reset``; it records nothing about the outcome."""
    from ..models import Language
    from ..services.accounts import Links
    from ..services.accounts import send_password_reset as send

    send(db.session, email, Links(**links), Language(language))
    db.session.commit()


@task("deliver_invitation")
def deliver_invitation(message_id: int, enterprise_id: int, email: str, link_template: str) -> dict:
    """Mint a business invitation's token and deliver it. Idempotent: a message already sent is
    not sent again."""
    from ..services.enterprises import deliver_invitation as deliver

    status = deliver(db.session, message_id, enterprise_id, email, link_template)
    return {"status": status.value if status else None}


@task("expire_offers")
def expire_offers(as_of: str | None = None) -> dict:
    """Expire the offers due at ``as_of`` (the time the job was scheduled for) or earlier.
    Idempotent: an expired offer is no longer an offer, so a second run finds nothing to expire."""
    import datetime as dt

    from ..models.base import utcnow
    from ..services.enrolment import expire_offers as expire

    now = max(utcnow(), dt.datetime.fromisoformat(as_of)) if as_of else utcnow()
    expired = expire(db.session, now=now)
    db.session.commit()
    return {"expired": expired}


@task("build_payment_batch")
def build_payment_batch(week: str, paid_on: str | None = None) -> dict:
    """The weekly payment batch: compute the week's allowances, then pay what is owed up to its end.
    Idempotent: computing updates the week's rows in place and only unpaid rows are paid (locked
    while paid), so a second run pays nothing twice."""
    import datetime as dt

    from ..services.allowances import run_weekly_batch, week_of

    result = run_weekly_batch(db.session, week_of(dt.date.fromisoformat(week)),
                              dt.date.fromisoformat(paid_on) if paid_on else dt.date.today())
    db.session.commit()
    return result


@task("run_retention")
def run_retention(today: str | None = None, dry_run: bool = False) -> dict:
    """Law 25 retention: anonymise the learner files closed for long enough, purge expired incidents.
    Idempotent: an anonymised file no longer matches, a purged incident is gone."""
    import datetime as dt

    from flask import current_app

    from ..services.retention import anonymise_closed_files
    from ..services.service_clock import montreal_today

    day = dt.date.fromisoformat(today) if today else montreal_today()
    summary = anonymise_closed_files(db.session, day, current_app.config["RETENTION_YEARS_AFTER_CLOSE"],
                                     dry_run=dry_run)
    db.session.commit()
    return summary.as_dict()


@task("export_indicators")
def export_indicators(run_id: int) -> dict:
    """Write the indicator export of a report run (its progress moves as the indicators come)."""
    from ..services.report_exports import run_export

    return run_export(db.session, run_id)


@task("send_class_start_reminders")
def send_class_start_reminders(today: str | None = None) -> dict:
    """Reminders a few days before the first class. Idempotent: each registration's ``reminded_at``
    is set with its message in one transaction, and only unreminded registrations are taken."""
    import datetime as dt

    from flask import current_app

    from ..services.reminders import send_class_start_reminders as remind
    from ..services.service_clock import montreal_today

    day = dt.date.fromisoformat(today) if today else montreal_today()
    sent = remind(db.session, day, current_app.config["REMINDER_DAYS_BEFORE_START"])
    db.session.commit()
    return {"reminded": sent}


@task("purge_expired")
def purge_expired(now: str | None = None) -> dict:
    """Delete used/expired account links, old sessions and old finished jobs. Idempotent: deleting
    what is already deleted deletes nothing."""
    import datetime as dt

    from flask import current_app

    from ..models.base import utcnow
    from ..services.purge import purge_expired as purge

    moment = dt.datetime.fromisoformat(now) if now else utcnow()
    counts = purge(db.session, moment, current_app.config["SESSION_KEEP_DAYS"])
    db.session.commit()
    return counts
