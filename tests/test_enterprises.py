"""Businesses: a representative signs up and opens the business file (NEQ checked), requests workplace
training, invites employees; an agent assigns the request to a partner whose staff create the
group; the business sees only aggregate progress of consenting employees, never a name."""
from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Attendance, CourseFormat, Enrolment, EnrolmentStatus, Enterprise, EnterpriseMembership, EnterpriseRequest,
    Learner, Message, PartnerMembership, Region, RequestStatus, Section,
)
from app.services import enterprises as service
from app.services.access import AGENT, ENTERPRISE_REP, LEARNER, PARTNER_STAFF, SUPPORT
from tests.conftest import DEMO_PASSWORD, Auth, delivered_email
from tests.factories import make_course, make_learner, make_partner, make_section, make_term, reference_row, tag

EN = {"_l_": "en"}


# --- helpers ------------------------------------------------------------------------------------

def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def new_neq() -> str:
    return f"{uuid.uuid4().int % 10**10:010d}"


def make_user(app, role: str, prefix: str = "user"):
    sm = app.appbuilder.sm
    name = f"{prefix}-{tag()}"
    user = sm.add_user(name, "Test", name, f"{name}@example.org", sm.find_role(role), password=DEMO_PASSWORD)
    assert user, f"could not create {name}"
    return user


def region_id(app=None) -> int:
    """The test region's id (inside an app context, or in one opened on ``app``)."""
    if app is None:
        return reference_row(Region, "T-REG").id
    with app.app_context():
        found = reference_row(Region, "T-REG").id
        db.session.commit()
        db.session.remove()
    return found


def make_enterprise(app, **fields) -> dict:
    """A business with one representative account; returns ids and the representative's username."""
    with app.app_context():
        rep = make_user(app, ENTERPRISE_REP, "rep")
        enterprise = Enterprise(neq=new_neq(), name=f"Usinage {tag()}", address="10 rue du Port, Québec",
                                region_id=region_id(), employee_count=40, **fields)
        db.session.add(enterprise)
        db.session.flush()
        db.session.add(EnterpriseMembership(user_id=rep.id, enterprise_id=enterprise.id))
        db.session.commit()
        result = {"id": enterprise.id, "neq": enterprise.neq, "rep": rep.username, "rep_email": rep.email,
                  "rep_id": rep.id}
        db.session.remove()
    return result


def make_request(app, enterprise: dict, status: RequestStatus = RequestStatus.SUBMITTED, partner_id=None) -> int:
    with app.app_context():
        row = EnterpriseRequest(enterprise_id=enterprise["id"], requested_by_id=enterprise["rep_id"],
                                employees_count=12, site_address="10 rue du Port, Québec", region_id=region_id(),
                                format=CourseFormat.WORKPLACE, level_min=1, level_max=4, status=status,
                                partner_id=partner_id)
        db.session.add(row)
        db.session.commit()
        request_id = row.id
        db.session.remove()
    return request_id


def make_staff(app, partner_id: int) -> str:
    with app.app_context():
        user = make_user(app, PARTNER_STAFF, "staff")
        username = user.username
        db.session.add(PartnerMembership(user_id=user.id, partner_id=partner_id))
        db.session.commit()
        db.session.remove()
    return username


def make_learner_account(app, **fields) -> dict:
    with app.app_context():
        user = make_user(app, LEARNER, "learner")
        learner = make_learner(**fields)
        learner.user_id = user.id
        db.session.commit()
        result = {"username": user.username, "id": learner.id, "email": user.email}
        db.session.remove()
    return result


def logged_in(app, username: str):
    client = app.test_client()
    Auth(client).login(username)
    return client


def latest_message(app, recipient: str, template: str) -> dict | None:
    """The last message of ``template`` written to ``recipient``: its body and language code."""
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.recipient == recipient,
                                                          Message.template == template)
                                    .order_by(Message.id.desc()).limit(1))
        found = {"body": message.body, "language": message.language.value, "id": message.id} if message else None
        db.session.remove()
    return found


