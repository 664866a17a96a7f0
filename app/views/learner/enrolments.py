"""My courses: the learner's registrations by term, and register / drop / swap / accept an offer.

Every enrolment is looked up together with the logged-in learner's id, so another learner's
enrolment id in a URL gives 404. Every change is a POST through a Flask-WTF form (CSRF) and
ends with a flash and a redirect; the service decides, the view commits once.
"""
from __future__ import annotations

import datetime as dt
from itertools import groupby

from flask import abort, flash, make_response, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from babel.dates import get_datetime_format
from flask_babel import format_date, format_time, get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from wtforms import RadioField, SelectChoice, SelectField, SubmitField
from wtforms.validators import InputRequired

from ...extensions import db
from ...models import Enrolment, EnrolmentStatus, Learner, Section, SectionStatus
from ...services import enrolment as service
from ...services.enrolment import (
    ACTIVE, DROP_REASONS, RegistrationRefused, find_own_enrolment, learner_enrolments, registration_window_open,
)
from .access import learner_required

PAGE_SIZE = 20


class ActionForm(FlaskForm):
    """A confirmed action without fields (register, accept an offer): only the CSRF token."""


class DropForm(FlaskForm):
    reason = SelectField(_l("Why are you leaving? (optional)"), default="",
                         choices=[SelectChoice(code, label) for code, label in DROP_REASONS])
    submit = SubmitField(_l("Drop"))


class SwapForm(FlaskForm):
    target_section_id = RadioField(_l("Section to move to"), coerce=int,
                                   validators=[InputRequired(message=_l("Choose the section to move to."))])
    submit = SubmitField(_l("Move to this section"))


# --- queries ------------------------------------------------------------------------------------

def own_enrolment(learner: Learner, enrolment_id: int) -> Enrolment:
    """The learner's own enrolment, or 404 (another learner's id is not found, not forbidden)."""
    enrolment = find_own_enrolment(db.session, learner, enrolment_id)
    if enrolment is None:
        abort(404)
    return enrolment


def swap_targets(enrolment: Enrolment) -> list[Section]:
    """The other open sections of the same course in the same term."""
    section = enrolment.section
    return db.session.scalars(
        select(Section).where(Section.course_id == section.course_id, Section.term_id == section.term_id,
                              Section.id != section.id, Section.status == SectionStatus.OPEN)
        .order_by(Section.code)
        .options(selectinload(Section.meetings), selectinload(Section.site), selectinload(Section.teacher))).all()


def can_drop(enrolment: Enrolment, today: dt.date) -> bool:
    """A waiting or offered place can always be given up; a seat until the drop deadline."""
    if enrolment.status not in ACTIVE:
        return False
    return enrolment.status != EnrolmentStatus.ENROLLED or today <= enrolment.section.term.drop_deadline


def can_swap(enrolment: Enrolment, today: dt.date) -> bool:
    return (enrolment.status == EnrolmentStatus.ENROLLED
            and registration_window_open(enrolment.section.term, today))


def offer_deadline(when: dt.datetime) -> str:
    """Long date and short time in Montréal time, in the page's language (no seconds, no zone name)."""
    pattern = get_datetime_format("long", locale=get_locale()).replace("'", "")
    return pattern.replace("{1}", format_date(when, "long")).replace("{0}", format_time(when, "short"))


def section_page(section_id: int) -> str:
    """The catalogue's page of a section, where the learner came from to register."""
    return f"/catalogue/section/{section_id}"


