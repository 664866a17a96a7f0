"""The waiting list is served first, whatever path frees a seat.

A seat can be freed by the enrolment service (drop, swap, declined or expired offer), but also by
a capacity raised or a group re-opened in the back office, or by staff editing or deleting an
enrolment row. Rather than trusting every screen, service and job to remember, the rule is kept at
the deepest level every path shares, the ORM session:

* before each flush, the session notes the groups (sections) whose seats may have changed: an
  enrolment added, deleted, or whose status or group changed; a group whose capacity or status
  changed;
* before the transaction commits, each noted group is locked, its ``seats_taken`` is set to the
  enrolled and offered rows it holds (so a staff edit releases or takes the seat), and any free seat
  of an open, still running group goes to its waiting list at once (a seat, or a timed offer when
  the term uses offers) — in the same transaction as the change that freed it.

``waiting_list_violations`` states the database-wide invariant the tests check after every kind
of change.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm import Session

from ..models import Enrolment, EnrolmentStatus, Section, SectionStatus
from .enrolment import ACCOUNTED, HOLDS_SEAT, _lock_section, conflicting_section, fill_free_seats

SEAT_FIELDS = {Enrolment: ("status", "section_id"), Section: ("capacity", "status")}
_PENDING = "guichet_seat_sections"
MONTREAL = ZoneInfo("America/Montreal")


def local_today() -> dt.date:
    return dt.datetime.now(MONTREAL).date()


def serves_waiting_list(section: Section, today: dt.date) -> bool:
    """A group gives its free seats to its waiting list while it is open and has not ended."""
    return section.status == SectionStatus.OPEN and section.ends_on >= today


# --- noting the groups a flush touches -----------------------------------------------------------

def _changed_values(obj, name: str) -> list:
    history = inspect(obj).attrs[name].history
    return [*history.added, *history.deleted] if history.has_changes() else []


def _note_changes(session: Session, flush_context, instances) -> None:
    pending: set[int] = session.info.setdefault(_PENDING, set())
    accounted = session.info.pop(ACCOUNTED, set())
    for obj in session.new:
        if isinstance(obj, Enrolment) and id(obj) not in accounted:
            section_id = obj.section_id if obj.section_id is not None else getattr(obj.section, "id", None)
            if section_id is not None:
                pending.add(section_id)
    for obj in session.deleted:
        if isinstance(obj, Enrolment) and obj.section_id is not None:
            pending.add(obj.section_id)
    for obj in session.dirty:
        if isinstance(obj, Enrolment) and id(obj) not in accounted:
            if _changed_values(obj, "status") and obj.section_id is not None:
                pending.add(obj.section_id)
            pending.update(value for value in _changed_values(obj, "section_id") if value is not None)
        elif isinstance(obj, Section) and obj.id is not None:
            if _changed_values(obj, "capacity") or _changed_values(obj, "status"):
                pending.add(obj.id)


def _serve_pending(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit flushes after this hook: note what is still unflushed now
    if not session.info.get(_PENDING):
        return
    done: set[int] = set()
    today = local_today()
    while True:
        todo = sorted(session.info.pop(_PENDING, set()) - done)
        if not todo:
            return
        for section_id in todo:  # in id order, so two transactions never lock groups crosswise
            serve_section(session, section_id, today=today)
            done.add(section_id)
        session.flush()


def _forget_pending(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(ACCOUNTED, None)


def install() -> None:
    """Attach the rule to every ORM session (once)."""
    for name, listener in (("before_flush", _note_changes), ("before_commit", _serve_pending),
                           ("after_transaction_end", _forget_pending)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


# --- serving one group ---------------------------------------------------------------------------

def serve_section(session: Session, section_id: int, *, today: dt.date | None = None,
                  notify: bool = True) -> list[Enrolment]:
    """Bring a group's seat count to its seat-holding rows, then give its free seats to the line.

    Returns the enrolments that got a seat or an offer. A count above the capacity (a staff edit
    seating a learner in a full group) breaks the seat constraint and the transaction is refused.
    """
    today = today or local_today()
    _lock_section(session, section_id)  # from here on, statements see every committed seat change
    held = (select(func.count(Enrolment.id))
            .where(Enrolment.section_id == section_id, Enrolment.status.in_(HOLDS_SEAT)).scalar_subquery())
    row = session.execute(
        update(Section).where(Section.id == section_id).values(seats_taken=held)
        .returning(Section.seats_taken, Section.capacity, Section.status, Section.ends_on)
        .execution_options(synchronize_session=False)).first()
    if row is None:
        return []  # the group itself was deleted
    seats_taken, capacity, status, ends_on = row
    section = session.get(Section, section_id)
    if section is not None:
        session.expire(section, ["seats_taken"])
    if seats_taken >= capacity or status != SectionStatus.OPEN or ends_on < today:
        return []
    waiting = session.scalar(select(Enrolment.id).where(
        Enrolment.section_id == section_id, Enrolment.status == EnrolmentStatus.WAITLISTED).limit(1))
    if waiting is None:
        return []
    return fill_free_seats(session, section, notify=notify)


# --- the invariant -------------------------------------------------------------------------------

def waiting_list_violations(session: Session, *, today: dt.date | None = None) -> list[str]:
    """Every breach of the waiting-list rule in the database (empty: the books are right).

    * a group whose ``seats_taken`` differs from its enrolled and offered rows;
    * an open, still running group with a free seat while a learner waits on it without an offer
      (a learner passed over because the group now overlaps one of their seats does not count).
    """
    today = today or local_today()
    problems = []
    held = (select(Enrolment.section_id, func.count(Enrolment.id).label("held"))
            .where(Enrolment.status.in_(HOLDS_SEAT)).group_by(Enrolment.section_id).subquery())
    for section_id, code, seats_taken, count in session.execute(
            select(Section.id, Section.code, Section.seats_taken, func.coalesce(held.c.held, 0))
            .outerjoin(held, held.c.section_id == Section.id)
            .where(Section.seats_taken != func.coalesce(held.c.held, 0))):
        problems.append(f"group {code} (#{section_id}): seats_taken={seats_taken} but {count} seats held")
    waiting_somewhere = (select(Enrolment.id).where(Enrolment.section_id == Section.id,
                                                    Enrolment.status == EnrolmentStatus.WAITLISTED).exists())
    candidates = session.scalars(select(Section).where(
        Section.status == SectionStatus.OPEN, Section.ends_on >= today,
        Section.seats_taken < Section.capacity, waiting_somewhere)).all()
    for section in candidates:
        waiting = session.scalars(select(Enrolment).where(
            Enrolment.section_id == section.id, Enrolment.status == EnrolmentStatus.WAITLISTED)
            .order_by(Enrolment.position)).all()
        for enrolment in waiting:
            if conflicting_section(session, enrolment.learner, section, ignore_enrolment_id=enrolment.id) is None:
                problems.append(f"group {section.code} (#{section.id}): {section.capacity - section.seats_taken} "
                                f"free seat(s) while enrolment #{enrolment.id} waits without an offer")
                break
    return problems


__all__ = ["install", "serve_section", "serves_waiting_list", "waiting_list_violations"]
