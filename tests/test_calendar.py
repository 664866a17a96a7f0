"""The timetable as .ics: weekly classes over the term, Québec holidays and closed days left out,
texts in the learner's language; the private subscription link follows changes and can be revoked."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar
from sqlalchemy import select

from app.extensions import db
from app.models import (
    CourseFormat, Delivery, Enrolment, Language, Learner, Region, Site, Teacher, TermClosedDate,
)
from app.services import calendar as service
from app.services.enrolment import register
from tests.conftest import DEMO_PASSWORD
from tests.factories import make_course, make_learner, make_section, make_term, reference_row, make_specialised_course

MONTREAL = ZoneInfo("America/Montreal")
# A summer term with three Québec statutory holidays on class days: Saint-Jean-Baptiste
# (Tuesday 2025-06-24), Canada Day (Tuesday 2025-07-01) and Labour Day (Monday 2025-09-01).
SUMMER = dict(starts_on=dt.date(2025, 6, 16), ends_on=dt.date(2025, 9, 5))
MONDAY_TUESDAY = ((1, "18:00", "21:00"), (2, "18:00", "21:00"))
HOLIDAYS = (dt.date(2025, 6, 24), dt.date(2025, 7, 1), dt.date(2025, 9, 1))


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield
        db.session.rollback()
        db.session.remove()


def occurrences(ics: bytes) -> dict[str, list[dt.datetime]]:
    """Each VEVENT's classes (RRULE expanded by dateutil, minus its EXDATEs), by UID."""
    calendar = Calendar.from_ical(ics)
    expanded = {}
    for event in calendar.walk("VEVENT"):
        start = event.start
        rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
        excluded = set(event.exdates)
        expanded[str(event["UID"])] = [day for day in rule if day not in excluded]
    return expanded


def class_days(ics: bytes) -> list[dt.date]:
    return sorted(when.date() for dates in occurrences(ics).values() for when in dates)


def make_site(partner) -> Site:
    site = Site(partner=partner, name="Pavillon Saint-Denis", address="1205, rue Saint-Denis", city="Montréal",
                postal_code="H2X 3J2", region=reference_row(Region, "T-REG"))
    db.session.add(site)
    return site


def enrolled_in(learner: Learner, meetings=MONDAY_TUESDAY, **section_fields):
    """A section of the summer term in which ``learner`` gets a seat."""
    term = section_fields.pop("term", None) or make_term(**SUMMER)
    section = make_section(term, meetings=meetings)
    for name, value in section_fields.items():
        setattr(section, name, value)
    db.session.flush()
    assert register(db.session, learner, section, notify=False).enrolled
    return section


# --- the file ---------------------------------------------------------------------------------

def test_weekly_classes_over_the_term_without_quebec_holidays(ctx):
    learner = make_learner()
    section = enrolled_in(learner)
    ics = service.timetable_calendar(db.session, learner, "fr")

    calendar = Calendar.from_ical(ics)
    assert [tz.tz_name for tz in calendar.timezones] == ["America/Montreal"]
    events = calendar.walk("VEVENT")
    assert sorted(str(e["UID"]) for e in events) == sorted(
        f"meeting-{m.id}@guichet-francisation" for m in section.meetings)
    first = min(e.start for e in events)
    assert first == dt.datetime(2025, 6, 16, 18, 0, tzinfo=MONTREAL) and str(first.tzinfo) == "America/Montreal"
    assert {e.end - e.start for e in events} == {dt.timedelta(hours=3)}

    days = class_days(ics)
    # 12 Mondays and 12 Tuesdays from 2025-06-16 to 2025-09-05, less the three holidays.
    assert len(days) == 12 + 12 - 3 == 21
    assert not set(HOLIDAYS) & set(days)
    assert days[0] == dt.date(2025, 6, 16) and days[-1] == dt.date(2025, 9, 2)
    assert {d.isoweekday() for d in days} == {1, 2}


def test_a_closed_day_of_the_term_is_left_out(ctx):
    learner = make_learner()
    term = make_term(**SUMMER)
    term.closed_dates.append(TermClosedDate(day=dt.date(2025, 8, 12), reason_fr="Journée pédagogique",
                                            reason_en="Pedagogical day"))
    enrolled_in(learner, term=term)
    days = class_days(service.timetable_calendar(db.session, learner, "en"))
    assert dt.date(2025, 8, 12) not in days and dt.date(2025, 8, 11) in days
    assert len(days) == 21 - 1


