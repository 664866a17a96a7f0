"""Training records: attendance per meeting day and exam results per skill."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import UTCDateTime, utcnow
from .reference import LABELS, LabelledEnum, Skill, db_enum

if TYPE_CHECKING:
    from .catalogue import Section
    from .enrolment import Enrolment
    from .people import Learner


class Attendance(Model):
    """Hours a learner was present in a section on one day."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "day", name="uq_attendance_day"),
        CheckConstraint("hours_present >= 0 AND hours_present <= hours_scheduled", name="ck_attendance_hours"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    hours_scheduled: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    hours_present: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    justified: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)

    enrolment: Mapped[Enrolment] = relationship()
    recorded_by: Mapped[User | None] = relationship(User)

    def __str__(self) -> str:
        return f"{self.day}: {self.hours_present}/{self.hours_scheduled}"


class ExamResult(Model):
    """The level obtained by a learner in one skill at an exam."""

    __tablename__ = "exam_result"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 12", name="ck_exam_level"),
        # one result per learner, group, skill and exam day (a second entry corrects the first)
        UniqueConstraint("learner_id", "section_id", "skill", "taken_on", name="uq_exam_result"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"), index=True)
    skill: Mapped[Skill] = mapped_column(db_enum(Skill, "exam_skill"))
    level: Mapped[int]
    passed: Mapped[bool] = mapped_column(default=True)
    taken_on: Mapped[dt.date] = mapped_column(Date, index=True)
    evaluator: Mapped[str | None] = mapped_column(String(120))

    learner: Mapped[Learner] = relationship()
    section: Mapped[Section | None] = relationship()

    def __str__(self) -> str:
        return f"{self.skill.label}: {self.level}"


class IssuedDocumentKind(LabelledEnum):
    ATTESTATION = "attestation"
    YEARLY_STATEMENT = "yearly_statement"


LABELS.update({
    IssuedDocumentKind.ATTESTATION: _l("Attestation of training"),
    IssuedDocumentKind.YEARLY_STATEMENT: _l("Yearly statement of amounts paid"),
})


class IssuedDocument(Model):
    """A document issued to a learner (PDF), checkable on a public page by its verification code."""

    __tablename__ = "issued_document"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), index=True)
    kind: Mapped[IssuedDocumentKind] = mapped_column(db_enum(IssuedDocumentKind, "issued_document_kind"))
    year: Mapped[int | None]
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_sha256: Mapped[str] = mapped_column(String(64))
    # what the verification page may confirm (levels reached, hours, total paid) — no more
    summary: Mapped[dict | None] = mapped_column(JSON)

    learner: Mapped[Learner] = relationship()

    def __str__(self) -> str:
        return f"{self.kind.label} {self.code}"
