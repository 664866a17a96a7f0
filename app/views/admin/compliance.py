"""Support and compliance: case notes, outbox, jobs, audit trail, access log, incidents, reports."""
from __future__ import annotations

import datetime as dt

from flask import abort
from flask_appbuilder import AppBuilder, expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla import filters as sqla_filters
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext, lazy_gettext as _l, to_utc
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from wtforms.validators import ValidationError

from ...extensions import db
from ...models import AccessLog, AuditEvent, CaseNote, Incident, Job, Message, ReportRun
from ...services.access import ADD_EDIT
from ...services.access_log import log_message_read
from ...services.incidents import discovery_refusal, occurrence_refusal, people_refusal, prepare_incident
from ...services.job_monitor import task_label
from ...services.report_exports import report_label
from ...services.service_clock import montreal_today
from ...services.access import role_label
from ...services.access_log import what_label
from ...services.audit import AUDITED_MODELS
from .base import GuichetModelView, ReadOnlyModelView
from .columns import in_language
from .interface import GuichetInterface


class CaseNoteView(GuichetModelView):
    datamodel = GuichetInterface(CaseNote)
    list_title = _l("Case notes")
    record_name = _l("case note")
    stamp_user_columns = ("author",)
    label_columns = {
        "author": _l("Author"),
        "body": _l("Note"),
        "follow_up_on": _l("Follow up on"),
        "follow_up_done": _l("Follow-up done"),
    }
    list_columns = ["learner", "created_at", "author", "follow_up_on", "follow_up_done", "body"]
    search_columns = ["body", "follow_up_on", "follow_up_done"]
    show_columns = ["learner", "author", "created_at", "body", "follow_up_on", "follow_up_done"]
    add_columns = edit_columns = ["learner", "body", "follow_up_on", "follow_up_done"]
    base_order = ("created_at", "desc")


class MessageInterface(GuichetInterface):
    """Messages, their subject and text marked with the language they are written in."""

    def _get_attr_value(self, item, col):
        value = super()._get_attr_value(item, col)
        if col in ("subject", "body") and value:
            return in_language(item.language.value)(value)
        return value


class MessageView(ReadOnlyModelView):
    """E-mails written by the job seam, as kept: a personal link shows as a placeholder (it exists
    in the delivered e-mail only). Who opens which message is written down (audit trail, and the
    learner's access log)."""

    datamodel = MessageInterface(Message)
    list_title = _l("Messages")
    record_name = _l("message")
    label_columns = {
        "recipient": _l("Recipient"),
        "template": _l("Template"),
        "subject": _l("Subject"),
        "body": _l("Message"),
        "payload": _l("Data"),
        "attempts": _l("Attempts"),
        "last_error": _l("Last error"),
        "sent_at": _l("Sent"),
    }
    # the subject says what the message is; its template name is a code, not shown
    list_columns = ["recipient", "subject", "language", "status", "attempts", "created_at", "sent_at"]
    search_columns = ["recipient", "subject", "template", "language", "status"]
    show_columns = ["recipient", "learner", "language", "subject", "body", "status", "attempts",
                    "last_error", "created_at", "sent_at"]
    base_order = ("created_at", "desc")
    # the mail server's own answer, as it gave it (in English)
    formatters_columns = {"last_error": in_language("en")}

    def _show(self, pk):
        message = self.datamodel.get(pk, self._base_filters)
        if message is None:
            abort(404)
        log_message_read(db.session, message, current_user)
        db.session.commit()
        return super()._show(pk)


class JobView(ReadOnlyModelView):
    datamodel = GuichetInterface(Job)
    list_title = _l("Background jobs")
    record_name = _l("background job")
    label_columns = {
        "task": _l("Task"),
        "args": _l("Arguments"),
        "rq_id": _l("Queue identifier"),
        "attempts": _l("Attempts"),
        "progress": _l("Progress (%)"),
        "result": _l("Result"),
        "error": _l("Error"),
        "started_at": _l("Started"),
        "finished_at": _l("Finished"),
        "run_at": _l("Scheduled for"),
    }
    list_columns = ["id", "task", "status", "attempts", "progress", "created_at", "finished_at"]
    formatters_columns = {"task": task_label, "error": in_language("en")}
    search_columns = ["task", "status", "error"]
    # never the arguments: they may name a person (the monitor shows no more than this)
    show_columns = ["id", "task", "status", "attempts", "progress", "result", "error", "created_at", "run_at",
                    "started_at", "finished_at"]
    base_order = ("created_at", "desc")


def _instant(value) -> dt.datetime | None:
    """A searched date and time, typed in the user's time zone, as an aware UTC instant."""
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = to_utc(moment).replace(tzinfo=dt.UTC)
    return moment


def _local_instant_filter(base: type) -> type:
    """FAB's date-time filter, reading the value as local time (our columns hold UTC instants)."""

    def apply(self, query, value):
        instant = _instant(value)
        return query if instant is None else base.apply(self, query, instant)

    return type(f"LocalInstant{base.__name__}", (base,), {"apply": apply})


