"""Partner records: attendance sheets, exam results, completion and dropout of a group's learners.

Every function takes the acting user and first checks that the section belongs to one of the
partners the user acts for (``partner_ids_for``); any other section raises ``NotYourGroup``
before anything is read or written. Functions take a Session and leave the commit to the caller
(one transaction per user action); each change writes an AuditEvent in that transaction.

Refusals (``RecordRefused``) carry a code and parameters and are translated when shown. Grids
(attendance, exam results) are validated as a whole: one bad row raises ``EntriesRejected``
with a refusal per row, and nothing is written.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask_babel import format_date, format_decimal, get_locale, lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from ..models import (
    Attendance, AuditEvent, Enrolment, EnrolmentStatus, ExamResult, Learner, Section, SectionStatus, Skill, Term,
)
from ..models.base import utcnow
from ..models.catalogue import WEEKDAY_LABELS
from .access import partner_ids_for
from .class_days import class_free_holidays
from .enrolment import Outcome, _lock_section, _release_seat, drop
from .refusals import Refusal

MONTREAL = ZoneInfo("America/Montreal")
# Groups whose term ended less than this many days ago still appear in the staff's list.
RECENT_DAYS = 90
HOURS_STEP = Decimal("0.01")
LEVELS = range(1, 13)

# Learners whose attendance and results are recorded: in the group now, or at its end.
IN_GROUP = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED)
OUTCOMES = (EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED)

# Why a learner left (the audit found no follow-up of dropouts: every dropout has a reason).
DROPOUT_REASONS = {
    "found_job": _l("Found a job"),
    "moved": _l("Moved away"),
    "health": _l("Health"),
    "schedule": _l("Schedule no longer suitable"),
    "childcare": _l("Childcare"),
    "level": _l("Level not suitable"),
    "other": _l("Other reason (describe it)"),
}

REFUSALS = {
    "future_day": _l("%(day)s is in the future: attendance is recorded on the day of the class or later."),
    "outside_dates": _l("Group %(section)s runs from %(start)s to %(end)s: %(day)s is outside these dates."),
    "not_a_meeting_day": _l("Group %(section)s does not meet on %(day)s; its class days are: %(weekdays)s."),
    "holiday": _l("%(day)s is a holiday (%(holiday)s): there is no class."),
    "closed_day": _l("%(day)s is a closed day of the term (%(reason)s): there is no class."),
    "section_cancelled": _l("Group %(section)s is cancelled."),
    "hours_not_a_number": _l("Enter the hours present as a number, for example 2.5."),
    "hours_out_of_range": _l("The hours present must be between 0 and %(max)s."),
    "hours_too_precise": _l("Enter the hours with at most two decimals."),
    "hours_required": _l("Enter the hours present (0 for an absence)."),
    "not_in_group": _l("This learner is not in the group on that day."),
    "level_out_of_range": _l("The level must be a whole number from 1 to 12."),
    "level_required": _l("Enter a level from 1 to 12: a recorded result cannot be left blank."),
    "exam_in_future": _l("The exam date cannot be in the future."),
    "exam_before_group": _l("The exam date cannot be before the group starts (%(start)s)."),
    "not_enrolled": _l("Only a learner enrolled in the group can complete it or drop out."),
    "not_finished": _l("Only a learner enrolled in the group, or who has finished it, can be given an outcome."),
    "unknown_outcome": _l("Choose whether the learner completed the course or did not pass it."),
    "reason_required": _l("Choose the reason for the dropout."),
    "reason_detail_required": _l("Describe the reason for the dropout."),
    "result_taken": _l("A result for the same learner, skill and exam day was saved meanwhile by someone else: "
                       "nothing was saved. Open the results again to see it, then correct it if needed."),
}


# --- refusals -----------------------------------------------------------------------------------

class NotYourGroup(PermissionError):
    """The section belongs to a partner the user does not act for."""


class RecordRefused(Refusal):
    """A record the rules refuse; ``message`` is translated (and dates formatted) when shown."""

    MESSAGES = REFUSALS

    @property
    def message(self) -> str:
        return str(REFUSALS[self.code]) % {key: _shown(value) for key, value in self.params.items()}


class EntriesRejected(Exception):
    """Rows of a grid the rules refuse (key -> RecordRefused); nothing of the grid was written."""

    def __init__(self, problems: dict):
        super().__init__(f"{len(problems)} rows refused")
        self.problems = problems


def _shown(value) -> str:
    """A message parameter in the page's language."""
    if isinstance(value, dt.date):
        return format_date(value, "full")
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, dict):  # a text in both languages
        language = get_locale().language if get_locale() is not None else "fr"
        return value.get(language) or value.get("fr") or ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(element) for element in value)
    return str(value)


