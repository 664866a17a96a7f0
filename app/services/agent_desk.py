"""The case officer's desk: the work queue, one application's file, the decisions and the placement.

The queue holds the applications waiting for an agent (submitted, documents requested, complete),
longest wait first. Its clock runs in working days from the complete application — the start of
the 50-day service standard — or, while the file is not complete yet, from its submission, so a
file waiting for its documents is not forgotten at the bottom of the pile.

Every status change goes through ``app.services.intake.transition`` (event recorded, learner told
in their language). A note the agent writes with a change is internal (staff only) unless they send
it to the learner; a refusal's reason and the documents asked for always reach the learner. Only the
agent the file is assigned to, or an administrator, decides it (approve or refuse).

Placement: the agent records a level from 1 to 12 for each of the four skills;
the overall level is the **mean of the four, rounded down** — a learner is placed in the course
that matches their skills taken together (one weak skill does not send a learner back to a course
far below the others), and rounding down never places anyone above what every skill shows on
average. Callers commit.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..models import (
    Application, ApplicationEvent, ApplicationStatus as S, CourseFormat, Learner, PlacementResult, Region, Skill,
)
from ..models.reference import LEVELS
from . import intake
from .messaging import TEMPLATES, send_to_learner
from .refusals import Refusal

QUEUE_STATUSES = (S.SUBMITTED, S.DOCUMENTS_REQUESTED, S.COMPLETE)
# A placement is recorded while the file is open, or after approval (before the first course).
PLACEMENT_STATUSES = (S.SUBMITTED, S.DOCUMENTS_REQUESTED, S.COMPLETE, S.APPROVED)
PAGE_SIZE = 25
MAX_NOTE = 2000

# Who the queue shows (``QueueFilters.agent``).
MINE, UNASSIGNED = "mine", "unassigned"

# How the agent reads each eligibility rule (codes of app.services.eligibility).
RULE_LABELS = {
    "minimum_age": _l("Minimum age"),
    "domicile": _l("Domicile in Québec"),
    "online_only_abroad": _l("Online courses only while abroad"),
    "status_document": _l("Immigration status document"),
    "workplace_enterprise": _l("Workplace training: employer"),
    "participation_allowance": _l("Participation allowance"),
}

REFUSALS = {
    "documents_required": _l("Say which documents are needed: the learner receives this text."),
    "note_too_long": _l("The text is too long (%(limit)s characters at most)."),
    "placement_not_now": _l("A placement cannot be recorded on an application that is “%(status)s”."),
    "level_missing": _l("Enter a level for each of the four skills."),
    "level_out_of_range": _l("Each level is a whole number from 1 to 12."),
    "assessed_in_future": _l("The placement test cannot be dated in the future."),
    "not_in_queue": _l("Only an application waiting in the queue can be assigned."),
    "assigned_to_another": _l("This application is assigned to %(agent)s: only they or an administrator can "
                              "take it over."),
    "decide_unassigned": _l("Only the agent assigned to this application can decide it. Assign it to yourself "
                            "first."),
    "decide_not_yours": _l("Only the agent assigned to this application (%(agent)s) or an administrator can "
                           "decide it."),
}

PLACEMENT_TEMPLATE = {
    "placement_recorded": (
        _l("Your French level has been assessed"),
        _l("Hello {name},\n\nYour placement test for application number {application} is recorded: your "
           "overall level is {level} on the Québec scale of 12 levels. You can see your level in each skill "
           "in your file.\n\nFrancisation Québec"),
    ),
}
TEMPLATES.update(PLACEMENT_TEMPLATE)


class DeskRefused(Refusal):
    """An action the desk does not accept as given; ``message`` is translated when rendered."""

    MESSAGES = REFUSALS


# --- the queue ----------------------------------------------------------------------------------

def clock_start_column():
    """When the file's clock started: complete, or else submitted (SQL)."""
    return func.coalesce(Application.complete_at, Application.submitted_at)


