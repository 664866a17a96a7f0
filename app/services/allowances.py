"""Allowances and payments: what a learner is owed each week from attendance, and paying it.

Amounts are data: ``AllowanceRule`` rows (kind, format, unit, amount, validity dates). The code
below only knows how a *unit* turns attendance into a quantity; it never knows an amount.

The rules of computation, one place for all (views, jobs, the CLI and the demo call them):

* **Periods** are weeks, Monday to Sunday. A learner's attendance in the week is taken from every
  enrolment (whatever its status: days attended before a drop are owed) in sections of each
  format, and the allowances of a format are computed once per learner and week, attached to the
  enrolment with the most scheduled hours that week (a course ending on Wednesday and the next
  starting on Thursday make one week, never two weekly allowances).
* **Weekly unit** (full-time participation, transport): the weekly amount times the share of the
  week attended, ``hours present / hours scheduled`` summed over the week's attendance rows,
  rounded to the hundredth (a whole percent) with ROUND_HALF_UP; the amount is that share times
  the weekly amount, rounded to the cent with ROUND_HALF_UP. The stored quantity is the share,
  so ``amount = rule.amount x quantity`` can be checked on every row. Examples: 25 of 25 hours =
  1.00, 230.00 $; 15 of 25 hours = 0.60, 138.00 $. Days without a class (statutory holidays,
  closed days, a course starting mid-week) have no attendance row and do not reduce the amount.
  Justified absences are not paid (``hours_present`` is what is paid). The rule in force on the
  Monday of the week applies to the whole week. Transport is pro-rated the same way (its fare is
  an expense of the days attended): hours present in in-person sections over all scheduled hours
  of the format that week.
* **Daily unit** (part-time participation): the amount per day times the days of the week with
  hours present > 0, each day paid under the rule in force that day (so nothing from
  2024-09-23, when the part-time allowance was abolished).
* **Per child per day** (childcare): ``children_in_care x days attended x rate`` of the format,
  each day under the rule in force that day. A day of care is paid once: when a learner attends
  full-time and part-time classes on the same day, the full-time rate applies (formats are taken
  in the order of ``CourseFormat``). The rate paid is the ceiling of the rule ("up to 25 $").
* **Rules marked in-person only** (transport) count only sections delivered in person (not
  online, not hybrid).
* **Exclusions**: no *participation* allowance for a learner on income support (last-resort
  aid, employment insurance, CNESST, parental insurance: ``learner.income_support`` set) nor for
  an asylum claimant under review (``learner.status.allowance_excluded``). Transport and
  childcare are still paid: the ministry's conditions say that every full-time learner, "even
  those who are not eligible for participation allowance, can receive travel, transportation or
  child care allowances". The learner's file as it is when the week is computed applies.

Idempotence and corrections (``build_allowances``): a week computed again creates nothing new.
An unpaid allowance (pending or approved) follows the attendance: its amount is updated, or it is
removed when nothing is owed any more. A paid allowance is never edited: the difference between
what is owed now and what was recorded (the paid row plus its earlier adjustments) becomes a new
ADJUSTMENT row, positive or negative, that ``adjusts`` the paid row, with the next sequence number
of the enrolment's week. A cancelled allowance is a staff decision and is left alone.

Payment batches (``pay_batch``): every unpaid allowance that is PENDING or APPROVED (both: the
allowance is owed by the attendance the partner recorded; staff stop a payment by cancelling the
allowance) and whose period is over is grouped per learner into one ``Payment`` with a unique
reference ``PAY-<ISO week>-<file number>``; the allowances become PAID. A learner whose unpaid
total is negative (a correction owed back) is held: the rows wait for the next batch, where they
are netted against what is owed. Running a batch again finds nothing unpaid and pays nothing.

Functions take a Session and never commit: the caller does.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from ..models import (
    Allowance, AllowanceKind, AllowanceRule, AllowanceStatus, AllowanceUnit, Attendance, Course, CourseFormat,
    Delivery, Enrolment, ImmigrationStatus, Learner, Payment, Section,
)
from .refusals import Refusal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
WEEK = dt.timedelta(days=7)
# The kinds computed from attendance (ADJUSTMENT rows only correct them).
COMPUTED_KINDS = (AllowanceKind.PARTICIPATION, AllowanceKind.TRANSPORT, AllowanceKind.CHILDCARE)
UNPAID = (AllowanceStatus.PENDING, AllowanceStatus.APPROVED)
PAYABLE = UNPAID
# How many weeks before the week of a batch are computed again, so that attendance corrected
# late becomes an adjustment in the next batch instead of being forgotten.
LOOKBACK_WEEKS = 4
ORIGIN = dt.date(2010, 1, 1)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- errors -------------------------------------------------------------------------------------

ERRORS = {
    "overlap": _l("Allowance rules %(rules)s are both in force on %(day)s for the same allowance and format: "
                  "correct their dates so that only one applies."),
    "not_monday": _l("A weekly period starts on a Monday; %(day)s is not one."),
    "period_order": _l("The period ends (%(end)s) before it starts (%(start)s)."),
    "period_not_over": _l("The period ends on %(end)s: it can be paid only after that day, not on %(paid_on)s."),
}


class AllowanceError(Refusal, ValueError):
    """A request the allowance rules refuse; ``message`` is translated when read."""

    MESSAGES = ERRORS


class OverlappingRulesError(AllowanceError):
    """Two rules of one kind and format are in force on the same day: no amount can be chosen."""

    def __init__(self, rules: Iterable[AllowanceRule], day: dt.date):
        self.rules = list(rules)
        super().__init__("overlap", rules=", ".join(f"#{r.id}" for r in self.rules), day=day.isoformat())


# --- the rules ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StandardRule:
    kind: AllowanceKind
    format: CourseFormat
    unit: AllowanceUnit
    amount: Decimal
    valid_from: dt.date
    valid_to: dt.date | None
    in_person_only: bool
    note_fr: str
    note_en: str


# The program's amounts (DESIGN.md §2). Dates: the full-time participation allowance was 115 $
# a week until the increase announced in April 2017 took effect on 1 August 2017 (ministry page
# "Conditions of admission to allowances": "Starting on August 1st, 2017 …"); the intermediate
# steps since then are folded into today's 230 $. The part-time allowance of 28 $ a day ended on
# 22 September 2024 (abolished from Monday 23 September 2024). Rules without a known start begin
# at ORIGIN, before any attendance this service holds.
STANDARD_RULES: tuple[StandardRule, ...] = (
    StandardRule(AllowanceKind.PARTICIPATION, CourseFormat.FULL_TIME, AllowanceUnit.WEEK, Decimal("115.00"),
                 ORIGIN, dt.date(2017, 7, 31), False,
                 "Allocation de participation à temps complet jusqu'au 31 juillet 2017 (hausse en vigueur "
                 "le 1er août 2017).",
                 "Full-time participation allowance until 31 July 2017 (increase in force on 1 August 2017)."),
    StandardRule(AllowanceKind.PARTICIPATION, CourseFormat.FULL_TIME, AllowanceUnit.WEEK, Decimal("230.00"),
                 dt.date(2017, 8, 1), None, False,
                 "Allocation de participation à temps complet depuis la hausse du 1er août 2017 (montant actuel; "
                 "les paliers intermédiaires ne sont pas repris).",
                 "Full-time participation allowance since the increase of 1 August 2017 (current amount; "
                 "intermediate steps are not reproduced)."),
    StandardRule(AllowanceKind.TRANSPORT, CourseFormat.FULL_TIME, AllowanceUnit.WEEK, Decimal("25.00"),
                 ORIGIN, None, True,
                 "Cours à temps complet suivis en personne; versée même sans allocation de participation.",
                 "Full-time courses attended in person; paid even without the participation allowance."),
    StandardRule(AllowanceKind.CHILDCARE, CourseFormat.FULL_TIME, AllowanceUnit.CHILD_DAY, Decimal("25.00"),
                 ORIGIN, None, False,
                 "Frais de garde, jusqu'à 25 $ par enfant par jour de présence à temps complet.",
                 "Childcare costs, up to $25 per child per day attended full-time."),
    StandardRule(AllowanceKind.CHILDCARE, CourseFormat.PART_TIME, AllowanceUnit.CHILD_DAY, Decimal("9.00"),
                 ORIGIN, None, False,
                 "Frais de garde, jusqu'à 9 $ par enfant par jour de présence à temps partiel.",
                 "Childcare costs, up to $9 per child per day attended part-time."),
    StandardRule(AllowanceKind.PARTICIPATION, CourseFormat.PART_TIME, AllowanceUnit.DAY, Decimal("28.00"),
                 ORIGIN, dt.date(2024, 9, 22), False,
                 "28 $ par jour de présence à temps partiel; allocation abolie le 23 septembre 2024.",
                 "$28 per day attended part-time; allowance abolished on 23 September 2024."),
)


def in_force(rule, day: dt.date) -> bool:
    return rule.valid_from <= day and (rule.valid_to is None or day <= rule.valid_to)


def periods_overlap(a, b) -> bool:
    """Whether two rules (or standard rules) share at least one day of validity."""
    a_end, b_end = a.valid_to or dt.date.max, b.valid_to or dt.date.max
    return a.valid_from <= b_end and b.valid_from <= a_end


def conflicting_rules(session: Session, rule: AllowanceRule) -> list[AllowanceRule]:
    """The other rules of the same kind and format whose validity overlaps ``rule``'s."""
    query = select(AllowanceRule).where(
        AllowanceRule.kind == rule.kind, AllowanceRule.format == rule.format,
        or_(AllowanceRule.valid_to.is_(None), AllowanceRule.valid_to >= rule.valid_from))
    if rule.valid_to is not None:
        query = query.where(AllowanceRule.valid_from <= rule.valid_to)
    if rule.id is not None:
        query = query.where(AllowanceRule.id != rule.id)
    with session.no_autoflush:
        return list(session.scalars(query.order_by(AllowanceRule.valid_from)))


