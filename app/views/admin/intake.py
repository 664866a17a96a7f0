"""Intake: applications with their history, documents and placement results."""
from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import inspect

from ...extensions import db
from ...models import Application, ApplicationEvent, ApplicationStatus, Document, PlacementResult
from ...services import agent_desk
from ...services.access import AGENT
from ...services.applications import schedule_summary
from .base import GuichetModelView, ReadOnlyModelView
from .interface import GuichetInterface
from .scope import users_with_roles


def _items(pairs) -> Markup:
    return Markup("<ul class=\"list-unstyled\">{}</ul>").format(
        Markup("").join(Markup("<li>{}</li>").format(_("%(what)s: %(answer)s", what=what, answer=answer))
                        for what, answer in pairs))


def eligibility_text(application: Application):
    """The stored eligibility results as the agent reads them: one line per rule."""
    results = agent_desk.eligibility_results(application)
    if not results:
        return ""
    return _items((agent_desk.RULE_LABELS.get(rule.code, rule.code),
                   f"{_('Met') if rule.passed else _('Not met')} — {rule.message}") for rule in results)


class ApplicationInterface(GuichetInterface):
    """Applications, with their schedule preferences and eligibility read as words, not JSON."""

    def _get_attr_value(self, item, col):
        if col == "schedule_preferences":
            return _items(schedule_summary(db.session, item.schedule_preferences))
        if col == "eligibility":
            return eligibility_text(item)
        return super()._get_attr_value(item, col)


class DecisionRefused(ValueError):
    """A decision recorded in the generated screen by someone who may not decide the file."""


DECISIONS = (ApplicationStatus.APPROVED, ApplicationStatus.REFUSED)


class ApplicationEventView(ReadOnlyModelView):
    """The history of an application: written by the intake service, never edited."""

    datamodel = GuichetInterface(ApplicationEvent)
    list_title = _l("Application history")
    record_name = _l("application event")
    label_columns = {"from_status": _l("From"), "to_status": _l("To"), "actor": _l("By"),
                     "internal": _l("Internal note (staff only)")}
    list_columns = ["application", "from_status", "to_status", "actor", "at", "note", "internal"]
    search_columns = ["from_status", "to_status", "note", "internal"]
    show_columns = ["application", "from_status", "to_status", "actor", "at", "note", "internal"]
    base_order = ("at", "desc")


class DocumentView(ReadOnlyModelView):
    """Files uploaded with applications: stored by the upload service under their checksum."""

    datamodel = GuichetInterface(Document)
    list_title = _l("Documents")
    record_name = _l("document")
    label_columns = {
        "original_name": _l("File name"),
        "content_type": _l("File type"),
        "storage_key": _l("Storage key"),
        "sha256": _l("SHA-256 checksum"),
        "size_bytes": _l("Size (bytes)"),
        "uploaded_at": _l("Uploaded"),
        "type": _l("Document type"),
    }
    list_columns = ["original_name", "type", "learner", "application", "size_bytes", "uploaded_at"]
    search_columns = ["original_name", "type", "content_type"]
    show_columns = ["original_name", "type", "learner", "application", "content_type", "size_bytes", "sha256",
                    "storage_key", "uploaded_at"]
    base_order = ("uploaded_at", "desc")


class PlacementResultView(GuichetModelView):
    datamodel = GuichetInterface(PlacementResult)
    list_title = _l("Placement results")
    record_name = _l("placement result")
    stamp_user_columns = ("assessor",)
    label_columns = {
        "skill": _l("Skill (empty: overall level)"),
        "level": _l("Level"),
        "assessed_on": _l("Assessed on"),
        "assessor": _l("Assessor"),
    }
    list_columns = ["learner", "skill", "level", "assessed_on", "assessor"]
    search_columns = ["skill", "level", "assessed_on"]
    show_columns = ["learner", "application", "skill", "level", "assessed_on", "assessor"]
    add_columns = edit_columns = ["learner", "skill", "level", "assessed_on"]
    base_order = ("assessed_on", "desc")


class ApplicationView(GuichetModelView):
    """Applications; a decision (approved, refused) is the assigned agent's or an administrator's,
    here as on the desk (``agent_desk.may_decide``)."""

    datamodel = ApplicationInterface(Application)
    list_title = _l("Applications")
    record_name = _l("application")
    label_columns = {
        "format_wanted": _l("Format wanted"),
        "schedule_preferences": _l("Schedule preferences"),
        "submitted_at": _l("Submitted"),
        "complete_at": _l("Complete"),
        "decided_at": _l("Decided"),
        "first_course_at": _l("First course"),
        "assigned_agent": _l("Assigned agent"),
        "decision_reason": _l("Reason for the decision"),
        "eligibility": _l("Eligibility"),
        "consent_truthful": _l("Declared truthful"),
        "consent_privacy": _l("Privacy notice accepted"),
    }
    list_columns = ["id", "learner", "format_wanted", "region", "status", "submitted_at", "complete_at",
                    "assigned_agent"]
    search_columns = ["status", "format_wanted", "region", "first_course_at", "decision_reason"]
    show_fieldsets = [
        (_l("Application"), {"fields": ["id", "learner", "format_wanted", "region", "status", "assigned_agent"]}),
        (_l("Service clock"), {"fields": ["created_at", "submitted_at", "complete_at", "decided_at",
                                          "first_course_at"]}),
        (_l("Decision"), {"fields": ["decision_reason", "eligibility", "schedule_preferences", "consent_truthful",
                                     "consent_privacy"]}),
    ]
    add_columns = edit_columns = ["learner", "format_wanted", "region", "status", "assigned_agent", "submitted_at",
                                  "complete_at", "decided_at", "first_course_at", "decision_reason",
                                  "consent_truthful", "consent_privacy"]
    add_form_query_rel_fields = edit_form_query_rel_fields = {"assigned_agent": users_with_roles(AGENT)}
    related_views = [ApplicationEventView, DocumentView, PlacementResultView]
    base_order = ("created_at", "desc")

    def pre_add(self, item):
        super().pre_add(item)
        self._refuse_decision_by_another(item)

    def pre_update(self, item):
        super().pre_update(item)
        self._refuse_decision_by_another(item)

    @staticmethod
    def _refuse_decision_by_another(item: Application) -> None:
        state = inspect(item)
        deciding = item.status in DECISIONS and (state.transient or state.pending
                                                 or state.attrs.status.history.has_changes())
        if not deciding:
            return
        assigned = item.assigned_agent.id if item.assigned_agent is not None else item.assigned_agent_id
        if assigned == current_user.id or agent_desk.may_decide(db.session, item, current_user.id):
            return
        db.session.rollback()
        raise DecisionRefused(_("Only the agent assigned to this application or an administrator can approve or "
                                "refuse it."))


def register(appbuilder: AppBuilder) -> None:
    category = dict(category="Intake", category_label=_l("Intake"), category_icon="fa-inbox")
    appbuilder.add_view(ApplicationView, "Applications", label=_l("Applications"), icon="fa-file-text-o",
                        **category)
    appbuilder.add_view(ApplicationEventView, "Application history", label=_l("Application history"),
                        icon="fa-history", **category)
    appbuilder.add_view(DocumentView, "Documents", label=_l("Documents"), icon="fa-paperclip", **category)
    appbuilder.add_view(PlacementResultView, "Placement results", label=_l("Placement results"),
                        icon="fa-signal", **category)
