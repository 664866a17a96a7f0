"""The timetable builder around the generator: availability, candidate sections, named plans.

DESIGN.md §5.3. The generator (:mod:`app.services.timetable`) is pure; this module feeds it from
the database and keeps what the learner decides: the weekly times they are unavailable, and
named plans (one section per course) for a term, which are registered all-or-nothing through
:func:`app.services.enrolment.register_plan`.

Functions take a Session and never commit: the caller commits once per user action. Every plan
function takes the learner, and every lookup is scoped to that learner.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..models import (
    Availability, AvailabilityKind, Course, CourseFormat, Enrolment, Learner, Meeting, Plan, PlanItem, Section,
    SectionStatus, Term,
)
from ..models.catalogue import WEEKDAY_LABELS
from .enrolment import ACTIVE, HOLDS_SEAT, Outcome, eligibility_problems, register_plan
from .timetable import Candidate, Preference, Request, Result, Schedule, Slot, best_schedules, conflicts
from .refusals import Refusal

PLAN_NAME_MAX = 80
MAX_COURSES = 8  # courses one generation may combine
AVAILABILITY_HOURS = range(7, 22)  # rows of the availability grid: 7:00–8:00 … 21:00–22:00

REFUSALS = {
    "invalid_weekday": _l("Choose a day of the week from Monday to Sunday."),
    "invalid_times": _l("An unavailable time must end after it starts (%(start)s–%(end)s)."),
    "duplicate_slot": _l("The unavailable time %(day)s %(start)s–%(end)s is given twice."),
    "empty_name": _l("Give the plan a name."),
    "name_too_long": _l("A plan name has at most %(max)s characters."),
    "duplicate_name": _l("You already have a plan named “%(name)s” for this term: choose another name."),
    "empty_plan": _l("A plan needs at least one section."),
    "section_unavailable": _l("Section %(section)s is not offered in this term."),
    "two_sections_of_a_course": _l("A plan holds one section per course, and %(course)s appears twice."),
    "no_course": _l("Choose at least one course."),
    "too_many_courses": _l("Choose at most %(max)s courses."),
}


class TimetableRefused(Refusal):
    """A builder request the rules refuse; ``message`` is translated when rendered."""

    MESSAGES = REFUSALS


def hhmm(value: dt.time) -> str:
    """A time of day as the pages show it; the end of the day is 24:00."""
    return "24:00" if value == dt.time.max else value.strftime("%H:%M")


# --- availability -------------------------------------------------------------------------------

def blocked_times(session: Session, learner: Learner) -> list[Availability]:
    """The learner's unavailable weekly times, Monday first."""
    return list(session.scalars(
        select(Availability).where(Availability.learner_id == learner.id,
                                   Availability.kind == AvailabilityKind.BLOCKED)
        .order_by(Availability.weekday, Availability.starts_at, Availability.ends_at)))


def save_availability(session: Session, learner: Learner,
                      slots: Iterable[tuple[int, dt.time, dt.time]]) -> list[Availability]:
    """Replace the learner's unavailable times by ``slots`` (ISO weekday, start, end).

    Refuses (TimetableRefused) a weekday outside 1–7, a slot that does not end after it starts
    and a slot given twice; nothing is changed then. Explicitly free times are kept.
    """
    seen: set[tuple[int, dt.time, dt.time]] = set()
    rows = []
    for weekday, start, end in slots:
        if weekday not in WEEKDAY_LABELS:
            raise TimetableRefused("invalid_weekday")
        if not start < end:
            raise TimetableRefused("invalid_times", start=hhmm(start), end=hhmm(end))
        if (weekday, start, end) in seen:
            raise TimetableRefused("duplicate_slot", day=WEEKDAY_LABELS[weekday], start=hhmm(start), end=hhmm(end))
        seen.add((weekday, start, end))
        rows.append(Availability(learner_id=learner.id, weekday=weekday, starts_at=start, ends_at=end,
                                 kind=AvailabilityKind.BLOCKED))
    session.execute(delete(Availability).where(Availability.learner_id == learner.id,
                                               Availability.kind == AvailabilityKind.BLOCKED))
    session.add_all(rows)
    session.flush()
    return rows


