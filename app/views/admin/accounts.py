"""Accounts as the help desk sees them: identity and account state, nothing of the file."""
from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l

from ...models import AccountSecurity, UserSession
from .base import ReadOnlyModelView
from .interface import GuichetInterface


class AccountView(ReadOnlyModelView):
    """Read-only: who the account is and whether it can log in (never grades, money or documents)."""

    datamodel = GuichetInterface(User)
    list_title = _l("Accounts")
    record_name = _l("account")
    label_columns = {
        "username": _l("User name"),
        "active": _l("Active"),
        "last_login": _l("Last login"),
        "login_count": _l("Logins"),
        "fail_login_count": _l("Failed logins in a row"),
        "created_on": _l("Created"),
        "changed_on": _l("Changed"),
        "roles": _l("Roles"),
    }
    list_columns = ["username", "first_name", "last_name", "email", "active", "last_login", "fail_login_count"]
    search_columns = ["username", "first_name", "last_name", "email", "active"]
    show_columns = ["username", "first_name", "last_name", "email", "active", "roles", "last_login", "login_count",
                    "fail_login_count", "created_on", "changed_on"]
    base_order = ("username", "asc")


class LoginSessionView(ReadOnlyModelView):
    """Who is logged in where, and how each session ended (the secret itself is never shown)."""

    datamodel = GuichetInterface(UserSession)
    list_title = _l("Login sessions")
    record_name = _l("login session")
    label_columns = {
        "user": _l("Account"),
        "created_at": _l("Logged in"),
        "last_seen_at": _l("Last activity"),
        "mfa_passed_at": _l("Second factor passed"),
        "ended_at": _l("Ended"),
        "end_reason": _l("Why it ended"),
        "ip": _l("IP address"),
        "user_agent": _l("Browser"),
    }
    list_columns = ["user", "created_at", "last_seen_at", "ended_at", "end_reason", "ip"]
    show_columns = ["user", "created_at", "last_seen_at", "mfa_passed_at", "ended_at", "end_reason", "ip",
                    "user_agent"]
    search_columns = ["created_at", "ended_at", "end_reason", "ip"]
    base_order = ("created_at", "desc")


class AccountSecurityView(ReadOnlyModelView):
    """Lockout and second-factor state of the accounts (never the secret)."""

    datamodel = GuichetInterface(AccountSecurity)
    list_title = _l("Lockout and second factor")
    record_name = _l("account security")
    label_columns = {
        "user": _l("Account"),
        "failed_logins": _l("Failed attempts counted"),
        "locked_until": _l("Locked until"),
        "totp_enabled_at": _l("Second factor set up"),
    }
    list_columns = ["user", "failed_logins", "locked_until", "totp_enabled_at"]
    show_columns = list_columns
    search_columns = ["locked_until", "totp_enabled_at"]
    base_order = ("locked_until", "desc")


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(AccountView, "Accounts", label=_l("Accounts"), icon="fa-user-circle",
                        category="Support", category_label=_l("Support"), category_icon="fa-life-ring")
    appbuilder.add_view(LoginSessionView, "Login sessions", label=_l("Login sessions"), icon="fa-sign-in",
                        category="Support")
    appbuilder.add_view(AccountSecurityView, "Lockout and second factor", label=_l("Lockout and second factor"),
                        icon="fa-lock", category="Support")
