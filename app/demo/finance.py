"""Money in the demo: the allowance rules, the weekly allowances the allowance service computes
from the attendance, and its payment batches every two weeks."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from ..models import Allowance, AllowanceStatus, Delivery
from ..services.allowances import (
    AttendanceDay, LearnerFacts, RuleBook, dues_for_week, ensure_standard_rules, pay_batch, week_of,
)
from .calendar import WEEK
from .rows import bulk
from .state import DemoState, LearnerFiles


def seed_rules(demo: DemoState) -> None:
    """The allowance amounts of DESIGN §2: the allowance service's standard rules (data, not code)."""
    ensure_standard_rules(demo.session)
    demo.rule_book = RuleBook.load(demo.session)


def create_allowances(files: LearnerFiles) -> None:
    """Each week that is over, the allowances the allowance service computes from the attendance;
    then the service's payment batches every two weeks, for the periods whose pay day has passed."""
    rows = []
    for person in files.people:
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
            if week_end >= files.today:
                continue
            status = (AllowanceStatus.APPROVED if week_end <= files.today - dt.timedelta(days=4)
                      else AllowanceStatus.PENDING)
            for due in dues_for_week(files.demo.rule_book, facts, week_start, days):
                rows.append({
                    "learner_id": facts.id, "enrolment_id": due.enrolment_id, "period_start": week_start,
                    "period_end": week_end, "kind": due.kind, "sequence": 0, "quantity": due.quantity,
                    "amount": due.amount, "status": status, "rule_id": due.rule.id if due.rule else None,
                    "note": due.note, "created_at": files.calendar.at(week_end, 23 * 60)})
    bulk(files.session, Allowance, rows)
    pay_fortnights(files, rows)


def pay_fortnights(files: LearnerFiles, rows: list[dict]) -> None:
    """Pay the new learners' allowances by two-week periods from the first week owed, on the
    Thursday after each period, through the allowance service's payment batch."""
    if not rows:
        return
    learner_ids = sorted({row["learner_id"] for row in rows})
    start = min(row["period_start"] for row in rows)
    while True:
        end = start + dt.timedelta(days=13)
        pay_day = end + dt.timedelta(days=4)
        if pay_day >= files.today:
            break
        for first in range(0, len(learner_ids), 5000):
            pay_batch(files.session, start, end, pay_day, learner_ids=learner_ids[first:first + 5000])
        start += 2 * WEEK