def clock_start(application: Application) -> dt.datetime | None:
    return application.complete_at or application.submitted_at


def waiting_days(application: Application, today: dt.date | None = None) -> int | None:
    """Working days since the clock started (see the module docstring); None before submission."""
    from .service_clock import local_date, montreal_today, working_days_between

    start = clock_start(application)
    if start is None:
        return None
    end = application.first_course_at or today or montreal_today()
    return working_days_between(local_date(start), end)


def queue_regions(session: Session) -> list[Region]:
    """The regions the queue can be filtered by, by code."""
    return list(session.scalars(select(Region).order_by(Region.code)))


@dataclass(frozen=True)
class QueueFilters:
    status: S | None = None
    region_id: int | None = None
    format: CourseFormat | None = None
    waiting_since: dt.date | None = None  # clock started on or before this Montréal day
    agent: str | None = None  # MINE, UNASSIGNED or None (everyone's)


@dataclass(frozen=True)
class QueueRow:
    application: Application
    days: int | None
    complete: bool

    @property
    def clock_status(self):
        from .service_clock import clock_status

        return clock_status(self.days) if self.days is not None else None

    @property
    def since(self) -> dt.datetime | None:
        return clock_start(self.application)


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(math.ceil(self.total / self.page_size), 1)


def _queue_conditions(filters: QueueFilters, agent_id: int | None) -> list:
    from .service_clock import MONTREAL

    statuses = (filters.status,) if filters.status in QUEUE_STATUSES else QUEUE_STATUSES
    conditions = [Application.status.in_(statuses)]
    if filters.region_id is not None:
        conditions.append(Application.region_id == filters.region_id)
    if filters.format is not None:
        conditions.append(Application.format_wanted == filters.format)
    if filters.waiting_since is not None:
        next_midnight = dt.datetime.combine(filters.waiting_since + dt.timedelta(days=1), dt.time(),
                                            tzinfo=MONTREAL)
        conditions.append(clock_start_column() < next_midnight.astimezone(dt.UTC))
    if filters.agent == MINE:
        conditions.append(Application.assigned_agent_id == agent_id)
    elif filters.agent == UNASSIGNED:
        conditions.append(Application.assigned_agent_id.is_(None))
    return conditions


def queue(session: Session, filters: QueueFilters, *, agent_id: int | None = None, page: int = 1,
          page_size: int = PAGE_SIZE, today: dt.date | None = None) -> QueuePage:
    """One page of the applications waiting for an agent, longest wait first.

    Working days grow as the start moves back in time, so ordering by the clock's start (oldest
    first) is ordering by days elapsed (most first) — and the database can use its index.
    """
    from .service_clock import montreal_today

    today = today or montreal_today()
    conditions = _queue_conditions(filters, agent_id)
    total = session.scalar(select(func.count(Application.id)).where(*conditions))
    start = clock_start_column()
    applications = session.scalars(
        select(Application).where(*conditions)
        .options(joinedload(Application.learner), joinedload(Application.region),
                 joinedload(Application.assigned_agent))
        .order_by(start.is_(None), start, Application.id)
        .limit(page_size).offset((max(page, 1) - 1) * page_size)).all()
    rows = [QueueRow(application, waiting_days(application, today), application.complete_at is not None)
            for application in applications]
    return QueuePage(rows=rows, total=total, page=page, page_size=page_size)


def _is_admin(session: Session, user_id: int | None) -> bool:
    from flask_appbuilder.security.sqla.models import User

    from .access import ADMIN, role_names

    user = session.get(User, user_id) if user_id is not None else None
    return user is not None and ADMIN in role_names(user)


def _agent_name(application: Application) -> str:
    agent = application.assigned_agent
    return f"{agent.first_name} {agent.last_name}".strip() or agent.username if agent is not None else ""


