"""Partner staff record attendance, exam results, completion and dropout for their own groups only.

Pages in French by default and in English on request; a refused grid comes back with what was
typed; another partner's group answers 404 by typed URL, GET or POST, and nothing is written.
"""
from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from types import SimpleNamespace

import holidays
import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Attendance, AuditEvent, Enrolment, EnrolmentStatus, ExamResult, Partner, PartnerMembership, Section, Skill,
    Term, TermClosedDate,
)
from app.services import records
from app.services.access import ADMIN, AGENT, LEARNER, PARTNER_STAFF
from app.services.enrolment import seats_consistent
from tests.conftest import Auth
from tests.factories import make_learner, make_partner, make_section, make_term
from tests.test_backoffice import make_user
from tests.test_layout import audit

TODAY = records.local_today()
# Monday 09:00–12:00 (3 h); Wednesday 09:00–12:00 and 13:00–15:30 (5.5 h).
MEETINGS = ((1, "09:00", "12:00"), (3, "09:00", "12:00"), (3, "13:00", "15:30"))
QUEBEC = holidays.country_holidays("CA", subdiv="QC", years=range(TODAY.year - 1, TODAY.year + 2))


def class_day(weekday: int, *, before: dt.date = TODAY) -> dt.date:
    """The latest day before ``before`` on ``weekday`` that is not a statutory holiday."""
    day = before - dt.timedelta(days=1)
    while day.isoweekday() != weekday or day in QUEBEC:
        day -= dt.timedelta(days=1)
    return day


MONDAY = class_day(1)
WEDNESDAY = class_day(3)
# the group's class days of the last three weeks, today included
RECENT_CLASS_DAYS = sorted(day for day in (TODAY - dt.timedelta(days=n) for n in range(21))
                           if day.isoweekday() in (1, 3) and day not in QUEBEC)
TUESDAY = class_day(2)  # the group does not meet on Tuesdays
FUTURE_MONDAY = TODAY + dt.timedelta(days=(1 - TODAY.isoweekday()) % 7 or 7)
# Last year's Canada Day, with a group meeting on that weekday, and a closed day a week later.
CANADA_DAY = dt.date(TODAY.year - 1, 7, 1)
CLOSED_DAY = CANADA_DAY + dt.timedelta(days=7)


# --- the world ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world(app):
    """Two partners, a staff account for each, an agent, an admin and a learner account; two terms."""
    with app.app_context():
        ours, theirs = make_partner(), make_partner()
        term = make_term(starts_on=TODAY - dt.timedelta(days=60), ends_on=TODAY + dt.timedelta(days=30),
                         registration_opens=TODAY - dt.timedelta(days=90),
                         registration_closes=TODAY - dt.timedelta(days=61),
                         drop_deadline=TODAY - dt.timedelta(days=45))
        summer = make_term(starts_on=dt.date(CANADA_DAY.year, 6, 1), ends_on=dt.date(CANADA_DAY.year, 8, 31),
                           registration_opens=dt.date(CANADA_DAY.year, 4, 1),
                           registration_closes=dt.date(CANADA_DAY.year, 5, 25),
                           drop_deadline=dt.date(CANADA_DAY.year, 6, 15))
        summer.closed_dates.append(TermClosedDate(day=CLOSED_DAY, reason_fr="Journée pédagogique",
                                                  reason_en="Professional development day"))
        db.session.commit()
        staff = make_user(app, PARTNER_STAFF, "staff")
        other = make_user(app, PARTNER_STAFF, "staff")
        db.session.add_all([PartnerMembership(user_id=staff.id, partner_id=ours.id),
                            PartnerMembership(user_id=other.id, partner_id=theirs.id)])
        db.session.commit()
        world = SimpleNamespace(ours=ours.id, theirs=theirs.id, term=term.id, summer=summer.id,
                                staff=staff.username, staff_id=staff.id, other=other.username,
                                agent=make_user(app, AGENT, "agent").username,
                                admin=make_user(app, ADMIN, "admin").username,
                                learner=make_user(app, LEARNER, "learner").username)
        db.session.remove()
    return world


