"""The learner's enrolment API: JWT bearer token only (a session cookie is not enough), one's own
enrolments only, refusals as 409 in the request's language, documented in the OpenAPI spec.

The app here enforces CSRF, as production does: the token endpoints must work without a CSRF
token because they take no cookie credential."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.models import Enrolment, EnrolmentStatus, Section
from app.services import enrolment as service
from app.services.access import ADMIN, AGENT
from app.services.enrolment import RegistrationRefused
from tests.conftest import DEMO_PASSWORD, build_app, minted_token
from tests.factories import make_course, make_section, make_term, tag
from tests.test_learner_enrolments import World

TODAY = dt.date.today()
ENROLMENTS = "/api/v1/my/enrolments"


@pytest.fixture(scope="module")
def app(pg_url):
    """CSRF enforced, as in production."""
    application = build_app(pg_url, WTF_CSRF_ENABLED=True)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def token_for(client, username: str) -> dict:
    """The Authorization header of a token from FAB's login endpoint (no CSRF token sent)."""
    response = client.post("/api/v1/security/login",
                           json={"username": username, "password": DEMO_PASSWORD, "provider": "db"})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def staff_account(app, role: str) -> str:
    with World(app):
        sm = app.appbuilder.sm
        username = f"{role.lower()}-{tag()}"
        assert sm.add_user(username, "Staff", username, f"{username}@example.org", sm.find_role(role),
                           password=DEMO_PASSWORD)
    return username


def row(app, learner_id: int, section_id: int):
    with app.app_context():
        found = db.session.scalar(select(Enrolment).where(Enrolment.learner_id == learner_id,
                                                          Enrolment.section_id == section_id))
        result = (found.id, found.status, found.position) if found else None
        seats = db.session.get(Section, section_id).seats_taken
        db.session.remove()
    return result, seats


def refusal_in(app, language: str, code: str, **params) -> str:
    with app.test_request_context(), force_locale(language):
        return RegistrationRefused(code, **params).message


# --- authentication -----------------------------------------------------------------------------

def test_no_token_is_401(client):
    assert client.get(ENROLMENTS).status_code == 401
    assert client.post(ENROLMENTS, json={"section_id": 1}).status_code == 401
    assert client.post(f"{ENROLMENTS}/1/drop").status_code == 401
    assert client.get(ENROLMENTS, headers={"Authorization": "Bearer not-a-token"}).status_code in (401, 422)


def test_a_browser_session_cookie_alone_is_not_accepted(app, client):
    with World(app) as w:
        account = w.account()
        section = make_section(make_term())
        service.register(db.session, w.learner(account), section)
        section_id = section.id
    with World(app):
        other = make_section(make_term()).id
    login_page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert client.post("/login/", data={"username": account["username"], "password": DEMO_PASSWORD,
                                        "csrf_token": token}).status_code == 302
    assert client.get("/my/enrolments/").status_code == 200  # the session is live for the pages
    (enrolment_id, _, _), _ = row(app, account["learner_id"], section_id)

    assert client.get(ENROLMENTS).status_code == 401
    assert client.post(ENROLMENTS, json={"section_id": other}).status_code == 401
    assert client.post(f"{ENROLMENTS}/{enrolment_id}/drop").status_code == 401
    assert row(app, account["learner_id"], other) == (None, 0)
    assert row(app, account["learner_id"], section_id)[0][1] == EnrolmentStatus.ENROLLED


def test_a_staff_token_is_403(app, client):
    username = staff_account(app, AGENT)
    refused = client.post("/api/v1/security/login",
                          json={"username": username, "password": DEMO_PASSWORD, "provider": "db"})
    assert refused.status_code == 401  # no token for staff from a password alone
    headers = minted_token(app, username)
    assert client.get(ENROLMENTS, headers=headers).status_code == 403
    assert client.post(ENROLMENTS, json={"section_id": 1}, headers=headers).status_code == 403


# --- register, list, drop -----------------------------------------------------------------------

def test_register_list_and_drop_with_a_token(app, client):
    with World(app) as w:
        first, second = w.account(), w.account()
        section = make_section(make_term(), capacity=1)
        section_id, code = section.id, section.code
    first_headers, second_headers = token_for(client, first["username"]), token_for(client, second["username"])

    seated = client.post(ENROLMENTS, json={"section_id": section_id}, headers=first_headers)
    assert seated.status_code == 201
    body = seated.get_json()
    assert body["status"] == "enrolled" and body["position"] is None and body["section"]["code"] == code
    waiting = client.post(ENROLMENTS, json={"section_id": section_id}, headers=second_headers)
    assert waiting.status_code == 201
    assert (waiting.get_json()["status"], waiting.get_json()["position"]) == ("waitlisted", 1)
    assert row(app, second["learner_id"], section_id) == ((waiting.get_json()["id"], EnrolmentStatus.WAITLISTED, 1), 1)

    listed = client.get(ENROLMENTS, headers=first_headers).get_json()
    assert listed["count"] == 1 and [e["id"] for e in listed["result"]] == [body["id"]]
    assert listed["result"][0]["section"]["meetings"] == [
        {"weekday": 2, "weekday_label": "Mardi", "starts_at": "18:00", "ends_at": "21:00", "room": None}]
    english = client.get(ENROLMENTS, headers={**first_headers, "Accept-Language": "en"}).get_json()
    assert english["result"][0]["status_label"] == "Enrolled"
    assert english["result"][0]["section"]["meetings"][0]["weekday_label"] == "Tuesday"

    dropped = client.post(f"{ENROLMENTS}/{body['id']}/drop", json={"reason": "work"}, headers=first_headers)
    assert dropped.status_code == 200 and dropped.get_json()["status"] == "dropped"
    # the seat went at once to the next in line
    assert row(app, second["learner_id"], section_id)[0][1:] == (EnrolmentStatus.ENROLLED, None)
    assert row(app, first["learner_id"], section_id)[1] == 1


