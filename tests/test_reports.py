"""The reporting engine: each indicator against figures counted by hand on a small world, on
PostgreSQL and SQLite; each filter narrows the figures; the SQL service clock agrees with Python.

The world lives in two fresh regions of its own (R, and R2 for the region filter), so every
figure is asked for with ``region`` set and no other test's rows are counted. Today is Monday
15 September 2025. Working days leave out weekends and the Québec holidays of 2025: Good Friday
18 April, Patriots' Day 19 May, Saint-Jean-Baptiste 24 June, Canada Day 1 July, Labour Day 1
September, Thanksgiving 13 October (Easter Monday is a working day in Québec).
"""
from __future__ import annotations

import datetime as dt
import math
import statistics
from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.extensions import db
from app.models import (
    Allowance, AllowanceKind, AllowanceStatus, Application, ApplicationEvent, ApplicationStatus as AS, Attendance,
    CapacityDeclaration, ClientCategory, CourseFormat, Enrolment, EnrolmentStatus as ES, ExamResult, Partner,
    PartnerType, PlacementResult, Region, Skill,
)
from app.services import reports
from app.services.reports import ReportFilters
from app.services.service_clock import service_days
from tests.factories import make_course, make_learner, make_section, make_term, tag

TODAY = dt.date(2025, 9, 15)
FT, PT = CourseFormat.FULL_TIME, CourseFormat.PART_TIME


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def noon(text: str) -> dt.datetime:
    """15:00 UTC: the same calendar day in Montréal (11:00 or 10:00)."""
    return dt.datetime.combine(day(text), dt.time(15), dt.UTC)


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    w.region = Region(code=f"R{tag()}", name_fr="Région d'essai", name_en="Test region")
    w.region2 = Region(code=f"S{tag()}", name_fr="Autre région", name_en="Other region")
    w.c1 = ClientCategory(code=f"c1-{tag()}", name_fr="Catégorie 1", name_en="Category 1")
    w.c2 = ClientCategory(code=f"c2-{tag()}", name_fr="Catégorie 2", name_en="Category 2")
    db.session.add_all([w.region, w.region2, w.c1, w.c2])
    db.session.flush()
    w.p1 = Partner(name=f"P1 {tag()}", type=PartnerType.COMMUNITY, region_id=w.region.id)
    w.p2 = Partner(name=f"P2 {tag()}", type=PartnerType.CEGEP, region_id=w.region.id)
    db.session.add_all([w.p1, w.p2])
    beginner_ft = make_course(1, 4, FT)
    intermediate_pt = make_course(5, 8, PT)
    t1 = make_term(code=f"T1-{tag()}", starts_on=day("2025-04-22"), ends_on=day("2025-06-20"),
                   registration_opens=day("2025-03-01"), registration_closes=day("2025-04-21"),
                   drop_deadline=day("2025-05-01"))
    t2 = make_term(code=f"T2-{tag()}", starts_on=day("2025-07-04"), ends_on=day("2025-09-19"),
                   registration_opens=day("2025-06-01"), registration_closes=day("2025-07-03"),
                   drop_deadline=day("2025-07-15"))
    t3 = make_term(code=f"T3-{tag()}", starts_on=day("2025-10-20"), ends_on=day("2025-12-19"),
                   registration_opens=day("2025-09-01"), registration_closes=day("2025-10-19"),
                   drop_deadline=day("2025-10-30"))
    w.s1 = make_section(t1, beginner_ft, capacity=20, partner=w.p1)
    w.s2 = make_section(t2, intermediate_pt, capacity=15, partner=w.p2)
    w.s3 = make_section(t3, beginner_ft, capacity=18, partner=w.p1)
    w.s1.seats_taken, w.s2.seats_taken, w.s3.seats_taken = 5, 12, 1

    def application(name, *, status, complete=None, submitted=None, first=None, decided=None, fmt=FT,
                    level=3, category=None, region=None, events=()):
        learner = make_learner(level=level, region_id=(region or w.region).id)
        learner.category_id = (category or w.c1).id
        app_ = Application(learner=learner, format_wanted=fmt, region_id=(region or w.region).id, status=status,
                           submitted_at=noon(submitted) if submitted else None,
                           complete_at=noon(complete) if complete else None,
                           decided_at=noon(decided) if decided else None,
                           first_course_at=day(first) if first else None)
        db.session.add(app_)
        db.session.flush()
        for to_status, at in events:
            db.session.add(ApplicationEvent(application_id=app_.id, to_status=to_status, at=noon(at)))
        setattr(w, name, app_)
        return app_

    def started(name, complete, first):
        submitted = (day(complete) - dt.timedelta(days=3)).isoformat()
        decided = (day(complete) + dt.timedelta(days=2)).isoformat()
        return application(name, status=AS.APPROVED, complete=complete, submitted=submitted, first=first,
                           decided=decided, events=[(AS.COMPLETE, complete), (AS.APPROVED, decided)])

    # started: working days from complete to first course (counted in the module docstring's calendar)
    started("f1", "2025-04-17", "2025-04-22")  # Good Friday off, Easter Monday worked: 21, 22 → 2
    started("f2", "2025-06-20", "2025-07-04")  # 23, 25, 26, 27, 30 June, 2, 3, 4 July → 8
    started("f3", "2025-08-29", "2025-09-08")  # Labour Day off: 2, 3, 4, 5, 8 Sept → 5
    started("f4", "2025-03-03", "2025-05-26")  # 20 in March, 21 in April, 17 in May → 58
    started("f5", "2025-06-02", "2025-06-10")  # 3, 4, 5, 6, 9, 10 June → 6
    started("f6", "2025-10-10", "2025-10-17")  # Thanksgiving off: 14, 15, 16, 17 Oct → 4
    # waiting today (15 Sept 2025)
    application("w1", status=AS.COMPLETE, submitted="2025-09-05", complete="2025-09-08", level=2,
                events=[(AS.COMPLETE, "2025-09-08")])  # 9–12, 15 Sept → 5; waits for a decision
    application("w2", status=AS.APPROVED, submitted="2025-08-26", complete="2025-08-29", decided="2025-08-31",
                fmt=PT, level=6, events=[(AS.APPROVED, "2025-08-31")])  # 2–5, 8–12, 15 Sept → 10; no group
    application("w3", status=AS.APPROVED, submitted="2025-05-30", complete="2025-06-02", decided="2025-06-04",
                category=w.c2, events=[(AS.APPROVED, "2025-06-04")])  # 19 + 22 + 21 + 10 → 72; waiting list
    application("w4", status=AS.APPROVED, submitted="2025-09-05", complete="2025-09-08", decided="2025-09-10",
                category=w.c2, events=[(AS.APPROVED, "2025-09-10")])  # → 5; enrolled, course in October
    application("w5", status=AS.COMPLETE, submitted="2025-09-05", complete="2025-09-08", region=w.region2,
                events=[(AS.COMPLETE, "2025-09-08")])  # the other region
    # decided otherwise
    application("r1", status=AS.REFUSED, submitted="2025-02-03", complete="2025-02-05", decided="2025-02-07",
                events=[(AS.COMPLETE, "2025-02-05"), (AS.REFUSED, "2025-02-07")])
    application("x1", status=AS.WITHDRAWN, submitted="2025-02-03", events=[(AS.WITHDRAWN, "2025-02-10")])

    def enrol(name, app_, section, status, reason=None, enrolled="2025-04-20", ended=None):
        seat = status not in (ES.WAITLISTED, ES.OFFERED)
        row = Enrolment(learner_id=app_.learner_id, section_id=section.id, status=status, reason=reason,
                        position=1 if not seat else None, enrolled_at=noon(enrolled) if seat else None,
                        ended_at=noon(ended) if ended else None)
        db.session.add(row)
        setattr(w, name, row)
        return row

    enrol("e1", w.f1, w.s1, ES.COMPLETED, ended="2025-06-20")
    enrol("e2", w.f2, w.s2, ES.DROPPED, "schedule", enrolled="2025-07-02", ended="2025-07-20")
    enrol("e3", w.f3, w.s1, ES.DROPPED, "schedule: travaille le soir", ended="2025-05-10")
    enrol("e4", w.f4, w.s1, ES.DROPPED, "Déménagé à Gatineau", ended="2025-05-12")
    enrol("e5", w.f5, w.s1, ES.COMPLETED, ended="2025-06-20")
    enrol("e6", w.f6, w.s1, ES.FAILED, ended="2025-06-20")
    enrol("e7", w.w4, w.s3, ES.ENROLLED, enrolled="2025-09-12")
    enrol("e8", w.f6, w.s2, ES.DROPPED, "swap", enrolled="2025-07-01", ended="2025-07-02")  # not a dropout
    enrol("e9", w.w3, w.s3, ES.WAITLISTED)
    enrol("e10", w.f5, w.s2, ES.DROPPED, None, enrolled="2025-07-02", ended="2025-07-25")  # no reason given
    enrol("e11", w.f4, w.s3, ES.WAITLISTED)  # F4 dropped out but waits again: not to follow up
    db.session.flush()

    db.session.add_all([
        Attendance(enrolment_id=w.e1.id, day=day("2025-04-22"), hours_scheduled=Decimal("12"),
                   hours_present=Decimal("10.5")),
        Attendance(enrolment_id=w.e5.id, day=day("2025-04-22"), hours_scheduled=Decimal("12"),
                   hours_present=Decimal("9.5")),
        Attendance(enrolment_id=w.e2.id, day=day("2025-07-04"), hours_scheduled=Decimal("3"),
                   hours_present=Decimal("3")),
        # placements and exams: F1 gains 4 − 2 = 2 in oral comprehension, 1 − 1 = 0 in written production
        PlacementResult(learner_id=w.f1.learner_id, skill=Skill.ORAL_COMPREHENSION, level=2,
                        assessed_on=day("2025-04-15")),
        PlacementResult(learner_id=w.f1.learner_id, skill=Skill.WRITTEN_PRODUCTION, level=1,
                        assessed_on=day("2025-04-15")),
        ExamResult(learner_id=w.f1.learner_id, section_id=w.s1.id, skill=Skill.ORAL_COMPREHENSION, level=3,
                   passed=True, taken_on=day("2025-05-30")),
        ExamResult(learner_id=w.f1.learner_id, section_id=w.s1.id, skill=Skill.ORAL_COMPREHENSION, level=4,
                   passed=True, taken_on=day("2025-06-19")),
        ExamResult(learner_id=w.f1.learner_id, section_id=w.s1.id, skill=Skill.WRITTEN_PRODUCTION, level=1,
                   passed=True, taken_on=day("2025-06-19")),
        ExamResult(learner_id=w.f5.learner_id, section_id=w.s1.id, skill=Skill.ORAL_PRODUCTION, level=3,
                   passed=True, taken_on=day("2025-06-19")),  # no placement in that skill: no gain counted
        ExamResult(learner_id=w.f6.learner_id, section_id=w.s1.id, skill=Skill.WRITTEN_COMPREHENSION, level=2,
                   passed=False, taken_on=day("2025-06-19")),
        # allowances: week of Monday 21 April and of Monday 28 April
        Allowance(learner_id=w.f1.learner_id, enrolment_id=w.e1.id, period_start=day("2025-04-21"),
                  period_end=day("2025-04-25"), kind=AllowanceKind.PARTICIPATION, amount=Decimal("230.00"),
                  status=AllowanceStatus.PAID),
        Allowance(learner_id=w.f1.learner_id, enrolment_id=w.e1.id, period_start=day("2025-04-23"),
                  period_end=day("2025-04-25"), kind=AllowanceKind.TRANSPORT, amount=Decimal("25.00"),
                  status=AllowanceStatus.APPROVED),
        Allowance(learner_id=w.f5.learner_id, enrolment_id=w.e5.id, period_start=day("2025-04-23"),
                  period_end=day("2025-04-25"), kind=AllowanceKind.PARTICIPATION, amount=Decimal("230.00"),
                  status=AllowanceStatus.PAID),
        Allowance(learner_id=w.f1.learner_id, enrolment_id=w.e1.id, period_start=day("2025-04-28"),
                  period_end=day("2025-05-02"), kind=AllowanceKind.PARTICIPATION, amount=Decimal("230.00"),
                  status=AllowanceStatus.CANCELLED),
        # declared capacity: two groups of beginners full time and one of intermediates part time in the
        # autumn term, and an old declaration of the spring term (over: not counted today)
        CapacityDeclaration(partner_id=w.p1.id, term_id=t3.id, region_id=w.region.id, format=FT, level_min=1,
                            level_max=4, groups_offered=2, seats_offered=36),
        CapacityDeclaration(partner_id=w.p2.id, term_id=t3.id, region_id=w.region.id, format=PT, level_min=5,
                            level_max=8, groups_offered=1, seats_offered=15),
        CapacityDeclaration(partner_id=w.p1.id, term_id=t1.id, region_id=w.region.id, format=FT, level_min=1,
                            level_max=4, groups_offered=9, seats_offered=99),
    ])
    db.session.flush()
    return w


