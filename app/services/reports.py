"""Accountability indicators: who waits, how long, where, with what result — as SQL aggregates.

Every indicator is one (or a few) ``GROUP BY`` statements run by the database; Python only reads
the handful of aggregated rows back. All of them take the same :class:`ReportFilters` (period,
region, partner, course format, level band, client category) and the same ``today`` (the
Montréal day the waiting clocks run to). :func:`indicator_set` returns them all at once; the
dashboard and the exports read it.

What each filter means depends on what is counted (every function says which it uses):

- **applications** (received, complete, decided, withdrawn, the waiting population, the service
  clock, demand): region = the application's region, format = the format wanted, level band =
  the learner's current level, category = the learner's category, partner = the learner has (or
  had) a place — seat, waiting list or offer — in one of the partner's groups;
- **training** (enrolments, completion, dropout, levels gained, exams, allowances): region and
  category = the learner's, partner = the group's partner, format = the course's format, level
  band = the band of the course's lowest level;
- **capacity** (declared and scheduled seats): the declaration's or the group's own region,
  partner, format and band (the band of its lowest level); the period selects the terms and
  groups that run during it, and without one those still running today or later.

Level bands are the three stages of the Québec scale: beginner 1–4, intermediate 5–8, advanced
9–12. Period bounds are Montréal calendar days, both included.

The service clock is :mod:`app.services.service_clock`'s SQL expression (working days,
weekends and the Québec holidays of the ``holidays`` package excluded), so each file's number
here equals the agent's desk and :func:`service_clock.service_days`.

Percentiles (computed with window functions, the same on PostgreSQL and SQLite): the median is
the middle value (the mean of the two middle values for an even count); the 80th percentile is
the nearest-rank value — the smallest number of days within which at least 80 % of the files
started — the figure the 50-day standard is stated in.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Date, Select, and_, case, exists, func, literal, null, or_, select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from ..models import (
    Allowance, AllowanceKind, AllowanceStatus, Application, ApplicationEvent, ApplicationStatus as AS,
    Attendance, CapacityDeclaration, ClientCategory, Course, CourseFormat, Enrolment, EnrolmentStatus as ES,
    ExamResult, Learner, Partner, PlacementResult, Region, Section, Site, Skill,
)
from ..models.base import localized
from ..models.catalogue import SectionStatus
from .service_clock import (
    MONTREAL, STANDARD_WORKING_DAYS, montreal_today, service_days_sql,
)

# --- the filters --------------------------------------------------------------------------------

LEVEL_BANDS: dict[str, tuple[int, int]] = {"beginner": (1, 4), "intermediate": (5, 8), "advanced": (9, 12)}
LEVEL_BAND_LABELS = {"beginner": _l("Beginner (1–4)"), "intermediate": _l("Intermediate (5–8)"),
                     "advanced": _l("Advanced (9–12)")}
UNPLACED = "unplaced"  # demand of learners without a level yet
BAND_LABELS = {**LEVEL_BAND_LABELS, UNPLACED: _l("Not placed yet")}
MAX_ID = 2**31 - 1
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9999, 12, 30)


def _parse_id(text: str) -> int | None:
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def _parse_day(text: str) -> dt.date | None:
    text = text.strip()
    if len(text) != 10 or not text.isascii():
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


@dataclass(frozen=True)
class ReportFilters:
    """What the indicators are restricted to; every field None means "all".

    ``ignored`` names the query parameters that were given but not understood (and so left
    out); it does not take part in equality.
    """

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    region_id: int | None = None
    partner_id: int | None = None
    format: CourseFormat | None = None
    level_band: str | None = None
    category_id: int | None = None
    ignored: tuple[str, ...] = field(default=(), compare=False)

    # query-string name -> (field, parser)
    PARAMETERS = {
        "from": ("date_from", _parse_day),
        "to": ("date_to", _parse_day),
        "region": ("region_id", _parse_id),
        "partner": ("partner_id", _parse_id),
        "format": ("format", lambda text: next((f for f in CourseFormat if f.value == text.strip()), None)),
        "level": ("level_band", lambda text: text.strip() if text.strip() in LEVEL_BANDS else None),
        "category": ("category_id", _parse_id),
    }

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ReportFilters:
        """Filters from query-string values (``from``, ``to``, ``region``, ``partner``, ``format``,
        ``level``, ``category``). A value that does not parse (not a date, not an id, unknown
        format or band, too large, NUL bytes…) is left out and its name listed in ``ignored``;
        an empty value means "all". A period whose start is after its end keeps neither bound."""
        values: dict[str, object] = {}
        ignored: list[str] = []
        for name, (attribute, parse) in cls.PARAMETERS.items():
            raw = args.get(name)
            if raw is None or not str(raw).strip():
                continue
            value = parse(str(raw)) if len(str(raw)) <= 40 and "\x00" not in str(raw) else None
            if value is None:
                ignored.append(name)
            else:
                values[attribute] = value
        if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
            del values["date_from"], values["date_to"]
            ignored += ["from", "to"]
        return cls(**values, ignored=tuple(ignored))

    def to_args(self) -> dict[str, str]:
        """The query-string values that give back these filters (only the fields that are set)."""
        args = {}
        for name, (attribute, _parse) in self.PARAMETERS.items():
            value = getattr(self, attribute)
            if value is None:
                continue
            args[name] = value.isoformat() if isinstance(value, dt.date) else getattr(value, "value", str(value))
        return args

    def limited_to_partner(self, partner_id: int) -> ReportFilters:
        """The same filters restricted to one partner (partner staff see nothing else)."""
        return replace(self, partner_id=partner_id)

    @property
    def levels(self) -> tuple[int, int] | None:
        return LEVEL_BANDS.get(self.level_band) if self.level_band else None

    # period bounds: timestamps from Montréal midnight of ``date_from`` to that after ``date_to``
    def instant_bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        start = end = None
        if self.date_from:
            start = dt.datetime.combine(self.date_from, dt.time(0), MONTREAL).astimezone(dt.UTC)
        if self.date_to:
            end = dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time(0), MONTREAL).astimezone(dt.UTC)
        return start, end


def _in_period_instant(column, filters: ReportFilters):
    start, end = filters.instant_bounds()
    conditions = [column.is_not(None)]
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return and_(*conditions)


def _in_period_day(column, filters: ReportFilters):
    conditions = [column.is_not(None)]
    if filters.date_from:
        conditions.append(column >= filters.date_from)
    if filters.date_to:
        conditions.append(column <= filters.date_to)
    return and_(*conditions)


def _band_case(level_column):
    """SQL: the level band code of a level (NULL for NULL)."""
    return case(*[(level_column.between(lo, hi), literal(band)) for band, (lo, hi) in LEVEL_BANDS.items()],
                else_=null())


def _learner_had_place_with(partner_id: int, learner_id_column):
    """SQL: the learner has (or had) a seat, waiting-list place or offer in one of the partner's groups."""
    return exists(select(1).select_from(Enrolment).join(Section, Section.id == Enrolment.section_id)
                  .where(Enrolment.learner_id == learner_id_column, Section.partner_id == partner_id))