def ensure_standard_rules(session: Session) -> list[AllowanceRule]:
    """Create the standard rules that are missing; return the rows standing for each of them.

    A standard rule is found again by kind, format, unit and start date, or else by an existing
    rule of the same kind, format, unit and amount whose dates overlap it (the same rule entered
    with other dates): it is reused as it is, never duplicated nor changed. A missing rule that
    would overlap another rule is refused (``OverlappingRulesError``).
    """
    existing = list(session.scalars(select(AllowanceRule)))
    rows = []
    for wanted in STANDARD_RULES:
        same = [r for r in existing if (r.kind, r.format, r.unit) == (wanted.kind, wanted.format, wanted.unit)]
        found = next((r for r in same if r.valid_from == wanted.valid_from), None) or next(
            (r for r in same if r.amount == wanted.amount and periods_overlap(r, wanted)), None)
        if found is None:
            found = AllowanceRule(kind=wanted.kind, format=wanted.format, unit=wanted.unit, amount=wanted.amount,
                                  valid_from=wanted.valid_from, valid_to=wanted.valid_to,
                                  in_person_only=wanted.in_person_only, note_fr=wanted.note_fr,
                                  note_en=wanted.note_en)
            clash = [r for r in existing if (r.kind, r.format) == (wanted.kind, wanted.format)
                     and periods_overlap(r, wanted)]
            if clash:
                raise OverlappingRulesError(clash, max(wanted.valid_from, clash[0].valid_from))
            session.add(found)
            existing.append(found)
        rows.append(found)
    session.flush()
    return rows


