"""The groups (sections) of each term with their weekly meetings, site, teacher and capacity, and the
capacity each partner declares for the current and upcoming terms.

Some groups are forced at a site: the demo learner's groups and the beginner groups in Montréal
where demand exceeds seats, so that waiting lists form where they really do.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..i18n import french_elisions
from ..models import (
    CapacityDeclaration, Course, CourseFormat, Delivery, Meeting, PartnerType, Section, SectionStatus,
)
from .calendar import WEEK, clock
from .catalogue import SPECIALISED_COURSES
from .organisations import DEMO_PARTNER, ENTERPRISES, WORKPLACE_PARTNERS
from .rows import ensure
from .state import DemoState

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


def section_plan(term_key: str) -> list[str]:
    """Course codes of the sections of a term, one entry per section (scale 1)."""
    codes = []
    for level in range(1, 13):
        per_level = 3 if level <= 4 else 2 if level <= 8 else 1
        if term_key == "previous":
            per_level = 1 if level <= 8 else 0
        codes += [f"TC-{level:02d}"] * per_level + [f"TP-{level:02d}"] * per_level
    online = [f"EL-{level:02d}-{kind}" for level in range(5, 9) for kind in ("T", "A")]
    specialised = [code for code, *_ in SPECIALISED_COURSES]
    if term_key == "current":
        codes += online + specialised + ["MT-DEB", "MT-INT", "MT-DEB"]
    elif term_key == "upcoming":
        codes += [c for c in online if c.endswith("-T")] + specialised[:4] + ["MT-DEB", "MT-INT"]
    else:
        codes += online[:4] + specialised[:2] + ["MT-DEB"]
    return codes


def seed_sections(demo: DemoState) -> None:
    """The sections of the three terms, ``demo.scale`` times the plan; marks the groups in demand."""
    rng = demo.rng
    term_ids = [term.id for term in demo.terms.values()]
    existing = {(s.term_id, s.code): s for s in demo.session.scalars(
        select(Section).where(Section.term_id.in_(term_ids)).options(selectinload(Section.meetings)))}
    in_person_sites = [(code, site, weight) for code, (site, weight) in demo.sites.items()]
    full_time_sites = [(code, site, weight) for code, site, weight in in_person_sites
                       if site.partner.type != PartnerType.COMMUNITY]
    demo.sections = {key: [] for key in demo.terms}
    demo.hot = set()
    enterprise_cycle = [demo.enterprises[neq] for neq, *_ in ENTERPRISES]
    for term_key, term in demo.terms.items():
        counters = defaultdict(int)
        seen = defaultdict(int)
        online_turn = 0
        workplace_turn = 0
        for _replica in range(demo.scale):
            for course_code in section_plan(term_key):
                course = demo.courses[course_code]
                seen[course_code] += 1
                forced = FORCED_SITES.get((term_key, course_code))
                is_hot = (term_key, course_code) in HOT and seen[course_code] <= demo.scale
                site = partner = enterprise = None
                delivery = Delivery.IN_PERSON
                if course.format == CourseFormat.ONLINE:
                    partner = demo.partners[ONLINE_PARTNERS[online_turn % len(ONLINE_PARTNERS)]]
                    online_turn += 1
                    place, delivery = "WEB", Delivery.ONLINE
                elif course.format == CourseFormat.WORKPLACE:
                    enterprise = enterprise_cycle[workplace_turn % 3]
                    workplace_turn += 1
                    partner = demo.partners[WORKPLACE_PARTNERS[enterprise.neq]]
                    place = next(code for neq, *_rest, code in ENTERPRISES if neq == enterprise.neq)
                else:
                    if forced and (seen[course_code] <= demo.scale):
                        place = forced
                    else:
                        pool = full_time_sites if course.format == CourseFormat.FULL_TIME else in_person_sites
                        place = rng.choices([p[0] for p in pool], weights=[p[2] for p in pool])[0]
                    site = demo.sites[place][0]
                    partner = site.partner
                counters[(course_code, place)] += 1
                code = f"{course_code}-{place}-{counters[(course_code, place)]:02d}"
                section = existing.get((term.id, code))
                if section is None:
                    section = new_section(demo, term_key, term, course, code, partner, site, enterprise, delivery)
                    existing[(term.id, code)] = section
                else:
                    draw_section_details(demo, course)  # keep the random sequence independent of the database
                demo.sections[term_key].append(section)
                if is_hot and forced:
                    demo.hot.add(section)
    demo.session.flush()


def draw_section_details(demo: DemoState, course: Course) -> tuple:
    """Capacity, meeting pattern, room and teacher draw of a section (drawn even when it exists)."""
    rng = demo.rng
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


def new_section(demo: DemoState, term_key, term, course, code, partner, site, enterprise, delivery) -> Section:
    capacity, pattern, room, teacher_pick = draw_section_details(demo, course)
    teachers = demo.teachers[partner.name]
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
        section.meetings = [Meeting(weekday=day, starts_at=clock(start), ends_at=clock(end), room=room)
                            for day in weekdays for start, end in slots]
    demo.session.add(section)
    return section


def seed_capacity(demo: DemoState) -> None:
    """What each partner declares it can offer in the current and upcoming terms, per format."""
    wanted = []
    for term_key in ("current", "upcoming"):
        term = demo.terms[term_key]
        offered = defaultdict(list)
        for section in demo.sections[term_key]:
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
                "declared_at": demo.calendar.at(term.registration_opens - WEEK, 10 * 60),
                "declared_by_id": demo.users["partner"].id if partner.name == DEMO_PARTNER else None}))
    ensure(demo.session, CapacityDeclaration, lambda c: (c.partner_id, c.term_id, c.format, c.region_id), wanted)
