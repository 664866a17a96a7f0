"""Allowances and payments, with amounts computed by hand in the comments.

Standard rules (app.services.allowances.STANDARD_RULES): full-time participation 115 $/week
until 2017-07-31 then 230 $/week; transport 25 $/week (full-time, in person); childcare 25 $ per
child per day full-time, 9 $ part-time; part-time participation 28 $/day until 2024-09-22.
Weekly amounts are pro-rated by hours present / hours scheduled, rounded to the hundredth.

Every learner here is new, and the writing functions are limited to the test's learners where
they accept it, so the shared database (which may hold the demo) is no obstacle.
"""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs import enqueue
from app.models import (
    Allowance, AllowanceKind, AllowanceRule, AllowanceStatus, AllowanceUnit, Attendance, CourseFormat, Delivery,
    Enrolment, EnrolmentStatus, ImmigrationStatus, IncomeSupport, Job, JobStatus, Learner, Payment,
)
from app.services.allowances import (
    AllowanceError, AttendanceDay, LearnerFacts, OverlappingRulesError, RuleBook, build_allowances, compute_period,
    dues_for_week, ensure_standard_rules, pay_batch, rule_in_force,
)
from app.demo import DEMO_LEARNER_FILE
from tests.conftest import Auth
from tests.test_layout import audit
from tests.factories import make_course, make_learner, make_section, make_term, reference_row, tag

P = AllowanceKind.PARTICIPATION
T = AllowanceKind.TRANSPORT
C = AllowanceKind.CHILDCARE
ADJ = AllowanceKind.ADJUSTMENT
MON_TO_FRI = (1, 2, 3, 4, 5)


@pytest.fixture
def ctx(app):
    """An app context whose session has the standard rules; what a test leaves uncommitted is dropped."""
    with app.app_context():
        ensure_standard_rules(db.session)
        db.session.commit()
        yield db.session
        db.session.remove()


def enrol(learner: Learner, fmt: CourseFormat = CourseFormat.FULL_TIME, start: dt.date = dt.date(2026, 1, 5),
          delivery: Delivery = Delivery.IN_PERSON, weekdays=MON_TO_FRI, hours=("08:30", "13:30")) -> Enrolment:
    """An enrolment in a new section of ``fmt`` whose term starts on ``start`` (a Monday, in the past)."""
    term = make_term(starts_on=start, ends_on=start + dt.timedelta(weeks=11), registration_opens=start - dt.timedelta(
        days=40), registration_closes=start - dt.timedelta(days=1), drop_deadline=start + dt.timedelta(days=14))
    section = make_section(term, make_course(fmt=fmt), meetings=tuple((day, *hours) for day in weekdays))
    section.delivery = delivery
    enrolment = Enrolment(learner=learner, section=section, status=EnrolmentStatus.ENROLLED)
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def attend(enrolment: Enrolment, week: dt.date, present: dict[int, str], scheduled: str = "5") -> None:
    """Attendance rows for ISO weekdays of the week of ``week``: {weekday: hours present}."""
    for weekday, hours in present.items():
        db.session.add(Attendance(enrolment=enrolment, day=week + dt.timedelta(days=weekday - 1),
                                  hours_scheduled=Decimal(scheduled), hours_present=Decimal(hours)))
    db.session.flush()


def full_week(enrolment: Enrolment, week: dt.date, hours: str = "5") -> None:
    attend(enrolment, week, {day: hours for day in MON_TO_FRI}, scheduled=hours)


def amounts(rows) -> dict[AllowanceKind, Decimal]:
    return {row.kind: row.amount for row in rows}


def rows_of(learner: Learner) -> list[Allowance]:
    return db.session.scalars(select(Allowance).where(Allowance.learner_id == learner.id)
                              .order_by(Allowance.period_start, Allowance.sequence, Allowance.id)).all()


# --- the rules --------------------------------------------------------------------------------------

