"""Capacity planning: where groups must open, per region × format × level band.

Demand and seats come from :func:`app.services.reports.demand_against_capacity` (people waiting
without a seat, against the seats partners declared and the groups scheduled). A line's gap is
the demand the free scheduled seats do not cover; the groups to open are that gap divided by the
size of a group of that line (its scheduled groups' mean capacity, else its declared groups', else
the mean capacity of all the scheduled groups of that format), rounded up.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Course, CourseFormat, Section
from ..models.catalogue import SectionStatus
from . import reports

OPEN_GROUPS, DECLARE_MORE, ENOUGH, NO_DEMAND = "open_groups", "declare_more", "enough", "no_demand"


@dataclass(frozen=True)
class PlanningLine:
    """A line of demand against capacity, with what it calls for."""

    line: reports.CapacityLine
    group_size: int | None

    @property
    def gap(self) -> int:
        return self.line.gap

    @property
    def groups_to_open(self) -> int:
        """Groups to open for the demand the free seats do not cover (0 when they do); without any
        known group size, one group per uncovered line."""
        if self.gap <= 0:
            return 0
        return math.ceil(self.gap / self.group_size) if self.group_size else 1

    @property
    def verdict(self) -> str:
        if self.gap > 0:
            return OPEN_GROUPS
        if self.line.undeclared_need > 0:
            return DECLARE_MORE
        return ENOUGH if self.line.demand else NO_DEMAND


@dataclass(frozen=True)
class Plan:
    lines: tuple[PlanningLine, ...]

    @property
    def demand(self) -> int:
        return sum(planned.line.demand for planned in self.lines)

    @property
    def declared_seats(self) -> int:
        return sum(planned.line.declared_seats for planned in self.lines)

    @property
    def scheduled_seats(self) -> int:
        return sum(planned.line.scheduled_seats for planned in self.lines)

    @property
    def free_seats(self) -> int:
        return sum(planned.line.free_seats for planned in self.lines)

    @property
    def groups_to_open(self) -> int:
        return sum(planned.groups_to_open for planned in self.lines)

    @property
    def lines_to_open(self) -> tuple[PlanningLine, ...]:
        return tuple(planned for planned in self.lines if planned.groups_to_open)


def _mean_group_size_by_format(session: Session) -> dict[CourseFormat, int]:
    rows = session.execute(
        select(Course.format, func.avg(Section.capacity)).join(Course, Course.id == Section.course_id)
        .where(Section.status != SectionStatus.CANCELLED).group_by(Course.format))
    return {CourseFormat(fmt): round(float(mean)) for fmt, mean in rows if mean}


def group_size(line: reports.CapacityLine, fallback: dict[CourseFormat, int]) -> int | None:
    if line.scheduled_groups:
        return max(round(line.scheduled_seats / line.scheduled_groups), 1)
    if line.declared_groups:
        return max(round(line.declared_seats / line.declared_groups), 1)
    return fallback.get(line.format)


def plan(session: Session, filters: reports.ReportFilters) -> Plan:
    """Every line of demand against capacity for ``filters``, with the groups to open."""
    lines = reports.demand_against_capacity(session, filters)
    fallback = _mean_group_size_by_format(session) if lines else {}
    return Plan(tuple(PlanningLine(line, group_size(line, fallback)) for line in lines))