def link_in(body: str) -> str:
    """The path of the first http link of a message body."""
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)


# --- sign-up and the business file ---------------------------------------------------------------

def test_a_representative_signs_up_confirms_the_address_and_opens_the_business_file(app):
    client = app.test_client()
    email = f"rep.{tag()}@example.org"
    form = {"first_name": "Julie", "last_name": "Lavoie", "email": email, "language": "en",
            "password": "quatre mots au hasard", "confirm": "quatre mots au hasard", "consent": "y"}
    response = client.post("/enterprise/register", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/register/sent")
    with app.app_context():
        user = app.appbuilder.sm.find_user(email=email)
        assert user is not None and not user.active
        assert [role.name for role in user.roles] == [ENTERPRISE_REP]
        assert db.session.scalar(select(Learner.id).where(Learner.user_id == user.id)) is None
        db.session.remove()
    message = latest_message(app, email, "verify_email")
    assert client.get(link_in(plain_text(delivered_email(app, message["id"])))).status_code == 302
    with app.app_context():
        assert app.appbuilder.sm.find_user(email=email).active
        db.session.remove()

    # the same address again: nothing created, the same answer
    again = app.test_client().post("/enterprise/register", data=form)
    assert again.status_code == 302 and again.headers["Location"] == response.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(func.lower(
            app.appbuilder.sm.user_model.email) == email)) == 1
        db.session.remove()

    client = app.test_client()
    Auth(client).login(email, password=form["password"])
    start = client.get("/enterprise/", query_string=EN)
    assert start.status_code == 200 and "Create a business file" in text(start)
    neq = new_neq()
    created = client.post("/enterprise/new", data={
        "neq": f"{neq[:4]} {neq[4:]}", "name": "Serres Boréales", "address": "5 chemin des Serres",
        "region": region_id(app), "employee_count": "35", "job_title": "Directrice RH"})
    assert created.status_code == 302
    with app.app_context():
        enterprise = db.session.scalar(select(Enterprise).where(Enterprise.neq == neq))
        assert enterprise is not None and enterprise.name == "Serres Boréales"
        membership = db.session.scalar(select(EnterpriseMembership).where(
            EnterpriseMembership.enterprise_id == enterprise.id))
        assert membership.user.email == email and membership.job_title == "Directrice RH"
        assert created.headers["Location"].endswith(f"/enterprise/{enterprise.id}/")
        db.session.remove()
    # with one business, the home page goes straight to it
    assert client.get("/enterprise/").headers["Location"].endswith(f"/enterprise/{enterprise.id}/")


@pytest.mark.parametrize("typed, message", [
    ("116482390", "The NEQ has exactly 10 digits; you typed 9."),
    ("11648239012", "The NEQ has exactly 10 digits; you typed 11."),
    ("11648A3907", "The NEQ contains digits only"),
    ("NEQ-116482", "The NEQ contains digits only"),
])
def test_a_malformed_neq_is_refused_with_a_clear_message_and_nothing_is_created(app, typed, message):
    with app.app_context():
        rep = make_user(app, ENTERPRISE_REP, "rep").username
        before = db.session.scalar(select(func.count(Enterprise.id)))
        db.session.remove()
    client = logged_in(app, rep)
    response = client.post("/enterprise/new", query_string=EN, data={
        "neq": typed, "name": "Boulangerie", "address": "1 rue Principale", "region": region_id(app)})
    assert response.status_code == 200
    assert message in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(Enterprise.id))) == before
        db.session.remove()


def test_an_neq_already_registered_is_refused_and_the_business_not_joined(app):
    existing = make_enterprise(app)
    with app.app_context():
        newcomer = make_user(app, ENTERPRISE_REP, "rep")
        username, user_id = newcomer.username, newcomer.id
        db.session.remove()
    client = logged_in(app, username)
    response = client.post("/enterprise/new", query_string=EN, data={
        "neq": existing["neq"], "name": "Autre nom", "address": "2 rue Principale", "region": region_id(app)})
    assert response.status_code == 200
    assert "This NEQ is already registered by another business file." in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(EnterpriseMembership.id)).where(
            EnterpriseMembership.user_id == user_id)) == 0
        db.session.remove()
    # and the existing business's pages stay closed to the newcomer
    assert client.get(f"/enterprise/{existing['id']}/").status_code == 403


