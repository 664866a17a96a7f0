"""The course catalogue: search the open sections and read one section, for visitors and learners.

A logged-in learner also sees, on each section, whether they may register today and why not.
"""
from __future__ import annotations

import datetime as dt

from babel.dates import format_time
from flask import abort, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose
from flask_babel import format_date, gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from ...extensions import db
from ...models import CourseFormat, Delivery, Enrolment, Field, Learner, Region, Section, Site, Term
from ...models.base import current_language, localized
from ...models.catalogue import WEEKDAY_LABELS
from ...models.reference import LEVELS, stage_of
from ...services.catalogue import CatalogueFilters, TimeOfDay, local_today, search_sections, section_detail
from ...services.enrolment import (
    ACTIVE, RegistrationRefused, eligibility_problems, general_course_problem, overlapping_seat, term_commitments,
)
from .access import current_learner

PER_PAGE = 20
STAGE_LABELS = {"beginner": _l("beginner"), "intermediate": _l("intermediate"), "advanced": _l("advanced")}
INVALID_CHOICE = _l("Choose a value from the list.")


def optional_int(value) -> int | None:
    return int(value) if value not in (None, "") else None


def optional_format(value) -> CourseFormat | None:
    return CourseFormat(value) if value not in (None, "") else None


def optional_time_of_day(value) -> TimeOfDay | None:
    return TimeOfDay(value) if value not in (None, "") else None


def choice_field(label, coerce, description=None) -> SelectField:
    return SelectField(label, coerce=coerce, description=description, validators=[Optional()],
                       invalid_choice_message=INVALID_CHOICE, invalid_value_message=INVALID_CHOICE)


class CatalogueSearchForm(FlaskForm):
    """The catalogue filters, read from the query string (a bookmarkable GET search, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Keywords"), validators=[Optional(), Length(max=100)],
                    description=_l("Course code, title or words of the description"))
    level = choice_field(_l("Level"), optional_int, _l("Courses open to this level"))
    format = choice_field(_l("Format"), optional_format)
    term = choice_field(_l("Term"), optional_int)
    weekday = choice_field(_l("Day of the week"), optional_int)
    time = choice_field(_l("Time of day"), optional_time_of_day, _l("When classes start"))
    region = choice_field(_l("Region"), optional_int)
    site = choice_field(_l("Place"), optional_int)
    field = choice_field(_l("Field"), optional_int, _l("Specialised courses for a field of work"))

    def fill_choices(self, session, today: dt.date) -> None:
        """Choices in the active language; reference lists come from the database."""
        self.level.choices = [("", gettext("Any level"))] + [
            (str(n), gettext("Level %(level)s (%(stage)s)", level=n, stage=STAGE_LABELS[stage_of(n)]))
            for n in LEVELS]
        self.format.choices = [("", gettext("Any format"))] + [(f.value, str(f.label)) for f in CourseFormat]
        terms = session.scalars(select(Term).where(Term.ends_on >= today).order_by(Term.starts_on)).all()
        self.term.choices = [("", gettext("Current and upcoming terms"))] + [(str(t.id), t.name) for t in terms]
        self.weekday.choices = [("", gettext("Any day"))] + [(str(n), str(label)) for n, label in
                                                           WEEKDAY_LABELS.items()]
        self.time.choices = [("", gettext("Any time"))] + [(t.value, str(t.label)) for t in TimeOfDay]
        regions = sorted(session.scalars(select(Region)).all(), key=lambda r: r.code)
        self.region.choices = [("", gettext("Every region"))] + [(str(r.id), r.name) for r in regions]
        sites = session.scalars(select(Site).options(joinedload(Site.region))).all()
        self.site.choices = [SelectChoice("", gettext("Every place"))] + [
            SelectChoice(str(site.id), f"{site.name} ({site.city})", optgroup=site.region.name)
            for site in sorted(sites, key=lambda s: (s.region.code, s.name.lower()))]
        fields = sorted(session.scalars(select(Field)).all(), key=lambda f: f.name.lower())
        self.field.choices = [("", gettext("Any field"))] + [(str(f.id), f.name) for f in fields]

    def filters(self, today: dt.date, enterprise_id: int | None) -> CatalogueFilters:
        """The filters of the fields that hold a valid value (a field in error is ignored)."""

        def valid(field):
            return None if field.errors else field.data

        return CatalogueFilters(
            text=valid(self.q), level=valid(self.level), format=valid(self.format), term_id=valid(self.term),
            weekday=valid(self.weekday), time_of_day=valid(self.time), region_id=valid(self.region),
            site_id=valid(self.site), field_id=valid(self.field), enterprise_id=enterprise_id, today=today)


# --- how a section is shown -------------------------------------------------------------------

def clock(value: dt.time) -> str:
    """A time of day the Québec way: "18 h 00" in French, "6:00 p.m." in English."""
    return format_time(value, "short", locale="en_CA" if current_language() == "en" else "fr_CA")


def meeting_text(meeting) -> str:
    return gettext("%(day)s %(start)s – %(end)s", day=WEEKDAY_LABELS[meeting.weekday],
                   start=clock(meeting.starts_at), end=clock(meeting.ends_at))


def weekday_name(number: int) -> str:
    return str(WEEKDAY_LABELS[number])


def long_date(value: dt.date) -> str:
    return format_date(value, "long")


def site_notes(site: Site | None) -> str:
    return localized(site.accessibility_notes_fr, site.accessibility_notes_en) if site else ""


def is_online(section: Section) -> bool:
    return section.delivery == Delivery.ONLINE


class Eligibility:
    """Whether the learner may register in a section today, with the reasons when not."""

    def __init__(self, problems):
        self.problems = problems

    @property
    def eligible(self) -> bool:
        return not self.problems

    @property
    def reasons(self) -> list[str]:
        return [problem.message for problem in self.problems]


def commitments_of(learner: Learner | None, sections) -> list[Enrolment]:
    """The learner's active registrations in the terms of ``sections`` (one query for the page)."""
    if learner is None:
        return []
    return term_commitments(db.session, learner, {section.term_id for section in sections})


