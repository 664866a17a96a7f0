"""The demo learners' stories and the seats they take, planned before any row exists.

Each learner follows a story (a draft, a file waiting for documents, enrolled, dropped, on a
waiting list…). Stories take seats in ``SEATING_ORDER``: the current term's groups fill before
their waiting lists form. A ledger counts, per section, the seats, waiting positions and finished
places already given out, including those of an earlier run.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from ..models import CourseFormat, Enrolment, EnrolmentStatus, Section, SectionStatus
from .organisations import ENTERPRISES
from .people import DEMO_LEARNER_FILE, FILE_PREFIX, ORIGIN_WEIGHTS, SEED, Person, PlannedEnrolment
from .state import DemoState

# Learners per story for one unit of scale (the demo learner is the 300th).
STORIES = {
    "draft": 12, "submitted": 20, "documents": 14, "complete": 40, "refused": 8, "withdrawn": 10,
    "closed": 12, "waiting": 28, "enrolled": 99, "dropped": 16, "upcoming": 34, "upcoming_waiting": 6,
}
# The order in which stories take seats: the current term fills before its waiting list forms.
SEATING_ORDER = ["demo", "enrolled", "dropped", "waiting", "upcoming", "upcoming_waiting", "closed"]

DROP_REASONS = [
    "A trouvé un emploi à temps plein dont l'horaire est incompatible avec le cours.",
    "Conflit d'horaire avec le travail de soir.",
    "Raisons familiales : garde des enfants non disponible.",
    "Problème de santé; souhaite reprendre à la prochaine session.",
    "Déménagement dans une autre région.",
    "Niveau du cours trop avancé; demande un nouveau classement.",
    "Transport : trajet trop long depuis le domicile.",
]


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


def plan_people(demo: DemoState) -> list[Person]:
    """Every demo learner of the data set, in file-number order: story, category and origin."""
    stories = []
    for story, count in STORIES.items():
        stories += [story] * (count * demo.scale + (demo.scale - 1 if story == "enrolled" else 0))
    demo.rng.shuffle(stories)
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
        origins = ORIGIN_WEIGHTS[person.category]
        person.origin = rng.choices(list(origins), weights=list(origins.values()))[0]
        people.append(person)
    return people


class Seating:
    """The seats ledger of the demo sections and the choice of a seat for each planned learner."""

    def __init__(self, demo: DemoState) -> None:
        self.demo = demo
        self.ledger = self.load_ledger()
        self.index_pools()
        self.enterprise_by_id = {e.id: e for e in demo.enterprises.values()}

    def load_ledger(self) -> dict[int, Seats]:
        """Seats, waiting positions and finished places already given out in the demo sections."""
        sections = [s for term_sections in self.demo.sections.values() for s in term_sections]
        ledger = {id(s): Seats(s, taken=s.seats_taken or 0) for s in sections}
        ids = {s.id: id(s) for s in sections if s.id is not None}
        if ids:
            rows = self.demo.session.execute(
                select(Enrolment.section_id, Enrolment.status, func.count(), func.max(Enrolment.position))
                .where(Enrolment.section_id.in_(list(ids))).group_by(Enrolment.section_id, Enrolment.status))
            for section_id, status, count, last in rows:
                seats = ledger[ids[section_id]]
                if status == EnrolmentStatus.WAITLISTED:
                    seats.last_position = last or 0
                elif status in (EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED, EnrolmentStatus.DROPPED):
                    seats.finished += count
        return ledger

    def index_pools(self) -> None:
        """Sections open to registration, by term and format (and the specialised ones), for quick picks."""
        self.pools: dict[tuple, list[Seats]] = defaultdict(list)
        self.hot_seats: dict[str, list[Seats]] = defaultdict(list)
        for term_key, sections in self.demo.sections.items():
            for section in sections:
                if term_key != "previous" and section.status != SectionStatus.OPEN:
                    continue
                seats = self.ledger[id(section)]
                course = section.course
                self.pools[(term_key, course.format)].append(seats)
                self.pools[(term_key, course.format, course.level_max)].append(seats)
                if course.field_id is not None:
                    self.pools[(term_key, "field")].append(seats)
                if section in self.demo.hot:
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
            person.enterprise = self.demo.enterprises[person.rng.choice(ENTERPRISES)[0]]

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
        free = lambda seats: not seats.full and seats.section not in self.demo.hot
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
        """Book the enrolments of the person's story; a story that finds no seat becomes another one."""
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
                last = max(start, self.demo.today - dt.timedelta(days=2))
                ended = self.demo.calendar.working_day_on_or_before(
                    start + dt.timedelta(days=rng.randint(0, (last - start).days)))
                self.take(person, seats, EnrolmentStatus.DROPPED, reason=rng.choice(DROP_REASONS),
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
                person.enterprise = self.demo.enterprises[rng.choice(ENTERPRISES)[0]]

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
        return next(s for s in self.demo.sections[term_key] if s.code.startswith(prefix))

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

    def record_seats_taken(self) -> None:
        """Write each section's count of seats taken as the ledger has it."""
        for seats in self.ledger.values():
            if seats.section.seats_taken != seats.taken:
                seats.section.seats_taken = seats.taken
