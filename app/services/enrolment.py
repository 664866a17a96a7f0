"""Registration: seats that are never oversold, a waiting list that moves at once, swaps.

Every seat change goes through the section row: the seat is taken by one conditional statement
(``seats_taken < capacity``) and every waiting-list change first locks the section row with a
write, so on PostgreSQL concurrent transactions on one section queue behind each other, and on
SQLite the first write of the transaction takes the database write lock (WAL, busy timeout).
``seats_taken`` counts the enrolled and offered rows of the section. The ``CHECK`` and
``UNIQUE`` constraints are the backstop.

Functions take a Session and leave the commit to the caller (one transaction per user action);
messages go out through the job seam after that commit.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from ..models import (
    AuditEvent, Course, CourseFormat, Enrolment, EnrolmentStatus, Language, Learner, Section, SectionStatus,
)
from ..models.base import utcnow
from ..models.catalogue import Term
from .refusals import Refusal

ACTIVE = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED, EnrolmentStatus.OFFERED)
HOLDS_SEAT = (EnrolmentStatus.ENROLLED, EnrolmentStatus.OFFERED)
ACCOUNTED = "guichet_seat_accounted"  # session.info: rows whose seat count their caller kept

# Why a learner drops a course (stored in Enrolment.reason; "" = not said).
DROP_REASONS = (
    ("", _l("I prefer not to say")),
    ("schedule", _l("The schedule no longer suits me")),
    ("work", _l("Work")),
    ("health_family", _l("Health or family reasons")),
    ("moving", _l("I am moving")),
    ("level", _l("The course does not match my level")),
    ("other", _l("Another reason")),
)

REFUSALS = {
    "window_closed": _l("Registration for this term is open from %(opens)s to %(closes)s."),
    "section_not_open": _l("This section is not open for registration."),
    "no_level": _l("Your level has not been assessed yet: a placement is needed before you register."),
    "level_out_of_range": _l("This course is for levels %(min)s to %(max)s; your level is %(level)s."),
    "online_only_abroad": _l("While you live outside Québec, you can register for online courses only."),
    "workplace_only_employees": _l("Workplace courses are reserved for the employees of the business."),
    "time_conflict": _l("This section overlaps section %(other)s, in which you are already registered."),
    "already_registered": _l("You are already registered in this section or on its waiting list."),
    "drop_deadline_passed": _l("The drop deadline (%(deadline)s) has passed."),
    "not_active": _l("This registration is no longer active."),
    "no_offer": _l("There is no seat offer to accept for this registration."),
    "offer_expired": _l("This seat offer has expired."),
    "same_section": _l("Choose a different section to swap to."),
    "target_full": _l("Section %(section)s is full: you keep your current seat."),
    "plan_section_full": _l("No seat is left in this section."),
    "different_course": _l("You can swap only to another section of the same course."),
    "full_time_exclusive": _l("A full-time course fills the week: it cannot be combined with another general "
                              "French course in the same term, and you already have %(course)s (section "
                              "%(section)s) in this term."),
    "one_general_per_level": _l("You already have a general French course at this level in this term: "
                                "%(course)s (section %(section)s)."),
}


class RegistrationRefused(Refusal):
    """A registration request the rules refuse; ``message`` is translated when rendered."""

    MESSAGES = REFUSALS


@dataclass
class Outcome:
    """What a registration did: the enrolment, and whether it got a seat or a place in line."""

    enrolment: Enrolment
    promoted: list[Enrolment] = field(default_factory=list)

    @property
    def enrolled(self) -> bool:
        return self.enrolment.status == EnrolmentStatus.ENROLLED

    @property
    def position(self) -> int | None:
        return self.enrolment.position


# --- a learner's own enrolments (pages and API) ---------------------------------------------------

def find_own_enrolment(session: Session, learner: Learner, enrolment_id: int) -> Enrolment | None:
    """The learner's own enrolment with that id; None for another learner's (or no) enrolment."""
    return session.scalar(
        select(Enrolment).where(Enrolment.id == enrolment_id, Enrolment.learner_id == learner.id)
        .options(selectinload(Enrolment.section).selectinload(Section.meetings)))


def learner_enrolments(session: Session, learner: Learner, page: int = 1,
                       page_size: int = 20) -> tuple[list[Enrolment], int]:
    """One page of the learner's enrolments, latest term first, and how many there are in all."""
    total = session.scalar(select(func.count(Enrolment.id)).where(Enrolment.learner_id == learner.id))
    rows = session.scalars(
        select(Enrolment).join(Enrolment.section).join(Section.term).join(Section.course)
        .where(Enrolment.learner_id == learner.id)
        .order_by(Term.starts_on.desc(), Term.id, Course.code, Section.code)
        .options(selectinload(Enrolment.section).options(
            selectinload(Section.course), selectinload(Section.term), selectinload(Section.site),
            selectinload(Section.teacher), selectinload(Section.meetings)))
        .limit(page_size).offset((page - 1) * page_size)).all()
    return rows, total