# --- scope --------------------------------------------------------------------------------------

def ensure_own_section(session: Session, user, section: Section) -> None:
    """Raise NotYourGroup unless ``user`` acts for the partner of ``section``."""
    partner_ids = partner_ids_for(session, user)
    if partner_ids is not None and section.partner_id not in partner_ids:
        raise NotYourGroup(section.id)


def section_for_staff(session: Session, user, section_id: int) -> Section | None:
    """The section with that id if ``user`` acts for its partner; None otherwise (or if there is none)."""
    partner_ids = partner_ids_for(session, user)
    query = select(Section).where(Section.id == section_id).options(
        joinedload(Section.course), joinedload(Section.term).selectinload(Term.closed_dates),
        joinedload(Section.partner), joinedload(Section.site), joinedload(Section.teacher),
        selectinload(Section.meetings))
    if partner_ids is not None:
        query = query.where(Section.partner_id.in_(partner_ids))
    return session.scalar(query)


def sections_for_staff(session: Session, user, *, today: dt.date | None = None, page: int = 1,
                       page_size: int = 50) -> tuple[list[Section], int]:
    """One page of the groups of the user's partners in current, coming and recent terms, and the total.

    Recent: the term ended less than RECENT_DAYS ago. Cancelled groups are left out. Latest term first.
    """
    today = today or local_today()
    partner_ids = partner_ids_for(session, user)
    if partner_ids is not None and not partner_ids:
        return [], 0
    condition = [Term.ends_on >= today - dt.timedelta(days=RECENT_DAYS), Section.status != SectionStatus.CANCELLED]
    if partner_ids is not None:
        condition.append(Section.partner_id.in_(partner_ids))
    total = session.scalar(select(func.count(Section.id)).join(Section.term).where(*condition))
    sections = session.scalars(
        select(Section).join(Section.term).where(*condition)
        .order_by(Term.starts_on.desc(), Term.id, Section.code)
        .options(joinedload(Section.course), joinedload(Section.term), joinedload(Section.partner),
                 joinedload(Section.site), joinedload(Section.teacher), selectinload(Section.meetings))
        .limit(page_size).offset((page - 1) * page_size)).all()
    return list(sections), total


def last_attendance_days(session: Session, user, section_ids: list[int]) -> dict[int, dt.date]:
    """The last day with attendance recorded, for each of the user's sections among ``section_ids``."""
    partner_ids = partner_ids_for(session, user)
    if not section_ids or partner_ids == frozenset():
        return {}
    query = (select(Enrolment.section_id, func.max(Attendance.day)).join(Attendance.enrolment)
             .where(Enrolment.section_id.in_(section_ids)).group_by(Enrolment.section_id))
    if partner_ids is not None:
        query = query.join(Enrolment.section).where(Section.partner_id.in_(partner_ids))
    return {section_id: day for section_id, day in session.execute(query)}


# --- class days ---------------------------------------------------------------------------------

def local_today() -> dt.date:
    return dt.datetime.now(MONTREAL).date()


def _local_date(instant: dt.datetime) -> dt.date:
    return instant.astimezone(MONTREAL).date()


def hours_scheduled(section: Section, day: dt.date) -> Decimal:
    """The hours of the section's meetings on the weekday of ``day``."""
    minutes = sum((m.ends_at.hour * 60 + m.ends_at.minute) - (m.starts_at.hour * 60 + m.starts_at.minute)
                  for m in section.meetings if m.weekday == day.isoweekday())
    return (Decimal(minutes) / Decimal(60)).quantize(HOURS_STEP)


def _holidays(first: dt.date, last: dt.date, language: str | None = None) -> dict[dt.date, str]:
    return class_free_holidays(first, last, language=language)


