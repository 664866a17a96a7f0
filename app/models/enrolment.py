"""Enrolment: seats and waiting lists, the learner's availability and saved timetable plans."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import UTCDateTime, utcnow
from .reference import LABELS, LabelledEnum, db_enum

if TYPE_CHECKING:
    from .catalogue import Course, Section, Term
    from .people import Learner


class EnrolmentStatus(LabelledEnum):
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    DROPPED = "dropped"
    COMPLETED = "completed"
    FAILED = "failed"


LABELS.update({
    EnrolmentStatus.ENROLLED: _l("Enrolled"),
    EnrolmentStatus.WAITLISTED: _l("Waiting list"),
    EnrolmentStatus.OFFERED: _l("Seat offered"),
    EnrolmentStatus.DROPPED: _l("Dropped"),
    EnrolmentStatus.COMPLETED: _l("Completed"),
    EnrolmentStatus.FAILED: _l("Not passed"),
})


class Enrolment(Model):
    """A learner's place in a section: a seat, a waiting-list position or an offer."""

    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("learner_id", "section_id", name="uq_enrolment_learner_section"),
        CheckConstraint("position IS NULL OR position >= 1", name="ck_enrolment_position"),
        Index("ix_enrolment_section_status", "section_id", "status"),
        # "does this learner hold a seat / wait somewhere?" (reports, waiting stage): index-only probes
        Index("ix_enrolment_learner_status", "learner_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(db_enum(EnrolmentStatus, "enrolment_status"))
    position: Mapped[int | None]
    offer_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    enrolled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When the class-start reminder went to the learner (it goes once).
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    learner: Mapped[Learner] = relationship(back_populates="enrolments")
    section: Mapped[Section] = relationship(back_populates="enrolments")

    def __str__(self) -> str:
        return f"{self.learner.file_number if self.learner else ''} / {self.section}"


class AvailabilityKind(LabelledEnum):
    BLOCKED = "blocked"
    FREE = "free"


LABELS.update({AvailabilityKind.BLOCKED: _l("Unavailable"), AvailabilityKind.FREE: _l("Available")})


class Availability(Model):
    """A weekly slot in which the learner is unavailable (or explicitly free)."""

    __tablename__ = "availability"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7", name="ck_availability_weekday"),
        CheckConstraint("starts_at < ends_at", name="ck_availability_times"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), index=True)
    weekday: Mapped[int]
    starts_at: Mapped[dt.time] = mapped_column(Time)
    ends_at: Mapped[dt.time] = mapped_column(Time)
    kind: Mapped[AvailabilityKind] = mapped_column(db_enum(AvailabilityKind, "availability_kind"),
                                                   default=AvailabilityKind.BLOCKED)

    learner: Mapped[Learner] = relationship()


class Plan(Model):
    """A saved, named timetable of a learner for one term."""

    __tablename__ = "plan"
    __table_args__ = (UniqueConstraint("learner_id", "term_id", "name", name="uq_plan_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    preferences: Mapped[str | None] = mapped_column(String(200))

    learner: Mapped[Learner] = relationship()
    term: Mapped[Term] = relationship()
    items: Mapped[list["PlanItem"]] = relationship(back_populates="plan", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.name


class PlanItem(Model):
    """One section chosen in a plan (for one course)."""

    __tablename__ = "plan_item"
    __table_args__ = (UniqueConstraint("plan_id", "section_id", name="uq_plan_item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"), index=True)
    locked: Mapped[bool] = mapped_column(default=False)

    plan: Mapped[Plan] = relationship(back_populates="items")
    course: Mapped[Course] = relationship()
    section: Mapped[Section] = relationship()

    def __str__(self) -> str:
        return str(self.section)