@pytest.fixture
def world(engine_app):
    with engine_app.test_request_context():
        w = build_world()
        w.filters = ReportFilters(region_id=w.region.id)
        yield w
        db.session.rollback()
        db.session.remove()


def only(w, **changes) -> ReportFilters:
    return ReportFilters(region_id=w.region.id, **changes)


# --- applications -------------------------------------------------------------------------------

def test_application_counts_by_hand(world):
    counts = reports.application_counts(db.session, world.filters)
    # 6 started + 4 waiting + 1 refused + 1 withdrawn submitted; the withdrawn one never became complete
    assert (counts.received, counts.complete, counts.approved, counts.refused, counts.withdrawn) == (12, 11, 9, 1, 1)
    assert counts.decided == 10
    september = reports.application_counts(db.session, only(world, date_from=day("2025-09-01"),
                                                             date_to=day("2025-09-30")))
    # submitted in September: W1, W4; complete: W1, W4; approved: W4 (F3 on 31 August)
    assert (september.received, september.complete, september.approved, september.refused) == (2, 2, 1, 0)


# --- the service clock ---------------------------------------------------------------------------

def test_time_to_first_course_median_and_80th_percentile_across_quebec_holidays(world):
    clock = reports.time_to_first_course(db.session, world.filters, TODAY)
    # days 2, 4, 5, 6, 8, 58: median (5 + 6) / 2, 80th percentile the 5th of 6 (nearest rank)
    assert (clock.count, clock.median, clock.p80, clock.within_standard, clock.maximum) == (6, 5.5, 8, 5, 58)
    assert clock.share_within_standard == pytest.approx(5 / 6)
    summer = reports.time_to_first_course(db.session, only(world, date_from=day("2025-06-01"),
                                                           date_to=day("2025-09-30")), TODAY)
    assert (summer.count, summer.median, summer.p80) == (3, 6.0, 8)  # F5 6, F2 8, F3 5