# --- checks -----------------------------------------------------------------------------------

def registration_window_open(term: Term, today: dt.date) -> bool:
    return term.registration_opens <= today <= term.registration_closes


def eligibility_problems(learner: Learner, section: Section, today: dt.date) -> list[RegistrationRefused]:
    """Every reason the learner may not register in the section today (empty: eligible)."""
    course, term = section.course, section.term
    problems = []
    if not registration_window_open(term, today):
        problems.append(RegistrationRefused("window_closed", opens=term.registration_opens,
                                            closes=term.registration_closes))
    if section.status != SectionStatus.OPEN:
        problems.append(RegistrationRefused("section_not_open"))
    if learner.current_level is None:
        problems.append(RegistrationRefused("no_level"))
    elif not course.level_min <= learner.current_level <= course.level_max:
        problems.append(RegistrationRefused("level_out_of_range", min=course.level_min, max=course.level_max,
                                            level=learner.current_level))
    if learner.living_abroad and course.format != CourseFormat.ONLINE:
        problems.append(RegistrationRefused("online_only_abroad"))
    if course.format == CourseFormat.WORKPLACE and (
            section.enterprise_id is None or learner.enterprise_id != section.enterprise_id):
        problems.append(RegistrationRefused("workplace_only_employees"))
    return problems


def meetings_overlap(a: Section, b: Section) -> bool:
    """True when two sections meet at the same time on a day both are running."""
    if a.starts_on > b.ends_on or b.starts_on > a.ends_on:
        return False
    return any(x.weekday == y.weekday and x.starts_at < y.ends_at and y.starts_at < x.ends_at
               for x in a.meetings for y in b.meetings)


def conflicting_section(session: Session, learner: Learner, section: Section,
                        ignore_enrolment_id: int | None = None) -> Section | None:
    """The learner's seat-holding section of the same term that overlaps ``section``, if any."""
    others = session.scalars(
        select(Section).join(Enrolment).where(
            Enrolment.learner_id == learner.id, Enrolment.status.in_(HOLDS_SEAT),
            Section.term_id == section.term_id, Section.id != section.id,
            Enrolment.id != (ignore_enrolment_id or 0))
        .options(selectinload(Section.meetings))).all()
    return next((other for other in others if meetings_overlap(section, other)), None)


def section_for_registration(session: Session, section_id: int) -> Section | None:
    """A section with everything a registration reads and answers with (course, term, site,
    meetings), in one statement."""
    return session.scalars(
        select(Section).where(Section.id == section_id)
        .options(joinedload(Section.course), joinedload(Section.term), joinedload(Section.site),
                 joinedload(Section.meetings))).unique().first()


def _own_rows(session: Session, learner: Learner, section: Section) -> tuple[Enrolment | None, list[Enrolment]]:
    """In one statement: the learner's row for ``section`` (if any), and the learner's other
    active rows of the same term (seat, offer or waiting list; with their course and meetings, for
    the conflict check and the term rules)."""
    rows = session.scalars(
        select(Enrolment).join(Enrolment.section)
        .where(Enrolment.learner_id == learner.id,
               or_(Enrolment.section_id == section.id,
                   and_(Section.term_id == section.term_id, Enrolment.status.in_(ACTIVE))))
        .options(contains_eager(Enrolment.section).joinedload(Section.course),
                 contains_eager(Enrolment.section).selectinload(Section.meetings))).all()
    existing = next((row for row in rows if row.section_id == section.id), None)
    return existing, [row for row in rows if row.section_id != section.id and row.status in ACTIVE]


