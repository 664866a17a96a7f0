"""The timetable builder: unavailable times, ranked conflict-free timetables, named plans, whole registration.

Every page is the logged-in learner's own: plans are looked up with the learner's id, so another
learner's plan id in a URL gives 404. Generating is a bookmarkable GET (it changes nothing); every
change is a POST with a CSRF token. The services decide (app.services.plans, app.services.enrolment),
the view commits once per action.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from flask import abort, flash, make_response, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import format_decimal, gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ...extensions import db
from ...models import Learner, Plan, Section, Term
from ...models.catalogue import WEEKDAY_LABELS
from ...services import plans as service
from ...services.catalogue import local_today
from ...services.enrolment import PlanLine, PlanNotRegistered, RegistrationRefused, register_plan
from ...services.plans import AVAILABILITY_HOURS, MAX_COURSES, Generated, TimetableRefused, Week, weekly_layout
from ...services.timetable import Impossibility, Preference, Schedule
from .access import learner_required
from .catalogue import clock

SCHEDULES_SHOWN = 10
TIME_BUDGET = 1.0  # seconds the search may run for one page
PLANS_PER_PAGE = 10
RANKS = ("pref1", "pref2", "pref3")

PREFERENCE_LABELS = {
    Preference.FEWEST_DAYS: _l("Fewest days of class"),
    Preference.COMPACT: _l("Compact days (little waiting between classes)"),
    Preference.EARLIEST: _l("Finish as early as possible"),
    Preference.LATEST: _l("Start as late as possible"),
    Preference.SINGLE_SITE: _l("Fewest places to go to (one site)"),
}
# Why a course cannot be placed: (reason, the learner already has seats this term) -> message.
IMPOSSIBLE = {
    (Impossibility.NO_SECTIONS, False): _l("%(course)s: no section of this course is open to you in this term."),
    (Impossibility.NO_SECTIONS, True): _l("%(course)s: no section of this course is open to you in this term."),
    (Impossibility.ALL_SECTIONS_BLOCKED, False): _l(
        "%(course)s: every section meets during one of your unavailable times."),
    (Impossibility.ALL_SECTIONS_BLOCKED, True): _l(
        "%(course)s: every section meets during your unavailable times or during a course you already have."),
    (Impossibility.LOCKED_SECTION_BLOCKED, False): _l(
        "%(course)s: the section you locked meets during one of your unavailable times."),
    (Impossibility.LOCKED_SECTION_BLOCKED, True): _l(
        "%(course)s: the section you locked meets during your unavailable times or during a course you "
        "already have."),
}


# --- forms --------------------------------------------------------------------------------------

def optional_int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def preference_field(label) -> SelectField:
    return SelectField(label, default="", validators=[Optional()],
                       invalid_choice_message=_l("Choose a value from the list."))


class BuilderForm(FlaskForm):
    """What to build, read from the query string (a GET that changes nothing: no CSRF).

    The chosen courses (``course``, repeated) and locked sections (``lock-<course id>``) depend on
    the term and are read by the view.
    """

    class Meta:
        csrf = False

    term = SelectField(_l("Term"), coerce=optional_int, validators=[Optional()],
                       invalid_choice_message=_l("This term is not open for registration: choose one from the list."))
    q = StringField(_l("Filter the courses"), validators=[Optional(), Length(max=100)],
                    description=_l("Part of a course code or title. Courses you have checked stay in the list."))
    pref1 = preference_field(_l("First preference"))
    pref2 = preference_field(_l("Second preference"))
    pref3 = preference_field(_l("Third preference"))

    def fill_choices(self, terms: list[Term]) -> None:
        self.term.choices = [SelectChoice(term.id, term.name) for term in terms]
        choices = [SelectChoice("", _("No preference"))] + [
            SelectChoice(preference.value, str(label)) for preference, label in PREFERENCE_LABELS.items()]
        for rank in RANKS:
            self[rank].choices = choices

    def preferences(self) -> list[Preference]:
        return [Preference(self[rank].data) for rank in RANKS if self[rank].data and not self[rank].errors]

    def validate_preferences(self) -> bool:
        seen = set()
        for rank in RANKS:
            value = self[rank].data
            if value and value in seen:
                self[rank].errors = [*self[rank].errors, _("Each preference can be chosen only once.")]
            seen.add(value)
        return not any(self[rank].errors for rank in RANKS)


class ScheduleForm(FlaskForm):
    """A generated timetable, carried in hidden fields to register it or save it."""

    term = HiddenField()
    courses = HiddenField()
    sections = HiddenField()
    locked = HiddenField()
    preferences = HiddenField()
    exclude = HiddenField()


class SavePlanForm(ScheduleForm):
    name = StringField(_l("Name of the plan"), validators=[
        DataRequired(message=_l("Give the plan a name.")),
        Length(max=service.PLAN_NAME_MAX, message=_l("A plan name has at most %(max)s characters."))])


class PlanNameForm(FlaskForm):
    name = StringField(_l("New name of the plan"), validators=[
        DataRequired(message=_l("Give the plan a name.")),
        Length(max=service.PLAN_NAME_MAX, message=_l("A plan name has at most %(max)s characters."))])


class ActionForm(FlaskForm):
    """A confirmed action whose data is in the URL or read by the view: only the CSRF token."""


# --- what the pages show ------------------------------------------------------------------------

def time_of(hour: int) -> dt.time:
    """The time at the start of ``hour``; 24 is the end of the day."""
    return dt.time.max if hour >= 24 else dt.time(hour)


def hour_text(hour: int) -> str:
    """An hour row of a grid, e.g. "08 h 00 – 09 h 00" in French."""
    return _("%(start)s – %(end)s", start=clock(time_of(hour)), end=clock(time_of(hour + 1)))


def duration_text(minutes: int) -> str:
    if minutes < 60:
        return _("%(minutes)s min", minutes=minutes)
    return _("%(hours)s h %(minutes)02d", hours=minutes // 60, minutes=minutes % 60)


def site_names(sections: list[Section]) -> list[str]:
    names = list(dict.fromkeys(section.site.name for section in sections if section.site))
    if any(section.site is None for section in sections):
        names.append(_("Online"))
    return names


def csv_ints(value: str | None) -> list[int]:
    """Ids carried in a hidden field; a tampered value is a bad request."""
    try:
        return [int(part) for part in (value or "").split(",") if part.strip()]
    except ValueError:
        abort(400)


def csv_locks(value: str | None) -> dict[int, int]:
    """Locked sections carried as "course:section" pairs."""
    try:
        return {int(course): int(section) for course, section in
                (pair.split(":") for pair in (value or "").split(",") if pair.strip())}
    except ValueError:
        abort(400)


def csv_preferences(value: str | None) -> list[Preference]:
    try:
        return list(dict.fromkeys(Preference(part) for part in (value or "").split(",") if part))
    except ValueError:
        abort(400)


def results_url(term_id: int, course_ids, preferences=(), locked=None, exclude=()) -> str:
    """The builder page that generates these timetables again."""
    args = {"term": term_id, "course": list(course_ids), "generate": "1"}
    args.update({rank: preference.value for rank, preference in zip(RANKS, preferences, strict=False)})
    args.update({f"lock-{course}": section for course, section in (locked or {}).items()})
    if exclude:
        args["exclude"] = list(exclude)
    return url_for("TimetableView.index", **args, _anchor="results")


@dataclass
class ShownSchedule:
    """A generated timetable as the page shows it, with the hidden values of its forms."""

    rank: int
    schedule: Schedule
    sections: list[Section]
    week: Week
    hidden: dict[str, str]


def shown_schedules(generated: Generated, term: Term, preferences, exclude) -> list[ShownSchedule]:
    locked = ",".join(f"{course}:{section}" for course, section in generated.request.locked.items())
    common = {"term": str(term.id), "courses": ",".join(str(c) for c in generated.courses), "locked": locked,
              "preferences": ",".join(p.value for p in preferences), "exclude": ",".join(str(s) for s in exclude)}
    shown = []
    for rank, schedule in enumerate(generated.result.schedules, start=1):
        sections = generated.sections_of(schedule)
        hidden = dict(common, sections=",".join(str(section.id) for section in sections))
        shown.append(ShownSchedule(rank, schedule, sections, weekly_layout(sections), hidden))
    return shown


def problems_of(generated: Generated) -> list[str]:
    """Why no timetable exists, in words: courses that cannot be placed, pairs that always clash."""
    courses = generated.courses
    seated = bool(generated.seated)
    lines = [str(IMPOSSIBLE[reason, seated]) % {"course": courses[course_id].title}
             for course_id, reason in generated.result.impossible_courses.items()]
    lines += [_("%(first)s and %(second)s always meet at the same time: every section of one overlaps every "
                "section of the other.", first=courses[a].title, second=courses[b].title)
              for a, b in generated.result.clashing_courses]
    return lines


def outcome_text(line: PlanLine, courses: dict[int, str]) -> str:
    course = courses.get(line.section_id, "")
    if line.outcome == "enrolled":
        return _("Section %(section)s (%(course)s): a seat was free, you would have been registered.",
                 section=line.section_code, course=course)
    if line.outcome == "full":
        return _("Section %(section)s (%(course)s): no seat left.", section=line.section_code, course=course)
    return _("Section %(section)s (%(course)s): %(reason)s", section=line.section_code, course=course,
             reason=line.message)


def private(response):
    """Personal content: never kept by a browser or a shared cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