def build_group(app, partner_id: int, term_id: int, *, seated: int = 2, waiting: int = 1,
                meetings=MEETINGS) -> SimpleNamespace:
    """A group full with ``seated`` learners (enrolled before it started) and ``waiting`` in line."""
    with app.app_context():
        term = db.session.get(Term, term_id)
        section = make_section(term, capacity=seated, meetings=meetings, partner=db.session.get(Partner, partner_id))
        enrolled_at = dt.datetime.combine(term.starts_on - dt.timedelta(days=7), dt.time(12), tzinfo=dt.UTC)
        seats, line = [], []
        for number in range(seated):
            learner = make_learner()
            learner.first_name = "Amina" if number == 0 else "Boris"
            seats.append(Enrolment(learner=learner, section=section, status=EnrolmentStatus.ENROLLED,
                                   enrolled_at=enrolled_at))
            db.session.add(seats[-1])
        for position in range(1, waiting + 1):
            learner = make_learner()
            learner.first_name = "Chloé"
            line.append(Enrolment(learner=learner, section=section,
                                  status=EnrolmentStatus.WAITLISTED, position=position))
            db.session.add(line[-1])
        section.seats_taken = seated
        db.session.commit()
        group = SimpleNamespace(id=section.id, code=section.code, seats=[e.id for e in seats],
                                waiting=[e.id for e in line], names=[e.learner.full_name for e in seats + line])
        db.session.remove()
    return group


def logged_in(app, username: str):
    client = app.test_client()
    Auth(client).login(username)
    return client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def url(group, page: str = "", **query) -> str:
    base = f"/partner/groups/{group.id}/{page}"
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def attendance_rows(app, group) -> dict[tuple[int, dt.date], tuple[Decimal, bool]]:
    with app.app_context():
        rows = db.session.scalars(select(Attendance).join(Attendance.enrolment)
                                  .where(Enrolment.section_id == group.id)).all()
        found = {(row.enrolment_id, row.day): (row.hours_present, row.justified) for row in rows}
        db.session.remove()
    return found


def statuses(app, group) -> dict[int, EnrolmentStatus]:
    with app.app_context():
        found = dict(db.session.execute(select(Enrolment.id, Enrolment.status)
                                        .where(Enrolment.section_id == group.id)).all())
        db.session.remove()
    return found


def row_of(body: str, enrolment_id: int) -> str:
    """The table row of the grid for one enrolment."""
    start = body.rfind("<tr", 0, body.index(f'id="learner-{enrolment_id}"'))
    return body[start:body.index("</tr>", start)]


def said(app, language: str, msgid: str, **params) -> str:
    """What the application says for ``msgid`` in a language (the catalogue's translation)."""
    with app.test_request_context(), force_locale(language):
        return gettext(msgid, **params)


# --- attendance ---------------------------------------------------------------------------------

