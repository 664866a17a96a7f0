"""The case officer's desk: the queue by service clock, the file, and every action through HTTP.

Decisions go through the intake service (status, event, message to the learner in their language);
bad input is refused with a message and nothing changed; only agents (and admins) reach the desk.
"""
from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AccessLog, Application, ApplicationEvent, ApplicationStatus as S, CourseFormat, Document, DocumentType,
    Language, Message, PlacementResult, Region, Skill,
)
from app.services import agent_desk as desk
from app.services.access import AGENT, PARTNER_STAFF, SUPPORT
from app.services.service_clock import working_days_between
from tests.conftest import Auth
from tests.test_backoffice import make_user
from tests.factories import make_learner, reference_row, tag

MONTREAL = ZoneInfo("America/Montreal")
TODAY = dt.datetime.now(MONTREAL).date()
QUEUE = "/agent/desk/"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def said(app, language: str, msgid: str, **params) -> str:
    with app.test_request_context(), force_locale(language):
        return gettext(msgid, **params)


def at(days_ago: int, hour: int = 10) -> dt.datetime:
    """An instant ``days_ago`` calendar days ago, in the morning in Montréal."""
    return dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(hour), tzinfo=MONTREAL)


@pytest.fixture(scope="module")
def users(app):
    with app.app_context():
        created = {role: make_user(app, role, role.lower()) for role in (AGENT, SUPPORT, PARTNER_STAFF)}
        names = {role: user.username for role, user in created.items()}
        names["agent_id"] = created[AGENT].id
        db.session.remove()
    return names


def english(client):
    """Pages in English from now on (French is the default), so tests can read the msgids."""
    with client.session_transaction() as session:
        session["locale"] = "en"
    return client


@pytest.fixture
def agent(app, users):
    client = app.test_client()
    Auth(client).login(users[AGENT])
    return english(client)


def new_application(app, status=S.SUBMITTED, *, language=Language.FR, region=None, fmt=CourseFormat.PART_TIME,
                    submitted_days_ago: int | None = 2, complete_days_ago: int | None = None,
                    assigned_to: int | None = None, **learner_fields) -> int:
    """An application in a given state (set up directly: the states before the desk's action)."""
    with app.app_context():
        learner = make_learner(level=None, language=language, **learner_fields)
        application = Application(
            learner=learner, format_wanted=fmt, region_id=region, status=status,
            submitted_at=at(submitted_days_ago) if submitted_days_ago is not None else None,
            complete_at=at(complete_days_ago) if complete_days_ago is not None else None,
            consent_truthful=True, consent_privacy=True, assigned_agent_id=assigned_to)
        db.session.add(application)
        db.session.commit()
        application_id = application.id
        db.session.remove()
    return application_id


def new_region(app) -> int:
    with app.app_context():
        region = reference_row(Region, f"Q{tag()}")
        db.session.commit()
        region_id = region.id
        db.session.remove()
    return region_id


def load(app, application_id: int) -> dict:
    """What the database holds about an application after a request."""
    with app.app_context():
        application = db.session.get(Application, application_id)
        events = db.session.scalars(select(ApplicationEvent).where(ApplicationEvent.application_id == application_id)
                                    .order_by(ApplicationEvent.id)).all()
        messages = db.session.scalars(select(Message).where(Message.learner_id == application.learner_id)
                                      .order_by(Message.id)).all()
        state = {
            "status": application.status, "decision_reason": application.decision_reason,
            "complete_at": application.complete_at, "assigned_agent_id": application.assigned_agent_id,
            "eligibility": application.eligibility, "level": application.learner.current_level,
            "events": [(e.from_status, e.to_status, e.actor_id, e.note) for e in events],
            "messages": [(m.template, m.language, m.subject, m.body) for m in messages],
            "placements": sorted(((r.skill, r.level) for r in db.session.scalars(
                select(PlacementResult).where(PlacementResult.application_id == application_id))), key=str),
        }
        db.session.remove()
    return state


def queue_ids(response) -> list[int]:
    return [int(number) for number in re.findall(r'id="application-(\d+)"', response.get_data(as_text=True))]


# --- the queue ----------------------------------------------------------------------------------

