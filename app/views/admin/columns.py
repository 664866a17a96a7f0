"""How a generated screen reads a value: labels common to every model, enums, Yes/No, Montréal time.

A page never shows ``None``, ``__None`` or JSON: ``display_value`` is the one reader of a cell.
"""
from __future__ import annotations

import datetime as dt
import enum

from flask_appbuilder.security.sqla.models import Role
from flask_babel import gettext, lazy_gettext as _l, to_user_timezone
from markupsafe import Markup

from ...i18n import format_clock
from ...models.catalogue import WEEKDAY_LABELS
from ...models.reference import LabelledEnum
from ...models.compliance import Job
from ...services.access import role_label
from ...services.job_monitor import task_label

YES, NO = _l("Yes"), _l("No")


def display_value(value):
    """How a value reads on a list or show page."""
    if value is None:
        return ""  # never "None" on a page
    if isinstance(value, LabelledEnum):
        return value.label
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, dt.datetime):
        # Ours are aware UTC instants; FAB's account columns are naive server times.
        local = to_user_timezone(value) if value.tzinfo else value
        return f"{local.date().isoformat()} {format_clock(local.time())}"
    if isinstance(value, dt.time):
        return format_clock(value)
    if isinstance(value, Role):
        return role_label(value.name)
    if isinstance(value, Job):  # a related job reads by what it does, not by its task key
        return f"{task_label(value.task)} #{value.id}"
    if isinstance(value, list):
        return ", ".join(str(display_value(element)) for element in value)
    if isinstance(value, dict):
        # a structure has a reader of its own on its view (see intake.ApplicationInterface);
        # never JSON on a page
        return "; ".join(gettext("%(what)s: %(answer)s", what=COMMON_LABELS.get(key, str(key).replace("_", " ")),
                                 answer=display_value(item))
                         for key, item in value.items() if item not in (None, "", [], {}))
    return value


def in_language(language: str):
    """A formatter showing a text written in ``language`` marked with it (``lang``)."""
    def formatter(value):
        if value in (None, ""):
            return value
        return Markup('<span lang="{}">{}</span>').format(language, value)
    return formatter


def weekday_label(weekday: int):
    return WEEKDAY_LABELS.get(weekday, weekday)


# Labels of columns whose name means the same thing on every model; views override the rest.
COMMON_LABELS = {
    "id": _l("Number"),
    "courses": _l("Courses"),
    "hours": _l("Hours"),
    "levels": _l("Levels"),
    "year": _l("Year"),
    "payments": _l("Payments"),
    "total": _l("Total"),
    "code": _l("Code"),
    "name": _l("Name"),
    "name_fr": _l("Name (French)"),
    "name_en": _l("Name (English)"),
    "title_fr": _l("Title (French)"),
    "title_en": _l("Title (English)"),
    "description_fr": _l("Description (French)"),
    "description_en": _l("Description (English)"),
    "notes_fr": _l("Notes (French)"),
    "notes_en": _l("Notes (English)"),
    "note_fr": _l("Note (French)"),
    "note_en": _l("Note (English)"),
    "reason_fr": _l("Reason (French)"),
    "reason_en": _l("Reason (English)"),
    "bio_fr": _l("Biography (French)"),
    "bio_en": _l("Biography (English)"),
    "accessibility_notes_fr": _l("Accessibility notes (French)"),
    "accessibility_notes_en": _l("Accessibility notes (English)"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "email": _l("E-mail"),
    "phone": _l("Telephone"),
    "address": _l("Address"),
    "city": _l("City"),
    "postal_code": _l("Postal code"),
    "region": _l("Region"),
    "partner": _l("Partner"),
    "site": _l("Site"),
    "teacher": _l("Teacher"),
    "course": _l("Course"),
    "term": _l("Term"),
    "section": _l("Group"),
    "learner": _l("Learner"),
    "enrolment": _l("Enrolment"),
    "enterprise": _l("Enterprise"),
    "application": _l("Application"),
    "user": _l("Account"),
    "field": _l("Field"),
    "format": _l("Format"),
    "level": _l("Level"),
    "level_min": _l("Lowest level"),
    "level_max": _l("Highest level"),
    "skill": _l("Skill"),
    "status": _l("Status"),
    "active": _l("Active"),
    "created_at": _l("Created"),
    "starts_on": _l("Starts on"),
    "ends_on": _l("Ends on"),
    "starts_at": _l("Starts at"),
    "ends_at": _l("Ends at"),
    "weekday": _l("Day of the week"),
    "job_title": _l("Job title"),
    "amount": _l("Amount ($)"),
    "reason": _l("Reason"),
    "note": _l("Note"),
    "body": _l("Text"),
    "language": _l("Language"),
    "at": _l("When"),
    "type": _l("Type"),
}