def day_refusal(section: Section, day: dt.date, today: dt.date | None = None) -> RecordRefused | None:
    """Why no attendance can be taken for ``section`` on ``day`` (None: it is a class day, past or today)."""
    today = today or local_today()
    if section.status == SectionStatus.CANCELLED:
        return RecordRefused("section_cancelled", section=section.code)
    if day > today:
        return RecordRefused("future_day", day=day)
    if not section.starts_on <= day <= section.ends_on:
        return RecordRefused("outside_dates", section=section.code, day=day, start=section.starts_on,
                             end=section.ends_on)
    weekdays = sorted({meeting.weekday for meeting in section.meetings})
    if day.isoweekday() not in weekdays:
        return RecordRefused("not_a_meeting_day", section=section.code, day=day,
                             weekdays=[WEEKDAY_LABELS[weekday] for weekday in weekdays])
    if day in _holidays(day, day):
        names = {"fr": _holidays(day, day, "fr").get(day), "en": _holidays(day, day, "en_CA").get(day)}
        return RecordRefused("holiday", day=day, holiday=names)
    closed = next((closed for closed in section.term.closed_dates if closed.day == day), None)
    if closed is not None:
        return RecordRefused("closed_day", day=day, reason={"fr": closed.reason_fr or closed.reason_en or "—",
                                                            "en": closed.reason_en or closed.reason_fr or "—"})
    return None


def meeting_days(section: Section, *, until: dt.date | None = None) -> list[dt.date]:
    """The class days of the section up to ``until`` (today): its weekdays between its dates,
    holidays without class (``class_days``) and the term's closed days excepted."""
    until = min(until or local_today(), section.ends_on)
    if section.status == SectionStatus.CANCELLED or until < section.starts_on:
        return []
    weekdays = {meeting.weekday for meeting in section.meetings}
    quebec = _holidays(section.starts_on, until)
    closed = {closed.day for closed in section.term.closed_dates}
    days, day = [], section.starts_on
    while day <= until:
        if day.isoweekday() in weekdays and day not in quebec and day not in closed:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


# --- attendance ---------------------------------------------------------------------------------

def in_group_on(enrolment: Enrolment, day: dt.date) -> bool:
    """Whether the learner held a seat in the group on ``day``.

    Enrolled, completed or not passed: from the day of enrolment on. Dropped: only if they had a
    seat, until the day before they left (their attendance until then still counts).
    """
    if enrolment.enrolled_at is not None and _local_date(enrolment.enrolled_at) > day:
        return False
    if enrolment.status in IN_GROUP:
        return True
    return (enrolment.status == EnrolmentStatus.DROPPED and enrolment.enrolled_at is not None
            and enrolment.ended_at is not None and _local_date(enrolment.ended_at) > day)


@dataclass
class SheetRow:
    enrolment: Enrolment
    attendance: Attendance | None

    @property
    def learner(self):
        return self.enrolment.learner


@dataclass
class AttendanceSheet:
    """The learners of a group on a class day, with what was recorded for each one."""

    section: Section
    day: dt.date
    hours_scheduled: Decimal
    rows: list[SheetRow]
    previous_day: dt.date | None = None
    next_day: dt.date | None = None
    days: list[dt.date] = field(default_factory=list)


def _group_enrolments(session: Session, section: Section, statuses) -> list[Enrolment]:
    return list(session.scalars(
        select(Enrolment).join(Enrolment.learner)
        .where(Enrolment.section_id == section.id, Enrolment.status.in_(statuses))
        .order_by(Learner.last_name, Learner.first_name, Enrolment.id)
        .options(joinedload(Enrolment.learner))))


def attendance_sheet(session: Session, user, section: Section, day: dt.date, *,
                     today: dt.date | None = None) -> AttendanceSheet:
    """The attendance sheet of ``section`` on ``day``; RecordRefused when there is no class that day."""
    ensure_own_section(session, user, section)
    today = today or local_today()
    refusal = day_refusal(section, day, today)
    if refusal is not None:
        raise refusal
    enrolments = [e for e in _group_enrolments(session, section, IN_GROUP + (EnrolmentStatus.DROPPED,))
                  if in_group_on(e, day)]
    recorded = {row.enrolment_id: row for row in session.scalars(
        select(Attendance).where(Attendance.enrolment_id.in_([e.id for e in enrolments]), Attendance.day == day))}
    days = meeting_days(section, until=today)
    earlier = [d for d in days if d < day]
    later = [d for d in days if d > day]
    return AttendanceSheet(section, day, hours_scheduled(section, day),
                           [SheetRow(e, recorded.get(e.id)) for e in enrolments],
                           previous_day=earlier[-1] if earlier else None, next_day=later[0] if later else None,
                           days=days)


