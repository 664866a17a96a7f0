"""Timetable generator: the best K conflict-free weekly schedules for a learner's chosen courses.

DESIGN.md §5.3. Pure Python (no Flask, no SQLAlchemy): a view turns Section/Meeting rows into
:class:`Candidate` and :class:`Slot` values and the learner's availability into blocked slots.

The search never enumerates the cartesian product. Sections that overlap a blocked time are dropped;
sections of a course with the same meeting pattern (and the same site when "single site" is a
preference) are merged into one equivalence class and expanded back at the end; conflicts between
classes of different courses are precomputed as bitsets (a Python ``int`` per class), so a
depth-first search over the courses (fewest classes first) rejects a conflicting class in O(1)
through a running "forbidden" mask. Branch and bound keeps the K best schedules and prunes every
branch whose admissible lower bound cannot beat the current K-th, until the search is exhausted or
the time budget is spent.
"""
from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
import time
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

MINUTES_PER_DAY = 24 * 60
# How many search nodes between two looks at the clock.
CLOCK_EVERY = 64


def _minutes(value: int | dt.time, *, round_up: bool = False) -> int:
    if isinstance(value, dt.time):
        partial = round_up and bool(value.second or value.microsecond)
        return value.hour * 60 + value.minute + partial
    return int(value)


