"""The reports pages: the dashboard, capacity planning and the people to follow up.

* ``ReportsDashboardView`` (``/reports/``; Analyst, Admin, PartnerStaff): the indicators of
  :mod:`app.services.reports` for the filters of the URL, four charts (drawn in the browser by the
  vendored Chart.js from JSON data blocks) each followed by its data table, and links to the
  exports with the same filters.
* ``CapacityPlanningView`` (``/reports/capacity/``; Analyst, Admin, PartnerStaff): demand against
  declared and scheduled seats, and where groups must open (:mod:`app.services.capacity_planning`).
* ``FollowUpView`` (``/reports/follow-up/``; Agent, Admin): the people approved but never enrolled
  and those who dropped out without re-enrolling, with a follow-up action written as a case note.

Partner staff always see their own partner's figures: the partner of the URL is replaced by
theirs, whatever it says.
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField
from wtforms.validators import Optional

from ..extensions import db
from ..services import capacity_planning, case_notes, follow_up, reports
from ..services.access import partner_ids_for
from ..services.records import dropout_reason_label
from ..services.service_clock import STANDARD_WORKING_DAYS
from .admin.agent_desk import csrf_failed, private

# --- filters and scope --------------------------------------------------------------------------

def requested_filters() -> tuple[reports.ReportFilters, frozenset[int] | None]:
    """The filters of the URL and the partners the user may see (None: all). Partner staff get
    their own partner whatever the URL says (the one asked for when it is one of theirs)."""
    filters = reports.ReportFilters.from_args(request.args)
    partner_ids = partner_ids_for(db.session, current_user)
    if partner_ids is None:
        return filters, None
    if not partner_ids:
        abort(403)
    own = filters.partner_id if filters.partner_id in partner_ids else min(partner_ids)
    return filters.limited_to_partner(own), partner_ids


def page_number() -> int:
    page = request.args.get("page", "1")
    if not page.isascii() or not page.isdigit() or len(page) > 6 or int(page) < 1:
        abort(404)
    return int(page)


def export_form():
    """The form preparing an export in the background, when the user may export the indicators."""
    from flask import current_app

    from .reports_exports import StartForm

    if not current_app.appbuilder.sm.has_access("can_list", "ReportExportView"):
        return None
    return StartForm()


# --- charts --------------------------------------------------------------------------------------

def _number(value):
    return None if value is None else round(float(value), 1)


def waiting_time_chart(indicators: reports.IndicatorSet) -> dict:
    started, waiting = indicators.time_to_first_course, indicators.waiting.age
    return {
        "labels": [_("Complete application to first course"), _("People waiting today")],
        "datasets": [
            {"label": _("Median"), "data": [_number(started.median), _number(waiting.median)]},
            {"label": _("80th percentile"), "data": [_number(started.p80), _number(waiting.p80)]},
        ],
        "reference": {"label": _("Standard: %(days)s working days", days=STANDARD_WORKING_DAYS),
                      "value": STANDARD_WORKING_DAYS},
        "axis": _("Working days"),
    }


def waiting_by_region_chart(indicators: reports.IndicatorSet) -> dict:
    groups = indicators.waiting.by_region
    return {
        "labels": [str(group.label) for group in groups],
        "datasets": [
            {"label": _("Waiting %(days)s working days or less", days=STANDARD_WORKING_DAYS),
             "data": [group.count - group.beyond_standard for group in groups]},
            {"label": _("Waiting more than %(days)s working days", days=STANDARD_WORKING_DAYS),
             "data": [group.beyond_standard for group in groups]},
        ],
        "stacked": True, "horizontal": True,
        "axis": _("People waiting"),
    }


def dropout_reasons(indicators: reports.IndicatorSet) -> list[tuple[str, int]]:
    """Dropouts per reason label (the reasons written after "other" count as one), most first."""
    counts: dict[str, int] = {}
    for reason in indicators.training.dropout_reasons:
        label = dropout_reason_label(reason.reason.partition(": ")[0]) if reason.reason else _("No reason given")
        counts[label] = counts.get(label, 0) + reason.count
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def dropout_chart(reasons: list[tuple[str, int]]) -> dict:
    return {
        "labels": [label for label, _count in reasons],
        "datasets": [{"label": _("Dropouts"), "data": [count for _label, count in reasons]}],
        "horizontal": True,
        "axis": _("Dropouts"),
    }


def capacity_by_region(lines) -> list[dict]:
    """Demand, declared seats, scheduled and free seats summed per region, in region order."""
    regions: dict[str, dict] = {}
    for line in lines:
        row = regions.setdefault(str(line.region), {"region": str(line.region), "demand": 0, "declared": 0,
                                                    "scheduled": 0, "free": 0})
        row["demand"] += line.demand
        row["declared"] += line.declared_seats
        row["scheduled"] += line.scheduled_seats
        row["free"] += line.free_seats
    return list(regions.values())


def capacity_chart(rows: list[dict]) -> dict:
    return {
        "labels": [row["region"] for row in rows],
        "datasets": [
            {"label": _("Demand (people waiting without a seat)"), "data": [row["demand"] for row in rows]},
            {"label": _("Seats declared by partners"), "data": [row["declared"] for row in rows]},
            {"label": _("Free seats in scheduled groups"), "data": [row["free"] for row in rows]},
        ],
        "axis": _("People or seats"),
    }


# --- the dashboard -------------------------------------------------------------------------------

class ReportsDashboardView(BaseView):
    """The indicators for the filters of the URL, in charts and tables."""

    route_base = "/reports"
    default_view = "index"
    method_permission_name = {"index": "list"}

    @expose("/")
    @has_access
    def index(self):
        filters, partner_ids = requested_filters()
        indicators = reports.indicator_set(db.session, filters)
        reasons = dropout_reasons(indicators)
        capacity_rows = capacity_by_region(indicators.capacity)
        charts = {
            "chart-waiting-time": waiting_time_chart(indicators),
            "chart-waiting-region": waiting_by_region_chart(indicators),
            "chart-dropout": dropout_chart(reasons),
            "chart-capacity": capacity_chart(capacity_rows),
        }
        return private(self.render_template(
            "reports/dashboard.html", title=_("Reports dashboard"), indicators=indicators, filters=filters,
            choices=reports.filter_choices(db.session, partner_ids), scoped=partner_ids is not None,
            charts=charts, reasons=reasons, capacity_rows=capacity_rows, export_form=export_form(),
            standard=STANDARD_WORKING_DAYS))


# --- capacity planning ---------------------------------------------------------------------------

class CapacityPlanningView(BaseView):
    """Demand against declared and scheduled seats; where groups must open."""

    route_base = "/reports/capacity"
    default_view = "index"
    method_permission_name = {"index": "list"}

    @expose("/")
    @has_access
    def index(self):
        filters, partner_ids = requested_filters()
        planned = capacity_planning.plan(db.session, filters)
        return private(self.render_template(
            "reports/capacity.html", title=_("Capacity planning"), plan=planned, filters=filters,
            choices=reports.filter_choices(db.session, partner_ids), scoped=partner_ids is not None))


# --- the people to follow up ---------------------------------------------------------------------

class FollowUpForm(FlaskForm):
    body = TextAreaField(_l("What was done (call, message, meeting) and what comes next"))
    follow_up_on = DateField(_l("Follow up again on (optional)"), validators=[Optional()])


class FollowUpView(BaseView):
    """The people approved but never enrolled, and those who dropped out without re-enrolling."""

    route_base = "/reports/follow-up"
    default_view = "index"
    method_permission_name = {"index": "list", "note": "add"}

    def _page(self, kind: str, form: FollowUpForm | None = None, refusal: str | None = None,
              refused_for: int | None = None):
        filters, _partner_ids = requested_filters()
        page = page_number()
        people = follow_up.people_to_follow(db.session, kind, filters, page)
        if page > people.pages:
            abort(404)
        return private(self.render_template(
            "reports/follow_up.html", title=_("People to follow up"), kind=kind, kinds=follow_up.KINDS,
            people=people, filters=filters, choices=reports.filter_choices(db.session), form=form or FollowUpForm(),
            refusal=refusal, refused_for=refused_for, counts=reports.follow_up_counts(db.session, filters)))

    @expose("/")
    @expose("/<kind>")
    @has_access
    def index(self, kind: str = follow_up.NEVER_ENROLLED):
        if kind not in follow_up.KINDS:
            abort(404)
        return self._page(kind)

    @expose("/<kind>/<int(max=2147483647):learner_id>", methods=["POST"])
    @has_access
    def note(self, kind: str, learner_id: int):
        if kind not in follow_up.KINDS:
            abort(404)
        form = FollowUpForm()
        if not form.validate_on_submit():
            if csrf_failed(form):
                abort(400)
            return self._page(kind, form, _("Check the date: year-month-day."), learner_id)
        try:
            note = follow_up.record_follow_up(db.session, current_user, kind, learner_id, form.body.data,
                                              form.follow_up_on.data)
        except case_notes.NoteRefused as refused:
            db.session.rollback()
            return self._page(kind, form, str(refused.message), learner_id)
        if note is None:
            abort(404)
        db.session.commit()
        flash(_("Follow-up written in the case notes of %(name)s.", name=note.learner.full_name), "success")
        filters, _partner_ids = requested_filters()
        return redirect(url_for(".index", kind=kind, **filters.to_args()))


def register(appbuilder: AppBuilder) -> None:
    category = dict(category="Reports", category_label=_l("Reports"), category_icon="fa-bar-chart")
    appbuilder.add_view(ReportsDashboardView, "Reports dashboard", label=_l("Reports dashboard"),
                        icon="fa-line-chart", **category)
    appbuilder.add_view(CapacityPlanningView, "Capacity planning", label=_l("Capacity planning"),
                        icon="fa-th", **category)
    appbuilder.add_view(FollowUpView, "People to follow up", label=_l("People to follow up"),
                        icon="fa-phone", **category)
