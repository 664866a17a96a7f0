"""Enterprises: businesses (NEQ), their representatives and their workplace-training requests."""
from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l
from wtforms.validators import Regexp

from ...models import Enterprise, EnterpriseMembership, EnterpriseRequest
from ...services.access import ENTERPRISE_REP
from .base import GuichetModelView
from .interface import GuichetInterface
from .scope import users_with_roles


class EnterpriseRequestView(GuichetModelView):
    datamodel = GuichetInterface(EnterpriseRequest)
    list_title = _l("Workplace training requests")
    record_name = _l("workplace training request")
    label_columns = {
        "requested_by": _l("Requested by"),
        "employees_count": _l("Employees to train"),
        "site_address": _l("Training address"),
        "schedule_notes": _l("Schedule wishes"),
        "partner": _l("Assigned partner"),
        "assigned_at": _l("Assigned"),
        "groups": _l("Workplace groups serving it"),
    }
    list_columns = ["id", "enterprise", "employees_count", "region", "format", "level_min", "level_max", "status",
                    "partner", "created_at"]
    search_columns = ["status", "format", "region", "partner", "employees_count"]
    show_fieldsets = [
        (_l("Request"), {"fields": ["id", "enterprise", "requested_by", "employees_count", "site_address", "region",
                                    "format", "level_min", "level_max", "schedule_notes", "created_at"]}),
        (_l("Follow-up"), {"fields": ["status", "partner", "assigned_at", "groups"]}),
    ]
    add_columns = edit_columns = ["enterprise", "employees_count", "site_address", "region", "format", "level_min",
                                  "level_max", "schedule_notes", "status", "partner", "assigned_at"]
    base_order = ("created_at", "desc")


class EnterpriseMembershipView(GuichetModelView):
    datamodel = GuichetInterface(EnterpriseMembership)
    list_title = _l("Enterprise representatives")
    record_name = _l("enterprise representative")
    label_columns = {"user": _l("Representative's account")}
    list_columns = ["user", "enterprise", "job_title"]
    search_columns = ["job_title"]
    show_columns = add_columns = edit_columns = ["user", "enterprise", "job_title"]
    add_form_query_rel_fields = edit_form_query_rel_fields = {"user": users_with_roles(ENTERPRISE_REP)}
    base_order = ("enterprise_id", "asc")


class EnterpriseView(GuichetModelView):
    datamodel = GuichetInterface(Enterprise)
    list_title = _l("Enterprises")
    record_name = _l("enterprise")
    label_columns = {
        "neq": _l("Québec enterprise number (NEQ)"),
        "name": _l("Business name"),
        "employee_count": _l("Employees"),
    }
    list_columns = ["neq", "name", "region", "employee_count", "created_at"]
    search_columns = ["neq", "name", "region", "employee_count"]
    show_columns = ["neq", "name", "address", "region", "employee_count", "created_at"]
    add_columns = edit_columns = ["neq", "name", "address", "region", "employee_count"]
    validators_columns = {"neq": [Regexp(r"^\d{10}$", message=_l("The NEQ is exactly 10 digits."))]}
    related_views = [EnterpriseRequestView, EnterpriseMembershipView]
    base_order = ("name", "asc")


def register(appbuilder: AppBuilder) -> None:
    category = dict(category="Enterprises", category_label=_l("Enterprises"), category_icon="fa-industry")
    appbuilder.add_view(EnterpriseView, "Enterprises", label=_l("Enterprises"), icon="fa-industry", **category)
    appbuilder.add_view(EnterpriseMembershipView, "Enterprise representatives",
                        label=_l("Enterprise representatives"), icon="fa-id-badge", **category)
    appbuilder.add_view(EnterpriseRequestView, "Workplace training requests",
                        label=_l("Workplace training requests"), icon="fa-briefcase", **category)
