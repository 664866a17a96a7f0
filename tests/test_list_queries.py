"""Back office without N+1: a list page costs the same number of queries for 10 rows and for 100.

Counted on the demo data, whose big tables (groups, meeting times, learners, enrolments,
attendance, allowances…) hold more than 100 rows each.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from tests.conftest import Auth, count_queries
from tests.test_backoffice import backoffice_views, view_url

BIG = ["SectionView", "MeetingView", "EnrolmentView", "AttendanceView", "LearnerView", "ApplicationView",
       "ApplicationEventView", "PlacementResultView", "AllowanceView", "PaymentView", "CaseNoteView", "MessageView",
       "AccountView"]


@pytest.fixture(scope="module")
def admin_client(demo_app):
    client = demo_app.test_client()
    Auth(client).login("admin")
    client.get("/")  # the first request of a session may fill caches
    return client


def rows_in(app, view) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(view.datamodel.obj))


def list_page(app, client, view, size: int) -> tuple[int, int]:
    """(queries issued, rows shown) for one list page of ``size`` rows."""
    url = view_url(app, view, "list", **{f"psize_{view.__class__.__name__}": size})
    with count_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    show_prefix = re.escape(view_url(app, view, "show", pk=0)[:-1])
    shown = len(set(re.findall(rf'"{show_prefix}\d+"', response.get_data(as_text=True))))
    return len(statements), shown


@pytest.mark.parametrize("view_name", BIG)
def test_big_list_pages_cost_the_same_for_10_and_100_rows(demo_app, admin_client, view_name):
    view = next(v for v in backoffice_views(demo_app) if v.__class__.__name__ == view_name)
    assert rows_in(demo_app, view) >= 100, "the demo data should fill more than one page of 100"
    small, shown_small = list_page(demo_app, admin_client, view, 10)
    large, shown_large = list_page(demo_app, admin_client, view, 100)
    assert (shown_small, shown_large) == (10, 100)
    assert small == large


def test_every_other_list_page_costs_the_same_whatever_its_size(demo_app, admin_client):
    for view in backoffice_views(demo_app):
        if view.__class__.__name__ in BIG:
            continue
        rows = rows_in(demo_app, view)
        small, shown_small = list_page(demo_app, admin_client, view, 10)
        large, shown_large = list_page(demo_app, admin_client, view, 100)
        assert (shown_small, shown_large) == (min(rows, 10), min(rows, 100)), view.__class__.__name__
        assert small == large, view.__class__.__name__


def test_permission_checks_of_a_page_are_read_once(demo_app, admin_client):
    """Dozens of menu items and buttons are checked per page; the roles' permissions are read once
    (plus FAB's one query for the menu)."""
    view = next(v for v in backoffice_views(demo_app) if v.__class__.__name__ == "SectionView")
    with count_queries(demo_app) as statements:
        assert admin_client.get(view_url(demo_app, view, "list")).status_code == 200
    assert sum("ab_permission_view" in statement for statement in statements) <= 2


LIST_PAGE_BUDGET = 10  # issue 12: a back-office list page costs at most 10 statements


def every_list_view(app):
    """Every generated screen with a list, FAB's account screens (accounts, roles, groups) included."""
    from flask_appbuilder import ModelView

    return [view for view in app.appbuilder.baseviews
            if isinstance(view, ModelView) and "can_list" in view.base_permissions]


def test_every_list_page_costs_at_most_10_statements(demo_app, admin_client):
    """Session, account, permissions, the page with its count, the relations it shows and the
    filters' choice lists: within the budget, FAB's account screens too (their roles, groups and
    permissions were read row by row: 61 statements for the accounts list)."""
    over = {}
    views = every_list_view(demo_app)
    for view in views:
        with count_queries(demo_app) as statements:
            assert admin_client.get(view_url(demo_app, view, "list")).status_code == 200
        if len(statements) > LIST_PAGE_BUDGET:
            over[view.__class__.__name__] = len(statements)
    assert len(views) > 40 and {"UserDBModelView", "RoleModelView", "UserGroupModelView"} <= {
        view.__class__.__name__ for view in views}
    assert not over, over


def test_the_account_screens_never_read_every_account(demo_app, admin_client):
    """The group form and the role and group filters do not list the accounts table."""
    whole_users = re.compile(r"\bFROM ab_user\b(?!.*\b(WHERE|LIMIT)\b)", re.S)
    urls = ["/roles/list/", "/groups/list/", "/groups/add"]
    for url in urls:
        with count_queries(demo_app) as statements:
            assert admin_client.get(url).status_code == 200, url
        assert not [s for s in statements if whole_users.search(" ".join(s.split()))], url