def test_standard_rules_are_data_found_again_not_duplicated(ctx):
    before = ctx.scalar(select(func.count()).select_from(AllowanceRule))
    first = [rule.id for rule in ensure_standard_rules(ctx)]
    second = [rule.id for rule in ensure_standard_rules(ctx)]
    assert first == second and len(set(first)) == 6
    assert ctx.scalar(select(func.count()).select_from(AllowanceRule)) == before

    full_time = CourseFormat.FULL_TIME
    assert rule_in_force(ctx, P, full_time, dt.date(2017, 7, 31)).amount == Decimal("115.00")
    assert rule_in_force(ctx, P, full_time, dt.date(2017, 8, 1)).amount == Decimal("230.00")
    part_time = rule_in_force(ctx, P, CourseFormat.PART_TIME, dt.date(2024, 9, 22))
    assert (part_time.amount, part_time.unit) == (Decimal("28.00"), AllowanceUnit.DAY)
    assert rule_in_force(ctx, P, CourseFormat.PART_TIME, dt.date(2024, 9, 23)) is None
    assert rule_in_force(ctx, T, full_time, dt.date(2026, 3, 2)).in_person_only
    assert rule_in_force(ctx, T, CourseFormat.PART_TIME, dt.date(2026, 3, 2)) is None
    assert rule_in_force(ctx, C, CourseFormat.PART_TIME, dt.date(2026, 3, 2)).amount == Decimal("9.00")


def test_two_rules_in_force_on_one_day_are_refused(ctx):
    ctx.add_all([AllowanceRule(kind=T, format=CourseFormat.WORKPLACE, unit=AllowanceUnit.WEEK, amount=amount,
                               valid_from=dt.date(2030, 1, 1), valid_to=None) for amount in (Decimal(10), Decimal(12))])
    ctx.flush()
    with pytest.raises(OverlappingRulesError) as refused:
        rule_in_force(ctx, T, CourseFormat.WORKPLACE, dt.date(2030, 6, 1))
    assert "2030-06-01" in str(refused.value)
    ctx.rollback()


def test_a_week_starts_on_a_monday(ctx):
    with pytest.raises(AllowanceError):
        compute_period(ctx, make_learner(), dt.date(2026, 3, 4))


# --- computing one week ---------------------------------------------------------------------------------

def test_full_time_week_fully_attended(ctx):
    learner = make_learner()
    week = dt.date(2026, 2, 2)
    full_week(enrol(learner), week)
    rows = compute_period(ctx, learner, week)
    # 25 of 25 hours: share 1.00 -> 230.00 $ participation + 25.00 $ transport (no child in care)
    assert amounts(rows) == {P: Decimal("230.00"), T: Decimal("25.00")}
    assert all(row.quantity == Decimal("1.00") and row.period_end == dt.date(2026, 2, 8) for row in rows)


def test_partial_attendance_is_pro_rated(ctx):
    learner = make_learner()
    week = dt.date(2026, 2, 9)
    enrolment = enrol(learner)
    attend(enrolment, week, {1: "5", 2: "5", 3: "2.5", 4: "2.5", 5: "0"})
    # 15 of 25 hours: share 0.60 -> 230 x 0.60 = 138.00 $; transport 25 x 0.60 = 15.00 $
    assert amounts(compute_period(ctx, learner, week)) == {P: Decimal("138.00"), T: Decimal("15.00")}

    other = make_learner()
    attend(enrol(other), week, {1: "6", 2: "6", 3: "6", 4: "2", 5: "0"}, scheduled="6")
    # 20 of 30 hours: 0.6667 rounds to 0.67 -> 230 x 0.67 = 154.10 $; 25 x 0.67 = 16.75 $
    rows = compute_period(ctx, other, week)
    assert amounts(rows) == {P: Decimal("154.10"), T: Decimal("16.75")}
    assert {row.quantity for row in rows} == {Decimal("0.67")}


def test_a_week_without_any_hour_present_owes_nothing(ctx):
    learner = make_learner(children_in_care=1)
    week = dt.date(2026, 2, 16)
    attend(enrol(learner), week, {day: "0" for day in MON_TO_FRI})
    assert compute_period(ctx, learner, week) == []