def private(response):
    """Personal content: never kept by a browser or a shared cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def refused(error: RegistrationRefused, target: str):
    db.session.rollback()
    flash(error.message, "danger")
    return redirect(target)


# --- the pages ----------------------------------------------------------------------------------

class MyEnrolmentsView(BaseView):
    """The learner's own registrations; no learner id in any URL."""

    route_base = "/my/enrolments"
    default_view = "index"

    def _render(self, template: str, **context):
        return private(make_response(self.render_template(template, **context)))

    @expose("/")
    @learner_required
    def index(self, learner):
        page = max(request.args.get("page", 1, type=int), 1)
        rows, total = learner_enrolments(db.session, learner, page, PAGE_SIZE)
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        if page > pages:
            abort(404)
        today = dt.date.today()
        terms = [(term, list(items)) for term, items in groupby(rows, key=lambda e: e.section.term)]
        return self._render(
            "learner/enrolments.html", title=_("My courses"), terms=terms, total=total, page=page,
            pages=pages, today=today, can_drop=can_drop, can_swap=can_swap, action_form=ActionForm(),
            offer_deadline=offer_deadline, Status=EnrolmentStatus)

    @expose("/register/<int:section_id>", methods=["POST"])
    @learner_required
    def register(self, section_id: int, learner):
        if not ActionForm().validate_on_submit():
            abort(400)
        section = service.section_for_registration(db.session, section_id) or abort(404)
        try:
            outcome = service.register(db.session, learner, section, actor_id=current_user.id)
            # the message from what the transaction holds (a commit expires it all)
            if outcome.enrolled:
                message = (_("You are registered in section %(section)s of %(course)s.",
                             section=section.code, course=section.course.title), "success")
            else:
                message = (_("The section is full: you are number %(position)s on the waiting list.",
                             position=outcome.position), "info")
            db.session.commit()
        except RegistrationRefused as error:
            return refused(error, section_page(section_id))
        except IntegrityError:  # the same learner's second click raced the first one
            return refused(RegistrationRefused("already_registered"), section_page(section_id))
        flash(*message)
        return redirect(url_for(".index"))

    @expose("/<int:enrolment_id>/drop", methods=["GET"])
    @learner_required
    def confirm_drop(self, enrolment_id: int, learner):
        enrolment = own_enrolment(learner, enrolment_id)
        if enrolment.status not in ACTIVE:
            return refused(RegistrationRefused("not_active"), url_for(".index"))
        return self._render("learner/enrolments_drop.html", title=_("Leave a section"), enrolment=enrolment,
                            form=DropForm(), Status=EnrolmentStatus)

    @expose("/<int:enrolment_id>/drop", methods=["POST"])
    @learner_required
    def drop(self, enrolment_id: int, learner):
        enrolment = own_enrolment(learner, enrolment_id)
        form = DropForm()
        if not form.validate_on_submit():
            abort(400)
        section, was_waiting = enrolment.section, enrolment.status == EnrolmentStatus.WAITLISTED
        try:
            service.drop(db.session, enrolment, reason=form.reason.data or None, actor_id=current_user.id)
            db.session.commit()
        except RegistrationRefused as error:
            return refused(error, url_for(".index"))
        if was_waiting:
            flash(_("You have left the waiting list of section %(section)s.", section=section.code), "success")
        else:
            flash(_("You have left section %(section)s of %(course)s.",
                    section=section.code, course=section.course.title), "success")
        return redirect(url_for(".index"))

    @expose("/<int:enrolment_id>/swap", methods=["GET"])
    @learner_required
    def choose_swap(self, enrolment_id: int, learner):
        enrolment = own_enrolment(learner, enrolment_id)
        if enrolment.status != EnrolmentStatus.ENROLLED:
            return refused(RegistrationRefused("not_active"), url_for(".index"))
        targets = swap_targets(enrolment)
        form = SwapForm()
        form.target_section_id.choices = [SelectChoice(target.id, target.code) for target in targets]
        return self._render("learner/enrolments_swap.html", title=_("Change section"), enrolment=enrolment,
                            targets=targets, form=form)

    @expose("/<int:enrolment_id>/swap", methods=["POST"])
    @learner_required
    def swap(self, enrolment_id: int, learner):
        enrolment = own_enrolment(learner, enrolment_id)
        targets = {target.id: target for target in swap_targets(enrolment)}
        form = SwapForm()
        form.target_section_id.choices = [SelectChoice(target_id, target.code) for target_id, target in targets.items()]
        if not form.validate_on_submit():
            if "csrf_token" in form.errors:
                abort(400)
            flash(_("Choose one of the sections listed to move to."), "danger")
            return redirect(url_for(".choose_swap", enrolment_id=enrolment.id))
        previous = enrolment.section.code
        target = targets[form.target_section_id.data]
        try:
            service.swap(db.session, enrolment, target, actor_id=current_user.id)
            db.session.commit()
        except RegistrationRefused as error:
            return refused(error, url_for(".index"))
        flash(_("You are now registered in section %(section)s; your seat in section %(previous)s was released.",
                section=target.code, previous=previous), "success")
        return redirect(url_for(".index"))

    @expose("/<int:enrolment_id>/accept", methods=["POST"])
    @learner_required
    def accept(self, enrolment_id: int, learner):
        enrolment = own_enrolment(learner, enrolment_id)
        if not ActionForm().validate_on_submit():
            abort(400)
        try:
            service.accept_offer(db.session, enrolment, actor_id=current_user.id)
            db.session.commit()
        except RegistrationRefused as error:
            return refused(error, url_for(".index"))
        flash(_("The seat in section %(section)s is yours: you are registered.", section=enrolment.section.code),
              "success")
        return redirect(url_for(".index"))


def register(appbuilder) -> None:
    appbuilder.add_view_no_menu(MyEnrolmentsView())