def test_the_queue_lists_waiting_files_longest_wait_first_with_the_service_clock(app, agent):
    region = new_region(app)
    late = new_application(app, S.COMPLETE, region=region, submitted_days_ago=130, complete_days_ago=120)
    fresh = new_application(app, S.COMPLETE, region=region, submitted_days_ago=5, complete_days_ago=3)
    at_risk = new_application(app, S.COMPLETE, region=region, submitted_days_ago=70, complete_days_ago=63)
    waiting_documents = new_application(app, S.DOCUMENTS_REQUESTED, region=region, submitted_days_ago=20)
    new_application(app, S.APPROVED, region=region, submitted_days_ago=200, complete_days_ago=190)  # decided
    new_application(app, S.DRAFT, region=region, submitted_days_ago=None)  # not submitted

    response = agent.get(f"{QUEUE}?region={region}")
    assert response.status_code == 200
    assert queue_ids(response) == [late, at_risk, waiting_documents, fresh]
    page = text(response)
    assert "4 applications waiting." in page
    for application_id, days_ago, status in [(late, 120, "Late"), (at_risk, 63, "At risk"),
                                             (fresh, 3, "On track"), (waiting_documents, 20, "On track")]:
        days = working_days_between(TODAY - dt.timedelta(days=days_ago), TODAY)
        row = page.split(f'id="application-{application_id}"')[1].split("</tr>")[0]
        assert f"{days} / 50 working days — {status}" in row, (application_id, row)


def test_the_queue_filters_by_status_format_waiting_since_and_agent(app, agent, users):
    region = new_region(app)
    old = new_application(app, S.COMPLETE, region=region, fmt=CourseFormat.FULL_TIME, submitted_days_ago=40,
                          complete_days_ago=30)
    recent = new_application(app, S.SUBMITTED, region=region, fmt=CourseFormat.ONLINE, submitted_days_ago=2)
    documents = new_application(app, S.DOCUMENTS_REQUESTED, region=region, submitted_days_ago=12)
    other_region = new_application(app, S.SUBMITTED, region=new_region(app), submitted_days_ago=50)

    def ids(**query):
        response = agent.get(QUEUE, query_string={"region": region, **query})
        assert response.status_code == 200
        return queue_ids(response)

    assert ids() == [old, documents, recent]
    assert other_region not in ids()
    assert ids(status="documents_requested") == [documents]
    assert ids(format="online") == [recent]
    since = (TODAY - dt.timedelta(days=10)).isoformat()
    assert ids(waiting_since=since) == [old, documents]
    assert ids(agent="mine") == []
    assert agent.post(f"/agent/desk/{recent}/assign", data={"next": f"{QUEUE}?region={region}"}).status_code == 302
    assert load(app, recent)["assigned_agent_id"] == users["agent_id"]
    assert ids(agent="mine") == [recent]
    assert ids(agent="unassigned") == [old, documents]
    # a filter value that means nothing is reported, not a crash, and the rest still applies
    response = agent.get(QUEUE, query_string={"region": region, "waiting_since": "not-a-date"})
    assert response.status_code == 200 and queue_ids(response) == [old, documents, recent]


def test_the_queue_is_paginated(app, agent):
    region = new_region(app)
    created = [new_application(app, S.SUBMITTED, region=region, submitted_days_ago=days) for days in range(30, 2, -1)]
    first = agent.get(QUEUE, query_string={"region": region})
    second = agent.get(QUEUE, query_string={"region": region, "page": 2})
    assert queue_ids(first) == created[:desk.PAGE_SIZE]
    assert queue_ids(second) == created[desk.PAGE_SIZE:]
    assert "Page 2 of 2" in text(second)
    assert f"region={region}" in text(first).split('rel="next"')[0].rsplit("href=", 1)[1]
    assert agent.get(QUEUE, query_string={"region": region, "page": 3}).status_code == 404


# --- the file -----------------------------------------------------------------------------------

