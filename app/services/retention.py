"""Law 25 retention: learner files closed longer than the retention period are anonymised for good.

A file is due when none of its applications is still open (every one is closed, refused or
withdrawn — a file with no application at all counts as closed), no enrolment is still running
or waiting, no allowance is still owed, and nothing has happened on it since the cut-off
(``RETENTION_YEARS_AFTER_CLOSE`` years before today): no application created, submitted, decided
or moved, no enrolment created, started or ended, no attendance, exam or payment, and the file
itself is older than that.

Anonymising is irreversible and keeps the statistics: enrolments, attendance hours, exam levels,
allowance and payment amounts, category, status, region, language, level and every date of the
courses stay. What identifies the person goes:

* the learner's names become "Anonymised", the e-mail ``anonymised-<id>@invalid``, the file
  number ``ANON-<id>``; telephone, address and postal code are emptied; the birth date and the
  arrival date keep only their year (1 January of it, so ages and years since arrival can still
  be counted); consents are withdrawn and the calendar subscription revoked;
* the login account is deactivated, its names, e-mail, username and password replaced and its
  pending e-mailed links deleted;
* free text written about the person is replaced by "[anonymised]" (case notes, decision
  reasons, application history notes, enrolment reasons, allowance notes, plan preferences),
  messages lose their recipient, subject, body and data, the name printed on issued documents
  is removed from their verification summary, and uploaded documents are deleted from the
  store (their record keeps only its type, size and date).

One audit event per learner says it was done (``retention.anonymise``, no personal data in it).
Anonymised files are skipped, so running the job again changes nothing.
"""
from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ..models import (
    AccountToken, Allowance, AllowanceStatus, Application, ApplicationEvent, ApplicationStatus, Attendance,
    AuditEvent, CaseNote, Document, Enrolment, EnrolmentStatus, ExamResult, IssuedDocument, Learner, Message,
    Payment, Plan,
)
from ..models.base import utcnow
from .incidents import add_years, purge_expired_incidents
from .service_clock import MONTREAL

ANONYMISED_NAME = "Anonymised"
ANONYMISED_TEXT = "[anonymised]"
CLOSED_APPLICATION = (ApplicationStatus.CLOSED, ApplicationStatus.REFUSED, ApplicationStatus.WITHDRAWN)
RUNNING_ENROLMENT = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED, EnrolmentStatus.OFFERED)
OWED_ALLOWANCE = (AllowanceStatus.PENDING, AllowanceStatus.APPROVED)

# The learner columns replaced on anonymisation (every other column is a statistic and is kept).
ANONYMISED_LEARNER_COLUMNS = (
    "file_number", "first_name", "last_name", "email", "phone", "birth_date", "arrival_date", "address",
    "postal_code", "consent_data_sharing", "consent_employer_progress", "calendar_token_hash", "anonymised_at",
)


@dataclass
class RetentionSummary:
    """What a run did (or, in a dry run, would do); only counts and file ids, no personal data."""

    cutoff: str
    dry_run: bool
    anonymised: int = 0
    learner_ids: list[int] = field(default_factory=list)
    documents_deleted: int = 0
    incidents_purged: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def cutoff_for(today: dt.date, years: int) -> dt.date:
    """The first day still inside the retention period: activity before it is old enough."""
    return add_years(today, -years)


def due_learners(session: Session, today: dt.date, years: int,
                 learner_ids: Iterable[int] | None = None) -> list[Learner]:
    """The learner files due for anonymisation on ``today`` (see the module docstring)."""
    cutoff = cutoff_for(today, years)
    since = dt.datetime.combine(cutoff, dt.time.min, tzinfo=MONTREAL).astimezone(dt.UTC)
    mine = Learner.id
    still_alive = or_(
        Learner.created_at >= since,
        exists().where(Application.learner_id == mine, or_(
            Application.status.not_in(CLOSED_APPLICATION), Application.created_at >= since,
            Application.submitted_at >= since, Application.decided_at >= since)),
        exists().where(ApplicationEvent.application_id == Application.id, Application.learner_id == mine,
                       ApplicationEvent.at >= since),
        exists().where(Enrolment.learner_id == mine, or_(
            Enrolment.status.in_(RUNNING_ENROLMENT), Enrolment.created_at >= since,
            Enrolment.enrolled_at >= since, Enrolment.ended_at >= since)),
        exists().where(Attendance.enrolment_id == Enrolment.id, Enrolment.learner_id == mine,
                       Attendance.day >= cutoff),
        exists().where(ExamResult.learner_id == mine, ExamResult.taken_on >= cutoff),
        exists().where(Payment.learner_id == mine, Payment.paid_on >= cutoff),
        exists().where(Allowance.learner_id == mine, or_(
            Allowance.status.in_(OWED_ALLOWANCE), Allowance.period_end >= cutoff)),
    )
    query = select(Learner).where(Learner.anonymised_at.is_(None), ~still_alive).order_by(Learner.id)
    if learner_ids is not None:
        query = query.where(Learner.id.in_(list(learner_ids)))
    return list(session.scalars(query))


