"""Timetable generator: compared with a brute-force oracle, and the choices a learner would notice."""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.timetable import (
    Candidate, Impossibility, Preference, Request, ScheduleSearch, Slot, best_schedules, conflicts,
    schedule_conflicts_with_blocked,
)

MON, TUE, WED, THU, FRI = 1, 2, 3, 4, 5


def at(weekday: int, start: str, end: str) -> Slot:
    return Slot(weekday, dt.time.fromisoformat(start), dt.time.fromisoformat(end))


def section(section_id, course_id, *slots, site=1) -> Candidate:
    return Candidate(section_id, course_id, site, tuple(slots))


def combination(schedule) -> frozenset:
    return frozenset(schedule.sections.items())


# -- the brute-force oracle ------------------------------------------------------------------------

def oracle_score(sections, preferences) -> tuple[int, ...]:
    """The score, computed the obvious way (union of intervals per day) rather than the generator's way."""
    slots = [slot for chosen in sections for slot in chosen.slots]
    costs = []
    for preference in preferences:
        if preference is Preference.FEWEST_DAYS:
            costs.append(len({slot.weekday for slot in slots}))
        elif preference is Preference.SINGLE_SITE:
            costs.append(len({chosen.site_id for chosen in sections if chosen.site_id is not None}))
        elif preference is Preference.EARLIEST:
            costs.append(max((slot.end for slot in slots), default=0))
        elif preference is Preference.LATEST:
            costs.append(24 * 60 - min((slot.start for slot in slots), default=24 * 60))
        else:
            idle = 0
            for weekday in {slot.weekday for slot in slots}:
                day = [slot for slot in slots if slot.weekday == weekday]
                busy = {minute for slot in day for minute in range(slot.start, slot.end)}
                idle += max(slot.end for slot in day) - min(slot.start for slot in day) - len(busy)
            costs.append(idle)
    return tuple(costs)


def oracle(request: Request) -> dict[frozenset, tuple[int, ...]]:
    """Every conflict-free combination of the cartesian product, with its score."""
    choices = []
    for course_id, candidates in request.courses.items():
        if course_id in request.locked:
            candidates = [c for c in candidates if c.section_id == request.locked[course_id]]
        choices.append(candidates)
    found = {}
    for sections in itertools.product(*choices):
        if schedule_conflicts_with_blocked(sections, request.blocked):
            continue
        if any(conflicts(a.slots, b.slots) for a, b in itertools.combinations(sections, 2)):
            continue
        found[frozenset((s.course_id, s.section_id) for s in sections)] = oracle_score(sections, request.preferences)
    return found


slots = st.builds(lambda weekday, start, length: Slot(weekday, start, start + length),
                  st.integers(MON, WED), st.sampled_from(range(8 * 60, 18 * 60, 15)),
                  st.sampled_from((30, 45, 60, 90, 120, 180)))


@st.composite
def requests(draw, k: int | None = None) -> Request:
    """At most 4 courses of at most 4 sections, drawn from a few meeting patterns so that some repeat.

    Without ``k``, K is the size of the cartesian product (everything is returned); with one, the
    requests are larger and rank on one or two preferences, so that branch and bound has to prune.
    """
    ranking = k is not None
    patterns = draw(st.lists(st.lists(slots, min_size=1, max_size=3), min_size=2, max_size=8))
    courses, locked = {}, {}
    for course_id in range(draw(st.integers(2 if ranking else 1, 4))):
        courses[course_id] = [
            Candidate(f"{course_id}-{number}", course_id, draw(st.sampled_from((None, 1, 2))),
                      tuple(draw(st.sampled_from(patterns))))
            for number in range(draw(st.integers(2 if ranking else 1, 4)))]
        if draw(st.integers(0, 5)) == 0:
            locked[course_id] = draw(st.sampled_from(courses[course_id])).section_id
    preferences = draw(st.permutations(list(Preference)))
    preferences = preferences[:draw(st.integers(1, 2) if ranking else st.integers(0, len(preferences)))]
    blocked = draw(st.lists(slots, max_size=2))
    if k is None:
        k = math.prod(len(candidates) for candidates in courses.values())
    return Request(courses, locked, blocked, preferences, k=k, time_budget=60)


