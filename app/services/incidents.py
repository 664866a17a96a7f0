"""The Law 25 register of confidentiality incidents: what an entry must say, and how long it is kept.

An entry is kept five years from the day the incident was discovered (``keep_until`` is computed,
never typed); the retention job purges the entries past that day, and only those.
"""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import AuditEvent, Incident
from .refusals import Refusal

KEEP_YEARS = 5

REFUSALS = {
    "discovered_missing": _l("Enter the day the incident was discovered."),
    "discovered_in_future": _l("The incident cannot be discovered after today (%(today)s)."),
    "occurred_after_discovery": _l("The incident cannot have occurred after the day it was discovered "
                                   "(%(discovered)s)."),
    "people_negative": _l("The number of people affected cannot be negative (0 when it is not known yet)."),
}


class IncidentRefused(Refusal):
    """An incident entry the register does not accept; ``message`` is translated when read."""

    MESSAGES = REFUSALS


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (29 February becomes 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def keep_until_for(discovered_on: dt.date) -> dt.date:
    """The last day an entry is kept: five years after the incident was discovered."""
    return add_years(discovered_on, KEEP_YEARS)


def discovery_refusal(discovered_on: dt.date | None, today: dt.date) -> IncidentRefused | None:
    if discovered_on is None:
        return IncidentRefused("discovered_missing")
    if discovered_on > today:
        return IncidentRefused("discovered_in_future", today=today.isoformat())
    return None


def occurrence_refusal(occurred_on: dt.date | None, discovered_on: dt.date | None) -> IncidentRefused | None:
    if occurred_on is not None and discovered_on is not None and occurred_on > discovered_on:
        return IncidentRefused("occurred_after_discovery", discovered=discovered_on.isoformat())
    return None


def people_refusal(people_affected: int | None) -> IncidentRefused | None:
    if people_affected is not None and people_affected < 0:
        return IncidentRefused("people_negative")
    return None


def prepare_incident(incident: Incident, today: dt.date) -> Incident:
    """Check an entry (``IncidentRefused`` on the first broken rule) and set the day it is kept until."""
    for refusal in (discovery_refusal(incident.discovered_on, today),
                    occurrence_refusal(incident.occurred_on, incident.discovered_on),
                    people_refusal(incident.people_affected)):
        if refusal is not None:
            raise refusal
    incident.keep_until = keep_until_for(incident.discovered_on)
    return incident


def purge_expired_incidents(session: Session, today: dt.date, *, dry_run: bool = False) -> int:
    """Delete the entries whose keeping period ended before ``today``; returns how many (audited)."""
    expired = Incident.keep_until < today
    count = session.scalar(select(func.count()).select_from(Incident).where(expired)) or 0
    if count and not dry_run:
        session.execute(delete(Incident).where(expired))
        session.add(AuditEvent(action="retention.purge_incidents", object_type="Incident",
                               changes={"deleted": count, "kept_until_before": today.isoformat()}))
    return count
