"""Agents' notes and follow-ups (issue 13, item 4).

- A note written with a status change is internal (staff only) unless the agent sends it to the
  learner: the learner never reads an internal note — not on the application page, not in their
  file, not in the e-mail, not through the API, not in the data export — and the staff still do.
- A follow-up saved for a later date is listed on "My follow-ups" from the day it is saved.
- The button that opens a learner's notes reads "Ouvrir" (a verb), not "Ouvert".
- Who decides: the agent the application is assigned to, or an administrator. Another agent, or
  any agent while the file is unassigned, is refused with a clear message — on the desk and in the
  generated back-office screen alike.
"""
from __future__ import annotations

import datetime as dt
import html
import io
import json
import zipfile

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Application, ApplicationEvent, ApplicationStatus as S, CaseNote, CourseFormat, Message
from app.services import data_export
from app.services.access import ADMIN, AGENT
from app.services.service_clock import montreal_today
from tests.conftest import Auth, minted_token
from tests.factories import make_account
from tests.test_backoffice import make_user

INTERNAL = "Appel au cégep : vérifier la place du soir"
SHARED = "Bienvenue au programme, à bientôt"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def client_for(app, username: str, language: str = "en"):
    client = app.test_client()
    Auth(client).login(username)
    with client.session_transaction() as session:
        session["locale"] = language
    return client


@pytest.fixture(scope="module")
def people(app):
    with app.app_context():
        agent, other_agent, admin = make_user(app, AGENT, "agent"), make_user(app, AGENT, "agent"), \
            make_user(app, ADMIN, "admin")
        db.session.commit()
        data = {"agent": agent.username, "agent_id": agent.id, "other_agent": other_agent.username,
                "other_agent_id": other_agent.id, "admin": admin.username}
        db.session.remove()
    return data


def new_application(app, status=S.COMPLETE, *, assigned_to: int | None = None) -> dict:
    """A learner with a login and an application in ``status``, optionally assigned to an agent."""
    with app.app_context():
        account = make_account(app)
        application = Application(learner_id=account["learner_id"], format_wanted=CourseFormat.PART_TIME,
                                  status=status, submitted_at=dt.datetime.now(dt.UTC),
                                  complete_at=dt.datetime.now(dt.UTC) if status == S.COMPLETE else None,
                                  consent_truthful=True, consent_privacy=True, assigned_agent_id=assigned_to)
        db.session.add(application)
        db.session.commit()
        account["application_id"] = application.id
        db.session.remove()
    return account


def state(app, application_id: int) -> tuple[S, list[tuple], list[str]]:
    with app.app_context():
        application = db.session.get(Application, application_id)
        events = [(e.to_status, e.note, e.internal) for e in db.session.scalars(
            select(ApplicationEvent).where(ApplicationEvent.application_id == application_id)
            .order_by(ApplicationEvent.id))]
        bodies = [m.body for m in db.session.scalars(
            select(Message).where(Message.learner_id == application.learner_id).order_by(Message.id))]
        status = application.status
        db.session.remove()
    return status, events, bodies


# --- internal notes ------------------------------------------------------------------------------

def test_a_staff_note_is_internal_by_default_and_the_learner_never_reads_it(app, people):
    account = new_application(app, assigned_to=people["agent_id"])
    application_id = account["application_id"]
    agent = client_for(app, people["agent"])
    page = text(agent.get(f"/agent/desk/{application_id}"))
    assert "Send this note to the learner" in page
    assert agent.post(f"/agent/desk/{application_id}/approve", data={"approve-note": INTERNAL}).status_code == 302

    status, events, bodies = state(app, application_id)
    assert status == S.APPROVED and events[-1] == (S.APPROVED, INTERNAL, True)
    assert bodies and not any(INTERNAL in body for body in bodies), "an internal note went out in the e-mail"
    staff_page = text(agent.get(f"/agent/desk/{application_id}"))
    assert INTERNAL in staff_page and "Internal note" in staff_page

    learner = client_for(app, account["username"])
    for url in ("/my/application/", "/my/file/applications"):
        response = learner.get(url)
        assert response.status_code == 200, url
        assert INTERNAL not in text(response), url
    api = learner.get("/api/v1/my/file/applications", headers=minted_token(app, account["username"]))
    assert api.status_code == 200 and INTERNAL not in json.dumps(api.get_json(), ensure_ascii=False)
    with app.test_request_context():
        from app.models import Learner

        archive = zipfile.ZipFile(io.BytesIO(data_export.export_learner(
            db.session, db.session.get(Learner, account["learner_id"]))))
        db.session.remove()
    assert not any(INTERNAL in archive.read(name).decode("utf-8-sig") for name in archive.namelist())


def test_a_note_the_agent_sends_reaches_the_learner_everywhere(app, people):
    account = new_application(app, assigned_to=people["agent_id"])
    application_id = account["application_id"]
    agent = client_for(app, people["agent"])
    response = agent.post(f"/agent/desk/{application_id}/approve",
                          data={"approve-note": SHARED, "approve-share": "y"})
    assert response.status_code == 302
    status, events, bodies = state(app, application_id)
    assert events[-1] == (S.APPROVED, SHARED, False) and any(SHARED in body for body in bodies)
    learner = client_for(app, account["username"])
    assert SHARED in text(learner.get("/my/application/"))
    assert SHARED in text(learner.get("/my/file/applications"))
    api = learner.get("/api/v1/my/file/applications", headers=minted_token(app, account["username"]))
    assert SHARED in json.dumps(api.get_json(), ensure_ascii=False)


