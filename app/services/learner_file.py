"""A learner's own file: training record, results, financial record and application history.

Every query is filtered by the learner's id; sums and counts are computed by the database
(GROUP BY), and related rows are loaded eagerly so that a page costs a fixed number of queries
whatever the number of rows. No request code: the pages and the API call these functions.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Integer, and_, case, cast, extract, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..models import (
    Allowance, AllowanceKind, AllowanceStatus, Application, ApplicationEvent, ApplicationStatus, Attendance,
    Course, CourseFormat, Enrolment, EnrolmentStatus, ExamResult, Learner, Payment, PlacementResult, Section,
    Skill, Term,
)
from ..models.base import ZERO
from ..models.reference import stage_of

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100

# Allowances still to be paid (a cancelled one never will be).
AWAITING = (AllowanceStatus.PENDING, AllowanceStatus.APPROVED)


@dataclass
class Page:
    """One page of a list and the size of the whole list."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(math.ceil(self.total / self.per_page), 1)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_bounds(page: int, per_page: int) -> tuple[int, int]:
    """A valid (page, per_page): page 1 or more, per_page between 1 and MAX_PER_PAGE."""
    return max(int(page), 1), min(max(int(per_page), 1), MAX_PER_PAGE)


# --- training record ------------------------------------------------------------------------------

@dataclass
class TrainingLine:
    """One course followed (or being followed) by the learner, with its hours."""

    enrolment: Enrolment
    hours_planned: Decimal  # the section's meetings over its weeks
    hours_scheduled: Decimal  # of the days recorded so far, or the planned hours before any record
    hours_attended: Decimal
    days_recorded: int
    hours_from_attendance: bool  # False: no attendance yet, the hours are the planned ones

    @property
    def section(self) -> Section:
        return self.enrolment.section

    @property
    def course(self) -> Course:
        return self.enrolment.section.course

    @property
    def term(self) -> Term:
        return self.enrolment.section.term

    @property
    def format(self) -> CourseFormat:
        return self.enrolment.section.course.format

    @property
    def status(self) -> EnrolmentStatus:
        return self.enrolment.status

    @property
    def dropout_reason(self) -> str | None:
        return self.enrolment.reason if self.enrolment.status == EnrolmentStatus.DROPPED else None

    @property
    def attendance_rate(self) -> Decimal | None:
        """Share of the recorded hours the learner was present (None before any attendance)."""
        if not self.hours_from_attendance or not self.hours_scheduled:
            return None
        return self.hours_attended / self.hours_scheduled


def planned_hours(section: Section) -> Decimal:
    """Weekly meeting hours times the number of times each meeting falls between the section's dates."""
    total_minutes = 0
    for meeting in section.meetings:
        minutes = ((meeting.ends_at.hour * 60 + meeting.ends_at.minute)
                   - (meeting.starts_at.hour * 60 + meeting.starts_at.minute))
        total_minutes += minutes * weekday_count(section.starts_on, section.ends_on, meeting.weekday)
    return (Decimal(total_minutes) / Decimal(60)).quantize(Decimal("0.01"))


def weekday_count(start: dt.date, end: dt.date, iso_weekday: int) -> int:
    """How many days of that ISO weekday fall between start and end, both included."""
    if end < start:
        return 0
    first = start + dt.timedelta(days=(iso_weekday - start.isoweekday()) % 7)
    return 0 if first > end else (end - first).days // 7 + 1


def attendance_totals(learner: Learner):
    """Per enrolment of the learner: hours scheduled, hours present and days recorded (a subquery)."""
    return (select(Attendance.enrolment_id.label("enrolment_id"),
                   func.sum(Attendance.hours_scheduled).label("scheduled"),
                   func.sum(Attendance.hours_present).label("present"),
                   func.count(Attendance.id).label("days"))
            .join(Enrolment, Enrolment.id == Attendance.enrolment_id)
            .where(Enrolment.learner_id == learner.id)
            .group_by(Attendance.enrolment_id)
            .subquery("attendance_totals"))


def training_condition(totals):
    """Enrolments that belong to the record: a seat was held (waiting lists and offers are not training)."""
    return or_(Enrolment.status.in_((EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED)),
               and_(Enrolment.status == EnrolmentStatus.DROPPED,
                    or_(Enrolment.enrolled_at.is_not(None), totals.c.days > 0)))


