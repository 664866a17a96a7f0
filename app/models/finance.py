"""Finance: dated allowance rules, allowances earned per period, payments."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Money, UTCDateTime, utcnow
from .reference import LABELS, CourseFormat, LabelledEnum, db_enum

if TYPE_CHECKING:
    from .enrolment import Enrolment
    from .people import Learner


class AllowanceKind(LabelledEnum):
    PARTICIPATION = "participation"
    TRANSPORT = "transport"
    CHILDCARE = "childcare"
    ADJUSTMENT = "adjustment"


class AllowanceUnit(LabelledEnum):
    WEEK = "week"
    DAY = "day"
    CHILD_DAY = "child_day"


class AllowanceStatus(LabelledEnum):
    PENDING = "pending"
    APPROVED = "approved"
    PAID = "paid"
    CANCELLED = "cancelled"


LABELS.update({
    AllowanceKind.PARTICIPATION: _l("Participation allowance"),
    AllowanceKind.TRANSPORT: _l("Transport allowance"),
    AllowanceKind.CHILDCARE: _l("Childcare allowance"),
    AllowanceKind.ADJUSTMENT: _l("Adjustment"),
    AllowanceUnit.WEEK: _l("per week"),
    AllowanceUnit.DAY: _l("per day"),
    AllowanceUnit.CHILD_DAY: _l("per child per day"),
    AllowanceStatus.PENDING: _l("Pending"),
    AllowanceStatus.APPROVED: _l("Approved"),
    AllowanceStatus.PAID: _l("Paid"),
    AllowanceStatus.CANCELLED: _l("Cancelled"),
})


class AllowanceRule(Model):
    """An allowance amount in force for a kind and format between two dates (amounts are data)."""

    __tablename__ = "allowance_rule"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="ck_rule_amount"),
        CheckConstraint("valid_to IS NULL OR valid_from <= valid_to", name="ck_rule_dates"),
        Index("ix_allowance_rule_lookup", "kind", "format", "valid_from"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AllowanceKind] = mapped_column(db_enum(AllowanceKind, "rule_kind"))
    format: Mapped[CourseFormat] = mapped_column(db_enum(CourseFormat, "rule_format"))
    unit: Mapped[AllowanceUnit] = mapped_column(db_enum(AllowanceUnit, "rule_unit"))
    amount: Mapped[Decimal] = mapped_column(Money())
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    in_person_only: Mapped[bool] = mapped_column(default=False)
    note_fr: Mapped[str | None] = mapped_column(String(300))
    note_en: Mapped[str | None] = mapped_column(String(300))

    def __str__(self) -> str:
        return f"{self.kind.label} {self.format.label} {self.amount} $ {self.unit.label}"


class Payment(Model):
    """A payment to a learner, grouping the allowances it settles, with a unique reference."""

    __tablename__ = "payment"
    __table_args__ = (CheckConstraint("amount >= 0", name="ck_payment_amount"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), index=True)
    paid_on: Mapped[dt.date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    batch: Mapped[str | None] = mapped_column(String(40), index=True)

    learner: Mapped[Learner] = relationship()
    allowances: Mapped[list["Allowance"]] = relationship(back_populates="payment")

    def __str__(self) -> str:
        return self.reference


class Allowance(Model):
    """An amount a learner earned for one period and kind; paid rows are never edited."""

    __tablename__ = "allowance"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "period_start", "kind", "sequence", name="uq_allowance_period"),
        CheckConstraint("period_start <= period_end", name="ck_allowance_period"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), index=True)
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolment.id"), index=True)
    period_start: Mapped[dt.date] = mapped_column(Date, index=True)
    period_end: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[AllowanceKind] = mapped_column(db_enum(AllowanceKind, "allowance_kind"))
    sequence: Mapped[int] = mapped_column(default=0)
    quantity: Mapped[Decimal] = mapped_column(Money(), default=Decimal("1"))
    amount: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[AllowanceStatus] = mapped_column(db_enum(AllowanceStatus, "allowance_status"),
                                                    default=AllowanceStatus.PENDING, index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("allowance_rule.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True)
    adjusts_id: Mapped[int | None] = mapped_column(ForeignKey("allowance.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    learner: Mapped[Learner] = relationship()
    enrolment: Mapped[Enrolment | None] = relationship()
    rule: Mapped[AllowanceRule | None] = relationship()
    payment: Mapped[Payment | None] = relationship(back_populates="allowances")
    adjusts: Mapped[Allowance | None] = relationship(remote_side=[id])

    def __str__(self) -> str:
        return f"{self.kind.label} {self.period_start}: {self.amount} $"
