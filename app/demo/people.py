"""The demo's learners before any row exists: who they are (names and origins that look like the
people the service serves) and what is planned for them (story, level, format, enrolments).

Each learner gets a random generator of their own, seeded from ``SEED`` and their file number, so
a learner's draws do not depend on the others.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from ..models import (
    Application, CourseFormat, Enrolment, EnrolmentStatus, Enterprise, Language, Learner, Region, Section,
)

SEED = 2026
FILE_PREFIX = "FQ-2026-"
DEMO_LEARNER_FILE = FILE_PREFIX + "000001"

# Names by origin, for learners that look like the people the service really serves.
NAMES = {
    "maghreb": (["Yasmine", "Karim", "Mehdi", "Samira", "Nadia", "Youssef", "Amine", "Salma", "Rachid",
                 "Imane", "Omar", "Leïla", "Sofiane", "Houda"],
                ["Benali", "El Amrani", "Haddad", "Bouazza", "Cherkaoui", "Mansouri", "Boukhari",
                 "Aït Ahmed", "Belkacem", "Zerrouki", "Benjelloun", "Taleb"]),
    "west_africa": (["Aminata", "Moussa", "Fatoumata", "Mamadou", "Awa", "Ibrahima", "Mariam", "Cheikh",
                     "Aïssatou", "Ousmane", "Grâce", "Jean-Claude", "Adama", "Rokia"],
                    ["Diallo", "Traoré", "Koné", "Ndiaye", "Sow", "Camara", "Ouédraogo", "Kouassi", "Mbaye",
                     "Tshibangu", "Nsimba", "Keïta"]),
    "latin_america": (["María", "José", "Valentina", "Carlos", "Luis", "Camila", "Andrés", "Daniela", "Jorge",
                       "Gabriela", "Diego", "Paola", "Juan Pablo", "Ximena"],
                      ["García", "Rodríguez", "Hernández", "López", "Martínez", "Ramírez", "Torres", "Flores",
                       "Rojas", "Vargas", "Castillo", "Morales", "Gutiérrez"]),
    "asia": (["Wei", "Li Na", "Mei", "Jun", "Minh", "Linh", "Thanh", "Priya", "Arjun", "Anjali", "Rahul",
              "Maria Cristina", "Jose Mari", "Ji-woo", "Hiroshi"],
             ["Wang", "Li", "Zhang", "Chen", "Nguyen", "Tran", "Pham", "Patel", "Sharma", "Singh", "Santos",
              "Reyes", "Dela Cruz", "Kim", "Park"]),
    "middle_east": (["Rami", "Lina", "Hassan", "Zeinab", "Ali", "Fatemeh", "Reza", "Maryam", "Nour", "Tarek",
                     "Rasha", "Bilal"],
                    ["Al-Khatib", "Rahimi", "Hosseini", "Karimi", "Nasser", "Saleh", "Darwish", "Khoury",
                     "Haddad", "Mansour"]),
    "eastern_europe": (["Olena", "Oleksandr", "Iryna", "Dmytro", "Natalia", "Andriy", "Yulia", "Serhiy",
                        "Anastasia", "Mihai", "Elena", "Bogdan"],
                       ["Kovalenko", "Shevchenko", "Bondarenko", "Tkachenko", "Melnyk", "Kravchenko",
                        "Popescu", "Ionescu", "Petrenko", "Moroz"]),
    "haiti": (["Wideline", "Jean-Robert", "Mirlande", "Stéphanie", "Jeff", "Nadège", "Ricardo", "Fabienne",
               "Widny", "Guerline"],
              ["Joseph", "Pierre", "Jean-Louis", "Charles", "Saint-Fleur", "Dorvil", "Augustin", "Baptiste",
               "Désir", "Louis-Jean"]),
    "canada": (["Emily", "Ryan", "Sarah", "Michael", "Jessica", "Daniel", "Olivia", "Matthew", "Hannah",
                "Connor", "Megan", "Tyler"],
               ["Smith", "Brown", "MacDonald", "Wilson", "Campbell", "Stewart", "O'Brien", "Cohen",
                "Thompson", "Fraser", "Murphy", "Anderson"]),
}

# Origin weights per client category, and the chance that a person of that origin prefers French.
ORIGIN_WEIGHTS = {
    "immigrant": {"maghreb": 18, "west_africa": 15, "latin_america": 20, "asia": 18, "middle_east": 10,
                  "eastern_europe": 10, "haiti": 9},
    "canadian": {"canada": 85, "asia": 5, "middle_east": 5, "eastern_europe": 5},
    "abroad": {"maghreb": 25, "west_africa": 20, "latin_america": 20, "asia": 15, "eastern_europe": 10,
               "middle_east": 10},
    "business_employee": {"latin_america": 35, "asia": 30, "west_africa": 15, "maghreb": 10,
                          "eastern_europe": 10},
}
FRENCH_PREFERENCE = {
    "maghreb": 0.9, "west_africa": 0.95, "haiti": 0.95, "latin_america": 0.7, "asia": 0.6,
    "middle_east": 0.7, "eastern_europe": 0.6, "canada": 0.25,
}


@dataclass
class PlannedEnrolment:
    """An enrolment booked against the seats ledger; its row and class days come when it is written."""

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