def test_sql_figures_agree_with_the_python_service_clock(world):
    started = [world.f1, world.f2, world.f3, world.f4, world.f5, world.f6]
    python_days = sorted(service_days(a) for a in started)
    assert python_days == [2, 4, 5, 6, 8, 58]
    clock = reports.time_to_first_course(db.session, world.filters, TODAY)
    assert clock.median == statistics.median(python_days)
    assert clock.p80 == python_days[math.ceil(0.8 * len(python_days)) - 1]
    waiting = [world.w1, world.w2, world.w3, world.w4]
    ages = sorted(service_days(a, TODAY) for a in waiting)
    population = reports.waiting_population(db.session, world.filters, TODAY)
    assert ages == [5, 5, 10, 72]
    assert population.age.median == statistics.median(ages) and population.age.maximum == max(ages)


# --- waiting ------------------------------------------------------------------------------------

def test_waiting_population_size_age_stage_region_format(world):
    waiting = reports.waiting_population(db.session, world.filters, TODAY)
    assert waiting.size == 4
    assert (waiting.age.median, waiting.age.p80, waiting.age.beyond_standard) == (7.5, 72, 1)
    stages = {group.key: group.count for group in waiting.by_stage}
    assert stages == {"decision": 1, "no_place": 1, "waiting_list": 1, "course_start": 1}
    assert [(g.key, g.count, g.beyond_standard) for g in waiting.by_region] == [(world.region.id, 4, 1)]
    assert {g.key: g.count for g in waiting.by_format} == {"full_time": 3, "part_time": 1}
    assert str(waiting.by_region[0].label).endswith("Région d'essai")