def test_classes_start_with_the_section_and_only_seats_count(ctx):
    learner = make_learner()
    late = enrolled_in(learner, meetings=((1, "09:00", "12:00"),), starts_on=dt.date(2025, 7, 2),
                       ends_on=dt.date(2025, 8, 15))
    waiting = make_section(late.term, make_specialised_course(), capacity=0, meetings=((3, "09:00", "12:00"),))
    assert not register(db.session, learner, waiting, notify=False).enrolled

    days = class_days(service.timetable_calendar(db.session, learner, "fr"))
    # Mondays from 2025-07-07 (the first after the section starts) to 2025-08-11: six classes.
    assert days == [dt.date(2025, 7, 7) + dt.timedelta(weeks=n) for n in range(6)]


def test_texts_follow_the_language(ctx):
    learner = make_learner()
    course = make_course()
    course.title_fr, course.title_en = "Francisation en soirée", "Evening French"
    section = enrolled_in(learner)
    section.course = course
    section.site = make_site(section.partner)
    section.teacher = Teacher(partner=section.partner, first_name="Claire", last_name="Tremblay")
    section.meetings[0].room = "B-214"
    online = enrolled_in(learner, meetings=((4, "13:00", "15:00"),), delivery=Delivery.ONLINE)
    online.course = make_course(fmt=CourseFormat.ONLINE)
    online.course.title_fr, online.course.title_en = "Français en ligne", "French online"
    db.session.flush()

    def texts(language):
        events = Calendar.from_ical(service.timetable_calendar(db.session, learner, language)).walk("VEVENT")
        return {str(e["UID"]): (str(e["SUMMARY"]), str(e.get("LOCATION", "")), str(e["DESCRIPTION"]))
                for e in events}

    monday, tuesday = (f"meeting-{m.id}@guichet-francisation" for m in section.meetings)
    thursday = f"meeting-{online.meetings[0].id}@guichet-francisation"
    french, english = texts("fr"), texts("en")
    place = "Pavillon Saint-Denis, 1205, rue Saint-Denis, Montréal H2X 3J2"
    assert french[monday][1] == french[tuesday][1] == english[monday][1] == place
    assert french[monday][0].startswith("Francisation en soirée") and section.code in french[monday][0]
    assert english[monday][0] == f"Evening French (section {section.code})"
    assert french[thursday][0].startswith("Français en ligne") and online.code in french[thursday][0]
    assert french[thursday][1] == "En ligne"
    assert english[thursday][:2] == (f"French online (section {online.code})", "Online")
    assert "Teacher: Claire Tremblay" in english[monday][2] and "Room: B-214" in english[monday][2]
    assert "Room:" not in english[tuesday][2]


def test_an_empty_timetable_is_still_a_calendar(ctx):
    calendar = Calendar.from_ical(service.timetable_calendar(db.session, make_learner(), "en"))
    assert calendar.walk("VEVENT") == [] and calendar.calendar_name


def test_subscription_tokens_are_stored_hashed_and_revocable(ctx):
    learner, other = make_learner(), make_learner()
    token = service.issue_subscription_token(db.session, learner)
    assert len(token) >= 43 and learner.calendar_token_hash != token and token not in learner.calendar_token_hash
    assert service.learner_for_token(db.session, token) is learner

    replacement = service.issue_subscription_token(db.session, learner)
    assert service.learner_for_token(db.session, token) is None
    assert service.learner_for_token(db.session, replacement) is learner
    assert service.learner_for_token(db.session, service.issue_subscription_token(db.session, other)) is other

    assert service.revoke_subscription(db.session, learner)
    assert service.learner_for_token(db.session, replacement) is None
    assert not service.revoke_subscription(db.session, learner)
    assert service.learner_for_token(db.session, "") is None
    assert service.learner_for_token(db.session, "x" * 5000) is None


# --- the pages --------------------------------------------------------------------------------

def learner_account(app, language: Language = Language.FR, meetings=MONDAY_TUESDAY) -> dict:
    """A learner with a login and a seat in a summer section; committed, so requests see it."""
    with app.app_context():
        sm = app.appbuilder.sm
        username = f"cal-{uuid.uuid4().hex[:8]}"
        user = sm.add_user(username, "Test", username, f"{username}@example.org", sm.find_role("Learner"),
                           password=DEMO_PASSWORD)
        learner = make_learner(language=language, user_id=user.id)
        section = enrolled_in(learner, meetings=meetings)
        db.session.commit()
        account = {"username": username, "learner_id": learner.id, "term_id": section.term_id,
                   "uids": {f"meeting-{m.id}@guichet-francisation" for m in section.meetings}}
        db.session.remove()
    return account