def training_record(session: Session, learner: Learner, page: int = 1,
                    per_page: int = DEFAULT_PER_PAGE) -> Page:
    """The learner's courses of every term, newest first, with hours scheduled and attended."""
    page, per_page = page_bounds(page, per_page)
    totals = attendance_totals(learner)
    base = (select(Enrolment, totals.c.scheduled, totals.c.present, totals.c.days)
            .outerjoin(totals, totals.c.enrolment_id == Enrolment.id)
            .where(Enrolment.learner_id == learner.id, training_condition(totals)))
    count = session.scalar(select(func.count()).select_from(base.subquery()))
    rows = session.execute(
        base.join(Enrolment.section).join(Section.term).join(Section.course)
        .order_by(Term.starts_on.desc(), Section.starts_on.desc(), Course.code, Section.code, Enrolment.id)
        .options(selectinload(Enrolment.section).options(
            selectinload(Section.course), selectinload(Section.term), selectinload(Section.meetings),
            selectinload(Section.partner), selectinload(Section.site)))
        .limit(per_page).offset((page - 1) * per_page)).all()
    lines = []
    for enrolment, scheduled, present, days in rows:
        recorded = bool(days)
        planned = planned_hours(enrolment.section)
        lines.append(TrainingLine(
            enrolment=enrolment,
            hours_planned=planned,
            hours_scheduled=Decimal(scheduled) if recorded else planned,
            hours_attended=Decimal(present) if recorded else ZERO,
            days_recorded=days or 0,
            hours_from_attendance=recorded))
    return Page(lines, count or 0, page, per_page)


@dataclass
class TrainingTotals:
    courses: int
    completed: int
    hours_attended: Decimal


def training_totals(session: Session, learner: Learner) -> TrainingTotals:
    """How many courses are in the record, how many completed, and all hours attended."""
    totals = attendance_totals(learner)
    courses, completed = session.execute(
        select(func.count(Enrolment.id),
               func.coalesce(func.sum(case((Enrolment.status == EnrolmentStatus.COMPLETED, 1), else_=0)), 0))
        .outerjoin(totals, totals.c.enrolment_id == Enrolment.id)
        .where(Enrolment.learner_id == learner.id, training_condition(totals))).one()
    hours = session.scalar(
        select(func.coalesce(func.sum(Attendance.hours_present), 0))
        .join(Enrolment, Enrolment.id == Attendance.enrolment_id)
        .where(Enrolment.learner_id == learner.id))
    return TrainingTotals(courses or 0, int(completed or 0), Decimal(hours or 0).quantize(Decimal("0.01")))


# --- results --------------------------------------------------------------------------------------

@dataclass
class ResultEntry:
    """One level on the learner's timeline of a skill: an exam result or a placement test."""

    taken_on: dt.date
    level: int
    passed: bool
    placement: bool
    section: Section | None = None

    @property
    def stage(self) -> str:
        return stage_of(self.level)


@dataclass
class SkillProgress:
    """The levels of one skill over time; progression from the first level to the latest one."""

    skill: Skill
    entries: list[ResultEntry] = field(default_factory=list)

    @property
    def reached(self) -> list[ResultEntry]:
        """Levels actually reached: placement tests and passed exams (a failed exam reaches nothing)."""
        return [entry for entry in self.entries if entry.passed]

    @property
    def first(self) -> ResultEntry | None:
        reached = self.reached
        return reached[0] if reached else None

    @property
    def latest(self) -> ResultEntry | None:
        reached = self.reached
        return reached[-1] if reached else None

    @property
    def gained(self) -> int:
        return self.latest.level - self.first.level if self.first else 0


@dataclass
class Results:
    skills: list[SkillProgress]
    placements: list[PlacementResult]
    exam_count: int

    @property
    def empty(self) -> bool:
        return not self.exam_count and not self.placements


def results(session: Session, learner: Learner) -> Results:
    """Exam results by skill with placement levels, in date order, and the placement tests."""
    exams = session.scalars(
        select(ExamResult).where(ExamResult.learner_id == learner.id)
        .order_by(ExamResult.taken_on, ExamResult.id)
        .options(selectinload(ExamResult.section).selectinload(Section.course))).all()
    placements = session.scalars(
        select(PlacementResult).where(PlacementResult.learner_id == learner.id)
        .order_by(PlacementResult.assessed_on, PlacementResult.id)).all()
    by_skill = {skill: SkillProgress(skill) for skill in Skill}
    for placement in placements:
        if placement.skill is not None:
            by_skill[placement.skill].entries.append(
                ResultEntry(placement.assessed_on, placement.level, True, True))
    for exam in exams:
        by_skill[exam.skill].entries.append(ResultEntry(exam.taken_on, exam.level, exam.passed, False, exam.section))
    for progress in by_skill.values():
        # a placement precedes an exam of the same day: one is placed before being taught
        progress.entries.sort(key=lambda entry: (entry.taken_on, not entry.placement))
    skills = [progress for progress in by_skill.values() if progress.entries]
    return Results(skills, list(placements), len(exams))


# --- financial record -----------------------------------------------------------------------------

@dataclass
class YearTotal:
    year: int
    paid: Decimal
    awaiting: Decimal  # allowances of the year approved or pending, not paid yet


@dataclass
class FinancialRecord:
    year: int | None
    years: list[int]
    totals: list[YearTotal]
    allowances: Page
    payments: Page

    @property
    def empty(self) -> bool:
        return not self.years

    def total_for(self, year: int) -> YearTotal | None:
        return next((total for total in self.totals if total.year == year), None)


