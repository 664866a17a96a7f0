"""Hand-written learner pages, one module each, registered in ``register``.

``access.py`` says who the learner is (``current_learner``, ``learner_required``), ``navigation.py``
which learner pages a visitor sees in the navigation.
"""
from __future__ import annotations

from flask import current_app
from flask_appbuilder import AppBuilder

from . import apply, calendar, catalogue, documents, enrolments, record, timetable
from .navigation import learner_links


def register(appbuilder: AppBuilder) -> None:
    """Add the learner pages and give every template the learner's navigation. No page has a menu
    entry, so their order is free: listed as the navigation (navigation.NAVIGATION) shows them."""
    for page in (catalogue, apply, enrolments, timetable, calendar, record, documents):
        page.register(appbuilder)
    current_app.context_processor(lambda: {"learner_links": learner_links})