def test_the_service_normalises_and_checks_the_neq():
    assert service.normalise_neq(" 1164 823 907 ") == "1164823907"
    for typed, code in [("", "neq_required"), ("116482390", "neq_length"), ("11648x3907", "neq_digits")]:
        with pytest.raises(service.EnterpriseRefused) as refused:
            service.normalise_neq(typed)
        assert refused.value.code == code and refused.value.field == "neq"


# --- training requests ---------------------------------------------------------------------------

def test_a_request_is_submitted_listed_and_cancelled_by_its_business(app):
    enterprise = make_enterprise(app)
    client = logged_in(app, enterprise["rep"])
    form = {"employees_count": "14", "site_address": "10 rue du Port, Québec", "region": region_id(app),
            "level_min": "1", "level_max": "4", "format": "workplace",
            "schedule_notes": "Deux matins par semaine, avant le quart de jour."}
    blank = text(client.get(f"/enterprise/{enterprise['id']}/requests/new", query_string=EN))
    assert 'value="10 rue du Port, Québec"' in blank  # the business's address proposed
    bad = client.post(f"/enterprise/{enterprise['id']}/requests/new", query_string=EN,
                      data={**form, "level_min": "6", "level_max": "2"})
    assert bad.status_code == 200 and "cannot be higher than the highest level" in text(bad)
    response = client.post(f"/enterprise/{enterprise['id']}/requests/new", data=form)
    assert response.status_code == 302
    with app.app_context():
        row = db.session.scalar(select(EnterpriseRequest).where(EnterpriseRequest.enterprise_id == enterprise["id"]))
        assert (row.status, row.employees_count, row.format, row.level_min, row.level_max) == (
            RequestStatus.SUBMITTED, 14, CourseFormat.WORKPLACE, 1, 4)
        assert row.requested_by_id == enterprise["rep_id"]
        request_id = row.id
        db.session.remove()
    page = text(client.get(f"/enterprise/{enterprise['id']}/", query_string=EN))
    assert f"No. {request_id}" in page and "Submitted" in page

    cancelled = client.post(f"/enterprise/{enterprise['id']}/requests/{request_id}/cancel")
    assert cancelled.status_code == 302
    again = client.post(f"/enterprise/{enterprise['id']}/requests/{request_id}/cancel", query_string=EN,
                        follow_redirects=True)
    assert "Only a request that is still submitted can be cancelled" in text(again)
    with app.app_context():
        assert db.session.get(EnterpriseRequest, request_id).status == RequestStatus.CANCELLED
        db.session.remove()


