"""My groups: partner staff record attendance, exam results, completion and dropout for their groups.

Every section is looked up within the partners the user acts for, so another partner's section
by typed URL answers 404 — GET or POST — before anything is read or written. FAB checks the
role: ``can_list``/``can_show`` read the pages (PartnerStaff, Agent, Admin), ``can_edit``
writes (PartnerStaff, Admin). The service decides; the view parses, commits once, flashes and
redirects; a refused grid is shown again with what was typed and a message on each bad row.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import groupby

from flask import abort, flash, make_response, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import format_date, format_decimal, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ...extensions import db
from ...models import Enrolment, EnrolmentStatus, Section, Skill
from ...services import records
from ...services.access import partner_ids_for
from ...services.enrolment import RegistrationRefused
from ...services.records import (
    DROPOUT_REASONS, AttendanceEntry, EntriesRejected, ExamEntry, NotYourGroup, RecordRefused,
)
from ..errors import render_error

PAGE_SIZE = 30


class ActionForm(FlaskForm):
    """A grid or a confirmed action: the CSRF token; the rows are read from the request."""


class CompletionForm(FlaskForm):
    outcome = SelectField(_l("Outcome"), validators=[InputRequired()], choices=[
        SelectChoice(EnrolmentStatus.COMPLETED.value, _l("Completed")),
        SelectChoice(EnrolmentStatus.FAILED.value, _l("Not passed"))])


class DropoutForm(FlaskForm):
    reason = SelectField(_l("Reason for leaving"), default="", choices=[
        SelectChoice("", _l("Choose a reason")),
        *(SelectChoice(code, label) for code, label in DROPOUT_REASONS.items())])
    detail = TextAreaField(_l("Details (required for another reason)"), validators=[Length(max=500)])


# --- helpers ------------------------------------------------------------------------------------

def parse_day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def hours_text(hours: Decimal | None) -> str:
    """Hours in the page's language (2,5 in French)."""
    return "" if hours is None else format_decimal(hours, format="#,##0.##")


def hours_value(hours: Decimal | None) -> str:
    """Hours as an <input type=number> value (a dot, no trailing zeros)."""
    return "" if hours is None else f"{hours.normalize():f}"


def hours_step(scheduled: Decimal) -> str:
    """The step of the hours inputs: half-hours unless the class length needs finer steps."""
    for step in ("0.5", "0.25"):
        if scheduled % Decimal(step) == 0:
            return step
    return "0.01"


