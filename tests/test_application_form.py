"""The online application, step by step: a draft saved and resumed, mistakes shown beside the fields
with nothing lost, consents required to send, submission with its event, message and eligibility,
one open application at a time, withdrawal after a confirmation."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Application, ApplicationEvent, ApplicationStatus as S, ClientCategory, CourseFormat, Enterprise,
    ImmigrationStatus, Language, Learner, Message, Region,
)
from app.services import applications as service
from app.services.access import LEARNER
from tests.conftest import DEMO_PASSWORD
from tests.factories import tag
from tests.conftest import login as conftest_login

HOME = "/my/application/"


# --- helpers (also used by test_documents_upload.py) --------------------------------------------

def make_applicant(app, category: str = "immigrant", language: Language = Language.FR, **fields) -> dict:
    """A learner with a login account, in a client category of the demo reference data."""
    with app.app_context():
        sm = app.appbuilder.sm
        t = tag()
        learner = Learner(file_number=f"A-{t}", first_name="Amina", last_name=f"Applicant {t}",
                          email=f"applicant.{t}@example.org", birth_date=dt.date(1991, 3, 14),
                          category=db.session.scalar(select(ClientCategory).where(ClientCategory.code == category)),
                          preferred_language=language, **fields)
        db.session.add(learner)
        username = f"applicant-{t}"
        user = sm.add_user(username, "Amina", "Applicant", f"{username}@example.org", sm.find_role(LEARNER),
                           password=DEMO_PASSWORD)
        learner.user_id = user.id
        db.session.commit()
        account = {"username": username, "learner_id": learner.id, "user_id": user.id}
        db.session.remove()
    return account


def login(client, username: str, language: str | None = None) -> None:
    response = conftest_login(client, username, DEMO_PASSWORD)
    assert response.status_code == 302, "login failed"
    if language:
        with client.session_transaction() as session:
            session["locale"] = language


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def said(app, language: str, msgid: str, **params) -> str:
    """What the application says for ``msgid`` in a language (the catalogue's translation)."""
    with app.test_request_context(), force_locale(language):
        return gettext(msgid, **params)


def reference_id(app, model, code: str) -> int:
    with app.app_context():
        row_id = db.session.scalar(select(model.id).where(model.code == code))
        db.session.remove()
    assert row_id is not None, f"no {model.__name__} {code} in the demo data"
    return row_id


def application_of(app, learner_id: int) -> dict | None:
    """The learner's latest application as plain values, with its events and messages."""
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.learner_id == learner_id)
                                        .order_by(Application.id.desc()))
        if application is None:
            db.session.remove()
            return None
        learner = application.learner
        result = {
            "id": application.id, "status": application.status, "format": application.format_wanted,
            "preferences": application.schedule_preferences, "eligibility": application.eligibility,
            "consents": (application.consent_truthful, application.consent_privacy),
            "events": [(e.from_status, e.to_status, e.note) for e in db.session.scalars(
                select(ApplicationEvent).where(ApplicationEvent.application_id == application.id)
                .order_by(ApplicationEvent.at, ApplicationEvent.id))],
            "messages": list(db.session.scalars(select(Message.template).where(Message.learner_id == learner_id)
                                                .order_by(Message.id))),
            "count": len(db.session.scalars(select(Application.id).where(Application.learner_id == learner_id))
                         .all()),
            "birth_date": learner.birth_date, "region_id": learner.region_id, "status_id": learner.status_id,
            "arrival_date": learner.arrival_date, "children": learner.children_in_care,
            "enterprise_id": learner.enterprise_id, "pending_enterprise_id": learner.pending_enterprise_id,
            "living_abroad": learner.living_abroad,
        }
        db.session.remove()
    return result


def start(client) -> None:
    response = client.post(f"{HOME}start")
    assert response.status_code == 302 and response.headers["Location"].endswith("/my/application/step/1")


def step(client, number: int, data: dict, action: str = "proceed"):
    return client.post(f"{HOME}step/{number}", data={**data, action: "1"})


