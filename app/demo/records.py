"""The demo learners' enrolments (seats, waiting lists, drops, completions), their attendance day
by day and their exam results."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from ..models import Attendance, Enrolment, EnrolmentStatus, ExamResult, Section, Skill
from ..services.class_days import class_free_holidays
from .calendar import hours_between
from .organisations import DEMO_PARTNER
from .rows import bulk
from .state import LearnerFiles


def create_enrolments(files: LearnerFiles) -> None:
    waiting = defaultdict(list)
    rows = []
    for person in files.people:
        for planned in person.enrolments:
            section, term = planned.section, planned.section.term
            rng = person.rng
            window_end = min(term.registration_closes, files.today - dt.timedelta(days=1))
            span = max(0, (window_end - term.registration_opens).days - 2)
            created = files.calendar.at(term.registration_opens + dt.timedelta(days=rng.randint(0, span)),
                                        rng.randint(7 * 60, 22 * 60))
            if person.decided is not None:
                created = max(created, files.calendar.at(person.decided, 17 * 60 + 30))
            enrolment = Enrolment(learner_id=person.learner.id, section_id=section.id, status=planned.status,
                                  position=planned.position, reason=planned.reason, created_at=created)
            if planned.status != EnrolmentStatus.WAITLISTED:
                enrolment.enrolled_at = created
            if planned.status == EnrolmentStatus.DROPPED:
                enrolment.ended_at = files.calendar.at(planned.ended_on, 12 * 60)
            elif planned.status in (EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED):
                enrolment.ended_at = files.calendar.at(section.ends_on, 16 * 60)
            else:
                waiting[id(section)].append((enrolment, term))
            planned.row = enrolment
            rows.append(enrolment)
    # people joined a waiting list in the order of their positions, after the last seat went
    for pairs in waiting.values():
        queue = sorted((e for e, _ in pairs if e.status == EnrolmentStatus.WAITLISTED), key=lambda e: e.position)
        if not queue:
            continue
        term = pairs[0][1]
        last_seat = max([e.created_at for e, _ in pairs if e.status == EnrolmentStatus.ENROLLED], default=None)
        end = files.calendar.at(min(term.registration_closes, files.today - dt.timedelta(days=1)), 20 * 60)
        for rank, enrolment in enumerate(queue, start=1):
            enrolment.created_at = end - dt.timedelta(hours=3 * (len(queue) - rank + 1))
            if last_seat is not None and enrolment.created_at <= last_seat:
                enrolment.created_at = last_seat + dt.timedelta(minutes=10 * rank)
    files.session.add_all(rows)
    files.session.flush()


def days_of(files: LearnerFiles, section: Section) -> list[tuple[dt.date, Decimal]]:
    """Every class day of a section with its scheduled hours (holidays and closed days excluded)."""
    if section.id not in files.meeting_days:
        per_weekday = defaultdict(Decimal)
        for meeting in section.meetings:
            per_weekday[meeting.weekday] += hours_between(meeting.starts_at, meeting.ends_at)
        closed = {c.day for c in section.term.closed_dates}
        closed.update(class_free_holidays(section.starts_on, section.ends_on))
        days = []
        day = section.starts_on
        while day <= section.ends_on:
            if day.isoweekday() in per_weekday and day not in closed:
                days.append((day, per_weekday[day.isoweekday()]))
            day += dt.timedelta(days=1)
        files.meeting_days[section.id] = days
    return files.meeting_days[section.id]


def create_records(files: LearnerFiles) -> None:
    attendance = []
    results = []
    for person in files.people:
        rng = person.rng
        steady = rng.random() < 0.85
        for planned in person.enrolments:
            if planned.status == EnrolmentStatus.WAITLISTED:
                continue
            section = planned.section
            cutoff = files.today - dt.timedelta(days=1)
            if planned.ended_on is not None:
                cutoff = planned.ended_on - dt.timedelta(days=1)
            presence = {EnrolmentStatus.DROPPED: 0.7, EnrolmentStatus.FAILED: 0.65}.get(
                planned.status, 0.94 if steady else 0.78)
            recorded_by = files.partner_user_id if section.partner.name == DEMO_PARTNER else None
            for day, hours in days_of(files, section):
                if day > cutoff:
                    break
                draw = rng.random()
                justified = False
                if draw < presence:
                    present = hours
                elif draw < presence + (1 - presence) / 2:
                    present = max(Decimal("0.50"), hours - Decimal(1))
                else:
                    present = Decimal("0.00")
                    justified = rng.random() < 0.4
                planned.days.append((day, hours, present, justified))
                attendance.append({"enrolment_id": planned.row.id, "day": day, "hours_scheduled": hours,
                                   "hours_present": present, "justified": justified,
                                   "recorded_by_id": recorded_by})
            if planned.status in (EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED):
                course = section.course
                taken_on = section.ends_on - dt.timedelta(days=2)
                evaluator = str(section.teacher) if section.teacher else section.partner.name
                for number, skill in enumerate(Skill):
                    passed = planned.status == EnrolmentStatus.COMPLETED or number % 2 == 0
                    results.append({"learner_id": person.learner.id, "section_id": section.id, "skill": skill,
                                    "level": course.level_max, "passed": passed, "taken_on": taken_on,
                                    "evaluator": evaluator})
    bulk(files.session, Attendance, attendance)
    bulk(files.session, ExamResult, results)
