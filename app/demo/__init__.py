"""The demo data set behind ``flask seed-demo``: realistic, bilingual, deterministic, idempotent.

``seed_demo(session, appbuilder, scale)`` loads the 17 regions and the reference data, twelve
partners with their sites and teachers, the course catalogue (4 formats, 12 levels, specialised
fields), three terms around today (the previous one, the current one that has started and the
upcoming one whose registration is open) with their sections and meeting times, and about 300
learners per unit of ``scale`` with their whole file: application and its event trail, placement,
enrolments and waiting lists, attendance, exam results, allowances computed from the attendance
with the dated allowance rules, payments, case notes and messages. It also creates one account
per role (``DEMO_ACCOUNTS``).

Every row is looked up by its natural key (code, name, username, NEQ, file number, term and
section code) before it is created, and a learner's file is only built when the learner is new,
so a second run adds nothing. The catalogue's dates are anchored on the week of the first run
(found again from the demo learner's enrolments), so a later run reuses the same terms.
Random choices come from ``random.Random(2026)`` and from per-learner generators seeded from it.
E-mail addresses use the reserved ``.example`` domain and telephone numbers the fictitious 555
exchange, so that nothing in the demo can reach a real person.

One module per kind of data, in the order ``seed_demo`` runs them: ``reference`` (the production
reference rows, from ``services.reference_data``), ``accounts``, ``organisations`` (partners,
sites, teachers, enterprises and their requests), ``catalogue`` (courses and terms), ``sections``
(groups, meetings, declared capacity), ``finance`` (allowance rules, allowances, payments) and
``learners`` (planned in ``people`` and ``stories``, their files written by ``applications``,
``records``, ``finance`` and ``notes``). The demo reads models and services; nothing in
``app/services`` or ``app/models`` imports it.
"""
from __future__ import annotations

import datetime as dt

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import (
    Allowance, AllowanceRule, Application, ApplicationEvent, Attendance, CapacityDeclaration, CaseNote,
    ClientCategory, Course, Enrolment, Enterprise, EnterpriseRequest, ExamResult, Field, ImmigrationStatus,
    IncomeSupport, Learner, Meeting, Message, Partner, Payment, PlacementResult, Region, Section, Site, Teacher,
    Term,
)
from .accounts import DEMO_ACCOUNTS, seed_accounts
from .catalogue import demo_terms, seed_courses, seed_terms
from .finance import seed_rules
from .learners import seed_learners
from .organisations import seed_enterprise_requests, seed_organisations
from .people import DEMO_LEARNER_FILE, FILE_PREFIX
from .reference import seed_reference
from .sections import seed_capacity, seed_sections
from .state import DemoState

__all__ = ["DEMO_ACCOUNTS", "DEMO_LEARNER_FILE", "FILE_PREFIX", "demo_counts", "demo_terms", "seed_demo"]


def seed_demo(session: Session, appbuilder, scale: int = 1) -> dict[str, int]:
    """Load the demo data set (``scale`` multiplies learners and sections); return row counts."""
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    demo = DemoState(session, appbuilder, scale, dt.date.today())
    # each step reads the rows of the steps before it; the shared random sequence follows this order
    seed_reference(demo)
    seed_accounts(demo)
    seed_organisations(demo)
    seed_courses(demo)
    seed_rules(demo)
    seed_terms(demo)
    seed_sections(demo)
    seed_capacity(demo)
    seed_learners(demo)
    seed_enterprise_requests(demo)
    session.flush()
    session.commit()
    return demo_counts(session)


COUNTED = {
    "regions": Region, "client_categories": ClientCategory, "immigration_statuses": ImmigrationStatus,
    "income_supports": IncomeSupport, "fields": Field, "partners": Partner, "sites": Site,
    "teachers": Teacher, "enterprises": Enterprise, "courses": Course, "terms": Term,
    "sections": Section, "meetings": Meeting, "learners": Learner, "applications": Application,
    "application_events": ApplicationEvent, "placement_results": PlacementResult, "enrolments": Enrolment,
    "attendance": Attendance, "exam_results": ExamResult, "allowance_rules": AllowanceRule,
    "allowances": Allowance, "payments": Payment, "capacity_declarations": CapacityDeclaration,
    "enterprise_requests": EnterpriseRequest, "case_notes": CaseNote, "messages": Message,
}


def demo_counts(session: Session) -> dict[str, int]:
    """Row counts of the tables the demo fills, plus the number of accounts."""
    counts = {name: session.scalar(select(func.count()).select_from(model)) for name, model in COUNTED.items()}
    counts["users"] = session.scalar(select(func.count()).select_from(User))
    return counts
