"""The people an agent must follow up: approved but never enrolled, dropped out without re-enrolling.

The lists are the selectables of :mod:`app.services.reports` (the same people the indicators
count), joined to the learner's file and the date of the latest case note, one page at a time.
A follow-up action is a case note on the learner's file (:func:`case_notes.add_note`, audited
like every case note); it is accepted only for a person on the list. Callers commit.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from ..models import CaseNote, Learner, Section
from . import case_notes, reports
from .catalogue import Page
from .records import dropout_reason_label

NEVER_ENROLLED, DROPPED = "never-enrolled", "dropped"
KINDS = {
    NEVER_ENROLLED: _l("Approved, never enrolled"),
    DROPPED: _l("Dropped out, not re-enrolled"),
}
PER_PAGE = 25


@dataclass(frozen=True)
class PersonToFollow:
    """One person of a follow-up list: since when, why (a dropout's reason and group), last note."""

    learner: Learner
    since: dt.datetime | None
    group_code: str | None
    reason: str | None
    last_note_at: dt.datetime | None

    @property
    def reason_label(self) -> str:
        return dropout_reason_label(self.reason)


def _selectable(kind: str, filters: reports.ReportFilters):
    if kind == NEVER_ENROLLED:
        return reports.approved_never_enrolled(filters).subquery("to_follow")
    if kind == DROPPED:
        return reports.dropped_without_reenrolling(filters).subquery("to_follow")
    raise ValueError(kind)


def people_to_follow(session: Session, kind: str, filters: reports.ReportFilters, page: int = 1,
                     per_page: int = PER_PAGE) -> Page:
    """One page of the ``kind`` list (longest first), with the total."""
    people = _selectable(kind, filters)
    total = session.scalar(select(func.count()).select_from(people)) or 0
    since = people.c.decided_at if kind == NEVER_ENROLLED else people.c.dropped_at
    last_note = (select(func.max(CaseNote.created_at)).where(CaseNote.learner_id == people.c.learner_id)
                 .scalar_subquery())
    if kind == DROPPED:
        query = (select(Learner, since, Section.code, people.c.reason, last_note)
                 .select_from(people).join(Learner, Learner.id == people.c.learner_id)
                 .join(Section, Section.id == people.c.section_id))
    else:
        query = (select(Learner, since, None, None, last_note)
                 .select_from(people).join(Learner, Learner.id == people.c.learner_id))
    rows = session.execute(query.order_by(since, Learner.id).limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=[PersonToFollow(*row) for row in rows], total=total, page=page, per_page=per_page)


def is_to_follow(session: Session, kind: str, learner_id: int) -> bool:
    """Whether the learner is on the ``kind`` list (whatever the filters of the page)."""
    people = _selectable(kind, reports.ReportFilters())
    return bool(session.scalar(select(exists().where(people.c.learner_id == learner_id))))


def record_follow_up(session: Session, user, kind: str, learner_id: int, body: str | None,
                     follow_up_on: dt.date | None = None) -> CaseNote | None:
    """Write the follow-up action as a case note on the learner's file; None when the learner is
    not on the list (raises ``case_notes.NoteRefused`` for a note the rules refuse)."""
    if kind not in KINDS or not is_to_follow(session, kind, learner_id):
        return None
    learner = case_notes.learner_for(session, user, learner_id)
    if learner is None:
        return None
    return case_notes.add_note(session, user, learner, body, follow_up_on)
