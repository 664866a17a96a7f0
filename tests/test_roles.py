"""The role matrix: every role on every back-office screen gets 200 where granted and 403 elsewhere."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.extensions import db
from app.services.access import (
    ADMIN, AGENT, ANALYST, ENTERPRISE_REP, LEARNER, PARTNER_STAFF, ROLE_MATRIX, ROLES, SUPPORT, seed_roles,
)
from app.demo import DEMO_ACCOUNTS
from tests.conftest import Auth
from tests.test_backoffice import backoffice_views, make_user, view_url

# Screens whose rows are nominative or financial: only Admin and the roles named here may list them.
NOMINATIVE = {
    "LearnerView": {AGENT}, "ApplicationView": {AGENT}, "DocumentView": {AGENT}, "CaseNoteView": {AGENT},
    "AllowanceView": set(), "PaymentView": set(), "ExamResultView": {AGENT, PARTNER_STAFF},
    "AttendanceView": {AGENT, PARTNER_STAFF}, "AuditEventView": set(), "AccessLogView": set(),
}


@pytest.fixture(scope="module")
def accounts(app):
    """One fresh account per role (usernames unique, so the shared database is no obstacle)."""
    with app.app_context():
        return {role: make_user(app, role, role.lower()).username for role in ROLES}


def grants(role: str, view) -> tuple[str, ...]:
    if role == ADMIN:
        return tuple(view.base_permissions)
    return ROLE_MATRIX[role].get(view.class_permission_name, ())


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_screens(app, accounts, role):
    client = app.test_client()
    Auth(client).login(accounts[role])
    for view in backoffice_views(app):
        allowed = grants(role, view)
        name = view.__class__.__name__
        expected = 200 if "can_list" in allowed else 403
        assert client.get(view_url(app, view, "list")).status_code == expected, (role, name, "list")
        if "can_add" in view.base_permissions:
            expected = 200 if "can_add" in allowed else 403
            assert client.get(view_url(app, view, "add")).status_code == expected, (role, name, "add")
        if "can_show" not in allowed:
            assert client.get(view_url(app, view, "show", pk=1)).status_code == 403, (role, name, "show")
        if "can_edit" not in allowed and "can_edit" in view.base_permissions:
            assert client.get(view_url(app, view, "edit", pk=1)).status_code == 403, (role, name, "edit")
        if "can_delete" not in allowed and "can_delete" in view.base_permissions:
            assert client.post(view_url(app, view, "delete", pk=1)).status_code == 403, (role, name, "delete")


def test_anonymous_visitors_are_sent_to_login(app):
    client = app.test_client()
    for view in backoffice_views(app):
        response = client.get(view_url(app, view, "list"))
        assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_nominative_screens_stay_with_those_who_need_them():
    for view_name, readers in NOMINATIVE.items():
        for role, matrix in ROLE_MATRIX.items():
            if "can_list" in matrix.get(view_name, ()):
                assert role in readers, f"{role} may read {view_name}"
    assert set(ROLE_MATRIX[SUPPORT]) == {"AccountView", "LoginSessionView", "AccountSecurityView", "SupportConsoleView"}
    assert ROLE_MATRIX[LEARNER] == {} and ROLE_MATRIX[ENTERPRISE_REP] == {}
    assert all(set(perms) <= {"can_list", "can_show"} for perms in ROLE_MATRIX[ANALYST].values())


class DropdownTitles(HTMLParser):
    """Collects the menu categories of the navigation bar: its dropdown toggles and the category
    headers inside the grouped menus."""

    def __init__(self):
        super().__init__()
        self.titles: set[str] = set()
        self._text: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        # a category is a menu of its own, or a header inside one of the grouped staff menus
        if (tag == "a" and "dropdown-toggle" in classes) or (tag == "li" and "dropdown-header" in classes):
            self._text = []

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag in ("a", "li") and self._text is not None:
            self.titles.add(" ".join("".join(self._text).split()))
            self._text = None


def menu_categories(client, language: str = "fr") -> set[str]:
    """The back-office categories in the navigation bar of the home page, in ``language``."""
    parser = DropdownTitles()
    parser.feed(client.get(f"/?_l_={language}").get_data(as_text=True))
    return parser.titles


MENUS = {
    ADMIN: {"Catalogue", "Clients", "Intake", "Enrolment", "Records", "Finance", "Partners", "Enterprises",
            "Compliance", "Reference data", "Support", "Security", "Reports"},
    AGENT: {"Catalogue", "Clients", "Intake", "Enrolment", "Records", "Partners", "Enterprises", "Compliance",
            "Reports"},
    PARTNER_STAFF: {"Catalogue", "Enrolment", "Records", "Partners", "Reports"},
    SUPPORT: {"Support"},
    ANALYST: {"Catalogue", "Enterprises", "Finance", "Partners", "Reference data", "Reports"},
    LEARNER: set(),
    ENTERPRISE_REP: set(),
}


def category_labels(app, language: str) -> dict[str, str]:
    """Menu category name -> its label as shown in ``language``."""
    with app.test_request_context(headers={"Accept-Language": language}):
        return {item.name: str(item.label) for item in app.appbuilder.menu.get_list() if item.childs}


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda account: account["username"])
def test_each_demo_account_sees_its_roles_menus_in_french(demo_app, account):
    client = demo_app.test_client()
    Auth(client).login(account["username"])
    labels = category_labels(demo_app, "fr")
    shown = {name for name, label in labels.items() if label in menu_categories(client)}
    assert shown == MENUS[account["role"]]


def test_seeding_roles_twice_changes_nothing(app):
    with app.app_context():
        first = seed_roles(app.appbuilder)
        second = seed_roles(app.appbuilder)
        assert first == second
        sm = app.appbuilder.sm
        for role_name, matrix in ROLE_MATRIX.items():
            held = {(pv.permission.name, pv.view_menu.name) for pv in sm.find_role(role_name).permissions}
            for view_name, permissions in matrix.items():
                assert {(p, view_name) for p in permissions} <= held
            granted_views = {view for perm, view in held if perm.startswith("can_") and view.endswith("View")}
            assert granted_views - set(matrix) <= {"UserInfoEditView", "ResetMyPasswordView",
                                                          "UserDBModelView"}, role_name
        db.session.remove()


def test_a_learner_file_shows_only_the_related_lists_the_role_may_read(demo_app):
    """An agent sees a learner's applications and enrolments, never the allowances or payments."""
    from app.models import Learner

    learner_view = next(v for v in backoffice_views(demo_app) if v.__class__.__name__ == "LearnerView")
    with demo_app.app_context():
        learner_id = db.session.scalar(db.select(Learner.id).order_by(Learner.id).limit(1))
    for username, present, absent in [
        ("agent", {"ApplicationView", "EnrolmentView", "CaseNoteView"}, {"AllowanceView", "PaymentView"}),
        ("admin", {"ApplicationView", "AllowanceView", "PaymentView"}, set()),
    ]:
        client = demo_app.test_client()
        Auth(client).login(username)
        page = client.get(view_url(demo_app, learner_view, "show", pk=learner_id)).get_data(as_text=True)
        for name in present:
            assert f'id="{name}"' in page, (username, name)
        for name in absent:
            assert f'id="{name}"' not in page, (username, name)
