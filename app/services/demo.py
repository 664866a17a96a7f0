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
"""
from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import holidays
from babel.dates import format_date
from flask import current_app
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import generate_password_hash

from ..i18n import french_elisions
from . import access_log
from ..models import (
    AccessLog, Allowance, AllowanceRule, AllowanceStatus, Application,
    ApplicationEvent, ApplicationStatus, Attendance, Availability, AvailabilityKind, CapacityDeclaration,
    CaseNote, ClientCategory, Course, CourseFormat, Delivery, DeliveryStatus, Enrolment, EnrolmentStatus,
    Enterprise, EnterpriseMembership, EnterpriseRequest, ExamResult, Field, ImmigrationStatus, IncomeSupport,
    Language, Learner, Meeting, Message, Partner, PartnerMembership, PartnerType, Payment, PlacementResult,
    Region, RequestStatus, Section, SectionStatus, Site, Skill, Teacher, Term, TermClosedDate, UserPreference,
)
from ..models.reference import stage_of
from . import demo_data as data
from .allowances import (
    AttendanceDay, LearnerFacts, RuleBook, dues_for_week, ensure_standard_rules, pay_batch, week_of,
)
from .access import ADMIN, AGENT, ANALYST, ENTERPRISE_REP, LEARNER, PARTNER_STAFF, SUPPORT
from .class_days import class_free_holidays

SEED = 2026
FILE_PREFIX = "FQ-2026-"
DEMO_LEARNER_FILE = FILE_PREFIX + "000001"
LEARNERS_PER_SCALE = 300
MONTREAL = ZoneInfo("America/Montreal")
UTC = dt.UTC
CENT = Decimal("0.01")
WEEK = dt.timedelta(days=7)

DEMO_ACCOUNTS = [
    {"role": ADMIN, "username": "admin", "first_name": "Isabelle", "last_name": "Gagnon",
     "email": "admin@guichet.example"},
    {"role": AGENT, "username": "agent", "first_name": "Marc-André", "last_name": "Roy",
     "email": "agent@guichet.example"},
    {"role": PARTNER_STAFF, "username": "partner", "first_name": "Sophie", "last_name": "Bouchard",
     "email": "partner@guichet.example"},
    {"role": SUPPORT, "username": "support", "first_name": "Kevin", "last_name": "Nguyen",
     "email": "support@guichet.example"},
    {"role": ANALYST, "username": "analyst", "first_name": "Nadia", "last_name": "Benali",
     "email": "analyst@guichet.example"},
    {"role": LEARNER, "username": "learner", "first_name": "Aminata", "last_name": "Diallo",
     "email": "learner@guichet.example"},
    {"role": ENTERPRISE_REP, "username": "enterprise", "first_name": "Julie", "last_name": "Lavoie",
     "email": "enterprise@guichet.example"},
]

# Learners per story for one unit of scale (the demo learner is the 300th).
STORIES = {
    "draft": 12, "submitted": 20, "documents": 14, "complete": 40, "refused": 8, "withdrawn": 10,
    "closed": 12, "waiting": 28, "enrolled": 99, "dropped": 16, "upcoming": 34, "upcoming_waiting": 6,
}
# The order in which stories take seats: the current term fills before its waiting list forms.
SEATING_ORDER = ["demo", "enrolled", "dropped", "waiting", "upcoming", "upcoming_waiting", "closed"]

# Sections per course and term for one unit of scale (course code prefix -> by level).
PART_TIME_HOURS = {1: 12, 2: 12, 3: 9, 4: 9, 5: 9, 6: 6, 7: 6, 8: 6, 9: 6, 10: 4, 11: 4, 12: 4}


def seed_demo(session: Session, appbuilder, scale: int = 1) -> dict[str, int]:
    """Load the demo data set (``scale`` multiplies learners and sections); return row counts."""
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    DemoBuilder(session, appbuilder, scale, dt.date.today()).build()
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
    from flask_appbuilder.security.sqla.models import User

    counts = {name: session.scalar(select(func.count()).select_from(model)) for name, model in COUNTED.items()}
    counts["users"] = session.scalar(select(func.count()).select_from(User))
    return counts


def term_starts(session: Session, today: dt.date) -> dict[str, dt.date]:
    """Start dates of the demo's previous, current and upcoming terms (12 weeks apart).

    The current term started on the Monday five weeks before the first run; later runs find that
    Monday again from the demo learner's first term, so they reuse the same terms.
    """
    first = session.scalar(
        select(func.min(Term.starts_on)).join(Section, Section.term_id == Term.id)
        .join(Enrolment, Enrolment.section_id == Section.id).join(Learner, Learner.id == Enrolment.learner_id)
        .where(Learner.file_number == DEMO_LEARNER_FILE))
    current = first + 12 * WEEK if first is not None else monday_of(today - 5 * WEEK)
    return {"previous": current - 12 * WEEK, "current": current, "upcoming": current + 12 * WEEK}


def term_code(start: dt.date) -> str:
    return f"S{start:%Y%m%d}"


def demo_terms(session: Session, today: dt.date | None = None) -> dict[str, Term | None]:
    """The demo's terms by role: ``previous``, ``current`` (started) and ``upcoming`` (registration open)."""
    starts = term_starts(session, today or dt.date.today())
    return {key: session.scalar(select(Term).where(Term.code == term_code(start))) for key, start in starts.items()}


# --- calendar -------------------------------------------------------------------------------------

class Calendar:
    """Working days in Québec (weekends and statutory holidays excluded) and local timestamps."""

    def __init__(self) -> None:
        self.holidays = holidays.country_holidays("CA", subdiv="QC")

    def is_working_day(self, day: dt.date) -> bool:
        return day.isoweekday() <= 5 and day not in self.holidays

    def shift(self, day: dt.date, working_days: int) -> dt.date:
        """The day ``working_days`` working days after (or, negative, before) ``day``."""
        step = 1 if working_days >= 0 else -1
        remaining = abs(working_days)
        while remaining:
            day += dt.timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_day_on_or_before(self, day: dt.date) -> dt.date:
        while not self.is_working_day(day):
            day -= dt.timedelta(days=1)
        return day

    @staticmethod
    def at(day: dt.date, minutes: int) -> dt.datetime:
        """A local time of day (minutes after midnight, Montréal) as an aware UTC instant."""
        return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=MONTREAL).astimezone(UTC)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.isoweekday() - 1)


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def hours_between(start: dt.time, end: dt.time) -> Decimal:
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return (Decimal(minutes) / Decimal(60)).quantize(CENT)


def t(text: str) -> dt.time:
    hour, minute = text.split(":")
    return dt.time(int(hour), int(minute))


# Weekly meeting patterns: (weekdays, [(start, end), …]) by format and hours per week.
FULL_TIME_PATTERNS = {
    25: [((1, 2, 3, 4, 5), [("08:30", "13:30")]), ((1, 2, 3, 4, 5), [("12:30", "17:30")])],
    30: [((1, 2, 3, 4, 5), [("08:30", "11:45"), ("12:45", "15:30")])],
}
PART_TIME_PATTERNS = {
    12: [((1, 2, 3, 4), [("18:00", "21:00")])],
    9: [((1, 3, 4), [("18:00", "21:00")]), ((6, 7), [("08:30", "13:00")])],
    6: [((2, 4), [("18:00", "21:00")]), ((1, 3), [("18:30", "21:30")]), ((6, 7), [("09:00", "12:00")])],
    4: [((6,), [("09:00", "13:00")]), ((2, 4), [("19:00", "21:00")])],
}
ONLINE_PATTERN = ((2, 4), [("19:00", "21:00")])
WORKPLACE_PATTERNS = [((2, 4), [("07:30", "09:30")]), ((1, 3), [("13:00", "15:00")])]


# --- the plan of one learner ------------------------------------------------------------------------

@dataclass
class Seats:
    """What a section has given out so far: seats, waiting positions, finished places."""

    section: Section
    taken: int = 0
    last_position: int = 0
    finished: int = 0

    @property
    def full(self) -> bool:
        return self.taken >= self.section.capacity


@dataclass
class PlannedEnrolment:
    section: Section
    status: EnrolmentStatus
    position: int | None = None
    reason: str | None = None
    ended_on: dt.date | None = None
    row: Enrolment | None = None
    days: list[tuple] = field(default_factory=list)  # (day, hours scheduled, hours present, justified)


@dataclass
class Person:
    """A learner being planned: story, identity and enrolments, before any row exists."""

    index: int
    story: str
    rng: random.Random
    category: str = "immigrant"
    origin: str = "maghreb"
    enrolments: list[PlannedEnrolment] = field(default_factory=list)
    level: int | None = None
    placement_level: int | None = None
    format: CourseFormat = CourseFormat.FULL_TIME
    enterprise: Enterprise | None = None
    # filled in when the rows are written
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    language: Language = Language.FR
    user: object | None = None
    region: Region | None = None
    learner: Learner | None = None
    application: Application | None = None
    timeline: list[tuple] = field(default_factory=list)
    submitted: dt.date | None = None
    completed: dt.date | None = None
    decided: dt.date | None = None
    placed_on: dt.date | None = None
    first_course: dt.date | None = None
    decision_reason: str | None = None

    @property
    def file_number(self) -> str:
        return f"{FILE_PREFIX}{self.index:06d}"