def test_the_attendance_grid_is_saved_in_one_post_and_shown_again(app, world):
    group = build_group(app, world.ours, world.term)
    amina, boris = group.seats
    client = logged_in(app, world.staff)

    page = client.get(url(group, "attendance", day=MONDAY.isoformat()))
    assert audit(page, "fr") == []
    body = text(page)
    for enrolment_id in group.seats:
        assert re.search(rf'<input type="number" class="form-control" id="hours-{enrolment_id}" '
                         rf'name="hours-{enrolment_id}" value=""\s+min="0" max="3" step="0.5"', body)
        assert f'<label for="justified-{enrolment_id}"' in body
    assert group.names[2] not in body  # waiting, not in the group

    response = client.post(url(group, "attendance"), data={
        "day": MONDAY.isoformat(), f"hours-{amina}": "3", f"hours-{boris}": "1,5", f"justified-{boris}": "y"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url(group, "attendance", day=MONDAY.isoformat()))
    assert attendance_rows(app, group) == {(amina, MONDAY): (Decimal("3.00"), False),
                                           (boris, MONDAY): (Decimal("1.50"), True)}
    shown = text(client.get(response.headers["Location"]))
    assert f'id="hours-{amina}" name="hours-{amina}" value="3"' in shown
    assert f'id="hours-{boris}" name="hours-{boris}" value="1.5"' in shown
    assert f'id="justified-{boris}" name="justified-{boris}" value="y" checked' in shown
    assert f'id="justified-{amina}" name="justified-{amina}" value="y">' in shown

    client.post(url(group, "attendance"), data={"day": MONDAY.isoformat(), f"hours-{amina}": "3",
                                                f"hours-{boris}": "2"})
    assert attendance_rows(app, group)[(boris, MONDAY)] == (Decimal("2.00"), False)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "attendance.record",
            AuditEvent.changes["enrolment_id"].as_integer().in_(group.seats)).order_by(AuditEvent.id)).all()
        changes = sorted(((e.changes["enrolment_id"], e.actor_id, e.changes["hours_present"]) for e in events),
                         key=repr)
        assert changes == sorted([(amina, world.staff_id, [None, "3.00"]), (boris, world.staff_id, [None, "1.50"]),
                                  (boris, world.staff_id, ["1.50", "2.00"])], key=repr)
        assert events[-1].changes["justified"] == [True, False]
        recorded_by = set(db.session.scalars(select(Attendance.recorded_by_id).join(Attendance.enrolment)
                                             .where(Enrolment.section_id == group.id)))
        assert recorded_by == {world.staff_id}
        db.session.remove()


def test_the_sheet_opens_on_the_last_class_day_with_the_scheduled_hours_of_that_day(app, world):
    group = build_group(app, world.ours, world.term, waiting=0)
    client = logged_in(app, world.staff)
    body = text(client.get(url(group, "attendance") + "?_l_=en"))
    last, previous = RECENT_CLASS_DAYS[-1], RECENT_CLASS_DAYS[-2]
    hours = "3" if last.isoweekday() == 1 else "5.5"
    assert f'<option value="{last.isoformat()}" selected>' in body
    assert f'max="{hours}"' in body
    assert said(app, "en", "Scheduled: %(hours)s hours.", hours=hours) in body
    # the picker offers class days only, and links the previous one
    assert f'value="{TUESDAY.isoformat()}"' not in body
    assert url(group, "attendance", day=previous.isoformat()) in body
    wednesday = text(client.get(url(group, "attendance", day=WEDNESDAY.isoformat())))
    assert 'max="5.5"' in wednesday


REFUSED_DAYS = {
    "not a class day": ("term", TUESDAY, {"fr": "mardi", "en": "Tuesday"}),
    "future": ("term", FUTURE_MONDAY, {"fr": "lundi", "en": "Monday"}),
    "statutory holiday": ("summer", CANADA_DAY, {"fr": "Fête du Canada", "en": "Canada Day"}),
    "closed day": ("summer", CLOSED_DAY, {"fr": "Journée pédagogique", "en": "Professional development day"}),
}


@pytest.mark.parametrize("case", REFUSED_DAYS)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_day_without_class_is_refused_with_a_message_in_the_pages_language(app, world, case, language):
    term_key, day, fragment = REFUSED_DAYS[case]
    meetings = MEETINGS if term_key == "term" else ((day.isoweekday(), "18:00", "21:00"),)
    group = build_group(app, world.ours, getattr(world, term_key), waiting=0, meetings=meetings)
    client = logged_in(app, world.staff)
    page = client.get(url(group, "attendance", day=day.isoformat(), _l_=language))
    assert page.status_code == 200
    body = text(page)
    with app.test_request_context(), force_locale(language):
        expected = records.day_refusal(db.session.get(Section, group.id), day).message
        db.session.remove()
    assert expected in body and fragment[language] in expected
    assert f'<html lang="{language}"' in body
    assert f'name="hours-{group.seats[0]}"' not in body

    response = client.post(url(group, "attendance", _l_=language),
                           data={"day": day.isoformat(), f"hours-{group.seats[0]}": "1"})
    assert response.status_code == 302
    assert attendance_rows(app, group) == {}
    assert expected in text(client.get(response.headers["Location"] + f"&_l_={language}"))