def test_a_refusal_reason_is_always_the_learners_to_read(app, people):
    account = new_application(app, assigned_to=people["agent_id"])
    agent = client_for(app, people["agent"])
    reason = "Résidence hors Québec sans projet d'installation"
    assert agent.post(f"/agent/desk/{account['application_id']}/refuse",
                      data={"refuse-reason": reason}).status_code == 302
    _, events, bodies = state(app, account["application_id"])
    assert events[-1] == (S.REFUSED, reason, False) and any(reason in body for body in bodies)
    assert reason in text(client_for(app, account["username"]).get("/my/application/"))


# --- follow-ups ----------------------------------------------------------------------------------

def test_a_follow_up_saved_for_a_later_date_is_listed_on_my_follow_ups(app, people):
    account = new_application(app, assigned_to=people["agent_id"])
    agent = client_for(app, people["agent"])
    later = montreal_today() + dt.timedelta(days=9)
    body = f"Rappeler la personne {account['learner_id']}"
    response = agent.post(f"/agent/desk/{account['application_id']}/notes",
                          data={"note-body": body, "note-follow_up_on": later.isoformat()})
    assert response.status_code == 302
    page = text(agent.get("/agent/notes/follow-ups"))
    assert body in page and "Planned later" in page
    with app.app_context():
        note = db.session.scalar(select(CaseNote).where(CaseNote.body == body))
        assert note.follow_up_on == later
        db.session.remove()
    french = text(client_for(app, people["agent"], "fr").get("/agent/notes/follow-ups"))
    assert body in french and "Aucun suivi n'est prévu" not in french


def test_the_button_that_opens_the_notes_reads_as_a_verb(app, people):
    french = client_for(app, people["agent"], "fr").get("/agent/notes/follow-ups").get_data(as_text=True)
    assert ">Ouvrir</button>" in french and ">Ouvert</button>" not in french


# --- who decides ---------------------------------------------------------------------------------

@pytest.mark.parametrize("action, data", [("approve", {"approve-note": ""}),
                                          ("refuse", {"refuse-reason": "Dossier incomplet"})])
def test_an_agent_not_assigned_to_the_file_cannot_decide_it(app, people, action, data):
    unassigned = new_application(app)["application_id"]
    others = new_application(app, assigned_to=people["other_agent_id"])["application_id"]
    agent = client_for(app, people["agent"])
    response = agent.post(f"/agent/desk/{unassigned}/{action}", data=data)
    assert response.status_code == 200
    assert "Only the agent assigned to this application can decide it. Assign it to yourself first." in text(response)
    assert state(app, unassigned)[0] == S.COMPLETE
    response = agent.post(f"/agent/desk/{others}/{action}", data=data)
    assert response.status_code == 200 and "or an administrator can decide it." in text(response)
    assert state(app, others)[0] == S.COMPLETE
    # taking over another agent's file is refused too; an unassigned one can be taken, then decided
    response = agent.post(f"/agent/desk/{others}/assign", follow_redirects=True)
    assert "only they or an administrator can take it over" in text(response)
    assert agent.post(f"/agent/desk/{unassigned}/assign").status_code == 302
    assert agent.post(f"/agent/desk/{unassigned}/{action}", data=data).status_code == 302
    assert state(app, unassigned)[0] in (S.APPROVED, S.REFUSED)


def test_the_file_page_says_who_may_decide(app, people):
    unassigned = new_application(app)["application_id"]
    page = text(client_for(app, people["agent"]).get(f"/agent/desk/{unassigned}"))
    assert "Only the agent assigned to this application can approve or refuse it: assign it to yourself first." in page


def test_an_administrator_decides_any_file(app, people):
    others = new_application(app, assigned_to=people["other_agent_id"])["application_id"]
    admin = client_for(app, people["admin"])
    assert admin.post(f"/agent/desk/{others}/approve", data={"approve-note": ""}).status_code == 302
    assert state(app, others)[0] == S.APPROVED


def test_the_generated_screen_refuses_a_decision_by_an_agent_not_assigned(app, people):
    from tests.test_backoffice import _view, view_url

    others = new_application(app, assigned_to=people["other_agent_id"])["application_id"]
    agent = client_for(app, people["agent"])
    url = view_url(app, _view(app, "ApplicationView"), "edit", pk=others)
    form = {"learner": "", "format_wanted": "part_time", "status": "refused", "decision_reason": "non",
            "assigned_agent": str(people["other_agent_id"])}
    with app.app_context():
        form["learner"] = str(db.session.get(Application, others).learner_id)
        db.session.remove()
    response = agent.post(url, data=form, follow_redirects=True)
    assert "Only the agent assigned to this application or an administrator can approve or refuse it." in \
        text(response)
    assert state(app, others)[0] == S.COMPLETE