def test_refusals_are_409_with_the_message_in_the_requested_language(app, client):
    with World(app) as w:
        account = w.account(level=2)
        section = make_section(make_term(), make_course(level_min=5, level_max=8))
        section_id = section.id
    headers = token_for(client, account["username"])
    french = client.post(ENROLMENTS, json={"section_id": section_id}, headers=headers)
    assert french.status_code == 409
    assert french.get_json() == {"code": "level_out_of_range",
                                 "message": refusal_in(app, "fr", "level_out_of_range", min=5, max=8, level=2)}
    english = client.post(ENROLMENTS, json={"section_id": section_id},
                           headers={**headers, "Accept-Language": "en-CA,en;q=0.9"})
    assert english.get_json()["message"] == "This course is for levels 5 to 8; your level is 2."
    by_query = client.post(f"{ENROLMENTS}?_l_=en", json={"section_id": section_id}, headers=headers)
    assert by_query.get_json()["message"] == "This course is for levels 5 to 8; your level is 2."
    assert row(app, account["learner_id"], section_id) == (None, 0)


def test_duplicate_registration_and_drop_after_the_deadline_are_409(app, client):
    with World(app) as w:
        account = w.account()
        term = make_term(drop_deadline=TODAY - dt.timedelta(days=1))
        section = make_section(term)
        service.register(db.session, w.learner(account), section)
        section_id, deadline = section.id, term.drop_deadline
    headers = token_for(client, account["username"])
    (enrolment_id, _, _), _ = row(app, account["learner_id"], section_id)

    duplicate = client.post(ENROLMENTS, json={"section_id": section_id}, headers=headers)
    assert duplicate.status_code == 409 and duplicate.get_json()["code"] == "already_registered"
    late = client.post(f"{ENROLMENTS}/{enrolment_id}/drop", headers={**headers, "Accept-Language": "en"})
    assert late.status_code == 409
    assert late.get_json() == {"code": "drop_deadline_passed",
                               "message": refusal_in(app, "en", "drop_deadline_passed", deadline=deadline)}
    assert row(app, account["learner_id"], section_id) == ((enrolment_id, EnrolmentStatus.ENROLLED, None), 1)


def test_bad_requests(app, client):
    with World(app) as w:
        account = w.account()
    headers = token_for(client, account["username"])
    assert client.post(ENROLMENTS, json={}, headers=headers).status_code == 400
    assert client.post(ENROLMENTS, json={"section_id": "12"}, headers=headers).status_code == 400
    assert client.post(ENROLMENTS, data="section_id=1", headers=headers).status_code == 400
    assert client.post(ENROLMENTS, json={"section_id": 987654321}, headers=headers).status_code == 404
    assert client.get(f"{ENROLMENTS}?page_size=1000", headers=headers).status_code == 400


def test_another_learners_enrolment_is_not_visible_nor_droppable(app, client):
    with World(app) as w:
        owner, intruder = w.account(), w.account()
        section = make_section(make_term(), capacity=3)
        service.register(db.session, w.learner(owner), section)
        section_id = section.id
    (owners, _, _), _ = row(app, owner["learner_id"], section_id)
    headers = token_for(client, intruder["username"])
    assert client.get(ENROLMENTS, headers=headers).get_json() == {"count": 0, "page": 1, "page_size": 25,
                                                                   "result": []}
    assert client.post(f"{ENROLMENTS}/{owners}/drop", headers=headers).status_code == 404
    assert row(app, owner["learner_id"], section_id) == ((owners, EnrolmentStatus.ENROLLED, None), 1)


# --- documentation ------------------------------------------------------------------------------

def test_the_endpoints_are_in_the_openapi_spec(app, client):
    headers = minted_token(app, staff_account(app, ADMIN))
    response = client.get("/api/v1/_openapi", headers=headers)
    assert response.status_code == 200
    spec = response.get_json()
    paths = spec["paths"]
    assert set(paths[ENROLMENTS]) >= {"get", "post"}
    drop = paths[f"{ENROLMENTS}/{{enrolment_id}}/drop"]["post"]
    assert "409" in drop["responses"] and drop["security"] == [{"jwt": []}]
    assert paths[ENROLMENTS]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/MyRegistrationRequest"}
    schemas = spec["components"]["schemas"]
    assert {"MyEnrolment", "MyEnrolmentList", "RegistrationRefusal"} <= set(schemas)
    assert "section_id" in schemas["MyRegistrationRequest"]["properties"]