def clock_time(minutes: int) -> dt.time:
    """The time of day of ``minutes`` since midnight (24:00 is shown as the last instant of the day)."""
    if minutes >= MINUTES_PER_DAY:
        return dt.time.max
    return dt.time(minutes // 60, minutes % 60)


@dataclass(frozen=True, order=True)
class Slot:
    """A weekly time: ISO weekday (1 = Monday … 7 = Sunday), start and end in minutes since midnight.

    ``start`` and ``end`` also accept :class:`datetime.time` and are stored as minutes (seconds round
    the start down and the end up). The end is exclusive: 9:00–10:00 and 10:00–11:00 do not overlap.
    """

    weekday: int
    start: int
    end: int

    def __post_init__(self) -> None:
        start, end = _minutes(self.start), _minutes(self.end, round_up=True)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        if not 1 <= self.weekday <= 7:
            raise ValueError(f"weekday must be an ISO weekday 1..7, not {self.weekday!r}")
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise ValueError(f"a slot must start before it ends within one day, not {start}..{end}")

    def overlaps(self, other: Slot) -> bool:
        """True when both slots share at least one minute of the same weekday."""
        return self.weekday == other.weekday and self.start < other.end and other.start < self.end


def conflicts(a_slots: Iterable[Slot], b_slots: Iterable[Slot]) -> bool:
    """True when any slot of ``a_slots`` overlaps any slot of ``b_slots``."""
    b_slots = tuple(b_slots)
    return any(a.overlaps(b) for a in a_slots for b in b_slots)


@dataclass(frozen=True)
class Candidate:
    """A section that may be chosen for its course: its id, course, site (None when online) and meetings."""

    section_id: Hashable
    course_id: Hashable
    site_id: Hashable | None
    slots: tuple[Slot, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "slots", tuple(sorted(self.slots)))


def schedule_conflicts_with_blocked(sections: Iterable[Candidate], blocked: Iterable[Slot]) -> tuple[Hashable, ...]:
    """The ids of the sections that overlap a blocked time (empty, hence falsy, when none does)."""
    blocked = tuple(blocked)
    return tuple(section.section_id for section in sections if conflicts(section.slots, blocked))


class Preference(StrEnum):
    """What the learner wants most; each one is a cost, lower is better."""

    FEWEST_DAYS = "fewest_days"  # number of weekdays with a meeting
    COMPACT = "compact"  # idle minutes between the meetings of a same day
    EARLIEST = "earliest"  # the latest end of any meeting: finish the day as early as possible
    LATEST = "latest"  # minutes before midnight of the earliest start: start the day as late as possible
    SINGLE_SITE = "single_site"  # number of distinct sites (sections without a site count for none)


class Impossibility(StrEnum):
    """Why a course cannot be placed at all."""

    NO_SECTIONS = "no_sections"
    ALL_SECTIONS_BLOCKED = "all_sections_blocked"
    LOCKED_SECTION_BLOCKED = "locked_section_blocked"


@dataclass(frozen=True)
class Request:
    """What to build: candidate sections per course, locks, blocked times, ranked preferences, K, budget.

    ``courses`` maps each chosen course id to its candidate sections (each candidate's ``course_id``
    must be that key). ``locked`` maps some course ids to the one section the learner has fixed.
    ``preferences`` is ranked: schedules compare on the first one, ties on the second, and so on.
    ``k`` is the number of schedules wanted and ``time_budget`` the seconds the search may run.
    """

    courses: Mapping[Hashable, Sequence[Candidate]]
    locked: Mapping[Hashable, Hashable] = field(default_factory=dict)
    blocked: Sequence[Slot] = ()
    preferences: Sequence[Preference] = ()
    k: int = 10
    time_budget: float = 2.0

    def __post_init__(self) -> None:
        preferences = tuple(Preference(preference) for preference in self.preferences)
        if len(set(preferences)) != len(preferences):
            raise ValueError("each preference may be ranked only once")
        object.__setattr__(self, "preferences", preferences)
        object.__setattr__(self, "blocked", tuple(self.blocked))
        if self.k < 1:
            raise ValueError("k must be at least 1")
        if not self.time_budget > 0:
            raise ValueError("the time budget must be positive")
        for course_id, candidates in self.courses.items():
            strays = [c.section_id for c in candidates if c.course_id != course_id]
            if strays:
                raise ValueError(f"sections {strays} are listed under course {course_id!r} but belong to another")
        for course_id, section_id in self.locked.items():
            if course_id not in self.courses:
                raise ValueError(f"course {course_id!r} is locked but not chosen")
            if all(c.section_id != section_id for c in self.courses[course_id]):
                raise ValueError(f"section {section_id!r} locked for course {course_id!r} is not one of its candidates")


@dataclass(frozen=True)
class Summary:
    """What a learner reads about a schedule; times are minutes since midnight (None when empty)."""

    days: tuple[int, ...]
    first_start: int | None
    last_end: int | None
    idle_minutes: int
    site_ids: tuple[Hashable, ...]

    @property
    def first_start_time(self) -> dt.time | None:
        return None if self.first_start is None else clock_time(self.first_start)

    @property
    def last_end_time(self) -> dt.time | None:
        return None if self.last_end is None else clock_time(self.last_end)


@dataclass(frozen=True)
class Schedule:
    """One section per course, its score (one cost per preference, in the request's rank) and summary."""

    sections: Mapping[Hashable, Hashable]
    score: tuple[int, ...]
    summary: Summary


@dataclass(frozen=True)
class Result:
    """The best schedules, best first, and how the search went.

    ``complete`` is False when the time budget stopped the search: the schedules are then the best
    found, not necessarily the best there are. ``nodes_examined`` counts the partial schedules the
    search built; ``cartesian_size`` is what a naive builder would enumerate (every candidate of
    every course, one section for a locked course). ``impossible_courses`` says which courses have
    no usable section and why; ``clashing_courses`` lists pairs of courses whose every section
    conflicts with every section of the other. Either one means no schedule exists.
    """

    schedules: tuple[Schedule, ...]
    complete: bool
    nodes_examined: int
    cartesian_size: int
    impossible_courses: Mapping[Hashable, Impossibility] = field(default_factory=dict)
    clashing_courses: tuple[tuple[Hashable, Hashable], ...] = ()


def idle_minutes(slots: Iterable[Slot]) -> int:
    """Minutes between the meetings of each day, summed over the week (overlaps count once)."""
    idle, weekday, reach = 0, None, 0
    for slot in sorted(slots):
        if slot.weekday != weekday:
            weekday, reach = slot.weekday, slot.end
            continue
        if slot.start > reach:
            idle += slot.start - reach
        reach = max(reach, slot.end)
    return idle


def _day_bits(slots: Iterable[Slot]) -> int:
    return sum({1 << (slot.weekday - 1) for slot in slots})


@dataclass
class _Pattern:
    """An equivalence class: sections of one course with the same meetings (and site, when it matters)."""

    course_id: Hashable
    slots: tuple[Slot, ...]
    members: list[Candidate]
    days: int
    site_bit: int
    first_start: int
    last_end: int


class ScheduleSearch:
    """Iterate to receive schedules as they enter the current best K; read :attr:`result` at the end.

    A schedule yielded early may later be pushed out by better ones: the final ranking is
    ``result.schedules``. :func:`best_schedules` runs the whole search at once.
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self._result: Result | None = None
        self.cartesian_size = math.prod(1 if course_id in request.locked else len(candidates)
                                        for course_id, candidates in request.courses.items())
        self.impossible: dict[Hashable, Impossibility] = {}
        self._prepare()

    @property
    def result(self) -> Result:
        if self._result is None:
            raise RuntimeError("the search has not been run to its end")
        return self._result

    def __iter__(self) -> Iterator[Schedule]:
        return self._search()

    # -- preparation -------------------------------------------------------------------------------

    def _prepare(self) -> None:
        request = self.request
        by_site = Preference.SINGLE_SITE in request.preferences
        site_bits: dict[Hashable, int] = {}
        per_course: list[tuple[Hashable, list[_Pattern]]] = []
        for course_id, candidates in request.courses.items():
            usable = list(candidates)
            locked = course_id in request.locked
            if locked:
                usable = [c for c in usable if c.section_id == request.locked[course_id]]
            usable = [c for c in usable if not conflicts(c.slots, request.blocked)]
            if not usable:
                self.impossible[course_id] = (Impossibility.NO_SECTIONS if not candidates
                                              else Impossibility.LOCKED_SECTION_BLOCKED if locked
                                              else Impossibility.ALL_SECTIONS_BLOCKED)
                continue
            patterns: dict[tuple, _Pattern] = {}
            for candidate in usable:
                site_bit = 0
                if by_site and candidate.site_id is not None:
                    site_bit = site_bits.setdefault(candidate.site_id, 1 << len(site_bits))
                key = (tuple(dict.fromkeys(candidate.slots)), site_bit)
                if key in patterns:
                    patterns[key].members.append(candidate)
                    continue
                slots = key[0]
                patterns[key] = _Pattern(course_id, slots, [candidate], _day_bits(slots), site_bit,
                                         min((s.start for s in slots), default=MINUTES_PER_DAY),
                                         max((s.end for s in slots), default=0))
            # Trying the classes that are best on their own first finds good schedules early,
            # which tightens the bound sooner.
            ordered = sorted(patterns.values(), key=lambda p: self._costs(
                p.days, p.site_bit, p.first_start, p.last_end, lambda: idle_minutes(p.slots)))
            per_course.append((course_id, ordered))
        per_course.sort(key=lambda item: len(item[1]))

        self.course_order = [course_id for course_id, _ in per_course]
        self.patterns = [pattern for _, patterns in per_course for pattern in patterns]
        self.course_masks = []
        index = 0
        for _, patterns in per_course:
            self.course_masks.append(((1 << len(patterns)) - 1) << index)
            index += len(patterns)
        self.conflict_masks = self._conflict_masks()
        self._class_of = {(pattern.course_id, member.section_id): index
                          for index, pattern in enumerate(self.patterns) for member in pattern.members}
        self.clashing = self._clashing_courses()

    def _conflict_masks(self) -> list[int]:
        """For each class, the bitmask of the classes of other courses that it overlaps."""
        masks = [0] * len(self.patterns)
        by_weekday: dict[int, list[tuple[Slot, int]]] = {}
        for index, pattern in enumerate(self.patterns):
            for slot in pattern.slots:
                by_weekday.setdefault(slot.weekday, []).append((slot, index))
        for meetings in by_weekday.values():
            for (a, i), (b, j) in itertools.combinations(meetings, 2):
                if i != j and self.patterns[i].course_id != self.patterns[j].course_id and a.overlaps(b):
                    masks[i] |= 1 << j
                    masks[j] |= 1 << i
        return masks

    def _clashing_courses(self) -> tuple[tuple[Hashable, Hashable], ...]:
        rank = {course_id: position for position, course_id in enumerate(self.request.courses)}
        clashing = []
        courses = zip(self.course_order, self.course_masks, strict=True)
        for (a, mask_a), (b, mask_b) in itertools.combinations(courses, 2):
            if all(self.conflict_masks[i] & mask_b == mask_b for i in _bits(mask_a)):
                clashing.append((a, b) if rank[a] < rank[b] else (b, a))
        return tuple(sorted(clashing, key=lambda pair: (rank[pair[0]], rank[pair[1]])))

    # -- scoring -----------------------------------------------------------------------------------

    def _costs(self, days: int, site_bits: int, first_start: int, last_end: int, idle) -> tuple[int, ...]:
        """The score in the request's rank; ``idle`` is called only when compactness is ranked."""
        costs = []
        for preference in self.request.preferences:
            if preference is Preference.FEWEST_DAYS:
                costs.append(days.bit_count())
            elif preference is Preference.SINGLE_SITE:
                costs.append(site_bits.bit_count())
            elif preference is Preference.EARLIEST:
                costs.append(last_end)
            elif preference is Preference.LATEST:
                costs.append(MINUTES_PER_DAY - first_start)
            else:
                costs.append(idle())
        return tuple(costs)

    def lower_bound(self, partial: Mapping[Hashable, Hashable]) -> tuple[int, ...] | None:
        """A score that no schedule keeping the sections of ``partial`` (course id → section id) can beat.

        None when no such schedule exists as far as the bound can tell: a section of ``partial`` is
        blocked or not a candidate, two of them overlap, or a course left has no compatible section.
        With every course in ``partial`` it is that schedule's exact score.
        """
        if self.impossible or self.clashing:
            return None
        chosen = []
        for course_id, section_id in partial.items():
            if (course_id, section_id) not in self._class_of:
                return None
            chosen.append(self._class_of[course_id, section_id])
        forbidden = days = site_bits = last_end = 0
        first_start = MINUTES_PER_DAY
        for index in chosen:
            pattern = self.patterns[index]
            if forbidden >> index & 1:
                return None
            forbidden |= self.conflict_masks[index]
            days |= pattern.days
            site_bits |= pattern.site_bit
            first_start = min(first_start, pattern.first_start)
            last_end = max(last_end, pattern.last_end)
        remaining = [mask for course_id, mask in zip(self.course_order, self.course_masks, strict=True)
                     if course_id not in partial]
        if any(not mask & ~forbidden for mask in remaining):
            return None
        return self._lower_bound(remaining, forbidden, days, site_bits, first_start, last_end, chosen)

    def _lower_bound(self, remaining: Sequence[int], forbidden: int, days: int, site_bits: int, first_start: int,
                     last_end: int, chosen: Sequence[int]) -> tuple[int, ...]:
        """A score no completion of the ``chosen`` classes with the courses of ``remaining`` can beat.

        Each component is a lower bound of its cost, so the tuple is a lexicographic lower bound.
        Only the classes still allowed by ``forbidden`` count for the courses left, and each of those
        courses must have one (the search checks it before asking).
        """
        patterns = self.patterns
        forced_days = 0
        most_new_days = 0
        forced_sites = 0
        most_new_sites = 0
        earliest_possible_end = last_end
        latest_possible_start = first_start
        for mask in remaining:
            allowed = mask & ~forbidden
            common_days = common_sites = -1
            fewest_new_days = fewest_new_sites = 7 + len(patterns)
            min_end, max_start = MINUTES_PER_DAY, 0
            for index in _bits(allowed):
                pattern = patterns[index]
                common_days &= pattern.days
                common_sites &= pattern.site_bit
                fewest_new_days = min(fewest_new_days, (pattern.days & ~days).bit_count())
                fewest_new_sites = min(fewest_new_sites, (pattern.site_bit & ~site_bits).bit_count())
                min_end = min(min_end, pattern.last_end)
                max_start = max(max_start, pattern.first_start)
            forced_days |= common_days
            forced_sites |= common_sites
            most_new_days = max(most_new_days, fewest_new_days)
            most_new_sites = max(most_new_sites, fewest_new_sites)
            earliest_possible_end = max(earliest_possible_end, min_end)
            latest_possible_start = min(latest_possible_start, max_start)

        bound = []
        for preference in self.request.preferences:
            if preference is Preference.FEWEST_DAYS:
                bound.append(max((days | forced_days).bit_count(), days.bit_count() + most_new_days))
            elif preference is Preference.SINGLE_SITE:
                bound.append(max((site_bits | forced_sites).bit_count(), site_bits.bit_count() + most_new_sites))
            elif preference is Preference.EARLIEST:
                bound.append(earliest_possible_end)
            elif preference is Preference.LATEST:
                bound.append(MINUTES_PER_DAY - latest_possible_start)
            else:
                bound.append(self._idle_bound(remaining, forbidden, chosen))
        return tuple(bound)

    def _idle_bound(self, remaining: Sequence[int], forbidden: int, chosen: Sequence[int]) -> int:
        """Idle minutes that no completion of the ``chosen`` classes with the courses of ``remaining`` avoids.

        A meeting added later never overlaps a chosen one, so within the span of a day it lies in
        the idle time: it can remove at most the minutes it has inside that span. Meetings outside
        the span only add idle time. Each course left removes at most its best class's minutes.
        """
        patterns = self.patterns
        by_day: dict[int, list[Slot]] = {}
        for index in chosen:
            for slot in patterns[index].slots:
                by_day.setdefault(slot.weekday, []).append(slot)
        allowed = [[patterns[index].slots for index in _bits(mask & ~forbidden)] for mask in remaining]
        unavoidable = 0
        for weekday, slots in by_day.items():
            idle = idle_minutes(slots)
            if not idle:
                continue
            span_start = min(slot.start for slot in slots)
            span_end = max(slot.end for slot in slots)
            for classes in allowed:
                idle -= max(sum(max(0, min(span_end, slot.end) - max(span_start, slot.start))
                                for slot in class_slots if slot.weekday == weekday)
                            for class_slots in classes)
                if idle <= 0:
                    break
            unavoidable += max(0, idle)
        return unavoidable

    # -- search ------------------------------------------------------------------------------------

    def _search(self) -> Iterator[Schedule]:
        request = self.request
        if self.impossible or self.clashing:
            self._result = Result((), True, 0, self.cartesian_size, dict(self.impossible), self.clashing)
            return
        if not self.patterns:
            empty = self._costs(0, 0, MINUTES_PER_DAY, 0, lambda: 0)
            yield from self._expand((), empty)
            self._result = Result(tuple(self._expand((), empty)), True, 1, self.cartesian_size)
            return
        k = request.k
        patterns, course_masks, conflict_masks = self.patterns, self.course_masks, self.conflict_masks
        sizes = [len(pattern.members) for pattern in patterns]
        remaining = [course_masks[depth:] for depth in range(len(course_masks) + 1)]
        n = len(course_masks)
        # Max-heap of the kept class choices: (negated score, -found order, classes, multiplicity), so
        # that the root is the worst kept and, among equal scores, the one found last.
        kept: list[tuple[tuple[int, ...], int, tuple[int, ...], int]] = []
        kept_count = 0
        worst: tuple[int, ...] | None = None  # the K-th best score once K schedules are kept
        nodes = 0
        complete = True
        deadline = time.perf_counter() + request.time_budget

        forbidden = [0] * (n + 1)
        days = [0] * (n + 1)
        sites = [0] * (n + 1)
        first = [MINUTES_PER_DAY] * (n + 1)
        last = [0] * (n + 1)
        pending = [0] * (n + 1)
        chosen = [0] * n
        pending[0] = course_masks[0]
        depth = 0
        while depth >= 0:
            bits = pending[depth]
            if not bits:
                depth -= 1
                continue
            lowest = bits & -bits
            pending[depth] = bits ^ lowest
            index = lowest.bit_length() - 1
            nodes += 1
            if not nodes % CLOCK_EVERY and time.perf_counter() > deadline:
                complete = False
                break
            pattern = patterns[index]
            now_forbidden = forbidden[depth] | conflict_masks[index]
            now_days = days[depth] | pattern.days
            now_sites = sites[depth] | pattern.site_bit
            now_first = min(first[depth], pattern.first_start)
            now_last = max(last[depth], pattern.last_end)
            chosen[depth] = index
            following = depth + 1
            if following == n:
                classes = tuple(chosen)
                score = self._costs(now_days, now_sites, now_first, now_last,
                                    lambda: idle_minutes(s for i in chosen for s in patterns[i].slots))
                if worst is not None and score >= worst:
                    continue
                multiplicity = math.prod(sizes[i] for i in classes)
                heapq.heappush(kept, (tuple(-cost for cost in score), -nodes, classes, multiplicity))
                kept_count += multiplicity
                while kept_count - kept[0][3] >= k:
                    kept_count -= heapq.heappop(kept)[3]
                if kept_count >= k:
                    worst = tuple(-cost for cost in kept[0][0])
                yield from itertools.islice(self._expand(classes, score), k)
                continue
            # Forward check: a course left with no section compatible with the choices is a dead end.
            if any(not mask & ~now_forbidden for mask in course_masks[following:]):
                continue
            if worst is not None and self._lower_bound(remaining[following], now_forbidden, now_days, now_sites,
                                                       now_first, now_last, chosen[:following]) >= worst:
                continue
            forbidden[following] = now_forbidden
            days[following] = now_days
            sites[following] = now_sites
            first[following] = now_first
            last[following] = now_last
            pending[following] = course_masks[following] & ~now_forbidden
            depth = following

        ranked = sorted(kept, key=lambda entry: (tuple(-cost for cost in entry[0]), -entry[1]))
        schedules = itertools.islice(
            (schedule for negated, _, classes, _ in ranked
             for schedule in self._expand(classes, tuple(-cost for cost in negated))), k)
        self._result = Result(tuple(schedules), complete, nodes, self.cartesian_size)

    def _expand(self, classes: tuple[int, ...], score: tuple[int, ...]) -> Iterator[Schedule]:
        """The concrete schedules of one choice of classes, each course's sections in the request's order."""
        by_course = {self.patterns[index].course_id: self.patterns[index] for index in classes}
        chosen = [by_course[course_id] for course_id in self.request.courses]
        slots = [slot for pattern in chosen for slot in pattern.slots]
        days = tuple(sorted({slot.weekday for slot in slots}))
        first_start = min((slot.start for slot in slots), default=None)
        last_end = max((slot.end for slot in slots), default=None)
        idle = idle_minutes(slots)
        for sections in itertools.product(*(pattern.members for pattern in chosen)):
            site_ids = tuple(dict.fromkeys(section.site_id for section in sections if section.site_id is not None))
            yield Schedule({section.course_id: section.section_id for section in sections}, score,
                           Summary(days, first_start, last_end, idle, site_ids))


def _bits(mask: int) -> Iterator[int]:
    """The indices of the set bits of ``mask``, lowest first."""
    while mask:
        lowest = mask & -mask
        yield lowest.bit_length() - 1
        mask ^= lowest


def best_schedules(request: Request) -> Result:
    """Run the whole search and return the best ``request.k`` schedules, best first."""
    search = ScheduleSearch(request)
    for _ in search:
        pass
    return search.result