def rule_in_force(session: Session, kind: AllowanceKind, format: CourseFormat, day: dt.date) -> AllowanceRule | None:
    """The one rule of ``kind`` and ``format`` in force on ``day``, or None.

    Two rules in force on the same day are refused with ``OverlappingRulesError``.
    """
    rules = session.scalars(select(AllowanceRule).where(
        AllowanceRule.kind == kind, AllowanceRule.format == format, AllowanceRule.valid_from <= day,
        or_(AllowanceRule.valid_to.is_(None), AllowanceRule.valid_to >= day)).order_by(AllowanceRule.id).limit(2)).all()
    if len(rules) > 1:
        raise OverlappingRulesError(rules, day)
    return rules[0] if rules else None


class RuleBook:
    """Every rule in memory, for computing many weeks with the same answers as ``rule_in_force``."""

    def __init__(self, rules: Iterable[AllowanceRule]):
        self.by_key: dict[tuple, list[AllowanceRule]] = defaultdict(list)
        for rule in rules:
            self.by_key[(rule.kind, rule.format)].append(rule)

    @classmethod
    def load(cls, session: Session) -> RuleBook:
        return cls(session.scalars(select(AllowanceRule).order_by(AllowanceRule.id)))

    def in_force(self, kind: AllowanceKind, format: CourseFormat, day: dt.date) -> AllowanceRule | None:
        rules = [rule for rule in self.by_key.get((kind, format), ()) if in_force(rule, day)]
        if len(rules) > 1:
            raise OverlappingRulesError(rules, day)
        return rules[0] if rules else None