def test_part_time_participation_before_and_after_the_abolition(ctx):
    learner = make_learner()
    enrolment = enrol(learner, CourseFormat.PART_TIME, start=dt.date(2024, 9, 2), weekdays=(1, 3),
                      hours=("18:00", "21:00"))
    before, after = dt.date(2024, 9, 16), dt.date(2024, 9, 23)
    attend(enrolment, before, {1: "3", 3: "1.5"}, scheduled="3")
    attend(enrolment, after, {1: "3", 3: "3"}, scheduled="3")
    # week of 16 September 2024: 2 days attended x 28 $ = 56.00 $ (no transport for part-time)
    rows = compute_period(ctx, learner, before)
    assert amounts(rows) == {P: Decimal("56.00")} and rows[0].quantity == Decimal("2")
    # from Monday 23 September 2024 the part-time participation allowance is abolished: nothing
    assert compute_period(ctx, learner, after) == []


def test_childcare_for_two_children(ctx):
    full_timer = make_learner(children_in_care=2)
    week = dt.date(2026, 3, 2)
    full_week(enrol(full_timer), week)
    # 2 children x 5 days x 25 $ = 250.00 $, beside 230.00 $ participation and 25.00 $ transport
    assert amounts(compute_period(ctx, full_timer, week)) == {
        P: Decimal("230.00"), T: Decimal("25.00"), C: Decimal("250.00")}

    part_timer = make_learner(children_in_care=2)
    enrolment = enrol(part_timer, CourseFormat.PART_TIME, start=dt.date(2026, 2, 23), weekdays=(2, 4),
                      hours=("18:00", "21:00"))
    attend(enrolment, week, {2: "3", 4: "3"}, scheduled="3")
    # 2 children x 2 days x 9 $ = 36.00 $; no part-time participation in 2026
    rows = compute_period(ctx, part_timer, week)
    assert amounts(rows) == {C: Decimal("36.00")} and rows[0].quantity == Decimal("4")


@pytest.mark.parametrize("excluded_by", ["income_support", "asylum_claimant"])
def test_exclusions_remove_participation_but_not_transport(ctx, excluded_by):
    if excluded_by == "income_support":
        learner = make_learner(income_support=reference_row(IncomeSupport, "test-employment-insurance"))
    else:
        learner = make_learner(status=reference_row(ImmigrationStatus, "test-asylum-claimant",
                                                    allowance_excluded=True))
    week = dt.date(2026, 3, 9)
    full_week(enrol(learner), week)
    # no participation allowance; transport 25.00 $ is still paid
    assert amounts(compute_period(ctx, learner, week)) == {T: Decimal("25.00")}


def test_transport_only_for_courses_in_person(ctx):
    learner = make_learner()
    week = dt.date(2026, 3, 16)
    full_week(enrol(learner, delivery=Delivery.ONLINE), week)
    assert amounts(compute_period(ctx, learner, week)) == {P: Decimal("230.00")}


def test_two_full_time_courses_in_one_week_make_one_weekly_allowance(ctx):
    learner = make_learner()
    week = dt.date(2026, 3, 23)
    ending, starting = enrol(learner), enrol(learner)
    attend(ending, week, {1: "5", 2: "5", 3: "5"})
    attend(starting, week, {4: "5", 5: "0"})
    # 20 of 25 hours over both courses: 0.80 -> 184.00 $ + 20.00 $, attached to the course with most hours
    rows = compute_period(ctx, learner, week)
    assert amounts(rows) == {P: Decimal("184.00"), T: Decimal("20.00")}
    assert {row.enrolment_id for row in rows} == {ending.id}