def merge_hours(cells: Iterable[tuple[int, int]]) -> list[tuple[int, dt.time, dt.time]]:
    """Whole hours (ISO weekday, hour 0–23) joined into the fewest (weekday, start, end) slots."""
    slots: list[tuple[int, dt.time, dt.time]] = []
    run: tuple[int, int, int] | None = None  # weekday, first hour, hour after the last
    for weekday, hour in sorted(set(cells)):
        if run and run[0] == weekday and run[2] == hour:
            run = (weekday, run[1], hour + 1)
            continue
        if run:
            slots.append(_hours_slot(*run))
        run = (weekday, hour, hour + 1)
    if run:
        slots.append(_hours_slot(*run))
    return slots


def _hours_slot(weekday: int, first: int, after: int) -> tuple[int, dt.time, dt.time]:
    return weekday, dt.time(first), dt.time.max if after >= 24 else dt.time(after)


def in_availability_grid(weekday: int, hour: int) -> bool:
    """Whether (ISO weekday, hour) is a cell of the availability grid a learner ticks."""
    return weekday in WEEKDAY_LABELS and hour in AVAILABILITY_HOURS


def hours_covered(rows: Iterable[Availability], hours: Iterable[int]) -> set[tuple[int, int]]:
    """The (weekday, hour) cells of ``hours`` that the unavailable times touch."""
    hours = tuple(hours)
    covered = set()
    for row in rows:
        start = row.starts_at.hour * 60 + row.starts_at.minute
        end = 24 * 60 if row.ends_at == dt.time.max else row.ends_at.hour * 60 + row.ends_at.minute
        covered.update((row.weekday, hour) for hour in hours if start < (hour + 1) * 60 and hour * 60 < end)
    return covered


# --- terms, courses and candidate sections --------------------------------------------------------

def open_terms(session: Session, today: dt.date) -> list[Term]:
    """Terms whose registration is open today and that have open sections, soonest first."""
    has_open_section = exists().where(Section.term_id == Term.id, Section.status == SectionStatus.OPEN)
    return list(session.scalars(
        select(Term).where(Term.registration_opens <= today, Term.registration_closes >= today, has_open_section)
        .order_by(Term.starts_on, Term.id)))


def _seat_sections(session: Session, learner: Learner, term: Term) -> list[Section]:
    """The learner's sections of the term in which they hold a seat (enrolled or offered)."""
    return list(session.scalars(
        select(Section).join(Enrolment)
        .where(Enrolment.learner_id == learner.id, Enrolment.status.in_(HOLDS_SEAT), Section.term_id == term.id)
        .options(selectinload(Section.meetings), joinedload(Section.course))
        .order_by(Section.code)))


def eligible_sections(session: Session, learner: Learner, term: Term, today: dt.date,
                      course_ids: Iterable[int] | None = None, *, with_details: bool = True) -> list[Section]:
    """The open sections of the term the learner may register in today, in one query.

    Left out: sections the learner is already registered in or waiting for, and every section of
    a course in which the learner already holds a seat this term. ``with_details`` also loads
    meetings, site and teacher (a constant number of statements).
    """
    query = (select(Section).join(Section.course)
             .where(Section.term_id == term.id, Section.status == SectionStatus.OPEN)
             .options(joinedload(Section.course), joinedload(Section.term))
             .order_by(Course.code, Section.code))
    if course_ids is not None:
        query = query.where(Section.course_id.in_(list(course_ids)))
    if with_details:
        query = query.options(joinedload(Section.site), joinedload(Section.teacher), selectinload(Section.meetings))
    taken = session.execute(
        select(Enrolment.section_id, Section.course_id, Enrolment.status).join(Section)
        .where(Enrolment.learner_id == learner.id, Section.term_id == term.id, Enrolment.status.in_(ACTIVE))).all()
    busy_sections = {section_id for section_id, _, _ in taken}
    seated_courses = {course_id for _, course_id, status in taken if status in HOLDS_SEAT}
    return [section for section in session.scalars(query).unique()
            if section.id not in busy_sections and section.course_id not in seated_courses
            and not eligibility_problems(learner, section, today)]


