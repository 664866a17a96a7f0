"""Accounts as the help desk sees them: identity and account state, nothing of the file."""
from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l

from .base import GuichetInterface, ReadOnlyModelView


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


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(AccountView, "Accounts", label=_l("Accounts"), icon="fa-user-circle",
                        category="Support", category_label=_l("Support"), category_icon="fa-life-ring")
