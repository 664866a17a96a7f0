"""Case notes on a learner's file, with follow-up dates, and each author's follow-ups due.

Who may follow a learner: ministry staff (Agent, Admin) any learner; partner staff only the
learners enrolled (or waiting) in a group of one of their partners — ``partner_ids_for`` and the
same partner scoping as the back office. What they read: ministry staff every note; partner staff
the notes written for their own organisation (``CaseNote.partner_id``), never the ministry's notes
nor another partner's. A note written by partner staff carries the partner it was written for.
Callers commit.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, joinedload

from ..models import CaseNote, Enrolment, Learner, Section
from .access import partner_ids_for, partner_scope_clause
from .refusals import Refusal

MAX_BODY = 4000
PAGE_SIZE = 25

REFUSALS = {
    "not_your_learner": _l("You can only follow the learners enrolled with your organisation."),
    "body_required": _l("Write the note."),
    "body_too_long": _l("The note is too long (%(limit)s characters at most)."),
    "follow_up_in_past": _l("The follow-up date cannot be in the past."),
}


class NoteRefused(Refusal):
    """A note the rules do not accept; ``message`` is translated when rendered."""

    MESSAGES = REFUSALS


def _today() -> dt.date:
    from .service_clock import montreal_today

    return montreal_today()


def followable_learners(session: Session, user):
    """SQL condition on Learner: the learners ``user`` may follow (None: every learner)."""
    partner_ids = partner_ids_for(session, user)
    if partner_ids is None:
        return None
    return partner_scope_clause(Learner, partner_ids)


def may_follow(session: Session, user, learner_id: int) -> bool:
    condition = followable_learners(session, user)
    if condition is None:
        return session.get(Learner, learner_id) is not None
    return session.scalar(select(func.count(Learner.id)).where(Learner.id == learner_id, condition)) > 0


def learner_for(session: Session, user, learner_id: int) -> Learner | None:
    """The learner if ``user`` may follow them; None for a learner out of reach (or absent)."""
    return session.get(Learner, learner_id) if may_follow(session, user, learner_id) else None


def find_learner(session: Session, user, file_number: str) -> Learner | None:
    """The learner with that file number, among those ``user`` may follow."""
    number = (file_number or "").strip().upper()
    if not number:
        return None
    query = select(Learner).where(func.upper(Learner.file_number) == number)
    condition = followable_learners(session, user)
    if condition is not None:
        query = query.where(condition)
    return session.scalar(query)


def _note_visibility(session: Session, user):
    partner_ids = partner_ids_for(session, user)
    if partner_ids is None:
        return None
    return CaseNote.partner_id.in_(partner_ids)


def notes_for(session: Session, user, learner: Learner) -> list[CaseNote]:
    """The notes on ``learner``'s file that ``user`` may read, newest first."""
    if not may_follow(session, user, learner.id):
        raise NoteRefused("not_your_learner")
    query = (select(CaseNote).where(CaseNote.learner_id == learner.id)
             .options(joinedload(CaseNote.author)).order_by(CaseNote.created_at.desc(), CaseNote.id.desc()))
    visibility = _note_visibility(session, user)
    if visibility is not None:
        query = query.where(visibility)
    return list(session.scalars(query))


def _partner_for_note(session: Session, user, learner: Learner) -> int | None:
    """The partner a partner-staff note is written for: theirs that the learner is enrolled with."""
    partner_ids = partner_ids_for(session, user)
    if partner_ids is None:
        return None
    return session.scalar(
        select(func.min(Section.partner_id)).join(Enrolment, Enrolment.section_id == Section.id)
        .where(Enrolment.learner_id == learner.id, Section.partner_id.in_(partner_ids)))


def add_note(session: Session, user, learner: Learner, body: str | None, follow_up_on: dt.date | None = None,
             *, today: dt.date | None = None) -> CaseNote:
    """Write a note on a learner's file, optionally with a date to follow up on."""
    if not may_follow(session, user, learner.id):
        raise NoteRefused("not_your_learner")
    body = (body or "").strip()
    if not body:
        raise NoteRefused("body_required")
    if len(body) > MAX_BODY:
        raise NoteRefused("body_too_long", limit=MAX_BODY)
    if follow_up_on is not None and follow_up_on < (today or _today()):
        raise NoteRefused("follow_up_in_past")
    note = CaseNote(learner=learner, author_id=user.id, partner_id=_partner_for_note(session, user, learner),
                    body=body, follow_up_on=follow_up_on, follow_up_done=False)
    session.add(note)
    session.flush()
    return note


@dataclass(frozen=True)
class FollowUps:
    notes: list[CaseNote]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(-(-self.total // self.page_size), 1)


def _due(user, today: dt.date):
    return and_(CaseNote.author_id == user.id, CaseNote.follow_up_on.is_not(None),
                CaseNote.follow_up_on <= today, CaseNote.follow_up_done.is_(False))


def follow_ups_due(session: Session, user, *, today: dt.date | None = None, page: int = 1,
                   page_size: int = PAGE_SIZE) -> FollowUps:
    """The follow-ups ``user`` wrote that are due (on or before today) and not done, oldest first."""
    condition = _due(user, today or _today())
    total = session.scalar(select(func.count(CaseNote.id)).where(condition))
    notes = session.scalars(
        select(CaseNote).where(condition).options(joinedload(CaseNote.learner))
        .order_by(CaseNote.follow_up_on, CaseNote.id).limit(page_size).offset((max(page, 1) - 1) * page_size)).all()
    return FollowUps(notes=list(notes), total=total, page=page, page_size=page_size)


UPCOMING_SHOWN = 50


def follow_ups_upcoming(session: Session, user, *, today: dt.date | None = None,
                        limit: int = UPCOMING_SHOWN) -> tuple[list[CaseNote], int]:
    """The follow-ups ``user`` planned after today and not done, soonest first (at most ``limit``),
    and how many there are: a follow-up saved for a later date is listed from the day it is saved."""
    condition = and_(CaseNote.author_id == user.id, CaseNote.follow_up_on > (today or _today()),
                     CaseNote.follow_up_done.is_(False))
    total = session.scalar(select(func.count(CaseNote.id)).where(condition))
    notes = session.scalars(select(CaseNote).where(condition).options(joinedload(CaseNote.learner))
                            .order_by(CaseNote.follow_up_on, CaseNote.id).limit(limit)).all()
    return list(notes), total


def count_due(session: Session, user, *, today: dt.date | None = None) -> int:
    return session.scalar(select(func.count(CaseNote.id)).where(_due(user, today or _today())))


def mark_done(session: Session, user, note_id: int) -> CaseNote | None:
    """Mark one of ``user``'s own follow-ups done; None when there is no such note of theirs."""
    note = session.scalar(select(CaseNote).where(CaseNote.id == note_id, CaseNote.author_id == user.id,
                                                 CaseNote.follow_up_on.is_not(None)))
    if note is None:
        return None
    note.follow_up_done = True
    session.flush()
    return note