def choosable_courses(session: Session, learner: Learner, term: Term, today: dt.date) -> list[tuple[Course, int]]:
    """The courses of the term with at least one section the learner may register in, and how many."""
    counts: dict[int, int] = {}
    courses: dict[int, Course] = {}
    for section in eligible_sections(session, learner, term, today, with_details=False):
        courses[section.course_id] = section.course
        counts[section.course_id] = counts.get(section.course_id, 0) + 1
    ordered = sorted(courses.values(), key=lambda course: (course.format.value, course.code))
    return [(course, counts[course.id]) for course in ordered]


def courses_matching(courses: Iterable[tuple[Course, int]], text: str, chosen: Iterable[int]
                     ) -> dict[CourseFormat, list[tuple[Course, int]]]:
    """The (course, number of sections) pairs whose code or title contains ``text`` (any case), by format;
    the courses already chosen stay whatever the text."""
    query, chosen = text.strip().casefold(), set(chosen)
    by_format: dict[CourseFormat, list[tuple[Course, int]]] = {}
    for course, count in courses:
        if not query or course.id in chosen or query in f"{course.code} {course.title}".casefold():
            by_format.setdefault(course.format, []).append((course, count))
    return by_format


def course_choice_refusal(course_ids: Sequence[int]) -> TimetableRefused | None:
    """Why these courses cannot be combined in one generation: none, or more than MAX_COURSES."""
    if not course_ids:
        return TimetableRefused("no_course")
    if len(course_ids) > MAX_COURSES:
        return TimetableRefused("too_many_courses", max=MAX_COURSES)
    return None


def section_slots(section: Section) -> tuple[Slot, ...]:
    return tuple(Slot(meeting.weekday, meeting.starts_at, meeting.ends_at) for meeting in section.meetings)


def unavailable_slots(session: Session, learner: Learner, term: Term) -> tuple[Slot, ...]:
    """What no new section may overlap: the learner's unavailable times and the class times of the
    sections in which they already hold a seat this term."""
    return _unavailable(blocked_times(session, learner), _seat_sections(session, learner, term))


def _unavailable(rows: Iterable[Availability], seated: Iterable[Section]) -> tuple[Slot, ...]:
    blocked = [Slot(row.weekday, row.starts_at, row.ends_at) for row in rows]
    for section in seated:
        blocked.extend(section_slots(section))
    return tuple(blocked)


@dataclass
class Generated:
    """What the builder found: the generator's result and the rows the pages show.

    ``sections`` holds every candidate section (with meetings, site, course, teacher), ``courses``
    the chosen courses in the order asked, ``unlocked`` the locked sections that could not be kept
    (no longer open to the learner, or excluded) and were set free, ``seated`` the sections of the
    term in which the learner already holds a seat (their class times are blocked too).
    """

    result: Result
    request: Request
    courses: dict[int, Course]
    sections: dict[int, Section]
    unlocked: list[Section] = field(default_factory=list)
    seated: list[Section] = field(default_factory=list)

    def sections_of(self, schedule: Schedule) -> list[Section]:
        """The schedule's sections, in the order of the chosen courses."""
        return [self.sections[schedule.sections[course_id]] for course_id in self.courses
                if course_id in schedule.sections]

    def candidates_of(self, course_id: int) -> list[Section]:
        """The sections of the course that a timetable may hold (none meets during a blocked time)."""
        return [section for section in self.sections.values() if section.course_id == course_id
                and not conflicts(section_slots(section), self.request.blocked)]