@dataclass
class AttendanceEntry:
    """What was typed for one learner: hours present (text or number; blank: not recorded) and justified."""

    enrolment_id: int
    hours_present: str | Decimal | None
    justified: bool = False


@dataclass
class Saved:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def parse_hours(value, maximum: Decimal) -> Decimal | None:
    """Typed hours as a Decimal (a comma is a decimal separator); None for a blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        hours = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise RecordRefused("hours_not_a_number") from None
    if not hours.is_finite():
        raise RecordRefused("hours_not_a_number")
    if not Decimal(0) <= hours <= maximum:
        raise RecordRefused("hours_out_of_range", max=maximum)
    if hours != hours.quantize(HOURS_STEP):
        raise RecordRefused("hours_too_precise")
    return hours.quantize(HOURS_STEP)


def record_attendance(session: Session, user, section: Section, day: dt.date, entries: list[AttendanceEntry], *,
                      today: dt.date | None = None) -> Saved:
    """Record a whole attendance sheet: every row is checked first, then created or updated.

    Raises RecordRefused (no class that day) or EntriesRejected (enrolment id -> RecordRefused)
    and writes nothing; otherwise writes an AuditEvent for each created or changed row.
    """
    sheet = attendance_sheet(session, user, section, day, today=today)
    rows = {row.enrolment.id: row for row in sheet.rows}
    problems, wanted = {}, []
    for entry in {entry.enrolment_id: entry for entry in entries}.values():
        row = rows.get(entry.enrolment_id)
        if row is None:
            problems[entry.enrolment_id] = RecordRefused("not_in_group")
            continue
        try:
            hours = parse_hours(entry.hours_present, sheet.hours_scheduled)
        except RecordRefused as refusal:
            problems[entry.enrolment_id] = refusal
            continue
        if hours is None:
            if row.attendance is not None or entry.justified:
                problems[entry.enrolment_id] = RecordRefused("hours_required")
            continue
        wanted.append((row, hours, bool(entry.justified)))
    if problems:
        raise EntriesRejected(problems)

    saved = Saved()
    for row, hours, justified in wanted:
        attendance = row.attendance
        before = None if attendance is None else {
            "hours_present": str(attendance.hours_present), "justified": attendance.justified,
            "hours_scheduled": str(attendance.hours_scheduled)}
        if attendance is None:
            attendance = Attendance(enrolment_id=row.enrolment.id, day=day)
            session.add(attendance)
            saved.created += 1
        elif (attendance.hours_present, attendance.justified, attendance.hours_scheduled) == (
                hours, justified, sheet.hours_scheduled):
            saved.unchanged += 1
            continue
        else:
            saved.updated += 1
        attendance.hours_scheduled, attendance.hours_present, attendance.justified = (
            sheet.hours_scheduled, hours, justified)
        attendance.recorded_by_id = user.id
        session.flush()
        after = {"hours_present": str(hours), "justified": justified, "hours_scheduled": str(sheet.hours_scheduled)}
        session.add(AuditEvent(
            actor_id=user.id, action="attendance.record", object_type="Attendance", object_id=str(attendance.id),
            changes={"enrolment_id": row.enrolment.id, "day": day.isoformat(),
                     **{key: [before[key] if before else None, value] for key, value in after.items()}}))
    session.flush()
    return saved


@dataclass
class RosterLine:
    """A learner who held a seat in the group, with the hours recorded so far."""

    enrolment: Enrolment
    present: Decimal = Decimal(0)
    scheduled: Decimal = Decimal(0)

    @property
    def learner(self):
        return self.enrolment.learner


def group_roster(session: Session, user, section: Section) -> tuple[list[RosterLine], int]:
    """The learners who hold or held a seat in the group, with their hours, and how many are waiting."""
    ensure_own_section(session, user, section)
    enrolments = [e for e in _group_enrolments(session, section, IN_GROUP + (EnrolmentStatus.DROPPED,))
                  if e.status in IN_GROUP or e.enrolled_at is not None]
    totals = {enrolment_id: (present, scheduled) for enrolment_id, present, scheduled in session.execute(
        select(Attendance.enrolment_id, func.sum(Attendance.hours_present), func.sum(Attendance.hours_scheduled))
        .join(Attendance.enrolment).where(Enrolment.section_id == section.id).group_by(Attendance.enrolment_id))}
    waiting = session.scalar(select(func.count(Enrolment.id)).where(
        Enrolment.section_id == section.id, Enrolment.status == EnrolmentStatus.WAITLISTED))
    return [RosterLine(e, *(Decimal(v) for v in totals.get(e.id, (0, 0)))) for e in enrolments], waiting


def exam_date_refusal(section: Section, taken_on: dt.date, today: dt.date | None = None) -> RecordRefused | None:
    """Why results cannot be recorded for an exam of ``taken_on`` (None: they can)."""
    if taken_on > (today or local_today()):
        return RecordRefused("exam_in_future")
    if taken_on < section.starts_on:
        return RecordRefused("exam_before_group", start=section.starts_on)
    return None


# --- exam results -------------------------------------------------------------------------------

@dataclass
class ExamSheet:
    """The learners of a group with their results of one exam date, by skill."""

    section: Section
    taken_on: dt.date
    enrolments: list[Enrolment]
    results: dict[tuple[int, Skill], ExamResult]
    dates: list[dt.date]


@dataclass
class ExamEntry:
    """What was typed for one learner and skill: the level (blank: no result) and whether it passed."""

    enrolment_id: int
    skill: Skill
    level: str | int | None
    passed: bool = True


def exam_dates(session: Session, section: Section) -> list[dt.date]:
    """The dates of the exams recorded in the group, latest first."""
    return list(session.scalars(select(ExamResult.taken_on).where(ExamResult.section_id == section.id)
                                .group_by(ExamResult.taken_on).order_by(ExamResult.taken_on.desc())))


def exam_sheet(session: Session, user, section: Section, taken_on: dt.date) -> ExamSheet:
    """The results of the group's learners on the exam of ``taken_on``."""
    ensure_own_section(session, user, section)
    enrolments = _group_enrolments(session, section, IN_GROUP)
    by_learner = {e.learner_id: e.id for e in enrolments}
    results = {}
    for result in session.scalars(select(ExamResult).where(
            ExamResult.section_id == section.id, ExamResult.taken_on == taken_on,
            ExamResult.learner_id.in_(by_learner)).order_by(ExamResult.id)):
        results[(by_learner[result.learner_id], result.skill)] = result
    return ExamSheet(section, taken_on, enrolments, results, exam_dates(session, section))


