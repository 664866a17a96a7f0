"""Workplace-training requests in the back office: the agents' queue and the partners' side.

``EnterpriseRequestDeskView`` (Agent, Admin; menu "Enterprises"): the requests waiting for the
ministry, oldest first; an agent assigns one to a partner and the representative is told.
``WorkplaceRequestsView`` (PartnerStaff, Admin; menu "Partners"): the requests assigned to the
staff member's partners; for one still assigned, they create the workplace group, which schedules
it. A request assigned to another partner answers 404, GET or POST. The rules are in
``app.services.enterprises``.
"""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, make_response, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import DateField, FieldList, Form, FormField, IntegerField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ...extensions import db
from ...models import Partner, RequestStatus, Site, Teacher
from ...models.catalogue import WEEKDAY_LABELS
from ...services import enterprises as service
from ...services.access import partner_ids_for
from ...services.enterprises import EnterpriseRefused
from ..accounts import external_url

MEETING_ROWS = 3


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None



def course_choice_label(course) -> str:
    """A course in a list of choices: its code, title and levels ("level 3" when there is one)."""
    if course.level_min == course.level_max:
        return _("%(code)s — %(title)s (level %(level)s)", code=course.code, title=course.title,
                 level=course.level_min)
    return _("%(code)s — %(title)s (levels %(min)s to %(max)s)", code=course.code, title=course.title,
             min=course.level_min, max=course.level_max)

class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()], choices=[
        SelectChoice("", _l("Waiting for action (submitted or assigned)")),
        *(SelectChoice(status.value, status.label) for status in RequestStatus)])


class AssignForm(FlaskForm):
    partner = SelectField(_l("Partner"), coerce=_int_or_none, validate_choice=False,
                          validators=[InputRequired(message=_l("Choose a partner."))])


class MeetingForm(Form):
    weekday = SelectField(_l("Day"), coerce=_int_or_none, validate_choice=False, validators=[Optional()],
                          choices=[("", _l("No meeting"))] + [(day, label) for day, label in WEEKDAY_LABELS.items()])
    starts_at = TimeField(_l("Start"), validators=[Optional()])
    ends_at = TimeField(_l("End"), validators=[Optional()])


class WorkplaceGroupForm(FlaskForm):
    course = SelectField(_l("Workplace course"), coerce=_int_or_none, validate_choice=False,
                         validators=[InputRequired(message=_l("Choose a workplace course."))])
    term = SelectField(_l("Term"), coerce=_int_or_none, validate_choice=False,
                       validators=[InputRequired(message=_l("Choose a term."))])
    code = StringField(_l("Group code"), validators=[
        InputRequired(message=_l("Give the group a code.")),
        Length(max=30, message=_l("At most %(max)d characters.", max=30))])
    capacity = IntegerField(_l("Seats"), validators=[
        InputRequired(message=_l("Give the number of seats.")),
        NumberRange(min=1, max=200, message=_l("A whole number of seats from 1 to 200."))])
    starts_on = DateField(_l("First day (blank: the term's)"), validators=[Optional()])
    ends_on = DateField(_l("Last day (blank: the term's)"), validators=[Optional()])
    site = SelectField(_l("Site (optional)"), coerce=_int_or_none, validate_choice=False, validators=[Optional()])
    teacher = SelectField(_l("Teacher (optional)"), coerce=_int_or_none, validate_choice=False,
                          validators=[Optional()])
    meetings = FieldList(FormField(MeetingForm), min_entries=MEETING_ROWS, max_entries=MEETING_ROWS)

    def weekly_meetings(self) -> tuple[service.WeeklyMeeting, ...] | None:
        """The meeting rows filled in; None when a row is half filled (its field gets the message)."""
        rows, complete = [], True
        for entry in self.meetings:
            values = (entry.weekday.data, entry.starts_at.data, entry.ends_at.data)
            if all(value is None for value in values):
                continue
            if any(value is None for value in values):
                entry.weekday.errors = [*entry.weekday.errors, _("Give the day, the start and the end.")]
                complete = False
                continue
            rows.append(service.WeeklyMeeting(*values))
        return tuple(rows) if complete else None