# --- training -----------------------------------------------------------------------------------

def test_enrolments_completion_and_dropout_rate_with_reasons(world):
    t = reports.training(db.session, world.filters)
    # seats held: E1–E7 and E10 (E8 left for a swap, E9 and E11 only wait)
    assert (t.enrolments, t.learners, t.in_progress, t.completed, t.failed, t.dropped) == (8, 7, 1, 2, 1, 4)
    assert t.dropout_rate == pytest.approx(0.5)
    assert t.completion_rate == pytest.approx(2 / 7)
    # coded reasons group with or without details; a learner's own words count as written
    assert [(r.reason, r.count) for r in t.dropout_reasons] == [("schedule", 2), (None, 1), ("Déménagé à Gatineau", 1)]
    assert [str(r.label) for r in t.dropout_reasons] == [
        "Horaire qui ne convient plus", "Aucune raison donnée", "Déménagé à Gatineau"]


def test_levels_gained_per_100_hours_and_exam_pass_rates(world):
    t = reports.training(db.session, world.filters)
    assert t.hours_present == Decimal("23.00") and t.levels_gained == 2
    assert t.levels_per_100_hours == pytest.approx(200 / 23)
    exams = {e.skill: (e.taken, e.passed) for e in reports.exam_pass_rates(db.session, world.filters)}
    assert exams == {Skill.ORAL_COMPREHENSION: (2, 2), Skill.ORAL_PRODUCTION: (1, 1),
                     Skill.WRITTEN_COMPREHENSION: (1, 0), Skill.WRITTEN_PRODUCTION: (1, 1)}