TEMPLATE_HELPERS = dict(
    clock=clock, hour_text=hour_text, time_of=time_of, duration_text=duration_text, site_names=site_names,
    weekday_labels=WEEKDAY_LABELS, preference_labels=PREFERENCE_LABELS, format_decimal=format_decimal,
    max_courses=MAX_COURSES, time_budget=TIME_BUDGET, plan_preferences=service.plan_preferences)


# --- the pages ----------------------------------------------------------------------------------

class TimetableView(BaseView):
    """The learner's own timetable builder; no learner id in any URL."""

    route_base = "/my/timetable"
    default_view = "index"

    def _render(self, template: str, status: int = 200, **context):
        return private(make_response(self.render_template(template, **TEMPLATE_HELPERS, **context), status))

    # -- building ---------------------------------------------------------------------------------

    @expose("/")
    @learner_required
    def index(self, learner: Learner):
        today = local_today()
        terms = service.open_terms(db.session, today)
        form = BuilderForm(formdata=request.args)
        form.fill_choices(terms)
        form.validate()
        term = next((t for t in terms if t.id == form.term.data), terms[0] if terms else None)
        context = dict(title=_("Timetable builder"), form=form, term=term, terms=terms,
                       blocked=service.blocked_times(db.session, learner))
        if term is None:
            return self._render("learner/timetable.html", **context)
        form.term.data = term.id
        courses = service.choosable_courses(db.session, learner, term, today)
        offered = {course.id for course, _count in courses}
        chosen = [c for c in dict.fromkeys(request.args.getlist("course", type=int)) if c in offered]
        locks = {course_id: request.args.get(f"lock-{course_id}", type=int) for course_id in chosen}
        locks = {course_id: section_id for course_id, section_id in locks.items() if section_id}
        exclude = list(dict.fromkeys(request.args.getlist("exclude", type=int)))
        formats = service.courses_matching(courses, form.q.data or "" if not form.q.errors else "", chosen)
        errors, generated = [], None
        if "generate" in request.args:
            refusal = service.course_choice_refusal(chosen)
            errors = [refusal.message] if refusal else []
            if form.validate_preferences() and not errors:
                generated = service.generate(db.session, learner, term, chosen, locks, form.preferences(),
                                             k=SCHEDULES_SHOWN, time_budget=TIME_BUDGET, exclude=exclude,
                                             today=today)
        context.update(
            courses=courses, formats=formats, chosen=chosen, locks=locks, exclude=exclude, errors=errors,
            generated=generated, problems=problems_of(generated) if generated else [],
            schedules=shown_schedules(generated, term, form.preferences(), exclude) if generated else [],
            save_form=SavePlanForm(formdata=None))
        return self._render("learner/timetable.html", **context)

    @expose("/register", methods=["POST"])
    @learner_required
    def register(self, learner: Learner):
        """Register a generated timetable whole; on failure, say why for each section and offer the next one."""
        form = ScheduleForm()
        if not form.validate_on_submit():
            abort(400)
        term = db.session.get(Term, optional_int(form.term.data) or 0) or abort(404)
        preferences, locks = csv_preferences(form.preferences.data), csv_locks(form.locked.data)
        exclude = csv_ints(form.exclude.data)
        try:
            sections = service.sections_to_register(db.session, term, csv_ints(form.sections.data))
        except TimetableRefused as refusal:
            flash(refusal.message, "danger")
            return redirect(url_for(".index", term=term.id))
        course_ids = csv_ints(form.courses.data) or [section.course_id for section in sections]
        titles = {section.id: section.course.title for section in sections}
        try:
            register_plan(db.session, learner, sections, today=local_today(), actor_id=current_user.id)
            db.session.commit()
        except PlanNotRegistered as failure:
            exclude, locks = service.without_failed(failure.lines, exclude, locks)
            generated = service.generate(db.session, learner, term, course_ids, locks, preferences, k=1,
                                         time_budget=TIME_BUDGET, exclude=exclude, today=local_today())
            return self._render(
                "learner/timetable_outcome.html", status=409, title=_("Nothing was registered"), term=term,
                lines=[(line, outcome_text(line, titles)) for line in failure.lines],
                next_schedules=shown_schedules(generated, term, preferences, exclude),
                retry_url=results_url(term.id, course_ids, preferences, locks, exclude),
                next_plan=None, action_form=ActionForm(formdata=None))
        except IntegrityError:  # a second click raced the first one
            db.session.rollback()
            flash(RegistrationRefused("already_registered").message, "danger")
            return redirect(url_for(".index", term=term.id))
        self._registered(sections)
        return redirect(url_for("MyEnrolmentsView.index"))

    @staticmethod
    def _registered(sections: list[Section]) -> None:
        codes = ", ".join(section.code for section in sections)
        flash(ngettext("You are registered in section %(sections)s.",
                       "You are registered in the %(num)s sections of this timetable: %(sections)s.",
                       len(sections), sections=codes), "success")

    # -- availability -----------------------------------------------------------------------------

    @expose("/availability", methods=["GET"])
    @learner_required
    def availability(self, learner: Learner):
        rows = service.blocked_times(db.session, learner)
        return self._render("learner/timetable_availability.html", title=_("My unavailable times"), blocked=rows,
                            checked=service.hours_covered(rows, AVAILABILITY_HOURS), hours=AVAILABILITY_HOURS,
                            form=ActionForm(formdata=None))

    @expose("/availability", methods=["POST"])
    @learner_required
    def save_availability(self, learner: Learner):
        if not ActionForm().validate_on_submit():
            abort(400)
        cells = []
        if not request.form.get("clear"):
            for value in request.form.getlist("slot"):
                weekday, _sep, hour = value.partition("-")
                if not (weekday.isdigit() and hour.isdigit()):
                    abort(400)
                if not service.in_availability_grid(int(weekday), int(hour)):
                    abort(400)
                cells.append((int(weekday), int(hour)))
        try:
            service.save_availability(db.session, learner, service.merge_hours(cells))
            db.session.commit()
        except TimetableRefused as refusal:
            db.session.rollback()
            flash(refusal.message, "danger")
            return redirect(url_for(".availability"))
        if cells:
            flash(_("Your unavailable times are saved: new timetables will avoid them."), "success")
        else:
            flash(_("You have no unavailable time now: every time of the week can be used."), "success")
        return redirect(url_for(".availability"))

    # -- plans ------------------------------------------------------------------------------------

    @expose("/plans/")
    @learner_required
    def plans(self, learner: Learner):
        page = max(request.args.get("page", 1, type=int), 1)
        rows, total = service.list_plans(db.session, learner, page=page, page_size=PLANS_PER_PAGE)
        pages = max(math.ceil(total / PLANS_PER_PAGE), 1)
        if page > pages:
            abort(404)
        return self._render("learner/timetable_plans.html", title=_("My saved plans"),
                            terms=service.plans_by_term(rows), total=total,
                            page=page, pages=pages, layout=self._plan_layout, action_form=ActionForm(formdata=None))

    @staticmethod
    def _plan_layout(plan: Plan) -> tuple[list[Section], Week]:
        sections = service.plan_sections(plan)
        return sections, weekly_layout(sections)

    def _own_plan(self, learner: Learner, plan_id: int) -> Plan:
        plan = service.own_plan(db.session, learner, plan_id)
        if plan is None:
            abort(404)
        return plan

    @expose("/plans/<int:plan_id>")
    @learner_required
    def plan(self, plan_id: int, learner: Learner):
        plan = self._own_plan(learner, plan_id)
        return self._render("learner/timetable_plan.html", title=_("Plan “%(name)s”", name=plan.name), plan=plan,
                            layout=self._plan_layout, action_form=ActionForm(formdata=None))

    @expose("/plans/save", methods=["POST"])
    @learner_required
    def save_plan(self, learner: Learner):
        form = SavePlanForm()
        if not form.validate_on_submit() and "csrf_token" in form.errors:
            abort(400)
        term = db.session.get(Term, optional_int(form.term.data) or 0) or abort(404)
        preferences, locks = csv_preferences(form.preferences.data), csv_locks(form.locked.data)
        back = results_url(term.id, csv_ints(form.courses.data), preferences, locks, csv_ints(form.exclude.data))
        if form.errors:
            flash(next(iter(form.errors.values()))[0], "danger")
            return redirect(back)
        try:
            plan = service.save_plan(db.session, learner, term, form.name.data, csv_ints(form.sections.data),
                                     locked_ids=locks.values(), preferences=preferences)
            db.session.commit()
        except TimetableRefused as refusal:
            db.session.rollback()
            flash(refusal.message, "danger")
            return redirect(back)
        except IntegrityError:  # the same name saved at the same moment
            db.session.rollback()
            flash(TimetableRefused("duplicate_name", name=" ".join(form.name.data.split())).message, "danger")
            return redirect(back)
        flash(_("The timetable is saved as the plan “%(name)s”.", name=plan.name), "success")
        return redirect(url_for(".plan", plan_id=plan.id))

    @expose("/plans/<int:plan_id>/rename", methods=["GET", "POST"])
    @learner_required
    def rename(self, plan_id: int, learner: Learner):
        plan = self._own_plan(learner, plan_id)
        form = PlanNameForm(formdata=None, name=plan.name) if request.method == "GET" else PlanNameForm()
        if request.method == "POST":
            if form.validate_on_submit():
                try:
                    service.rename_plan(db.session, learner, plan, form.name.data)
                    db.session.commit()
                except (TimetableRefused, IntegrityError) as error:
                    db.session.rollback()
                    refusal = error if isinstance(error, TimetableRefused) else TimetableRefused(
                        "duplicate_name", name=" ".join(form.name.data.split()))
                    form.name.errors = [refusal.message]
                    plan = self._own_plan(learner, plan_id)
                else:
                    flash(_("The plan is renamed “%(name)s”.", name=plan.name), "success")
                    return redirect(url_for(".plans"))
            elif "csrf_token" in form.errors:
                abort(400)
        status = 400 if form.errors else 200
        return self._render("learner/timetable_plan_rename.html", status=status, title=_("Rename a plan"),
                            plan=plan, form=form)

    @expose("/plans/<int:plan_id>/delete", methods=["GET", "POST"])
    @learner_required
    def delete(self, plan_id: int, learner: Learner):
        plan = self._own_plan(learner, plan_id)
        if request.method == "GET":
            return self._render("learner/timetable_plan_delete.html", title=_("Delete a plan"), plan=plan,
                                form=ActionForm(formdata=None))
        if not ActionForm().validate_on_submit():
            abort(400)
        name = plan.name
        service.delete_plan(db.session, learner, plan)
        db.session.commit()
        flash(_("The plan “%(name)s” is deleted.", name=name), "success")
        return redirect(url_for(".plans"))

    @expose("/plans/<int:plan_id>/register", methods=["POST"])
    @learner_required
    def register_plan(self, plan_id: int, learner: Learner):
        plan = self._own_plan(learner, plan_id)
        if not ActionForm().validate_on_submit():
            abort(400)
        sections = service.plan_sections(plan)
        titles = {section.id: section.course.title for section in sections}
        term_id, course_ids = plan.term_id, [section.course_id for section in sections]
        preferences = service.plan_preferences(plan)
        try:
            service.register_saved_plan(db.session, learner, plan, today=local_today(), actor_id=current_user.id)
            db.session.commit()
        except PlanNotRegistered as failure:
            failed = service.failed_sections(failure.lines)
            plan = self._own_plan(learner, plan_id)
            return self._render(
                "learner/timetable_outcome.html", status=409, title=_("Nothing was registered"), term=plan.term,
                plan=plan, lines=[(line, outcome_text(line, titles)) for line in failure.lines],
                next_plan=service.next_plan(db.session, learner, plan), next_schedules=[],
                retry_url=results_url(term_id, course_ids, preferences, exclude=failed),
                action_form=ActionForm(formdata=None))
        except IntegrityError:
            db.session.rollback()
            flash(RegistrationRefused("already_registered").message, "danger")
            return redirect(url_for(".plans"))
        self._registered(sections)
        return redirect(url_for("MyEnrolmentsView.index"))


def register(appbuilder) -> None:
    appbuilder.add_view_no_menu(TimetableView())
