"""The service offer: courses, terms, sections (groups with seats) and their meeting times."""
from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import localized
from .reference import CourseFormat, Field, LabelledEnum, LABELS, db_enum

if TYPE_CHECKING:
    from .enrolment import Enrolment
    from .intake import EnterpriseRequest
    from .people import Partner, Site, Teacher


class Course(Model):
    """A course of the catalogue, bilingual, for a range of levels in one format."""

    __tablename__ = "course"
    __table_args__ = (
        CheckConstraint("level_min BETWEEN 1 AND 12 AND level_max BETWEEN 1 AND 12 AND level_min <= level_max",
                        name="ck_course_levels"),
        CheckConstraint("hours_per_week > 0 AND total_hours > 0", name="ck_course_hours"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title_fr: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description_fr: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    format: Mapped[CourseFormat] = mapped_column(db_enum(CourseFormat, "course_format"), index=True)
    level_min: Mapped[int] = mapped_column(index=True)
    level_max: Mapped[int] = mapped_column(index=True)
    hours_per_week: Mapped[int]
    total_hours: Mapped[int]
    weeks: Mapped[int] = mapped_column(default=11)
    field_id: Mapped[int | None] = mapped_column(ForeignKey("field.id"), index=True)
    with_tutor: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    field: Mapped[Field | None] = relationship()
    sections: Mapped[list["Section"]] = relationship(back_populates="course")

    @property
    def title(self) -> str:
        return localized(self.title_fr, self.title_en)

    @property
    def description(self) -> str:
        return localized(self.description_fr, self.description_en)

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class Term(Model):
    """A teaching session with its registration window, drop deadline and closed dates."""

    __tablename__ = "term"
    __table_args__ = (
        CheckConstraint("starts_on <= ends_on", name="ck_term_dates"),
        CheckConstraint("registration_opens <= registration_closes", name="ck_term_registration"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[dt.date] = mapped_column(Date, index=True)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    registration_opens: Mapped[dt.date] = mapped_column(Date)
    registration_closes: Mapped[dt.date] = mapped_column(Date)
    drop_deadline: Mapped[dt.date] = mapped_column(Date)
    use_offers: Mapped[bool] = mapped_column(default=False)
    offer_hours: Mapped[int] = mapped_column(default=48)

    closed_dates: Mapped[list["TermClosedDate"]] = relationship(
        back_populates="term", cascade="all, delete-orphan", order_by="TermClosedDate.day")
    sections: Mapped[list["Section"]] = relationship(back_populates="term")

    @property
    def name(self) -> str:
        return localized(self.name_fr, self.name_en)

    def __str__(self) -> str:
        return self.name


class TermClosedDate(Model):
    """A day of the term without classes (pedagogical day, break), besides statutory holidays."""

    __tablename__ = "term_closed_date"
    __table_args__ = (UniqueConstraint("term_id", "day", name="uq_term_closed_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id", ondelete="CASCADE"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    reason_fr: Mapped[str | None] = mapped_column(String(120))
    reason_en: Mapped[str | None] = mapped_column(String(120))

    term: Mapped[Term] = relationship(back_populates="closed_dates")

    def __str__(self) -> str:
        return self.day.isoformat()


class SectionStatus(LabelledEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Delivery(LabelledEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class Weekday(enum.IntEnum):
    """ISO weekday numbers (Monday = 1)."""

    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6
    SUNDAY = 7


LABELS.update({
    SectionStatus.PLANNED: _l("Planned"),
    SectionStatus.OPEN: _l("Open"),
    SectionStatus.CLOSED: _l("Closed"),
    SectionStatus.CANCELLED: _l("Cancelled"),
    Delivery.IN_PERSON: _l("In person"),
    Delivery.ONLINE: _l("Online"),
    Delivery.HYBRID: _l("Hybrid"),
})

WEEKDAY_LABELS = {
    1: _l("Monday"), 2: _l("Tuesday"), 3: _l("Wednesday"), 4: _l("Thursday"),
    5: _l("Friday"), 6: _l("Saturday"), 7: _l("Sunday"),
}


class Section(Model):
    """A group of a course in a term, at a site, with a capacity that is never oversold."""

    __tablename__ = "section"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="ck_section_capacity"),
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="ck_section_seats"),
        UniqueConstraint("term_id", "code", name="uq_section_term_code"),
        Index("ix_section_term_status", "term_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("teacher.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    # the workplace-training request a workplace group serves
    enterprise_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprise_request.id", name="fk_section_enterprise_request"), index=True)
    capacity: Mapped[int]
    seats_taken: Mapped[int] = mapped_column(default=0)
    status: Mapped[SectionStatus] = mapped_column(db_enum(SectionStatus, "section_status"), default=SectionStatus.OPEN)
    delivery: Mapped[Delivery] = mapped_column(db_enum(Delivery, "delivery"), default=Delivery.IN_PERSON, index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date, index=True)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    notes_fr: Mapped[str | None] = mapped_column(String(500))
    notes_en: Mapped[str | None] = mapped_column(String(500))

    course: Mapped[Course] = relationship(back_populates="sections")
    term: Mapped[Term] = relationship(back_populates="sections")
    site: Mapped[Site | None] = relationship()
    partner: Mapped[Partner] = relationship()
    teacher: Mapped[Teacher | None] = relationship()
    enterprise_request: Mapped["EnterpriseRequest | None"] = relationship(back_populates="groups")
    meetings: Mapped[list["Meeting"]] = relationship(
        back_populates="section", cascade="all, delete-orphan", order_by="(Meeting.weekday, Meeting.starts_at)")
    enrolments: Mapped[list["Enrolment"]] = relationship(back_populates="section")

    @property
    def seats_left(self) -> int:
        return self.capacity - self.seats_taken

    def __str__(self) -> str:
        return f"{self.code}"


class Meeting(Model):
    """A weekly meeting time of a section (ISO weekday, local start and end)."""

    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7", name="ck_meeting_weekday"),
        CheckConstraint("starts_at < ends_at", name="ck_meeting_times"),
        Index("ix_meeting_weekday_start", "weekday", "starts_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    starts_at: Mapped[dt.time] = mapped_column(Time)
    ends_at: Mapped[dt.time] = mapped_column(Time)
    room: Mapped[str | None] = mapped_column(String(40))

    section: Mapped[Section] = relationship(back_populates="meetings")

    def __str__(self) -> str:
        from ..i18n import format_clock

        return f"{WEEKDAY_LABELS[self.weekday]} {format_clock(self.starts_at)}–{format_clock(self.ends_at)}"