def is_general(course) -> bool:
    """A general French course: full-time, part-time or online, not a specialised field nor workplace."""
    return course.field_id is None and course.format != CourseFormat.WORKPLACE


def term_commitments(session: Session, learner: Learner, term_ids) -> list[Enrolment]:
    """The learner's active registrations (seat, offer, waiting list) in these terms, with each
    section's course and meetings: what the term rules and the time-conflict check look at."""
    if learner.id is None or not term_ids:
        return []
    return list(session.scalars(
        select(Enrolment).join(Section, Section.id == Enrolment.section_id)
        .where(Enrolment.learner_id == learner.id, Enrolment.status.in_(ACTIVE), Section.term_id.in_(set(term_ids)))
        .options(joinedload(Enrolment.section).joinedload(Section.course),
                 joinedload(Enrolment.section).selectinload(Section.meetings))).unique())


def general_course_problem(section: Section, commitments: list[Enrolment]) -> RegistrationRefused | None:
    """The service offer's rule for general French courses in one term: a full-time course excludes
    every other general course, and a learner follows one general course per level."""
    course = section.course
    if not is_general(course):
        return None
    for enrolment in commitments:
        other = enrolment.section
        if other.id == section.id or other.term_id != section.term_id or not is_general(other.course):
            continue
        if CourseFormat.FULL_TIME in (course.format, other.course.format):
            return RegistrationRefused("full_time_exclusive", course=other.course.title, section=other.code)
        if course.level_min <= other.course.level_max and other.course.level_min <= course.level_max:
            return RegistrationRefused("one_general_per_level", course=other.course.title, section=other.code)
    return None


def overlapping_seat(section: Section, commitments: list[Enrolment]) -> Section | None:
    """The section of a seat (or offer) among ``commitments`` that overlaps ``section``, if any."""
    return next((e.section for e in commitments if e.status in HOLDS_SEAT and e.section_id != section.id
                 and e.section.term_id == section.term_id and meetings_overlap(section, e.section)), None)


# --- seats and the waiting list ---------------------------------------------------------------

def seats_accounted(session: Session, enrolment: Enrolment) -> None:
    """The caller kept the seat count of this row's group itself, under the group's row lock: it
    took a seat with the conditional UPDATE, or joined the line of a group it found full. Its group
    needs no recount by the waiting-list rule (``waiting_list``) and has no seat to give for it."""
    session.info.setdefault(ACCOUNTED, set()).add(id(enrolment))


