"""My courses, by page: register, waiting list, drop, swap, accept an offer — in French by default,
in English on request; refusals shown with nothing changed; only one's own enrolments; CSRF."""
from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale, gettext, ngettext
from sqlalchemy import func, select

from app.extensions import db
from app.models import Enrolment, EnrolmentStatus, Section
from app.services import enrolment as service
from app.services.access import AGENT
from app.services.enrolment import RegistrationRefused
from app.views.learner.enrolments import offer_deadline
from tests.conftest import DEMO_PASSWORD, build_app
from tests.factories import World, make_course, make_section, make_term, tag, make_specialised_course
from tests.conftest import login as conftest_login

TODAY = dt.date.today()
MONTREAL = ZoneInfo("America/Montreal")
LIST = "/my/enrolments/"


# --- helpers ------------------------------------------------------------------------------------



def login(client, username: str) -> None:
    response = conftest_login(client, username, DEMO_PASSWORD)
    assert response.status_code == 302, "login failed"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def said(app, language: str, msgid: str, **params) -> str:
    """What the application says for ``msgid`` in a language (the catalogue's translation)."""
    with app.test_request_context(), force_locale(language):
        return gettext(msgid, **params)


def refusal_in(app, language: str, code: str, **params) -> str:
    with app.test_request_context(), force_locale(language):
        return RegistrationRefused(code, **params).message


def state(app, learner_id: int, section_id: int) -> tuple[EnrolmentStatus | None, int | None]:
    with app.app_context():
        row = db.session.scalar(select(Enrolment).where(Enrolment.learner_id == learner_id,
                                                        Enrolment.section_id == section_id))
        result = (row.status, row.position) if row else (None, None)
        db.session.remove()
    return result


def seats_taken(app, section_id: int) -> int:
    with app.app_context():
        taken = db.session.get(Section, section_id).seats_taken
        db.session.remove()
    return taken


def enrolment_count(app, learner_id: int) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.learner_id == learner_id))
        db.session.remove()
    return count


def enrolment_id(app, learner_id: int, section_id: int) -> int:
    with app.app_context():
        found = db.session.scalar(select(Enrolment.id).where(Enrolment.learner_id == learner_id,
                                                             Enrolment.section_id == section_id))
        db.session.remove()
    return found




# --- registering through the page ----------------------------------------------------------------