def uids(ics: bytes) -> set[str]:
    return {str(e["UID"]) for e in Calendar.from_ical(ics).walk("VEVENT")}


def create_link(client) -> str:
    page = client.post("/my/calendar/subscription")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert 'id="subscription-link"' in html and "readonly" in html
    url = re.search(r'id="subscription-link"[^>]*value="([^"]+)"', html).group(1)
    return urlsplit(url).path


def test_download_gives_the_logged_in_learners_own_timetable(app, client, auth):
    alice, bob = learner_account(app), learner_account(app, meetings=((3, "09:00", "12:00"),))
    auth.login(alice["username"])
    response = client.get("/my/calendar/timetable.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="horaire.ics"'
    assert response.headers["Cache-Control"] == "no-store"
    assert uids(response.data) == alice["uids"]

    auth.logout()
    auth.login(bob["username"])
    client.get("/lang/en")
    response = client.get("/my/calendar/timetable.ics")
    assert response.headers["Content-Disposition"] == 'attachment; filename="timetable.ics"'
    assert uids(response.data) == bob["uids"] and not uids(response.data) & alice["uids"]


def test_the_page_offers_the_download_and_the_link(app, client, auth):
    account = learner_account(app)
    auth.login(account["username"])
    client.get("/lang/en")
    page = client.get("/my/calendar/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Download my timetable (.ics)" in html and 'href="/my/calendar/timetable.ics"' in html
    assert "Create my private subscription link" in html and "Revoke the link" not in html

    create_link(client)
    html = client.get("/my/calendar/").get_data(as_text=True)
    assert 'id="subscription-link"' not in html  # the link is shown once only
    assert "Replace the link" in html and "Revoke the link" in html

    client.get("/lang/fr")
    page = client.get("/my/calendar/")
    assert page.status_code == 200 and 'lang="fr"' in page.get_data(as_text=True)


def test_subscription_link_works_without_login_and_follows_changes(app, client, auth):
    account = learner_account(app, language=Language.EN)
    auth.login(account["username"])
    feed = create_link(client)
    assert re.fullmatch(r"/calendar/feed/[A-Za-z0-9_-]{43}\.ics", feed)

    anonymous = app.test_client()
    response = anonymous.get(feed)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert uids(response.data) == account["uids"]
    assert "Test French" in response.get_data(as_text=True)  # the learner's language: English

    with app.app_context():
        learner = db.session.get(Learner, account["learner_id"])
        term = learner.enrolments[0].section.term
        extra = make_section(term, make_specialised_course(), meetings=((5, "09:00", "12:00"),))
        register(db.session, learner, extra, notify=False)
        db.session.commit()
        new_uid = f"meeting-{extra.meetings[0].id}@guichet-francisation"
        db.session.remove()
    assert uids(anonymous.get(feed).data) == account["uids"] | {new_uid}

    with app.app_context():
        enrolment = db.session.scalar(select(Enrolment).join(Enrolment.section).where(
            Enrolment.learner_id == account["learner_id"], Enrolment.section_id != extra.id))
        db.session.delete(enrolment.section.meetings[0])
        db.session.commit()
        db.session.remove()
    assert len(uids(anonymous.get(feed).data)) == len(account["uids"])


def test_revoking_asks_for_confirmation_then_kills_the_link(app, client, auth):
    account = learner_account(app)
    auth.login(account["username"])
    client.get("/lang/en")
    feed = create_link(client)
    anonymous = app.test_client()

    confirm = client.post("/my/calendar/revoke")
    assert confirm.status_code == 200 and "Yes, revoke the link" in confirm.get_data(as_text=True)
    assert anonymous.get(feed).status_code == 200  # nothing revoked before the confirmation

    done = client.post("/my/calendar/revoke", data={"confirmed": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/my/calendar/")
    assert anonymous.get(feed).status_code == 404
    assert "Create my private subscription link" in client.get("/my/calendar/").get_data(as_text=True)


def test_replacing_the_link_kills_the_old_one(app, client, auth):
    account = learner_account(app)
    auth.login(account["username"])
    old, new = create_link(client), create_link(client)
    anonymous = app.test_client()
    assert old != new
    assert anonymous.get(old).status_code == 404 and anonymous.get(new).status_code == 200
    assert anonymous.get("/calendar/feed/not-a-real-token.ics").status_code == 404


def test_only_learners_have_a_calendar(app, client, auth):
    assert client.get("/my/calendar/").status_code == 302  # visitors go to the login page
    assert client.get("/my/calendar/timetable.ics").status_code == 302
    with app.app_context():
        sm = app.appbuilder.sm
        username = f"agent-{uuid.uuid4().hex[:8]}"
        assert sm.add_user(username, "Staff", username, f"{username}@example.org", sm.find_role("Agent"),
                           password=DEMO_PASSWORD)
        db.session.remove()
    auth.login(username)
    assert client.get("/my/calendar/").status_code == 403
    assert client.get("/my/calendar/timetable.ics").status_code == 403
    assert client.post("/my/calendar/subscription").status_code == 403


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_posts_need_the_csrf_token(app, monkeypatch):
    # Flask-WTF reads the setting at each request, so the shared app can enforce CSRF for one test.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    account = learner_account(app)
    client = app.test_client()
    login_page = client.get("/login/").get_data(as_text=True)
    client.post("/login/", data={"username": account["username"], "password": DEMO_PASSWORD,
                                 "csrf_token": csrf_token(login_page)})
    page = client.get("/my/calendar/")
    assert page.status_code == 200
    assert client.post("/my/calendar/subscription").status_code == 400
    assert client.post("/my/calendar/revoke", data={"confirmed": "yes"}).status_code == 400
    with app.app_context():
        assert db.session.get(Learner, account["learner_id"]).calendar_token_hash is None
        db.session.remove()
    created = client.post("/my/calendar/subscription", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert created.status_code == 200 and 'id="subscription-link"' in created.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Learner, account["learner_id"]).calendar_token_hash is not None
        db.session.remove()


# --- holidays partners observe -----------------------------------------------------------------

# Spring 2027: Good Friday is Friday 26 March (statutory), Easter Monday is Monday 29 March (not
# statutory, but schools, cégeps and universities close on it).
SPRING = dict(starts_on=dt.date(2027, 3, 8), ends_on=dt.date(2027, 4, 30))
MONDAY_FRIDAY = ((1, "09:00", "12:00"), (5, "09:00", "12:00"))
GOOD_FRIDAY, EASTER_MONDAY = dt.date(2027, 3, 26), dt.date(2027, 3, 29)


def test_easter_monday_and_good_friday_have_no_class(ctx):
    learner = make_learner()
    enrolled_in(learner, meetings=MONDAY_FRIDAY, term=make_term(**SPRING))
    days = class_days(service.timetable_calendar(db.session, learner, "fr"))
    assert GOOD_FRIDAY not in days and EASTER_MONDAY not in days
    assert dt.date(2027, 3, 22) in days and dt.date(2027, 4, 5) in days  # the Mondays around Easter


def test_which_holidays_have_no_class_is_configured(app, ctx):
    learner = make_learner()
    term = make_term(**SPRING)
    db.session.add(TermClosedDate(term=term, day=dt.date(2027, 4, 12), reason_fr="Journée pédagogique"))
    enrolled_in(learner, meetings=MONDAY_FRIDAY, term=term)
    saved = app.config["CLASS_FREE_HOLIDAYS"]
    try:
        app.config["CLASS_FREE_HOLIDAYS"] = []  # a partner that gives class on Easter Monday
        days = class_days(service.timetable_calendar(db.session, learner, "fr"))
        assert EASTER_MONDAY in days
        assert GOOD_FRIDAY not in days and dt.date(2027, 4, 12) not in days  # statutory; term's closed day
    finally:
        app.config["CLASS_FREE_HOLIDAYS"] = saved
    days = class_days(service.timetable_calendar(db.session, learner, "fr"))
    assert EASTER_MONDAY not in days and dt.date(2027, 4, 12) not in days


def test_attendance_is_not_taken_on_easter_monday(app, ctx):
    from flask_babel import force_locale

    from app.services import records

    learner = make_learner()
    section = enrolled_in(learner, meetings=MONDAY_FRIDAY, term=make_term(**SPRING))
    refusal = records.day_refusal(section, EASTER_MONDAY, today=dt.date(2027, 5, 1))
    assert refusal is not None and refusal.code == "holiday"
    with force_locale("fr"):
        assert "Lundi de Pâques" in refusal.message
    assert EASTER_MONDAY not in records.meeting_days(section, until=dt.date(2027, 4, 30))