def test_hours_above_the_schedule_are_refused_and_what_was_typed_is_kept(app, world):
    group = build_group(app, world.ours, world.term, waiting=0)
    amina, boris = group.seats
    client = logged_in(app, world.staff)
    response = client.post(url(group, "attendance"), data={
        "day": MONDAY.isoformat(), f"hours-{amina}": "5", f"hours-{boris}": "2.5", f"justified-{boris}": "y"})
    assert response.status_code == 200
    body = text(response)
    too_many = said(app, "fr", "The hours present must be between 0 and %(max)s.", max="3")
    assert body.count(too_many) == 1
    row_of_amina = row_of(body, amina)
    assert too_many in row_of_amina and 'aria-invalid="true"' in row_of_amina
    assert f'name="hours-{amina}" value="5"' in body
    assert f'name="hours-{boris}" value="2.5"' in body
    assert f'name="justified-{boris}" value="y" checked' in body
    assert said(app, "fr", "Nothing was saved: correct the row marked below and save again.") in body
    assert attendance_rows(app, group) == {}

    body = text(client.post(url(group, "attendance"), data={
        "day": MONDAY.isoformat(), f"hours-{amina}": "trois", f"hours-{boris}": "-1"}))
    assert said(app, "fr", "Enter the hours present as a number, for example 2.5.") in body
    assert said(app, "fr", "The hours present must be between 0 and %(max)s.", max="3") in body
    assert f'name="hours-{amina}" value="trois"' in body
    assert attendance_rows(app, group) == {}


def test_a_recorded_attendance_cannot_be_blanked_but_unrecorded_rows_may_stay_empty(app, world):
    group = build_group(app, world.ours, world.term, waiting=0)
    amina, boris = group.seats
    client = logged_in(app, world.staff)
    client.post(url(group, "attendance"), data={"day": MONDAY.isoformat(), f"hours-{amina}": "3",
                                                f"hours-{boris}": ""})
    assert attendance_rows(app, group) == {(amina, MONDAY): (Decimal("3.00"), False)}
    body = text(client.post(url(group, "attendance"), data={"day": MONDAY.isoformat(), f"hours-{amina}": ""}))
    assert said(app, "fr", "Enter the hours present (0 for an absence).") in body
    assert attendance_rows(app, group) == {(amina, MONDAY): (Decimal("3.00"), False)}


# --- exam results -------------------------------------------------------------------------------

