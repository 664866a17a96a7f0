"""Finance: dated allowance rules, allowances earned per period, payments."""
from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from ...models import Allowance, AllowanceRule, Payment
from .base import GuichetInterface, GuichetModelView


class AllowanceRuleView(GuichetModelView):
    datamodel = GuichetInterface(AllowanceRule)
    list_title = _l("Allowance rules")
    record_name = _l("allowance rule")
    label_columns = {
        "kind": _l("Allowance"),
        "unit": _l("Unit"),
        "valid_from": _l("In force from"),
        "valid_to": _l("In force until"),
        "in_person_only": _l("In-person courses only"),
    }
    list_columns = ["kind", "format", "unit", "amount", "valid_from", "valid_to", "in_person_only"]
    search_columns = ["kind", "format", "unit", "valid_from", "valid_to", "in_person_only"]
    show_columns = add_columns = edit_columns = ["kind", "format", "unit", "amount", "valid_from", "valid_to",
                                                 "in_person_only", "note_fr", "note_en"]
    base_order = ("valid_from", "desc")


class AllowanceView(GuichetModelView):
    datamodel = GuichetInterface(Allowance)
    list_title = _l("Allowances")
    record_name = _l("allowance")
    label_columns = {
        "kind": _l("Allowance"),
        "period_start": _l("Period start"),
        "period_end": _l("Period end"),
        "sequence": _l("Sequence"),
        "quantity": _l("Quantity"),
        "rule": _l("Rule applied"),
        "payment": _l("Payment"),
        "adjusts": _l("Adjusts"),
    }
    list_columns = ["learner", "kind", "period_start", "period_end", "quantity", "amount", "status", "payment"]
    search_columns = ["kind", "status", "period_start", "period_end", "amount"]
    show_fieldsets = [
        (_l("Allowance"), {"fields": ["learner", "enrolment", "kind", "period_start", "period_end", "quantity",
                                      "amount", "status"]}),
        (_l("Calculation and payment"), {"fields": ["rule", "sequence", "adjusts", "payment", "note",
                                                    "created_at"]}),
    ]
    add_columns = edit_columns = ["learner", "enrolment", "kind", "period_start", "period_end", "quantity", "amount",
                                  "status", "rule", "note"]
    base_order = ("period_start", "desc")


class PaymentView(GuichetModelView):
    datamodel = GuichetInterface(Payment)
    list_title = _l("Payments")
    record_name = _l("payment")
    label_columns = {"paid_on": _l("Paid on"), "reference": _l("Payment reference"), "batch": _l("Batch")}
    list_columns = ["reference", "learner", "paid_on", "amount", "batch"]
    search_columns = ["reference", "paid_on", "amount", "batch"]
    show_columns = add_columns = edit_columns = ["reference", "learner", "paid_on", "amount", "batch"]
    related_views = [AllowanceView]
    base_order = ("paid_on", "desc")


def register(appbuilder: AppBuilder) -> None:
    category = dict(category="Finance", category_label=_l("Finance"), category_icon="fa-money")
    appbuilder.add_view(AllowanceRuleView, "Allowance rules", label=_l("Allowance rules"), icon="fa-balance-scale",
                        **category)
    appbuilder.add_view(AllowanceView, "Allowances", label=_l("Allowances"), icon="fa-money", **category)
    appbuilder.add_view(PaymentView, "Payments", label=_l("Payments"), icon="fa-credit-card", **category)