def test_a_representative_cannot_reach_another_business(app):
    mine, theirs = make_enterprise(app), make_enterprise(app)
    their_request = make_request(app, theirs)
    client = logged_in(app, mine["rep"])
    for path in (f"/enterprise/{theirs['id']}/", f"/enterprise/{theirs['id']}/progress",
                 f"/enterprise/{theirs['id']}/employees", f"/enterprise/{theirs['id']}/requests/new",
                 f"/enterprise/{theirs['id']}/requests/{their_request}",
                 f"/enterprise/{mine['id']}/requests/{their_request}"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/enterprise/{mine['id']}/requests/{their_request}/cancel").status_code == 404
    assert client.post(f"/enterprise/{theirs['id']}/requests/{their_request}/cancel").status_code == 404
    with app.app_context():
        assert db.session.get(EnterpriseRequest, their_request).status == RequestStatus.SUBMITTED
        db.session.remove()


@pytest.mark.parametrize("role", [LEARNER, SUPPORT, AGENT])
def test_accounts_that_speak_for_no_business_get_403(app, role):
    enterprise = make_enterprise(app)
    with app.app_context():
        username = make_user(app, role, role.lower()).username
        db.session.remove()
    client = logged_in(app, username)
    for path in ("/enterprise/", "/enterprise/new", f"/enterprise/{enterprise['id']}/",
                 f"/enterprise/{enterprise['id']}/progress", f"/enterprise/{enterprise['id']}/employees"):
        assert client.get(path).status_code == 403, (role, path)
    assert client.post(f"/enterprise/{enterprise['id']}/requests/new", data={}).status_code == 403


def test_visitors_are_sent_to_the_login_page(app):
    enterprise = make_enterprise(app)
    response = app.test_client().get(f"/enterprise/{enterprise['id']}/progress")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


# --- agent, partner, workplace group -------------------------------------------------------------

def test_an_agent_assigns_a_request_and_the_partner_creates_the_workplace_group(app):
    enterprise = make_enterprise(app)
    request_id = make_request(app, enterprise)
    with app.app_context():
        partner, other = make_partner(), make_partner()
        course = make_course(1, 4, fmt=CourseFormat.WORKPLACE)
        part_time = make_course(1, 4, fmt=CourseFormat.PART_TIME)
        term = make_term()
        db.session.commit()
        ids = {"partner": partner.id, "other": other.id, "course": course.id, "part_time": part_time.id,
               "term": term.id, "partner_name": partner.name}
        agent = make_user(app, AGENT, "agent").username
        db.session.remove()
    staff, outsider = make_staff(app, ids["partner"]), make_staff(app, ids["other"])

    agent_client = logged_in(app, agent)
    queue = text(agent_client.get("/agent/enterprise-requests/", query_string=EN))
    assert f"No. {request_id}" in queue
    assigned = agent_client.post(f"/agent/enterprise-requests/{request_id}/assign", data={"partner": ids["partner"]})
    assert assigned.status_code == 302
    with app.app_context():
        row = db.session.get(EnterpriseRequest, request_id)
        assert row.status == RequestStatus.ASSIGNED and row.partner_id == ids["partner"]
        assert row.assigned_at is not None
        db.session.remove()
    told = latest_message(app, enterprise["rep_email"], "enterprise_request_assigned")
    assert told is not None and ids["partner_name"] in told["body"]
    assert link_in(told["body"]) == f"/enterprise/{enterprise['id']}/requests/{request_id}"

    # another partner's staff: not in their list, 404 by typed URL, GET or POST
    outsider_client = logged_in(app, outsider)
    assert f"No. {request_id}" not in text(outsider_client.get("/partner/workplace-requests/", query_string=EN))
    assert outsider_client.get(f"/partner/workplace-requests/{request_id}").status_code == 404
    assert outsider_client.post(f"/partner/workplace-requests/{request_id}/schedule", data={}).status_code == 404

    staff_client = logged_in(app, staff)
    assert f"No. {request_id}" in text(staff_client.get("/partner/workplace-requests/", query_string=EN))
    assert staff_client.get(f"/partner/workplace-requests/{request_id}").status_code == 200
    group = {"course": ids["course"], "term": ids["term"], "code": f"ENT-{tag()}", "capacity": "12",
             "meetings-0-weekday": "2", "meetings-0-starts_at": "08:00", "meetings-0-ends_at": "10:00",
             "meetings-1-weekday": "4", "meetings-1-starts_at": "08:00", "meetings-1-ends_at": "10:00"}
    refused = staff_client.post(f"/partner/workplace-requests/{request_id}/schedule", query_string=EN,
                                data={**group, "course": ids["part_time"]})
    assert refused.status_code == 400 and "Choose an active workplace course" in text(refused)
    backwards = staff_client.post(f"/partner/workplace-requests/{request_id}/schedule", query_string=EN,
                                  data={**group, "meetings-0-ends_at": "07:00"})
    assert backwards.status_code == 400 and "A meeting must end after it starts" in text(backwards)
    with app.app_context():
        assert db.session.scalar(select(Section.id).where(Section.code == group["code"])) is None
        db.session.remove()

    created = staff_client.post(f"/partner/workplace-requests/{request_id}/schedule", data=group)
    assert created.status_code == 302
    with app.app_context():
        section = db.session.scalar(select(Section).where(Section.code == group["code"]))
        assert section.enterprise_id == enterprise["id"] and section.partner_id == ids["partner"]
        assert section.course.format == CourseFormat.WORKPLACE and section.capacity == 12
        assert [(m.weekday, m.starts_at) for m in section.meetings] == [(2, dt.time(8)), (4, dt.time(8))]
        assert db.session.get(EnterpriseRequest, request_id).status == RequestStatus.SCHEDULED
        # the group is tied to the request it serves
        assert section.enterprise_request_id == request_id
        assert db.session.get(EnterpriseRequest, request_id).groups == [section]
        section_id = section.id
        db.session.remove()
    serving = text(staff_client.get(f"/partner/workplace-requests/{request_id}", query_string=EN))
    assert "Workplace groups serving this request" in serving and group["code"] in serving
    agent_page = text(agent_client.get(f"/agent/enterprise-requests/{request_id}", query_string=EN))
    assert "Workplace groups serving this request" in agent_page and f"no. {request_id}" in agent_page
    from tests.test_backoffice import _admin_name

    admin_client = logged_in(app, _admin_name(app))
    group_screen = text(admin_client.get(f"/sectionview/show/{section_id}", query_string=EN))
    assert "Workplace training request" in group_screen and f"#{request_id} " in group_screen
    request_screen = text(admin_client.get(f"/enterpriserequestview/show/{request_id}", query_string=EN))
    assert "Workplace groups serving it" in request_screen and group["code"] in request_screen
    assert latest_message(app, enterprise["rep_email"], "enterprise_request_scheduled") is not None
    # the business sees its group on the request's page
    rep_page = text(logged_in(app, enterprise["rep"]).get(
        f"/enterprise/{enterprise['id']}/requests/{request_id}", query_string=EN))
    assert "Scheduled" in rep_page and group["code"] in rep_page
    # a scheduled request is not scheduled twice
    twice = staff_client.post(f"/partner/workplace-requests/{request_id}/schedule", query_string=EN,
                              data={**group, "code": f"ENT-{tag()}"})
    assert twice.status_code == 409


def test_the_back_office_pages_are_closed_to_representatives_and_learners(app):
    enterprise = make_enterprise(app)
    request_id = make_request(app, enterprise)
    learner = make_learner_account(app)
    for username in (enterprise["rep"], learner["username"]):
        client = logged_in(app, username)
        for path in ("/agent/enterprise-requests/", f"/agent/enterprise-requests/{request_id}",
                     "/partner/workplace-requests/", f"/partner/workplace-requests/{request_id}"):
            assert client.get(path).status_code == 403, (username, path)
        client.post(f"/agent/enterprise-requests/{request_id}/assign", data={"partner": "1"})
    with app.app_context():
        assert db.session.get(EnterpriseRequest, request_id).status == RequestStatus.SUBMITTED
        db.session.remove()


# --- employees: invitation and consent -----------------------------------------------------------

def test_an_invited_employee_links_the_file_consents_and_withdraws(app, monkeypatch):
    enterprise = make_enterprise(app)
    employee = make_learner_account(app)
    email = employee["email"]
    rep_client = logged_in(app, enterprise["rep"])
    assert "Send the invitation" in text(rep_client.get(f"/enterprise/{enterprise['id']}/employees", query_string=EN))
    sent = rep_client.post(f"/enterprise/{enterprise['id']}/employees", data={"email": email, "language": "en"})
    assert sent.status_code == 302
    invitation = latest_message(app, email, "enterprise_invitation")
    assert invitation is not None and invitation["language"] == "en"
    # the kept copy has no link; the delivered e-mail has it
    assert "/my/employer/join/" not in invitation["body"]
    join = link_in(delivered_email(app, invitation["id"]).get_body(("plain",)).get_content())
    assert join.startswith("/my/employer/join/")

    # a representative (no learner file) cannot accept for someone
    assert rep_client.get(join).status_code == 403
    # a tampered link is refused
    client = logged_in(app, employee["username"])
    assert client.get(join[:-3] + "abc").status_code == 404

    page = client.get(join, query_string=EN)
    assert page.status_code == 200 and "Accept the invitation" in text(page)
    assert client.post(join, data={"share_progress": "y"}).status_code == 302
    with app.app_context():
        learner = db.session.get(Learner, employee["id"])
        assert learner.enterprise_id == enterprise["id"] and learner.consent_employer_progress
        db.session.remove()

    mine = text(client.get("/my/employer/", query_string=EN))
    assert "Withdraw my consent" in mine
    assert client.post("/my/employer/consent", data={"consent": "0"}).status_code == 302
    with app.app_context():
        learner = db.session.get(Learner, employee["id"])
        assert learner.enterprise_id == enterprise["id"] and not learner.consent_employer_progress
        db.session.remove()
    assert "I consent to share my progress" in text(client.get("/my/employer/", query_string=EN))
    assert client.post("/my/employer/consent", data={"consent": "1"}).status_code == 302
    with app.app_context():
        assert db.session.get(Learner, employee["id"]).consent_employer_progress
        db.session.remove()
    assert client.post("/my/employer/leave").status_code == 302
    with app.app_context():
        learner = db.session.get(Learner, employee["id"])
        assert learner.enterprise_id is None and not learner.consent_employer_progress
        db.session.remove()

    # an expired invitation says so
    monkeypatch.setattr(service, "INVITATION_DAYS", -1)
    expired = client.get(join, query_string=EN)
    assert expired.status_code == 410 and "This invitation has expired" in text(expired)


def test_accepting_without_sharing_progress_links_the_file_only(app):
    enterprise = make_enterprise(app)
    employee = make_learner_account(app)
    with app.app_context():
        token = service.invitation_token(enterprise["id"], employee["email"])
    client = logged_in(app, employee["username"])
    assert client.post(f"/my/employer/join/{token}", data={}).status_code == 302
    with app.app_context():
        learner = db.session.get(Learner, employee["id"])
        assert learner.enterprise_id == enterprise["id"] and not learner.consent_employer_progress
        db.session.remove()


# --- aggregate progress --------------------------------------------------------------------------

def _employees_in_training(app, enterprise: dict) -> dict:
    """Four employees in the business's workplace group; the fourth does not consent."""
    plan = [("Zéphirine", 3, True, EnrolmentStatus.COMPLETED, ("6", "4")),
            ("Anatolie", 6, True, EnrolmentStatus.ENROLLED, ("5",)),
            ("Bérangère", 7, True, EnrolmentStatus.ENROLLED, ("3.5",)),
            ("Ludovic", 9, False, EnrolmentStatus.ENROLLED, ("9", "9", "9"))]
    with app.app_context():
        term = make_term(today=dt.date.today() - dt.timedelta(days=30))
        section = make_section(term, course=make_course(1, 12, fmt=CourseFormat.WORKPLACE), capacity=10)
        section.enterprise_id = enterprise["id"]
        names, ids = [], []
        for first_name, level, consent, status, hours in plan:
            learner = make_learner(level=level, enterprise_id=enterprise["id"], consent_employer_progress=consent)
            learner.first_name = first_name
            names += [learner.first_name, learner.last_name, learner.file_number, learner.email]
            ids.append(learner.id)
            enrolment = Enrolment(learner=learner, section=section, status=status)
            db.session.add(enrolment)
            db.session.flush()
            for day, present in enumerate(hours):
                db.session.add(Attendance(enrolment_id=enrolment.id, day=term.starts_on + dt.timedelta(days=day),
                                          hours_scheduled=Decimal("10"), hours_present=Decimal(present)))
        section.seats_taken = len(plan)
        db.session.commit()
        result = {"names": names, "learner_ids": ids, "section": section.code}
        db.session.remove()
    return result


def test_the_business_sees_totals_of_consenting_employees_and_no_name(app):
    enterprise = make_enterprise(app)
    people = _employees_in_training(app, enterprise)
    client = logged_in(app, enterprise["rep"])
    page = text(client.get(f"/enterprise/{enterprise['id']}/progress", query_string=EN))
    for name in people["names"]:
        assert name not in page, name
    numbers = dict(re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', page))
    assert numbers["Employees who consent to share their progress"] == "3"
    assert numbers["Have taken part in a workplace group"] == "3"
    # two enrolled, one completed: below 3, masked
    assert numbers["Currently enrolled"] == "fewer than 3"
    assert numbers["Have completed a course"] == "fewer than 3"
    # 6 + 4 + 5 + 3.5 hours; the 27 hours of the employee who did not consent are not counted
    assert numbers["Hours attended, in total"] == "18.5"
    assert numbers["Hours attended, on average per participant"] == "6.2"
    # beginner 1 and intermediate 2 are masked; advanced shows 0 (the non-consenting advanced one is not counted)
    assert numbers["Beginner (levels 1 to 4)"] == "fewer than 3"
    assert numbers["Intermediate (levels 5 to 8)"] == "fewer than 3"
    assert numbers["Advanced (levels 9 to 12)"] == "0"

    # one withdraws: fewer than 3 consenting, nothing is shown
    with app.app_context():
        db.session.get(Learner, people["learner_ids"][0]).consent_employer_progress = False
        db.session.commit()
        db.session.remove()
    small = text(client.get(f"/enterprise/{enterprise['id']}/progress", query_string=EN))
    assert "Not enough participants to show results" in small
    assert "Hours attended" not in small and "Beginner" not in small
    for name in people["names"]:
        assert name not in small


def test_small_stage_counts_are_masked_with_a_complement():
    stages = {line.stage: line.count for line in service._suppressed({"beginner": 1, "intermediate": 5,
                                                                        "advanced": 4})}
    # the small cell could be worked out from the total: the next smallest is masked too
    assert stages == {"beginner": None, "intermediate": 5, "advanced": None, "unknown": 0}
    stages = {line.stage: line.count for line in service._suppressed({"beginner": 7, "intermediate": 2,
                                                                        "unknown": 2})}
    # two masked cells of 2 out of 11 would be deduced (11 - 7 = 4 = 2 + 2): the 7 is masked as well
    assert stages == {"beginner": None, "intermediate": None, "advanced": 0, "unknown": None}
    stages = {line.stage: line.count for line in service._suppressed({"beginner": 3, "intermediate": 4})}
    assert stages == {"beginner": 3, "intermediate": 4, "advanced": 0, "unknown": 0}
    assert [service.masked(n) for n in (0, 1, 2, 3, 10)] == [0, None, None, 3, 10]


def test_the_demo_accounts_reach_their_enterprise_pages(demo_app):
    """On the demo data: the representative's business, its progress without a name; the agent's queue;
    the demo partner's assigned requests."""
    rep = logged_in(demo_app, "enterprise")
    home = rep.get("/enterprise/")
    assert home.status_code == 302
    business = rep.get(home.headers["Location"], query_string=EN)
    assert business.status_code == 200 and "Our training requests" in text(business)
    enterprise_id = int(re.search(r"/enterprise/(\d+)/", home.headers["Location"]).group(1))
    progress = text(rep.get(f"/enterprise/{enterprise_id}/progress", query_string=EN))
    with demo_app.app_context():
        employees = db.session.execute(select(Learner.first_name, Learner.last_name, Learner.file_number)
                                       .where(Learner.enterprise_id == enterprise_id)).all()
        db.session.remove()
    assert employees, "the demo business has employees"
    for first_name, last_name, file_number in employees:
        assert f"{first_name} {last_name}" not in progress and file_number not in progress
    assert "Progress of our employees" in progress

    assert logged_in(demo_app, "agent").get("/agent/enterprise-requests/").status_code == 200
    partner_list = logged_in(demo_app, "partner").get("/partner/workplace-requests/", query_string=EN)
    assert partner_list.status_code == 200 and "No. " in text(partner_list)


def plain_text(email) -> str:
    """The text part of a (multipart) e-mail."""
    return email.get_body(("plain",)).get_content()