class DemoBuilder:
    """Builds the demo data set step by step over one session; commits nothing itself."""

    def __init__(self, session: Session, appbuilder, scale: int, today: dt.date) -> None:
        self.session = session
        self.sm = appbuilder.sm
        self.scale = scale
        self.today = today
        self.rng = random.Random(SEED)
        self.calendar = Calendar()
        self.password = current_app.config["DEMO_PASSWORD"]

    def build(self) -> None:
        self.seed_reference()
        self.seed_accounts()
        self.seed_organisations()
        self.seed_courses()
        self.seed_rules()
        self.seed_terms()
        self.seed_sections()
        self.seed_capacity()
        self.seed_learners()
        self.seed_enterprise_requests()
        self.session.flush()

    # --- generic look-up-or-create -------------------------------------------------------------------

    def ensure(self, model, key_of, wanted: list[tuple[object, dict]]) -> dict:
        """Every row of ``model`` by key, creating the wanted rows whose key is not there yet."""
        existing = {key_of(row): row for row in self.session.scalars(select(model))}
        for key, values in wanted:
            if key not in existing:
                row = model(**values)
                self.session.add(row)
                existing[key] = row
        self.session.flush()
        return existing

    # --- reference data ------------------------------------------------------------------------------

    def seed_reference(self) -> None:
        by_code = lambda row: row.code
        self.regions = self.ensure(Region, by_code, [
            (code, {"code": code, "name_fr": fr, "name_en": en}) for code, fr, en in data.REGIONS])
        self.categories = self.ensure(ClientCategory, by_code, [
            (code, {"code": code, "name_fr": fr, "name_en": en, "description_fr": dfr, "description_en": den})
            for code, fr, en, dfr, den in data.CLIENT_CATEGORIES])
        self.statuses = self.ensure(ImmigrationStatus, by_code, [
            (code, {"code": code, "name_fr": fr, "name_en": en, "allowance_excluded": excluded})
            for code, fr, en, excluded in data.IMMIGRATION_STATUSES])
        self.supports = self.ensure(IncomeSupport, by_code, [
            (code, {"code": code, "name_fr": fr, "name_en": en}) for code, fr, en in data.INCOME_SUPPORTS])
        self.fields = self.ensure(Field, by_code, [
            (code, {"code": code, "name_fr": fr, "name_en": en}) for code, fr, en in data.FIELDS])

    # --- accounts ------------------------------------------------------------------------------------

    def seed_accounts(self) -> None:
        """One account per role, created through FAB's security manager."""
        self.users = {}
        for account in DEMO_ACCOUNTS:
            user = self.sm.find_user(username=account["username"])
            if user is None:
                role = self.sm.find_role(account["role"])
                if role is None:
                    raise LookupError(f"role {account['role']} does not exist: run `flask seed-roles` first")
                user = self.sm.add_user(account["username"], account["first_name"], account["last_name"],
                                        account["email"], role, password=self.password, commit=False)
                if not user:
                    raise RuntimeError(f"could not create the demo account {account['username']}")
            self.users[account["username"]] = user
        self.session.flush()
        self.ensure_preferences(self.users.values(), {})

    def ensure_preferences(self, users, languages: dict[int, Language]) -> None:
        ids = [user.id for user in users]
        have = set(self.session.scalars(select(UserPreference.user_id).where(UserPreference.user_id.in_(ids))))
        self.session.add_all(UserPreference(user_id=uid, language=languages.get(uid, Language.FR))
                             for uid in ids if uid not in have)

    # --- partners, sites, teachers, enterprises ------------------------------------------------------

    def seed_organisations(self) -> None:
        self.partners = self.ensure(Partner, lambda p: p.name, [
            (spec["name"], {"name": spec["name"], "type": spec["type"], "region": self.regions[spec["region"]],
                            "email": spec["email"], "phone": spec["phone"]})
            for spec in data.PARTNERS])
        sites = self.ensure(Site, lambda s: (s.partner_id, s.name), [
            ((self.partners[spec["name"]].id, name), {
                "partner": self.partners[spec["name"]], "name": name, "address": address, "city": city,
                "postal_code": postal, "region": self.regions[region], "accessible": accessible,
                "accessibility_notes_fr": note_fr, "accessibility_notes_en": note_en})
            for spec in data.PARTNERS
            for _code, name, address, city, postal, region, accessible, note_fr, note_en, _w in spec["sites"]])
        teachers = self.ensure(Teacher, lambda tc: (tc.partner_id, tc.first_name, tc.last_name), [
            ((self.partners[spec["name"]].id, first, last), {
                "partner": self.partners[spec["name"]], "first_name": first, "last_name": last,
                "email": f"{slug(first)}.{slug(last)}@{spec['email'].split('@')[1]}",
                "bio_fr": "Enseignante ou enseignant de français langue seconde.",
                "bio_en": "Teacher of French as a second language."})
            for spec in data.PARTNERS for first, last in spec["teachers"]])
        # site code -> (site, weight); partner name -> teachers
        self.sites = {}
        self.teachers = defaultdict(list)
        for spec in data.PARTNERS:
            partner = self.partners[spec["name"]]
            for code, name, *_rest, weight in spec["sites"]:
                self.sites[code] = (sites[(partner.id, name)], weight)
            self.teachers[spec["name"]] = [teachers[(partner.id, first, last)] for first, last in spec["teachers"]]

        self.enterprises = self.ensure(Enterprise, lambda e: e.neq, [
            (neq, {"neq": neq, "name": name, "address": address, "region": self.regions[region],
                   "employee_count": count, "created_at": self.calendar.at(self.today - dt.timedelta(days=400), 600)})
            for neq, name, address, region, count, _code in data.ENTERPRISES])
        demo_partner = self.partners[data.DEMO_PARTNER]
        demo_enterprise = self.enterprises[data.ENTERPRISES[0][0]]
        self.ensure(PartnerMembership, lambda m: (m.user_id, m.partner_id), [
            ((self.users["partner"].id, demo_partner.id), {
                "user": self.users["partner"], "partner": demo_partner,
                "job_title": "Conseillère pédagogique en francisation"})])
        self.ensure(EnterpriseMembership, lambda m: (m.user_id, m.enterprise_id), [
            ((self.users["enterprise"].id, demo_enterprise.id), {
                "user": self.users["enterprise"], "enterprise": demo_enterprise,
                "job_title": "Directrice des ressources humaines"})])

    # --- catalogue ----------------------------------------------------------------------------------

    def seed_courses(self) -> None:
        wanted = []

        def course(code, fmt, level_min, level_max, hours, weeks, title_fr, title_en, extra_fr, extra_en,
                   field_code=None, with_tutor=False):
            stage = stage_of(level_min)
            goal_fr, goal_en = data.STAGE_GOALS[stage]
            stage_fr, stage_en = data.STAGES[stage]
            levels_fr = f"niveau {level_min}" if level_min == level_max else f"niveaux {level_min} à {level_max}"
            levels_en = f"level {level_min}" if level_min == level_max else f"levels {level_min} to {level_max}"
            wanted.append((code, {
                "code": code, "format": fmt, "level_min": level_min, "level_max": level_max,
                "hours_per_week": hours, "weeks": weeks, "total_hours": hours * weeks,
                "title_fr": title_fr, "title_en": title_en, "with_tutor": with_tutor,
                "field": self.fields[field_code] if field_code else None,
                "description_fr": f"Stade {stage_fr}, {levels_fr} de l'échelle québécoise des niveaux de "
                                  f"compétence en français. {goal_fr} {extra_fr}",
                "description_en": f"{stage_en.capitalize()} stage, {levels_en} of the Québec scale of French "
                                  f"proficiency levels. {goal_en} {extra_en}",
            }))

        for level in range(1, 13):
            hours = 25 if level <= 8 else 30
            course(f"TC-{level:02d}", CourseFormat.FULL_TIME, level, level, hours, 10,
                   f"Français à temps complet — niveau {level}", f"Full-time French — level {level}",
                   f"10 semaines, {hours} heures par semaine, du lundi au vendredi, de jour. Cours gratuit; "
                   "allocations de participation, de transport et de garde selon l'admissibilité.",
                   f"10 weeks, {hours} hours a week, Monday to Friday, daytime. Free of charge; participation, "
                   "transport and childcare allowances for those eligible.")
        for level in range(1, 13):
            hours = PART_TIME_HOURS[level]
            course(f"TP-{level:02d}", CourseFormat.PART_TIME, level, level, hours, 11,
                   f"Français à temps partiel — niveau {level}", f"Part-time French — level {level}",
                   f"11 semaines, {hours} heures par semaine, le soir ou la fin de semaine.",
                   f"11 weeks, {hours} hours a week, evenings or weekends.")
        for level in range(5, 9):
            course(f"EL-{level:02d}-T", CourseFormat.ONLINE, level, level, 4, 11,
                   f"Français en ligne avec tutorat — niveau {level}",
                   f"Online French with a tutor — level {level}",
                   "Classe virtuelle deux soirs par semaine avec une personne tutrice; accessible depuis "
                   "l'étranger.", "Virtual classroom two evenings a week with a tutor; open to people abroad.",
                   with_tutor=True)
            course(f"EL-{level:02d}-A", CourseFormat.ONLINE, level, level, 5, 11,
                   f"Français en ligne en autonomie — niveau {level}",
                   f"Self-paced online French — level {level}",
                   "Activités en ligne à son rythme, sans horaire fixe; accessible depuis l'étranger.",
                   "Self-paced online activities with no fixed schedule; open to people abroad.")
        for code, level_min, level_max, stage in (("MT-DEB", 1, 4, "beginner"), ("MT-INT", 5, 8, "intermediate"),
                                                  ("MT-AVA", 9, 12, "advanced")):
            stage_fr, stage_en = data.STAGES[stage]
            course(code, CourseFormat.WORKPLACE, level_min, level_max, 4, 11,
                   f"Français en milieu de travail — stade {stage_fr}",
                   f"French in the workplace — {stage_en} stage",
                   "Donné dans les locaux de l'entreprise selon un plan de formation convenu avec elle.",
                   "Taught at the business's premises following a training plan agreed with it.")
        for code, field_code, fmt, level_min, level_max, hours, title_fr, title_en in data.SPECIALISED_COURSES:
            weeks = 10 if fmt == CourseFormat.FULL_TIME else 11
            course(code, fmt, level_min, level_max, hours, weeks, title_fr, title_en,
                   "Vocabulaire, situations de communication et textes propres au domaine.",
                   "Vocabulary, communication situations and texts specific to the field.", field_code=field_code)
        self.courses = self.ensure(Course, lambda c: c.code, wanted)

    def seed_rules(self) -> None:
        """The allowance amounts of DESIGN §2: the allowance service's standard rules (data, not code)."""
        ensure_standard_rules(self.session)
        self.rule_book = RuleBook.load(self.session)

    # --- terms ------------------------------------------------------------------------------------

    def seed_terms(self) -> None:
        starts = term_starts(self.session, self.today)
        current = starts["current"]
        wanted = []
        for key, start in starts.items():
            code = term_code(start)
            if key == "upcoming":
                opens, closes = current + 4 * WEEK, start - WEEK
            else:
                opens, closes = start - 8 * WEEK, start - dt.timedelta(days=3)
            closed = {}
            day = start
            while day < start + 11 * WEEK:
                if (day.month, day.day) >= (12, 24) or (day.month, day.day) <= (1, 2):
                    if day.isoweekday() <= 5 and day not in self.calendar.holidays:
                        closed[day] = ("Congé des Fêtes", "Holiday break")
                day += dt.timedelta(days=1)
            for offset in (25, 49):  # a Friday and a Monday
                closed.setdefault(start + dt.timedelta(days=offset),
                                  ("Journée pédagogique", "Professional development day"))
            wanted.append((code, {
                "code": code, "starts_on": start, "ends_on": start + 11 * WEEK - dt.timedelta(days=1),
                "name_fr": f"Session du {format_date(start, 'd MMMM y', locale='fr_CA')}",
                "name_en": f"Session starting {format_date(start, 'MMMM d, y', locale='en_CA')}",
                "registration_opens": opens, "registration_closes": closes,
                "drop_deadline": start + 2 * WEEK, "use_offers": key == "upcoming", "offer_hours": 48,
                "closed_dates": [TermClosedDate(day=d, reason_fr=fr, reason_en=en)
                                 for d, (fr, en) in sorted(closed.items())],
            }))
        terms = self.ensure(Term, lambda term: term.code, wanted)
        self.terms = {key: terms[term_code(start)] for key, start in starts.items()}

    # --- sections -----------------------------------------------------------------------------------

    def section_plan(self, term_key: str) -> list[str]:
        """Course codes of the sections of a term, one entry per section (scale 1)."""
        codes = []
        for level in range(1, 13):
            per_level = 3 if level <= 4 else 2 if level <= 8 else 1
            if term_key == "previous":
                per_level = 1 if level <= 8 else 0
            codes += [f"TC-{level:02d}"] * per_level + [f"TP-{level:02d}"] * per_level
        online = [f"EL-{level:02d}-{kind}" for level in range(5, 9) for kind in ("T", "A")]
        specialised = [code for code, *_ in data.SPECIALISED_COURSES]
        if term_key == "current":
            codes += online + specialised + ["MT-DEB", "MT-INT", "MT-DEB"]
        elif term_key == "upcoming":
            codes += [c for c in online if c.endswith("-T")] + specialised[:4] + ["MT-DEB", "MT-INT"]
        else:
            codes += online[:4] + specialised[:2] + ["MT-DEB"]
        return codes

    # The first sections of some courses are placed at a given site: the demo learner's groups
    # and the beginner groups in Montréal where demand exceeds seats (waiting lists).
    FORCED_SITES = {
        ("previous", "TC-03"): "HING",
        ("current", "TC-04"): "HING",
        ("current", "TC-01"): "HING",
        ("current", "TC-02"): "THER",
        ("current", "TP-01"): "HING",
        ("upcoming", "TC-01"): "HING",
    }
    HOT = {("current", "TC-01"), ("current", "TC-02"), ("current", "TP-01"), ("upcoming", "TC-01")}
    ONLINE_PARTNERS = ["Université Laval", "Cégep de Sherbrooke", "Université du Québec à Trois-Rivières",
                       "Cégep de l'Outaouais"]

    def seed_sections(self) -> None:
        rng = self.rng
        term_ids = [term.id for term in self.terms.values()]
        existing = {(s.term_id, s.code): s for s in self.session.scalars(
            select(Section).where(Section.term_id.in_(term_ids)).options(selectinload(Section.meetings)))}
        in_person_sites = [(code, site, weight) for code, (site, weight) in self.sites.items()]
        full_time_sites = [(code, site, weight) for code, site, weight in in_person_sites
                           if site.partner.type != PartnerType.COMMUNITY]
        self.sections = {key: [] for key in self.terms}
        self.hot = set()
        enterprise_cycle = [self.enterprises[neq] for neq, *_ in data.ENTERPRISES]
        for term_key, term in self.terms.items():
            counters = defaultdict(int)
            seen = defaultdict(int)
            online_turn = 0
            workplace_turn = 0
            for _replica in range(self.scale):
                for course_code in self.section_plan(term_key):
                    course = self.courses[course_code]
                    seen[course_code] += 1
                    forced = self.FORCED_SITES.get((term_key, course_code))
                    is_hot = (term_key, course_code) in self.HOT and seen[course_code] <= self.scale
                    site = partner = enterprise = None
                    delivery = Delivery.IN_PERSON
                    if course.format == CourseFormat.ONLINE:
                        partner = self.partners[self.ONLINE_PARTNERS[online_turn % len(self.ONLINE_PARTNERS)]]
                        online_turn += 1
                        place, delivery = "WEB", Delivery.ONLINE
                    elif course.format == CourseFormat.WORKPLACE:
                        enterprise = enterprise_cycle[workplace_turn % 3]
                        workplace_turn += 1
                        partner = self.partners[data.WORKPLACE_PARTNERS[enterprise.neq]]
                        place = next(code for neq, *_rest, code in data.ENTERPRISES if neq == enterprise.neq)
                    else:
                        if forced and (seen[course_code] <= self.scale):
                            place = forced
                        else:
                            pool = full_time_sites if course.format == CourseFormat.FULL_TIME else in_person_sites
                            place = rng.choices([p[0] for p in pool], weights=[p[2] for p in pool])[0]
                        site = self.sites[place][0]
                        partner = site.partner
                    counters[(course_code, place)] += 1
                    code = f"{course_code}-{place}-{counters[(course_code, place)]:02d}"
                    section = existing.get((term.id, code))
                    if section is None:
                        section = self.new_section(term_key, term, course, code, partner, site, enterprise, delivery)
                        existing[(term.id, code)] = section
                    else:
                        self.draw_section_details(course)  # keep the random sequence independent of the database
                    self.sections[term_key].append(section)
                    if is_hot and forced:
                        self.hot.add(section)
        self.session.flush()

    def draw_section_details(self, course: Course) -> tuple:
        rng = self.rng
        if course.format == CourseFormat.FULL_TIME:
            capacity = rng.choice([18, 18, 20])
            pattern = rng.choice(FULL_TIME_PATTERNS[course.hours_per_week])
        elif course.format == CourseFormat.PART_TIME:
            capacity = rng.choice([15, 16, 18, 20])
            pattern = rng.choice(PART_TIME_PATTERNS[course.hours_per_week])
        elif course.format == CourseFormat.ONLINE:
            capacity = 25 if course.with_tutor else 40
            pattern = ONLINE_PATTERN if course.with_tutor else None
        else:
            capacity = 12
            pattern = rng.choice(WORKPLACE_PATTERNS)
        room = f"{rng.randint(101, 340)}"
        teacher_pick = rng.random()
        return capacity, pattern, room, teacher_pick

    def new_section(self, term_key, term, course, code, partner, site, enterprise, delivery) -> Section:
        capacity, pattern, room, teacher_pick = self.draw_section_details(course)
        teachers = self.teachers[partner.name]
        teacher = None if (course.format == CourseFormat.ONLINE and not course.with_tutor) else \
            teachers[int(teacher_pick * len(teachers))]
        starts = term.starts_on
        if course.format == CourseFormat.FULL_TIME:
            ends = starts + course.weeks * WEEK - dt.timedelta(days=3)
        else:
            ends = starts + course.weeks * WEEK - dt.timedelta(days=1)
        status = {"previous": SectionStatus.CLOSED, "current": SectionStatus.OPEN,
                  "upcoming": SectionStatus.OPEN}[term_key]
        notes_fr = notes_en = None
        if term_key == "upcoming" and course.code == "TP-12":
            status, notes_fr, notes_en = (SectionStatus.CANCELLED, "Groupe annulé faute d'inscriptions.",
                                          "Group cancelled for lack of registrations.")
        elif term_key == "upcoming" and course.code == "SP-ADMIN":
            status, notes_fr, notes_en = (SectionStatus.PLANNED, "Ouverture confirmée à la fin du mois.",
                                          "Opening to be confirmed at the end of the month.")
        if enterprise is not None:
            name = enterprise.name.rstrip(".")  # "… inc." ends the sentence once: no "inc.."
            notes_fr = french_elisions(f"Donné dans les locaux de {name}.")
            notes_en = f"Taught at the premises of {name}."
        if delivery == Delivery.ONLINE:
            room = "Classe virtuelle" if pattern else None
        elif enterprise is not None:
            room = "Salle de formation de l'entreprise"
        section = Section(
            code=code, course=course, term=term, site=site, partner=partner, teacher=teacher,
            enterprise_id=enterprise.id if enterprise else None, capacity=capacity, seats_taken=0, status=status,
            delivery=delivery, starts_on=starts, ends_on=ends, notes_fr=notes_fr, notes_en=notes_en)
        if pattern:
            weekdays, slots = pattern
            section.meetings = [Meeting(weekday=day, starts_at=t(start), ends_at=t(end), room=room)
                                for day in weekdays for start, end in slots]
        self.session.add(section)
        return section

    def seed_capacity(self) -> None:
        """What each partner declares it can offer in the current and upcoming terms, per format."""
        wanted = []
        for term_key in ("current", "upcoming"):
            term = self.terms[term_key]
            offered = defaultdict(list)
            for section in self.sections[term_key]:
                offered[(section.partner, section.course.format)].append(section)
            for (partner, fmt), sections in sorted(offered.items(), key=lambda kv: (kv[0][0].name, kv[0][1].value)):
                # partners declare a little more than they have opened: the gap is the point of the report
                groups = len(sections) + (1 if fmt == CourseFormat.PART_TIME else 0)
                seats = sum(s.capacity for s in sections) + (16 if fmt == CourseFormat.PART_TIME else 0)
                key = (partner.id, term.id, fmt, partner.region_id)
                wanted.append((key, {
                    "partner": partner, "term": term, "region_id": partner.region_id, "format": fmt,
                    "level_min": min(s.course.level_min for s in sections),
                    "level_max": max(s.course.level_max for s in sections),
                    "groups_offered": groups, "seats_offered": seats,
                    "declared_at": self.calendar.at(term.registration_opens - WEEK, 10 * 60),
                    "declared_by_id": self.users["partner"].id if partner.name == data.DEMO_PARTNER else None}))
        self.ensure(CapacityDeclaration, lambda c: (c.partner_id, c.term_id, c.format, c.region_id), wanted)

    # --- learners -----------------------------------------------------------------------------------

    def seed_learners(self) -> None:
        existing_files = set(self.session.scalars(
            select(Learner.file_number).where(Learner.file_number.like(FILE_PREFIX + "%"))))
        self.ledger = self.load_ledger()
        people = self.plan_people()
        self.index_pools()
        self.enterprise_by_id = {e.id: e for e in self.enterprises.values()}
        for story in SEATING_ORDER:
            for person in people:
                if person.story == story and person.file_number not in existing_files:
                    self.seat(person)
        new_people = [p for p in people if p.file_number not in existing_files]
        for person in new_people:
            if not person.enrolments:
                self.choose_format(person)
        if new_people:
            LearnerFiles(self, new_people).persist()
        for seats in self.ledger.values():
            if seats.section.seats_taken != seats.taken:
                seats.section.seats_taken = seats.taken

    def load_ledger(self) -> dict[int, Seats]:
        """Seats, waiting positions and finished places already given out in the demo sections."""
        sections = [s for term_sections in self.sections.values() for s in term_sections]
        ledger = {id(s): Seats(s, taken=s.seats_taken or 0) for s in sections}
        ids = {s.id: id(s) for s in sections if s.id is not None}
        if ids:
            rows = self.session.execute(
                select(Enrolment.section_id, Enrolment.status, func.count(), func.max(Enrolment.position))
                .where(Enrolment.section_id.in_(list(ids))).group_by(Enrolment.section_id, Enrolment.status))
            for section_id, status, count, last in rows:
                seats = ledger[ids[section_id]]
                if status == EnrolmentStatus.WAITLISTED:
                    seats.last_position = last or 0
                elif status in (EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED, EnrolmentStatus.DROPPED):
                    seats.finished += count
        return ledger

    def plan_people(self) -> list[Person]:
        stories = []
        for story, count in STORIES.items():
            stories += [story] * (count * self.scale + (self.scale - 1 if story == "enrolled" else 0))
        self.rng.shuffle(stories)
        people = [Person(index=1, story="demo", rng=random.Random(f"{SEED}:{DEMO_LEARNER_FILE}"),
                         category="immigrant", origin="west_africa")]
        for offset, story in enumerate(stories):
            index = offset + 2
            rng = random.Random(f"{SEED}:{FILE_PREFIX}{index:06d}")
            person = Person(index=index, story=story, rng=rng)
            if story in ("waiting", "upcoming_waiting"):
                weights = {"immigrant": 85, "canadian": 15}
            elif story in ("enrolled", "dropped", "upcoming", "closed"):
                weights = {"immigrant": 66, "canadian": 8, "abroad": 10, "business_employee": 16}
            else:
                weights = {"immigrant": 66, "canadian": 8, "abroad": 12, "business_employee": 14}
            person.category = rng.choices(list(weights), weights=list(weights.values()))[0]
            origins = data.ORIGIN_WEIGHTS[person.category]
            person.origin = rng.choices(list(origins), weights=list(origins.values()))[0]
            people.append(person)
        return people

    # seat assignment --------------------------------------------------------------------------------

    def index_pools(self) -> None:
        """Sections open to registration, by term and format (and the specialised ones), for quick picks."""
        self.pools: dict[tuple, list[Seats]] = defaultdict(list)
        self.hot_seats: dict[str, list[Seats]] = defaultdict(list)
        for term_key, sections in self.sections.items():
            for section in sections:
                if term_key != "previous" and section.status != SectionStatus.OPEN:
                    continue
                seats = self.ledger[id(section)]
                course = section.course
                self.pools[(term_key, course.format)].append(seats)
                self.pools[(term_key, course.format, course.level_max)].append(seats)
                if course.field_id is not None:
                    self.pools[(term_key, "field")].append(seats)
                if section in self.hot:
                    self.hot_seats[term_key].append(seats)

    @staticmethod
    def allowed_formats(person: Person) -> list[CourseFormat]:
        """Formats the registration rules allow: online only from abroad, workplace for employees."""
        if person.category == "abroad":
            return [CourseFormat.ONLINE]
        formats = [CourseFormat.FULL_TIME, CourseFormat.PART_TIME, CourseFormat.ONLINE]
        return [CourseFormat.WORKPLACE] + formats if person.category == "business_employee" else formats

    def wanted_format(self, person: Person) -> CourseFormat:
        if person.category == "abroad":
            return CourseFormat.ONLINE
        if person.category == "business_employee":
            return CourseFormat.WORKPLACE
        weights = {CourseFormat.FULL_TIME: 50, CourseFormat.PART_TIME: 44, CourseFormat.ONLINE: 6}
        return person.rng.choices(list(weights), weights=list(weights.values()))[0]

    def choose_format(self, person: Person) -> None:
        person.format = self.wanted_format(person)
        if person.category == "business_employee":
            person.enterprise = self.enterprises[person.rng.choice(data.ENTERPRISES)[0]]

    @staticmethod
    def pick_from(pool: list[Seats], rng: random.Random, ok) -> Seats | None:
        """A random acceptable entry of a pool: a few random draws, then a scan (pools can be large)."""
        for _ in range(8):
            if not pool:
                return None
            seats = rng.choice(pool)
            if ok(seats):
                return seats
        acceptable = [seats for seats in pool if ok(seats)]
        return rng.choice(acceptable) if acceptable else None

    def pick_seat(self, person: Person, term_key: str, prefer_hot: bool) -> Seats | None:
        """A section with a free seat in the person's wanted format (hot sections first when asked)."""
        rng = person.rng
        fmt = self.wanted_format(person)
        if prefer_hot and person.category in ("immigrant", "canadian"):
            # beginners in Montréal take the groups in demand first, whatever format they hoped for
            for seats in self.hot_seats[term_key]:
                if not seats.full:
                    return seats
        free = lambda seats: not seats.full and seats.section not in self.hot
        if fmt in (CourseFormat.FULL_TIME, CourseFormat.PART_TIME) and rng.random() < 0.08:
            seats = self.pick_from(self.pools[(term_key, "field")], rng, free)
            if seats is not None:
                return seats
        for candidate in [fmt] + [f for f in self.allowed_formats(person) if f != fmt]:
            seats = self.pick_from(self.pools[(term_key, candidate)], rng, free)
            if seats is not None:
                return seats
        return None

    def seat(self, person: Person) -> None:
        story, rng = person.story, person.rng
        if story == "demo":
            previous = self.ledger[id(self.find_section("previous", "TC-03", "HING"))]
            current = self.ledger[id(self.find_section("current", "TC-04", "HING"))]
            self.take(person, previous, EnrolmentStatus.COMPLETED)
            self.take(person, current, EnrolmentStatus.ENROLLED)
            person.level, person.placement_level, person.format = 4, 3, CourseFormat.FULL_TIME
            return
        if story in ("enrolled", "dropped", "upcoming"):
            term_key = "upcoming" if story == "upcoming" else "current"
            seats = self.pick_seat(person, term_key, prefer_hot=story != "dropped")
            if seats is None:
                person.story = "complete"
                return
            if story == "dropped":
                start = seats.section.starts_on + dt.timedelta(days=3)
                last = max(start, self.today - dt.timedelta(days=2))
                ended = self.calendar.working_day_on_or_before(
                    start + dt.timedelta(days=rng.randint(0, (last - start).days)))
                self.take(person, seats, EnrolmentStatus.DROPPED, reason=rng.choice(data.DROP_REASONS),
                          ended_on=max(ended, seats.section.starts_on))
            else:
                self.take(person, seats, EnrolmentStatus.ENROLLED)
            course = seats.section.course
            person.level = person.placement_level = rng.randint(course.level_min, course.level_max)
            if story == "enrolled" and person.level > 1 and rng.random() < 0.4:
                self.seat_previous(person, seats.section)
        elif story in ("waiting", "upcoming_waiting"):
            term_key = "upcoming" if story == "upcoming_waiting" else "current"
            full = [s for s in self.hot_seats[term_key] if s.full]
            if not full:
                person.story = "enrolled" if term_key == "current" else "upcoming"
                self.seat(person)
                return
            seats = full[person.index % len(full)]
            self.take(person, seats, EnrolmentStatus.WAITLISTED)
            course = seats.section.course
            person.level = person.placement_level = rng.randint(course.level_min, course.level_max)
        elif story == "closed":
            fmt = rng.choice(self.allowed_formats(person))
            seats = self.pick_from(self.pools[("previous", fmt)], rng,
                                   lambda s: s.finished < s.section.capacity)
            if seats is None:
                person.story = "complete"
                return
            status = EnrolmentStatus.FAILED if rng.random() < 0.25 else EnrolmentStatus.COMPLETED
            self.take(person, seats, status)
            course = seats.section.course
            person.placement_level = course.level_min
            person.level = min(12, course.level_max + (1 if status == EnrolmentStatus.COMPLETED else 0))
        last = person.enrolments[-1].section if person.enrolments else None
        if last is not None:
            person.format = last.course.format
            if last.course.format == CourseFormat.WORKPLACE:
                person.enterprise = self.enterprise_by_id[last.enterprise_id]
            elif person.category == "business_employee":
                person.enterprise = self.enterprises[rng.choice(data.ENTERPRISES)[0]]

    def seat_previous(self, person: Person, current: Section) -> None:
        """A returning learner: the level before, completed in the previous term, same format (and employer)."""
        course = current.course
        pool = self.pools[("previous", course.format, course.level_min - 1)]
        seats = self.pick_from(pool, person.rng, lambda s: s.finished < s.section.capacity
                               and s.section.enterprise_id == current.enterprise_id)
        if seats is not None:
            self.take(person, seats, EnrolmentStatus.COMPLETED, first=True)
            person.placement_level = course.level_min - 1

    def find_section(self, term_key: str, course_code: str, place: str) -> Section:
        prefix = f"{course_code}-{place}-"
        return next(s for s in self.sections[term_key] if s.code.startswith(prefix))

    def take(self, person: Person, seats: Seats, status: EnrolmentStatus, *, reason: str | None = None,
             ended_on: dt.date | None = None, first: bool = False) -> None:
        """Book a planned enrolment against the ledger: a seat while there is one, else the waiting list."""
        position = None
        if status == EnrolmentStatus.ENROLLED and seats.full:
            status = EnrolmentStatus.WAITLISTED
        if status == EnrolmentStatus.WAITLISTED and not seats.full:
            status = EnrolmentStatus.ENROLLED
        if status == EnrolmentStatus.ENROLLED:
            seats.taken += 1
        elif status == EnrolmentStatus.WAITLISTED:
            seats.last_position += 1
            position = seats.last_position
        else:
            seats.finished += 1
        planned = PlannedEnrolment(seats.section, status, position, reason, ended_on)
        if first:
            person.enrolments.insert(0, planned)
        else:
            person.enrolments.append(planned)

    # --- enterprise requests -----------------------------------------------------------------------

    def seed_enterprise_requests(self) -> None:
        """Requests of the enterprises created by this run (an enterprise keeps its own afterwards)."""
        specs = [
            ("1164823907", 14, 1, 4, RequestStatus.IN_PROGRESS, data.DEMO_PARTNER, 150, True,
             "Deux séances de deux heures par semaine, avant le quart de jour."),
            ("1164823907", 8, 5, 8, RequestStatus.SUBMITTED, None, 6, True,
             "Employés de l'entrepôt; horaire de soir souhaité."),
            ("1172056341", 10, 5, 8, RequestStatus.SCHEDULED, "Centre de services scolaire de la Capitale", 40, False,
             "Formation à l'heure du dîner, mardi et jeudi."),
            ("1148390275", 20, 1, 4, RequestStatus.ASSIGNED, "Centre de services scolaire Marie-Victorin", 25, False,
             "Travailleurs agricoles saisonniers; horaire adapté aux quarts de travail dans les serres."),
            ("1159274618", 6, 5, 8, RequestStatus.COMPLETED, "Cégep de Sherbrooke", 300, False,
             "Préposées et préposés aux bénéficiaires."),
            ("1159274618", 5, 9, 12, RequestStatus.CANCELLED, None, 90, False,
             "Demande annulée par l'entreprise : projet reporté."),
        ]
        have = set(self.session.scalars(select(EnterpriseRequest.enterprise_id).distinct()))
        for neq, count, level_min, level_max, status, partner_name, days_ago, by_rep, notes in specs:
            enterprise = self.enterprises[neq]
            if enterprise.id in have:
                continue
            created = self.calendar.at(self.today - dt.timedelta(days=days_ago), 10 * 60 + 15)
            self.session.add(EnterpriseRequest(
                enterprise=enterprise, requested_by_id=self.users["enterprise"].id if by_rep else None,
                employees_count=count, site_address=enterprise.address, region_id=enterprise.region_id,
                format=CourseFormat.WORKPLACE, level_min=level_min, level_max=level_max, schedule_notes=notes,
                status=status, partner=self.partners[partner_name] if partner_name else None, created_at=created,
                assigned_at=created + dt.timedelta(days=9) if partner_name else None))


