"""Reference data: regions, client categories, immigration statuses, fields, and the enums."""
from __future__ import annotations

import enum

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import localized


def db_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR with a CHECK, storing the member's value."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class LabelledEnum(str, enum.Enum):
    """A str enum whose members carry a translated label (``member.label``)."""

    @property
    def label(self):
        return LABELS.get(self, self.value)

    def __str__(self) -> str:
        return str(self.label)


class Skill(LabelledEnum):
    ORAL_COMPREHENSION = "oral_comprehension"
    ORAL_PRODUCTION = "oral_production"
    WRITTEN_COMPREHENSION = "written_comprehension"
    WRITTEN_PRODUCTION = "written_production"


class CourseFormat(LabelledEnum):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"
    ONLINE = "online"
    WORKPLACE = "workplace"


class PartnerType(LabelledEnum):
    SCHOOL_SERVICE_CENTRE = "school_service_centre"
    CEGEP = "cegep"
    UNIVERSITY = "university"
    COMMUNITY = "community"


class Language(LabelledEnum):
    FR = "fr"
    EN = "en"


LABELS = {
    Skill.ORAL_COMPREHENSION: _l("Oral comprehension"),
    Skill.ORAL_PRODUCTION: _l("Oral production"),
    Skill.WRITTEN_COMPREHENSION: _l("Written comprehension"),
    Skill.WRITTEN_PRODUCTION: _l("Written production"),
    CourseFormat.FULL_TIME: _l("Full-time"),
    CourseFormat.PART_TIME: _l("Part-time"),
    CourseFormat.ONLINE: _l("Online"),
    CourseFormat.WORKPLACE: _l("Workplace"),
    PartnerType.SCHOOL_SERVICE_CENTRE: _l("School service centre"),
    PartnerType.CEGEP: _l("CEGEP"),
    PartnerType.UNIVERSITY: _l("University"),
    PartnerType.COMMUNITY: _l("Community organisation"),
    Language.FR: _l("French"),
    Language.EN: _l("English"),
}

LEVELS = range(1, 13)


def stage_of(level: int) -> str:
    """The stage of a level on the 12-level Québec scale."""
    return "beginner" if level <= 4 else "intermediate" if level <= 8 else "advanced"


class BilingualNamed:
    """Mixin for reference rows that carry a code and a French and English name."""

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))

    @property
    def name(self) -> str:
        return localized(self.name_fr, self.name_en)

    def __str__(self) -> str:
        return self.name


class Region(BilingualNamed, Model):
    """One of Québec's 17 administrative regions (code '01'..'17')."""

    __tablename__ = "region"
    id: Mapped[int] = mapped_column(primary_key=True)


class ClientCategory(BilingualNamed, Model):
    """Immigrant, Canadian-born, preparing to settle, business employee."""

    __tablename__ = "client_category"
    id: Mapped[int] = mapped_column(primary_key=True)
    description_fr: Mapped[str | None] = mapped_column(String(500))
    description_en: Mapped[str | None] = mapped_column(String(500))


class ImmigrationStatus(BilingualNamed, Model):
    """Permanent resident, temporary worker, student, asylum seeker, refugee, family member…"""

    __tablename__ = "immigration_status"
    id: Mapped[int] = mapped_column(primary_key=True)
    allowance_excluded: Mapped[bool] = mapped_column(default=False)


class Field(BilingualNamed, Model):
    """Field of a specialised course (health, engineering, education…)."""

    __tablename__ = "field"
    id: Mapped[int] = mapped_column(primary_key=True)


class IncomeSupport(BilingualNamed, Model):
    """A benefit that excludes the participation allowance (last-resort aid, EI, CNESST, QPIP)."""

    __tablename__ = "income_support"
    id: Mapped[int] = mapped_column(primary_key=True)
