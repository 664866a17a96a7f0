"""The fields the APIs share, defined once: a section, its meetings, an amount of money, a page.

Each API keeps its own component schemas (their names are part of the published spec); they
inherit these fields instead of repeating them.
"""
from __future__ import annotations

from marshmallow import Schema, fields

from ..models import Meeting, Section

LOCAL_TIME = "local time, HH:MM (America/Montreal)"


class MeetingTimeSchema(Schema):
    """When a section meets: an ISO weekday and local start and end times."""

    weekday = fields.Integer(metadata={"description": "ISO weekday (Monday = 1)"})
    starts_at = fields.String(metadata={"description": LOCAL_TIME})
    ends_at = fields.String(metadata={"description": LOCAL_TIME})


def meeting_time(meeting: Meeting) -> dict:
    return {"weekday": meeting.weekday, "starts_at": meeting.starts_at.strftime("%H:%M"),
            "ends_at": meeting.ends_at.strftime("%H:%M")}


class SectionBaseSchema(Schema):
    """What identifies a section and when it runs."""

    id = fields.Integer()
    code = fields.String()
    delivery = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()


def section_base(section: Section) -> dict:
    return {"id": section.id, "code": section.code, "delivery": section.delivery.value,
            "starts_on": section.starts_on, "ends_on": section.ends_on}


# Amounts and hours are exact decimals: sent as strings with two places, and the OpenAPI spec
# says so (apispec would otherwise call a Decimal field a number).
DECIMAL_STRING = {"type": "string", "format": "decimal", "pattern": r"^-?\d+\.\d{2}$"}
MONEY_DESCRIPTION = "amount in Canadian dollars, a decimal string, e.g. \"230.00\""


def decimal_string(description: str | None = None) -> fields.Decimal:
    metadata = {**DECIMAL_STRING, **({"description": description} if description else {})}
    return fields.Decimal(as_string=True, places=2, metadata=metadata)


def money() -> fields.Decimal:
    """An amount in Canadian dollars (a ``Decimal``, sent as a string with two places)."""
    return decimal_string(MONEY_DESCRIPTION)


class PageSchema(Schema):
    """One page of a learner's list; a subclass adds ``result``, the rows of the page."""

    count = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
