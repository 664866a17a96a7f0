"""Days and times of the demo: Québec working days, local instants, class hours."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import holidays

MONTREAL = ZoneInfo("America/Montreal")
UTC = dt.UTC
CENT = Decimal("0.01")
WEEK = dt.timedelta(days=7)


class Calendar:
    """Working days in Québec (weekends and statutory holidays excluded) and local timestamps."""

    def __init__(self) -> None:
        self.holidays = holidays.country_holidays("CA", subdiv="QC")

    def is_working_day(self, day: dt.date) -> bool:
        return day.isoweekday() <= 5 and day not in self.holidays

    def shift(self, day: dt.date, working_days: int) -> dt.date:
        """The day ``working_days`` working days after (or, negative, before) ``day``."""
        step = 1 if working_days >= 0 else -1
        remaining = abs(working_days)
        while remaining:
            day += dt.timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_day_on_or_before(self, day: dt.date) -> dt.date:
        while not self.is_working_day(day):
            day -= dt.timedelta(days=1)
        return day

    @staticmethod
    def at(day: dt.date, minutes: int) -> dt.datetime:
        """A local time of day (minutes after midnight, Montréal) as an aware UTC instant."""
        return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=MONTREAL).astimezone(UTC)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.isoweekday() - 1)


def hours_between(start: dt.time, end: dt.time) -> Decimal:
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return (Decimal(minutes) / Decimal(60)).quantize(CENT)


def clock(text: str) -> dt.time:
    """``"18:30"`` as a time of day."""
    hour, minute = text.split(":")
    return dt.time(int(hour), int(minute))
