"""Finance: dated allowance rules, allowances earned per period, payments, and payment batches.

Allowances and payments are computed and paid by ``app.services.allowances`` (a batch job per
week); these screens show them. A paid allowance is never edited (a correction is an adjustment
row the batch adds) and a payment only comes from a batch, so the payment screen is read-only.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import flash, redirect, url_for
from flask_appbuilder import AppBuilder, SimpleFormView
from flask_appbuilder.forms import DynamicForm
from flask_babel import format_currency, format_date, gettext as _, lazy_gettext as _l
from wtforms import DateField
from wtforms.validators import DataRequired, ValidationError

from ...extensions import db
from ...jobs import enqueue
from ...models import Allowance, AllowanceRule, AllowanceStatus, Job, JobStatus, Payment
from ...services.allowances import LOOKBACK_WEEKS, batch_code, conflicting_rules, week_of
from .base import GuichetModelView, ReadOnlyModelView
from .interface import GuichetInterface


class RuleConflict(ValueError):
    """A rule whose dates overlap another rule of the same allowance and format."""


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

    def pre_add(self, item):
        super().pre_add(item)
        self._refuse_overlap(item)

    def pre_update(self, item):
        super().pre_update(item)
        self._refuse_overlap(item)

    @staticmethod
    def _refuse_overlap(item: AllowanceRule) -> None:
        """Only one amount may be in force on a day for an allowance and format."""
        if item.valid_from is None or item.kind is None or item.format is None:
            return
        clash = conflicting_rules(db.session, item)
        if clash:
            db.session.rollback()
            raise RuleConflict(_("These dates overlap the rule in force from %(start)s (%(rule)s): only one "
                                 "amount may apply on a given day. End that rule first.",
                                 start=format_date(clash[0].valid_from), rule=str(clash[0])))


class PaidAllowanceRefused(ValueError):
    """A change to an allowance that was paid, or marking one paid outside a batch."""


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

    def pre_add(self, item):
        super().pre_add(item)
        self._refuse_marking_paid(item)

    def pre_update(self, item):
        super().pre_update(item)
        self._refuse_if_paid(item)
        self._refuse_marking_paid(item)

    def pre_delete(self, item):
        super().pre_delete(item)
        self._refuse_if_paid(item)

    @staticmethod
    def _refuse_if_paid(item: Allowance) -> None:
        if item.payment_id is not None:
            db.session.rollback()
            raise PaidAllowanceRefused(_("This allowance has been paid: it is never changed. A correction is "
                                         "recorded as an adjustment by the next payment batch."))

    @staticmethod
    def _refuse_marking_paid(item: Allowance) -> None:
        if item.status == AllowanceStatus.PAID and item.payment_id is None:
            db.session.rollback()
            raise PaidAllowanceRefused(_("An allowance becomes paid only through a payment batch."))


class PaymentView(ReadOnlyModelView):
    """Payments are made by batches only: listed and shown, never typed in."""

    datamodel = GuichetInterface(Payment)
    list_title = _l("Payments")
    record_name = _l("payment")
    label_columns = {"paid_on": _l("Paid on"), "reference": _l("Payment reference"), "batch": _l("Batch"),
                     "allowances": _l("Allowances")}
    list_columns = ["reference", "learner", "paid_on", "amount", "batch"]
    search_columns = ["reference", "paid_on", "amount", "batch"]
    show_columns = ["reference", "learner", "paid_on", "amount", "batch"]
    related_views = [AllowanceView]
    base_order = ("paid_on", "desc")


class PaymentBatchForm(DynamicForm):
    week = DateField(_l("Week to pay"), [DataRequired()], description=_l(
        "Any day of the week. The batch computes the allowances of that week from the attendance (and of the "
        "%(weeks)d weeks before it, so that late corrections are not forgotten), then pays every allowance "
        "owed up to the end of the week.", weeks=LOOKBACK_WEEKS))
    paid_on = DateField(_l("Payment date"), [DataRequired()],
                        description=_l("The date of the payments; it must come after the end of the week."))

    def validate_paid_on(self, field):
        if self.week.data is None or field.data is None:
            return
        week_end = week_of(self.week.data) + dt.timedelta(days=6)
        if field.data <= week_end:
            raise ValidationError(_("The payment date must come after the end of the week (%(end)s).",
                                    end=format_date(week_end)))


class PaymentBatchView(SimpleFormView):
    """Run the weekly payment batch for a week (through the job queue)."""

    form = PaymentBatchForm
    form_title = _l("Run a payment batch")

    def form_get(self, form):
        today = dt.date.today()
        form.week.data = form.week.data or week_of(today) - dt.timedelta(days=7)
        form.paid_on.data = form.paid_on.data or today

    def form_post(self, form):
        week = week_of(form.week.data)
        code = batch_code(week, week + dt.timedelta(days=6))
        job = enqueue("build_payment_batch", week=week.isoformat(), paid_on=form.paid_on.data.isoformat())
        db.session.commit()  # the job runs now (embedded) or is pushed to the workers
        job = db.session.get(Job, job.id)
        if job.status == JobStatus.DONE:
            result = job.result or {}
            flash(_("Payment batch %(batch)s: %(count)d payment(s), %(total)s in all; %(held)d learner(s) held "
                    "with an amount owed back.", batch=code, count=result.get("payments", 0),
                    total=format_currency(Decimal(result.get("total", "0")), "CAD"), held=result.get("held", 0)),
                  "success")
        elif job.status == JobStatus.FAILED:
            flash(_("The payment batch %(batch)s failed: %(error)s", batch=code, error=job.error), "danger")
        else:
            flash(_("The payment batch %(batch)s is queued; its payments appear in this list once it has run.",
                    batch=code), "info")
        return redirect(url_for("PaymentView.list", _flt_3_batch=code))


def register(appbuilder: AppBuilder) -> None:
    category = dict(category="Finance", category_label=_l("Finance"), category_icon="fa-money")
    appbuilder.add_view(AllowanceRuleView, "Allowance rules", label=_l("Allowance rules"), icon="fa-balance-scale",
                        **category)
    appbuilder.add_view(AllowanceView, "Allowances", label=_l("Allowances"), icon="fa-money", **category)
    appbuilder.add_view(PaymentView, "Payments", label=_l("Payments"), icon="fa-credit-card", **category)
    appbuilder.add_view(PaymentBatchView, "Run a payment batch", label=_l("Run a payment batch"), icon="fa-play",
                        **category)
