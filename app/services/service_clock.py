"""The service clock: working days from a complete application to the first course.

The standard promises a first course within 50 working days of a complete application. Working
days are Monday to Friday except the Québec statutory holidays of the ``holidays`` package
(country CA, subdivision QC, observed days included).

Convention: ``working_days_between(start, end)`` counts the working days ``d`` with
``start < d <= end`` — the day the file becomes complete is day 0, the next working day is day 1,
and a first course on that next working day is 1 day of service. An ``end`` on or before ``start``
counts 0.

The clock is computed twice, both ways agreeing day for day: in Python for one file
(:func:`service_days`) and in SQL for the queue and the reports (:func:`working_days_sql`,
:func:`service_days_sql`), on PostgreSQL and SQLite alike. Both count weekdays arithmetically
from day numbers and subtract the weekday holidays in between; the SQL form carries the holidays
of the years it covers inline, generated from the same package.
"""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Integer, case, func, literal, null
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

from ..models import Application

MONTREAL = ZoneInfo("America/Montreal")
STANDARD_WORKING_DAYS = 50
AT_RISK_FROM = 40  # working days elapsed from which a file still waiting is flagged
# Day numbers count from this Monday; every date the service handles is later.
EPOCH = dt.date(1900, 1, 1)
# Years covered by the holiday calendar inlined in SQL when the caller names none.
SQL_CALENDAR_FIRST_YEAR = 2015
SQL_CALENDAR_YEARS_AHEAD = 3


