"""Language selection: the user's explicit choice, then the saved preference, then the browser's
Accept-Language, French by default.

FAB picks the locale from ``/lang/<code>`` (stored in the session) only; we also save that
choice on the account, restore it at login, and honour ``Accept-Language`` for visitors.
"""
from __future__ import annotations

import datetime as dt
import re

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Domain, format_date, format_time, get_babel, get_locale, refresh
from flask_login import current_user, user_logged_in
from jinja2 import pass_context
from markupsafe import Markup

from .extensions import db

SWITCH_ENDPOINT = "LocaleView.index"
# Session flag: this account has no saved language (the login rotation drops it with the rest).
NO_SAVED_LANGUAGE = "no_saved_language"


def supported_languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """The locale of this request, in order: ?_l_ (FAB API), session, saved preference, browser."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    languages = supported_languages()
    explicit = request.args.get("_l_")
    if explicit in languages:
        return explicit
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if not session.get(NO_SAVED_LANGUAGE):
        saved = saved_language(current_user)
        if saved:
            session["locale"] = saved
            return saved
        if current_user.is_authenticated:
            session[NO_SAVED_LANGUAGE] = True  # asked once per login, not at every request
    return request.accept_languages.best_match(languages) or default


def saved_language(user) -> str | None:
    """The interface language saved on ``user``'s account, if any."""
    from .models.people import UserPreference

    if user is None or not getattr(user, "is_authenticated", False):
        return None
    pref = db.session.get(UserPreference, user.id)
    return pref.language.value if pref else None


def save_language(user_id: int, code: str) -> None:
    """Remember a user's interface language on the account."""
    from .models.people import UserPreference
    from .models.reference import Language

    pref = db.session.get(UserPreference, user_id)
    if pref is None:
        pref = UserPreference(user_id=user_id)
        db.session.add(pref)
    pref.language = Language(code)
    db.session.commit()


def _after_request(response):
    """Save a /lang/<code> switch on the logged-in account; tell caches the page follows the
    browser's language."""
    if request.endpoint == SWITCH_ENDPOINT and response.status_code in (301, 302):
        code = (request.view_args or {}).get("locale")
        if code in supported_languages() and current_user.is_authenticated:
            save_language(current_user.id, code)
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
    return response


def _restore_on_login(sender, user, **extra) -> None:
    """At login, the saved language wins; a choice made before logging in is saved when the
    account has none yet."""
    saved = saved_language(user)
    if saved:
        session["locale"] = saved
        refresh()
    elif session.get("locale") in supported_languages():
        save_language(user.id, session["locale"])


# --- wording that depends on the language -----------------------------------------------------------

# French elides "de" before a vowel or a mute h: "le compte de Amélie" reads "le compte d’Amélie".
# A translator writes "de %(name)s"; the name is known only when the message is formatted.
_ELIDABLE_DE = re.compile(r"\b([Dd])e (?=[AEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒHaeiouyàâäéèêëîïôöùûüœh])")


def french_elisions(text: str) -> str:
    """``text`` with "de" elided before a word starting with a vowel or an h ("d’Amélie")."""
    return _ELIDABLE_DE.sub("\\1’", text)


def _elided(text):
    if not text or "de " not in text or not _speaking_french():
        return text
    elided = french_elisions(str(text))
    return Markup(elided) if isinstance(text, Markup) else elided  # nosec B704 - was safe markup; "de " -> "d’" only


def _speaking_french() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "fr"


class ElidingDomain(Domain):
    """The message domain, with French elisions applied once a message's parameters are in."""

    def gettext(self, string, **variables):
        text = super().gettext(string, **variables)
        return _elided(text) if variables else text

    def ngettext(self, singular, plural, num, **variables):
        return _elided(super().ngettext(singular, plural, num, **variables))


def _eliding_jinja_callable(original):
    @pass_context
    def translate(context, *args, **variables):
        text = original(context, *args, **variables)
        return _elided(text) if variables else text

    return translate


# One way to write a time per language: "13 h 30" in French (Office québécois de la langue
# française), "1:30 PM" in English; a date and a time together read "2 déc. 2026 à 13 h 30".
TIME_PATTERNS = {"fr": "H 'h' mm", "en": "h:mm a"}


def format_clock(value: dt.time | dt.datetime | None) -> str:
    """A time of day (or the time of an instant, in the user's time zone) as the language writes it."""
    if value is None:
        return ""
    if not has_request_context():
        return f"{value:%H:%M}"  # outside a page (a log, a shell): no language to follow
    locale = get_locale()
    return format_time(value, TIME_PATTERNS.get(locale.language if locale else "fr", "short"))


def format_moment(value: dt.datetime | None, date_format: str = "medium") -> str:
    """A date and a time: the date in ``date_format``, the time as ``format_clock`` writes it."""
    if value is None:
        return ""
    from flask_babel import gettext, to_user_timezone

    local = to_user_timezone(value) if value.tzinfo else value
    return gettext("%(date)s at %(time)s", date=format_date(local.date(), date_format),
                   time=format_clock(local.time()))


def format_size(size: int | None) -> str:
    """A file size in the page's language ("626 octets", "12 ko" / "626 bytes", "12 KB")."""
    from .services.document_store import human_size

    return "" if size is None else human_size(size)


def init_app(app: Flask) -> None:
    get_babel(app).locale_selector = select_locale
    babel = app.extensions["babel"].instance
    babel.__dict__["domain_instance"] = ElidingDomain(domain=babel.domain)
    for name in ("gettext", "_", "ngettext"):
        if name in app.jinja_env.globals:
            app.jinja_env.globals[name] = _eliding_jinja_callable(app.jinja_env.globals[name])
    app.jinja_env.filters.update(datetimeformat=lambda value, format="medium": format_moment(value, format),
                                 timeformat=lambda value, format=None: format_clock(value),
                                 clock=format_clock, filesize=format_size)
    app.after_request(_after_request)
    user_logged_in.connect(_restore_on_login, app)

    @app.context_processor
    def inject_language():
        from .models.base import current_language

        return {"current_language": current_language()}