def test_the_file_shows_identity_eligibility_documents_and_timeline(app, agent, users):
    application_id = new_application(app, S.SUBMITTED, language=Language.EN)
    with app.app_context():
        application = db.session.get(Application, application_id)
        application.learner.birth_date = TODAY.replace(year=TODAY.year - 14)  # too young
        db.session.add(ApplicationEvent(application=application, from_status=S.DRAFT, to_status=S.SUBMITTED,
                                        note="Submitted online"))
        db.session.add(Document(application=application, learner=application.learner,
                                type=DocumentType.IDENTITY, original_name="passport.pdf",
                                content_type="application/pdf", storage_key=f"k-{tag()}", sha256="0" * 64,
                                size_bytes=2048))
        db.session.commit()
        learner_id, name = application.learner_id, application.learner.full_name
        document_id = application.documents[0].id
        db.session.remove()

    page = text(agent.get(f"/agent/desk/{application_id}"))
    assert name in page and "Submitted online" in page
    assert f'href="/staff/documents/{document_id}"' in page
    assert "have not been evaluated" in page

    assert agent.post(f"/agent/desk/{application_id}/eligibility").status_code == 302
    rules = load(app, application_id)["eligibility"]["rules"]
    assert [rule["code"] for rule in rules][0] == "minimum_age" and rules[0]["passed"] is False
    page = text(agent.get(f"/agent/desk/{application_id}"))
    assert "A blocking rule failed" in page
    age_row = page.split("Minimum age")[1].split("</tr>")[0]
    assert "Not met" in age_row and "French courses are open from the age of 16" in age_row
    with app.app_context():
        assert db.session.scalar(select(func.count(AccessLog.id)).where(
            AccessLog.learner_id == learner_id, AccessLog.viewer_id == users["agent_id"])) == 2
        db.session.remove()
    assert agent.get("/agent/desk/999999999").status_code == 404


# --- decisions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("language", [Language.FR, Language.EN])
def test_approve_moves_the_file_records_the_event_and_tells_the_learner_in_their_language(app, agent, users,
                                                                                          language):
    application_id = new_application(app, S.COMPLETE, language=language, complete_days_ago=4,
                                     assigned_to=users["agent_id"])
    response = agent.post(f"/agent/desk/{application_id}/approve",
                          data={"approve-note": "Bienvenue !", "approve-share": "y"})
    assert response.status_code == 302
    state = load(app, application_id)
    assert state["status"] == S.APPROVED
    assert state["events"] == [(S.COMPLETE, S.APPROVED, users["agent_id"], "Bienvenue !")]
    (template, sent_in, subject, body), = state["messages"]
    assert (template, sent_in) == ("application_approved", language)
    assert subject == said(app, language.value, "Your application is approved")
    assert "Bienvenue !" in body
    page = text(agent.get(response.headers["Location"]))
    assert "is approved; the learner is told" in page and "Approve the application" not in page


def test_a_refusal_needs_a_reason_and_nothing_changes_without_one(app, agent, users):
    application_id = new_application(app, S.SUBMITTED, assigned_to=users["agent_id"])
    response = agent.post(f"/agent/desk/{application_id}/refuse", data={"refuse-reason": "   "})
    assert response.status_code == 200
    page = text(response)
    assert "Nothing was changed." in page and "A reason is required for this decision." in page
    state = load(app, application_id)
    assert state["status"] == S.SUBMITTED and state["events"] == [] and state["messages"] == []

    response = agent.post(f"/agent/desk/{application_id}/refuse", data={"refuse-reason": "Moins de 16 ans"})
    assert response.status_code == 302
    state = load(app, application_id)
    assert state["status"] == S.REFUSED and state["decision_reason"] == "Moins de 16 ans"
    assert [m[0] for m in state["messages"]] == ["application_refused"]
    assert "Moins de 16 ans" in state["messages"][0][3]
    assert "Moins de 16 ans" in text(agent.get(f"/agent/desk/{application_id}"))


def test_request_documents_says_what_is_needed(app, agent):
    application_id = new_application(app, S.SUBMITTED)
    response = agent.post(f"/agent/desk/{application_id}/documents", data={"documents-what": ""})
    assert response.status_code == 200 and "Say which documents are needed" in text(response)
    assert load(app, application_id)["status"] == S.SUBMITTED

    what = "Une preuve de résidence permanente"
    assert agent.post(f"/agent/desk/{application_id}/documents", data={"documents-what": what}).status_code == 302
    state = load(app, application_id)
    assert state["status"] == S.DOCUMENTS_REQUESTED
    assert state["events"][-1][1:] == (S.DOCUMENTS_REQUESTED, state["events"][-1][2], what)
    assert state["messages"][-1][0] == "application_documents_requested" and what in state["messages"][-1][3]