# --- computing one learner's week -----------------------------------------------------------------

def week_of(day: dt.date) -> dt.date:
    """The Monday of the week of ``day``."""
    return day - dt.timedelta(days=day.isoweekday() - 1)


def check_week(week_start: dt.date) -> dt.date:
    if week_start.isoweekday() != 1:
        raise AllowanceError("not_monday", day=week_start.isoformat())
    return week_start


def participation_excluded(income_support_id: int | None, status_excluded: bool | None) -> bool:
    """No participation allowance on income support, nor for an asylum claimant under review."""
    return income_support_id is not None or bool(status_excluded)


@dataclass(frozen=True)
class LearnerFacts:
    """What the computation needs to know about a learner's file."""

    id: int
    participation_excluded: bool
    children_in_care: int

    @classmethod
    def of(cls, learner: Learner) -> LearnerFacts:
        status_excluded = learner.status.allowance_excluded if learner.status is not None else False
        return cls(learner.id, participation_excluded(learner.income_support_id, status_excluded),
                   learner.children_in_care or 0)


@dataclass(frozen=True)
class AttendanceDay:
    """One attendance row with the format and delivery of its section."""

    enrolment_id: int
    format: CourseFormat
    in_person: bool
    day: dt.date
    hours_scheduled: Decimal
    hours_present: Decimal


@dataclass
class Due:
    """An allowance owed for a week: kind, format, enrolment it is attached to, rule and amount."""

    kind: AllowanceKind
    format: CourseFormat
    enrolment_id: int
    rule: AllowanceRule | None
    quantity: Decimal
    amount: Decimal
    note: str | None = None

    @property
    def key(self) -> tuple[AllowanceKind, CourseFormat]:
        return self.kind, self.format


def dues_for_week(book: RuleBook, learner: LearnerFacts, week_start: dt.date,
                  days: Iterable[AttendanceDay]) -> list[Due]:
    """The allowances owed to ``learner`` for the week from its attendance rows (see the module docs)."""
    by_format: dict[CourseFormat, list[AttendanceDay]] = defaultdict(list)
    for row in days:
        by_format[row.format].append(row)
    dues: list[Due] = []
    childcare_days: set[dt.date] = set()
    for fmt in (f for f in CourseFormat if f in by_format):
        rows = by_format[fmt]
        scheduled_total = sum((r.hours_scheduled for r in rows), ZERO)
        for kind in COMPUTED_KINDS:
            if kind == AllowanceKind.PARTICIPATION and learner.participation_excluded:
                continue
            weekly = book.in_force(kind, fmt, week_start)
            if weekly is not None and weekly.unit == AllowanceUnit.WEEK:
                due = _weekly_due(weekly, kind, fmt, rows, scheduled_total)
            else:
                due = _daily_due(book, learner, kind, fmt, week_start, rows, childcare_days)
            if due is not None and due.amount != ZERO:
                dues.append(due)
    return dues


def _qualifying(rule: AllowanceRule, rows: list[AttendanceDay]) -> list[AttendanceDay]:
    return [r for r in rows if r.in_person] if rule.in_person_only else rows