def test_exam_results_are_recorded_per_skill_and_shown_again(app, world):
    group = build_group(app, world.ours, world.term, waiting=0)
    amina, boris = group.seats
    taken_on = TODAY - dt.timedelta(days=2)
    client = logged_in(app, world.staff)
    page = client.get(url(group, "results", taken_on=taken_on.isoformat()))
    assert audit(page, "fr") == []
    levels = {Skill.ORAL_COMPREHENSION: "6", Skill.ORAL_PRODUCTION: "5", Skill.WRITTEN_COMPREHENSION: "5",
              Skill.WRITTEN_PRODUCTION: "4"}
    data = {"taken_on": taken_on.isoformat(), "evaluator": "Marc Gagnon"}
    for skill, level in levels.items():
        data[f"level-{amina}-{skill.value}"] = level
        if skill != Skill.WRITTEN_PRODUCTION:
            data[f"passed-{amina}-{skill.value}"] = "y"
    data[f"level-{boris}-{Skill.ORAL_COMPREHENSION.value}"] = "13"
    body = text(client.post(url(group, "results"), data=data))
    assert said(app, "fr", "The level must be a whole number from 1 to 12.") in body
    assert f'name="level-{boris}-oral_comprehension" value="13"' in body
    assert f'name="level-{amina}-oral_comprehension" value="6"' in body

    data[f"level-{boris}-{Skill.ORAL_COMPREHENSION.value}"] = ""
    response = client.post(url(group, "results"), data=data)
    assert response.status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(ExamResult).where(ExamResult.section_id == group.id)).all()
        assert {(r.skill, r.level, r.passed, r.taken_on, r.evaluator) for r in rows} == {
            (skill, int(level), skill != Skill.WRITTEN_PRODUCTION, taken_on, "Marc Gagnon")
            for skill, level in levels.items()}
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "exam_result.record",
            AuditEvent.object_id.in_([str(r.id) for r in rows]))) == 4
        db.session.remove()
    shown = text(client.get(response.headers["Location"]))
    assert f'name="level-{amina}-written_production" value="4"' in shown
    assert f'name="passed-{amina}-written_production" value="y">' in shown
    assert f'name="passed-{amina}-oral_production" value="y" checked' in shown

    future = (TODAY + dt.timedelta(days=1)).isoformat()
    client.post(url(group, "results"), data={**data, "taken_on": future})
    with app.app_context():
        assert db.session.scalar(select(func.count(ExamResult.id)).where(ExamResult.section_id == group.id)) == 4
        db.session.remove()


# --- completion and dropout ---------------------------------------------------------------------

def test_dropout_without_a_reason_is_refused(app, world):
    group = build_group(app, world.ours, world.term)
    amina = group.seats[0]
    client = logged_in(app, world.staff)
    page = client.get(url(group, f"learners/{amina}/dropout"))
    assert audit(page, "fr") == []
    assert said(app, "fr", "The seat will be released at once and given to the next person on the waiting list. "
                           "This cannot be undone here.") in text(page)
    body = text(client.post(url(group, f"learners/{amina}/dropout"), data={"reason": ""}))
    assert said(app, "fr", "Choose the reason for the dropout.") in body
    body = text(client.post(url(group, f"learners/{amina}/dropout"), data={"reason": "other", "detail": "  "}))
    assert said(app, "fr", "Describe the reason for the dropout.") in body
    assert statuses(app, group)[amina] == EnrolmentStatus.ENROLLED
    assert statuses(app, group)[group.waiting[0]] == EnrolmentStatus.WAITLISTED


def test_dropout_with_a_reason_releases_the_seat_to_the_next_in_line(app, world):
    group = build_group(app, world.ours, world.term)
    amina, chloe = group.seats[0], group.waiting[0]
    client = logged_in(app, world.staff)
    client.post(url(group, "attendance"), data={"day": MONDAY.isoformat(), f"hours-{amina}": "3"})
    response = client.post(url(group, f"learners/{amina}/dropout"), data={"reason": "found_job"})
    assert response.status_code == 302 and response.headers["Location"].endswith(url(group))
    assert statuses(app, group)[amina] == EnrolmentStatus.DROPPED
    assert statuses(app, group)[chloe] == EnrolmentStatus.ENROLLED
    with app.app_context():
        assert db.session.get(Enrolment, amina).reason == "found_job"
        taken, held = seats_consistent(db.session, group.id)
        assert taken == held == 2
        db.session.remove()
    page = text(client.get(response.headers["Location"]))
    assert said(app, "fr", "%(name)s has left group %(code)s; the seat is released.", name=group.names[0],
                code=group.code) in page
    assert said(app, "fr", "Reason: %(reason)s", reason=said(app, "fr", "Found a job")) in page
    # the day she was present stays on the sheet, where Chloé, who had no seat yet that day, is not
    sheet = text(client.get(url(group, "attendance", day=MONDAY.isoformat())))
    assert f'name="hours-{amina}" value="3"' in sheet and f'name="hours-{chloe}"' not in sheet
    # she cannot be dropped twice
    assert client.post(url(group, f"learners/{amina}/dropout"), data={"reason": "moved"}).status_code == 302
    with app.app_context():
        assert db.session.get(Enrolment, amina).reason == "found_job"
        db.session.remove()