# --- one learner's file, persisted in bulk ----------------------------------------------------------

class LearnerFiles:
    """Turns planned people into rows: accounts, learners, applications, records, money, notes."""

    def __init__(self, builder: DemoBuilder, people: list[Person]) -> None:
        self.b = builder
        self.session = builder.session
        self.people = people
        self.today = builder.today
        self.calendar = builder.calendar
        self.agent_id = builder.users["agent"].id
        self.partner_user_id = builder.users["partner"].id
        self.meeting_days: dict[int, list[tuple[dt.date, Decimal]]] = {}

    def persist(self) -> None:
        self.create_learners()
        self.create_applications()
        self.create_enrolments()
        self.create_records()
        self.create_allowances()
        self.create_notes_and_messages()

    # identity ---------------------------------------------------------------------------------------

    def create_learners(self) -> None:
        b = self.b
        learner_role = b.sm.find_role(LEARNER)
        hashed = generate_password_hash(
            b.password, method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
            salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))
        languages = {}
        accounts = []
        for person in self.people:
            person.timeline = self.timeline(person)
        for person in self.people:
            rng = person.rng
            if person.story == "demo":
                account = next(a for a in DEMO_ACCOUNTS if a["username"] == "learner")
                first, last = account["first_name"], account["last_name"]
            else:
                firsts, lasts = data.NAMES[person.origin]
                first, last = rng.choice(firsts), rng.choice(lasts)
            person.first_name, person.last_name = first, last
            person.language = Language.FR if (person.story == "demo" or rng.random()
                                              < data.FRENCH_PREFERENCE[person.origin]) else Language.EN
            if person.story == "demo":
                account = b.users["learner"]
                linked = self.session.scalar(select(Learner.id).where(Learner.user_id == account.id))
                person.user = None if linked else account
                person.email = account.email
            else:
                username = f"{slug(first)}.{slug(last)}.{person.index:04d}"
                person.email = f"{username}@courriel.example"
                # most people apply online with an account; some files are opened at the counter
                person.user = None
                if rng.random() < 0.9:
                    person.user = b.sm.user_model(
                        first_name=first[:64], last_name=last[:64], username=username, email=person.email,
                        password=hashed, active=True, roles=[learner_role])
                    accounts.append(person.user)
            person.region = self.region_for(person)
        self.session.add_all(accounts)
        self.session.flush()
        for person in self.people:
            if person.user is not None:
                languages[person.user.id] = person.language
        b.ensure_preferences([p.user for p in self.people if p.user is not None], languages)

        learners = []
        for person in self.people:
            learners.append(self.learner_row(person))
        self.session.add_all(learners)
        self.session.flush()

    def region_for(self, person: Person) -> Region:
        b = self.b
        first = person.enrolments[0].section if person.enrolments else None
        if person.story == "demo":
            return b.regions["06"]
        if first is not None and first.site is not None:
            return first.site.region
        if person.enterprise is not None:
            return person.enterprise.region
        codes = list(data.REGION_WEIGHTS)
        return b.regions[person.rng.choices(codes, weights=list(data.REGION_WEIGHTS.values()))[0]]

    def learner_row(self, person: Person) -> Learner:
        b, rng, today = self.b, person.rng, self.today
        demo = person.story == "demo"
        age = 34 if demo else rng.choice([16, 17] + list(range(19, 66)) * 3)
        birth = dt.date(today.year - age, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
        if birth > dt.date(today.year - 16, today.month, min(today.day, 28)):
            birth = dt.date(today.year - 17, birth.month, min(birth.day, 28))
        category = person.category
        status = None
        arrival = None
        if category == "immigrant":
            weights = {"permanent_resident": 40, "temporary_worker": 16, "international_student": 8,
                       "asylum_seeker": 14, "refugee": 10, "family_member": 12}
            status = "permanent_resident" if demo else rng.choices(list(weights), weights=list(weights.values()))[0]
            arrival = today - dt.timedelta(days=420 if demo else rng.randint(45, 5 * 365))
        elif category == "abroad":
            status = rng.choices(["permanent_resident", "temporary_worker", "international_student"],
                                 weights=[60, 25, 15])[0]
        elif category == "business_employee":
            status = rng.choices(["temporary_worker", "permanent_resident", "refugee"], weights=[50, 40, 10])[0]
            arrival = today - dt.timedelta(days=rng.randint(200, 3 * 365))
        support = None
        if category in ("immigrant", "canadian") and not demo and rng.random() < 0.16:
            support = rng.choices(["last_resort_aid", "employment_insurance", "cnesst", "qpip"],
                                  weights=[40, 35, 12, 13])[0]
        region = person.region
        city, areas = data.REGION_PLACES[region.code]
        if category == "abroad":
            address, postal = rng.choice(data.ABROAD_PLACES.get(person.origin, ["Paris, France"])), None
        else:
            address = f"{rng.randint(10, 9800)}, {rng.choice(data.STREETS)}, {city}"
            postal = f"{rng.choice(areas)} {rng.randint(1, 9)}{rng.choice('ABCEGHJKLMNPRSTVXY')}{rng.randint(1, 9)}"
        phone_area = {"06": "514", "13": "450", "16": "450", "15": "450", "14": "450", "03": "418", "12": "418",
                      "02": "418", "01": "418", "09": "418", "11": "418"}.get(region.code, "819")
        person.learner = Learner(
            file_number=person.file_number, user=person.user, first_name=person.first_name,
            last_name=person.last_name, email=person.email,
            phone=None if category == "abroad" else f"{phone_area} 555-{rng.randint(0, 9999):04d}",
            birth_date=birth, category=b.categories[category],
            status=b.statuses[status] if status else None, income_support=b.supports[support] if support else None,
            arrival_date=arrival, region=region, living_abroad=category == "abroad", address=address,
            postal_code=postal, preferred_language=person.language, current_level=person.level,
            children_in_care=1 if demo else rng.choices([0, 1, 2, 3], weights=[72, 14, 10, 4])[0],
            consent_data_sharing=demo or rng.random() < 0.6,
            consent_employer_progress=category == "business_employee" and rng.random() < 0.8,
            enterprise=person.enterprise if category == "business_employee" else None,
            created_at=person.timeline[0][1],
        )
        return person.learner

    # applications ----------------------------------------------------------------------------------

    def create_applications(self) -> None:
        events = []
        placements = []
        applications = [self.application_row(person) for person in self.people]
        self.session.add_all(applications)
        self.session.flush()
        for person in self.people:
            application = person.application
            previous = None
            for status, at, by_agent, note in person.timeline:
                events.append({"application_id": application.id, "from_status": previous, "to_status": status,
                               "actor_id": self.agent_id if by_agent else (person.user.id if person.user else None),
                               "at": at, "note": note,
                               # the agent's own note when the file is found complete: staff only
                               "internal": bool(by_agent and note and status == ApplicationStatus.COMPLETE)})
                previous = status
            if person.placed_on is not None:
                level = person.placement_level or person.level or 1
                rng = person.rng
                for skill in Skill:
                    shift = {Skill.ORAL_COMPREHENSION: 1, Skill.ORAL_PRODUCTION: 0,
                             Skill.WRITTEN_COMPREHENSION: 0, Skill.WRITTEN_PRODUCTION: -1}[skill]
                    skill_level = max(1, min(12, level + (shift if rng.random() < 0.6 else 0)))
                    placements.append({"learner_id": person.learner.id, "application_id": application.id,
                                       "skill": skill, "level": skill_level, "assessed_on": person.placed_on,
                                       "assessor_id": self.agent_id})
                placements.append({"learner_id": person.learner.id, "application_id": application.id, "skill": None,
                                   "level": level, "assessed_on": person.placed_on, "assessor_id": self.agent_id})
        self.bulk(ApplicationEvent, events)
        self.bulk(PlacementResult, placements)

    def timeline(self, person: Person) -> list[tuple]:
        """The application's transitions (status, instant, by an agent, note); sets the key dates.

        Within a day the learner starts a draft before 8:30, submits during the day, an agent asks
        for documents at 9:30, the document comes back at 11:00, the file is complete at 16:50 and
        decisions are taken after that on the same day (or at office hours on a later day).
        """
        cal, rng, today, terms = self.calendar, person.rng, self.today, self.b.terms
        story = person.story
        office = lambda: rng.randint(8 * 60 + 30, 16 * 60 + 30)
        yesterday = today - dt.timedelta(days=1)
        person.first_course = person.placed_on = person.decision_reason = None
        person.submitted = person.completed = person.decided = None
        first = next((e.section for e in person.enrolments), None)
        if story == "draft":
            created = today - dt.timedelta(days=rng.randint(1, 30))
            return [(ApplicationStatus.DRAFT, cal.at(created, rng.randint(7 * 60, 8 * 60 + 29)), False, None)]
        if story in ("submitted", "documents"):
            submitted = cal.shift(today, -(rng.randint(1, 8) if story == "submitted" else rng.randint(6, 25)))
            completed = None
        else:
            if story in ("demo", "enrolled", "dropped", "closed") and first is not None:
                delay = rng.randint(8, 50) if rng.random() < 0.75 else rng.randint(51, 95)
                completed = cal.shift(first.starts_on, -delay)
                person.first_course = first.starts_on
            elif story == "upcoming":
                completed = cal.shift(today, -rng.randint(5, 60))
            elif story == "upcoming_waiting":
                completed = cal.shift(today, -rng.randint(15, 60))
            elif story == "waiting":
                # approved before the current term's registration closed, then put on the waiting list
                completed = cal.shift(terms["current"].registration_closes, -rng.randint(10, 60))
            elif story == "complete":
                completed = cal.shift(today, -rng.randint(1, 70))
            else:  # refused, withdrawn
                completed = cal.shift(today, -rng.randint(10, 120))
            submitted = cal.shift(completed, -rng.randint(0, 10))
        created = submitted - dt.timedelta(days=rng.randint(0, 4))
        events = [(ApplicationStatus.DRAFT, cal.at(created, rng.randint(7 * 60, 8 * 60 + 29)), False, None),
                  (ApplicationStatus.SUBMITTED, cal.at(submitted, office()), False, None)]
        person.submitted, person.completed = submitted, completed
        if story == "documents":
            asked = cal.shift(submitted, 2)
            events.append((ApplicationStatus.DOCUMENTS_REQUESTED, cal.at(asked, 9 * 60 + 30), True,
                           rng.choice(data.DOCUMENT_REQUESTS)))
            return events
        if story == "submitted":
            return events
        if (completed - submitted).days >= 4 and rng.random() < 0.35:
            asked = cal.shift(submitted, 1)
            back = min(cal.shift(asked, 1), completed)
            events.append((ApplicationStatus.DOCUMENTS_REQUESTED, cal.at(asked, 9 * 60 + 30), True,
                           rng.choice(data.DOCUMENT_REQUESTS)))
            events.append((ApplicationStatus.SUBMITTED, cal.at(back, 11 * 60), False, "Document ajouté au dossier."))
        if story == "withdrawn" and rng.random() < 0.4:
            person.decision_reason = rng.choice(data.WITHDRAWAL_REASONS)
            events.append((ApplicationStatus.WITHDRAWN, cal.at(completed, 16 * 60 + 45), False,
                           person.decision_reason))
            person.completed = None
            return events
        events.append((ApplicationStatus.COMPLETE, cal.at(completed, 16 * 60 + 50), True,
                       "Pièces vérifiées : dossier complet." if completed.day % 2 else None))
        if story == "complete":
            if rng.random() < 0.5:
                person.placed_on = min(cal.shift(completed, rng.randint(1, 10)), yesterday)
                person.level = person.placement_level = rng.choices(
                    range(1, 11), weights=[9, 8, 7, 6, 5, 4, 3, 2, 2, 1])[0]
            return events
        if story == "withdrawn":
            person.decision_reason = rng.choice(data.WITHDRAWAL_REASONS)
            withdrawn = cal.shift(completed, rng.randint(2, 15))
            events.append((ApplicationStatus.WITHDRAWN, cal.at(min(withdrawn, yesterday), office()), False,
                           person.decision_reason))
            return events
        decided = cal.shift(completed, rng.randint(2, 8))
        if first is not None:
            decided = min(decided, first.starts_on - dt.timedelta(days=3))
        decided = max(min(decided, yesterday), completed)
        person.decided = decided
        decided_at = cal.at(decided, 17 * 60 + 5 if decided == completed else office())
        if story == "refused":
            person.decision_reason = rng.choice(data.REFUSAL_REASONS)
            events.append((ApplicationStatus.REFUSED, decided_at, True, person.decision_reason))
            return events
        person.placed_on = max(completed, cal.shift(decided, -1))
        person.decision_reason = "Personne admissible; classement fait."
        events.append((ApplicationStatus.APPROVED, decided_at, True, person.decision_reason))
        if story == "closed" and first is not None:
            closed_on = min(first.ends_on + dt.timedelta(days=rng.randint(5, 15)), yesterday)
            events.append((ApplicationStatus.CLOSED, cal.at(closed_on, office()), True, rng.choice(data.CLOSE_NOTES)))
        return events

    def application_row(self, person: Person) -> Application:
        status = person.timeline[-1][0]
        fmt = person.format
        preferences = {
            CourseFormat.FULL_TIME: {"periods": ["day"], "weekdays": [1, 2, 3, 4, 5]},
            CourseFormat.PART_TIME: {"periods": [person.rng.choice(["evening", "weekend"])]},
            CourseFormat.ONLINE: {"periods": ["evening"], "online": True},
            CourseFormat.WORKPLACE: {"at_work": True},
        }[fmt]
        abroad = person.category == "abroad"
        eligibility = None
        if person.completed is not None:
            eligibility = {"age_16_or_more": True, "domiciled_in_quebec": not abroad, "preparing_to_settle": abroad,
                           "status_gives_access": True, "not_in_compulsory_schooling": True}
            if status == ApplicationStatus.REFUSED:
                eligibility["domiciled_in_quebec"] = False
        person.application = Application(
            learner=person.learner, format_wanted=fmt, schedule_preferences=preferences, region=person.region,
            status=status, created_at=person.timeline[0][1],
            submitted_at=self.calendar.at(person.submitted, 9 * 60) if person.submitted else None,
            complete_at=self.calendar.at(person.completed, 16 * 60 + 50) if person.completed else None,
            decided_at=next((at for st, at, *_ in person.timeline
                             if st in (ApplicationStatus.APPROVED, ApplicationStatus.REFUSED)), None),
            first_course_at=person.first_course,
            assigned_agent_id=self.agent_id if status not in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED)
            or person.rng.random() < 0.3 else None,
            decision_reason=person.decision_reason, eligibility=eligibility,
            consent_truthful=status != ApplicationStatus.DRAFT, consent_privacy=status != ApplicationStatus.DRAFT)
        return person.application

    # enrolments -------------------------------------------------------------------------------------

    def create_enrolments(self) -> None:
        waiting = defaultdict(list)
        rows = []
        for person in self.people:
            for planned in person.enrolments:
                section, term = planned.section, planned.section.term
                rng = person.rng
                window_end = min(term.registration_closes, self.today - dt.timedelta(days=1))
                span = max(0, (window_end - term.registration_opens).days - 2)
                created = self.calendar.at(term.registration_opens + dt.timedelta(days=rng.randint(0, span)),
                                           rng.randint(7 * 60, 22 * 60))
                if person.decided is not None:
                    created = max(created, self.calendar.at(person.decided, 17 * 60 + 30))
                enrolment = Enrolment(learner_id=person.learner.id, section_id=section.id, status=planned.status,
                                      position=planned.position, reason=planned.reason, created_at=created)
                if planned.status != EnrolmentStatus.WAITLISTED:
                    enrolment.enrolled_at = created
                if planned.status == EnrolmentStatus.DROPPED:
                    enrolment.ended_at = self.calendar.at(planned.ended_on, 12 * 60)
                elif planned.status in (EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED):
                    enrolment.ended_at = self.calendar.at(section.ends_on, 16 * 60)
                else:
                    waiting[id(section)].append((enrolment, term))
                planned.row = enrolment
                rows.append(enrolment)
        # people joined a waiting list in the order of their positions, after the last seat went
        for pairs in waiting.values():
            queue = sorted((e for e, _ in pairs if e.status == EnrolmentStatus.WAITLISTED), key=lambda e: e.position)
            if not queue:
                continue
            term = pairs[0][1]
            last_seat = max([e.created_at for e, _ in pairs if e.status == EnrolmentStatus.ENROLLED], default=None)
            end = self.calendar.at(min(term.registration_closes, self.today - dt.timedelta(days=1)), 20 * 60)
            for rank, enrolment in enumerate(queue, start=1):
                enrolment.created_at = end - dt.timedelta(hours=3 * (len(queue) - rank + 1))
                if last_seat is not None and enrolment.created_at <= last_seat:
                    enrolment.created_at = last_seat + dt.timedelta(minutes=10 * rank)
        self.session.add_all(rows)
        self.session.flush()

    # attendance and results ------------------------------------------------------------------------

    def days_of(self, section: Section) -> list[tuple[dt.date, Decimal]]:
        """Every class day of a section with its scheduled hours (holidays and closed days excluded)."""
        if section.id not in self.meeting_days:
            per_weekday = defaultdict(Decimal)
            for meeting in section.meetings:
                per_weekday[meeting.weekday] += hours_between(meeting.starts_at, meeting.ends_at)
            closed = {c.day for c in section.term.closed_dates}
            closed.update(class_free_holidays(section.starts_on, section.ends_on))
            days = []
            day = section.starts_on
            while day <= section.ends_on:
                if day.isoweekday() in per_weekday and day not in closed:
                    days.append((day, per_weekday[day.isoweekday()]))
                day += dt.timedelta(days=1)
            self.meeting_days[section.id] = days
        return self.meeting_days[section.id]

    def create_records(self) -> None:
        attendance = []
        results = []
        for person in self.people:
            rng = person.rng
            steady = rng.random() < 0.85
            for planned in person.enrolments:
                if planned.status == EnrolmentStatus.WAITLISTED:
                    continue
                section = planned.section
                cutoff = self.today - dt.timedelta(days=1)
                if planned.ended_on is not None:
                    cutoff = planned.ended_on - dt.timedelta(days=1)
                presence = {EnrolmentStatus.DROPPED: 0.7, EnrolmentStatus.FAILED: 0.65}.get(
                    planned.status, 0.94 if steady else 0.78)
                recorded_by = self.partner_user_id if section.partner.name == data.DEMO_PARTNER else None
                for day, hours in self.days_of(section):
                    if day > cutoff:
                        break
                    draw = rng.random()
                    justified = False
                    if draw < presence:
                        present = hours
                    elif draw < presence + (1 - presence) / 2:
                        present = max(Decimal("0.50"), hours - Decimal(1))
                    else:
                        present = Decimal("0.00")
                        justified = rng.random() < 0.4
                    planned.days.append((day, hours, present, justified))
                    attendance.append({"enrolment_id": planned.row.id, "day": day, "hours_scheduled": hours,
                                       "hours_present": present, "justified": justified,
                                       "recorded_by_id": recorded_by})
                if planned.status in (EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED):
                    course = section.course
                    taken_on = section.ends_on - dt.timedelta(days=2)
                    evaluator = str(section.teacher) if section.teacher else section.partner.name
                    for number, skill in enumerate(Skill):
                        passed = planned.status == EnrolmentStatus.COMPLETED or number % 2 == 0
                        results.append({"learner_id": person.learner.id, "section_id": section.id, "skill": skill,
                                        "level": course.level_max, "passed": passed, "taken_on": taken_on,
                                        "evaluator": evaluator})
        self.bulk(Attendance, attendance)
        self.bulk(ExamResult, results)

    # allowances and payments -----------------------------------------------------------------------

    def create_allowances(self) -> None:
        """Each week that is over, the allowances the allowance service computes from the attendance;
        then the service's payment batches every two weeks, for the periods whose pay day has passed."""
        rows = []
        for person in self.people:
            facts = LearnerFacts.of(person.learner)
            weeks = defaultdict(list)
            for planned in person.enrolments:
                section = planned.section
                for day, hours, present, _justified in planned.days:
                    weeks[week_of(day)].append(AttendanceDay(
                        planned.row.id, section.course.format, section.delivery == Delivery.IN_PERSON, day, hours,
                        present))
            for week_start, days in sorted(weeks.items()):
                week_end = week_start + dt.timedelta(days=6)
                if week_end >= self.today:
                    continue
                status = (AllowanceStatus.APPROVED if week_end <= self.today - dt.timedelta(days=4)
                          else AllowanceStatus.PENDING)
                for due in dues_for_week(self.b.rule_book, facts, week_start, days):
                    rows.append({
                        "learner_id": facts.id, "enrolment_id": due.enrolment_id, "period_start": week_start,
                        "period_end": week_end, "kind": due.kind, "sequence": 0, "quantity": due.quantity,
                        "amount": due.amount, "status": status, "rule_id": due.rule.id if due.rule else None,
                        "note": due.note, "created_at": self.calendar.at(week_end, 23 * 60)})
        self.bulk(Allowance, rows)
        self.pay_fortnights(rows)

    def pay_fortnights(self, rows: list[dict]) -> None:
        """Pay the new learners' allowances by two-week periods from the first week owed, on the
        Thursday after each period, through the allowance service's payment batch."""
        if not rows:
            return
        learner_ids = sorted({row["learner_id"] for row in rows})
        start = min(row["period_start"] for row in rows)
        while True:
            end = start + dt.timedelta(days=13)
            pay_day = end + dt.timedelta(days=4)
            if pay_day >= self.today:
                break
            for first in range(0, len(learner_ids), 5000):
                pay_batch(self.session, start, end, pay_day, learner_ids=learner_ids[first:first + 5000])
            start += 2 * WEEK

    # notes, messages, access log, availability ----------------------------------------------------

    def create_notes_and_messages(self) -> None:
        from .messaging import render

        notes, messages, availability = [], [], []
        cal, today = self.calendar, self.today
        for person in self.people:
            rng, learner = person.rng, person.learner
            status = person.application.status
            drops = [p for p in person.enrolments if p.status == EnrolmentStatus.DROPPED]
            waits = [p for p in person.enrolments if p.status == EnrolmentStatus.WAITLISTED]
            if drops:
                follow = drops[0].ended_on + dt.timedelta(days=10)
                notes.append({"learner_id": learner.id, "author_id": self.agent_id,
                              "body": f"Abandon du groupe {drops[0].section.code} : {drops[0].reason} "
                                      "Relancer pour proposer un autre horaire.",
                              "follow_up_on": follow, "follow_up_done": follow < today,
                              "created_at": cal.at(drops[0].ended_on, 14 * 60)})
            if waits:
                notes.append({"learner_id": learner.id, "author_id": self.agent_id,
                              "body": f"En position {waits[0].position} sur la liste d'attente du groupe "
                                      f"{waits[0].section.code}; proposer un cours à temps partiel en attendant.",
                              "follow_up_on": today + dt.timedelta(days=rng.randint(3, 21)), "follow_up_done": False,
                              "created_at": cal.at(today - dt.timedelta(days=rng.randint(1, 10)), 11 * 60)})
            if status == ApplicationStatus.DOCUMENTS_REQUESTED:
                notes.append({"learner_id": learner.id, "author_id": self.agent_id,
                              "body": f"Relance : {person.timeline[-1][3]}",
                              "follow_up_on": today + dt.timedelta(days=rng.randint(2, 10)), "follow_up_done": False,
                              "created_at": person.timeline[-1][1]})
            if status == ApplicationStatus.COMPLETE and cal.shift(person.completed, 50) < today:
                notes.append({"learner_id": learner.id, "author_id": self.agent_id,
                              "body": "Norme de 50 jours ouvrables dépassée : offrir un cours à temps partiel ou en "
                                      "ligne en attendant une place à temps complet.",
                              "follow_up_on": today + dt.timedelta(days=2), "follow_up_done": False,
                              "created_at": cal.at(today - dt.timedelta(days=1), 9 * 60)})
            seated = [p for p in person.enrolments if p.status == EnrolmentStatus.ENROLLED]
            if seated and seated[0].section.partner.name == data.DEMO_PARTNER and rng.random() < 0.25:
                notes.append({"learner_id": learner.id, "author_id": self.partner_user_id,
                              "partner_id": seated[0].section.partner_id, "body": rng.choice(data.PARTNER_NOTES),
                              "follow_up_on": None, "follow_up_done": False,
                              "created_at": cal.at(today - dt.timedelta(days=rng.randint(1, 20)), 15 * 60)})
            if person.user is not None and person.application.created_at.date() >= today - dt.timedelta(days=45):
                messages.append(self.message(render, person, "welcome", {"name": learner.first_name},
                                             person.application.created_at))
            if status == ApplicationStatus.DOCUMENTS_REQUESTED:
                text = {Language.FR: "Il manque un document à votre demande : veuillez le déposer dans votre dossier.",
                        Language.EN: "A document is missing from your application: please upload it to your file."}
                messages.append(self.message(render, person, "notice",
                                             {"name": learner.first_name, "text": text[learner.preferred_language]},
                                             person.timeline[-1][1]))
            if waits:
                text = {Language.FR: f"Vous êtes en position {waits[0].position} sur la liste d'attente du groupe "
                                     f"{waits[0].section.code}.",
                        Language.EN: f"You are number {waits[0].position} on the waiting list of group "
                                     f"{waits[0].section.code}."}
                messages.append(self.message(render, person, "notice",
                                             {"name": learner.first_name, "text": text[learner.preferred_language]},
                                             waits[0].row.created_at))
            if person.story != "demo" and rng.random() < 0.12:
                availability.append({"learner_id": learner.id, "weekday": rng.choice([1, 2, 3, 4, 5]),
                                     "starts_at": dt.time(8, 0), "ends_at": dt.time(16, 0),
                                     "kind": AvailabilityKind.BLOCKED})
            if person.story == "demo":
                notes += self.demo_learner_notes(person)
                availability += [
                    {"learner_id": learner.id, "weekday": 7, "starts_at": dt.time(8, 0), "ends_at": dt.time(17, 0),
                     "kind": AvailabilityKind.BLOCKED},
                    {"learner_id": learner.id, "weekday": 5, "starts_at": dt.time(17, 0), "ends_at": dt.time(21, 0),
                     "kind": AvailabilityKind.BLOCKED},
                ]
                self.bulk(AccessLog, [
                    {"learner_id": learner.id, "viewer_id": self.agent_id, "role": AGENT,
                     "organisation": "Francisation Québec", "what": access_log.APPLICATION,
                     "at": cal.at(person.decided, 10 * 60)},
                    {"learner_id": learner.id, "viewer_id": self.partner_user_id, "role": PARTNER_STAFF,
                     "organisation": data.DEMO_PARTNER, "what": access_log.ATTENDANCE,
                     "at": cal.at(today - dt.timedelta(days=3), 13 * 60)},
                ])
        for note in notes:
            note.setdefault("partner_id", None)
        self.bulk(CaseNote, notes)
        self.bulk(Message, messages)
        self.bulk(Availability, availability)

    def demo_learner_notes(self, person: Person) -> list[dict]:
        learner, cal, today = person.learner, self.calendar, self.today
        return [
            {"learner_id": learner.id, "author_id": self.agent_id,
             "body": "Niveau 3 réussi dans les quatre compétences; inscription au niveau 4 à temps complet confirmée.",
             "follow_up_on": None, "follow_up_done": False,
             "created_at": cal.at(person.enrolments[0].section.ends_on + dt.timedelta(days=3), 10 * 60)},
            {"learner_id": learner.id, "author_id": self.agent_id,
             "body": "Vérifier la reconduction de l'allocation de frais de garde (1 enfant).",
             "follow_up_on": today + dt.timedelta(days=5), "follow_up_done": False,
             "created_at": cal.at(today - dt.timedelta(days=4), 14 * 60)},
        ]

    def message(self, render, person: Person, template: str, payload: dict, at: dt.datetime) -> dict:
        language = person.learner.preferred_language
        subject, body = render(template, language, payload)
        return {"recipient": person.learner.email, "learner_id": person.learner.id, "language": language,
                "template": template, "subject": subject, "body": body, "payload": payload,
                "status": DeliveryStatus.OUTBOX, "attempts": 1, "created_at": at}

    # helpers ----------------------------------------------------------------------------------------

    def bulk(self, model, rows: list[dict], chunk: int = 5000) -> None:
        """Insert plain rows in batches (no ORM objects: these tables are the large ones)."""
        for start in range(0, len(rows), chunk):
            self.session.execute(insert(model), rows[start:start + chunk])