def fill_steps(app, client, category: str = "immigrant") -> None:
    """Answer steps 1 to 3 with valid answers and continue each time."""
    montreal = reference_id(app, Region, "06")
    answers = {1: {"category": reference_id(app, ClientCategory, category), "birth_date": "1991-03-14",
                   "region": montreal},
               2: {"immigration_status": reference_id(app, ImmigrationStatus, "permanent_resident"),
                   "arrival_date": "2024-08-15", "children_in_care": "1"},
               3: {"format": "part_time", "weekdays": ["2", "4"], "periods": ["evening"], "region": montreal}}
    for number, data in answers.items():
        response = step(client, number, data)
        assert response.status_code == 302, text(response)
        assert response.headers["Location"].endswith(f"/my/application/step/{number + 1}")


@pytest.fixture
def applicant(demo_app):
    return make_applicant(demo_app)


@pytest.fixture
def browser(demo_app, applicant):
    client = demo_app.test_client()
    login(client, applicant["username"])
    return client


# --- the tests -----------------------------------------------------------------------------------

def test_a_draft_is_saved_at_any_step_and_resumed(demo_app, applicant, browser):
    first = text(browser.get(HOME))
    assert said(demo_app, "fr", "Start my application") in first
    start(browser)
    page = text(browser.get(f"{HOME}step/1"))
    assert said(demo_app, "fr", "Step %(number)s of %(total)s", number=1, total=4) in page

    # Only the category and the birth date: incomplete, but a draft keeps it.
    immigrant = reference_id(demo_app, ClientCategory, "immigrant")
    response = step(browser, 1, {"category": immigrant, "birth_date": "1988-11-02"}, action="draft")
    assert response.status_code == 302 and response.headers["Location"].endswith(HOME)
    saved = application_of(demo_app, applicant["learner_id"])
    assert saved["status"] == S.DRAFT and saved["birth_date"] == dt.date(1988, 11, 2)

    home = text(browser.get(HOME))
    assert said(demo_app, "fr", "Your draft is saved. You can come back to it at any time.") in home
    assert said(demo_app, "fr", "Choose the region where you live, or tick “I live outside Québec”.") in home
    assert said(demo_app, "fr", "Continue my application") in home

    # Coming back: the answers are there.
    again = text(browser.get(f"{HOME}step/1"))
    assert 'value="1988-11-02"' in again
    assert re.search(rf'<input [^>]*checked [^>]*name="category" type="radio" value="{immigrant}"', again)


def test_a_mistake_shows_the_page_again_with_what_was_typed_and_saves_nothing(demo_app, applicant, browser):
    start(browser)
    canadian = reference_id(demo_app, ClientCategory, "canadian")
    response = step(browser, 1, {"category": canadian, "birth_date": "1990-13-45", "neq": "12 34"})
    page = text(response)
    assert response.status_code == 200
    assert 'value="1990-13-45"' in page and 'value="12 34"' in page
    assert said(demo_app, "fr", "Write the date as year-month-day, for example 1990-05-31.") in page
    assert said(demo_app, "fr", "A Québec enterprise number (NEQ) has exactly 10 digits.") in page
    assert said(demo_app, "fr", "Choose the region where you live, or tick “I live outside Québec”.") in page
    saved = application_of(demo_app, applicant["learner_id"])
    assert saved["birth_date"] == dt.date(1991, 3, 14) and saved["region_id"] is None

    # A typing mistake is not saved in a draft either.
    draft = step(browser, 1, {"category": canadian, "birth_date": "14/03/1991"}, action="draft")
    assert draft.status_code == 200
    assert said(demo_app, "fr", "Write the date as year-month-day, for example 1990-05-31.") in text(draft)


def test_an_immigrant_must_give_a_status_and_arrival_date_to_continue(demo_app, applicant, browser):
    start(browser)
    fill_steps(demo_app, browser)
    response = step(browser, 2, {"immigration_status": "", "arrival_date": "", "children_in_care": "0"})
    page = text(response)
    assert response.status_code == 200
    assert said(demo_app, "fr", "Give your immigration status.") in page
    assert said(demo_app, "fr", "Give the date you arrived in Québec.") in page
    future = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    response = step(browser, 2, {"immigration_status": "", "arrival_date": future}, action="draft")
    assert said(demo_app, "fr", "The date you arrived cannot be in the future.") in text(response)


