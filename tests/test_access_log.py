"""Law 25 access log: a staff member opening a learner's file in the back office writes one row,
which the learner then reads on "My documents and data" (role, organisation, date); the learner's
own pages write nothing."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from flask_babel import force_locale, format_date
from sqlalchemy import func, select

from app.extensions import db
from app.models import AccessLog, Learner, PartnerMembership
from app.services import access_log
from app.services.access import AGENT, PARTNER_STAFF
from tests.conftest import DEMO_PASSWORD
from tests.factories import make_partner, tag
from tests.test_learner_enrolments import World, login, said


def staff(app, role_name: str) -> dict:
    """A staff account with one role; call inside an app context."""
    sm = app.appbuilder.sm
    username = f"{role_name.lower()}-{tag()}"
    user = sm.add_user(username, "Test", role_name, f"{username}@example.org", sm.find_role(role_name),
                       password=DEMO_PASSWORD)
    assert user
    return {"username": username, "user_id": user.id}


def log_rows(app, learner_id: int) -> list[AccessLog]:
    with app.app_context():
        rows = db.session.scalars(select(AccessLog).where(AccessLog.learner_id == learner_id)
                                  .order_by(AccessLog.id)).all()
        db.session.expunge_all()
        db.session.remove()
    return list(rows)


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


@pytest.fixture
def people(app):
    with World(app) as w:
        learner, other = w.account(), w.account()
        agent = staff(app, AGENT)
    return {"learner": learner, "other": other, "agent": agent}


def test_an_agent_opening_a_file_is_logged_and_the_learner_sees_it(app, people):
    learner, agent = people["learner"], people["agent"]
    office = app.test_client()
    login(office, agent["username"])
    response = office.get(f"/learnerview/show/{learner['learner_id']}")
    assert response.status_code == 200
    rows = log_rows(app, learner["learner_id"])
    assert len(rows) == 1
    row = rows[0]
    assert (row.viewer_id, row.role, row.organisation, row.what) == (
        agent["user_id"], AGENT, "Francisation Québec", access_log.LEARNER_FILE)
    assert dt.datetime.now(dt.UTC) - row.at < dt.timedelta(minutes=1)
    assert log_rows(app, people["other"]["learner_id"]) == []

    mine = app.test_client()
    login(mine, learner["username"])
    for language in ("fr", "en"):
        if language == "en":
            mine.get("/lang/en")
        page = text(mine.get("/my/documents/"))
        assert said(app, language, "Case officer") in page
        assert "Francisation Québec" in page
        with app.test_request_context(), force_locale(language):
            assert format_date(row.at, "long") in page
        assert said(app, language, "Your file") in page
        assert agent["username"] not in page and "Test Agent" not in page  # a role, never a name

    # the other learner sees nobody
    theirs = app.test_client()
    login(theirs, people["other"]["username"])
    page = text(theirs.get("/my/documents/"))
    assert said(app, "fr", "No staff member has consulted your file yet.") in page


def test_opening_the_edit_form_is_logged_and_an_unknown_file_is_not(app, people):
    learner, agent = people["learner"], people["agent"]
    office = app.test_client()
    login(office, agent["username"])
    assert office.get(f"/learnerview/edit/{learner['learner_id']}").status_code == 200
    assert [row.what for row in log_rows(app, learner["learner_id"])] == [access_log.LEARNER_FILE_EDIT]
    with app.app_context():
        before = db.session.scalar(select(func.count(AccessLog.id)))
        missing = (db.session.scalar(select(func.max(Learner.id))) or 0) + 1000
        db.session.remove()
    assert office.get(f"/learnerview/show/{missing}").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(AccessLog.id))) == before
        db.session.remove()


def test_the_learner_s_own_pages_are_not_consultations(app, people):
    learner = people["learner"]
    mine = app.test_client()
    login(mine, learner["username"])
    for url in ("/my/documents/", "/my/enrolments/", "/my/documents/my-data.zip"):
        assert mine.get(url).status_code == 200, url
    assert log_rows(app, learner["learner_id"]) == []


def test_partner_staff_are_shown_with_their_organisation(app, people):
    with app.app_context():
        partner = make_partner()
        worker = staff(app, PARTNER_STAFF)
        db.session.add(PartnerMembership(user_id=worker["user_id"], partner_id=partner.id))
        learner = db.session.get(Learner, people["learner"]["learner_id"])
        user = app.appbuilder.sm.get_user_by_id(worker["user_id"])
        entry = access_log.log_access(db.session, learner, user, access_log.LEARNER_FILE)
        assert (entry.role, entry.organisation) == (PARTNER_STAFF, partner.name)
        partner_name = partner.name
        db.session.commit()
        db.session.remove()
    mine = app.test_client()
    login(mine, people["learner"]["username"])
    page = text(mine.get("/my/documents/"))
    assert partner_name in page and said(app, "fr", "Staff of a partner organisation") in page


def test_the_consultations_are_paginated_newest_first(app, people):
    learner_id = people["learner"]["learner_id"]
    start = dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)
    with app.app_context():
        db.session.add_all([AccessLog(learner_id=learner_id, role=AGENT, organisation=f"Org {day:02d}",
                                      what=access_log.LEARNER_FILE, at=start + dt.timedelta(days=day))
                            for day in range(25)])
        db.session.commit()
        db.session.remove()
    mine = app.test_client()
    login(mine, people["learner"]["username"])
    first = text(mine.get("/my/documents/"))
    shown = re.findall(r"Org (\d\d)", first)
    assert shown == [f"{day:02d}" for day in range(24, 4, -1)]
    second = mine.get("/my/documents/?page=2")
    assert re.findall(r"Org (\d\d)", text(second)) == ["04", "03", "02", "01", "00"]
    assert mine.get("/my/documents/?page=3").status_code == 404