def test_declaring_the_file_complete_starts_the_service_clock(app, agent):
    application_id = new_application(app, S.DOCUMENTS_REQUESTED, submitted_days_ago=8)
    assert "Counted from the submission" in text(agent.get(f"/agent/desk/{application_id}"))
    assert agent.post(f"/agent/desk/{application_id}/complete", data={"complete-note": ""}).status_code == 302
    state = load(app, application_id)
    assert state["status"] == S.COMPLETE and state["complete_at"] is not None
    assert state["messages"][-1][0] == "application_complete"
    page = text(agent.get(f"/agent/desk/{application_id}"))
    assert "0 / 50 working days — On track" in page and "Counted from the submission" not in page


def test_a_move_the_rules_forbid_is_refused_with_its_reason(app, agent, users):
    application_id = new_application(app, S.REFUSED, assigned_to=users["agent_id"])
    response = agent.post(f"/agent/desk/{application_id}/approve", data={"approve-note": "oops"})
    assert response.status_code == 200
    assert "An application cannot go from “Refused” to “Approved”." in text(response)
    assert load(app, application_id)["status"] == S.REFUSED


def test_close_an_approved_file(app, agent):
    application_id = new_application(app, S.APPROVED, complete_days_ago=10)
    assert agent.post(f"/agent/desk/{application_id}/close", data={"close-note": "Parcours terminé"}).status_code == 302
    state = load(app, application_id)
    assert state["status"] == S.CLOSED and state["events"][-1][3] == "Parcours terminé"
    assert state["messages"][-1][0] == "application_closed"


# --- placement ----------------------------------------------------------------------------------

def placement_data(levels: dict[Skill, object], **extra) -> dict:
    return {**{f"placement-{skill.value}": str(level) for skill, level in levels.items()}, **extra}


def test_placement_per_skill_gives_the_overall_level_and_completes_the_file(app, agent, users):
    application_id = new_application(app, S.SUBMITTED, language=Language.EN)
    levels = {Skill.ORAL_COMPREHENSION: 4, Skill.ORAL_PRODUCTION: 6, Skill.WRITTEN_COMPREHENSION: 5,
              Skill.WRITTEN_PRODUCTION: 8}
    response = agent.post(f"/agent/desk/{application_id}/placement",
                          data=placement_data(levels, **{"placement-mark_complete": "y"}))
    assert response.status_code == 302
    state = load(app, application_id)
    # (4 + 6 + 5 + 8) / 4 = 5.75, rounded down
    assert state["level"] == 5
    assert state["placements"] == sorted([*levels.items(), (None, 5)], key=str)
    assert state["status"] == S.COMPLETE and state["complete_at"] is not None
    assert state["events"][-1][:3] == (S.SUBMITTED, S.COMPLETE, users["agent_id"])
    templates = [m[0] for m in state["messages"]]
    assert templates == ["application_complete", "placement_recorded"]
    assert "your overall level is 5" in state["messages"][-1][3]
    assert "Overall level" in text(agent.get(f"/agent/desk/{application_id}"))

    # a correction of the same day's test replaces it
    levels[Skill.WRITTEN_PRODUCTION] = 4
    agent.post(f"/agent/desk/{application_id}/placement", data=placement_data(levels))
    state = load(app, application_id)
    assert state["level"] == 4 and len(state["placements"]) == 5


@pytest.mark.parametrize("bad", ["13", "", "deux"])
def test_a_bad_level_is_refused_and_nothing_is_stored(app, agent, bad):
    application_id = new_application(app, S.COMPLETE, complete_days_ago=2)
    levels = {Skill.ORAL_COMPREHENSION: 3, Skill.ORAL_PRODUCTION: 3, Skill.WRITTEN_COMPREHENSION: 7,
              Skill.WRITTEN_PRODUCTION: bad}
    response = agent.post(f"/agent/desk/{application_id}/placement", data=placement_data(levels))
    assert response.status_code == 200
    page = text(response)
    assert ("Enter a level for each of the four skills." if bad == "" else
            "Each level is a whole number from 1 to 12.") in page
    # what was typed is still there
    assert re.search(r'<option selected value="7">|<option value="7" selected>', page)
    state = load(app, application_id)
    assert state["placements"] == [] and state["level"] is None and state["messages"] == []


def test_a_placement_cannot_be_dated_in_the_future(app, agent):
    application_id = new_application(app, S.COMPLETE, complete_days_ago=2)
    levels = dict.fromkeys(Skill, 6)
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    response = agent.post(f"/agent/desk/{application_id}/placement",
                          data=placement_data(levels, **{"placement-assessed_on": tomorrow}))
    assert response.status_code == 200 and "cannot be dated in the future" in text(response)
    assert load(app, application_id)["placements"] == []