def parse_level(value) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        level = int(str(value).strip())
    except ValueError:
        raise RecordRefused("level_out_of_range") from None
    if level not in LEVELS:
        raise RecordRefused("level_out_of_range")
    return level


def record_exam_results(session: Session, user, section: Section, results: list[ExamEntry], *,
                        taken_on: dt.date, evaluator: str | None = None, today: dt.date | None = None) -> Saved:
    """Record the levels (1–12) obtained per skill at the exam of ``taken_on``; all rows or none.

    Raises RecordRefused for the date and EntriesRejected ((enrolment id, skill) -> RecordRefused).
    """
    ensure_own_section(session, user, section)
    refusal = exam_date_refusal(section, taken_on, today)
    if refusal is not None:
        raise refusal
    sheet = exam_sheet(session, user, section, taken_on)
    enrolments = {e.id: e for e in sheet.enrolments}
    problems, wanted = {}, []
    for entry in {(entry.enrolment_id, entry.skill): entry for entry in results}.values():
        key = (entry.enrolment_id, entry.skill)
        if entry.enrolment_id not in enrolments:
            problems[key] = RecordRefused("not_in_group")
            continue
        try:
            level = parse_level(entry.level)
        except RecordRefused as refusal:
            problems[key] = refusal
            continue
        if level is None:
            if key in sheet.results:
                problems[key] = RecordRefused("level_required")
            continue
        wanted.append((enrolments[entry.enrolment_id], entry.skill, level, bool(entry.passed)))
    if problems:
        raise EntriesRejected(problems)

    evaluator = (evaluator or "").strip()[:120] or None
    saved = Saved()
    try:
        with session.begin_nested():
            for enrolment, skill, level, passed in wanted:
                result = sheet.results.get((enrolment.id, skill))
                before = None if result is None else {"level": result.level, "passed": result.passed,
                                                      "evaluator": result.evaluator}
                if result is None:
                    result = ExamResult(learner_id=enrolment.learner_id, section_id=section.id, skill=skill,
                                        taken_on=taken_on)
                    session.add(result)
                    saved.created += 1
                elif (result.level, result.passed, result.evaluator) == (level, passed, evaluator):
                    saved.unchanged += 1
                    continue
                else:
                    saved.updated += 1
                result.level, result.passed, result.evaluator = level, passed, evaluator
                session.flush()
                after = {"level": level, "passed": passed, "evaluator": evaluator}
                session.add(AuditEvent(
                    actor_id=user.id, action="exam_result.record", object_type="ExamResult", object_id=str(result.id),
                    changes={"learner_id": enrolment.learner_id, "section_id": section.id, "skill": skill.value,
                             "taken_on": taken_on.isoformat(),
                             **{key: [before[key] if before else None, value] for key, value in after.items()}}))
            session.flush()
    except IntegrityError:
        # the same learner, skill and day saved meanwhile by someone else (uq_exam_result)
        raise RecordRefused("result_taken") from None
    session.flush()
    return saved