def test_someone_living_abroad_can_ask_for_online_courses_only(demo_app):
    account = make_applicant(demo_app, category="abroad")
    client = demo_app.test_client()
    login(client, account["username"], "en")
    start(client)
    response = step(client, 1, {"category": reference_id(demo_app, ClientCategory, "abroad"),
                                "birth_date": "1995-06-01", "living_abroad": "y"})
    assert response.status_code == 302
    refused = step(client, 3, {"format": "full_time"})
    assert refused.status_code == 200
    assert "While you live outside Québec, you can take online courses only." in text(refused)
    assert step(client, 3, {"format": "online"}).status_code == 302
    assert application_of(demo_app, account["learner_id"])["format"] == CourseFormat.ONLINE


def test_a_business_employee_gives_the_neq_of_a_registered_business(demo_app):
    account = make_applicant(demo_app, category="business_employee")
    with demo_app.app_context():
        enterprise = db.session.scalar(select(Enterprise).order_by(Enterprise.id))
        neq, enterprise_id = enterprise.neq, enterprise.id
        db.session.remove()
    client = demo_app.test_client()
    login(client, account["username"], "en")
    start(client)
    employee = reference_id(demo_app, ClientCategory, "business_employee")
    data = {"category": employee, "birth_date": "1985-02-02", "region": reference_id(demo_app, Region, "06")}
    missing = text(step(client, 1, data))
    assert "Give the Québec enterprise number (NEQ) of the business you work for." in missing
    unknown = text(step(client, 1, {**data, "neq": "9999999999" if neq != "9999999999" else "8888888888"}))
    assert "is registered with us" in unknown
    assert step(client, 1, {**data, "neq": f"{neq[:4]} {neq[4:]}"}).status_code == 302
    # the business is named, not linked: one of its representatives must confirm it first
    saved = application_of(demo_app, account["learner_id"])
    assert (saved["enterprise_id"], saved["pending_enterprise_id"]) == (None, enterprise_id)


def test_sending_without_the_consents_is_refused(demo_app, applicant, browser):
    start(browser)
    fill_steps(demo_app, browser)
    response = step(browser, 4, {}, action="send")
    page = text(response)
    assert response.status_code == 200
    assert said(demo_app, "fr", "You must confirm that your information is true to send your application.") in page
    assert said(demo_app, "fr", "You must accept the privacy notice to send your application.") in page
    only_one = step(browser, 4, {"consent_truthful": "y"}, action="send")
    assert said(demo_app, "fr", "You must accept the privacy notice to send your application.") in text(only_one)
    saved = application_of(demo_app, applicant["learner_id"])
    assert saved["status"] == S.DRAFT and saved["events"] == [(None, S.DRAFT, None)]
    assert "application_submitted" not in saved["messages"]


def test_an_incomplete_application_cannot_be_sent(demo_app, applicant, browser):
    start(browser)
    response = step(browser, 4, {"consent_truthful": "y", "consent_privacy": "y"}, action="send")
    page = text(response)
    assert said(demo_app, "fr", "Some answers are still missing; they are listed on this page.") in page
    assert said(demo_app, "fr", "Choose the format of course you want.") in page
    saved = application_of(demo_app, applicant["learner_id"])
    assert saved["status"] == S.DRAFT and saved["consents"] == (True, True)