def anonymise_closed_files(session: Session, today: dt.date, years: int, *, dry_run: bool = False,
                           store=None, learner_ids: Iterable[int] | None = None) -> RetentionSummary:
    """Anonymise every learner file due on ``today`` and purge the incident entries past their term.

    ``store`` is the document store (default: the one of the current app); ``learner_ids``
    restricts the run to those files. The caller commits. Stored files are deleted only after
    their records are flushed, so a failure before that leaves every file in place.
    """
    summary = RetentionSummary(cutoff=cutoff_for(today, years).isoformat(), dry_run=dry_run)
    learners = due_learners(session, today, years, learner_ids)
    summary.learner_ids = [learner.id for learner in learners]
    summary.anonymised = len(learners)
    if dry_run:
        summary.documents_deleted = session.query(Document).filter(
            Document.learner_id.in_(summary.learner_ids), Document.original_name != "").count() if learners else 0
        summary.incidents_purged = purge_expired_incidents(session, today, dry_run=True)
        return summary
    from .audit import values_withheld

    doomed_files: list[str] = []
    # the audit log says which fields changed, never the values being erased
    with values_withheld(session):
        for learner in learners:
            doomed_files.extend(_anonymise(session, learner, years))
        summary.documents_deleted = len(doomed_files)
        summary.incidents_purged = purge_expired_incidents(session, today)
        session.flush()
    if doomed_files:
        store = store or _default_store()
        for key in doomed_files:
            store.discard(key)
    return summary


def _default_store():
    from flask import current_app

    from .document_store import DocumentStore

    return DocumentStore.from_app(current_app)


def _anonymise(session: Session, learner: Learner, years: int) -> list[str]:
    """Replace every personal field of one file; returns the storage keys of its documents."""
    lid = learner.id
    learner.file_number = f"ANON-{lid}"
    learner.first_name = learner.last_name = ANONYMISED_NAME
    learner.email = f"anonymised-{lid}@invalid"
    learner.phone = learner.address = learner.postal_code = None
    learner.birth_date = dt.date(learner.birth_date.year, 1, 1)
    if learner.arrival_date is not None:
        learner.arrival_date = dt.date(learner.arrival_date.year, 1, 1)
    learner.consent_data_sharing = learner.consent_employer_progress = False
    learner.calendar_token_hash = None
    learner.anonymised_at = utcnow()

    if learner.user_id is not None:
        _anonymise_account(session, learner.user_id)

    application_ids = select(Application.id).where(Application.learner_id == lid)
    counts = {
        "case_notes": session.execute(update(CaseNote).where(CaseNote.learner_id == lid)
                                      .values(body=ANONYMISED_TEXT)).rowcount,
        "messages": session.execute(update(Message).where(Message.learner_id == lid).values(
            recipient="", subject="", body="", payload=None, last_error=None)).rowcount,
    }
    session.execute(update(Application).where(Application.learner_id == lid, Application.decision_reason.is_not(None))
                    .values(decision_reason=ANONYMISED_TEXT))
    session.execute(update(ApplicationEvent).where(ApplicationEvent.application_id.in_(application_ids),
                                                   ApplicationEvent.note.is_not(None))
                    .values(note=ANONYMISED_TEXT))
    session.execute(update(Enrolment).where(Enrolment.learner_id == lid, Enrolment.reason.is_not(None))
                    .values(reason=ANONYMISED_TEXT))
    session.execute(update(Allowance).where(Allowance.learner_id == lid, Allowance.note.is_not(None))
                    .values(note=ANONYMISED_TEXT))
    session.execute(update(Plan).where(Plan.learner_id == lid, Plan.preferences.is_not(None))
                    .values(preferences=None))
    for issued in session.scalars(select(IssuedDocument).where(IssuedDocument.learner_id == lid)):
        if issued.summary and "name" in issued.summary:
            issued.summary = {**issued.summary, "name": ANONYMISED_NAME}

    documents = list(session.scalars(select(Document).where(Document.learner_id == lid,
                                                            Document.original_name != "")))
    for document in documents:
        document.original_name = ""
        document.sha256 = ""
    counts["documents"] = len(documents)

    session.add(AuditEvent(action="retention.anonymise", object_type="Learner", object_id=str(lid),
                           changes={"fields": list(ANONYMISED_LEARNER_COLUMNS), **counts},
                           reason=f"file closed for more than {years} years"))
    return [document.storage_key for document in documents]


def _anonymise_account(session: Session, user_id: int) -> None:
    user = session.get(User, user_id)
    if user is None:
        return
    user.active = False
    user.first_name = user.last_name = ANONYMISED_NAME
    user.username = f"anonymised-{user.id}"
    user.email = f"anonymised-user-{user.id}@invalid"
    # Nobody knows this password: the account can never be opened again.
    user.password = generate_password_hash(secrets.token_urlsafe(32))
    session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
