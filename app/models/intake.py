"""Intake: applications and their events, documents, placement, enterprise requests, capacity."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import UTCDateTime, utcnow
from .reference import LABELS, CourseFormat, LabelledEnum, Region, Skill, db_enum

if TYPE_CHECKING:
    from .catalogue import Section, Term
    from .people import Enterprise, Learner, Partner, Site


class ApplicationStatus(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    DOCUMENTS_REQUESTED = "documents_requested"
    COMPLETE = "complete"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


LABELS.update({
    ApplicationStatus.DRAFT: _l("Draft"),
    ApplicationStatus.SUBMITTED: _l("Submitted"),
    ApplicationStatus.DOCUMENTS_REQUESTED: _l("Documents requested"),
    ApplicationStatus.COMPLETE: _l("Complete"),
    ApplicationStatus.APPROVED: _l("Approved"),
    ApplicationStatus.REFUSED: _l("Refused"),
    ApplicationStatus.WITHDRAWN: _l("Withdrawn"),
    ApplicationStatus.CLOSED: _l("Closed"),
})


class Application(Model):
    """An application for French training (demande d'admission) and its decision."""

    __tablename__ = "application"
    __table_args__ = (Index("ix_application_status_complete", "status", "complete_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), index=True)
    format_wanted: Mapped[CourseFormat] = mapped_column(db_enum(CourseFormat, "application_format"), index=True)
    schedule_preferences: Mapped[dict | None] = mapped_column(JSON)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(
        db_enum(ApplicationStatus, "application_status"), default=ApplicationStatus.DRAFT)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    complete_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_course_at: Mapped[dt.date | None] = mapped_column(Date)
    assigned_agent_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    eligibility: Mapped[dict | None] = mapped_column(JSON)
    consent_truthful: Mapped[bool] = mapped_column(default=False)
    consent_privacy: Mapped[bool] = mapped_column(default=False)

    learner: Mapped[Learner] = relationship(back_populates="applications")
    region: Mapped[Region | None] = relationship()
    assigned_agent: Mapped[User | None] = relationship(User)
    events: Mapped[list["ApplicationEvent"]] = relationship(
        back_populates="application", order_by="ApplicationEvent.at")
    documents: Mapped[list["Document"]] = relationship(back_populates="application")

    def __str__(self) -> str:
        return f"#{self.id} ({self.status.label})"


class ApplicationEvent(Model):
    """One transition of an application: from, to, who, when, why."""

    __tablename__ = "application_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    from_status: Mapped[ApplicationStatus | None] = mapped_column(db_enum(ApplicationStatus, "event_from"))
    to_status: Mapped[ApplicationStatus] = mapped_column(db_enum(ApplicationStatus, "event_to"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    note: Mapped[str | None] = mapped_column(Text)
    # An internal note is for staff only: the learner sees the status change, never its note.
    internal: Mapped[bool] = mapped_column(default=False, server_default=false())

    application: Mapped[Application] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(User)

    @property
    def note_for_learner(self) -> str | None:
        """The note as the learner may read it: None when it is internal."""
        return None if self.internal else self.note

    def __str__(self) -> str:
        return f"{self.from_status.label if self.from_status else '∅'} → {self.to_status.label}"


class DocumentType(LabelledEnum):
    IDENTITY = "identity"
    IMMIGRATION_STATUS = "immigration_status"
    PROOF_OF_RESIDENCE = "proof_of_residence"
    INCOME_SUPPORT = "income_support"
    OTHER = "other"


LABELS.update({
    DocumentType.IDENTITY: _l("Identity document"),
    DocumentType.IMMIGRATION_STATUS: _l("Immigration status document"),
    DocumentType.PROOF_OF_RESIDENCE: _l("Proof of residence"),
    DocumentType.INCOME_SUPPORT: _l("Income support statement"),
    DocumentType.OTHER: _l("Other document"),
})


class Document(Model):
    """A file uploaded with an application, stored outside the web root under its checksum."""

    __tablename__ = "document"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="ck_document_size"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), index=True)
    type: Mapped[DocumentType] = mapped_column(db_enum(DocumentType, "document_type"))
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(60))
    storage_key: Mapped[str] = mapped_column(String(120), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="documents")
    learner: Mapped[Learner] = relationship()

    def __str__(self) -> str:
        return self.original_name


class PlacementResult(Model):
    """A placement test: the level reached in each skill and the overall level."""

    __tablename__ = "placement_result"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 12", name="ck_placement_level"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), index=True)
    skill: Mapped[Skill | None] = mapped_column(db_enum(Skill, "placement_skill"))
    level: Mapped[int]
    assessed_on: Mapped[dt.date] = mapped_column(Date, index=True)
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)

    learner: Mapped[Learner] = relationship()
    application: Mapped[Application | None] = relationship()
    assessor: Mapped[User | None] = relationship(User)

    def __str__(self) -> str:
        return f"{self.skill.label if self.skill else _l('Overall')}: {self.level}"


class RequestStatus(LabelledEnum):
    SUBMITTED = "submitted"
    ASSIGNED = "assigned"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


LABELS.update({
    RequestStatus.SUBMITTED: _l("Submitted"),
    RequestStatus.ASSIGNED: _l("Assigned to a partner"),
    RequestStatus.SCHEDULED: _l("Scheduled"),
    RequestStatus.IN_PROGRESS: _l("In progress"),
    RequestStatus.COMPLETED: _l("Completed"),
    RequestStatus.CANCELLED: _l("Cancelled"),
})


class EnterpriseRequest(Model):
    """A business's request for workplace training for a number of employees."""

    __tablename__ = "enterprise_request"
    __table_args__ = (
        CheckConstraint("employees_count > 0", name="ck_request_employees"),
        CheckConstraint("level_min BETWEEN 1 AND 12 AND level_max BETWEEN 1 AND 12 AND level_min <= level_max",
                        name="ck_request_levels"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    employees_count: Mapped[int]
    site_address: Mapped[str] = mapped_column(String(250))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    format: Mapped[CourseFormat] = mapped_column(db_enum(CourseFormat, "request_format"))
    level_min: Mapped[int]
    level_max: Mapped[int]
    schedule_notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[RequestStatus] = mapped_column(db_enum(RequestStatus, "request_status"),
                                                  default=RequestStatus.SUBMITTED, index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    enterprise: Mapped[Enterprise] = relationship()
    requested_by: Mapped[User | None] = relationship(User)
    region: Mapped[Region] = relationship()
    partner: Mapped[Partner | None] = relationship()
    groups: Mapped[list["Section"]] = relationship(back_populates="enterprise_request", order_by="Section.id")

    def __str__(self) -> str:
        return f"#{self.id} {self.enterprise.name if self.enterprise else ''}"


class CapacityDeclaration(Model):
    """What a partner declares it can offer in a term, compared with waiting demand."""

    __tablename__ = "capacity_declaration"
    __table_args__ = (
        CheckConstraint("groups_offered >= 0 AND seats_offered >= 0", name="ck_capacity_positive"),
        CheckConstraint("level_min BETWEEN 1 AND 12 AND level_max BETWEEN 1 AND 12 AND level_min <= level_max",
                        name="ck_capacity_levels"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    format: Mapped[CourseFormat] = mapped_column(db_enum(CourseFormat, "capacity_format"), index=True)
    level_min: Mapped[int]
    level_max: Mapped[int]
    groups_offered: Mapped[int]
    seats_offered: Mapped[int]
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)

    partner: Mapped[Partner] = relationship()
    term: Mapped[Term] = relationship()
    region: Mapped[Region] = relationship()
    site: Mapped[Site | None] = relationship()
    declared_by: Mapped[User | None] = relationship(User)

    def __str__(self) -> str:
        return f"{self.partner} — {self.term}: {self.seats_offered}"