def test_register_gives_a_seat_then_a_place_on_the_waiting_list_in_french(app):
    with World(app) as w:
        first, second = w.account(), w.account()
        section = make_section(make_term(), capacity=1)
        section_id, code, course = section.id, section.code, section.course.title_fr

    one = app.test_client()
    login(one, first["username"])
    response = one.post(f"/my/enrolments/register/{section_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(LIST)
    page = text(one.get(LIST))
    seated = said(app, "fr", "You are registered in section %(section)s of %(course)s.", section=code, course=course)
    assert seated != said(app, "en", "You are registered in section %(section)s of %(course)s.",
                          section=code, course=course), "not translated into French"
    assert seated in page
    assert 'lang="fr"' in page and "Inscrit" in page
    assert state(app, first["learner_id"], section_id) == (EnrolmentStatus.ENROLLED, None)

    two = app.test_client()
    login(two, second["username"])
    two.post(f"/my/enrolments/register/{section_id}")
    page = text(two.get(LIST))
    assert said(app, "fr", "The section is full: you are number %(position)s on the waiting list.", position=1) in page
    assert said(app, "fr", "Position %(position)s on the waiting list", position=1) in page
    assert state(app, second["learner_id"], section_id) == (EnrolmentStatus.WAITLISTED, 1)
    assert seats_taken(app, section_id) == 1


def test_flash_messages_are_in_english_after_switching(app):
    with World(app) as w:
        account = w.account()
        section = make_section(make_term(), capacity=5)
        section_id, code = section.id, section.code
    client = app.test_client()
    login(client, account["username"])
    client.get("/lang/en")
    client.post(f"/my/enrolments/register/{section_id}")
    page = text(client.get(LIST))
    assert f"You are registered in section {code} of Test French." in page
    assert "Enrolled" in page and 'lang="en"' in page


@pytest.mark.parametrize("case", ["window_closed", "level_out_of_range", "time_conflict", "already_registered"])
def test_refusals_are_shown_and_change_nothing(app, case):
    with World(app) as w:
        account = w.account(level=2 if case == "level_out_of_range" else 5)
        learner = w.learner(account)
        if case == "window_closed":
            term = make_term(registration_opens=TODAY + dt.timedelta(days=3),
                             registration_closes=TODAY + dt.timedelta(days=9))
            section = make_section(term)
            params = dict(opens=term.registration_opens, closes=term.registration_closes)
        elif case == "level_out_of_range":
            section = make_section(make_term(), make_course(level_min=5, level_max=8))
            params = dict(min=5, max=8, level=2)
        elif case == "time_conflict":
            term = make_term()
            first = make_section(term, meetings=((2, "18:00", "21:00"),))
            service.register(db.session, learner, first)
            section = make_section(term, meetings=((2, "20:00", "22:00"),))
            params = dict(other=first.code)
        else:
            section = make_section(make_term())
            service.register(db.session, learner, section)
            params = {}
        section_id = section.id

    before = (seats_taken(app, section_id), enrolment_count(app, account["learner_id"]),
              state(app, account["learner_id"], section_id))
    client = app.test_client()
    login(client, account["username"])
    response = client.post(f"/my/enrolments/register/{section_id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/catalogue/section/{section_id}")
    page = text(client.get(LIST))
    french = refusal_in(app, "fr", case, **params)
    assert french != refusal_in(app, "en", case, **params)
    assert french in page
    assert (seats_taken(app, section_id), enrolment_count(app, account["learner_id"]),
            state(app, account["learner_id"], section_id)) == before

    client.get("/lang/en")  # the same refusal, in English
    client.post(f"/my/enrolments/register/{section_id}")
    assert refusal_in(app, "en", case, **params) in text(client.get(LIST))


def test_a_section_that_does_not_exist_is_404(app):
    with World(app) as w:
        account = w.account()
    client = app.test_client()
    login(client, account["username"])
    assert client.post("/my/enrolments/register/987654321").status_code == 404


# --- drop, swap, accept ------------------------------------------------------------------------

def test_drop_asks_for_confirmation_then_frees_the_seat_for_the_next_in_line(app):
    with World(app) as w:
        seated, waiting = w.account(), w.account()
        section = make_section(make_term(), capacity=1)
        service.register(db.session, w.learner(seated), section)
        service.register(db.session, w.learner(waiting), section)
        section_id, code = section.id, section.code
    seat = enrolment_id(app, seated["learner_id"], section_id)

    client = app.test_client()
    login(client, seated["username"])
    confirm = client.get(f"/my/enrolments/{seat}/drop")
    assert confirm.status_code == 200
    page = text(confirm)
    assert said(app, "fr", "Are you sure you want to leave section %(section)s (%(course)s)?",
                section=code, course="Français d'essai") in page
    assert f'action="/my/enrolments/{seat}/drop"' in page and 'href="/my/enrolments/"' in page
    assert state(app, seated["learner_id"], section_id)[0] == EnrolmentStatus.ENROLLED  # GET changes nothing

    response = client.post(f"/my/enrolments/{seat}/drop", data={"reason": "schedule"})
    assert response.status_code == 302
    assert said(app, "fr", "You have left section %(section)s of %(course)s.",
                section=code, course="Français d'essai") in text(client.get(LIST))
    assert state(app, seated["learner_id"], section_id)[0] == EnrolmentStatus.DROPPED
    assert state(app, waiting["learner_id"], section_id) == (EnrolmentStatus.ENROLLED, None)  # promoted at once
    assert seats_taken(app, section_id) == 1
    with app.app_context():
        assert db.session.get(Enrolment, seat).reason == "schedule"
        db.session.remove()


def test_leaving_a_waiting_list_closes_the_gap(app):
    with World(app) as w:
        seated, first, second = w.account(), w.account(), w.account()
        section = make_section(make_term(), capacity=1)
        for account in (seated, first, second):
            service.register(db.session, w.learner(account), section)
        section_id = section.id
    place = enrolment_id(app, first["learner_id"], section_id)
    client = app.test_client()
    login(client, first["username"])
    client.post(f"/my/enrolments/{place}/drop")
    assert state(app, first["learner_id"], section_id)[0] == EnrolmentStatus.DROPPED
    assert state(app, second["learner_id"], section_id) == (EnrolmentStatus.WAITLISTED, 1)
    assert seats_taken(app, section_id) == 1


def test_drop_after_the_deadline_is_refused(app):
    with World(app) as w:
        account = w.account()
        term = make_term(drop_deadline=TODAY - dt.timedelta(days=1))
        section = make_section(term)
        service.register(db.session, w.learner(account), section)
        section_id, deadline = section.id, term.drop_deadline
    seat = enrolment_id(app, account["learner_id"], section_id)
    client = app.test_client()
    login(client, account["username"])
    page = text(client.get(LIST))
    assert f'href="/my/enrolments/{seat}/drop"' not in page  # no Drop button past the deadline
    response = client.post(f"/my/enrolments/{seat}/drop")
    assert response.status_code == 302
    assert refusal_in(app, "fr", "drop_deadline_passed", deadline=deadline) in text(client.get(LIST))
    assert state(app, account["learner_id"], section_id)[0] == EnrolmentStatus.ENROLLED
    assert seats_taken(app, section_id) == 1


def test_swap_lists_the_other_sections_keeps_the_seat_when_full_and_moves_when_free(app):
    with World(app) as w:
        account, other = w.account(), w.account()
        term, course = make_term(), make_course()
        current = make_section(term, course, capacity=5, meetings=((2, "18:00", "21:00"),))
        free = make_section(term, course, capacity=5, meetings=((4, "18:00", "21:00"),))
        full = make_section(term, course, capacity=1, meetings=((3, "18:00", "21:00"),))
        unrelated = make_section(term, capacity=5)
        service.register(db.session, w.learner(account), current)
        service.register(db.session, w.learner(other), full)
        ids = {name: s.id for name, s in
               (("current", current), ("free", free), ("full", full), ("unrelated", unrelated))}
        codes = {name: s.code for name, s in (("current", current), ("free", free), ("full", full),
                                              ("unrelated", unrelated))}
    seat = enrolment_id(app, account["learner_id"], ids["current"])
    client = app.test_client()
    login(client, account["username"])

    page = text(client.get(f"/my/enrolments/{seat}/swap"))
    assert f'value="{ids["free"]}"' in page and codes["free"] in page
    assert re.search(rf'value="{ids["full"]}"\s+disabled', page)
    assert codes["unrelated"] not in page and f'value="{ids["current"]}"' not in page
    with app.test_request_context(), force_locale("fr"):
        assert ngettext("%(num)s seat left", "%(num)s seats left", 5) in page

    # a full target: refused, the current seat is kept
    client.post(f"/my/enrolments/{seat}/swap", data={"target_section_id": ids["full"]})
    assert refusal_in(app, "fr", "target_full", section=codes["full"]) in text(client.get(LIST))
    assert state(app, account["learner_id"], ids["current"])[0] == EnrolmentStatus.ENROLLED
    assert (seats_taken(app, ids["current"]), seats_taken(app, ids["full"])) == (1, 1)

    # a section of another course is not a choice
    client.post(f"/my/enrolments/{seat}/swap", data={"target_section_id": ids["unrelated"]})
    assert state(app, account["learner_id"], ids["unrelated"]) == (None, None)

    client.post(f"/my/enrolments/{seat}/swap", data={"target_section_id": ids["free"]})
    assert said(app, "fr", "You are now registered in section %(section)s; your seat in section %(previous)s "
                "was released.", section=codes["free"], previous=codes["current"]) in text(client.get(LIST))
    assert state(app, account["learner_id"], ids["free"])[0] == EnrolmentStatus.ENROLLED
    assert state(app, account["learner_id"], ids["current"])[0] == EnrolmentStatus.DROPPED
    assert (seats_taken(app, ids["current"]), seats_taken(app, ids["free"])) == (0, 1)


def test_a_seat_offer_is_shown_with_its_expiry_and_can_be_accepted(app):
    with World(app) as w:
        seated, waiting = w.account(), w.account()
        section = make_section(make_term(use_offers=True, offer_hours=48), capacity=1)
        seat = service.register(db.session, w.learner(seated), section).enrolment
        service.register(db.session, w.learner(waiting), section)
        service.drop(db.session, seat)
        section_id, code = section.id, section.code
    offer = enrolment_id(app, waiting["learner_id"], section_id)
    assert state(app, waiting["learner_id"], section_id)[0] == EnrolmentStatus.OFFERED

    client = app.test_client()
    login(client, waiting["username"])
    page = text(client.get(LIST))
    assert "Place offerte" in page
    assert said(app, "fr", "Accept the seat") in page
    assert f'action="/my/enrolments/{offer}/accept"' in page
    with app.app_context():
        expires = db.session.get(Enrolment, offer).offer_expires_at
        db.session.remove()
    with app.test_request_context(), force_locale("fr"):
        deadline = offer_deadline(expires)  # Montréal time, in French
    assert deadline in page and expires.astimezone(MONTREAL).strftime("%H:%M") in deadline

    response = client.post(f"/my/enrolments/{offer}/accept")
    assert response.status_code == 302
    assert said(app, "fr", "The seat in section %(section)s is yours: you are registered.",
                section=code) in text(client.get(LIST))
    assert state(app, waiting["learner_id"], section_id)[0] == EnrolmentStatus.ENROLLED
    assert seats_taken(app, section_id) == 1
    # accepting twice: refused, nothing changes
    client.post(f"/my/enrolments/{offer}/accept")
    assert refusal_in(app, "fr", "no_offer") in text(client.get(LIST))


# --- only one's own enrolments -------------------------------------------------------------------

def test_a_learner_cannot_see_or_act_on_another_learners_enrolment(app):
    with World(app) as w:
        owner, intruder = w.account(), w.account()
        term, course = make_term(use_offers=True), make_course()
        mine = make_section(term, course, capacity=1)
        target = make_section(term, course, capacity=5, meetings=((5, "09:00", "12:00"),))
        theirs = make_section(make_term(), capacity=5)
        service.register(db.session, w.learner(owner), mine)
        service.register(db.session, w.learner(intruder), theirs)
        ids = (mine.id, target.id, theirs.id)
        mine_code, theirs_code = mine.code, theirs.code
    owners = enrolment_id(app, owner["learner_id"], ids[0])
    before = (state(app, owner["learner_id"], ids[0]), seats_taken(app, ids[0]), seats_taken(app, ids[1]))

    client = app.test_client()
    login(client, intruder["username"])
    page = text(client.get(LIST))
    assert theirs_code in page and mine_code not in page
    assert client.get(f"/my/enrolments/{owners}/drop").status_code == 404
    assert client.get(f"/my/enrolments/{owners}/swap").status_code == 404
    assert client.post(f"/my/enrolments/{owners}/drop").status_code == 404
    assert client.post(f"/my/enrolments/{owners}/swap", data={"target_section_id": ids[1]}).status_code == 404
    assert client.post(f"/my/enrolments/{owners}/accept").status_code == 404
    assert (state(app, owner["learner_id"], ids[0]), seats_taken(app, ids[0]), seats_taken(app, ids[1])) == before


def test_visitors_go_to_login_and_staff_are_forbidden(app):
    anonymous = app.test_client()
    response = anonymous.get(LIST)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    with World(app):
        sm = app.appbuilder.sm
        username = f"agent-{tag()}"
        assert sm.add_user(username, "Staff", username, f"{username}@example.org", sm.find_role(AGENT),
                           password=DEMO_PASSWORD)
    staff = app.test_client()
    login(staff, username)
    assert staff.get(LIST).status_code == 403
    assert staff.post("/my/enrolments/register/1").status_code == 403


def test_empty_state_points_to_the_catalogue_in_both_languages(app):
    with World(app) as w:
        account = w.account()
    client = app.test_client()
    login(client, account["username"])
    page = text(client.get(LIST))
    assert said(app, "fr", "You are not registered in any course yet.") in page
    assert 'href="/catalogue/"' in page
    client.get("/lang/en")
    page = text(client.get(LIST))
    assert "You are not registered in any course yet." in page and "Browse the course catalogue" in page


def test_the_list_is_paginated(app):
    with World(app) as w:
        account = w.account()
        learner = w.learner(account)
        codes = []
        for day in range(25):  # 25 sections of distinct terms: no time conflict between them
            section = make_section(make_term(), capacity=3, meetings=((1 + day % 7, "08:00", "09:00"),))
            service.register(db.session, learner, section)
            codes.append(section.code)
    client = app.test_client()
    login(client, account["username"])
    first, second = text(client.get(LIST)), text(client.get(f"{LIST}?page=2"))
    assert sum(code in first for code in codes) == 20 and sum(code in second for code in codes) == 5
    assert 'href="/my/enrolments/?page=2"' in first
    assert client.get(f"{LIST}?page=3").status_code == 404


# --- CSRF ----------------------------------------------------------------------------------------

def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.fixture(scope="module")
def csrf_app(pg_url):
    application = build_app(pg_url, WTF_CSRF_ENABLED=True)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_posts_without_the_csrf_token_are_refused(csrf_app):
    app = csrf_app
    with World(app) as w:
        account = w.account()
        term = make_term()
        enrolled = make_section(term, capacity=5)
        other = make_section(term, make_specialised_course(), capacity=5, meetings=((4, "09:00", "12:00"),))
        service.register(db.session, w.learner(account), enrolled)
        enrolled_id, other_id = enrolled.id, other.id
    seat = enrolment_id(app, account["learner_id"], enrolled_id)
    client = app.test_client()
    login_page = client.get("/login/").get_data(as_text=True)
    client.post("/login/", data={"username": account["username"], "password": DEMO_PASSWORD,
                                 "csrf_token": csrf_token(login_page)})
    page = client.get(LIST)
    assert page.status_code == 200

    assert client.post(f"/my/enrolments/register/{other_id}").status_code == 400
    assert client.post(f"/my/enrolments/{seat}/drop").status_code == 400
    assert client.post(f"/my/enrolments/{seat}/swap", data={"target_section_id": other_id}).status_code == 400
    assert client.post(f"/my/enrolments/{seat}/accept").status_code == 400
    assert state(app, account["learner_id"], other_id) == (None, None)
    assert state(app, account["learner_id"], enrolled_id)[0] == EnrolmentStatus.ENROLLED
    assert seats_taken(app, enrolled_id) == 1

    token = csrf_token(client.get(f"/my/enrolments/{seat}/drop").get_data(as_text=True))
    assert client.post(f"/my/enrolments/register/{other_id}", data={"csrf_token": token}).status_code == 302
    assert state(app, account["learner_id"], other_id)[0] == EnrolmentStatus.ENROLLED
    client.post(f"/my/enrolments/{seat}/drop", data={"csrf_token": token})
    assert state(app, account["learner_id"], enrolled_id)[0] == EnrolmentStatus.DROPPED
