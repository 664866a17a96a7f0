"""People and organisations: learners, partners and their sites, enterprises, teachers."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from flask_appbuilder import Model
from flask_babel import gettext
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .base import UTCDateTime, utcnow
from .reference import (
    ClientCategory,
    CourseFormat,
    ImmigrationStatus,
    IncomeSupport,
    Language,
    PartnerType,
    Region,
    db_enum,
)

if TYPE_CHECKING:
    from .enrolment import Enrolment
    from .intake import Application


class UserPreference(Model):
    """Per-account settings that FAB's user table has no column for (UI language)."""

    __tablename__ = "user_preference"
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[Language] = mapped_column(db_enum(Language, "ui_language"), default=Language.FR)
    user: Mapped[User] = relationship(User)


class Learner(Model):
    """A person learning French; one-to-one with a login account."""

    __tablename__ = "learner"
    __table_args__ = (
        CheckConstraint("current_level IS NULL OR current_level BETWEEN 1 AND 12", name="ck_learner_level"),
        UniqueConstraint("calendar_token_hash", name="uq_learner_calendar_token"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), unique=True, index=True)
    file_number: Mapped[str] = mapped_column(String(20), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    category_id: Mapped[int] = mapped_column(ForeignKey("client_category.id"), index=True)
    status_id: Mapped[int | None] = mapped_column(ForeignKey("immigration_status.id"), index=True)
    income_support_id: Mapped[int | None] = mapped_column(ForeignKey("income_support.id"), index=True)
    arrival_date: Mapped[dt.date | None] = mapped_column(Date)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    living_abroad: Mapped[bool] = mapped_column(default=False)
    address: Mapped[str | None] = mapped_column(String(250))
    postal_code: Mapped[str | None] = mapped_column(String(7))
    preferred_language: Mapped[Language] = mapped_column(db_enum(Language, "learner_language"), default=Language.FR)
    current_level: Mapped[int | None]
    children_in_care: Mapped[int] = mapped_column(default=0)
    consent_data_sharing: Mapped[bool] = mapped_column(default=False)
    consent_employer_progress: Mapped[bool] = mapped_column(default=False)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    # The business the learner named (by its NEQ) in the application, until one of its
    # representatives confirms the learner works there (then enterprise_id) or refuses.
    pending_enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprise.id", name="fk_learner_pending_enterprise"), index=True)
    # SHA-256 of the secret in the learner's private calendar subscription URL (None: no subscription).
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship(User)
    category: Mapped[ClientCategory] = relationship()
    status: Mapped[ImmigrationStatus | None] = relationship()
    income_support: Mapped[IncomeSupport | None] = relationship()
    region: Mapped[Region | None] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship(back_populates="employees", foreign_keys=[enterprise_id])
    pending_enterprise: Mapped[Enterprise | None] = relationship(foreign_keys=[pending_enterprise_id])
    applications: Mapped[list["Application"]] = relationship(back_populates="learner")
    enrolments: Mapped[list["Enrolment"]] = relationship(back_populates="learner")

    @property
    def full_name(self) -> str:
        if self.anonymised_at is not None:  # the stored placeholder names nobody, in no language
            return gettext("Anonymised file")
        return f"{self.first_name} {self.last_name}"

    def __str__(self) -> str:
        return f"{self.file_number} — {self.full_name}"


class Partner(Model):
    """An organisation that delivers courses: school service centre, CEGEP, university, community."""

    __tablename__ = "partner"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    type: Mapped[PartnerType] = mapped_column(db_enum(PartnerType, "partner_type"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(default=True)

    region: Mapped[Region] = relationship()
    sites: Mapped[list["Site"]] = relationship(back_populates="partner")

    def __str__(self) -> str:
        return self.name


class Site(Model):
    """A place where a partner teaches."""

    __tablename__ = "site"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(250))
    city: Mapped[str] = mapped_column(String(80), index=True)
    postal_code: Mapped[str | None] = mapped_column(String(7))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    accessible: Mapped[bool] = mapped_column(default=True)
    accessibility_notes_fr: Mapped[str | None] = mapped_column(String(300))
    accessibility_notes_en: Mapped[str | None] = mapped_column(String(300))

    partner: Mapped[Partner] = relationship(back_populates="sites")
    region: Mapped[Region] = relationship()

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"


class PartnerMembership(Model):
    """Links a staff account to the one partner whose rows it may manage."""

    __tablename__ = "partner_membership"
    __table_args__ = (UniqueConstraint("user_id", "partner_id", name="uq_partner_membership"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    job_title: Mapped[str | None] = mapped_column(String(120))

    user: Mapped[User] = relationship(User)
    partner: Mapped[Partner] = relationship()

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner}"


class Enterprise(Model):
    """A business that trains its workers; identified by its 10-digit NEQ."""

    __tablename__ = "enterprise"
    __table_args__ = (CheckConstraint("length(neq) = 10", name="ck_enterprise_neq_length"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    neq: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(160), index=True)
    address: Mapped[str | None] = mapped_column(String(250))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    employee_count: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship()
    employees: Mapped[list[Learner]] = relationship(back_populates="enterprise", foreign_keys="Learner.enterprise_id")

    @validates("neq")
    def _check_neq(self, key, value: str) -> str:
        value = (value or "").replace(" ", "")
        if not (len(value) == 10 and value.isdigit()):
            raise ValueError("NEQ must be exactly 10 digits")
        return value

    def __str__(self) -> str:
        return f"{self.name} ({self.neq})"


class EnterpriseMembership(Model):
    """Links a representative's account to the enterprise it speaks for."""

    __tablename__ = "enterprise_membership"
    __table_args__ = (UniqueConstraint("user_id", "enterprise_id", name="uq_enterprise_membership"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    job_title: Mapped[str | None] = mapped_column(String(120))

    user: Mapped[User] = relationship(User)
    enterprise: Mapped[Enterprise] = relationship()

    def __str__(self) -> str:
        return f"{self.user} @ {self.enterprise}"


class Teacher(Model):
    """A teacher employed by a partner."""

    __tablename__ = "teacher"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(320))
    bio_fr: Mapped[str | None] = mapped_column(Text)
    bio_en: Mapped[str | None] = mapped_column(Text)

    partner: Mapped[Partner] = relationship()

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


__all__ = [
    "UserPreference", "Learner", "Partner", "Site", "PartnerMembership",
    "Enterprise", "EnterpriseMembership", "Teacher", "CourseFormat",
]