class ClockStatus(str, enum.Enum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    LATE = "late"

    @property
    def label(self):
        return CLOCK_LABELS[self]

    def __str__(self) -> str:
        return str(self.label)


CLOCK_LABELS = {
    ClockStatus.ON_TRACK: _l("On track"),
    ClockStatus.AT_RISK: _l("At risk"),
    ClockStatus.LATE: _l("Late"),
}


# --- Python: one file ---------------------------------------------------------------------------

@lru_cache(maxsize=64)
def weekday_holidays(year: int) -> frozenset[dt.date]:
    """The Québec statutory holidays of ``year`` that fall on a weekday (observed days included)."""
    quebec = holidays.country_holidays("CA", subdiv="QC", years=year)
    return frozenset(day for day in quebec if day.year == year and day.isoweekday() <= 5)


def is_working_day(day: dt.date) -> bool:
    return day.isoweekday() <= 5 and day not in weekday_holidays(day.year)


def _weekdays_before(day_number: int) -> int:
    """Monday-to-Friday days among day numbers 0 .. day_number - 1 (day 0 is a Monday)."""
    weeks, rest = divmod(day_number, 7)
    return 5 * weeks + min(rest, 5)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days ``d`` with ``start < d <= end`` (0 when ``end <= start``)."""
    if end <= start:
        return 0
    s, e = (start - EPOCH).days, (end - EPOCH).days
    weekdays = _weekdays_before(e + 1) - _weekdays_before(s + 1)
    days_off = sum(1 for year in range(start.year, end.year + 1)
                   for day in weekday_holidays(year) if start < day <= end)
    return weekdays - days_off


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The day on which ``working_days_between(start, day)`` first reaches ``count`` (count >= 1)."""
    day = start
    while count > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def local_date(instant: dt.datetime) -> dt.date:
    """The Montréal calendar day of an aware instant."""
    return instant.astimezone(MONTREAL).date()


def montreal_today() -> dt.date:
    return dt.datetime.now(MONTREAL).date()


def clock_status(days: int) -> ClockStatus:
    if days > STANDARD_WORKING_DAYS:
        return ClockStatus.LATE
    if days >= AT_RISK_FROM:
        return ClockStatus.AT_RISK
    return ClockStatus.ON_TRACK


@dataclass(frozen=True)
class ServiceClock:
    """Where one file stands against the standard."""

    days: int
    waiting: bool  # no first course yet: the clock runs to today
    standard: int = STANDARD_WORKING_DAYS

    @property
    def status(self) -> ClockStatus:
        return clock_status(self.days)

    @property
    def remaining(self) -> int:
        """Working days left before the standard is missed (negative once late)."""
        return self.standard - self.days


def service_days(application: Application, today: dt.date | None = None) -> int | None:
    """Working days from the complete application to the first course, or to ``today`` while waiting.

    None while the application is not complete.
    """
    if application.complete_at is None:
        return None
    end = application.first_course_at or today or montreal_today()
    return working_days_between(local_date(application.complete_at), end)


def service_clock(application: Application, today: dt.date | None = None) -> ServiceClock | None:
    days = service_days(application, today)
    if days is None:
        return None
    return ServiceClock(days=days, waiting=application.first_course_at is None)


# --- SQL: the queue and the reports -------------------------------------------------------------
#
# One expression for both engines: a correlated scalar subquery turns the two dates into day
# numbers once (``qc_span.s``, ``qc_span.e``), counts weekdays with integer arithmetic, and counts
# the weekday holidays up to each day with a balanced CASE tree over the sorted holiday numbers
# (a few comparisons per row instead of a scan of the calendar). Only the conversion of a date or
# timestamp into a day number is written per engine.

class day_number(FunctionElement):
    """Days from EPOCH to a date (or to the day of a naive timestamp) as an integer."""

    type = Integer()
    name = "day_number"
    inherit_cache = True


@compiles(day_number, "postgresql")
def _day_number_pg(element, compiler, **kw):
    return f"(CAST({compiler.process(element.clauses, **kw)} AS DATE) - DATE '{EPOCH.isoformat()}')"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    # julianday() of two midnights differs by an exact whole number.
    return (f"CAST(julianday(date({compiler.process(element.clauses, **kw)})) "
            f"- julianday('{EPOCH.isoformat()}') AS INTEGER)")


class montreal_date(FunctionElement):
    """The Montréal calendar day of a UTC timestamp column."""

    type = Date()
    name = "montreal_date"
    inherit_cache = True


@compiles(montreal_date, "postgresql")
def _montreal_date_pg(element, compiler, **kw):
    return f"CAST(timezone('{MONTREAL.key}', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(montreal_date, "sqlite")
def _montreal_date_sqlite(element, compiler, **kw):
    # SQLite has no time-zone database: instants are stored as UTC text, and the offset is that of
    # the North American rule in force in Québec since 2007 (EDT, UTC-4, from the second Sunday of
    # March 07:00 UTC to the first Sunday of November 06:00 UTC; EST, UTC-5, otherwise).
    ts = compiler.process(element.clauses, **kw)
    year = f"strftime('%Y', {ts})"
    return (f"date({ts}, CASE WHEN {ts} >= datetime({year} || '-03-01', 'weekday 0', '+7 days', '+7 hours') "
            f"AND {ts} < datetime({year} || '-11-01', 'weekday 0', '+6 hours') "
            f"THEN '-4 hours' ELSE '-5 hours' END)")


class working_days(ColumnElement):
    """SQL ``working_days_between(start, end)`` given the day numbers of the weekday holidays."""

    type = Integer()
    inherit_cache = True
    _traverse_internals = [("start", InternalTraversal.dp_clauseelement),
                           ("end", InternalTraversal.dp_clauseelement),
                           ("holidays", InternalTraversal.dp_plain_obj)]

    def __init__(self, start: ColumnElement, end: ColumnElement, holidays: tuple[int, ...]):
        self.start, self.end, self.holidays = start, end, holidays

    @property
    def _from_objects(self):
        # The tables of the two dates belong to the enclosing query, not to the subquery.
        return [*self.start._from_objects, *self.end._from_objects]


def _weekdays_before_text(n: str) -> str:
    """SQL of :func:`_weekdays_before` for a non-negative integer ``n`` (integer division)."""
    rest = f"({n} - 7 * (({n}) / 7))"  # n mod 7 without '%', which some drivers reserve
    return f"(5 * (({n}) / 7) + CASE WHEN {rest} > 5 THEN 5 ELSE {rest} END)"


def _holidays_through_text(n: str, numbers: tuple[int, ...], lo: int = 0, hi: int | None = None) -> str:
    """SQL counting the ``numbers`` (sorted) that are <= ``n``: a binary search as nested CASEs."""
    hi = len(numbers) if hi is None else hi
    if lo == hi:
        return str(lo)
    mid = (lo + hi) // 2
    return (f"CASE WHEN {n} < {numbers[mid]} THEN {_holidays_through_text(n, numbers, lo, mid)} "
            f"ELSE {_holidays_through_text(n, numbers, mid + 1, hi)} END")


@compiles(working_days)
def _compile_working_days(element, compiler, **kw):
    start = compiler.process(day_number(element.start), **kw)
    end = compiler.process(day_number(element.end), **kw)
    s, e = "qc_span.s", "qc_span.e"
    weekdays = f"{_weekdays_before_text(f'{e} + 1')} - {_weekdays_before_text(f'{s} + 1')}"
    days_off = f"({_holidays_through_text(e, element.holidays)}) - ({_holidays_through_text(s, element.holidays)})"
    # only compiled SQL expressions and integers from the holiday calendar are interpolated: no user input
    return (f"(SELECT CASE WHEN {s} IS NULL OR {e} IS NULL THEN NULL WHEN {e} <= {s} THEN 0 "  # nosec B608 - no user input
            f"ELSE {weekdays} - ({days_off}) END FROM (SELECT {start} AS s, {end} AS e) AS qc_span)")


def sql_calendar_years(today: dt.date | None = None) -> range:
    today = today or montreal_today()
    return range(SQL_CALENDAR_FIRST_YEAR, today.year + SQL_CALENDAR_YEARS_AHEAD + 1)


def holiday_numbers(years: range) -> tuple[int, ...]:
    """The day numbers of the weekday Québec holidays of ``years``, sorted."""
    return tuple(sorted((day - EPOCH).days for year in years for day in weekday_holidays(year)))


def working_days_sql(start, end, years: range | None = None) -> ColumnElement:
    """SQL expression of ``working_days_between(start, end)`` (NULL when either side is NULL).

    ``start`` and ``end`` are date-valued SQL expressions (or Python dates), on or after 1900.
    The holidays are those of ``years`` (by default 2015 to three years ahead of today): a holiday
    outside them would be counted as a working day, so a report reaching further names its years.
    """
    start = start if isinstance(start, ColumnElement) else literal(start, Date)
    end = end if isinstance(end, ColumnElement) else literal(end, Date)
    return working_days(start, end, holiday_numbers(years or sql_calendar_years()))


def service_days_sql(today: dt.date | None = None, years: range | None = None) -> ColumnElement:
    """SQL expression of :func:`service_days` for the ``application`` rows of a query."""
    today = today or montreal_today()
    return working_days_sql(montreal_date(Application.complete_at),
                            func.coalesce(Application.first_course_at, literal(today, Date)),
                            years or sql_calendar_years(today))


def clock_status_sql(days: ColumnElement) -> ColumnElement:
    """SQL expression of :func:`clock_status`: the status code, NULL for NULL days."""
    return case((days.is_(None), null()),
                (days > STANDARD_WORKING_DAYS, ClockStatus.LATE.value),
                (days >= AT_RISK_FROM, ClockStatus.AT_RISK.value),
                else_=ClockStatus.ON_TRACK.value)