def _main_enrolment(rows: list[AttendanceDay]) -> int:
    """The enrolment with the most hours scheduled in the week (the lowest id on a tie)."""
    hours: dict[int, Decimal] = defaultdict(Decimal)
    for row in rows:
        hours[row.enrolment_id] += row.hours_scheduled
    return max(hours, key=lambda enrolment_id: (hours[enrolment_id], -enrolment_id))


def _weekly_due(rule: AllowanceRule, kind: AllowanceKind, fmt: CourseFormat, rows: list[AttendanceDay],
                scheduled_total: Decimal) -> Due | None:
    counted = _qualifying(rule, rows)
    if not counted or scheduled_total <= 0:
        return None
    present = sum((r.hours_present for r in counted), ZERO)
    share = min(Decimal(1), present / scheduled_total).quantize(CENT, rounding=ROUND_HALF_UP)
    return Due(kind, fmt, _main_enrolment(counted), rule, share, cents(rule.amount * share))


def _daily_due(book: RuleBook, learner: LearnerFacts, kind: AllowanceKind, fmt: CourseFormat,
               week_start: dt.date, rows: list[AttendanceDay], childcare_days: set[dt.date]) -> Due | None:
    present_by_day: dict[dt.date, list[AttendanceDay]] = defaultdict(list)
    for row in rows:
        if row.hours_present > 0:
            present_by_day[row.day].append(row)
    units: dict[int, Decimal] = defaultdict(Decimal)  # rule id -> units
    rules: dict[int, AllowanceRule] = {}
    counted: list[AttendanceDay] = []
    for day in sorted(present_by_day):
        rule = book.in_force(kind, fmt, day)
        if rule is None or rule.unit == AllowanceUnit.WEEK:
            continue
        attended = _qualifying(rule, present_by_day[day])
        if not attended:
            continue
        if rule.unit == AllowanceUnit.CHILD_DAY:
            if not learner.children_in_care or day in childcare_days:
                continue
            childcare_days.add(day)
            quantity = Decimal(learner.children_in_care)
        else:
            quantity = Decimal(1)
        rules[rule.id] = rule
        units[rule.id] += quantity
        counted += attended
    if not units:
        return None
    quantity = sum(units.values(), ZERO)
    amount = cents(sum((rules[rule_id].amount * n for rule_id, n in units.items()), ZERO))
    if len(units) == 1:
        (rule,) = rules.values()
        return Due(kind, fmt, _main_enrolment(counted), rule, quantity, amount)
    # The week straddles two rules (an amount changed mid-week): each day at its own rate.
    note = " + ".join(f"{n} × {rules[rule_id].amount}" for rule_id, n in units.items())
    return Due(kind, fmt, _main_enrolment(counted), None, quantity, amount, note)


def _attendance_query(week_start: dt.date) -> Select:
    return (select(Enrolment.learner_id, Attendance.enrolment_id, Course.format, Section.delivery, Attendance.day,
                   Attendance.hours_scheduled, Attendance.hours_present)
            .join(Enrolment, Enrolment.id == Attendance.enrolment_id)
            .join(Section, Section.id == Enrolment.section_id)
            .join(Course, Course.id == Section.course_id)
            .where(Attendance.day >= week_start, Attendance.day <= week_start + dt.timedelta(days=6)))


def _attendance_days(session: Session, week_start: dt.date, learner_ids=None) -> dict[int, list[AttendanceDay]]:
    query = _attendance_query(week_start)
    if learner_ids is not None:
        query = query.where(Enrolment.learner_id.in_(learner_ids))
    days: dict[int, list[AttendanceDay]] = defaultdict(list)
    for learner_id, enrolment_id, fmt, delivery, day, scheduled, present in session.execute(query):
        days[learner_id].append(AttendanceDay(enrolment_id, fmt, delivery == Delivery.IN_PERSON, day,
                                              Decimal(scheduled), Decimal(present)))
    return days


