"""Language selection: the user's explicit choice, then the saved preference, then the browser's
Accept-Language, French by default.

FAB picks the locale from ``/lang/<code>`` (stored in the session) only; we also save that
choice on the account, restore it at login, and honour ``Accept-Language`` for visitors.
"""
from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_babel, refresh
from flask_login import current_user, user_logged_in

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
    from .models import UserPreference

    if user is None or not getattr(user, "is_authenticated", False):
        return None
    pref = db.session.get(UserPreference, user.id)
    return pref.language.value if pref else None


def save_language(user_id: int, code: str) -> None:
    """Remember a user's interface language on the account."""
    from .models import Language, UserPreference

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


def init_app(app: Flask) -> None:
    get_babel(app).locale_selector = select_locale
    app.after_request(_after_request)
    user_logged_in.connect(_restore_on_login, app)

    @app.context_processor
    def inject_language():
        from .models.base import current_language

        return {"current_language": current_language()}
