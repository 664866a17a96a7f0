"""Enrolment: seats, waiting-list positions and offers of learners in groups."""
from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from ...models import Enrolment
from .base import GuichetModelView
from .interface import GuichetInterface


class EnrolmentView(GuichetModelView):
    datamodel = GuichetInterface(Enrolment)
    list_title = _l("Enrolments")
    record_name = _l("enrolment")
    partner_scoped = True
    label_columns = {
        "position": _l("Waiting-list position"),
        "offer_expires_at": _l("Offer expires"),
        "enrolled_at": _l("Enrolled"),
        "ended_at": _l("Ended"),
        "reason": _l("Reason (drop, refusal)"),
    }
    list_columns = ["learner", "section", "status", "position", "offer_expires_at", "created_at"]
    search_columns = ["status", "position", "reason"]
    show_fieldsets = [
        (_l("Enrolment"), {"fields": ["learner", "section", "status", "position", "offer_expires_at", "reason"]}),
        (_l("Dates"), {"fields": ["created_at", "enrolled_at", "ended_at"]}),
    ]
    add_columns = edit_columns = ["learner", "section", "status", "position", "offer_expires_at", "reason",
                                  "enrolled_at", "ended_at"]
    base_order = ("created_at", "desc")


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(EnrolmentView, "Enrolments", label=_l("Enrolments"), icon="fa-user-plus",
                        category="Enrolment", category_label=_l("Enrolment"), category_icon="fa-calendar-check-o")
