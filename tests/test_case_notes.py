"""Case notes and follow-ups: agents on any learner, partner staff on their own learners only,
each author's follow-ups due, and the help desk kept out."""
from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import CaseNote, Enrolment, EnrolmentStatus, PartnerMembership
from app.services.access import AGENT, PARTNER_STAFF, SUPPORT
from tests.conftest import Auth
from tests.factories import make_learner, make_partner, make_section, make_term
from tests.test_backoffice import make_user

TODAY = dt.datetime.now(ZoneInfo("America/Montreal")).date()
FOLLOW_UPS = "/agent/notes/follow-ups"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def login(app, username: str):
    client = app.test_client()
    Auth(client).login(username)
    with client.session_transaction() as session:
        session["locale"] = "en"
    return client


@pytest.fixture(scope="module")
def world(app):
    """Two partners, a learner enrolled with the first one, another one with the second, accounts."""
    with app.app_context():
        ours, theirs = make_partner(), make_partner()
        term = make_term()
        enrolled, elsewhere = make_learner(), make_learner()
        our_group, their_group = make_section(term, partner=ours), make_section(term, partner=theirs)
        db.session.add_all([Enrolment(learner=enrolled, section=our_group, status=EnrolmentStatus.ENROLLED),
                            Enrolment(learner=elsewhere, section=their_group, status=EnrolmentStatus.ENROLLED)])
        agent, other_agent = make_user(app, AGENT, "agent"), make_user(app, AGENT, "agent")
        staff, support = make_user(app, PARTNER_STAFF, "staff"), make_user(app, SUPPORT, "support")
        db.session.add(PartnerMembership(user_id=staff.id, partner_id=ours.id))
        db.session.commit()
        data = {"ours": ours.id, "enrolled": enrolled.id, "enrolled_number": enrolled.file_number,
                "elsewhere": elsewhere.id, "elsewhere_number": elsewhere.file_number,
                "agent": agent.username, "agent_id": agent.id, "other_agent": other_agent.username,
                "staff": staff.username, "staff_id": staff.id, "support": support.username}
        db.session.remove()
    return data


def notes_of(app, learner_id: int) -> list[tuple]:
    with app.app_context():
        rows = [(n.author_id, n.partner_id, n.body, n.follow_up_on, n.follow_up_done) for n in db.session.scalars(
            select(CaseNote).where(CaseNote.learner_id == learner_id).order_by(CaseNote.id))]
        db.session.remove()
    return rows


def add(client, learner_id: int, body: str, follow_up_on: dt.date | None = None):
    data = {"note-body": body}
    if follow_up_on:
        data["note-follow_up_on"] = follow_up_on.isoformat()
    return client.post(f"/agent/notes/learner/{learner_id}", data=data)


def test_an_agent_writes_a_note_with_a_follow_up_and_finds_it_due_then_done(app, world):
    agent = login(app, world["agent"])
    learner = world["elsewhere"]
    assert add(agent, learner, "Appeler pour la garde d'enfants", TODAY).status_code == 302
    assert add(agent, learner, "Revoir en fin de session", TODAY + dt.timedelta(days=30)).status_code == 302
    notes = notes_of(app, learner)[-2:]
    assert notes[0] == (world["agent_id"], None, "Appeler pour la garde d'enfants", TODAY, False)

    page = text(agent.get(FOLLOW_UPS))
    assert "Appeler pour la garde d'enfants" in page
    due, later = page.split("Planned later")
    # not due yet: listed under "Planned later", not among the follow-ups due
    assert "Revoir en fin de session" not in due and "Revoir en fin de session" in later
    # another agent has its own list
    assert "Appeler pour la garde d'enfants" not in text(login(app, world["other_agent"]).get(FOLLOW_UPS))

    with app.app_context():
        note_id = db.session.scalar(select(CaseNote.id).where(CaseNote.body == "Appeler pour la garde d'enfants",
                                                              CaseNote.learner_id == learner))
        db.session.remove()
    assert login(app, world["other_agent"]).post(f"/agent/notes/{note_id}/done").status_code == 404
    assert notes_of(app, learner)[-2][4] is False
    assert agent.post(f"/agent/notes/{note_id}/done").status_code == 302
    assert notes_of(app, learner)[-2][4] is True
    assert "Appeler pour la garde d'enfants" not in text(agent.get(FOLLOW_UPS))