@settings(max_examples=200, deadline=None, database=None)
@given(requests())
def test_every_conflict_free_combination_is_found_and_nothing_else(timetable):
    expected = oracle(timetable)
    result = best_schedules(timetable)

    found = [combination(schedule) for schedule in result.schedules]
    assert result.complete
    assert len(found) == len(set(found))
    assert set(found) == set(expected)
    for schedule in result.schedules:
        assert schedule.score == expected[combination(schedule)]
        chosen = [next(c for c in timetable.courses[course] if c.section_id == section_id)
                  for course, section_id in schedule.sections.items()]
        assert not schedule_conflicts_with_blocked(chosen, timetable.blocked)
    assert [s.score for s in result.schedules] == sorted(s.score for s in result.schedules)
    for first, second in result.clashing_courses:
        usable = [[c for c in timetable.courses[course] if not conflicts(c.slots, timetable.blocked)
                   and timetable.locked.get(course, c.section_id) == c.section_id]
                  for course in (first, second)]
        assert all(conflicts(a.slots, b.slots) for a in usable[0] for b in usable[1])


@settings(max_examples=200, deadline=None, database=None)
@given(st.integers(1, 4).flatmap(lambda k: requests(k=k)))
def test_a_small_k_returns_the_k_best_scores_in_order(timetable):
    expected = oracle(timetable)
    search = ScheduleSearch(timetable)
    streamed = {combination(schedule) for schedule in search}
    result = search.result

    assert [s.score for s in result.schedules] == sorted(expected.values())[:timetable.k]
    for schedule in result.schedules:
        assert expected[combination(schedule)] == schedule.score
        assert combination(schedule) in streamed
    assert len({combination(s) for s in result.schedules}) == len(result.schedules)


@settings(max_examples=200, deadline=None, database=None)
@given(requests(k=1), st.data())
def test_no_schedule_beats_the_bound_that_prunes_the_search(timetable, data):
    """Branch and bound returns the K best only if each cost's bound never exceeds a reachable cost."""
    timetable = dataclasses.replace(timetable, preferences=tuple(Preference))
    expected = oracle(timetable)
    search = ScheduleSearch(timetable)
    kept = data.draw(st.lists(st.sampled_from(list(timetable.courses)), unique=True), label="courses kept")
    partial = {course: data.draw(st.sampled_from([c.section_id for c in timetable.courses[course]]))
               for course in kept}

    bound = search.lower_bound(partial)

    reachable = [score for chosen, score in expected.items() if set(partial.items()) <= chosen]
    if reachable:
        assert bound is not None
        assert all(bound[i] <= min(score[i] for score in reachable) for i in range(len(Preference)))
    if len(partial) == len(timetable.courses):
        assert bound == (reachable[0] if reachable else None)


# -- what a learner notices ------------------------------------------------------------------------

def test_sections_with_the_same_meetings_are_searched_once_and_all_offered():
    morning = (at(MON, "09:00", "12:00"), at(WED, "09:00", "12:00"))
    request = Request({
        "oral": [section(f"oral-{site}", "oral", *morning, site=site) for site in (1, 2, 3)],
        "writing": [section(f"writing-{n}", "writing", at(TUE, "13:00", "16:00")) for n in (1, 2)],
    }, k=50)

    result = best_schedules(request)

    assert {combination(s) for s in result.schedules} == {
        frozenset({("oral", f"oral-{site}"), ("writing", f"writing-{n}")}) for site in (1, 2, 3) for n in (1, 2)}
    assert result.nodes_examined == 2
    assert result.cartesian_size == 6
    assert {s.summary.site_ids for s in result.schedules} == {(1,), (2, 1), (3, 1)}


def test_a_locked_section_is_always_chosen():
    request = Request({
        "oral": [section("early", "oral", at(MON, "08:00", "10:00")),
                 section("late", "oral", at(FRI, "18:00", "21:00"))],
        "writing": [section("w1", "writing", at(MON, "10:00", "12:00")),
                    section("w2", "writing", at(TUE, "10:00", "12:00"))],
    }, locked={"oral": "late"}, preferences=[Preference.FEWEST_DAYS, Preference.EARLIEST], k=10)

    result = best_schedules(request)

    assert len(result.schedules) == 2
    assert all(s.sections["oral"] == "late" for s in result.schedules)
    assert result.cartesian_size == 2