def private(response):
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def request_link(training_request) -> str:
    """The representative's page of a request, for the e-mails."""
    return external_url("MyEnterpriseView.request_page", enterprise_id=training_request.enterprise_id,
                        request_id=training_request.id)


def montreal_today() -> dt.date:
    from ...services.service_clock import montreal_today as today

    return today()


# --- the agents' queue ---------------------------------------------------------------------------

class EnterpriseRequestDeskView(BaseView):
    route_base = "/agent/enterprise-requests"
    default_view = "index"
    method_permission_name = {"index": "list", "request_page": "show", "assign": "edit"}

    @expose("/")
    @has_access
    def index(self):
        form = QueueFilterForm(request.args)
        form.validate()
        status = RequestStatus(form.status.data) if form.status.data and not form.status.errors else None
        return private(self.render_template(
            "enterprise/agent_queue.html", title=_("Workplace training requests to handle"), form=form,
            requests=service.request_queue(db.session, status)))

    def _request(self, request_id: int):
        training_request = service.request_file(db.session, request_id)
        if training_request is None:
            abort(404)
        return training_request

    def _page(self, training_request, form: AssignForm, status: int = 200):
        return private((self.render_template(
            "enterprise/agent_request.html", title=_("Request no. %(number)s", number=training_request.id),
            training_request=training_request, form=form, Status=RequestStatus,
            groups=service.workplace_groups(db.session, training_request.enterprise_id),
            request_groups=service.request_groups(db.session, training_request)), status))

    def _assign_form(self, training_request) -> AssignForm:
        form = AssignForm()
        partners = db.session.scalars(select(Partner).where(Partner.active.is_(True)).options(
            joinedload(Partner.region)).order_by(
            (Partner.region_id != training_request.region_id), Partner.name))
        form.partner.choices = [("", _("Choose a partner"))] + [
            (partner.id, f"{partner.name} — {partner.region.name}") for partner in partners]
        if not form.is_submitted() and training_request.partner_id:
            form.partner.data = training_request.partner_id
        return form

    @expose("/<int:request_id>")
    @has_access
    def request_page(self, request_id: int):
        training_request = self._request(request_id)
        return self._page(training_request, self._assign_form(training_request))

    @expose("/<int:request_id>/assign", methods=["POST"])
    @has_access
    def assign(self, request_id: int):
        training_request = self._request(request_id)
        form = self._assign_form(training_request)
        if not form.validate_on_submit():
            if "csrf_token" in form.errors:
                abort(400)
            return self._page(training_request, form, 400)
        partner = db.session.get(Partner, form.partner.data)
        if partner is None:
            form.partner.errors = [_("Choose a partner.")]
            return self._page(training_request, form, 400)
        try:
            service.assign_to_partner(db.session, training_request, partner, request_link(training_request))
        except EnterpriseRefused as refusal:
            db.session.rollback()
            form.partner.errors = [refusal.message]
            return self._page(self._request(request_id), form, 409)
        db.session.commit()
        flash(_("Request no. %(number)s is assigned to %(partner)s; the business is told.",
                number=training_request.id, partner=partner.name), "success")
        return redirect(url_for(".request_page", request_id=training_request.id))


# --- the partners' side --------------------------------------------------------------------------