def test_a_note_needs_text_and_a_follow_up_not_in_the_past(app, world):
    agent = login(app, world["agent"])
    learner = world["enrolled"]
    before = notes_of(app, learner)
    response = add(agent, learner, "   ", TODAY + dt.timedelta(days=3))
    assert response.status_code == 200 and "Write the note." in text(response)
    # the date typed is still in the form
    assert f'value="{(TODAY + dt.timedelta(days=3)).isoformat()}"' in text(response)
    response = add(agent, learner, "Relancer", TODAY - dt.timedelta(days=1))
    assert response.status_code == 200 and "The follow-up date cannot be in the past." in text(response)
    assert "Relancer</textarea>" in text(response)
    assert notes_of(app, learner) == before


def test_partner_staff_follow_only_the_learners_enrolled_with_their_partner(app, world):
    staff = login(app, world["staff"])
    assert staff.get(f"/agent/notes/learner/{world['enrolled']}").status_code == 200
    assert add(staff, world["enrolled"], "Absent deux semaines : appeler", TODAY).status_code == 302
    assert notes_of(app, world["enrolled"])[-1][:3] == (world["staff_id"], world["ours"],
                                                        "Absent deux semaines : appeler")
    assert "Absent deux semaines : appeler" in text(staff.get(FOLLOW_UPS))

    before = notes_of(app, world["elsewhere"])
    assert staff.get(f"/agent/notes/learner/{world['elsewhere']}").status_code == 404
    assert add(staff, world["elsewhere"], "Intrusion", TODAY).status_code == 404
    assert notes_of(app, world["elsewhere"]) == before
    found = staff.get("/agent/notes/find", query_string={"file_number": world["elsewhere_number"]})
    assert found.status_code == 302 and found.headers["Location"].endswith(FOLLOW_UPS)
    found = staff.get("/agent/notes/find", query_string={"file_number": world["enrolled_number"].lower()})
    assert found.headers["Location"].endswith(f"/agent/notes/learner/{world['enrolled']}")


def test_partner_staff_read_their_organisations_notes_and_agents_read_all(app, world):
    agent = login(app, world["agent"])
    staff = login(app, world["staff"])
    assert add(agent, world["enrolled"], "Note du ministère : statut à vérifier").status_code == 302
    assert add(staff, world["enrolled"], "Note du partenaire : progrès en oral").status_code == 302
    staff_page = text(staff.get(f"/agent/notes/learner/{world['enrolled']}"))
    assert "Note du partenaire : progrès en oral" in staff_page
    assert "Note du ministère : statut à vérifier" not in staff_page
    agent_page = text(agent.get(f"/agent/notes/learner/{world['enrolled']}"))
    assert "Note du partenaire : progrès en oral" in agent_page
    assert "Note du ministère : statut à vérifier" in agent_page


def test_the_help_desk_never_sees_case_notes(app, world):
    support = login(app, world["support"])
    with app.app_context():
        count = db.session.scalar(select(func.count(CaseNote.id)))
        db.session.remove()
    assert support.get(f"/agent/notes/learner/{world['enrolled']}").status_code == 403
    assert support.post(f"/agent/notes/learner/{world['enrolled']}", data={"note-body": "x"}).status_code == 403
    assert support.get(FOLLOW_UPS).status_code == 403
    assert support.get("/agent/notes/find", query_string={"file_number": world["enrolled_number"]}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(CaseNote.id))) == count
        db.session.remove()


def test_the_follow_ups_menu_is_shown_to_agents_and_partner_staff_only(app, world):
    for username, shown in [(world["agent"], True), (world["staff"], True), (world["support"], False)]:
        page = text(login(app, username).get("/"))
        assert (f'href="{FOLLOW_UPS}"' in page) is shown, username