def _take_seat(session: Session, section_id: int) -> bool:
    """Reserve one seat with a single conditional statement; False when the section is full."""
    result = session.execute(
        update(Section)
        .where(Section.id == section_id, Section.seats_taken < Section.capacity)
        .values(seats_taken=Section.seats_taken + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _release_seat(session: Session, section_id: int) -> None:
    session.execute(
        update(Section).where(Section.id == section_id, Section.seats_taken > 0)
        .values(seats_taken=Section.seats_taken - 1).execution_options(synchronize_session=False))


def _lock_section(session: Session, section_id: int) -> None:
    """Serialise waiting-list changes of one section behind its row (a write that changes nothing)."""
    session.execute(update(Section).where(Section.id == section_id)
                    .values(seats_taken=Section.seats_taken).execution_options(synchronize_session=False))


def _next_position(session: Session, section_id: int) -> int:
    last = session.scalar(select(func.max(Enrolment.position)).where(
        Enrolment.section_id == section_id, Enrolment.status == EnrolmentStatus.WAITLISTED))
    return (last or 0) + 1


def _leave_waiting_list(session: Session, enrolment: Enrolment) -> None:
    """Close the gap a learner leaves in the waiting list."""
    session.refresh(enrolment, ["position"])  # earlier shifts in this transaction were bulk updates
    position = enrolment.position
    enrolment.position = None
    session.flush()
    if position is not None:
        session.execute(
            update(Enrolment)
            .where(Enrolment.section_id == enrolment.section_id, Enrolment.status == EnrolmentStatus.WAITLISTED,
                   Enrolment.position > position)
            .values(position=Enrolment.position - 1).execution_options(synchronize_session=False))


def _record_with_flush(session: Session, enrolment: Enrolment, action: str, before: EnrolmentStatus | None,
                       actor_id: int | None) -> None:
    """The business event of a change about to be flushed, written with the flush's trail in one INSERT."""
    from . import audit

    if not getattr(audit.install, "_installed", False):
        session.flush()
        _record(session, enrolment, action, before, actor_id)
        return
    audit.record_with_next_flush(session, lambda: {
        "actor_id": actor_id, "action": f"enrolment.{action}", "object_type": "Enrolment",
        "object_id": str(enrolment.id), "reason": None,
        "changes": {"status": [before.value if before else None, enrolment.status.value],
                    "section_id": enrolment.section_id, "position": enrolment.position}})
    session.flush()


def _record(session: Session, enrolment: Enrolment, action: str, before: EnrolmentStatus | None,
            actor_id: int | None, reason: str | None = None) -> None:
    session.add(AuditEvent(actor_id=actor_id, action=f"enrolment.{action}", object_type="Enrolment",
                           object_id=str(enrolment.id), reason=reason,
                           changes={"status": [before.value if before else None, enrolment.status.value],
                                    "section_id": enrolment.section_id, "position": enrolment.position}))


def _notify(session: Session, enrolment: Enrolment, template: str) -> None:
    from .messaging import send_to_learner

    section, learner = enrolment.section, enrolment.learner
    course = section.course.title_en if learner.preferred_language == Language.EN else section.course.title_fr
    send_to_learner(session, learner, template, {
        "section": section.code, "course": course, "position": enrolment.position or "",
        "expires": enrolment.offer_expires_at.strftime("%Y-%m-%d %H:%M UTC") if enrolment.offer_expires_at else "",
    })


# --- what learners do -------------------------------------------------------------------------

def register(session: Session, learner: Learner, section: Section, *, today: dt.date | None = None,
             actor_id: int | None = None, notify: bool = True) -> Outcome:
    """Register a learner: a seat when one is left, otherwise the end of the waiting list.

    Refuses (RegistrationRefused) when the window is closed, the learner is not eligible, the
    section overlaps one of the learner's seats in the term, or the learner is already in line.
    """
    today = today or dt.date.today()
    problems = eligibility_problems(learner, section, today)
    if problems:
        raise problems[0]
    existing, held = _own_rows(session, learner, section)
    if existing is not None and existing.status in ACTIVE:
        raise RegistrationRefused("already_registered")
    other = overlapping_seat(section, held)
    if other is not None:
        raise RegistrationRefused("time_conflict", other=other.code)
    problem = general_course_problem(section, held)
    if problem is not None:
        raise problem

    got_seat = _take_seat(session, section.id)
    if not got_seat:
        _lock_section(session, section.id)
        got_seat = _take_seat(session, section.id)  # a seat may have been freed before the lock
    enrolment = existing or Enrolment(learner_id=learner.id, section_id=section.id)
    before = existing.status if existing else None
    enrolment.reason = None
    enrolment.ended_at = None
    enrolment.offer_expires_at = None
    if got_seat:
        enrolment.status, enrolment.position, enrolment.enrolled_at = EnrolmentStatus.ENROLLED, None, utcnow()
    else:
        enrolment.status, enrolment.position = EnrolmentStatus.WAITLISTED, _next_position(session, section.id)
    if existing is None:
        session.add(enrolment)
    seats_accounted(session, enrolment)  # seat taken, or line joined, under the lock above
    _record_with_flush(session, enrolment, "register", before, actor_id)
    if notify:
        _notify(session, enrolment, "enrolled" if got_seat else "waitlisted")
    return Outcome(enrolment)


def drop(session: Session, enrolment: Enrolment, *, reason: str | None = None, today: dt.date | None = None,
         actor_id: int | None = None, enforce_deadline: bool = True, notify: bool = True) -> Outcome:
    """Leave a section (until its term's drop deadline) and, if a seat was freed, move the line."""
    today = today or dt.date.today()
    if enrolment.status not in ACTIVE:
        raise RegistrationRefused("not_active")
    term = enrolment.section.term
    if enforce_deadline and enrolment.status == EnrolmentStatus.ENROLLED and today > term.drop_deadline:
        raise RegistrationRefused("drop_deadline_passed", deadline=term.drop_deadline)
    section_id = enrolment.section_id
    _lock_section(session, section_id)
    session.refresh(enrolment)  # a concurrent drop may have promoted or ended it meanwhile
    if enrolment.status not in ACTIVE:
        raise RegistrationRefused("not_active")
    before = enrolment.status
    if enrolment.status == EnrolmentStatus.WAITLISTED:
        _leave_waiting_list(session, enrolment)
    else:
        _release_seat(session, section_id)
    enrolment.status, enrolment.reason, enrolment.ended_at = EnrolmentStatus.DROPPED, reason, utcnow()
    enrolment.offer_expires_at = None
    session.flush()
    _record(session, enrolment, "drop", before, actor_id, reason)
    if notify:
        _notify(session, enrolment, "dropped")
    promoted = fill_free_seats(session, enrolment.section, notify=notify) if before in HOLDS_SEAT else []
    return Outcome(enrolment, promoted)


def fill_free_seats(session: Session, section: Section, *, notify: bool = True) -> list[Enrolment]:
    """Give free seats to the head of the waiting list: a seat, or a timed offer if the term uses offers.

    A waiting learner whose seats now overlap the section is passed over (not eligible) and keeps
    their place in line.
    """
    _lock_section(session, section.id)
    term = section.term
    moved = []
    waiting = session.scalars(
        select(Enrolment).where(Enrolment.section_id == section.id, Enrolment.status == EnrolmentStatus.WAITLISTED)
        .order_by(Enrolment.position)).all()
    for candidate in waiting:
        if conflicting_section(session, candidate.learner, section, ignore_enrolment_id=candidate.id):
            continue
        if not _take_seat(session, section.id):
            break
        _leave_waiting_list(session, candidate)
        before = candidate.status
        if term.use_offers:
            from ..jobs import enqueue

            candidate.status = EnrolmentStatus.OFFERED
            candidate.offer_expires_at = utcnow() + dt.timedelta(hours=term.offer_hours)
            enqueue("expire_offers", session=session, run_at=candidate.offer_expires_at,
                    as_of=candidate.offer_expires_at.isoformat())
            template = "offered"
        else:
            candidate.status, candidate.enrolled_at = EnrolmentStatus.ENROLLED, utcnow()
            template = "promoted"
        session.flush()
        _record(session, candidate, "promote", before, None)
        if notify:
            _notify(session, candidate, template)
        moved.append(candidate)
    return moved


def accept_offer(session: Session, enrolment: Enrolment, *, actor_id: int | None = None,
                 now: dt.datetime | None = None) -> Outcome:
    """Turn a seat offer into an enrolment, before it expires."""
    now = now or utcnow()
    if enrolment.status != EnrolmentStatus.OFFERED:
        raise RegistrationRefused("no_offer")
    if enrolment.offer_expires_at is not None and enrolment.offer_expires_at <= now:
        raise RegistrationRefused("offer_expired")
    enrolment.status, enrolment.enrolled_at, enrolment.offer_expires_at = EnrolmentStatus.ENROLLED, now, None
    session.flush()
    _record(session, enrolment, "accept_offer", EnrolmentStatus.OFFERED, actor_id)
    return Outcome(enrolment)


def expire_offers(session: Session, *, now: dt.datetime | None = None, notify: bool = True) -> int:
    """End every offer past its time and pass each freed seat to the next in line; returns how many."""
    now = now or utcnow()
    expired = session.scalars(select(Enrolment).where(
        Enrolment.status == EnrolmentStatus.OFFERED, Enrolment.offer_expires_at <= now)).all()
    for enrolment in expired:
        _lock_section(session, enrolment.section_id)
        session.refresh(enrolment)
        if enrolment.status != EnrolmentStatus.OFFERED:
            continue
        _release_seat(session, enrolment.section_id)
        enrolment.status, enrolment.ended_at = EnrolmentStatus.DROPPED, now
        enrolment.reason = "offer expired"
        enrolment.offer_expires_at = None
        session.flush()
        _record(session, enrolment, "offer_expired", EnrolmentStatus.OFFERED, None)
        if notify:
            _notify(session, enrolment, "offer_expired")
        fill_free_seats(session, enrolment.section, notify=notify)
    return len(expired)


def swap(session: Session, enrolment: Enrolment, target: Section, *, today: dt.date | None = None,
         actor_id: int | None = None, notify: bool = True) -> Outcome:
    """Move to another section of the same course; the current seat is kept unless the new one is confirmed.

    When the target is full nothing changes and the refusal says so (the learner keeps the seat).
    """
    today = today or dt.date.today()
    if enrolment.status != EnrolmentStatus.ENROLLED:
        raise RegistrationRefused("not_active")
    if target.id == enrolment.section_id:
        raise RegistrationRefused("same_section")
    if target.course_id != enrolment.section.course_id:
        raise RegistrationRefused("different_course")
    learner = enrolment.learner
    problems = eligibility_problems(learner, target, today)
    if problems:
        raise problems[0]
    existing = session.scalar(select(Enrolment).where(Enrolment.learner_id == learner.id,
                                                      Enrolment.section_id == target.id))
    if existing is not None and existing.status in ACTIVE:
        raise RegistrationRefused("already_registered")
    other = conflicting_section(session, learner, target, ignore_enrolment_id=enrolment.id)
    if other is not None:
        raise RegistrationRefused("time_conflict", other=other.code)
    if not _take_seat(session, target.id):
        raise RegistrationRefused("target_full", section=target.code)
    new = existing or Enrolment(learner_id=learner.id, section_id=target.id)
    new.status, new.position, new.enrolled_at, new.reason, new.ended_at = (
        EnrolmentStatus.ENROLLED, None, utcnow(), None, None)
    if existing is None:
        session.add(new)
    session.flush()
    _record(session, new, "swap_in", existing.status if existing else None, actor_id)
    drop(session, enrolment, reason="swap", today=today, actor_id=actor_id, enforce_deadline=False, notify=False)
    if notify:
        _notify(session, new, "swapped")
    return Outcome(new)


def seats_consistent(session: Session, section_id: int) -> tuple[int, int]:
    """(seats_taken, enrolled + offered rows) for a section: equal when the books are right."""
    section = session.get(Section, section_id)
    session.refresh(section)
    held = session.scalar(select(func.count(Enrolment.id)).where(
        Enrolment.section_id == section_id, Enrolment.status.in_(HOLDS_SEAT)))
    return section.seats_taken, held


# --- whole timetables -------------------------------------------------------------------------

@dataclass
class PlanLine:
    """The outcome of one section of a plan registration: 'enrolled', 'full' or 'refused' (message)."""

    section_id: int
    section_code: str
    outcome: str
    message: str = ""


class PlanNotRegistered(Exception):
    """A plan registration that did not go through; nothing was registered. ``lines`` say why."""

    def __init__(self, lines: list[PlanLine]):
        super().__init__("plan not registered")
        self.lines = lines


def register_plan(session: Session, learner: Learner, sections: list[Section], *, today: dt.date | None = None,
                  actor_id: int | None = None) -> list[Outcome]:
    """Register every section of a plan, or none: one transaction, all seats or no change.

    On any refusal or full section the transaction is rolled back (seats and rows untouched) and
    PlanNotRegistered lists the outcome of each section, so the learner can try the next plan.
    """
    today = today or dt.date.today()
    outcomes, lines, failed = [], [], False
    for section in sections:
        try:
            outcome = register(session, learner, section, today=today, actor_id=actor_id, notify=False)
        except RegistrationRefused as refusal:
            lines.append(PlanLine(section.id, section.code, "refused", refusal.message))
            failed = True
            continue
        if outcome.enrolled:
            lines.append(PlanLine(section.id, section.code, "enrolled"))
            outcomes.append(outcome)
        else:
            lines.append(PlanLine(section.id, section.code, "full", str(REFUSALS["plan_section_full"])))
            failed = True
    if failed:
        session.rollback()
        raise PlanNotRegistered(lines)
    for outcome in outcomes:
        _notify(session, outcome.enrolment, "enrolled")
    return outcomes


__all__ = ["register", "drop", "swap", "accept_offer", "expire_offers", "fill_free_seats", "register_plan",
           "RegistrationRefused", "PlanNotRegistered", "PlanLine", "Outcome", "eligibility_problems",
           "meetings_overlap", "term_commitments", "general_course_problem", "overlapping_seat", "is_general"]
