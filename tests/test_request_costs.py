"""What one request costs in SQL statements, pinned: a registration through the API and through the
form, and one catalogue page. A change that adds a round trip fails here; one that removes a round
trip updates the number (docs/PERFORMANCE.md says where each statement comes from).

The app runs as in production: PostgreSQL, jobs pushed to Redis (not run inline), CSRF enforced.
Nothing here measures time.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Enrolment, EnrolmentStatus, Job, Message
from tests.conftest import REDIS_URL, build_app, count_queries, login, minted_token, redis_available, require
from tests.factories import World, make_section, make_term, tag

# Statements of one registration that gets a seat: with a JWT, the account with its learner file and
# its token version (revocation), one statement; with the cookie, the account with its roles and groups, the
# login session and the learner; then the section with its course, term, site and meetings, the
# learner's rows in the term, the seat UPDATE, the enrolment INSERT, one INSERT for the audit
# trail and the business event, the message and its job.
API_REGISTRATION = 8
FORM_REGISTRATION = 10
# Full section: the row lock, a second try for the seat and the waiting-list position.
API_WAITLISTED = API_REGISTRATION + 3
# A catalogue page: the filters' choices (terms, regions, places, fields), the page of sections
# with the number of matches, their meetings, the public role's permissions (menu).
CATALOGUE_VISITOR = 7
# A learner's: the account, the login session, the learner with the businesses it represents (one
# statement, for the page and the menu), the choices, the page, the meetings, the learner's
# enrolments among the results, the permissions.
CATALOGUE_LEARNER = 11


@pytest.fixture(scope="module")
def app(pg_url):
    """Production-like: jobs go to Redis, CSRF enforced on the forms."""
    ok, reason = redis_available()
    require(ok, reason)
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()
    application = build_app(pg_url, WTF_CSRF_ENABLED=True, REDIS_URL=REDIS_URL)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    Redis.from_url(REDIS_URL).flushdb()


def shown(statements: list[str]) -> str:
    return "\n".join(" ".join(s.split())[:140] for s in statements)


def learners_and_section(app, n: int, capacity: int = 20) -> tuple[list[dict], int]:
    with World(app) as w:
        accounts = [w.account(level=5) for _ in range(n)]
        section_id = make_section(make_term(), capacity=capacity).id
    return accounts, section_id


def enrolment_of(app, learner_id: int, section_id: int):
    with app.app_context():
        row = db.session.scalar(select(Enrolment).where(Enrolment.learner_id == learner_id,
                                                        Enrolment.section_id == section_id))
        result = (row.id, row.status, row.position)
        events = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "Enrolment", AuditEvent.object_id == str(row.id))).all()
        message = db.session.scalar(select(Message).where(Message.learner_id == learner_id))
        job = db.session.scalar(select(Job).where(Job.task == "deliver_message")
                                .order_by(Job.id.desc())) if message else None
        db.session.remove()
    return result, sorted(events), message.template if message else None, job


def test_one_api_registration_costs_a_pinned_number_of_statements(app):
    accounts, section_id = learners_and_section(app, 3, capacity=2)
    client = app.test_client()
    headers = [minted_token(app, a["username"]) for a in accounts]
    client.get("/api/v1/my/enrolments", headers=headers[0])  # the first request of a process fills caches

    with count_queries(app) as statements:
        response = client.post("/api/v1/my/enrolments", json={"section_id": section_id}, headers=headers[0])
    assert response.status_code == 201, response.get_json()
    assert len(statements) == API_REGISTRATION, shown(statements)
    answer = response.get_json()
    assert answer["status"] == "enrolled" and answer["section"]["id"] == section_id
    assert answer["section"]["meetings"][0]["starts_at"] == "18:00"
    (enrolment_id, status, _), events, template, job = enrolment_of(app, accounts[0]["learner_id"], section_id)
    assert answer["id"] == enrolment_id and status == EnrolmentStatus.ENROLLED
    # every rule's side effect is still there: the trail, the business event, the message and its job
    assert events == ["enrolment.insert", "enrolment.register"]
    assert template == "enrolled" and job is not None and job.args == {"message_id": job.args["message_id"]}

    client.post("/api/v1/my/enrolments", json={"section_id": section_id}, headers=headers[1])
    with count_queries(app) as statements:
        response = client.post("/api/v1/my/enrolments", json={"section_id": section_id}, headers=headers[2])
    assert response.status_code == 201 and response.get_json()["status"] == "waitlisted"
    assert response.get_json()["position"] == 1
    assert len(statements) == API_WAITLISTED, shown(statements)


def test_registrations_share_one_redis_connection_per_process(app):
    accounts, section_id = learners_and_section(app, 3)
    client = app.test_client()
    for account in accounts:
        response = client.post("/api/v1/my/enrolments", json={"section_id": section_id},
                               headers=minted_token(app, account["username"]))
        assert response.status_code == 201
    from app.jobs import redis_connection

    pool = redis_connection(app).connection_pool
    assert pool._created_connections == 1  # three pushes to rq, one socket
    from redis import Redis
    from rq import Queue

    assert Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(REDIS_URL)).count >= 3


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def form_login(client, username: str) -> None:
    """The real login form, with its CSRF token (this app enforces CSRF)."""
    token = csrf_token(client.get("/login/").get_data(as_text=True))
    assert login(client, username, csrf_token=token).status_code == 302


def test_one_form_registration_costs_a_pinned_number_of_statements(app):
    accounts, section_id = learners_and_section(app, 1)
    client = app.test_client()
    form_login(client, accounts[0]["username"])
    page = client.get(f"/catalogue/section/{section_id}").get_data(as_text=True)
    token = csrf_token(page)

    with count_queries(app) as statements:
        response = client.post(f"/my/enrolments/register/{section_id}", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/my/enrolments/")
    assert len(statements) == FORM_REGISTRATION, shown(statements)
    (_, status, _), events, template, _ = enrolment_of(app, accounts[0]["learner_id"], section_id)
    assert status == EnrolmentStatus.ENROLLED and events == ["enrolment.insert", "enrolment.register"]
    assert template == "enrolled"
    assert "Vous êtes inscrit" in client.get("/my/enrolments/").get_data(as_text=True)


@pytest.mark.parametrize("as_learner", [False, True], ids=["visitor", "learner"])
def test_one_catalogue_page_costs_a_pinned_number_of_statements(app, as_learner):
    marker = f"Cost{tag()}"
    with World(app) as w:
        term = make_term()
        for _ in range(12):
            section = make_section(term)
            section.course.title_fr = section.course.title_en = f"{marker} course"
        if as_learner:
            account = w.account(level=5)
    client = app.test_client()
    if as_learner:
        form_login(client, account["username"])
    url = f"/catalogue/?q={marker}"
    client.get(url)  # the first visit settles the language in the session
    with count_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200 and response.get_data(as_text=True).count(f"{marker} course") >= 12
    expected = CATALOGUE_LEARNER if as_learner else CATALOGUE_VISITOR
    assert len(statements) == expected, shown(statements)
