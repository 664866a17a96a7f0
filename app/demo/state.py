"""What one run of the demo seeding holds while it builds: the session, the shared random
generator, and the rows each step has loaded for the steps after it."""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from flask import current_app
from sqlalchemy.orm import Session

from ..models import (
    ClientCategory, Course, Enterprise, Field, ImmigrationStatus, IncomeSupport, Partner, Region, Section, Site,
    Teacher, Term,
)
from ..services.allowances import RuleBook
from .calendar import Calendar
from .people import SEED, Person


class DemoState:
    """One run of ``seed_demo``: filled step by step (reference, accounts, organisations, catalogue,
    rules, terms, sections, capacity, learners, enterprise requests); commits nothing itself."""

    def __init__(self, session: Session, appbuilder, scale: int, today: dt.date) -> None:
        self.session = session
        self.sm = appbuilder.sm
        self.scale = scale
        self.today = today
        self.rng = random.Random(SEED)
        self.calendar = Calendar()
        self.password = current_app.config["DEMO_PASSWORD"]
        # reference rows by code
        self.regions: dict[str, Region] = {}
        self.categories: dict[str, ClientCategory] = {}
        self.statuses: dict[str, ImmigrationStatus] = {}
        self.supports: dict[str, IncomeSupport] = {}
        self.fields: dict[str, Field] = {}
        # demo accounts by username
        self.users: dict[str, object] = {}
        # organisations: partners by name, (site, weight) by site code, teachers by partner name, enterprises by NEQ
        self.partners: dict[str, Partner] = {}
        self.sites: dict[str, tuple[Site, float]] = {}
        self.teachers: dict[str, list[Teacher]] = defaultdict(list)
        self.enterprises: dict[str, Enterprise] = {}
        # the offer: courses by code, terms and their sections by role (previous, current, upcoming)
        self.courses: dict[str, Course] = {}
        self.rule_book: RuleBook | None = None
        self.terms: dict[str, Term] = {}
        self.sections: dict[str, list[Section]] = {}
        self.hot: set[Section] = set()  # the groups in demand, where waiting lists form


class LearnerFiles:
    """The new learners of a run whose files are being written: accounts, learners, applications,
    enrolments, records, money, notes — in that order, each step reading what the previous wrote."""

    def __init__(self, demo: DemoState, people: list[Person]) -> None:
        self.demo = demo
        self.session = demo.session
        self.people = people
        self.today = demo.today
        self.calendar = demo.calendar
        self.agent_id = demo.users["agent"].id
        self.partner_user_id = demo.users["partner"].id
        self.meeting_days: dict[int, list[tuple[dt.date, Decimal]]] = {}