def _build(session: Session, learner: Learner, term: Term, course_ids: Sequence[int],
           locked: Mapping[int, int] | None, preferences: Sequence[Preference | str], exclude: Iterable[int],
           k: int, time_budget: float, today: dt.date | None
           ) -> tuple[Request, dict[int, Course], dict[int, Section], list[Section], list[Section]]:
    today = today or dt.date.today()
    course_ids = list(dict.fromkeys(course_ids))
    found = {course.id: course for course in session.scalars(select(Course).where(Course.id.in_(course_ids)))}
    courses = {course_id: found[course_id] for course_id in course_ids if course_id in found}
    excluded = set(exclude)
    sections = {section.id: section for section in eligible_sections(session, learner, term, today, courses)
                if section.id not in excluded}
    candidates: dict[int, list[Candidate]] = {course_id: [] for course_id in courses}
    for section in sections.values():
        candidates[section.course_id].append(
            Candidate(section.id, section.course_id, section.site_id, section_slots(section)))
    kept_locks, unlocked = {}, []
    for course_id, section_id in (locked or {}).items():
        if course_id not in courses:
            continue
        if section_id in sections and sections[section_id].course_id == course_id:
            kept_locks[course_id] = section_id
        else:
            gone = session.get(Section, section_id)
            if gone is not None:
                unlocked.append(gone)
    seated = _seat_sections(session, learner, term)
    request = Request(candidates, kept_locks, _unavailable(blocked_times(session, learner), seated),
                      tuple(preferences), k=k, time_budget=time_budget)
    return request, courses, sections, unlocked, seated


def candidates_for(session: Session, learner: Learner, term: Term, course_ids: Sequence[int], *,
                   locked: Mapping[int, int] | None = None, preferences: Sequence[Preference | str] = (),
                   exclude: Iterable[int] = (), k: int = 20, time_budget: float = 1.0,
                   today: dt.date | None = None) -> Request:
    """The generator's request for these courses of the term, from the database.

    Candidates are the open sections the learner may register in (see :func:`eligible_sections`),
    minus ``exclude``; blocked times are the learner's unavailable times and the classes of the
    sections they already hold a seat in; a locked section that is no longer a candidate is freed.
    """
    return _build(session, learner, term, course_ids, locked, preferences, exclude, k, time_budget, today)[0]


def generate(session: Session, learner: Learner, term: Term, course_ids: Sequence[int],
             locked: Mapping[int, int] | None = None, preferences: Sequence[Preference | str] = (),
             k: int = 20, time_budget: float = 1.0, *, exclude: Iterable[int] = (),
             today: dt.date | None = None) -> Generated:
    """The best ``k`` conflict-free timetables of these courses, with the sections to show them."""
    request, courses, sections, unlocked, seated = _build(session, learner, term, course_ids, locked, preferences,
                                                          exclude, k, time_budget, today)
    return Generated(best_schedules(request), request, courses, sections, unlocked, seated)


# --- plans --------------------------------------------------------------------------------------

def _plan_options():
    return (joinedload(Plan.term),
            selectinload(Plan.items).selectinload(PlanItem.section).options(
                joinedload(Section.course), joinedload(Section.site), joinedload(Section.teacher),
                joinedload(Section.term), selectinload(Section.meetings)))


def list_plans(session: Session, learner: Learner, *, term: Term | None = None, page: int = 1,
               page_size: int = 10) -> tuple[list[Plan], int]:
    """One page of the learner's plans (latest term first, then in the order they were saved) and the total."""
    where = [Plan.learner_id == learner.id]
    if term is not None:
        where.append(Plan.term_id == term.id)
    total = session.scalar(select(func.count(Plan.id)).where(*where))
    plans = session.scalars(
        select(Plan).join(Plan.term).where(*where)
        .order_by(Term.starts_on.desc(), Term.id, Plan.created_at, Plan.id)
        .options(*_plan_options()).limit(page_size).offset((page - 1) * page_size)).unique().all()
    return list(plans), total


def plans_by_term(plans: Iterable[Plan]) -> list[tuple[Term, list[Plan]]]:
    """Plans listed term by term, in the order given (``list_plans`` gives them by term)."""
    terms: list[tuple[Term, list[Plan]]] = []
    for plan in plans:
        if not terms or terms[-1][0].id != plan.term_id:
            terms.append((plan.term, []))
        terms[-1][1].append(plan)
    return terms


def own_plan(session: Session, learner: Learner, plan_id: int) -> Plan | None:
    """The learner's own plan with that id; None for another learner's plan (or none)."""
    return session.scalar(select(Plan).where(Plan.id == plan_id, Plan.learner_id == learner.id)
                          .options(*_plan_options()))