def test_the_full_time_amount_of_2017_depends_on_the_week(ctx):
    learner = make_learner()
    enrolment = enrol(learner, start=dt.date(2017, 7, 24))
    for week in (dt.date(2017, 7, 24), dt.date(2017, 7, 31), dt.date(2017, 8, 7)):
        full_week(enrolment, week)
    # the rule in force on the Monday applies to the week: 115 $ until the week of 31 July 2017, then 230 $
    assert [amounts(compute_period(ctx, learner, week))[P]
            for week in (dt.date(2017, 7, 24), dt.date(2017, 7, 31), dt.date(2017, 8, 7))] == [
        Decimal("115.00"), Decimal("115.00"), Decimal("230.00")]


def test_a_daily_amount_changed_mid_week_pays_each_day_at_its_rate():
    """Pure computation over rules in memory: no database."""
    part_time = CourseFormat.PART_TIME
    book = RuleBook([
        AllowanceRule(id=1, kind=P, format=part_time, unit=AllowanceUnit.DAY, amount=Decimal("28.00"),
                      valid_from=dt.date(2029, 1, 1), valid_to=dt.date(2030, 1, 2)),
        AllowanceRule(id=2, kind=P, format=part_time, unit=AllowanceUnit.DAY, amount=Decimal("30.00"),
                      valid_from=dt.date(2030, 1, 3), valid_to=None)])
    week = dt.date(2029, 12, 31)
    days = [AttendanceDay(7, part_time, True, week + dt.timedelta(days=offset), Decimal("3"), Decimal(present))
            for offset, present in ((0, "3"), (2, "2"), (3, "3"), (4, "0"))]
    (due,) = dues_for_week(book, LearnerFacts(1, False, 0), week, days)
    # Monday and Wednesday at 28 $, Thursday at 30 $ (Friday absent): 2 x 28 + 1 x 30 = 86.00 $
    assert (due.kind, due.quantity, due.amount, due.rule, due.enrolment_id) == (P, Decimal(3), Decimal("86.00"),
                                                                                 None, 7)
    assert due.note == "2 × 28.00 + 1 × 30.00"
    assert dues_for_week(book, LearnerFacts(1, True, 0), week, days) == []  # excluded from participation


# --- building weeks, paying batches ------------------------------------------------------------------------

def test_building_a_week_twice_creates_nothing_new(ctx):
    learner = make_learner(children_in_care=1)
    week = dt.date(2026, 4, 6)
    full_week(enrol(learner), week)
    first = build_allowances(ctx, week, learner_ids=[learner.id])
    second = build_allowances(ctx, week, learner_ids=[learner.id])
    assert (first.created, second.as_dict()) == (3, {"created": 0, "updated": 0, "removed": 0, "adjustments": 0})
    # 230 + 25 + 1 child x 5 days x 25 = 380.00 $, pending until paid
    assert sum(row.amount for row in rows_of(learner)) == Decimal("380.00")
    assert {row.status for row in rows_of(learner)} == {AllowanceStatus.PENDING}


def test_an_unpaid_allowance_follows_the_attendance(ctx):
    learner = make_learner()
    week = dt.date(2026, 4, 13)
    enrolment = enrol(learner)
    full_week(enrolment, week)
    build_allowances(ctx, week, learner_ids=[learner.id])
    friday = ctx.scalar(select(Attendance).where(Attendance.enrolment_id == enrolment.id,
                                                 Attendance.day == dt.date(2026, 4, 17)))
    friday.hours_present = Decimal("0")
    result = build_allowances(ctx, week, learner_ids=[learner.id])
    # 20 of 25 hours: 184.00 $ and 20.00 $, updated in place (nothing was paid yet)
    assert (result.updated, result.adjustments) == (2, 0)
    assert amounts(rows_of(learner)) == {P: Decimal("184.00"), T: Decimal("20.00")}
    ctx.execute(Attendance.__table__.delete().where(Attendance.enrolment_id == enrolment.id))
    assert build_allowances(ctx, week, learner_ids=[learner.id]).removed == 2
    assert rows_of(learner) == []