def test_a_course_whose_every_section_is_blocked_is_named_and_gives_no_schedule():
    request = Request({
        "oral": [section("o1", "oral", at(MON, "09:00", "12:00"))],
        "evening": [section("e1", "evening", at(TUE, "18:00", "21:00")),
                    section("e2", "evening", at(THU, "18:30", "21:30"))],
        "locked": [section("l1", "locked", at(TUE, "19:00", "20:00")),
                   section("l2", "locked", at(FRI, "09:00", "10:00"))],
        "empty": [],
    }, locked={"locked": "l1"}, blocked=[at(TUE, "17:00", "23:59"), at(THU, "17:00", "23:59")])

    result = best_schedules(request)

    assert result.schedules == ()
    assert result.complete
    assert result.impossible_courses == {"evening": Impossibility.ALL_SECTIONS_BLOCKED,
                                         "locked": Impossibility.LOCKED_SECTION_BLOCKED,
                                         "empty": Impossibility.NO_SECTIONS}


def test_two_courses_that_always_clash_are_named():
    request = Request({
        "oral": [section("o1", "oral", at(MON, "09:00", "12:00")), section("o2", "oral", at(TUE, "09:00", "12:00"))],
        "culture": [section("c1", "culture", at(WED, "09:00", "10:00"))],
        "writing": [section("w1", "writing", at(MON, "11:00", "12:00"), at(TUE, "11:00", "12:00"))],
    })

    result = best_schedules(request)

    assert result.schedules == ()
    assert result.clashing_courses == (("oral", "writing"),)


def test_fewest_days_prefers_two_days_over_three():
    request = Request({
        "oral": [section("oral-mwf", "oral", at(MON, "09:00", "11:00"), at(WED, "09:00", "11:00"),
                         at(FRI, "09:00", "11:00")),
                 section("oral-mw", "oral", at(MON, "09:00", "12:00"), at(WED, "09:00", "12:00"))],
        "writing": [section("writing-tue", "writing", at(TUE, "13:00", "16:00")),
                    section("writing-mon", "writing", at(MON, "13:00", "16:00"))],
    }, preferences=[Preference.FEWEST_DAYS], k=1)

    best = best_schedules(request).schedules[0]

    assert best.sections == {"oral": "oral-mw", "writing": "writing-mon"}
    assert best.summary.days == (MON, WED)
    assert best.score == (2,)


def test_single_site_prefers_one_site():
    request = Request({
        "oral": [section("oral-a", "oral", at(MON, "09:00", "12:00"), site="A"),
                 section("oral-b", "oral", at(MON, "09:00", "12:00"), site="B")],
        "writing": [section("writing-b", "writing", at(TUE, "09:00", "12:00"), site="B"),
                    section("writing-c", "writing", at(WED, "09:00", "12:00"), site="C")],
        "online": [section("online", "online", at(THU, "19:00", "20:00"), site=None)],
    }, preferences=[Preference.SINGLE_SITE], k=1)

    best = best_schedules(request).schedules[0]

    assert best.sections == {"oral": "oral-b", "writing": "writing-b", "online": "online"}
    assert best.summary.site_ids == ("B",)


@pytest.mark.parametrize(("preference", "winner"), [
    (Preference.COMPACT, "oral-10h"),
    (Preference.EARLIEST, "oral-8h"),
    (Preference.LATEST, "oral-13h"),
])
def test_compact_earliest_and_latest_pick_the_section_a_learner_expects(preference, winner):
    request = Request({
        "oral": [section("oral-8h", "oral", at(MON, "08:00", "09:30")),
                 section("oral-10h", "oral", at(MON, "10:00", "11:30")),
                 section("oral-13h", "oral", at(MON, "13:00", "14:30"))],
        "writing": [section("writing", "writing", at(MON, "11:30", "12:30"))],
    }, preferences=[preference], k=1)

    assert best_schedules(request).schedules[0].sections["oral"] == winner