# --- follow-up ----------------------------------------------------------------------------------

def test_follow_up_populations_are_selectable_lists_with_counts(world):
    never = db.session.execute(reports.approved_never_enrolled(world.filters)).all()
    assert {row.application_id for row in never} == {world.w2.id, world.w3.id}
    dropped = db.session.execute(reports.dropped_without_reenrolling(world.filters)).all()
    # F4 waits again; F5's latest dropout is E10 (after completing E1... E5)
    assert {(row.learner_id, row.enrolment_id) for row in dropped} == {
        (world.f2.learner_id, world.e2.id), (world.f3.learner_id, world.e3.id), (world.f5.learner_id, world.e10.id)}
    counts = reports.follow_up_counts(db.session, world.filters)
    assert (counts.approved_never_enrolled, counts.dropped_without_reenrolling) == (2, 3)


# --- allowances ---------------------------------------------------------------------------------

def test_allowances_computed_and_paid_by_week_and_kind(world):
    lines = [(a.week, a.kind, a.learners, a.computed, a.paid)
             for a in reports.allowances_by_week(db.session, world.filters)]
    assert lines == [
        (day("2025-04-21"), AllowanceKind.PARTICIPATION, 2, Decimal("460.00"), Decimal("460.00")),
        (day("2025-04-21"), AllowanceKind.TRANSPORT, 1, Decimal("25.00"), Decimal("0.00")),
        (day("2025-04-28"), AllowanceKind.PARTICIPATION, 1, Decimal("0.00"), Decimal("0.00")),
    ]


# --- demand against capacity --------------------------------------------------------------------

