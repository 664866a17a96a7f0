"""Hand-written learner pages (one module each, listed in ``register``), their navigation and
``learner_required``."""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g, redirect, request, url_for
from flask_appbuilder import AppBuilder
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...models import Learner


# The learner pages shown in the navigation: (endpoint, label, for learners only).
NAVIGATION = (
    ("CatalogueView.index", _l("Course catalogue"), False),
    ("MyApplicationView.index", _l("My application"), True),
    ("MyEnrolmentsView.index", _l("My courses"), True),
    ("TimetableView.index", _l("Timetable builder"), True),
    ("MyCalendarView.index", _l("My calendar"), True),
    ("MyFileView.index", _l("My file"), True),
    ("MyDocumentsView.index", _l("My documents and data"), True),
    ("MyEmployerView.index", _l("My employer"), True),
)


def register(appbuilder: AppBuilder) -> None:
    """Add the learner pages (none has a menu entry, so their order is free: listed as NAVIGATION
    shows them) and give every template the learner's navigation."""
    # imported here: each page module imports learner_required from this package
    from . import apply, calendar, catalogue, documents, enrolments, record, timetable

    for page in (catalogue, apply, enrolments, timetable, calendar, record, documents):
        page.register(appbuilder)
    current_app.context_processor(lambda: {"learner_links": learner_links})


def learner_links() -> list[dict]:
    """The self-service pages this visitor may open, for the navigation and the home page."""
    is_learner = current_learner() is not None
    endpoints = current_app.view_functions
    here = request.endpoint or ""
    entries = [(endpoint, label, url_for(endpoint)) for endpoint, label, learners_only in NAVIGATION
               if endpoint in endpoints and (is_learner or not learners_only)]
    businesses = _businesses_represented()
    if businesses and "MyEnterpriseView.index" in endpoints:
        # one business: straight to its page (the index would only redirect there)
        url = (url_for("MyEnterpriseView.enterprise", enterprise_id=businesses[0]) if len(businesses) == 1
               else url_for("MyEnterpriseView.index"))
        entries.append(("MyEnterpriseView.index", _l("My business"), url))
    return [{"label": label, "url": url, "current": here.split(".")[0] == endpoint.split(".")[0]}
            for endpoint, label, url in entries]


def _businesses_represented() -> list[int]:
    return _account_links()[1]


def current_learner() -> Learner | None:
    """The Learner file of the logged-in account, or None (staff, visitors)."""
    return _account_links()[0]


def _account_links() -> tuple[Learner | None, list[int]]:
    """The logged-in account's learner file and the businesses it represents, read in one
    statement once per request: the page and its navigation both ask."""
    from ...models import EnterpriseMembership

    if not current_user.is_authenticated:
        return None, []
    cached = g.get("_account_links")
    if cached is None or cached[0] != current_user.id:
        rows = db.session.execute(
            select(Learner, EnterpriseMembership.enterprise_id)
            .select_from(User).outerjoin(Learner, Learner.user_id == User.id)
            .outerjoin(EnterpriseMembership, EnterpriseMembership.user_id == User.id)
            .where(User.id == current_user.id)).all()
        learner = rows[0][0] if rows else None
        cached = g._account_links = (current_user.id, learner, [row[1] for row in rows if row[1] is not None])
    return cached[1], cached[2]


def learner_required(view):
    """Only a logged-in learner may open the page; visitors go to the login page, others get 403."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            # after login, come back to the page (a POST cannot be replayed: back to the form's page)
            back = request.full_path if request.method == "GET" else None
            return redirect(url_for("AuthDBView.login", next=back))
        learner = current_learner()
        if learner is None:
            abort(403)
        return view(*args, learner=learner, **kwargs)

    return wrapper
