"""The learner's navigation: the self-service pages a visitor may open, in the order shown."""
from __future__ import annotations

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l

from .access import businesses_represented, current_learner

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


def learner_links() -> list[dict]:
    """The self-service pages this visitor may open, for the navigation and the home page."""
    is_learner = current_learner() is not None
    endpoints = current_app.view_functions
    here = request.endpoint or ""
    entries = [(endpoint, label, url_for(endpoint)) for endpoint, label, learners_only in NAVIGATION
               if endpoint in endpoints and (is_learner or not learners_only)]
    businesses = businesses_represented()
    if businesses and "MyEnterpriseView.index" in endpoints:
        # one business: straight to its page (the index would only redirect there)
        url = (url_for("MyEnterpriseView.enterprise", enterprise_id=businesses[0]) if len(businesses) == 1
               else url_for("MyEnterpriseView.index"))
        entries.append(("MyEnterpriseView.index", _l("My business"), url))
    return [{"label": label, "url": url, "current": here.split(".")[0] == endpoint.split(".")[0]}
            for endpoint, label, url in entries]

