"""Timetable generator: 8 courses × 15 sections with blocked times, best 50, against the cartesian product."""
from __future__ import annotations

import random
import statistics
import time

from app.services.timetable import Candidate, Preference, Request, ScheduleSearch, Slot, best_schedules

COURSES = 8
SECTIONS = 15
BEST = 50
REPEAT = 5
TIME_BUDGET = 30.0
SITES = ("montreal-centre", "laval", "longueuil", "quebec-limoilou", None)  # None: online
PREFERENCE_SETS = (
    (Preference.FEWEST_DAYS, Preference.COMPACT),
    (Preference.COMPACT,),
    (Preference.EARLIEST, Preference.FEWEST_DAYS),
    (Preference.LATEST,),
    (Preference.SINGLE_SITE, Preference.FEWEST_DAYS),
)
# The learner works Tuesday and Thursday daytime, picks up children on weekday afternoons and
# keeps Sunday free.
BLOCKED = (
    *(Slot(day, 8 * 60, 17 * 60) for day in (2, 4)),
    *(Slot(day, 15 * 60 + 30, 17 * 60 + 30) for day in (1, 3, 5)),
    Slot(7, 0, 24 * 60),
)


def hours(start: str, end: str) -> tuple[int, int]:
    return tuple(int(text[:2]) * 60 + int(text[3:]) for text in (start, end))


def meeting_pattern(rng: random.Random) -> tuple[Slot, ...]:
    """One section's weekly meetings, in the formats of Québec francisation courses."""
    kind = rng.choices(("full-time", "part-time day", "evening", "weekend", "workshop"), (3, 3, 4, 2, 3))[0]
    if kind == "full-time":
        days = rng.choice(((1, 3), (2, 4), (1, 3, 5), (1, 2, 3, 4)))
        start, end = hours(*rng.choice((("08:30", "11:30"), ("12:30", "15:30"), ("09:00", "12:00"))))
    elif kind == "part-time day":
        days = (rng.randint(1, 5),)
        start, end = hours(*rng.choice((("09:00", "12:00"), ("13:00", "16:00"), ("10:00", "12:00"))))
    elif kind == "evening":
        days = rng.choice(((1,), (2,), (3,), (4,), (1, 3), (2, 4)))
        start, end = hours(*rng.choice((("18:00", "21:00"), ("18:30", "21:30"), ("19:00", "21:00"))))
    elif kind == "weekend":
        days = (6,)
        start, end = hours(*rng.choice((("09:00", "12:00"), ("13:00", "16:00"), ("09:00", "15:00"))))
    else:
        days = (rng.randint(1, 6),)
        start = rng.choice(range(8 * 60, 19 * 60, 30))
        end = start + rng.choice((60, 90, 120))
    return tuple(Slot(day, start, end) for day in days)


def catalogue(seed: int = 2026) -> dict[int, list[Candidate]]:
    """8 courses of 15 sections; about one section in four repeats another's meetings at another site."""
    rng = random.Random(seed)
    courses = {}
    for course_id in range(1, COURSES + 1):
        sections = []
        for number in range(SECTIONS):
            if sections and rng.random() < 0.25:
                slots = rng.choice(sections).slots
            else:
                slots = meeting_pattern(rng)
            sections.append(Candidate(course_id * 100 + number, course_id, rng.choice(SITES), slots))
        courses[course_id] = sections
    return courses


def run() -> None:
    courses = catalogue()
    search = ScheduleSearch(Request(courses, blocked=BLOCKED, preferences=(Preference.SINGLE_SITE,)))
    usable = sum(len(pattern.members) for pattern in search.patterns)
    merged = len(ScheduleSearch(Request(courses, blocked=BLOCKED)).patterns)
    print(f"{COURSES * SECTIONS} sections; {usable} clear of the blocked times; {merged} meeting patterns once "
          f"identical ones are merged ({len(search.patterns)} when the site matters)")
    for preferences in PREFERENCE_SETS:
        request = Request(courses, blocked=BLOCKED, preferences=preferences, k=BEST, time_budget=TIME_BUDGET)
        timings = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            result = best_schedules(request)
            timings.append((time.perf_counter() - started) * 1000)
        best = result.schedules[0] if result.schedules else None
        print(f"{' > '.join(preferences):28s} {statistics.median(timings):8.1f} ms (median of {REPEAT}) | "
              f"{len(result.schedules):2d} schedules, complete={result.complete} | "
              f"{result.nodes_examined:9,d} partial combinations examined vs cartesian {result.cartesian_size:,} "
              f"({SECTIONS}**{COURSES}) = 1/{result.cartesian_size / max(result.nodes_examined, 1):,.0f} | "
              f"best score {best.score if best else None}")