class WorkplaceRequestsView(BaseView):
    route_base = "/partner/workplace-requests"
    default_view = "index"
    method_permission_name = {"index": "list", "request_page": "show", "schedule": "add"}

    @expose("/")
    @has_access
    def index(self):
        return private(self.render_template(
            "enterprise/partner_requests.html", title=_("Workplace training requests assigned to us"),
            requests=service.requests_for_partners(db.session, partner_ids_for(db.session, current_user))))

    def _request(self, request_id: int):
        training_request = service.request_for_partners(db.session, request_id,
                                                        partner_ids_for(db.session, current_user))
        if training_request is None:
            abort(404)
        return training_request

    def _group_form(self, training_request) -> WorkplaceGroupForm:
        form = WorkplaceGroupForm()
        today = montreal_today()
        form.course.choices = [("", _("Choose a course"))] + [
            (course.id, course_choice_label(course))
            for course in service.workplace_courses(db.session, training_request)]
        form.term.choices = [("", _("Choose a term"))] + [
            (term.id, f"{term.name} ({term.starts_on.isoformat()} – {term.ends_on.isoformat()})")
            for term in service.open_terms(db.session, today)]
        partner_id = training_request.partner_id
        form.site.choices = [("", _("No site (at the business)"))] + [
            (site.id, str(site)) for site in db.session.scalars(
                select(Site).where(Site.partner_id == partner_id).order_by(Site.name))]
        form.teacher.choices = [("", _("Not decided yet"))] + [
            (teacher.id, str(teacher)) for teacher in db.session.scalars(
                select(Teacher).where(Teacher.partner_id == partner_id).order_by(Teacher.last_name))]
        if not form.is_submitted():
            form.capacity.data = training_request.employees_count
            form.code.data = f"ENT-{training_request.id}"
        return form

    def _page(self, training_request, form: WorkplaceGroupForm, status: int = 200):
        return private((self.render_template(
            "enterprise/partner_request.html", title=_("Request no. %(number)s", number=training_request.id),
            training_request=training_request, form=form, Status=RequestStatus,
            request_groups=service.request_groups(db.session, training_request),
            groups=service.workplace_groups(db.session, training_request.enterprise_id,
                                            training_request.partner_id)), status))

    @expose("/<int:request_id>")
    @has_access
    def request_page(self, request_id: int):
        training_request = self._request(request_id)
        return self._page(training_request, self._group_form(training_request))

    @expose("/<int:request_id>/schedule", methods=["POST"])
    @has_access
    def schedule(self, request_id: int):
        training_request = self._request(request_id)
        form = self._group_form(training_request)
        valid = form.validate_on_submit()
        if "csrf_token" in form.errors:
            abort(400)
        meetings = form.weekly_meetings()
        if not valid or meetings is None:
            return self._page(training_request, form, 400)
        try:
            section = service.schedule_request(db.session, training_request, service.WorkplaceGroup(
                course_id=form.course.data, term_id=form.term.data, code=form.code.data, capacity=form.capacity.data,
                meetings=meetings, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                site_id=form.site.data, teacher_id=form.teacher.data), request_link(training_request),
                montreal_today())
        except EnterpriseRefused as refusal:
            db.session.rollback()
            training_request = self._request(request_id)
            field = getattr(form, refusal.field, None) if refusal.field else None
            if field is None or refusal.field == "meetings":
                flash(refusal.message, "danger")
            else:
                field.errors = [*field.errors, refusal.message]
            return self._page(training_request, form, 409 if refusal.code == "not_schedulable" else 400)
        db.session.commit()
        flash(_("Group %(code)s is created; request no. %(number)s is scheduled and the business is told.",
                code=section.code, number=training_request.id), "success")
        return redirect(url_for(".request_page", request_id=training_request.id))


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(EnterpriseRequestDeskView, "Training requests to handle",
                        label=_l("Training requests to handle"), icon="fa-inbox", category="Enterprises",
                        category_label=_l("Enterprises"), category_icon="fa-industry")
    appbuilder.add_view(WorkplaceRequestsView, "Workplace requests assigned to us",
                        label=_l("Workplace requests assigned to us"), icon="fa-briefcase", category="Partners",
                        category_label=_l("Partners"), category_icon="fa-university")