def test_compact_finds_every_schedule_where_later_courses_fill_the_gap():
    request = Request({
        "grammar": [section("grammar", "grammar", at(MON, "09:00", "10:00"), at(MON, "12:00", "13:00"))],
        "culture": [section("culture-wed", "culture", at(WED, "09:00", "10:00")),
                    section("culture-thu", "culture", at(THU, "09:00", "10:00"))],
        "oral": [section("oral-tue", "oral", at(TUE, "09:00", "10:00")),
                 section("oral-fri", "oral", at(FRI, "09:00", "10:00")),
                 section("oral-mon", "oral", at(MON, "10:00", "11:00"))],
        "writing": [section("writing-sat", "writing", at(6, "09:00", "10:00")),
                    section("writing-fri", "writing", at(FRI, "13:00", "14:00")),
                    section("writing-mon", "writing", at(MON, "11:00", "12:00"))],
    }, preferences=[Preference.COMPACT], k=2)

    schedules = best_schedules(request).schedules

    assert [s.sections for s in schedules] == [
        {"grammar": "grammar", "culture": culture, "oral": "oral-mon", "writing": "writing-mon"}
        for culture in ("culture-wed", "culture-thu")]
    assert [s.summary.idle_minutes for s in schedules] == [0, 0]


def test_a_tie_on_the_first_preference_is_broken_by_the_second():
    request = Request({
        "oral": [section("oral-late", "oral", at(MON, "15:00", "17:00")),
                 section("oral-early", "oral", at(MON, "09:00", "11:00"))],
        "writing": [section("writing", "writing", at(MON, "11:00", "12:00"))],
    }, preferences=[Preference.FEWEST_DAYS, Preference.COMPACT], k=2)

    schedules = best_schedules(request).schedules

    assert [s.sections["oral"] for s in schedules] == ["oral-early", "oral-late"]
    assert [s.score for s in schedules] == [(1, 0), (1, 180)]
    assert schedules[1].summary.idle_minutes == 180
    assert schedules[1].summary.first_start_time == dt.time(11, 0)
    assert schedules[1].summary.last_end_time == dt.time(17, 0)


def test_the_time_budget_stops_a_huge_search_and_says_it_is_incomplete():
    # Twelve courses on disjoint bands of the week, ten distinct sections each: no conflict at all.
    courses = {course: [section(f"{course}-{n}", course, Slot(1 + course % 6, 480 + 120 * (course // 6) + 5 * n,
                                                             540 + 120 * (course // 6) + 5 * n))
                        for n in range(10)]
               for course in range(12)}
    request = Request(courses, k=10**9, time_budget=0.05)

    result = best_schedules(request)

    assert not result.complete
    assert result.schedules
    assert result.cartesian_size == 10**12
    assert result.nodes_examined < result.cartesian_size


def test_meeting_ends_touching_do_not_conflict_and_times_are_accepted():
    assert Slot(MON, dt.time(9), dt.time(10, 30)) == Slot(MON, 540, 630)
    assert not conflicts([at(MON, "09:00", "10:00")], [at(MON, "10:00", "11:00")])
    assert conflicts([at(MON, "09:00", "10:01")], [at(MON, "10:00", "11:00")])
    assert not conflicts([at(MON, "09:00", "11:00")], [at(TUE, "09:00", "11:00")])
    with pytest.raises(ValueError):
        Slot(8, 540, 600)
    with pytest.raises(ValueError):
        Slot(MON, 600, 540)


def test_a_lock_on_a_section_that_is_not_a_candidate_is_refused():
    with pytest.raises(ValueError, match="locked"):
        Request({"oral": [section("o1", "oral", at(MON, "09:00", "10:00"))]}, locked={"oral": "o9"})


def test_the_result_is_only_there_once_the_search_has_run():
    search = ScheduleSearch(Request({"oral": [section("o1", "oral", at(MON, "09:00", "10:00"))]}))
    with pytest.raises(RuntimeError, match="not been run"):
        _ = search.result
    assert [s.sections for s in search] == [{"oral": "o1"}]
    assert search.result.complete