def test_running_the_batch_twice_pays_nothing_twice(ctx):
    learner = make_learner()
    week = dt.date(2026, 4, 20)
    full_week(enrol(learner), week)
    build_allowances(ctx, week, learner_ids=[learner.id])
    week_end, paid_on = dt.date(2026, 4, 26), dt.date(2026, 4, 30)
    first = pay_batch(ctx, week, week_end, paid_on, learner_ids=[learner.id])
    second = pay_batch(ctx, week, week_end, paid_on, learner_ids=[learner.id])
    ctx.commit()
    # one payment of 230 + 25 = 255.00 $; the second run finds nothing unpaid
    assert (len(first.payments), first.total, len(second.payments)) == (1, Decimal("255.00"), 0)
    payments = ctx.scalars(select(Payment).where(Payment.learner_id == learner.id)).all()
    assert len(payments) == 1 and sum(p.amount for p in payments) == Decimal("255.00")
    payment = payments[0]
    assert (payment.reference, payment.batch, payment.paid_on) == (
        f"PAY-2026W17-{learner.file_number}", "PAY-2026W17", paid_on)
    assert {(row.status, row.payment_id) for row in rows_of(learner)} == {(AllowanceStatus.PAID, payment.id)}
    with pytest.raises(AllowanceError):
        pay_batch(ctx, week, week_end, week_end, learner_ids=[learner.id])  # the week is not over on its Sunday


def test_a_correction_after_payment_is_an_adjustment(ctx):
    learner = make_learner()
    week, later = dt.date(2026, 4, 27), dt.date(2026, 5, 4)
    enrolment = enrol(learner)
    full_week(enrolment, week)
    build_allowances(ctx, week, learner_ids=[learner.id])
    pay_batch(ctx, week, dt.date(2026, 5, 3), dt.date(2026, 5, 7), learner_ids=[learner.id])
    paid_before = {(row.id, row.kind, row.amount, row.status, row.payment_id) for row in rows_of(learner)}

    # the partner corrects the week: absent Thursday and Friday -> 15 of 25 hours
    for row in ctx.scalars(select(Attendance).where(Attendance.enrolment_id == enrolment.id,
                                                    Attendance.day >= dt.date(2026, 4, 30))):
        row.hours_present = Decimal("0")
    result = build_allowances(ctx, week, learner_ids=[learner.id])
    assert (result.created, result.updated, result.adjustments) == (0, 0, 2)
    rows = rows_of(learner)
    paid = {row.kind: row for row in rows if row.kind != ADJ}
    assert {(row.id, row.kind, row.amount, row.status, row.payment_id) for row in paid.values()} == paid_before
    adjustments = {row.adjusts.kind: row for row in rows if row.kind == ADJ}
    # participation 138.00 - 230.00 = -92.00 $; transport 15.00 - 25.00 = -10.00 $
    assert {kind: row.amount for kind, row in adjustments.items()} == {P: Decimal("-92.00"), T: Decimal("-10.00")}
    assert sorted(row.sequence for row in adjustments.values()) == [1, 2]
    assert all(row.adjusts_id == paid[kind].id and row.status == AllowanceStatus.PENDING
               for kind, row in adjustments.items())
    assert build_allowances(ctx, week, learner_ids=[learner.id]).adjustments == 0

    # alone, -102.00 $ cannot be paid: the learner is held until something is owed again
    held = pay_batch(ctx, week, dt.date(2026, 5, 3), dt.date(2026, 5, 8), learner_ids=[learner.id])
    assert (held.payments, held.held) == ([], 1)
    full_week(enrolment, later)
    build_allowances(ctx, later, learner_ids=[learner.id])
    netted = pay_batch(ctx, None, dt.date(2026, 5, 10), dt.date(2026, 5, 14), learner_ids=[learner.id])
    # next week 255.00 $ minus the 102.00 $ owed back = 153.00 $
    assert [p.amount for p in netted.payments] == [Decimal("153.00")]
    assert all(row.status == AllowanceStatus.PAID for row in rows_of(learner))