def assign(session: Session, application: Application, agent_id: int) -> None:
    """Put an application waiting in the queue in an agent's hands (an administrator may take over
    another agent's file; an agent may not)."""
    if application.status not in QUEUE_STATUSES:
        raise DeskRefused("not_in_queue")
    if application.assigned_agent_id not in (None, agent_id) and not _is_admin(session, agent_id):
        raise DeskRefused("assigned_to_another", agent=_agent_name(application))
    application.assigned_agent_id = agent_id
    session.flush()


# --- one file -----------------------------------------------------------------------------------

def application_file(session: Session, application_id: int) -> Application | None:
    """An application with what its file page shows, in a fixed number of queries."""
    return session.scalar(
        select(Application).where(Application.id == application_id)
        .options(joinedload(Application.learner).joinedload(Learner.category),
                 joinedload(Application.learner).joinedload(Learner.status),
                 joinedload(Application.learner).joinedload(Learner.region),
                 joinedload(Application.learner).joinedload(Learner.income_support),
                 joinedload(Application.learner).joinedload(Learner.enterprise),
                 joinedload(Application.region), joinedload(Application.assigned_agent),
                 selectinload(Application.events).joinedload(ApplicationEvent.actor),
                 selectinload(Application.documents)))


def placements_of(session: Session, application: Application) -> list[PlacementResult]:
    """The placement results recorded with this application, latest test first, overall level first."""
    return list(session.scalars(
        select(PlacementResult).where(PlacementResult.application_id == application.id)
        .options(joinedload(PlacementResult.assessor))
        .order_by(PlacementResult.assessed_on.desc(), PlacementResult.skill.is_not(None), PlacementResult.skill,
                  PlacementResult.id)))


def eligibility_results(application: Application):
    """The rule results stored on the file (None when never evaluated)."""
    from .eligibility import stored_results

    return stored_results(application)


def evaluated_at(application: Application) -> dt.datetime | None:
    """When the stored eligibility results were computed."""
    stored = application.eligibility if isinstance(application.eligibility, dict) else {}
    try:
        return dt.datetime.fromisoformat(stored["evaluated_at"])
    except (KeyError, TypeError, ValueError):
        return None


def reevaluate(session: Session, application: Application):
    """Run the eligibility rules again on the file as it stands now and store the results."""
    from .eligibility import evaluate_and_store

    return evaluate_and_store(session, application)


def may_decide(session: Session, application: Application, user_id: int) -> bool:
    """Who decides (approves or refuses) an application: the agent it is assigned to, or an
    administrator. An unassigned file is assigned first, so that every decision has one owner."""
    return application.assigned_agent_id == user_id or _is_admin(session, user_id)


def _check_decider(session: Session, application: Application, actor_id: int) -> None:
    if may_decide(session, application, actor_id):
        return
    if application.assigned_agent_id is None:
        raise DeskRefused("decide_unassigned")
    raise DeskRefused("decide_not_yours", agent=_agent_name(application))


def allowed_actions(application: Application) -> set[S]:
    return {status for status in (S.APPROVED, S.REFUSED, S.DOCUMENTS_REQUESTED, S.COMPLETE, S.CLOSED)
            if intake.can_transition(application, status)}


# --- decisions ----------------------------------------------------------------------------------

def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    if len(text) > MAX_NOTE:
        raise DeskRefused("note_too_long", limit=MAX_NOTE)
    return text or None


# A note of the staff is internal unless the agent chooses to send it to the learner; a refusal's
# reason and the documents asked for are always the learner's to read.

def approve(session: Session, application: Application, *, actor_id: int, note: str | None = None,
            internal: bool = True):
    """Approve (the assigned agent or an administrator, see ``may_decide``)."""
    _check_decider(session, application, actor_id)
    return intake.transition(session, application, S.APPROVED, actor_id=actor_id, note=_clean(note),
                             internal=internal)