class InstantFilterConverter(sqla_filters.SQLAFilterConverter):
    conversion_table = tuple(
        (kind, [_local_instant_filter(f) for f in found]) if kind == "is_datetime" else (kind, found)
        for kind, found in sqla_filters.SQLAFilterConverter.conversion_table)


class FilterActorUsername(BaseFilter):
    """The actor's username (a text box, not a drop-down of every account)."""

    name = sqla_filters.FilterEqual.name  # "Equal to", FAB's translated label
    arg_name = "eq"

    def apply(self, query, value):
        username = str(value or "").strip()
        if not username:
            return query
        return query.filter(AuditEvent.actor_id.in_(select(User.id).where(User.username == username)))


class AuditFilterConverter(InstantFilterConverter):
    def convert(self, col_name):
        if col_name == "actor_id":
            return [FilterActorUsername(col_name, self.datamodel)]
        return super().convert(col_name)


class AuditEventInterface(GuichetInterface):
    filter_converter_class = AuditFilterConverter


# How an administrator reads the audit trail's codes: ``<prefix>.<insert|update|delete>`` written
# for every audited model, and the actions services write by name.
AUDIT_VERBS = {"insert": _l("creation"), "update": _l("change"), "delete": _l("deletion")}
AUDIT_ACTIONS = {
    "login.success": _l("Logged in"),
    "login.failure": _l("Login refused"),
    "account.locked": _l("Account locked after failed logins"),
    "mfa.enrolled": _l("Second factor set up"),
    "mfa.recovery_code_used": _l("Recovery code used"),
    "mfa.recovery_codes_renewed": _l("Recovery codes renewed"),
    "mfa.reset": _l("Second factor reset"),
    "learner.data_exported": _l("Personal data exported"),
    "retention.anonymise": _l("File anonymised (retention)"),
    "retention.purge_incidents": _l("Old incidents purged (retention)"),
    "calendar.subscription_issued": _l("Calendar link issued"),
    "calendar.subscription_revoked": _l("Calendar link revoked"),
    "attendance.record": _l("Attendance recorded"),
    "exam_result.record": _l("Exam result recorded"),
    "enrolment.complete": _l("Course completed"),
    "user.roles": _l("Roles of an account changed"),
    "role.permissions": _l("Permissions of a role changed"),
}


def record_label(type_name: str) -> str:
    """What a model's rows are called in the back office (its screen's ``record_name``)."""
    from flask import current_app

    for view in current_app.appbuilder.baseviews:
        datamodel = getattr(view, "datamodel", None)
        if datamodel is not None and getattr(datamodel.obj, "__name__", None) == type_name \
                and getattr(view, "record_name", None):
            return str(view.record_name)
    return str(_l("account")) if type_name == "User" else type_name


def audit_action_label(action: str):
    """An audit action as words; a code this version does not know is shown as a code."""
    if not action:
        return action
    if action in AUDIT_ACTIONS:
        return str(AUDIT_ACTIONS[action])
    prefix, _dot, verb = action.rpartition(".")
    model = next((cls for cls, name in AUDITED_MODELS.items() if name == prefix), None)
    if verb in AUDIT_VERBS and model is not None:
        what = record_label(model.__name__)
        return gettext("%(what)s: %(answer)s", what=what[:1].upper() + what[1:], answer=AUDIT_VERBS[verb])
    return Markup("<code>{}</code>").format(action)


def audit_object_label(type_name: str):
    return Markup("<code>{}</code>").format(type_name) if type_name and record_label(type_name) == type_name \
        else record_label(type_name) if type_name else type_name


class AuditEventView(ReadOnlyModelView):
    """Append-only: no add, edit or delete permission exists on this screen."""

    datamodel = AuditEventInterface(AuditEvent)
    list_title = _l("Audit trail")
    record_name = _l("audit event")
    label_columns = {
        "actor": _l("By"),
        "actor_id": _l("By"),
        "action": _l("Action"),
        "object_type": _l("Object type"),
        "object_id": _l("Object"),
        "changes": _l("Changes"),
        "ip": _l("IP address"),
        "at": _l("When"),
        "reason": _l("Reason"),
    }
    list_columns = ["at", "actor", "action", "object_type", "object_id", "ip"]
    search_columns = ["at", "actor_id", "action", "object_type", "object_id", "ip", "reason"]
    show_columns = ["at", "actor", "action", "object_type", "object_id", "changes", "ip", "reason"]
    formatters_columns = {"action": audit_action_label, "object_type": audit_object_label}
    base_order = ("at", "desc")
    page_size = 50

    # FAB routes every ModelView's row actions here; the audit trail has none, so they are not found
    # rather than answered with a redirect (see app.services.audit for the database-level guard).
    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        abort(404)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        abort(404)


