"""Holidays without class: the Québec statutory holidays and the other holidays partners observe.

The statutory holidays come from the ``holidays`` package (CA, subdivision QC, public category:
Good Friday is there, Easter Monday is not, since the law lets an employer give one or the
other). Schools, cégeps and universities close on both, and on other days the law does not name;
``CLASS_FREE_HOLIDAYS`` (configuration) lists, by their English name in the package, the holidays
of its other categories on which partners give no class (by default Easter Monday). The term's
own closed days (pedagogical days, breaks) are added by the callers from ``TermClosedDate``.

Working days of the service clock stay the statutory ones (``service_clock``): this is about
classes, not about the ministry's service standard.
"""
from __future__ import annotations

import datetime as dt

import holidays
from flask import current_app, has_app_context

DEFAULT_CLASS_FREE_HOLIDAYS = ("Easter Monday",)
OTHER_CATEGORIES = (holidays.GOVERNMENT, holidays.OPTIONAL)


def observed_holiday_names() -> tuple[str, ...]:
    """The configured names of the non-statutory holidays without class."""
    if has_app_context():
        return tuple(current_app.config.get("CLASS_FREE_HOLIDAYS", DEFAULT_CLASS_FREE_HOLIDAYS))
    return DEFAULT_CLASS_FREE_HOLIDAYS


def class_free_holidays(first: dt.date, last: dt.date, *, language: str | None = None,
                        observed: tuple[str, ...] | None = None) -> dict[dt.date, str]:
    """Every holiday without class between ``first`` and ``last``, with its name in ``language``."""
    observed = set(observed_holiday_names() if observed is None else observed)
    years = range(first.year, last.year + 1)
    days = dict(holidays.country_holidays("CA", subdiv="QC", years=years, language=language).items())
    if observed:
        english = holidays.country_holidays("CA", subdiv="QC", years=years, categories=OTHER_CATEGORIES)
        named = holidays.country_holidays("CA", subdiv="QC", years=years, categories=OTHER_CATEGORIES,
                                          language=language)
        for day, names in english.items():
            if day not in days and observed & {name.strip() for name in names.split(";")}:
                days[day] = named.get(day)
    return {day: name for day, name in days.items() if first <= day <= last}


__all__ = ["class_free_holidays", "observed_holiday_names", "DEFAULT_CLASS_FREE_HOLIDAYS"]
