"""The public course catalogue: searching the open sections and reading one section.

One query fetches a page of sections with everything a result shows (course, term, site and
region, teacher eagerly joined; meetings in one extra ``SELECT … IN``) and the number of
matches (a window count): the number of statements does not grow with the number of results.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from ..models import Course, CourseFormat, Meeting, Section, SectionStatus, Site, Term
from ..models.reference import LABELS, LabelledEnum

MONTREAL = ZoneInfo("America/Montreal")
NOON = dt.time(12, 0)
EVENING = dt.time(17, 0)
MAX_PER_PAGE = 100


class TimeOfDay(LabelledEnum):
    """When a meeting starts: before noon, noon to 5 p.m., from 5 p.m."""

    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


LABELS.update({
    TimeOfDay.MORNING: _l("Morning (before noon)"),
    TimeOfDay.AFTERNOON: _l("Afternoon (noon to 5 p.m.)"),
    TimeOfDay.EVENING: _l("Evening (from 5 p.m.)"),
})


def local_today() -> dt.date:
    """Today's date in Québec."""
    return dt.datetime.now(MONTREAL).date()


@dataclass(frozen=True)
class CatalogueFilters:
    """What a visitor narrows the catalogue with; None means "any"."""

    level: int | None = None
    format: CourseFormat | None = None
    region_id: int | None = None
    site_id: int | None = None
    weekday: int | None = None
    time_of_day: TimeOfDay | None = None
    field_id: int | None = None
    text: str | None = None
    term_id: int | None = None  # None: every term that has not ended yet
    enterprise_id: int | None = None  # the viewer's business: its workplace sections are listed too
    today: dt.date | None = None


@dataclass
class Page:
    """One page of results, with what pagination links need."""

    items: list[Section]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def page_numbers(self, around: int = 2) -> list[int | None]:
        """Page numbers to link to: the first, the last and those around the current one; None for a gap."""
        wanted = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        numbers: list[int | None] = []
        for number in sorted(n for n in wanted if 1 <= n <= self.pages):
            if numbers and number - numbers[-1] > 1:
                numbers.append(None)
            numbers.append(number)
        return numbers


def _meeting_condition(filters: CatalogueFilters):
    """A section matches when one of its meetings is on the weekday and in the time of day asked."""
    conditions = [Meeting.section_id == Section.id]
    if filters.weekday is not None:
        conditions.append(Meeting.weekday == filters.weekday)
    if filters.time_of_day == TimeOfDay.MORNING:
        conditions.append(Meeting.starts_at < NOON)
    elif filters.time_of_day == TimeOfDay.AFTERNOON:
        conditions += [Meeting.starts_at >= NOON, Meeting.starts_at < EVENING]
    elif filters.time_of_day == TimeOfDay.EVENING:
        conditions.append(Meeting.starts_at >= EVENING)
    return exists(select(Meeting.id).where(*conditions))


def _filtered(stmt: Select, filters: CatalogueFilters) -> Select:
    """``stmt`` joined to course, term and site and narrowed to the open sections that match."""
    today = filters.today or local_today()
    stmt = stmt.join(Section.course).join(Section.term).outerjoin(Section.site)
    conditions = [Section.status == SectionStatus.OPEN, Course.active.is_(True)]
    if filters.enterprise_id is None:
        conditions.append(Section.enterprise_id.is_(None))
    else:
        conditions.append(or_(Section.enterprise_id.is_(None), Section.enterprise_id == filters.enterprise_id))
    if filters.term_id is not None:
        conditions.append(Section.term_id == filters.term_id)
    else:
        conditions.append(Term.ends_on >= today)
    if filters.level is not None:
        conditions += [Course.level_min <= filters.level, Course.level_max >= filters.level]
    if filters.format is not None:
        conditions.append(Course.format == filters.format)
    if filters.region_id is not None:
        conditions.append(Site.region_id == filters.region_id)
    if filters.site_id is not None:
        conditions.append(Section.site_id == filters.site_id)
    if filters.field_id is not None:
        conditions.append(Course.field_id == filters.field_id)
    if filters.weekday is not None or filters.time_of_day is not None:
        conditions.append(_meeting_condition(filters))
    text = (filters.text or "").strip()
    if text:
        # icontains is ILIKE on PostgreSQL and lower() LIKE lower() on SQLite; % and _ are literal.
        conditions.append(or_(*(column.icontains(text, autoescape=True) for column in (
            Course.code, Course.title_fr, Course.title_en, Course.description_fr, Course.description_en,
            Section.code))))
    return stmt.where(*conditions)


def _with_details(stmt: Select) -> Select:
    """Load what a result shows along with the sections (stmt already joins course, term, site)."""
    return stmt.options(
        contains_eager(Section.course).joinedload(Course.field),
        contains_eager(Section.term),
        contains_eager(Section.site).joinedload(Site.region),
        joinedload(Section.teacher),
        selectinload(Section.meetings),
    )


def count_sections(session: Session, filters: CatalogueFilters) -> int:
    return session.scalar(_filtered(select(func.count(Section.id)).select_from(Section), filters)) or 0


MAX_PAGE = 1_000_000


def search_sections(session: Session, filters: CatalogueFilters, page: int = 1, per_page: int = 20) -> Page:
    """The open sections that match ``filters``, one page of them, by term start, course and section code.

    A page number past the end gives the last page.
    """
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, MAX_PAGE))  # a crafted page number stays a valid OFFSET
    rows = _page_rows(session, filters, page, per_page)
    if not rows and page > 1:  # past the end: the last page (the count is asked only then)
        page = max(1, math.ceil(count_sections(session, filters) / per_page))
        rows = _page_rows(session, filters, page, per_page)
    total = rows[0][1] if rows else 0
    return Page(items=[section for section, _total in rows], total=total, page=page, per_page=per_page)


def _page_rows(session: Session, filters: CatalogueFilters, page: int, per_page: int) -> list:
    """(section, number of matches) for one page: the count rides along as a window function."""
    stmt = _with_details(_filtered(select(Section, func.count().over()), filters)).order_by(
        Term.starts_on, Course.code, Section.code, Section.id).limit(per_page).offset((page - 1) * per_page)
    return list(session.execute(stmt).all())


def section_detail(session: Session, section_id: int, enterprise_id: int | None = None) -> Section | None:
    """A published section with everything its page shows; None when it does not exist, is not
    published yet, or is a workplace section of another business."""
    section = session.scalar(
        select(Section).where(Section.id == section_id).options(
            joinedload(Section.course).joinedload(Course.field),
            joinedload(Section.term).selectinload(Term.closed_dates),
            joinedload(Section.site).joinedload(Site.region),
            joinedload(Section.teacher),
            joinedload(Section.partner),
            selectinload(Section.meetings)))
    if section is None or section.status == SectionStatus.PLANNED:
        return None
    if section.enterprise_id is not None and section.enterprise_id != enterprise_id:
        return None
    return section