def private(response):
    """Personal content: never kept by a browser or a shared cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def group_enrolment(section: Section, enrolment_id: int) -> Enrolment:
    """The enrolment of that group with that id, or 404."""
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.id == enrolment_id,
                                                          Enrolment.section_id == section.id))
    if enrolment is None:
        abort(404)
    return enrolment


def refused(message: str, target: str):
    db.session.rollback()
    flash(message, "danger")
    return redirect(target)


# --- the pages ----------------------------------------------------------------------------------

class GroupRecordsView(BaseView):
    """The groups of the staff member's partners and, for each one, its records."""

    route_base = "/partner/groups"
    default_view = "index"
    # reading: can_list / can_show; recording: can_edit (see ROLE_MATRIX)
    method_permission_name = {
        "index": "list", "group": "show", "attendance": "show", "results": "show",
        "save_attendance": "edit", "save_results": "edit", "complete": "edit", "confirm_dropout": "edit",
        "dropout": "edit",
    }

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint, static_folder)
        blueprint.register_error_handler(NotYourGroup, self.not_your_group)
        return blueprint

    @staticmethod
    def not_your_group(error: NotYourGroup):
        """A service refused a section of another partner: answer as if it did not exist."""
        db.session.rollback()
        return render_error(404)

    def _render(self, template: str, **context):
        context.setdefault("can_write", self.appbuilder.sm.has_access("can_edit", self.class_permission_name))
        return private(make_response(self.render_template(
            template, hours_text=hours_text, hours_value=hours_value, Status=EnrolmentStatus, **context)))

    def _section(self, section_id: int) -> Section:
        """The section if the user acts for its partner; 404 for any other (not found, not forbidden)."""
        section = records.section_for_staff(db.session, current_user, section_id)
        if section is None:
            abort(404)
        return section

    @expose("/")
    @has_access
    def index(self):
        page = max(request.args.get("page", 1, type=int), 1)
        sections, total = records.sections_for_staff(db.session, current_user, page=page, page_size=PAGE_SIZE)
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        if page > pages:
            abort(404)
        scoped = partner_ids_for(db.session, current_user) is not None
        last_days = records.last_attendance_days(db.session, current_user, [s.id for s in sections])
        terms = [(term, list(items)) for term, items in groupby(sections, key=lambda s: s.term)]
        return self._render("partner/groups.html", title=_("My groups") if scoped else _("Groups"), terms=terms,
                            total=total, page=page, pages=pages, last_days=last_days, scoped=scoped)

    @expose("/<int:section_id>/")
    @has_access
    def group(self, section_id: int):
        section = self._section(section_id)
        roster, waiting = records.group_roster(db.session, current_user, section)
        return self._render("partner/group.html", title=_("Group %(code)s", code=section.code), section=section,
                            roster=roster, waiting=waiting, reason_label=records.dropout_reason_label, current="group")

    # attendance ---------------------------------------------------------------------------------

    def _attendance_page(self, section: Section, day: dt.date | None, *, refusal: str | None = None,
                         sheet=None, typed=None, problems=None):
        days = sheet.days if sheet is not None else records.meeting_days(section)
        return self._render(
            "partner/attendance.html", title=_("Attendance of group %(code)s", code=section.code),
            section=section, day=day, days=list(reversed(days)), sheet=sheet, refusal=refusal,
            typed=typed or {}, problems=problems or {}, form=ActionForm(), current="attendance",
            step=hours_step(sheet.hours_scheduled) if sheet is not None else "0.5")

    @expose("/<int:section_id>/attendance", methods=["GET"])
    @has_access
    def attendance(self, section_id: int):
        section = self._section(section_id)
        if "day" in request.args:
            day = parse_day(request.args["day"])
            if day is None:
                return self._attendance_page(section, None, refusal=_("Enter the date as YYYY-MM-DD."))
        else:
            days = records.meeting_days(section)
            if not days:
                return self._attendance_page(section, None)
            day = days[-1]
        try:
            sheet = records.attendance_sheet(db.session, current_user, section, day)
        except RecordRefused as refusal:
            return self._attendance_page(section, day, refusal=refusal.message)
        return self._attendance_page(section, day, sheet=sheet)

    @expose("/<int:section_id>/attendance", methods=["POST"])
    @has_access
    def save_attendance(self, section_id: int):
        section = self._section(section_id)
        if not ActionForm().validate_on_submit():
            abort(400)
        day = parse_day(request.form.get("day"))
        if day is None:
            abort(400)
        back = url_for(".attendance", section_id=section.id, day=day.isoformat())
        try:
            sheet = records.attendance_sheet(db.session, current_user, section, day)
            entries = [AttendanceEntry(row.enrolment.id, request.form.get(f"hours-{row.enrolment.id}"),
                                       f"justified-{row.enrolment.id}" in request.form) for row in sheet.rows]
            saved = records.record_attendance(db.session, current_user, section, day, entries)
            db.session.commit()
        except RecordRefused as refusal:
            return refused(refusal.message, back)
        except EntriesRejected as rejected:
            db.session.rollback()
            typed = {entry.enrolment_id: (entry.hours_present or "", entry.justified) for entry in entries}
            sheet = records.attendance_sheet(db.session, current_user, section, day)
            return self._attendance_page(section, day, sheet=sheet, typed=typed,
                                         problems={key: p.message for key, p in rejected.problems.items()})
        except IntegrityError:  # another save of the same sheet won the race
            return refused(_("The sheet was saved by someone else at the same time: check it and save again."), back)
        flash(_("Attendance of %(day)s saved for group %(code)s: %(created)s new, %(updated)s changed.",
                day=format_date(day, "full"), code=section.code, created=saved.created, updated=saved.updated),
              "success")
        return redirect(back)

    # exam results -------------------------------------------------------------------------------

    def _results_page(self, section: Section, taken_on: dt.date, *, typed=None, problems=None, evaluator=None):
        refusal = records.exam_date_refusal(section, taken_on)
        sheet = records.exam_sheet(db.session, current_user, section, taken_on)
        if evaluator is None:
            recorded = next((r.evaluator for r in sheet.results.values() if r.evaluator), None)
            evaluator = recorded or (str(section.teacher) if section.teacher else "")
        return self._render(
            "partner/results.html", title=_("Exam results of group %(code)s", code=section.code),
            section=section, sheet=sheet, taken_on=taken_on, refusal=refusal.message if refusal else None,
            skills=list(Skill), typed=typed or {}, problems=problems or {}, evaluator=evaluator,
            form=ActionForm(), current="results", today=records.local_today())

    @expose("/<int:section_id>/results", methods=["GET"])
    @has_access
    def results(self, section_id: int):
        section = self._section(section_id)
        taken_on = parse_day(request.args.get("taken_on"))
        if taken_on is None:
            dates = records.exam_dates(db.session, section)
            taken_on = dates[0] if dates else min(records.local_today(), section.ends_on)
        return self._results_page(section, taken_on)

    @expose("/<int:section_id>/results", methods=["POST"])
    @has_access
    def save_results(self, section_id: int):
        section = self._section(section_id)
        if not ActionForm().validate_on_submit():
            abort(400)
        taken_on = parse_day(request.form.get("taken_on"))
        if taken_on is None:
            abort(400)
        back = url_for(".results", section_id=section.id, taken_on=taken_on.isoformat())
        evaluator = request.form.get("evaluator", "")
        sheet = records.exam_sheet(db.session, current_user, section, taken_on)
        entries = [ExamEntry(enrolment.id, skill, request.form.get(f"level-{enrolment.id}-{skill.value}"),
                             f"passed-{enrolment.id}-{skill.value}" in request.form)
                   for enrolment in sheet.enrolments for skill in Skill]
        try:
            saved = records.record_exam_results(db.session, current_user, section, entries, taken_on=taken_on,
                                                evaluator=evaluator)
            db.session.commit()
        except RecordRefused as refusal:
            return refused(refusal.message, back)
        except EntriesRejected as rejected:
            db.session.rollback()
            typed = {(entry.enrolment_id, entry.skill): (entry.level or "", entry.passed) for entry in entries}
            return self._results_page(section, taken_on, typed=typed, evaluator=evaluator,
                                      problems={key: p.message for key, p in rejected.problems.items()})
        flash(_("Exam results of %(day)s saved for group %(code)s: %(created)s new, %(updated)s changed.",
                day=format_date(taken_on, "full"), code=section.code, created=saved.created,
                updated=saved.updated), "success")
        return redirect(back)

    # completion and dropout ---------------------------------------------------------------------

    @expose("/<int:section_id>/learners/<int:enrolment_id>/complete", methods=["POST"])
    @has_access
    def complete(self, section_id: int, enrolment_id: int):
        section = self._section(section_id)
        enrolment = group_enrolment(section, enrolment_id)
        back = url_for(".group", section_id=section.id)
        form = CompletionForm()
        if not form.validate_on_submit():
            if "csrf_token" in form.errors:
                abort(400)
            return refused(str(records.REFUSALS["unknown_outcome"]), back)
        try:
            records.complete_enrolment(db.session, current_user, enrolment, EnrolmentStatus(form.outcome.data))
            db.session.commit()
        except RecordRefused as refusal:
            return refused(refusal.message, back)
        flash(_("%(name)s: %(outcome)s in group %(code)s.", name=enrolment.learner.full_name,
                outcome=enrolment.status.label, code=section.code), "success")
        return redirect(back)

    def _dropout_page(self, section, enrolment, form, error=None):
        return self._render("partner/dropout.html", title=_("Record a dropout"), section=section,
                            enrolment=enrolment, form=form, error=error, current="group")

    @expose("/<int:section_id>/learners/<int:enrolment_id>/dropout", methods=["GET"])
    @has_access
    def confirm_dropout(self, section_id: int, enrolment_id: int):
        section = self._section(section_id)
        enrolment = group_enrolment(section, enrolment_id)
        if enrolment.status != EnrolmentStatus.ENROLLED:
            return refused(RecordRefused("not_enrolled").message, url_for(".group", section_id=section.id))
        return self._dropout_page(section, enrolment, DropoutForm())

    @expose("/<int:section_id>/learners/<int:enrolment_id>/dropout", methods=["POST"])
    @has_access
    def dropout(self, section_id: int, enrolment_id: int):
        section = self._section(section_id)
        enrolment = group_enrolment(section, enrolment_id)
        back = url_for(".group", section_id=section.id)
        form = DropoutForm()
        if not form.validate_on_submit():
            if "csrf_token" in form.errors:
                abort(400)
            return self._dropout_page(section, enrolment, form, RecordRefused("reason_required").message)
        name = enrolment.learner.full_name
        try:
            outcome = records.record_dropout(db.session, current_user, enrolment, form.reason.data,
                                             form.detail.data)
            db.session.commit()
        except RecordRefused as refusal:
            db.session.rollback()
            if refusal.code in ("reason_required", "reason_detail_required"):
                return self._dropout_page(section, enrolment, form, refusal.message)
            return refused(refusal.message, back)
        except RegistrationRefused as refusal:
            return refused(refusal.message, back)
        flash(_("%(name)s has left group %(code)s; the seat is released.", name=name, code=section.code),
              "success")
        for promoted in outcome.promoted:
            flash(_("%(name)s, next on the waiting list, gets the seat (%(status)s).",
                    name=promoted.learner.full_name, status=promoted.status.label), "info")
        return redirect(back)


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(GroupRecordsView, "My groups", label=_l("My groups"), icon="fa-users",
                        category="Records", category_label=_l("Records"), category_icon="fa-graduation-cap")