def test_concurrent_batches_pay_once(app):
    with app.app_context():
        ensure_standard_rules(db.session)
        learner = make_learner()
        week = dt.date(2026, 5, 11)
        full_week(enrol(learner), week)
        build_allowances(db.session, week, learner_ids=[learner.id])
        db.session.commit()
        learner_id, engine = learner.id, db.engine
        start = threading.Barrier(2)
        outcomes = []

        def run():
            with Session(engine) as session:
                start.wait()
                result = pay_batch(session, week, dt.date(2026, 5, 17), dt.date(2026, 5, 21), learner_ids=[learner_id])
                session.commit()
                outcomes.append(len(result.payments))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == [0, 1]
        assert db.session.scalar(select(func.count()).select_from(Payment).where(
            Payment.learner_id == learner_id)) == 1
        db.session.remove()


# --- the job, the command and the back office -----------------------------------------------------------------

def test_the_payment_job_runs_after_commit(app):
    with app.app_context():
        ensure_standard_rules(db.session)
        learner = make_learner()
        week = dt.date(2017, 7, 24)
        full_week(enrol(learner, start=week), week)
        job = enqueue("build_payment_batch", week="2017-07-26", paid_on="2017-08-03")
        assert db.session.scalar(select(func.count()).select_from(Payment).where(
            Payment.learner_id == learner.id)) == 0
        db.session.commit()
        db.session.expire_all()
        job = db.session.get(Job, job.id)
        assert job.status == JobStatus.DONE, job.error
        assert job.result["batch"] == "PAY-2017W30"
        payment = db.session.scalar(select(Payment).where(Payment.learner_id == learner.id))
        # 115 $ (the amount before August 2017) + 25 $ transport
        assert (payment.amount, payment.reference) == (Decimal("140.00"), f"PAY-2017W30-{learner.file_number}")
        db.session.remove()


def test_the_batch_command_pays_once(app):
    with app.app_context():
        ensure_standard_rules(db.session)
        learner = make_learner(children_in_care=1)
        week = dt.date(2017, 8, 7)
        full_week(enrol(learner, start=week), week)
        db.session.commit()
        learner_id = learner.id
        db.session.remove()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["allowances", "batch", "--week", "2017-08-09", "--paid-on", "2017-08-17"])
    second = runner.invoke(args=["allowances", "batch", "--week", "2017-08-09", "--paid-on", "2017-08-17"])
    assert first.exit_code == 0 and "batch=PAY-2017W32" in first.output, first.output
    assert second.exit_code == 0 and "payments=0" in second.output, second.output
    too_early = runner.invoke(args=["allowances", "batch", "--week", "2017-08-09", "--paid-on", "2017-08-13"])
    assert too_early.exit_code != 0 and "2017-08-13" in too_early.output
    with app.app_context():
        amounts_paid = db.session.scalars(select(Payment.amount).where(Payment.learner_id == learner_id)).all()
        # 230 + 25 + 1 child x 5 days x 25 = 380.00 $, once
        assert amounts_paid == [Decimal("380.00")]
        db.session.remove()


def test_staff_run_a_batch_from_the_back_office(app):
    with app.app_context():
        ensure_standard_rules(db.session)
        learner = make_learner()
        week = dt.date(2016, 3, 7)
        full_week(enrol(learner, start=week), week)
        admin = app.appbuilder.sm.add_user(f"fin-{tag()}", "Fin", "Admin", f"fin-{tag()}@example.org",
                                           app.appbuilder.sm.find_role("Admin"), password="Francisation-2026!")
        db.session.commit()
        learner_id, file_number, username = learner.id, learner.file_number, admin.username
        db.session.remove()
    client = app.test_client()
    Auth(client).login(username)
    page = client.get("/paymentbatchview/form?_l_=en")
    assert page.status_code == 200 and "Week to pay" in page.get_data(as_text=True)
    assert audit(client.get("/paymentbatchview/form?_l_=fr")) == []

    refused = client.post("/paymentbatchview/form?_l_=en", data={"week": "2016-03-09", "paid_on": "2016-03-12"})
    assert "must come after the end of the week" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.learner_id == learner_id)) == 0

    done = client.post("/paymentbatchview/form?_l_=en", data={"week": "2016-03-09", "paid_on": "2016-03-17"})
    assert done.status_code == 302 and "_flt_3_batch=PAY-2016W10" in done.headers["Location"]
    listing = client.get(done.headers["Location"] + "&_l_=en").get_data(as_text=True)
    assert "Payment batch PAY-2016W10" in listing and f"PAY-2016W10-{file_number}" in listing
    with app.app_context():
        # 115 $ (2016) + 25 $ transport
        assert db.session.scalars(select(Payment.amount).where(Payment.learner_id == learner_id)).all() == [
            Decimal("140.00")]
        db.session.remove()