def test_sending_records_the_status_the_event_the_message_and_the_eligibility(demo_app, applicant, browser):
    start(browser)
    fill_steps(demo_app, browser)
    response = step(browser, 4, {"consent_truthful": "y", "consent_privacy": "y"}, action="send")
    assert response.status_code == 302 and response.headers["Location"].endswith(HOME)
    saved = application_of(demo_app, applicant["learner_id"])
    assert saved["status"] == S.SUBMITTED
    assert [(before, after) for before, after, _ in saved["events"]] == [(None, S.DRAFT), (S.DRAFT, S.SUBMITTED)]
    assert saved["messages"] == ["application_submitted"]
    assert saved["format"] == CourseFormat.PART_TIME
    assert saved["preferences"]["weekdays"] == [2, 4] and saved["preferences"]["periods"] == ["evening"]
    assert saved["children"] == 1 and saved["arrival_date"] == dt.date(2024, 8, 15)
    rules = {rule["code"]: rule["passed"] for rule in saved["eligibility"]["rules"]}
    assert rules["minimum_age"] and rules["domicile"] and not rules["status_document"]

    page = text(browser.get(HOME))
    assert said(demo_app, "fr", "Your application is sent. We have sent you a confirmation; "
                                "follow its progress here.") in page
    assert said(demo_app, "fr", "Submitted") in page and said(demo_app, "fr", "Draft") in page
    # The answers cannot be changed any more.
    blocked = browser.get(f"{HOME}step/1")
    assert blocked.status_code == 302
    assert said(demo_app, "fr", "This application has been sent: its answers can no longer be changed. Write to us "
                                "if something has changed.") in text(browser.get(HOME))


def test_the_timeline_is_in_the_learners_language(demo_app, applicant, browser):
    start(browser)
    fill_steps(demo_app, browser)
    step(browser, 4, {"consent_truthful": "y", "consent_privacy": "y"}, action="send")
    with browser.session_transaction() as session:
        session["locale"] = "en"
    page = text(browser.get(HOME))
    assert "History of my file" in page and "Submitted" in page and "Draft" in page
    assert "Step 1 of 4" not in page


def test_only_one_open_application_at_a_time(demo_app, applicant, browser):
    start(browser)
    again = browser.post(f"{HOME}start")
    assert again.status_code == 302
    assert said(demo_app, "fr", "You already have an application in progress: only one application can be open "
                                "at a time. Continue it, or withdraw it before starting a new one.") \
        in text(browser.get(HOME))
    assert application_of(demo_app, applicant["learner_id"])["count"] == 1


def test_withdrawing_asks_for_confirmation_then_a_new_application_can_start(demo_app, applicant, browser):
    start(browser)
    fill_steps(demo_app, browser)
    step(browser, 4, {"consent_truthful": "y", "consent_privacy": "y"}, action="send")
    confirm = browser.get(f"{HOME}withdraw")
    assert confirm.status_code == 200
    assert said(demo_app, "fr", "Are you sure you want to withdraw your application number %(number)s?",
                number=application_of(demo_app, applicant["learner_id"])["id"]) in text(confirm)
    assert application_of(demo_app, applicant["learner_id"])["status"] == S.SUBMITTED

    done = browser.post(f"{HOME}withdraw", data={"reason": "Je déménage en Ontario", "confirm": "1"})
    assert done.status_code == 302
    saved = application_of(demo_app, applicant["learner_id"])
    assert saved["status"] == S.WITHDRAWN and saved["events"][-1] == (S.SUBMITTED, S.WITHDRAWN,
                                                                       "Je déménage en Ontario")
    assert saved["messages"] == ["application_submitted", "application_withdrawn"]
    page = text(browser.get(HOME))
    assert said(demo_app, "fr", "Withdrawn") in page and "Je déménage en Ontario" in page
    assert browser.get(f"{HOME}withdraw").status_code == 302  # nothing left to withdraw
    start(browser)
    assert application_of(demo_app, applicant["learner_id"])["count"] == 2


def test_staff_and_visitors_cannot_open_the_learner_page(demo_app, client, auth):
    assert client.get(HOME).status_code == 302  # to the login page
    auth.login("agent")
    assert client.get(HOME).status_code == 403


def test_the_service_refuses_a_second_open_application(demo_app, applicant):
    with demo_app.test_request_context():
        learner = db.session.get(Learner, applicant["learner_id"])
        service.start_application(db.session, learner)
        with pytest.raises(service.ApplicationRefused) as caught:
            service.start_application(db.session, learner)
        assert caught.value.code == "already_open"
        db.session.rollback()
        db.session.remove()
