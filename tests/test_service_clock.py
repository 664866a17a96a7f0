"""The service clock: working days (weekends and Québec holidays excluded) from a complete
application to the first course, against the 50-day standard; SQL and Python agree on both engines."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from flask_babel import force_locale
from sqlalchemy import Column, Date, Integer, MetaData, Table, func, insert, select

from app.extensions import db
from app.models import Application, ApplicationStatus, CourseFormat
from app.services import service_clock as clock
from app.services.service_clock import ClockStatus, working_days_between
from tests.factories import make_learner, tag

UTC = dt.UTC
YEARS = range(2015, 2031)  # the holiday years given to SQL: every random span below ends by 2029


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def engine_ctx(engine_app):
    with engine_app.test_request_context():
        yield engine_app
        db.session.rollback()
        db.session.remove()


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# Counted by hand on a 2025 calendar; the convention is the working days d with start < d <= end.
HAND_CHECKED = [
    # Fri 20 June → Fri 4 July: Mon 23, (Tue 24 Saint-Jean-Baptiste), Wed 25, Thu 26, Fri 27,
    # Mon 30, (Tue 1 July Canada Day), Wed 2, Thu 3, Fri 4 → 8.
    ("2025-06-20", "2025-07-04", 8),
    # Fri 29 Aug → Fri 5 Sept: (Mon 1 Labour Day), Tue 2, Wed 3, Thu 4, Fri 5 → 4.
    ("2025-08-29", "2025-09-05", 4),
    # Fri 10 Oct → Fri 17 Oct: (Mon 13 Thanksgiving), Tue 14, Wed 15, Thu 16, Fri 17 → 4.
    ("2025-10-10", "2025-10-17", 4),
    # Fri 19 Dec → Fri 2 Jan 2026: Mon 22, Tue 23, Wed 24, (Thu 25 Christmas), Fri 26 (Boxing Day
    # is no statutory holiday in Québec), Mon 29, Tue 30, Wed 31, (Thu 1 Jan New Year), Fri 2 → 8.
    ("2025-12-19", "2026-01-02", 8),
    # The whole of 2025: 261 weekdays (52 weeks and Wednesday 31 Dec) less 8 weekday holidays —
    # 1 Jan, Good Friday 18 Apr, Patriots' Day 19 May, 24 June, 1 July, 1 Sept, 13 Oct, 25 Dec → 253.
    ("2024-12-31", "2025-12-31", 253),
    ("2025-06-23", "2025-06-24", 0),   # the only day counted is Saint-Jean-Baptiste
    ("2025-06-27", "2025-06-30", 1),   # Friday → Monday: the weekend does not count
    ("2025-06-28", "2025-06-29", 0),   # Saturday → Sunday
    ("2025-06-20", "2025-06-20", 0),   # the day the file is complete is day 0
    ("2025-07-04", "2025-06-20", 0),   # an end before the start counts nothing
]


@pytest.mark.parametrize("start, end, expected", HAND_CHECKED)
def test_working_days_match_a_hand_checked_calendar(start, end, expected):
    assert working_days_between(d(start), d(end)) == expected


def test_quebec_holidays_are_not_working_days_and_come_from_the_holidays_package():
    named = {"2025-06-24": "Saint-Jean-Baptiste", "2025-07-01": "Canada Day", "2025-09-01": "Labour Day",
             "2025-10-13": "Thanksgiving", "2025-12-25": "Christmas"}
    for day in named:
        assert not clock.is_working_day(d(day)), named[day]
        assert d(day) in clock.weekday_holidays(2025)
    assert clock.is_working_day(d("2025-12-26"))  # Boxing Day: a working day in Québec
    assert not clock.is_working_day(d("2025-06-21"))  # a Saturday
    # A holiday falling on a weekend is replaced by its observed weekday: Christmas 2027 is a Saturday.
    assert not clock.is_working_day(d("2027-12-27"))


def test_the_fiftieth_working_day_meets_the_standard_exactly():
    complete = d("2025-06-20")
    deadline = clock.add_working_days(complete, clock.STANDARD_WORKING_DAYS)
    assert working_days_between(complete, deadline) == 50
    assert working_days_between(complete, deadline - dt.timedelta(days=1)) == 49
    assert clock.is_working_day(deadline)


def application_for(learner, complete_at: dt.datetime | None, first_course_at: dt.date | None = None) -> Application:
    application = Application(learner=learner, format_wanted=CourseFormat.FULL_TIME, status=ApplicationStatus.COMPLETE,
                              complete_at=complete_at, first_course_at=first_course_at)
    db.session.add(application)
    return application


def test_service_days_run_from_the_montreal_day_of_completion_to_the_first_course(ctx):
    learner = make_learner()
    # Completed at 16:50 in Montréal on Friday 20 June (20:50 UTC); first course Friday 4 July.
    served = application_for(learner, dt.datetime(2025, 6, 20, 20, 50, tzinfo=UTC), d("2025-07-04"))
    assert clock.service_days(served, today=d("2025-09-30")) == 8
    assert clock.service_clock(served, today=d("2025-09-30")).waiting is False

    # Completed at 22:30 in Montréal on 20 June, already 21 June in UTC: the clock starts on the 20th.
    late_evening = application_for(learner, dt.datetime(2025, 6, 21, 2, 30, tzinfo=UTC))
    waiting = clock.service_clock(late_evening, today=d("2025-07-04"))
    assert (waiting.days, waiting.waiting, waiting.remaining) == (8, True, 42)
    assert waiting.status == ClockStatus.ON_TRACK

    assert clock.service_days(application_for(learner, None), today=d("2025-07-04")) is None


@pytest.mark.parametrize("days, status, english", [
    (0, ClockStatus.ON_TRACK, "On track"), (39, ClockStatus.ON_TRACK, "On track"),
    (40, ClockStatus.AT_RISK, "At risk"), (50, ClockStatus.AT_RISK, "At risk"),
    (51, ClockStatus.LATE, "Late"),
])
def test_status_against_the_fifty_day_standard(ctx, days, status, english):
    assert clock.clock_status(days) == status
    with force_locale("en"):
        assert str(status) == english


def test_a_file_waiting_past_fifty_working_days_is_late(ctx):
    complete = dt.datetime(2025, 6, 20, 20, 50, tzinfo=UTC)
    application = application_for(make_learner(), complete)
    deadline = clock.add_working_days(d("2025-06-20"), 50)
    assert clock.service_clock(application, today=deadline).status == ClockStatus.AT_RISK
    assert clock.service_clock(application, today=deadline + dt.timedelta(days=3)).status == ClockStatus.LATE


# --- SQL and Python agree ----------------------------------------------------------------------

def random_day(rng: random.Random) -> dt.date:
    """A day of 2016 to 2026."""
    return dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(11 * 365))


def test_sql_and_python_agree_on_random_date_pairs(engine_ctx):
    rng = random.Random(20250624)
    pairs = []
    for _ in range(600):
        start = random_day(rng)
        # Mostly spans of a few days to a few months (the service clock's range), some long or reversed.
        span = rng.choice([rng.randint(0, 10), rng.randint(0, 120), rng.randint(-30, 900)])
        pairs.append((start, start + dt.timedelta(days=span)))
    pairs += [(d(a), d(b)) for a, b, _ in HAND_CHECKED]

    table = Table(f"clock_pair_{tag()}", MetaData(), Column("id", Integer, primary_key=True),
                  Column("start", Date), Column("end", Date), prefixes=["TEMPORARY"])
    connection = db.session.connection()
    table.create(connection)
    try:
        connection.execute(insert(table), [{"id": i, "start": a, "end": b} for i, (a, b) in enumerate(pairs)])
        days = clock.working_days_sql(table.c.start, table.c.end, years=YEARS)
        from_sql = dict(connection.execute(select(table.c.id, days)).all())
    finally:
        table.drop(connection)
    mismatches = [(a, b, from_sql[i], working_days_between(a, b)) for i, (a, b) in enumerate(pairs)
                  if from_sql[i] != working_days_between(a, b)]
    assert mismatches == []
    assert from_sql[len(pairs) - len(HAND_CHECKED)] == 8  # 2025-06-20 → 2025-07-04, counted by hand


def test_sql_gives_no_count_without_both_dates(engine_ctx):
    assert db.session.scalar(select(clock.working_days_sql(None, d("2025-07-04")))) is None
    assert db.session.scalar(select(clock.working_days_sql(d("2025-06-20"), d("2025-07-04")))) == 8


def test_service_days_in_sql_agree_with_each_file_sort_the_queue_and_group_by_status(engine_ctx):
    rng = random.Random(4)
    learner = make_learner()
    today = d("2026-03-02")
    instants = [
        # Around the change to daylight saving time (Sunday 9 March 2025, 02:00 EST → 03:00 EDT) and
        # back (Sunday 2 November 2025, 02:00 EDT → 01:00 EST), and around local midnight.
        dt.datetime(2025, 3, 9, 4, 30), dt.datetime(2025, 3, 9, 6, 59), dt.datetime(2025, 3, 9, 7, 0),
        dt.datetime(2025, 3, 10, 3, 59), dt.datetime(2025, 3, 10, 4, 0),
        dt.datetime(2025, 11, 2, 4, 30), dt.datetime(2025, 11, 2, 5, 59), dt.datetime(2025, 11, 2, 6, 0),
        dt.datetime(2025, 11, 3, 4, 59), dt.datetime(2025, 11, 3, 5, 0),
        dt.datetime(2025, 12, 31, 23, 30), dt.datetime(2025, 6, 21, 2, 30),
    ]
    instants += [dt.datetime.combine(random_day(rng), dt.time()) + dt.timedelta(minutes=rng.randrange(24 * 60))
                 for _ in range(250)]
    applications = []
    for instant in instants:
        complete_at = instant.replace(tzinfo=UTC)
        first = None
        if rng.random() < 0.6:
            first = complete_at.date() + dt.timedelta(days=rng.randint(-2, 150))
        applications.append(application_for(learner, complete_at, first))
    applications.append(application_for(learner, None))
    db.session.flush()

    days = clock.service_days_sql(today=today, years=YEARS)
    from_sql = dict(db.session.execute(select(Application.id, days).where(Application.learner_id == learner.id)).all())
    expected = {a.id: clock.service_days(a, today=today) for a in applications}
    assert from_sql == expected
    assert {v for v in expected.values() if v is not None} >= {0}  # some files start and end the same day

    queue = db.session.scalars(select(Application.id).where(Application.learner_id == learner.id,
                                                            Application.complete_at.is_not(None))
                               .order_by(days.desc(), Application.id)).all()
    assert queue == sorted((a.id for a in applications if a.complete_at is not None),
                           key=lambda i: (-expected[i], i))

    status = clock.clock_status_sql(days)
    counts = dict(db.session.execute(select(status, func.count()).where(Application.learner_id == learner.id)
                                     .group_by(status)).all())
    python_counts: dict = {}
    for value in expected.values():
        key = None if value is None else clock.clock_status(value).value
        python_counts[key] = python_counts.get(key, 0) + 1
    assert counts == python_counts
    assert set(counts) >= {ClockStatus.ON_TRACK.value, ClockStatus.LATE.value}