def eligibility_of(learner: Learner | None, sections, today: dt.date,
                   commitments: list[Enrolment]) -> dict[int, Eligibility]:
    """Each section's verdict for the learner before any click: the registration rules, the general
    courses of the term and the overlaps with their seats."""
    if learner is None:
        return {}
    verdicts = {}
    for section in sections:
        problems = eligibility_problems(learner, section, today)
        problem = general_course_problem(section, commitments)
        if problem is not None:
            problems.append(problem)
        other = overlapping_seat(section, commitments)
        if other is not None:
            problems.append(RegistrationRefused("time_conflict", other=other.code))
        verdicts[section.id] = Eligibility(problems)
    return verdicts


def active_enrolments(commitments: list[Enrolment], section_ids: list[int]) -> dict[int, Enrolment]:
    """The learner's registrations (seat, offer or waiting list) in these sections, by section."""
    wanted = set(section_ids)
    return {row.section_id: row for row in commitments if row.section_id in wanted and row.status in ACTIVE}


TEMPLATE_HELPERS = dict(clock=clock, meeting_text=meeting_text, weekday_name=weekday_name, long_date=long_date,
                        site_notes=site_notes, is_online=is_online, localized=localized)


class CatalogueView(BaseView):
    """Public catalogue pages (no FAB permission: visitors and every role may read them)."""

    route_base = "/catalogue"
    default_view = "index"

    @expose("/")
    def index(self):
        today = local_today()
        learner = current_learner()
        form = CatalogueSearchForm(formdata=request.args)
        form.fill_choices(db.session, today)
        form.validate()
        try:
            page_number = max(1, int(request.args.get("page", "1")))
        except ValueError:
            page_number = 1
        results = search_sections(db.session, form.filters(today, learner.enterprise_id if learner else None),
                                  page=page_number, per_page=PER_PAGE)
        commitments = commitments_of(learner, results.items)
        return self.render_template(
            "learner/catalogue.html", title=_l("Course catalogue"), form=form, results=results,
            page_url=self.page_url, learner=learner,
            eligibility=eligibility_of(learner, results.items, today, commitments),
            enrolments=active_enrolments(commitments, [s.id for s in results.items]),
            **TEMPLATE_HELPERS)

    @staticmethod
    def page_url(number: int) -> str:
        """The same search on another page."""
        args = {key: value for key, value in request.args.items() if key != "page" and value != ""}
        return url_for("CatalogueView.index", **args, page=number)

    @expose("/section/<int:section_id>")
    def section(self, section_id: int):
        today = local_today()
        learner = current_learner()
        section = section_detail(db.session, section_id, learner.enterprise_id if learner else None)
        if section is None:
            abort(404)
        commitments = commitments_of(learner, [section])
        return self.render_template(
            "learner/section.html", title=section.course.title, section=section, learner=learner, today=today,
            eligibility=eligibility_of(learner, [section], today, commitments).get(section.id),
            enrolment=active_enrolments(commitments, [section.id]).get(section.id),
            **TEMPLATE_HELPERS)


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view_no_menu(CatalogueView)
