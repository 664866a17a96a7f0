"""Support and compliance: case notes, message outbox, job outbox, audit, access log, incidents, reports."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import UTCDateTime, utcnow
from .reference import LABELS, Language, LabelledEnum, db_enum

if TYPE_CHECKING:
    from .people import Learner


class CaseNote(Model):
    """A note on a learner's file, with an optional follow-up date."""

    __tablename__ = "case_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    follow_up_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    follow_up_done: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    learner: Mapped[Learner] = relationship()
    author: Mapped[User | None] = relationship(User)

    def __str__(self) -> str:
        return self.body[:40]


class DeliveryStatus(LabelledEnum):
    QUEUED = "queued"
    SENT = "sent"
    OUTBOX = "outbox"
    FAILED = "failed"


class JobStatus(LabelledEnum):
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


LABELS.update({
    DeliveryStatus.QUEUED: _l("Queued"),
    DeliveryStatus.SENT: _l("Sent"),
    DeliveryStatus.OUTBOX: _l("Written to the local mail folder"),
    DeliveryStatus.FAILED: _l("Failed"),
    JobStatus.PENDING: _l("Pending"),
    JobStatus.QUEUED: _l("Queued"),
    JobStatus.RUNNING: _l("Running"),
    JobStatus.DONE: _l("Done"),
    JobStatus.FAILED: _l("Failed"),
    JobStatus.CANCELLED: _l("Cancelled"),
})


class Message(Model):
    """An e-mail to a person, rendered in their language; a personal link in it is kept redacted."""

    __tablename__ = "message"
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learner.id"), index=True)
    language: Mapped[Language] = mapped_column(db_enum(Language, "message_language"))
    template: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[DeliveryStatus] = mapped_column(db_enum(DeliveryStatus, "delivery_status"),
                                                   default=DeliveryStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    learner: Mapped[Learner | None] = relationship()

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"


class Job(Model):
    """A background task written in the caller's transaction and run after it commits."""

    __tablename__ = "job"
    __table_args__ = (UniqueConstraint("key", name="uq_job_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(80), index=True)
    # One occurrence of scheduled work ("schedule:<name>:<slot>"): the unique key makes it run once.
    key: Mapped[str | None] = mapped_column(String(120))
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(db_enum(JobStatus, "job_status"), default=JobStatus.PENDING, index=True)
    rq_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    # how far a running task is (app.jobs.progress.report_progress): units done of progress_total
    progress: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def percent(self) -> int | None:
        """Progress in whole percent (100 once done), None while the task has said nothing."""
        if self.status == JobStatus.DONE:
            return 100
        if not self.progress_total:
            return None
        return min(100, self.progress * 100 // self.progress_total)

    def __str__(self) -> str:
        return f"{self.task} #{self.id}"


class AuditEvent(Model):
    """Append-only record of who did what to which object, from where, with which changes."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(40))
    changes: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))
    reason: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship(User)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class AccessLog(Model):
    """A staff consultation of a learner's file (Law 25: the learner may see who looked)."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), index=True)
    viewer_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    organisation: Mapped[str | None] = mapped_column(String(160))
    what: Mapped[str] = mapped_column(String(80))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    learner: Mapped[Learner] = relationship()
    viewer: Mapped[User | None] = relationship(User)


class Incident(Model):
    """Law 25 register of confidentiality incidents, kept five years."""

    __tablename__ = "incident"
    __table_args__ = (CheckConstraint("people_affected >= 0", name="ck_incident_people"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_on: Mapped[dt.date | None] = mapped_column(Date)
    discovered_on: Mapped[dt.date] = mapped_column(Date, index=True)
    description: Mapped[str] = mapped_column(Text)
    information_concerned: Mapped[str] = mapped_column(Text)
    people_affected: Mapped[int] = mapped_column(default=0)
    risk_of_serious_injury: Mapped[bool] = mapped_column(default=False)
    measures_taken: Mapped[str | None] = mapped_column(Text)
    commission_notified_on: Mapped[dt.date | None] = mapped_column(Date)
    people_notified_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    keep_until: Mapped[dt.date] = mapped_column(Date)

    recorded_by: Mapped[User | None] = relationship(User)

    def __str__(self) -> str:
        return f"#{self.id} {self.discovered_on}"


class ReportRun(Model):
    """A report built in the background, with its parameters, progress and output file."""

    __tablename__ = "report_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    report: Mapped[str] = mapped_column(String(60), index=True)
    parameters: Mapped[dict | None] = mapped_column(JSON)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"), index=True)
    status: Mapped[JobStatus] = mapped_column(db_enum(JobStatus, "report_status"), default=JobStatus.PENDING)
    output_path: Mapped[str | None] = mapped_column(String(300))
    rows: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    requested_by: Mapped[User | None] = relationship(User)
    job: Mapped[Job | None] = relationship()

    def __str__(self) -> str:
        return f"{self.report} #{self.id}"