def year_of(column):
    return cast(extract("year", column), Integer)


def yearly_totals(session: Session, learner: Learner) -> list[YearTotal]:
    """Per calendar year, newest first: the sum of the payments and of the allowances awaiting payment."""
    paid_year = year_of(Payment.paid_on).label("year")
    paid = dict(session.execute(
        select(paid_year, func.sum(Payment.amount))
        .where(Payment.learner_id == learner.id).group_by(paid_year)).all())
    period_year = year_of(Allowance.period_start).label("year")
    awaiting = dict(session.execute(
        select(period_year, func.sum(Allowance.amount))
        .where(Allowance.learner_id == learner.id, Allowance.status.in_(AWAITING)).group_by(period_year)).all())
    years = sorted({int(year) for year in (*paid, *awaiting)}, reverse=True)
    return [YearTotal(year, money(paid.get(year)), money(awaiting.get(year))) for year in years]


def money(value) -> Decimal:
    return Decimal(value if value is not None else 0).quantize(Decimal("0.01"))


def financial_years(session: Session, learner: Learner) -> list[int]:
    """The years in which the learner has an allowance period or a payment, newest first."""
    allowance_years = select(year_of(Allowance.period_start).label("year")).where(Allowance.learner_id == learner.id)
    payment_years = select(year_of(Payment.paid_on).label("year")).where(Payment.learner_id == learner.id)
    union = allowance_years.union(payment_years).subquery()
    return [int(year) for year in session.scalars(select(union.c.year).order_by(union.c.year.desc()))]


def financial_record(session: Session, learner: Learner, year: int | None = None, page: int = 1,
                     per_page: int = DEFAULT_PER_PAGE, payments_page: int = 1) -> FinancialRecord:
    """Allowances by period and kind (with the payment that settled them and what an adjustment
    corrects), payments with their reference, and the totals per year; ``year`` narrows the lists."""
    page, per_page = page_bounds(page, per_page)
    payments_page, _ = page_bounds(payments_page, per_page)

    allowance_filter = [Allowance.learner_id == learner.id]
    payment_filter = [Payment.learner_id == learner.id]
    if year is not None:
        allowance_filter.append(year_of(Allowance.period_start) == year)
        payment_filter.append(year_of(Payment.paid_on) == year)

    allowance_count = session.scalar(select(func.count(Allowance.id)).where(*allowance_filter))
    allowances = session.scalars(
        select(Allowance).where(*allowance_filter)
        .order_by(Allowance.period_start.desc(), Allowance.kind, Allowance.sequence, Allowance.id)
        .options(selectinload(Allowance.payment), selectinload(Allowance.adjusts),
                 selectinload(Allowance.enrolment).selectinload(Enrolment.section).selectinload(Section.course))
        .limit(per_page).offset((page - 1) * per_page)).all()

    payment_count = session.scalar(select(func.count(Payment.id)).where(*payment_filter))
    payments = session.scalars(
        select(Payment).where(*payment_filter)
        .order_by(Payment.paid_on.desc(), Payment.id.desc())
        .limit(per_page).offset((payments_page - 1) * per_page)).all()

    return FinancialRecord(
        year=year,
        years=financial_years(session, learner),
        totals=yearly_totals(session, learner),
        allowances=Page(list(allowances), allowance_count or 0, page, per_page),
        payments=Page(list(payments), payment_count or 0, payments_page, per_page))


def is_adjustment(allowance: Allowance) -> bool:
    """A correction of an earlier allowance (paid rows are never edited: a new row corrects them)."""
    return allowance.kind == AllowanceKind.ADJUSTMENT or allowance.adjusts_id is not None


# --- application history --------------------------------------------------------------------------

@dataclass
class ApplicationHistory:
    application: Application
    events: list[ApplicationEvent]

    @property
    def status(self) -> ApplicationStatus:
        return self.application.status


def application_history(session: Session, learner: Learner) -> list[ApplicationHistory]:
    """The learner's applications, newest first, each with its transitions in time order."""
    applications = session.scalars(
        select(Application).where(Application.learner_id == learner.id)
        .order_by(Application.created_at.desc(), Application.id.desc())
        .options(selectinload(Application.events))).all()
    return [ApplicationHistory(application, sorted(application.events, key=lambda e: (e.at, e.id)))
            for application in applications]


# --- messages -------------------------------------------------------------------------------------

def messages(session: Session, learner: Learner, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> Page:
    """The messages written to the learner, newest first, as stored (a personal link is never in
    the stored copy). Only the learner's own: the learner comes from the session, never the URL."""
    from ..models import Message

    page, per_page = page_bounds(page, per_page)
    total = session.scalar(select(func.count(Message.id)).where(Message.learner_id == learner.id))
    rows = session.scalars(select(Message).where(Message.learner_id == learner.id)
                           .order_by(Message.created_at.desc(), Message.id.desc())
                           .offset((page - 1) * per_page).limit(per_page)).all()
    return Page(list(rows), total, page, per_page)