def refuse(session: Session, application: Application, *, actor_id: int, reason: str | None):
    """Refuse with a reason (required: the learner receives it); see ``may_decide`` for who."""
    _check_decider(session, application, actor_id)
    return intake.transition(session, application, S.REFUSED, actor_id=actor_id, note=_clean(reason),
                             internal=False)


def request_documents(session: Session, application: Application, *, actor_id: int, what: str | None):
    """Ask the learner for documents; ``what`` (required) is the text they receive."""
    what = _clean(what)
    if what is None:
        raise DeskRefused("documents_required")
    return intake.transition(session, application, S.DOCUMENTS_REQUESTED, actor_id=actor_id, note=what)


def mark_complete(session: Session, application: Application, *, actor_id: int, note: str | None = None,
                  internal: bool = True):
    """Declare the file complete: the 50-day clock starts."""
    return intake.transition(session, application, S.COMPLETE, actor_id=actor_id, note=_clean(note),
                             internal=internal)


def close(session: Session, application: Application, *, actor_id: int, note: str | None = None,
          internal: bool = True):
    return intake.transition(session, application, S.CLOSED, actor_id=actor_id, note=_clean(note),
                             internal=internal)


# --- placement ----------------------------------------------------------------------------------

def overall_level(levels: Mapping[Skill, int]) -> int:
    """The overall level: the mean of the four skills' levels, rounded down."""
    return sum(levels.values()) // len(levels)


def _checked_levels(levels: Mapping[Skill, object]) -> dict[Skill, int]:
    checked = {}
    for skill in Skill:
        value = levels.get(skill)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise DeskRefused("level_missing")
        try:
            level = int(value)
        except (TypeError, ValueError):
            raise DeskRefused("level_out_of_range") from None
        if level not in LEVELS:
            raise DeskRefused("level_out_of_range")
        checked[skill] = level
    return checked


@dataclass(frozen=True)
class Placement:
    levels: dict[Skill, int]
    overall: int
    completed: bool  # the file was marked complete with it


def record_placement(session: Session, application: Application, levels: Mapping[Skill, object], *,
                     assessor_id: int, assessed_on: dt.date | None = None, today: dt.date | None = None,
                     mark_complete_too: bool = False) -> Placement:
    """Record a placement test: one result per skill and the overall one (skill None).

    The test was taken on ``assessed_on``, today (Montréal) when not given.

    The learner's current level becomes the overall level and the learner is told. A result of the
    same application on the same day is replaced (a correction of that test, not a second test).
    With ``mark_complete_too`` a file still waiting for completion is declared complete.
    """
    from .service_clock import montreal_today

    if application.status not in PLACEMENT_STATUSES:
        raise DeskRefused("placement_not_now", status=application.status.label)
    checked = _checked_levels(levels)
    today = today or montreal_today()
    assessed_on = assessed_on or today
    if assessed_on > today:
        raise DeskRefused("assessed_in_future")
    overall = overall_level(checked)
    for old in session.scalars(select(PlacementResult).where(PlacementResult.application_id == application.id,
                                                             PlacementResult.assessed_on == assessed_on)):
        session.delete(old)
    session.flush()
    learner = application.learner
    for skill, level in [*checked.items(), (None, overall)]:
        session.add(PlacementResult(learner=learner, application=application, skill=skill, level=level,
                                    assessed_on=assessed_on, assessor_id=assessor_id))
    learner.current_level = overall
    session.flush()
    completed = False
    from .eligibility import required_documents_missing  # a file missing a required document is not complete

    if (mark_complete_too and intake.can_transition(application, S.COMPLETE) and application.status != S.COMPLETE
            and not required_documents_missing(session, application)):
        intake.transition(session, application, S.COMPLETE, actor_id=assessor_id)
        completed = True
    send_to_learner(session, learner, "placement_recorded", {"application": application.id, "level": overall})
    return Placement(levels=checked, overall=overall, completed=completed)