def test_demand_against_declared_and_scheduled_capacity(world):
    lines = {(line.format, line.band): line for line in
             reports.demand_against_capacity(db.session, world.filters, TODAY)}
    assert set(lines) == {(FT, "beginner"), (PT, "intermediate")}
    beginners = lines[(FT, "beginner")]  # W1, W3 wait without a seat; S3 (18 seats, 1 taken) runs later
    assert (beginners.demand, beginners.declared_groups, beginners.declared_seats, beginners.scheduled_groups,
            beginners.scheduled_seats, beginners.free_seats, beginners.gap) == (2, 2, 36, 1, 18, 17, -15)
    intermediates = lines[(PT, "intermediate")]  # W2; S2 runs until 19 September, 3 seats free
    assert (intermediates.demand, intermediates.declared_seats, intermediates.free_seats, intermediates.gap) == \
        (1, 15, 3, -2)
    spring = {(line.format, line.band): line for line in reports.demand_against_capacity(
        db.session, only(world, date_from=day("2025-04-01"), date_to=day("2025-06-30")), TODAY)}
    assert (spring[(FT, "beginner")].declared_seats, spring[(FT, "beginner")].scheduled_seats,
            spring[(FT, "beginner")].free_seats) == (99, 20, 15)


# --- the filters narrow -------------------------------------------------------------------------

def test_each_filter_narrows_the_figures(world):
    def figures(filters):
        return (reports.waiting_population(db.session, filters, TODAY).size,
                reports.training(db.session, filters).enrolments)

    assert figures(world.filters) == (4, 8)
    assert figures(ReportFilters(region_id=world.region2.id)) == (1, 0)
    assert figures(only(world, partner_id=world.p1.id)) == (2, 6)   # W3, W4 hold places at P1; S1 and S3
    assert figures(only(world, partner_id=world.p2.id)) == (0, 2)   # E2, E10
    assert figures(only(world, format=PT)) == (1, 2)
    assert figures(only(world, level_band="intermediate")) == (1, 2)
    assert figures(only(world, level_band="advanced")) == (0, 0)
    assert figures(only(world, category_id=world.c2.id)) == (2, 1)  # W3, W4; E7
    assert figures(only(world, date_from=day("2025-07-01"), date_to=day("2025-07-31"))) == (0, 2)  # S2 starts 4 July
    p2 = reports.training(db.session, only(world, partner_id=world.p2.id))
    assert p2.dropout_rate == 1.0 and [r.count for r in p2.dropout_reasons] == [1, 1]
    capacity = reports.demand_against_capacity(db.session, only(world, partner_id=world.p2.id), TODAY)
    assert sum(line.declared_seats for line in capacity) == 15


def test_the_full_set_agrees_with_each_indicator(world):
    full = reports.indicator_set(db.session, world.filters, TODAY)
    assert full.applications == reports.application_counts(db.session, world.filters)
    assert full.waiting.size == 4 and full.training.dropped == 4 and full.follow_up.approved_never_enrolled == 2
    assert len(full.capacity) == 2 and len(full.allowances) == 3 and len(full.exams) == 4


# --- filters from a query string ------------------------------------------------------------------

def test_filters_from_query_values_ignore_what_does_not_parse():
    good = ReportFilters.from_args({"from": "2025-01-01", "to": "2025-12-31", "region": "3", "partner": "7",
                                    "format": "part_time", "level": "advanced", "category": "2"})
    assert good == ReportFilters(day("2025-01-01"), day("2025-12-31"), 3, 7, PT, "advanced", 2)
    assert ReportFilters.from_args(good.to_args()) == good and good.ignored == ()
    bad = ReportFilters.from_args({"from": "2025-13-01", "to": "x\x00", "region": "99999999999999999999",
                                   "partner": "-1", "format": "FULL", "level": "expert", "category": "1e3"})
    assert bad == ReportFilters()
    assert set(bad.ignored) == {"from", "to", "region", "partner", "format", "level", "category"}
    backwards = ReportFilters.from_args({"from": "2025-12-31", "to": "2025-01-01", "region": ""})
    assert backwards == ReportFilters() and set(backwards.ignored) == {"from", "to"}
    assert ReportFilters(region_id=3).limited_to_partner(9) == ReportFilters(region_id=3, partner_id=9)
    assert ReportFilters().to_args() == {}


def test_instant_bounds_are_montreal_days():
    start, end = ReportFilters(date_from=day("2025-07-01"), date_to=day("2025-07-31")).instant_bounds()
    assert start == dt.datetime(2025, 7, 1, 4, tzinfo=dt.UTC) and end == dt.datetime(2025, 8, 1, 4, tzinfo=dt.UTC)

