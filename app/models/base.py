"""Column types and helpers shared by every domain module."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import DateTime, Numeric, TypeDecorator


class UTCDateTime(TypeDecorator):
    """A timezone-aware instant stored in UTC; SQLite gives it back aware too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def Money():
    """Amounts in dollars, two decimals, never floats."""
    return Numeric(10, 2, asdecimal=True)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def current_language() -> str:
    """The active UI language ('fr' or 'en'); French outside a request."""
    try:
        from flask_babel import get_locale

        loc = get_locale()
    except Exception:  # no app or request context: French, the default language
        loc = None
    return "en" if loc is not None and loc.language == "en" else "fr"


def localized(fr: str | None, en: str | None) -> str:
    """Pick the French or English text of a bilingual record for the active language."""
    if current_language() == "en" and en:
        return en
    return fr or en or ""


ZERO = Decimal("0.00")