# --- end of training ----------------------------------------------------------------------------

def complete_enrolment(session: Session, user, enrolment: Enrolment, outcome: EnrolmentStatus) -> Enrolment:
    """Close a learner's training in the group: COMPLETED (passed) or FAILED (not passed).

    The seat is given back to the section's count (seats_taken counts enrolled and offered
    learners); while the group still runs, the waiting list gets it when the transaction commits
    (services.waiting_list), like any freed seat. An outcome already given can be corrected
    (completed <-> not passed).
    """
    ensure_own_section(session, user, enrolment.section)
    if outcome not in OUTCOMES:
        raise RecordRefused("unknown_outcome")
    _lock_section(session, enrolment.section_id)
    session.refresh(enrolment)  # as a concurrent request may have left it
    before = enrolment.status
    if before not in IN_GROUP:
        raise RecordRefused("not_finished")
    if before == outcome:
        return enrolment
    if before == EnrolmentStatus.ENROLLED:
        _release_seat(session, enrolment.section_id)
        enrolment.ended_at = utcnow()
    enrolment.status = outcome
    session.flush()
    session.add(AuditEvent(actor_id=user.id, action="enrolment.complete", object_type="Enrolment",
                           object_id=str(enrolment.id),
                           changes={"status": [before.value, outcome.value], "section_id": enrolment.section_id}))
    session.flush()
    return enrolment


def dropout_reason_text(reason: str | None, detail: str | None = None) -> str:
    """The reason stored on the enrolment: its code, then what was written (``other: …``)."""
    detail = (detail or "").strip()
    return f"{reason}: {detail}" if detail else (reason or "")


def dropout_reason_label(stored: str | None) -> str:
    """A stored dropout reason as shown to staff, in the page's language."""
    if not stored:
        return ""
    code, _, detail = stored.partition(": ")
    label = DROPOUT_REASONS.get(code)
    if label is None:
        return stored
    label = str(label) if code != "other" else str(_l("Other reason"))
    return f"{label} — {detail}" if detail else label


def record_dropout(session: Session, user, enrolment: Enrolment, reason: str | None, detail: str | None = None, *,
                   today: dt.date | None = None) -> Outcome:
    """A learner of the group stopped coming: record why, release the seat and move the waiting list.

    ``reason`` is one of DROPOUT_REASONS (required); "other" needs ``detail``. The drop deadline
    does not apply: it limits learners, not the partner reporting who left.
    """
    ensure_own_section(session, user, enrolment.section)
    if enrolment.status != EnrolmentStatus.ENROLLED:
        raise RecordRefused("not_enrolled")
    if reason not in DROPOUT_REASONS:
        raise RecordRefused("reason_required")
    if reason == "other" and not (detail or "").strip():
        raise RecordRefused("reason_detail_required")
    return drop(session, enrolment, reason=dropout_reason_text(reason, detail), today=today, actor_id=user.id,
                enforce_deadline=False)


__all__ = [
    "NotYourGroup", "RecordRefused", "EntriesRejected", "AttendanceEntry", "ExamEntry", "AttendanceSheet",
    "ExamSheet", "Saved", "DROPOUT_REASONS", "sections_for_staff", "section_for_staff", "attendance_sheet",
    "record_attendance", "exam_sheet", "record_exam_results", "complete_enrolment", "record_dropout",
    "meeting_days", "day_refusal", "hours_scheduled", "group_roster", "last_attendance_days", "exam_date_refusal",
    "dropout_reason_label", "RosterLine", "local_today",
]