def compute_period(session: Session, learner: Learner, week_start: dt.date) -> list[Allowance]:
    """The allowances due to ``learner`` for the week starting ``week_start`` (a Monday).

    Returns new, unsaved ``Allowance`` rows (sequence 0, pending), as they would be created for a
    week computed for the first time; nothing is added to the session.
    """
    week_start = check_week(week_start)
    book = RuleBook.load(session)
    days = _attendance_days(session, week_start, [learner.id]).get(learner.id, [])
    return [_new_row(learner.id, week_start, due) for due in dues_for_week(book, LearnerFacts.of(learner),
                                                                            week_start, days)]


def _new_row(learner_id: int, week_start: dt.date, due: Due) -> Allowance:
    return Allowance(learner_id=learner_id, enrolment_id=due.enrolment_id, period_start=week_start,
                     period_end=week_start + dt.timedelta(days=6), kind=due.kind, sequence=0,
                     quantity=due.quantity, amount=due.amount, status=AllowanceStatus.PENDING,
                     rule_id=due.rule.id if due.rule is not None else None, note=due.note)


# --- building a week for everyone -----------------------------------------------------------------

@dataclass
class BuildResult:
    """What ``build_allowances`` changed."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    adjustments: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "removed": self.removed,
                "adjustments": self.adjustments}


def build_allowances(session: Session, week_start: dt.date, *, learner_ids=None) -> BuildResult:
    """Bring the allowances of the week in line with the attendance, for every learner.

    ``learner_ids`` (ids or a SELECT of ids) limits the work to those learners. Creates what is
    missing, updates or removes unpaid rows that no longer match, adds an adjustment for a paid
    row that no longer matches; a second run with unchanged attendance changes nothing.
    """
    week_start = check_week(week_start)
    book = RuleBook.load(session)
    days = _attendance_days(session, week_start, learner_ids)
    existing = _existing_rows(session, week_start, learner_ids)
    learners = set(days) | set(existing)
    facts = _learner_facts(session, learners)
    result = BuildResult()
    for learner_id in sorted(learners):
        dues = {due.key: due for due in dues_for_week(book, facts[learner_id], week_start, days.get(learner_id, []))}
        rows = existing.get(learner_id, {})
        for key in sorted(set(dues) | set(rows), key=lambda k: (k[0].value, k[1].value)):
            _reconcile(session, learner_id, week_start, dues.get(key), rows.get(key), result)
    session.flush()
    return result


@dataclass
class KindRows:
    """The rows recorded for one learner, week, kind and format, with adjustments of the paid ones."""

    rows: list[Allowance] = field(default_factory=list)
    adjustments: list[Allowance] = field(default_factory=list)


def _existing_rows(session: Session, week_start: dt.date, learner_ids) -> dict:
    """{learner id: {(kind, format): KindRows}} of the week (rows without enrolment are manual: left out)."""
    query = (select(Allowance, Course.format)
             .join(Enrolment, Enrolment.id == Allowance.enrolment_id)
             .join(Section, Section.id == Enrolment.section_id)
             .join(Course, Course.id == Section.course_id)
             .where(Allowance.period_start == week_start)
             .order_by(Allowance.sequence, Allowance.id)
             # a batch paying these rows meanwhile waits, or is waited for: a paid row is never edited
             .with_for_update(of=Allowance))
    if learner_ids is not None:
        query = query.where(Allowance.learner_id.in_(learner_ids))
    found: dict[int, dict[tuple, KindRows]] = defaultdict(lambda: defaultdict(KindRows))
    adjustments: list[Allowance] = []
    by_id: dict[int, tuple[int, tuple]] = {}
    for row, fmt in session.execute(query).all():
        if row.kind == AllowanceKind.ADJUSTMENT:
            adjustments.append(row)
            continue
        key = (row.kind, fmt)
        found[row.learner_id][key].rows.append(row)
        by_id[row.id] = (row.learner_id, key)
    for adjustment in adjustments:
        if adjustment.adjusts_id in by_id:
            learner_id, key = by_id[adjustment.adjusts_id]
            found[learner_id][key].adjustments.append(adjustment)
    return found


def _learner_facts(session: Session, learner_ids: set[int]) -> dict[int, LearnerFacts]:
    facts = {}
    ids = sorted(learner_ids)
    for start in range(0, len(ids), 5000):
        rows = session.execute(
            select(Learner.id, Learner.income_support_id, ImmigrationStatus.allowance_excluded,
                   Learner.children_in_care)
            .outerjoin(ImmigrationStatus, ImmigrationStatus.id == Learner.status_id)
            .where(Learner.id.in_(ids[start:start + 5000])))
        for learner_id, support_id, status_excluded, children in rows:
            facts[learner_id] = LearnerFacts(learner_id, participation_excluded(support_id, status_excluded),
                                             children or 0)
    return facts


def _reconcile(session: Session, learner_id: int, week_start: dt.date, due: Due | None, recorded: KindRows | None,
               result: BuildResult) -> None:
    rows = [r for r in recorded.rows if r.status != AllowanceStatus.CANCELLED] if recorded else []
    if recorded and recorded.rows and not rows:
        return  # every row of this allowance was cancelled by staff: a decision, not a computation
    paid = [r for r in rows if r.status == AllowanceStatus.PAID]
    if not rows:
        if due is not None:
            session.add(_new_row(learner_id, week_start, due))
            result.created += 1
        return
    if not paid:
        first, *others = rows
        for extra in others:
            session.delete(extra)
            result.removed += 1
        if due is None:
            session.delete(first)
            result.removed += 1
            return
        rule_id = due.rule.id if due.rule is not None else None
        if (first.quantity, first.amount, first.rule_id, first.note) != (due.quantity, due.amount, rule_id, due.note):
            first.quantity, first.amount, first.rule_id, first.note = due.quantity, due.amount, rule_id, due.note
            result.updated += 1
        return
    counted = rows + [a for a in recorded.adjustments if a.status != AllowanceStatus.CANCELLED]
    recorded_amount = sum((r.amount for r in counted), ZERO)
    owed = due.amount if due is not None else ZERO
    if owed == recorded_amount:
        return
    original = paid[0]
    recorded_quantity = sum((r.quantity for r in counted), ZERO)
    last_sequence = session.scalar(select(func.max(Allowance.sequence)).where(
        Allowance.enrolment_id == original.enrolment_id, Allowance.period_start == week_start)) or 0
    session.add(Allowance(
        learner_id=learner_id, enrolment_id=original.enrolment_id, period_start=week_start,
        period_end=original.period_end, kind=AllowanceKind.ADJUSTMENT, sequence=last_sequence + 1,
        quantity=(due.quantity if due is not None else ZERO) - recorded_quantity, amount=owed - recorded_amount,
        status=AllowanceStatus.PENDING, rule_id=(due.rule.id if due is not None and due.rule else original.rule_id),
        adjusts=original, note=f"{original.kind.value} {week_start.isoformat()}: {recorded_amount} → {owed}"))
    session.flush()  # the next adjustment of the same enrolment's week sees this sequence number
    result.adjustments += 1


# --- payments ---------------------------------------------------------------------------------------

@dataclass
class BatchResult:
    """What ``pay_batch`` paid: the batch code, payments made, their total, learners held."""

    batch: str
    payments: list[Payment] = field(default_factory=list)
    held: int = 0

    @property
    def total(self) -> Decimal:
        return sum((p.amount for p in self.payments), ZERO)

    def as_dict(self) -> dict:
        return {"batch": self.batch, "payments": len(self.payments), "total": str(self.total), "held": self.held}


def batch_code(period_start: dt.date | None, period_end: dt.date) -> str:
    """``PAY-2026W47`` for one week (or everything up to it), ``PAY-2026W45-2026W46`` for a longer period."""
    end = f"{period_end:%G}W{period_end:%V}"
    if period_start is None or week_of(period_start) == week_of(period_end):
        return f"PAY-{end}"
    return f"PAY-{period_start:%G}W{period_start:%V}-{end}"


def pay_batch(session: Session, period_start: dt.date | None, period_end: dt.date, paid_on: dt.date, *,
              learner_ids=None, batch: str | None = None) -> BatchResult:
    """Pay every unpaid (pending or approved) allowance of the period: one payment per learner.

    The period covers the allowances whose period lies between ``period_start`` (None: every
    earlier period too, so nothing owed is left behind) and ``period_end``; it must be over on
    ``paid_on``. The rows are locked while the batch runs, so two batches at once cannot both pay
    them; a second run finds nothing unpaid and creates nothing.
    """
    if period_start is not None and period_end < period_start:
        raise AllowanceError("period_order", start=period_start.isoformat(), end=period_end.isoformat())
    if paid_on <= period_end:
        raise AllowanceError("period_not_over", end=period_end.isoformat(), paid_on=paid_on.isoformat())
    code = batch or batch_code(period_start, period_end)
    conditions = [Allowance.payment_id.is_(None), Allowance.status.in_(PAYABLE), Allowance.period_end <= period_end]
    if period_start is not None:
        conditions.append(Allowance.period_start >= period_start)
    if learner_ids is not None:
        conditions.append(Allowance.learner_id.in_(learner_ids))
    session.flush()
    rows = session.execute(select(Allowance.id, Allowance.learner_id, Allowance.amount)
                           .where(and_(*conditions)).order_by(Allowance.learner_id, Allowance.id)
                           .with_for_update()).all()
    owed: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for allowance_id, learner_id, amount in rows:
        owed[learner_id].append((allowance_id, amount))
    result = BatchResult(code)
    if not owed:
        return result
    files = dict(session.execute(select(Learner.id, Learner.file_number).where(Learner.id.in_(list(owed)))).all())
    taken = set(session.scalars(select(Payment.reference).where(Payment.reference.like(f"{code}-%"))))
    settled: list[dict] = []
    for learner_id, lines in owed.items():
        total = sum((amount for _, amount in lines), ZERO)
        if total < 0:
            result.held += 1
            continue
        payment = Payment(learner_id=learner_id, paid_on=paid_on, amount=total, batch=code,
                          reference=_reference(code, files[learner_id], learner_id, taken))
        session.add(payment)
        result.payments.append(payment)
        settled.append({"payment": payment, "ids": [allowance_id for allowance_id, _ in lines]})
    session.flush()
    if not settled:
        return result
    table = Allowance.__table__
    session.connection().execute(
        table.update().where(table.c.id == bindparam("allowance_id"), table.c.payment_id.is_(None))
        .values(payment_id=bindparam("paid_by"), status=AllowanceStatus.PAID),
        [{"allowance_id": allowance_id, "paid_by": item["payment"].id}
         for item in settled for allowance_id in item["ids"]])
    paid_ids = {allowance_id for item in settled for allowance_id in item["ids"]}
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Allowance) and obj.id in paid_ids:
            session.expire(obj)
    return result


def _reference(code: str, file_number: str, learner_id: int, taken: set[str]) -> str:
    """``<batch>-<file number>``, with ``-2``, ``-3``… when the learner was already paid in this batch."""
    base = f"{code}-{file_number}"
    if len(base) > 36:
        base = f"{code}-L{learner_id}"
    reference, n = base, 1
    while reference in taken:
        n += 1
        reference = f"{base}-{n}"
    taken.add(reference)
    return reference


# --- the weekly run -------------------------------------------------------------------------------

def run_weekly_batch(session: Session, week_start: dt.date, paid_on: dt.date, *,
                     lookback_weeks: int = LOOKBACK_WEEKS) -> dict:
    """The weekly job: compute the week (and the ``lookback_weeks`` before it, so late attendance
    corrections become adjustments), then pay everything unpaid up to the end of the week."""
    week_start = check_week(week_start)
    week_end = week_start + dt.timedelta(days=6)
    if paid_on <= week_end:
        raise AllowanceError("period_not_over", end=week_end.isoformat(), paid_on=paid_on.isoformat())
    built = BuildResult()
    for back in range(lookback_weeks, -1, -1):
        step = build_allowances(session, week_start - back * WEEK)
        built.created += step.created
        built.updated += step.updated
        built.removed += step.removed
        built.adjustments += step.adjustments
    paid = pay_batch(session, None, week_end, paid_on, batch=batch_code(week_start, week_end))
    return {"week": week_start.isoformat(), "paid_on": paid_on.isoformat(), **built.as_dict(), **paid.as_dict()}