def test_another_reason_keeps_what_was_written(app, world):
    group = build_group(app, world.ours, world.term, waiting=0)
    client = logged_in(app, world.staff)
    client.post(url(group, f"learners/{group.seats[1]}/dropout"), data={"reason": "other", "detail": "Retour au pays"})
    with app.app_context():
        enrolment = db.session.get(Enrolment, group.seats[1])
        assert (enrolment.status, enrolment.reason) == (EnrolmentStatus.DROPPED, "other: Retour au pays")
        assert seats_consistent(db.session, group.id) == (1, 1)
        db.session.remove()


def test_completion_sets_the_outcome_and_frees_the_seat_for_the_line(app, world):
    group = build_group(app, world.ours, world.term)
    amina, chloe = group.seats[0], group.waiting[0]
    client = logged_in(app, world.staff)
    response = client.post(url(group, f"learners/{amina}/complete"), data={"outcome": "completed"})
    assert response.status_code == 302
    with app.app_context():
        enrolment = db.session.get(Enrolment, amina)
        assert enrolment.status == EnrolmentStatus.COMPLETED and enrolment.ended_at is not None
        assert seats_consistent(db.session, group.id) == (2, 2)
        db.session.remove()
    # the group still runs: the seat Amina leaves goes to the first in line, like any freed seat
    assert statuses(app, group)[chloe] == EnrolmentStatus.ENROLLED
    page = client.get(response.headers["Location"])
    assert audit(page, "fr") == []
    assert said(app, "fr", "%(name)s: %(outcome)s in group %(code)s.", name=group.names[0],
                outcome=said(app, "fr", "Completed"), code=group.code) in text(page)
    client.post(url(group, f"learners/{amina}/complete"), data={"outcome": "failed"})
    assert statuses(app, group)[amina] == EnrolmentStatus.FAILED
    with app.app_context():
        assert seats_consistent(db.session, group.id) == (2, 2)
        db.session.remove()
    client.post(url(group, f"learners/{chloe}/complete"), data={"outcome": "completed"})
    assert statuses(app, group)[chloe] == EnrolmentStatus.COMPLETED
    with app.app_context():
        assert seats_consistent(db.session, group.id) == (1, 1)
        db.session.remove()


# --- who may do what ----------------------------------------------------------------------------

def test_the_groups_list_shows_only_the_staff_members_own_groups(app, world):
    ours = build_group(app, world.ours, world.term, waiting=0)
    theirs = build_group(app, world.theirs, world.term, waiting=0)
    page = logged_in(app, world.staff).get("/partner/groups/")
    assert audit(page, "fr") == []
    body = text(page)
    assert ours.code in body and theirs.code not in body
    assert 'href="/partner/groups/"' in body  # in the navigation
    admin = text(logged_in(app, world.admin).get("/partner/groups/?page=1"))
    assert 'href="/partner/groups/"' in admin