def test_a_paid_allowance_cannot_be_edited_in_the_back_office(app):
    with app.app_context():
        ensure_standard_rules(db.session)
        learner = make_learner()
        week = dt.date(2026, 5, 18)
        enrolment = enrol(learner)
        full_week(enrolment, week)
        build_allowances(db.session, week, learner_ids=[learner.id])
        pay_batch(db.session, week, dt.date(2026, 5, 24), dt.date(2026, 5, 28), learner_ids=[learner.id])
        admin = app.appbuilder.sm.add_user(f"fin-{tag()}", "Fin", "Admin", f"fin-{tag()}@example.org",
                                           app.appbuilder.sm.find_role("Admin"), password="Francisation-2026!")
        db.session.commit()
        row = next(r for r in rows_of(learner) if r.kind == P)
        form = {"learner": str(learner.id), "enrolment": str(enrolment.id), "kind": "participation",
                "period_start": "2026-05-18", "period_end": "2026-05-24", "quantity": "1.00", "amount": "999.00",
                "status": "paid", "rule": str(row.rule_id), "note": ""}
        row_id, username = row.id, admin.username
        db.session.remove()
    client = Auth(app.test_client())
    client.login(username)
    page = client.client.post(f"/allowanceview/edit/{row_id}?_l_=en", data=form, follow_redirects=True)
    assert "never changed" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Allowance, row_id).amount == Decimal("230.00")
        db.session.remove()


# --- the demo uses the same rules -------------------------------------------------------------------------------

def test_the_demo_allowances_are_the_ones_the_service_computes(demo_app):
    with demo_app.app_context():
        learner = db.session.scalar(select(Learner).where(Learner.file_number == DEMO_LEARNER_FILE))
        weeks = sorted(set(db.session.scalars(select(Allowance.period_start).where(
            Allowance.learner_id == learner.id))))
        assert weeks
        for week in weeks:
            stored = db.session.scalars(select(Allowance).where(Allowance.learner_id == learner.id,
                                                                Allowance.period_start == week)).all()
            assert amounts(compute_period(db.session, learner, week)) == amounts(stored), week
            assert build_allowances(db.session, week, learner_ids=[learner.id]).as_dict() == {
                "created": 0, "updated": 0, "removed": 0, "adjustments": 0}
        db.session.rollback()
        db.session.remove()


def test_the_back_office_refuses_a_rule_that_overlaps_another(app):
    with app.app_context():
        ensure_standard_rules(db.session)
        admin = app.appbuilder.sm.add_user(f"fin-{tag()}", "Fin", "Admin", f"fin-{tag()}@example.org",
                                           app.appbuilder.sm.find_role("Admin"), password="Francisation-2026!")
        db.session.commit()
        username = admin.username
        count = db.session.scalar(select(func.count()).select_from(AllowanceRule))
        db.session.remove()
    client = app.test_client()
    Auth(client).login(username)
    # transport for full-time courses is already 25 $ a week with no end date
    page = client.post("/allowanceruleview/add?_l_=en", follow_redirects=True, data={
        "kind": "transport", "format": "full_time", "unit": "week", "amount": "30.00", "valid_from": "2026-01-05",
        "in_person_only": "y", "note_fr": "", "note_en": ""})
    assert "only one amount may apply on a given day" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AllowanceRule)) == count
        db.session.remove()

