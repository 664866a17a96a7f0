"""Authentication in the web layer: server-side sessions, the staff second factor, rate limits,
the password policy on FAB's own screens.

* At login the session is rotated: the pre-login cookie's content is dropped (the language
  excepted) and a new server-side session is opened (``services.login_sessions``).
* Before every request of a logged-in account, its session must still be open: ended by logout,
  a password change, a deactivation or the help desk, idle too long (staff) or too old, it is
  logged out and sent to the login page with a message saying why.
* A staff account (``services.mfa.required``) reaches nothing but the second-factor pages, the
  language switch and logout until its session has passed the second factor.
* Logins (FAB's limiter on its login view) and the account pages' forms (sign-up, forgotten
  password, new password) and second-factor codes are rate-limited per client address.
"""
from __future__ import annotations

from flask import Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user, user_logged_in, user_logged_out

from .extensions import db
from .models import SessionEnd
from .services import login_sessions, mfa

# What the login page says when a session was ended, by reason.
ENDED = {
    SessionEnd.IDLE: _l("You were logged out after a period of inactivity. Please log in again."),
    SessionEnd.EXPIRED: _l("Your session has ended. Please log in again."),
    SessionEnd.PASSWORD_CHANGED: _l("Your password was changed, so your session has ended. Please log in again."),
    SessionEnd.DEACTIVATED: _l("This account is deactivated. Contact the help desk if you think it is a mistake."),
    SessionEnd.ENDED_BY_SUPPORT: _l("Your session was ended by the help desk. Please log in again."),
    SessionEnd.MFA_RESET: _l("Your second factor was reset. Please log in again to set it up."),
    SessionEnd.LOGOUT: _l("Your session has ended. Please log in again."),
}

# Session keys that survive the rotation at login: Flask-Login's own and the chosen language.
KEPT_AT_LOGIN = ("_user_id", "_fresh", "_id", "locale")
# Endpoints a staff session may reach before passing its second factor.
BEFORE_MFA = {"MfaView.setup", "MfaView.verify", "LocaleView.index"}
UNGUARDED = {"static", "appbuilder.static", "health"}


def login_endpoint() -> str:
    return f"{current_app.appbuilder.sm.auth_view.endpoint}.login"


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _next_for_redirect() -> str | None:
    return request.full_path.rstrip("?") if request.method == "GET" else None


def guard():
    """Before each request: the session must be open, and a staff session must have passed MFA."""
    if request.endpoint in UNGUARDED or request.endpoint is None or not current_user.is_authenticated:
        return None
    user = current_user._get_current_object()
    row = login_sessions.current(db.session)
    reason = login_sessions.why_over(row, user)
    if reason is not None:
        if row is not None:
            login_sessions.end(db.session, row, reason)
        db.session.commit()
        logout_user()
        flash(str(ENDED.get(reason, ENDED[SessionEnd.EXPIRED])), "warning")
        if _wants_json():
            abort(401)
        return redirect(url_for(login_endpoint(), next=_next_for_redirect()))
    if login_sessions.touch(db.session, row):
        db.session.commit()
    if row.mfa_passed_at is None and mfa.required(user):
        logout = f"{current_app.appbuilder.sm.auth_view.endpoint}.logout"
        if request.endpoint in BEFORE_MFA or request.endpoint == logout:
            return None
        if _wants_json():
            abort(401)
        target = "MfaView.verify" if mfa.enrolled(db.session, user) else "MfaView.setup"
        return redirect(url_for(target, next=_next_for_redirect()))
    return None


def _rotate_on_login(sender, user, **extra) -> None:
    """A new server-side session at every login; nothing of the visitor's cookie is carried over
    but Flask-Login's keys and the language."""
    kept = {key: session[key] for key in KEPT_AT_LOGIN if key in session}
    session.clear()
    session.update(kept)
    token = login_sessions.start(db.session, user, ip=request.remote_addr,
                                 user_agent=request.user_agent.string if request.user_agent else None)
    db.session.commit()
    session[login_sessions.SESSION_KEY] = token
    session.permanent = True


def _end_on_logout(sender, user, **extra) -> None:
    """Logout ends this session and every API token of the account (a phone's token included:
    logging out is how a person takes back what their password gave). A session that ended by
    itself (idle, too old) revokes nothing more."""
    row = login_sessions.current(db.session)
    if row is not None and row.ended_at is None:  # a logout asked for (not a session already ended)
        login_sessions.end(db.session, row, SessionEnd.LOGOUT)
        login_sessions.revoke_api_tokens(db.session, row.user_id)
        db.session.commit()
    language = session.get("locale")
    session.clear()
    if language:
        session["locale"] = language


def fab_password_validator(password: str) -> None:
    """FAB's user screens (add a user, reset a password) apply the learners' policy too."""
    from .services.accounts import password_problem

    problem = password_problem(password or "")
    if problem:
        raise PasswordComplexityValidationError(str(problem))


def _limit_forms(app: Flask) -> None:
    """Rate-limit the POSTs of the account pages, of the second factor and of the API's token login
    (per client address)."""
    from .views.accounts import AccountSelfServiceView
    from .views.mfa import MfaView

    from flask_appbuilder.security.api import SecurityApi

    from .security import ResetMyPasswordView
    limiter = app.appbuilder.sm.limiter
    for view in app.appbuilder.baseviews:
        if isinstance(view, (AccountSelfServiceView, MfaView, ResetMyPasswordView)) and view.blueprint is not None:
            limiter.limit(app.config.get("RESET_RATE_LIMIT", "5 per minute"), methods=["POST"])(view.blueprint)
        elif isinstance(view, SecurityApi) and view.blueprint is not None:
            # the API's token login: the same limit as the login form (its refresh is not a guess)
            limiter.limit(lambda: app.config.get("AUTH_RATE_LIMIT", "10 per minute"), methods=["POST"],
                          exempt_when=lambda: request.endpoint != "SecurityApi.login")(view.blueprint)


def init_app(app: Flask) -> None:
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", fab_password_validator)
    login_sessions.install()
    user_logged_in.connect(_rotate_on_login, app)
    user_logged_out.connect(_end_on_logout, app)
    app.before_request(guard)
    _limit_forms(app)

    @app.context_processor
    def staff_flag():
        """Whether the logged-in account uses a second factor (its menu shows the recovery codes)."""
        user = current_user
        return {"current_user_is_staff": bool(user and user.is_authenticated and mfa.required(user))}
