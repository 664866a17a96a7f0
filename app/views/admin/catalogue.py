"""The service offer: courses, terms and their closed days, groups (sections) and meeting times."""
from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from ...models import Course, Meeting, Section, Term, TermClosedDate
from .base import GuichetModelView
from .columns import weekday_label
from .fields import weekday_field
from .interface import GuichetInterface
from .enrolment import EnrolmentView


class MeetingView(GuichetModelView):
    datamodel = GuichetInterface(Meeting)
    list_title = _l("Meeting times")
    record_name = _l("meeting time")
    partner_scoped = True
    label_columns = {"room": _l("Room")}
    list_columns = ["section", "weekday", "starts_at", "ends_at", "room"]
    search_columns = ["weekday", "room"]
    show_columns = add_columns = edit_columns = ["section", "weekday", "starts_at", "ends_at", "room"]
    formatters_columns = {"weekday": weekday_label}
    add_form_extra_fields = edit_form_extra_fields = {"weekday": weekday_field()}
    base_order = ("weekday", "asc")
    page_size = 50


class SectionView(GuichetModelView):
    datamodel = GuichetInterface(Section)
    list_title = _l("Course groups")
    record_name = _l("course group")
    partner_scoped = True
    label_columns = {
        "code": _l("Group code"),
        "capacity": _l("Capacity"),
        "seats_taken": _l("Seats taken"),
        "seats_left": _l("Seats left"),
        "delivery": _l("Delivery"),
        "enterprise_request": _l("Workplace training request"),
    }
    list_columns = ["code", "course", "term", "partner", "site", "teacher", "capacity", "seats_taken", "status",
                    "delivery"]
    search_columns = ["code", "term", "partner", "status", "delivery", "starts_on", "capacity"]
    show_fieldsets = [
        (_l("Group"), {"fields": ["code", "course", "term", "status", "delivery", "starts_on", "ends_on"]}),
        (_l("Where and who"), {"fields": ["partner", "site", "teacher", "enterprise_request"]}),
        (_l("Seats"), {"fields": ["capacity", "seats_taken", "seats_left"]}),
        (_l("Notes"), {"fields": ["notes_fr", "notes_en"], "expanded": False}),
    ]
    # seats_taken is never typed: only the enrolment service reserves and releases seats.
    add_columns = edit_columns = ["code", "course", "term", "partner", "site", "teacher", "capacity",
                                  "status", "delivery", "starts_on", "ends_on", "notes_fr", "notes_en"]
    related_views = [MeetingView, EnrolmentView]
    base_order = ("code", "asc")


class TermClosedDateView(GuichetModelView):
    datamodel = GuichetInterface(TermClosedDate)
    list_title = _l("Closed days")
    record_name = _l("closed day")
    label_columns = {"day": _l("Day")}
    list_columns = ["term", "day", "reason_fr", "reason_en"]
    search_columns = ["term", "day"]
    show_columns = add_columns = edit_columns = ["term", "day", "reason_fr", "reason_en"]
    base_order = ("day", "asc")


class TermView(GuichetModelView):
    datamodel = GuichetInterface(Term)
    list_title = _l("Terms")
    record_name = _l("term")
    label_columns = {
        "registration_opens": _l("Registration opens"),
        "registration_closes": _l("Registration closes"),
        "drop_deadline": _l("Drop deadline"),
        "use_offers": _l("Seats freed are offered for a limited time"),
        "offer_hours": _l("Offer window (hours)"),
    }
    list_columns = ["code", "name", "starts_on", "ends_on", "registration_opens", "registration_closes",
                    "drop_deadline"]
    search_columns = ["code", "name_fr", "name_en", "starts_on", "ends_on"]
    show_fieldsets = [
        (_l("Term"), {"fields": ["code", "name_fr", "name_en", "starts_on", "ends_on"]}),
        (_l("Registration"), {"fields": ["registration_opens", "registration_closes", "drop_deadline",
                                         "use_offers", "offer_hours"]}),
    ]
    add_columns = edit_columns = ["code", "name_fr", "name_en", "starts_on", "ends_on", "registration_opens",
                                  "registration_closes", "drop_deadline", "use_offers", "offer_hours"]
    related_views = [SectionView, TermClosedDateView]
    base_order = ("starts_on", "desc")


class CourseView(GuichetModelView):
    datamodel = GuichetInterface(Course)
    list_title = _l("Courses")
    record_name = _l("course")
    label_columns = {
        "title": _l("Title"),
        "hours_per_week": _l("Hours per week"),
        "total_hours": _l("Total hours"),
        "weeks": _l("Weeks"),
        "with_tutor": _l("With a tutor"),
    }
    list_columns = ["code", "title", "format", "level_min", "level_max", "hours_per_week", "field", "active"]
    search_columns = ["code", "title_fr", "title_en", "format", "level_min", "level_max", "field", "active"]
    show_fieldsets = [
        (_l("Course"), {"fields": ["code", "title_fr", "title_en", "format", "field", "with_tutor", "active"]}),
        (_l("Levels and hours"), {"fields": ["level_min", "level_max", "hours_per_week", "total_hours", "weeks"]}),
        (_l("Description"), {"fields": ["description_fr", "description_en"], "expanded": False}),
    ]
    add_columns = edit_columns = ["code", "title_fr", "title_en", "description_fr", "description_en", "format",
                                  "level_min", "level_max", "hours_per_week", "total_hours", "weeks", "field",
                                  "with_tutor", "active"]
    related_views = [SectionView]
    base_order = ("code", "asc")


def register(appbuilder: AppBuilder) -> None:
    category = dict(category="Catalogue", category_label=_l("Catalogue"), category_icon="fa-book")
    appbuilder.add_view(CourseView, "Courses", label=_l("Courses"), icon="fa-book", **category)
    appbuilder.add_view(TermView, "Terms", label=_l("Terms"), icon="fa-calendar", **category)
    appbuilder.add_view(TermClosedDateView, "Closed days", label=_l("Closed days"), icon="fa-calendar-times-o",
                        **category)
    appbuilder.add_view(SectionView, "Course groups", label=_l("Course groups"), icon="fa-users", **category)
    appbuilder.add_view(MeetingView, "Meeting times", label=_l("Meeting times"), icon="fa-clock-o", **category)