class AccessLogView(ReadOnlyModelView):
    """Who consulted which learner file (Law 25); append-only."""

    datamodel = GuichetInterface(AccessLog)
    list_title = _l("File consultations")
    record_name = _l("file consultation")
    label_columns = {
        "viewer": _l("Consulted by"),
        "role": _l("Role"),
        "organisation": _l("Organisation"),
        "what": _l("What was consulted"),
    }
    list_columns = ["at", "learner", "viewer", "role", "organisation", "what"]
    search_columns = ["role", "organisation", "what"]
    show_columns = ["at", "learner", "viewer", "role", "organisation", "what"]
    formatters_columns = {"role": role_label, "what": what_label}
    base_order = ("at", "desc")
    page_size = 50


def _refusal_as_error(refusal) -> None:
    if refusal is not None:
        raise ValidationError(refusal.message)


def discovered_not_after_today(form, field) -> None:
    _refusal_as_error(discovery_refusal(field.data, montreal_today()))


def occurred_not_after_discovery(form, field) -> None:
    _refusal_as_error(occurrence_refusal(field.data, form.discovered_on.data))


def people_not_negative(form, field) -> None:
    _refusal_as_error(people_refusal(field.data))


class IncidentView(GuichetModelView):
    """Law 25 register: entries are added and completed, never deleted by hand (the retention job
    purges them five years after discovery); the keeping date is computed, not typed."""

    datamodel = GuichetInterface(Incident)
    base_permissions = list(ADD_EDIT)
    list_title = _l("Confidentiality incidents")
    record_name = _l("confidentiality incident")
    stamp_user_columns = ("recorded_by",)
    label_columns = {
        "occurred_on": _l("Occurred on"),
        "discovered_on": _l("Discovered on"),
        "description": _l("Description"),
        "information_concerned": _l("Information concerned"),
        "people_affected": _l("People affected"),
        "risk_of_serious_injury": _l("Risk of serious injury"),
        "measures_taken": _l("Measures taken"),
        "commission_notified_on": _l("Commission notified on"),
        "people_notified_on": _l("People notified on"),
        "recorded_by": _l("Recorded by"),
        "keep_until": _l("Keep until"),
    }
    list_columns = ["id", "discovered_on", "people_affected", "risk_of_serious_injury", "commission_notified_on",
                    "keep_until"]
    search_columns = ["discovered_on", "description", "risk_of_serious_injury", "keep_until"]
    show_fieldsets = [
        (_l("Incident"), {"fields": ["id", "occurred_on", "discovered_on", "description", "information_concerned",
                                     "people_affected", "risk_of_serious_injury"]}),
        (_l("Response"), {"fields": ["measures_taken", "commission_notified_on", "people_notified_on",
                                     "recorded_by", "keep_until"]}),
    ]
    add_columns = edit_columns = ["occurred_on", "discovered_on", "description", "information_concerned",
                                  "people_affected", "risk_of_serious_injury", "measures_taken",
                                  "commission_notified_on", "people_notified_on"]
    validators_columns = {
        "discovered_on": [discovered_not_after_today],
        "occurred_on": [occurred_not_after_discovery],
        "people_affected": [people_not_negative],
    }
    base_order = ("discovered_on", "desc")

    def pre_add(self, item):
        super().pre_add(item)
        prepare_incident(item, montreal_today())

    def pre_update(self, item):
        super().pre_update(item)
        prepare_incident(item, montreal_today())


class ReportRunView(ReadOnlyModelView):
    datamodel = GuichetInterface(ReportRun)
    list_title = _l("Report runs")
    record_name = _l("report run")
    label_columns = {
        "report": _l("Report"),
        "parameters": _l("Parameters"),
        "requested_by": _l("Requested by"),
        "job": _l("Background job"),
        "output_path": _l("Output file"),
        "rows": _l("Rows"),
        "finished_at": _l("Finished"),
    }
    list_columns = ["id", "report", "requested_by", "status", "rows", "created_at", "finished_at"]
    formatters_columns = {"report": report_label}
    search_columns = ["report", "status"]
    show_columns = ["id", "report", "parameters", "requested_by", "job", "status", "output_path", "rows",
                    "created_at", "finished_at"]
    base_order = ("created_at", "desc")


def register(appbuilder: AppBuilder) -> None:
    category = dict(category="Compliance", category_label=_l("Compliance"), category_icon="fa-shield")
    appbuilder.add_view(CaseNoteView, "Case notes", label=_l("Case notes"), icon="fa-sticky-note-o", **category)
    appbuilder.add_view(MessageView, "Messages", label=_l("Messages"), icon="fa-envelope-o", **category)
    appbuilder.add_view(JobView, "Background jobs", label=_l("Background jobs"), icon="fa-cogs", **category)
    appbuilder.add_view(AuditEventView, "Audit trail", label=_l("Audit trail"), icon="fa-list-alt", **category)
    appbuilder.add_view(AccessLogView, "File consultations", label=_l("File consultations"), icon="fa-eye",
                        **category)
    appbuilder.add_view(IncidentView, "Confidentiality incidents", label=_l("Confidentiality incidents"),
                        icon="fa-exclamation-triangle", **category)
    # Off the menu: the reports dashboard (app/views/reports_dashboard.py) is what the menu offers.
    appbuilder.add_view_no_menu(ReportRunView)