def test_staff_cannot_read_or_record_another_partners_group_by_typed_url(app, world):
    theirs = build_group(app, world.theirs, world.term)
    seat = theirs.seats[0]
    client = logged_in(app, world.staff)
    for page in ("", "attendance", f"attendance?day={MONDAY.isoformat()}", "results",
                 f"learners/{seat}/dropout"):
        assert client.get(url(theirs, page)).status_code == 404, page
    posts = {
        "attendance": {"day": MONDAY.isoformat(), f"hours-{seat}": "3"},
        "results": {"taken_on": MONDAY.isoformat(), f"level-{seat}-oral_comprehension": "7"},
        f"learners/{seat}/complete": {"outcome": "completed"},
        f"learners/{seat}/dropout": {"reason": "moved"},
    }
    for page, data in posts.items():
        assert client.post(url(theirs, page), data=data).status_code == 404, page
    assert attendance_rows(app, theirs) == {}
    assert statuses(app, theirs) == {seat: EnrolmentStatus.ENROLLED, theirs.seats[1]: EnrolmentStatus.ENROLLED,
                                     theirs.waiting[0]: EnrolmentStatus.WAITLISTED}
    with app.app_context():
        assert db.session.scalar(select(func.count(ExamResult.id)).where(ExamResult.section_id == theirs.id)) == 0
        # and the services refuse it too, whoever calls them
        staff = app.appbuilder.sm.find_user(username=world.staff)
        section = db.session.get(Section, theirs.id)
        with pytest.raises(records.NotYourGroup):
            records.record_attendance(db.session, staff, section, MONDAY,
                                      [records.AttendanceEntry(seat, "3")])
        with pytest.raises(records.NotYourGroup):
            records.record_exam_results(db.session, staff, section, [
                records.ExamEntry(seat, Skill.ORAL_PRODUCTION, 5)], taken_on=MONDAY)
        with pytest.raises(records.NotYourGroup):
            records.record_dropout(db.session, staff, db.session.get(Enrolment, seat), "moved")
        with pytest.raises(records.NotYourGroup):
            records.complete_enrolment(db.session, staff, db.session.get(Enrolment, seat), EnrolmentStatus.COMPLETED)
        db.session.rollback()
        db.session.remove()
    # the other partner's own staff can
    mirror = logged_in(app, world.other)
    assert mirror.get(url(theirs, "attendance", day=MONDAY.isoformat())).status_code == 200
    assert mirror.post(url(theirs, "attendance"), data={"day": MONDAY.isoformat(),
                                                        f"hours-{seat}": "3"}).status_code == 302
    assert attendance_rows(app, theirs) == {(seat, MONDAY): (Decimal("3.00"), False)}


def test_an_agent_reads_the_records_but_cannot_write(app, world):
    group = build_group(app, world.theirs, world.term)
    amina = group.seats[0]
    logged_in(app, world.other).post(url(group, "attendance"), data={"day": MONDAY.isoformat(),
                                                                      f"hours-{amina}": "2.5"})
    agent = logged_in(app, world.agent)
    page = agent.get(url(group, "attendance", day=MONDAY.isoformat()))
    assert page.status_code == 200
    body = text(page)
    assert group.names[0] in body and 'name="hours-' not in body and "<form method=\"post\"" not in body
    assert agent.get(url(group)).status_code == 200
    assert agent.get(url(group, "results")).status_code == 200
    assert agent.post(url(group, "attendance"), data={"day": MONDAY.isoformat(),
                                                      f"hours-{amina}": "3"}).status_code == 403
    assert agent.post(url(group, f"learners/{amina}/dropout"), data={"reason": "moved"}).status_code == 403
    assert agent.get(url(group, f"learners/{amina}/dropout")).status_code == 403
    assert attendance_rows(app, group) == {(amina, MONDAY): (Decimal("2.50"), False)}
    assert statuses(app, group)[amina] == EnrolmentStatus.ENROLLED


def test_learners_are_forbidden_and_visitors_sent_to_login(app, world):
    group = build_group(app, world.ours, world.term, waiting=0)
    assert logged_in(app, world.learner).get("/partner/groups/").status_code == 403
    assert logged_in(app, world.learner).get(url(group, "attendance")).status_code == 403
    visitor = app.test_client().get(url(group, "attendance"))
    assert visitor.status_code == 302 and "/login/" in visitor.headers["Location"]