def plan_sections(plan: Plan) -> list[Section]:
    """The plan's sections, by course code."""
    return sorted((item.section for item in plan.items), key=lambda section: (section.course.code, section.code))


def plan_preferences(plan: Plan) -> tuple[Preference, ...]:
    known = {preference.value for preference in Preference}
    return tuple(Preference(value) for value in (plan.preferences or "").split(",") if value in known)


def next_plan(session: Session, learner: Learner, plan: Plan) -> Plan | None:
    """The learner's plan of the same term saved after ``plan``: the next one to try."""
    return session.scalar(
        select(Plan).where(Plan.learner_id == learner.id, Plan.term_id == plan.term_id, Plan.id != plan.id,
                           (Plan.created_at > plan.created_at)
                           | ((Plan.created_at == plan.created_at) & (Plan.id > plan.id)))
        .order_by(Plan.created_at, Plan.id).limit(1))


def _checked_name(session: Session, learner: Learner, term_id: int, name: str, plan_id: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise TimetableRefused("empty_name")
    if len(name) > PLAN_NAME_MAX:
        raise TimetableRefused("name_too_long", max=PLAN_NAME_MAX)
    taken = session.scalar(select(Plan.id).where(
        Plan.learner_id == learner.id, Plan.term_id == term_id, func.lower(Plan.name) == name.lower(),
        Plan.id != (plan_id or 0)))
    if taken is not None:
        raise TimetableRefused("duplicate_name", name=name)
    return name


def save_plan(session: Session, learner: Learner, term: Term, name: str, section_ids: Iterable[int], *,
              locked_ids: Iterable[int] = (), preferences: Sequence[Preference | str] = ()) -> Plan:
    """Save a timetable (one section per course of the term) under a name unique for the learner and term.

    The name is compared without regard to case or repeated spaces. Refuses (TimetableRefused) an
    empty or too long name, a name already used, no section, a section of another term, and two
    sections of one course.
    """
    name = _checked_name(session, learner, term.id, name)
    section_ids = list(dict.fromkeys(section_ids))
    if not section_ids:
        raise TimetableRefused("empty_plan")
    sections = {section.id: section for section in session.scalars(
        select(Section).where(Section.id.in_(section_ids)).options(joinedload(Section.course)))}
    for section_id in section_ids:
        section = sections.get(section_id)
        if section is None or section.term_id != term.id:
            raise TimetableRefused("section_unavailable", section=section.code if section else section_id)
    courses: set[int] = set()
    for section in sections.values():
        if section.course_id in courses:
            raise TimetableRefused("two_sections_of_a_course", course=section.course.code)
        courses.add(section.course_id)
    locked_ids = set(locked_ids)
    plan = Plan(learner_id=learner.id, term_id=term.id, name=name,
                preferences=",".join(Preference(p).value for p in preferences) or None)
    plan.items = [PlanItem(course_id=sections[section_id].course_id, section_id=section_id,
                           locked=section_id in locked_ids) for section_id in section_ids]
    session.add(plan)
    session.flush()
    return plan


def rename_plan(session: Session, learner: Learner, plan: Plan, name: str) -> Plan:
    """Give the learner's plan a new name, unique among their plans of the term."""
    if plan.learner_id != learner.id:
        raise LookupError("not the learner's plan")
    plan.name = _checked_name(session, learner, plan.term_id, name, plan.id)
    session.flush()
    return plan


def delete_plan(session: Session, learner: Learner, plan: Plan) -> None:
    if plan.learner_id != learner.id:
        raise LookupError("not the learner's plan")
    session.delete(plan)
    session.flush()


def register_saved_plan(session: Session, learner: Learner, plan: Plan, *, today: dt.date | None = None,
                        actor_id: int | None = None) -> list[Outcome]:
    """Register every section of the learner's plan, or none (PlanNotRegistered, rolled back)."""
    if plan.learner_id != learner.id:
        raise LookupError("not the learner's plan")
    return register_plan(session, learner, plan_sections(plan), today=today, actor_id=actor_id)


def failed_sections(lines) -> list[int]:
    """The sections of a refused registration that did not get a seat (to leave out of the next try)."""
    return [line.section_id for line in lines if line.outcome != "enrolled"]


def without_failed(lines, exclude: Sequence[int], locks: Mapping[int, int]) -> tuple[list[int], dict[int, int]]:
    """What the next generation leaves out after a refused registration: the sections excluded so
    far and those that failed, and the locks that did not fail."""
    failed = failed_sections(lines)
    return (list(dict.fromkeys([*exclude, *failed])),
            {course: section for course, section in locks.items() if section not in failed})


def sections_to_register(session: Session, term: Term, section_ids: Iterable[int]) -> list[Section]:
    """The sections of a generated timetable, checked to be of the term, one per course, by course code."""
    section_ids = list(dict.fromkeys(section_ids))
    if not section_ids:
        raise TimetableRefused("empty_plan")
    sections = {section.id: section for section in session.scalars(
        select(Section).where(Section.id.in_(section_ids))
        .options(joinedload(Section.course), joinedload(Section.term), selectinload(Section.meetings)))}
    courses: set[int] = set()
    for section_id in section_ids:
        section = sections.get(section_id)
        if section is None or section.term_id != term.id:
            raise TimetableRefused("section_unavailable", section=section.code if section else section_id)
        if section.course_id in courses:
            raise TimetableRefused("two_sections_of_a_course", course=section.course.code)
        courses.add(section.course_id)
    return sorted(sections.values(), key=lambda section: (section.course.code, section.code))


# --- a timetable laid out on the week -------------------------------------------------------------

@dataclass
class Entry:
    """One weekly class of a section, as a cell of the grid and a line of the list."""

    section: Section
    meeting: Meeting

    @property
    def course(self) -> Course:
        return self.section.course


@dataclass
class Week:
    """A timetable laid out by day and hour (grid) and day by day (list)."""

    days: list[tuple[int, str]]
    hours: list[int]
    cells: dict[tuple[int, int], list[Entry]]
    by_day: list[tuple[int, str, list[Entry]]]
    without_meetings: list[Section] = field(default_factory=list)


def _minutes(value: dt.time) -> int:
    return 24 * 60 if value == dt.time.max else value.hour * 60 + value.minute + bool(value.second)


def weekly_layout(sections: list[Section]) -> Week:
    """Monday to Friday always, the weekend when a class falls on it; the hours the classes span."""
    entries = sorted((Entry(section, meeting) for section in sections for meeting in section.meetings),
                     key=lambda entry: (entry.meeting.weekday, entry.meeting.starts_at))
    weekdays = sorted(set(range(1, 6)) | {entry.meeting.weekday for entry in entries})
    days = [(weekday, str(WEEKDAY_LABELS[weekday])) for weekday in weekdays]
    hours: list[int] = []
    if entries:
        first = min(_minutes(entry.meeting.starts_at) for entry in entries) // 60
        last = math.ceil(max(_minutes(entry.meeting.ends_at) for entry in entries) / 60)
        hours = list(range(first, last))
    cells: dict[tuple[int, int], list[Entry]] = {}
    for entry in entries:
        start, end = _minutes(entry.meeting.starts_at), _minutes(entry.meeting.ends_at)
        for hour in hours:
            if start < (hour + 1) * 60 and hour * 60 < end:
                cells.setdefault((entry.meeting.weekday, hour), []).append(entry)
    by_day = [(weekday, label, [entry for entry in entries if entry.meeting.weekday == weekday])
              for weekday, label in days]
    return Week(days, hours, cells, [day for day in by_day if day[2]],
                [section for section in sections if not section.meetings])


__all__ = ["TimetableRefused", "blocked_times", "save_availability", "merge_hours", "hours_covered", "open_terms",
           "eligible_sections", "choosable_courses", "unavailable_slots", "candidates_for", "generate", "Generated",
           "list_plans", "own_plan", "plan_sections", "plan_preferences", "next_plan", "save_plan", "rename_plan",
           "delete_plan", "register_saved_plan", "sections_to_register", "MAX_COURSES", "AVAILABILITY_HOURS",
           "in_availability_grid", "courses_matching", "course_choice_refusal", "plans_by_term", "failed_sections",
           "without_failed", "Entry", "Week", "weekly_layout"]
