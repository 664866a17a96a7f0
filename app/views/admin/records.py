"""Training records: attendance and exam results, entered by partners for their own groups."""
from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from ...models import Attendance, ExamResult, IssuedDocument
from .base import GuichetModelView
from .interface import GuichetInterface


class AttendanceView(GuichetModelView):
    datamodel = GuichetInterface(Attendance)
    list_title = _l("Attendance")
    record_name = _l("attendance")
    partner_scoped = True
    stamp_user_columns = ("recorded_by",)
    label_columns = {
        "day": _l("Day"),
        "hours_scheduled": _l("Hours scheduled"),
        "hours_present": _l("Hours present"),
        "justified": _l("Absence justified"),
        "recorded_by": _l("Recorded by"),
    }
    list_columns = ["enrolment", "day", "hours_scheduled", "hours_present", "justified", "recorded_by"]
    search_columns = ["day", "justified", "hours_present"]
    show_columns = ["enrolment", "day", "hours_scheduled", "hours_present", "justified", "recorded_by"]
    add_columns = edit_columns = ["enrolment", "day", "hours_scheduled", "hours_present", "justified"]
    base_order = ("day", "desc")
    page_size = 50


class ExamResultView(GuichetModelView):
    datamodel = GuichetInterface(ExamResult)
    list_title = _l("Exam results")
    record_name = _l("exam result")
    partner_scoped = True
    label_columns = {
        "level": _l("Level obtained"),
        "passed": _l("Passed"),
        "taken_on": _l("Taken on"),
        "evaluator": _l("Evaluator"),
    }
    list_columns = ["learner", "skill", "level", "passed", "taken_on", "section", "evaluator"]
    search_columns = ["skill", "level", "passed", "taken_on", "evaluator"]
    show_columns = add_columns = edit_columns = ["learner", "section", "skill", "level", "passed", "taken_on",
                                                 "evaluator"]
    base_order = ("taken_on", "desc")


class IssuedDocumentView(GuichetModelView):
    """Attestations and statements issued to learners; written by the documents service only."""

    datamodel = GuichetInterface(IssuedDocument)
    list_title = _l("Issued documents")
    record_name = _l("issued document")
    base_permissions = ["can_list", "can_show"]
    label_columns = {
        "code": _l("Verification code"),
        "kind": _l("Document"),
        "year": _l("Year"),
        "issued_at": _l("Issued at"),
        "content_sha256": _l("SHA-256 of the file"),
        "summary": _l("What the verification page confirms"),
    }
    list_columns = ["code", "learner", "kind", "year", "issued_at"]
    search_columns = ["code", "kind", "year", "issued_at"]
    show_columns = ["code", "learner", "kind", "year", "issued_at", "content_sha256", "summary"]
    base_order = ("issued_at", "desc")


def register(appbuilder: AppBuilder) -> None:
    category = dict(category="Records", category_label=_l("Records"), category_icon="fa-graduation-cap")
    appbuilder.add_view(AttendanceView, "Attendance", label=_l("Attendance"), icon="fa-check-square-o", **category)
    appbuilder.add_view(ExamResultView, "Exam results", label=_l("Exam results"), icon="fa-trophy", **category)
    appbuilder.add_view(IssuedDocumentView, "Issued documents", label=_l("Issued documents"), icon="fa-certificate",
                        **category)
