"""Clients: learners' files, their weekly availability and saved timetables."""
from __future__ import annotations

from flask import abort, request
from flask_appbuilder import AppBuilder
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user

from ...extensions import db
from ...models import Availability, Learner, Plan, PlanItem
from ...services.access_log import LEARNER_FILE, LEARNER_FILE_EDIT, log_access
from ...services.retention import ANONYMISED_NAME
from .base import GuichetModelView
from .columns import weekday_label
from .fields import weekday_field
from .interface import GuichetInterface
from .compliance import AccessLogView, CaseNoteView
from .enrolment import EnrolmentView
from .finance import AllowanceView, PaymentView
from .intake import ApplicationView, PlacementResultView
from .records import ExamResultView, IssuedDocumentView


class AvailabilityView(GuichetModelView):
    datamodel = GuichetInterface(Availability)
    list_title = _l("Availability")
    record_name = _l("weekly availability")
    label_columns = {"kind": _l("Available or not")}
    list_columns = ["learner", "weekday", "starts_at", "ends_at", "kind"]
    search_columns = ["weekday", "kind"]
    show_columns = add_columns = edit_columns = ["learner", "weekday", "starts_at", "ends_at", "kind"]
    formatters_columns = {"weekday": weekday_label}
    add_form_extra_fields = edit_form_extra_fields = {"weekday": weekday_field()}
    base_order = ("weekday", "asc")


class PlanItemView(GuichetModelView):
    datamodel = GuichetInterface(PlanItem)
    list_title = _l("Timetable choices")
    record_name = _l("timetable choice")
    label_columns = {"plan": _l("Timetable"), "locked": _l("Locked")}
    list_columns = ["plan", "course", "section", "locked"]
    search_columns = ["locked", "course"]
    show_columns = add_columns = edit_columns = ["plan", "course", "section", "locked"]
    base_order = ("plan_id", "desc")


class PlanView(GuichetModelView):
    datamodel = GuichetInterface(Plan)
    list_title = _l("Saved timetables")
    record_name = _l("saved timetable")
    label_columns = {"name": _l("Timetable name"), "preferences": _l("Preferences")}
    list_columns = ["learner", "term", "name", "created_at"]
    search_columns = ["name", "term"]
    show_columns = ["learner", "term", "name", "preferences", "created_at"]
    add_columns = edit_columns = ["learner", "term", "name", "preferences"]
    related_views = [PlanItemView]
    base_order = ("created_at", "desc")


def anonymised_in_words(name: str | None) -> str | None:
    """An anonymised file's stored placeholder, in the page's language."""
    return gettext("Anonymised") if name == ANONYMISED_NAME else name


class LearnerView(GuichetModelView):
    datamodel = GuichetInterface(Learner)
    list_title = _l("Learners")
    record_name = _l("learner")
    label_columns = {
        "file_number": _l("File number"),
        "full_name": _l("Name"),
        "birth_date": _l("Birth date"),
        "category": _l("Client category"),
        "status": _l("Immigration status"),
        "income_support": _l("Income support"),
        "arrival_date": _l("Arrival in Québec"),
        "living_abroad": _l("Still abroad"),
        "preferred_language": _l("Preferred language"),
        "current_level": _l("Current level"),
        "children_in_care": _l("Children in care"),
        "consent_data_sharing": _l("Consents to data sharing"),
        "consent_employer_progress": _l("Employer may see progress"),
        "enterprise": _l("Employer"),
        "anonymised_at": _l("Anonymised"),
    }
    list_columns = ["file_number", "last_name", "first_name", "email", "category", "region", "current_level"]
    formatters_columns = {"first_name": anonymised_in_words, "last_name": anonymised_in_words}
    search_columns = ["file_number", "last_name", "first_name", "email", "category", "status", "region",
                      "current_level", "living_abroad", "preferred_language", "birth_date"]
    show_fieldsets = [
        (_l("Identity"), {"fields": ["file_number", "first_name", "last_name", "birth_date", "email", "phone",
                                     "preferred_language"]}),
        (_l("Situation"), {"fields": ["category", "status", "income_support", "arrival_date", "living_abroad",
                                      "enterprise", "children_in_care"]}),
        (_l("Address"), {"fields": ["address", "postal_code", "region"]}),
        (_l("Training"), {"fields": ["current_level"]}),
        (_l("Consents and retention"), {"fields": ["consent_data_sharing", "consent_employer_progress",
                                                   "created_at", "anonymised_at"]}),
    ]
    add_columns = edit_columns = ["file_number", "first_name", "last_name", "birth_date", "email", "phone",
                                  "preferred_language", "category", "status", "income_support", "arrival_date",
                                  "living_abroad", "address", "postal_code", "region", "current_level",
                                  "children_in_care", "consent_data_sharing", "consent_employer_progress"]
    related_views = [ApplicationView, EnrolmentView, ExamResultView, PlacementResultView, AllowanceView,
                     PaymentView, IssuedDocumentView, CaseNoteView, AvailabilityView, PlanView, AccessLogView]
    base_order = ("last_name", "asc")

    # Law 25: every staff opening of a learner's file is written to the access log (committed
    # before the page is built), which the learner reads on "My documents and data".
    def _show(self, pk):
        self._record_consultation(pk, LEARNER_FILE)
        return super()._show(pk)

    def _edit(self, pk):
        if request.method == "GET":
            self._record_consultation(pk, LEARNER_FILE_EDIT)
        return super()._edit(pk)

    def _record_consultation(self, pk, what: str) -> None:
        learner = self.datamodel.get(pk, self._base_filters)
        if learner is None:
            abort(404)
        log_access(db.session, learner, current_user, what)
        db.session.commit()


def register(appbuilder: AppBuilder) -> None:
    category = dict(category="Clients", category_label=_l("Clients"), category_icon="fa-address-book")
    appbuilder.add_view(LearnerView, "Learners", label=_l("Learners"), icon="fa-address-card", **category)
    appbuilder.add_view(AvailabilityView, "Availability", label=_l("Availability"), icon="fa-clock-o", **category)
    appbuilder.add_view(PlanView, "Saved timetables", label=_l("Saved timetables"), icon="fa-th", **category)
    appbuilder.add_view(PlanItemView, "Timetable choices", label=_l("Timetable choices"), icon="fa-check",
                        **category)