def application_conditions(filters: ReportFilters) -> list:
    """The filter conditions on a query over ``application`` joined to ``learner`` (no period)."""
    conditions = []
    if filters.region_id is not None:
        conditions.append(Application.region_id == filters.region_id)
    if filters.format is not None:
        conditions.append(Application.format_wanted == filters.format)
    if filters.levels is not None:
        conditions.append(Learner.current_level.between(*filters.levels))
    if filters.category_id is not None:
        conditions.append(Learner.category_id == filters.category_id)
    if filters.partner_id is not None:
        conditions.append(_learner_had_place_with(filters.partner_id, Application.learner_id))
    return conditions


def training_conditions(filters: ReportFilters, section=Section, course=Course, learner=Learner) -> list:
    """The filter conditions on a query joining ``learner``, ``section`` and ``course`` (no period)."""
    conditions = []
    if filters.region_id is not None:
        conditions.append(learner.region_id == filters.region_id)
    if filters.category_id is not None:
        conditions.append(learner.category_id == filters.category_id)
    if filters.partner_id is not None:
        conditions.append(section.partner_id == filters.partner_id)
    if filters.format is not None:
        conditions.append(course.format == filters.format)
    if filters.levels is not None:
        conditions.append(course.level_min.between(*filters.levels))
    return conditions


def _rate(part: int | None, whole: int | None) -> float | None:
    return (part or 0) / whole if whole else None


# --- applications -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ApplicationCounts:
    received: int
    complete: int
    approved: int
    refused: int
    withdrawn: int

    @property
    def decided(self) -> int:
        return self.approved + self.refused