def test_overall_level_is_the_mean_rounded_down():
    assert desk.overall_level(dict(zip(Skill, (1, 1, 1, 2), strict=True))) == 1
    assert desk.overall_level(dict(zip(Skill, (12, 12, 12, 11), strict=True))) == 11
    assert desk.overall_level(dict(zip(Skill, (5, 5, 5, 5), strict=True))) == 5


# --- who may use the desk -----------------------------------------------------------------------

def test_support_and_partner_staff_get_403_on_the_desk(app, users):
    application_id = new_application(app, S.SUBMITTED)
    for role in (SUPPORT, PARTNER_STAFF):
        client = app.test_client()
        Auth(client).login(users[role])
        assert client.get(QUEUE).status_code == 403, role
        assert client.get(f"/agent/desk/{application_id}").status_code == 403, role
        assert client.post(f"/agent/desk/{application_id}/approve", data={}).status_code == 403, role
    assert load(app, application_id)["status"] == S.SUBMITTED
    anonymous = app.test_client().get(QUEUE)
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]


def test_an_action_without_the_csrf_token_is_refused(app, agent):
    application_id = new_application(app, S.COMPLETE, complete_days_ago=1)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = agent.post(f"/agent/desk/{application_id}/approve", data={"approve-note": "x"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert load(app, application_id)["status"] == S.COMPLETE


def test_the_desk_pages_pass_the_accessibility_audit_in_both_languages(app, agent):
    from tests.test_layout import audit

    application_id = new_application(app, S.SUBMITTED)
    with app.app_context():
        learner_id = db.session.get(Application, application_id).learner_id
        db.session.remove()
    agent.post(f"/agent/desk/{application_id}/eligibility")
    refused = agent.post(f"/agent/desk/{application_id}/refuse", data={"refuse-reason": ""})
    assert audit(refused, "en") == []
    assert 'aria-describedby="refuse-error"' in refused.get_data(as_text=True)
    for language in ("en", "fr"):
        with agent.session_transaction() as session:
            session["locale"] = language
        for url in (QUEUE, f"{QUEUE}?status=submitted&waiting_since=nonsense", f"/agent/desk/{application_id}",
                    f"/agent/notes/learner/{learner_id}", "/agent/notes/follow-ups"):
            assert audit(agent.get(url), language) == [], (language, url)
    assert said(app, "fr", "Work queue") in agent.get(QUEUE).get_data(as_text=True)


def test_a_queue_page_costs_the_same_queries_for_2_rows_and_for_12(app, agent):
    from tests.test_list_queries import count_queries

    small, large = new_region(app), new_region(app)
    for region, count in ((small, 2), (large, 12)):
        for days in range(count):
            new_application(app, S.COMPLETE if days % 2 else S.SUBMITTED, region=region,
                            submitted_days_ago=days + 5, complete_days_ago=days + 4 if days % 2 else None)
    agent.post(f"/agent/desk/{new_application(app, region=large)}/assign")  # an assigned agent to show
    agent.get(QUEUE)
    costs = []
    for region in (small, large):
        with count_queries(app) as statements:
            response = agent.get(QUEUE, query_string={"region": region})
        assert response.status_code == 200
        costs.append(len(statements))
    assert len(queue_ids(response)) == 13
    assert costs[0] == costs[1], costs


def test_the_queue_service_orders_and_filters_alike_on_both_engines(engine_app):
    region = new_region(engine_app)
    old = new_application(engine_app, S.COMPLETE, region=region, submitted_days_ago=30, complete_days_ago=25)
    recent = new_application(engine_app, S.SUBMITTED, region=region, submitted_days_ago=1)
    middle = new_application(engine_app, S.DOCUMENTS_REQUESTED, region=region, submitted_days_ago=9)
    with engine_app.app_context():
        everyone = desk.queue(db.session, desk.QueueFilters(region_id=region), today=TODAY)
        assert [row.application.id for row in everyone.rows] == [old, middle, recent]
        assert [row.days for row in everyone.rows] == [
            working_days_between(TODAY - dt.timedelta(days=days), TODAY) for days in (25, 9, 1)]
        since = desk.queue(db.session, desk.QueueFilters(region_id=region,
                                                         waiting_since=TODAY - dt.timedelta(days=9)), today=TODAY)
        assert [row.application.id for row in since.rows] == [old, middle]
        db.session.remove()
