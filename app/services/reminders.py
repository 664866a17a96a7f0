"""Class-start reminders: a message to each registered learner a few days before the first class."""
from __future__ import annotations

import datetime as dt

from babel.dates import format_date
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from ..models import Enrolment, EnrolmentStatus, Language, Section
from ..models.base import utcnow
from .messaging import send_to_learner


def send_class_start_reminders(session: Session, today: dt.date, days_before: int) -> int:
    """Remind every enrolled learner whose section starts within ``days_before`` days after ``today``.

    Each registration is reminded once: ``reminded_at`` is set by a conditional UPDATE in the same
    transaction as the message, so a re-run (or a second worker) sends nothing again. The message
    is in the learner's language. Returns how many reminders were written.
    """
    now = utcnow()
    rows = session.scalars(
        select(Enrolment).join(Section, Section.id == Enrolment.section_id)
        .where(Enrolment.status == EnrolmentStatus.ENROLLED, Enrolment.reminded_at.is_(None),
               Section.starts_on > today, Section.starts_on <= today + dt.timedelta(days=days_before))
        .options(joinedload(Enrolment.learner), joinedload(Enrolment.section).joinedload(Section.course))
        .order_by(Enrolment.id)).all()
    sent = 0
    for enrolment in rows:
        taken = session.execute(update(Enrolment).where(Enrolment.id == enrolment.id, Enrolment.reminded_at.is_(None))
                                .values(reminded_at=now).execution_options(synchronize_session=False)).rowcount
        if not taken:
            continue
        learner, section = enrolment.learner, enrolment.section
        english = learner.preferred_language == Language.EN
        send_to_learner(session, learner, "class_start", {
            "course": section.course.title_en if english else section.course.title_fr,
            "section": section.code,
            "date": format_date(section.starts_on, "full", locale="en_CA" if english else "fr_CA"),
        })
        sent += 1
    return sent