def application_counts(session: Session, filters: ReportFilters) -> ApplicationCounts:
    """Applications received (submitted in the period), complete (became complete in the period),
    approved, refused and withdrawn (a transition to that status recorded in the period; an
    application counts once per status even if it went there twice). Application filters."""
    decisions = (AS.APPROVED, AS.REFUSED, AS.WITHDRAWN)
    # one row per application that reached a decision status in the period (a hash join, not a probe per file)
    reached = (select(ApplicationEvent.application_id.label("application_id"),
                      *(func.max(case((ApplicationEvent.to_status == status, 1), else_=0)).label(status.value)
                        for status in decisions))
               .where(ApplicationEvent.to_status.in_(decisions), _in_period_instant(ApplicationEvent.at, filters))
               .group_by(ApplicationEvent.application_id).subquery("reached"))

    def count_if(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = session.execute(
        select(count_if(_in_period_instant(Application.submitted_at, filters)),
               count_if(_in_period_instant(Application.complete_at, filters)),
               *(func.coalesce(func.sum(reached.c[status.value]), 0) for status in decisions))
        .select_from(Application).join(Learner, Learner.id == Application.learner_id)
        .outerjoin(reached, reached.c.application_id == Application.id)
        .where(Application.submitted_at.is_not(None), *application_conditions(filters))).one()
    return ApplicationCounts(*(int(value) for value in row))


# --- distributions of working days ---------------------------------------------------------------

@dataclass(frozen=True)
class DayDistribution:
    """Working days of a population of files against the standard."""

    count: int
    median: float | None
    p80: int | None
    within_standard: int
    maximum: int | None
    standard: int = STANDARD_WORKING_DAYS

    @property
    def share_within_standard(self) -> float | None:
        return _rate(self.within_standard, self.count)

    @property
    def beyond_standard(self) -> int:
        return self.count - self.within_standard


def _distribution(session: Session, days_query: Select) -> DayDistribution:
    """Median, nearest-rank 80th percentile, count within the standard of ``days_query``'s ``days``."""
    days = days_query.subquery("days_of")
    ranked = select(days.c.days,
                    func.row_number().over(order_by=days.c.days).label("rn"),
                    func.count().over().label("n")).subquery("ranked")
    n, rn, value = ranked.c.n, ranked.c.rn, ranked.c.days
    row = session.execute(select(
        func.count(),
        func.avg(case((or_(rn == (n + 1) // 2, rn == (n + 2) // 2), value), else_=null())),
        func.max(case((rn == (4 * n + 4) // 5, value), else_=null())),
        func.coalesce(func.sum(case((value <= STANDARD_WORKING_DAYS, 1), else_=0)), 0),
        func.max(value),
    )).one()
    count, median, p80, within, maximum = row
    return DayDistribution(count=int(count), median=float(median) if median is not None else None,
                           p80=int(p80) if p80 is not None else None, within_standard=int(within),
                           maximum=int(maximum) if maximum is not None else None)


def time_to_first_course(session: Session, filters: ReportFilters, today: dt.date | None = None) -> DayDistribution:
    """The published service figure: working days from the complete application to the first
    course, over the applications whose first course fell in the period (every one started when
    no period is given): median, 80th percentile and how many within the 50-day standard.
    Application filters."""
    days = service_days_sql(today)
    query = (select(days.label("days")).select_from(Application)
             .join(Learner, Learner.id == Application.learner_id)
             .where(Application.complete_at.is_not(None), _in_period_day(Application.first_course_at, filters),
                    *application_conditions(filters)))
    return _distribution(session, query)


# --- the waiting population ---------------------------------------------------------------------

WAITING_STATUSES = (AS.COMPLETE, AS.APPROVED)
WAIT_DECISION, WAIT_NO_PLACE, WAIT_LIST, WAIT_START = "decision", "no_place", "waiting_list", "course_start"
WAIT_LABELS = {
    WAIT_DECISION: _l("A decision on their application"),
    WAIT_NO_PLACE: _l("Approved, no group chosen yet"),
    WAIT_LIST: _l("A seat (on a waiting list or offered one)"),
    WAIT_START: _l("The start of their course (enrolled)"),
}


def waiting_conditions(filters: ReportFilters) -> list:
    """SQL: the application is waiting — complete or approved, no first course yet — and became
    complete in the period (any time when no period is given), plus the application filters."""
    return [Application.status.in_(WAITING_STATUSES), Application.complete_at.is_not(None),
            Application.first_course_at.is_(None), _in_period_instant(Application.complete_at, filters),
            *application_conditions(filters)]


def _has_place(statuses: tuple[ES, ...]):
    return exists(select(1).where(Enrolment.learner_id == Application.learner_id, Enrolment.status.in_(statuses)))


def waiting_stage_sql():
    """SQL: what a waiting application waits for (a ``WAIT_*`` code)."""
    return case((Application.status == AS.COMPLETE, literal(WAIT_DECISION)),
                (_has_place((ES.ENROLLED,)), literal(WAIT_START)),
                (_has_place((ES.WAITLISTED, ES.OFFERED)), literal(WAIT_LIST)),
                else_=literal(WAIT_NO_PLACE))


@dataclass(frozen=True)
class WaitingGroup:
    key: str | int | None
    label: object
    count: int
    beyond_standard: int


@dataclass(frozen=True)
class WaitingPopulation:
    """People waiting today: size, age in working days, what they wait for, where, which format."""

    age: DayDistribution
    by_stage: tuple[WaitingGroup, ...]
    by_region: tuple[WaitingGroup, ...]
    by_format: tuple[WaitingGroup, ...]

    @property
    def size(self) -> int:
        return self.age.count


def waiting_population(session: Session, filters: ReportFilters, today: dt.date | None = None) -> WaitingPopulation:
    """The applications waiting today (see :func:`waiting_conditions`), their age in working days
    from the complete application to ``today``, grouped by what they wait for, region and
    format wanted (groups in a fixed order; regions by code, files without one last). Two
    statements: the distribution, and one GROUP BY whose few groups give the three breakdowns.
    Application filters."""
    today = today or montreal_today()
    days = service_days_sql(today)
    base = (select(days.label("days")).select_from(Application)
            .join(Learner, Learner.id == Application.learner_id).where(*waiting_conditions(filters)))
    age = _distribution(session, base)
    # One GROUP BY over (stage, region, format) — a few hundred groups at most — that the three
    # breakdowns below add up: the clock and the stage are computed once per file.
    stage = waiting_stage_sql()
    per_file = (select(days.label("days"), stage.label("stage"), Application.region_id.label("region_id"),
                       Application.format_wanted.label("format"))
                .select_from(Application).join(Learner, Learner.id == Application.learner_id)
                .where(*waiting_conditions(filters)).subquery("waiting_files"))
    w = per_file.c
    beyond = func.coalesce(func.sum(case((w.days > STANDARD_WORKING_DAYS, 1), else_=0)), 0)
    grouped = (select(w.stage, w.region_id, w.format, func.count().label("n"), beyond.label("late"))
               .group_by(w.stage, w.region_id, w.format).subquery("waiting_groups"))
    g = grouped.c
    groups = session.execute(select(g.stage, g.region_id, Region.code, Region.name_fr, Region.name_en, g.format,
                                    g.n, g.late).select_from(grouped)
                             .outerjoin(Region, Region.id == g.region_id)).all()
    stages: dict[str, list[int]] = {}
    regions: dict[int | None, list] = {}
    formats: dict[str, list[int]] = {}
    for code, region_id, region_code, fr, en, fmt, n, late in groups:
        fmt = getattr(fmt, "value", fmt)
        for totals, key in ((stages, code), (formats, fmt)):
            totals.setdefault(key, [0, 0])
            totals[key][0] += int(n)
            totals[key][1] += int(late)
        region = regions.setdefault(region_id, [RegionLabel(region_code, fr, en), 0, 0])
        region[1] += int(n)
        region[2] += int(late)
    by_stage = tuple(WaitingGroup(code, WAIT_LABELS[code], *stages.get(code, (0, 0))) for code in WAIT_LABELS)
    by_format = tuple(WaitingGroup(fmt.value, fmt.label, *formats[fmt.value]) for fmt in CourseFormat
                      if fmt.value in formats)
    by_region = tuple(WaitingGroup(rid, label, n, late) for rid, (label, n, late)
                      in sorted(regions.items(), key=lambda item: item[1][0].code or "~"))
    return WaitingPopulation(age=age, by_stage=by_stage, by_region=by_region, by_format=by_format)


@dataclass(frozen=True)
class RegionLabel:
    """A region's name in the reader's language (or "No region" for files without one)."""

    code: str | None
    name_fr: str | None
    name_en: str | None

    def __str__(self) -> str:
        if self.code is None:
            return str(_l("No region"))
        return f"{self.code} {localized(self.name_fr, self.name_en)}"


# --- training: enrolments, completion, dropout, progress, exams ----------------------------------

SWAP_REASON = "swap"  # app.services.enrolment.swap drops the old place with this reason: not a dropout


def training_enrolments(filters: ReportFilters) -> Select:
    """SELECT of the enrolments counted as training: a seat was held (``enrolled_at`` set), not
    left for a swap, in a group starting in the period; training filters. Columns: the enrolment's
    id, learner_id, status, reason (:func:`dropout_reason_key`), ended_at."""
    query = (select(Enrolment.id, Enrolment.learner_id, Enrolment.status, dropout_reason_key().label("reason"),
                    Enrolment.ended_at).select_from(Enrolment))
    # join only what the filters read: over a million enrolments each join is a hash join to pay
    if filters.partner_id is not None or filters.date_from or filters.date_to or filters.format or filters.levels:
        query = query.join(Section, Section.id == Enrolment.section_id)
    if filters.format is not None or filters.levels is not None:
        query = query.join(Course, Course.id == Section.course_id)
    if filters.region_id is not None or filters.category_id is not None:
        query = query.join(Learner, Learner.id == Enrolment.learner_id)
    return query.where(Enrolment.enrolled_at.is_not(None),
                       or_(Enrolment.status != ES.DROPPED, Enrolment.reason.is_(None), Enrolment.reason != SWAP_REASON),
                       *([_in_period_day(Section.starts_on, filters)] if filters.date_from or filters.date_to else []),
                       *training_conditions(filters))


def dropout_reason_key():
    """SQL: the reason a dropout is counted under — the code of :data:`records.DROPOUT_REASONS` the
    stored reason starts with (``code`` or ``code: details``), else the text as written (a learner's
    own words), NULL when none was given."""
    from .records import DROPOUT_REASONS

    reason = Enrolment.reason
    return case(*[(or_(reason == code, reason.like(f"{code}: %")), literal(code)) for code in DROPOUT_REASONS],
                (reason == "", null()), else_=reason)


@dataclass(frozen=True)
class ReasonCount:
    """A dropout reason — a code of ``records.DROPOUT_REASONS`` or a text as written — and its count."""

    reason: str | None
    count: int

    @property
    def coded(self) -> bool:
        from .records import DROPOUT_REASONS

        return self.reason in DROPOUT_REASONS

    @property
    def label(self):
        from .records import DROPOUT_REASONS

        if not self.reason:
            return _l("No reason given")
        if self.reason == "other":
            return _l("Other reason")
        return DROPOUT_REASONS.get(self.reason, self.reason)


@dataclass(frozen=True)
class Training:
    """Enrolments of the period and what became of them."""

    enrolments: int
    learners: int
    in_progress: int
    completed: int
    failed: int
    dropped: int
    dropout_reasons: tuple[ReasonCount, ...]
    hours_present: Decimal
    levels_gained: int

    @property
    def ended(self) -> int:
        return self.completed + self.failed + self.dropped

    @property
    def completion_rate(self) -> float | None:
        """Completed among the enrolments that ended (completed, not passed or dropped)."""
        return _rate(self.completed, self.ended)

    @property
    def dropout_rate(self) -> float | None:
        """Dropped among all the enrolments of the period."""
        return _rate(self.dropped, self.enrolments)

    @property
    def levels_per_100_hours(self) -> float | None:
        return float(self.levels_gained) * 100 / float(self.hours_present) if self.hours_present else None


def training(session: Session, filters: ReportFilters) -> Training:
    """Enrolments (see :func:`training_enrolments`), distinct learners, how many are in progress,
    completed, not passed and dropped, the dropout reasons (:func:`dropout_reason_key`; most
    frequent first, then by code or text, none given first),
    the hours present in those enrolments and the levels gained.

    Levels gained: for each learner of those enrolments and each skill, the highest level passed
    at an exam of the period (in the filtered groups when a group filter is set), less the
    learner's placement level in that
    skill (never below 0; pairs without a placement in the skill are left out). Levels per 100
    hours = 100 × levels gained ÷ hours present."""
    rows = training_enrolments(filters).subquery("trained")

    def count_status(status: ES):
        return func.sum(case((rows.c.status == status, 1), else_=0))

    # one pass: per learner (a hash aggregate), then the sums and the number of learners
    statuses = (ES.ENROLLED, ES.COMPLETED, ES.FAILED, ES.DROPPED)
    per_learner = (select(rows.c.learner_id, func.count().label("n"),
                          *(count_status(status).label(status.value) for status in statuses))
                   .group_by(rows.c.learner_id).subquery("per_learner"))
    totals = session.execute(select(func.coalesce(func.sum(per_learner.c.n), 0), func.count(),
                                    *(func.coalesce(func.sum(per_learner.c[status.value]), 0)
                                      for status in statuses))).one()
    reasons = session.execute(
        select(rows.c.reason, func.count().label("n")).where(rows.c.status == ES.DROPPED)
        .group_by(rows.c.reason).order_by(func.count().desc(), func.coalesce(rows.c.reason, ""))).all()
    attended = (training_enrolments(filters).with_only_columns(func.coalesce(func.sum(Attendance.hours_present), 0))
                .join(Attendance, Attendance.enrolment_id == Enrolment.id))
    hours = session.scalar(attended)
    enrolments, learners, in_progress, completed, failed, dropped = (int(v) for v in totals)
    return Training(enrolments, learners, in_progress, completed, failed, dropped,
                    dropout_reasons=tuple(ReasonCount(reason, int(n)) for reason, n in reasons),
                    hours_present=Decimal(hours or 0), levels_gained=levels_gained(session, filters))


def levels_gained(session: Session, filters: ReportFilters) -> int:
    """Σ over (learner, skill) of max(0, highest level passed in the period − placement level);
    see :func:`training`."""
    best = select(ExamResult.learner_id, ExamResult.skill, func.max(ExamResult.level).label("best"))
    # join only what the filters read (an exam without a group counts only without a group filter)
    if filters.partner_id is not None or filters.format is not None or filters.levels is not None:
        best = best.join(Section, Section.id == ExamResult.section_id).join(Course, Course.id == Section.course_id)
    if filters.region_id is not None or filters.category_id is not None:
        best = best.join(Learner, Learner.id == ExamResult.learner_id)
    best = (best.where(ExamResult.passed.is_(True), _in_period_day(ExamResult.taken_on, filters),
                       *training_conditions(filters))
            .group_by(ExamResult.learner_id, ExamResult.skill).subquery("best"))
    placed = (select(PlacementResult.learner_id, PlacementResult.skill, func.min(PlacementResult.level).label("placed"))
              .where(PlacementResult.skill.is_not(None))
              .group_by(PlacementResult.learner_id, PlacementResult.skill).subquery("placed"))
    gain = best.c.best - placed.c.placed
    total = session.scalar(select(func.coalesce(func.sum(case((gain > 0, gain), else_=0)), 0))
                           .select_from(best).join(placed, and_(placed.c.learner_id == best.c.learner_id,
                                                                placed.c.skill == best.c.skill)))
    return int(total or 0)


@dataclass(frozen=True)
class ExamPass:
    skill: Skill
    taken: int
    passed: int

    @property
    def rate(self) -> float | None:
        return _rate(self.passed, self.taken)


def exam_pass_rates(session: Session, filters: ReportFilters) -> tuple[ExamPass, ...]:
    """Exams taken in the period and passed, per skill (the four skills, in order; an exam without
    a group counts only when no partner, format or level filter is set). Training filters."""
    passed = func.coalesce(func.sum(case((ExamResult.passed.is_(True), 1), else_=0)), 0)
    query = (select(ExamResult.skill, func.count(), passed).select_from(ExamResult)
             .join(Learner, Learner.id == ExamResult.learner_id)
             .outerjoin(Section, Section.id == ExamResult.section_id)
             .outerjoin(Course, Course.id == Section.course_id)
             .where(_in_period_day(ExamResult.taken_on, filters), *training_conditions(filters))
             .group_by(ExamResult.skill))
    rows = {skill: (int(taken), int(ok)) for skill, taken, ok in session.execute(query)}
    return tuple(ExamPass(skill, *rows.get(skill, (0, 0))) for skill in Skill)


# --- the people to follow up ---------------------------------------------------------------------

def approved_never_enrolled(filters: ReportFilters) -> Select:
    """SELECT of the approved applications whose learner never held a seat (no enrolment with
    ``enrolled_at``), approved in the period (any time without one); application filters.
    Columns: application_id, learner_id, decided_at. Order and paging are the caller's."""
    held_a_seat = exists(select(1).where(Enrolment.learner_id == Application.learner_id,
                                         Enrolment.enrolled_at.is_not(None)))
    return (select(Application.id.label("application_id"), Application.learner_id, Application.decided_at)
            .select_from(Application).join(Learner, Learner.id == Application.learner_id)
            .where(Application.status == AS.APPROVED, ~held_a_seat,
                   _in_period_instant(Application.decided_at, filters), *application_conditions(filters)))


def dropped_without_reenrolling(filters: ReportFilters) -> Select:
    """SELECT of the learners who dropped out (a seat held, left other than by a swap, in the
    period when one is given) and hold no place since: no enrolment now enrolled, waiting or
    offered, and no seat taken after that dropout. One row per learner — their latest dropout —
    with the training filters on that group. Columns: enrolment_id, learner_id, section_id,
    dropped_at, reason. Order and paging are the caller's."""
    other, later = aliased(Enrolment), aliased(Enrolment)
    since = exists(select(1).where(
        other.learner_id == Enrolment.learner_id, other.id != Enrolment.id,
        or_(other.status.in_((ES.ENROLLED, ES.WAITLISTED, ES.OFFERED)),
            and_(other.enrolled_at.is_not(None), other.enrolled_at > Enrolment.ended_at))))
    later_drop = exists(select(1).where(
        later.learner_id == Enrolment.learner_id, later.status == ES.DROPPED, later.enrolled_at.is_not(None),
        or_(later.reason.is_(None), later.reason != SWAP_REASON),
        or_(later.ended_at > Enrolment.ended_at, and_(later.ended_at == Enrolment.ended_at, later.id > Enrolment.id))))
    return (select(Enrolment.id.label("enrolment_id"), Enrolment.learner_id, Enrolment.section_id,
                   Enrolment.ended_at.label("dropped_at"), Enrolment.reason)
            .select_from(Enrolment).join(Section, Section.id == Enrolment.section_id)
            .join(Course, Course.id == Section.course_id).join(Learner, Learner.id == Enrolment.learner_id)
            .where(Enrolment.status == ES.DROPPED, Enrolment.enrolled_at.is_not(None), Enrolment.ended_at.is_not(None),
                   or_(Enrolment.reason.is_(None), Enrolment.reason != SWAP_REASON), ~since, ~later_drop,
                   _in_period_instant(Enrolment.ended_at, filters), *training_conditions(filters)))


@dataclass(frozen=True)
class FollowUpCounts:
    approved_never_enrolled: int
    dropped_without_reenrolling: int


def follow_up_counts(session: Session, filters: ReportFilters) -> FollowUpCounts:
    """How many rows :func:`approved_never_enrolled` and :func:`dropped_without_reenrolling` hold."""
    def count(query: Select) -> int:
        return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)

    return FollowUpCounts(count(approved_never_enrolled(filters)), count(dropped_without_reenrolling(filters)))


# --- allowances ---------------------------------------------------------------------------------

class week_start(FunctionElement):
    """The Monday of the week of a date."""

    type = Date()
    name = "week_start"
    inherit_cache = True


@compiles(week_start, "postgresql")
def _week_start_pg(element, compiler, **kw):
    return f"CAST(date_trunc('week', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(week_start, "sqlite")
def _week_start_sqlite(element, compiler, **kw):
    # 'weekday 1' moves forward to the next Monday (or stays): step back six days first.
    return f"date({compiler.process(element.clauses, **kw)}, '-6 days', 'weekday 1')"


@dataclass(frozen=True)
class AllowanceWeek:
    week: dt.date
    kind: AllowanceKind
    learners: int
    computed: Decimal
    paid: Decimal


def allowances_by_week(session: Session, filters: ReportFilters) -> tuple[AllowanceWeek, ...]:
    """Allowances computed (every status but cancelled) and paid (status paid), in dollars, per
    week (the Monday of the allowance's period start, in the period) and kind, with the number of
    learners concerned; weeks in order. Training filters (partner, format and level band through
    the enrolment's group; an allowance without an enrolment counts only without those filters)."""
    week = week_start(Allowance.period_start)
    computed = func.coalesce(func.sum(case((Allowance.status != AllowanceStatus.CANCELLED, Allowance.amount),
                                           else_=0)), 0)
    paid = func.coalesce(func.sum(case((Allowance.status == AllowanceStatus.PAID, Allowance.amount), else_=0)), 0)
    query = (select(week.label("week"), Allowance.kind, func.count(Allowance.learner_id.distinct()), computed, paid)
             .select_from(Allowance).join(Learner, Learner.id == Allowance.learner_id)
             .outerjoin(Enrolment, Enrolment.id == Allowance.enrolment_id)
             .outerjoin(Section, Section.id == Enrolment.section_id)
             .outerjoin(Course, Course.id == Section.course_id)
             .where(_in_period_day(Allowance.period_start, filters), *training_conditions(filters))
             .group_by(week, Allowance.kind).order_by(week, Allowance.kind))
    result = []
    for day, kind, learners, amount, paid_amount in session.execute(query):
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        result.append(AllowanceWeek(day, AllowanceKind(kind), int(learners), Decimal(str(amount)).quantize(
            Decimal("0.01")), Decimal(str(paid_amount)).quantize(Decimal("0.01"))))
    return tuple(result)


# --- demand against capacity --------------------------------------------------------------------

@dataclass(frozen=True)
class CapacityLine:
    """One region × format × level band: who waits for it and the seats declared and scheduled."""

    region_id: int | None
    region: RegionLabel
    format: CourseFormat
    band: str
    demand: int
    declared_groups: int
    declared_seats: int
    scheduled_groups: int
    scheduled_seats: int
    free_seats: int

    @property
    def band_label(self):
        return BAND_LABELS.get(self.band, self.band)

    @property
    def gap(self) -> int:
        """Demand not covered by the free scheduled seats (positive: groups must open)."""
        return self.demand - self.free_seats

    @property
    def undeclared_need(self) -> int:
        """Demand beyond what partners declared they can offer (positive: capacity is missing)."""
        return max(self.demand - self.declared_seats, 0)


def demand_conditions(filters: ReportFilters) -> list:
    """SQL: the application is demand — waiting (:func:`waiting_conditions`) and holding no seat."""
    return [*waiting_conditions(replace(filters, date_from=None, date_to=None)),
            ~_has_place((ES.ENROLLED,))]


def demand_against_capacity(session: Session, filters: ReportFilters,
                            today: dt.date | None = None) -> tuple[CapacityLine, ...]:
    """Per region × format × level band: the demand (applications waiting today without a seat,
    by the region and format they asked for and the band of the learner's level — ``unplaced``
    without one), the groups and seats partners declared for the terms, and the groups and seats
    scheduled (groups not cancelled) with the seats still free. Terms and groups are those running
    in the period, or still running today or later without one. Demand uses the application
    filters (all the waiting, whatever the period); declarations and groups their own region,
    partner, format and band; the category filter applies to demand only. Lines in region code,
    format and band order."""
    from ..models import Term

    today = today or montreal_today()
    zero = literal(0)

    demand_band = func.coalesce(_band_case(Learner.current_level), literal(UNPLACED))
    demand = (select(Application.region_id.label("region_id"), Application.format_wanted.label("format"),
                     demand_band.label("band"), func.count().label("demand"), zero.label("dg"), zero.label("ds"),
                     zero.label("sg"), zero.label("ss"), zero.label("fs"))
              .select_from(Application).join(Learner, Learner.id == Application.learner_id)
              .where(*demand_conditions(filters))
              .group_by(Application.region_id, Application.format_wanted, demand_band))

    def running(starts, ends):
        if filters.date_from or filters.date_to:
            return and_(ends >= (filters.date_from or FIRST_DAY), starts <= (filters.date_to or LAST_DAY))
        return ends >= today

    def own(model_region, model_partner, model_format, model_level):
        conditions = []
        if filters.region_id is not None:
            conditions.append(model_region == filters.region_id)
        if filters.partner_id is not None:
            conditions.append(model_partner == filters.partner_id)
        if filters.format is not None:
            conditions.append(model_format == filters.format)
        if filters.levels is not None:
            conditions.append(model_level.between(*filters.levels))
        return conditions

    declared_band = _band_case(CapacityDeclaration.level_min)
    declared = (select(CapacityDeclaration.region_id, CapacityDeclaration.format.label("format"),
                       declared_band.label("band"), zero, func.sum(CapacityDeclaration.groups_offered),
                       func.sum(CapacityDeclaration.seats_offered), zero, zero, zero)
                .select_from(CapacityDeclaration).join(Term, Term.id == CapacityDeclaration.term_id)
                .where(running(Term.starts_on, Term.ends_on),
                       *own(CapacityDeclaration.region_id, CapacityDeclaration.partner_id,
                            CapacityDeclaration.format, CapacityDeclaration.level_min))
                .group_by(CapacityDeclaration.region_id, CapacityDeclaration.format, declared_band))

    section_region = func.coalesce(Site.region_id, Partner.region_id)
    section_band = _band_case(Course.level_min)
    scheduled = (select(section_region, Course.format, section_band, zero, zero, zero, func.count(),
                        func.sum(Section.capacity), func.sum(Section.capacity - Section.seats_taken))
                 .select_from(Section).join(Course, Course.id == Section.course_id)
                 .join(Partner, Partner.id == Section.partner_id).outerjoin(Site, Site.id == Section.site_id)
                 .where(Section.status != SectionStatus.CANCELLED, running(Section.starts_on, Section.ends_on),
                        *own(section_region, Section.partner_id, Course.format, Course.level_min))
                 .group_by(section_region, Course.format, section_band))

    combined = union_all(demand, declared, scheduled).subquery("capacity_parts")
    c = combined.c
    sums = (func.sum(col) for col in (c.demand, c.dg, c.ds, c.sg, c.ss, c.fs))
    summed = (select(c.region_id, c.format, c.band, *sums)
              .group_by(c.region_id, c.format, c.band).subquery("capacity_lines"))
    s = summed.c
    rows = session.execute(
        select(s.region_id, Region.code, Region.name_fr, Region.name_en, s.format, s.band,
               *(col for col in list(s)[3:]))
        .select_from(summed).outerjoin(Region, Region.id == s.region_id)
        .order_by(Region.code, s.format, s.band)).all()
    band_order = {band: i for i, band in enumerate([*LEVEL_BANDS, UNPLACED])}
    format_order = {fmt.value: i for i, fmt in enumerate(CourseFormat)}
    lines = [CapacityLine(rid, RegionLabel(code, fr, en), CourseFormat(fmt), band or UNPLACED,
                          *(int(v or 0) for v in numbers))
             for rid, code, fr, en, fmt, band, *numbers in rows]
    lines.sort(key=lambda line: (line.region.code or "~", format_order[line.format.value],
                                 band_order.get(line.band, 9)))
    return tuple(lines)


# --- everything ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndicatorSet:
    """Every indicator for one set of filters, as of one day."""

    filters: ReportFilters
    today: dt.date
    applications: ApplicationCounts
    time_to_first_course: DayDistribution
    waiting: WaitingPopulation
    training: Training
    exams: tuple[ExamPass, ...]
    follow_up: FollowUpCounts
    allowances: tuple[AllowanceWeek, ...]
    capacity: tuple[CapacityLine, ...]


INDICATOR_STEPS = 8  # the statements groups of indicator_set, for progress reports


def indicator_set(session: Session, filters: ReportFilters, today: dt.date | None = None,
                  on_step: Callable[[int, int], None] | None = None) -> IndicatorSet:
    """The full indicator set for ``filters``, waiting clocks running to ``today`` (Montréal day).

    ``on_step(done, total)`` is called after each of the ``INDICATOR_STEPS`` groups of statements
    (a background export reports its progress with it)."""
    today = today or montreal_today()
    steps = [
        ("applications", lambda: application_counts(session, filters)),
        ("time_to_first_course", lambda: time_to_first_course(session, filters, today)),
        ("waiting", lambda: waiting_population(session, filters, today)),
        ("training", lambda: training(session, filters)),
        ("exams", lambda: exam_pass_rates(session, filters)),
        ("follow_up", lambda: follow_up_counts(session, filters)),
        ("allowances", lambda: allowances_by_week(session, filters)),
        ("capacity", lambda: demand_against_capacity(session, filters, today)),
    ]
    values = {}
    for done, (name, compute) in enumerate(steps, start=1):
        values[name] = compute()
        if on_step is not None:
            on_step(done, len(steps))
    return IndicatorSet(filters=filters, today=today, **values)


# --- choices for filter forms --------------------------------------------------------------------

def filter_choices(session: Session, partner_ids: frozenset[int] | None = None) -> dict[str, list[tuple[str, str]]]:
    """Values and labels of each filter for a form (``partner_ids``: the partners one may pick;
    None for all). Region, partner and category names come from the reference tables."""
    regions = session.execute(select(Region.id, Region.code, Region.name_fr, Region.name_en).order_by(Region.code))
    partners = select(Partner.id, Partner.name).order_by(Partner.name)
    if partner_ids is not None:
        partners = partners.where(Partner.id.in_(partner_ids))
    categories = session.execute(select(ClientCategory.id, ClientCategory.name_fr, ClientCategory.name_en)
                                 .order_by(ClientCategory.id))
    return {
        "region": [(str(rid), f"{code} {localized(fr, en)}") for rid, code, fr, en in regions],
        "partner": [(str(pid), name) for pid, name in session.execute(partners)],
        "format": [(fmt.value, str(fmt.label)) for fmt in CourseFormat],
        "level": [(band, str(label)) for band, label in LEVEL_BAND_LABELS.items()],
        "category": [(str(cid), localized(fr, en)) for cid, fr, en in categories],
    }


__all__ = [
    "LEVEL_BANDS", "LEVEL_BAND_LABELS", "BAND_LABELS", "UNPLACED", "WAIT_LABELS", "ReportFilters", "ApplicationCounts",
    "DayDistribution", "WaitingGroup", "WaitingPopulation", "RegionLabel", "ReasonCount", "Training", "ExamPass",
    "FollowUpCounts", "AllowanceWeek", "CapacityLine", "IndicatorSet", "application_counts", "time_to_first_course",
    "waiting_population", "training", "training_enrolments", "levels_gained", "exam_pass_rates",
    "approved_never_enrolled", "dropped_without_reenrolling", "follow_up_counts", "allowances_by_week",
    "demand_against_capacity", "indicator_set", "filter_choices", "application_conditions", "training_conditions",
    "waiting_conditions", "demand_conditions", "waiting_stage_sql",
]
