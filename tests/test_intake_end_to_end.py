"""The front door to the desk, over HTTP only: sign up → verify the e-mail (read from a real SMTP
server on loopback) → apply with a document → the agent approves and records the placement → the
learner sees the status and the level, and every message reached them in the language they chose."""
from __future__ import annotations

import io
import re
import socket
import uuid

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.extensions import db
from app.models import ClientCategory, ImmigrationStatus, Region
from tests.conftest import DEMO_PASSWORD, build_app
from tests.conftest import login as conftest_login

PASSWORD = "lentement mais sûrement"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
VERIFY_LINK = re.compile(r"https?://\S+?(/account/verify/[A-Za-z0-9_-]+)")


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp():
    with socket.socket() as probe:  # a free loopback port for the server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture(scope="module")
def mail_app(demo_app, pg_url, smtp):
    """The application sending its e-mails by SMTP, on the demo data (categories, regions, agent)."""
    controller, _inbox = smtp
    return build_app(pg_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)


def reference_id(app, model, code: str) -> int:
    with app.app_context():
        row_id = db.session.scalar(select(model.id).where(model.code == code))
        db.session.remove()
    assert row_id is not None, f"no {model.__name__} {code} in the demo data"
    return row_id


def page(response) -> str:
    import html

    return html.unescape(response.get_data(as_text=True))


def test_sign_up_apply_decision_and_placement_reach_the_learner_in_their_language(mail_app, smtp, tmp_path,
                                                                                   monkeypatch):
    _controller, inbox = smtp
    monkeypatch.setitem(mail_app.config, "UPLOAD_DIR", str(tmp_path / "documents"))
    email = f"amina.{uuid.uuid4().hex[:10]}@example.org"
    immigrant = reference_id(mail_app, ClientCategory, "immigrant")
    montreal = reference_id(mail_app, Region, "06")

    # 1. Sign up, choosing English, and confirm the address from the e-mail received.
    learner = mail_app.test_client()
    signed_up = learner.post("/account/register", data={
        "first_name": "Amina", "last_name": "Diallo", "email": email, "birth_date": "1991-03-14",
        "category": str(immigrant), "language": "en", "password": PASSWORD, "confirm": PASSWORD, "consent": "y"})
    assert signed_up.status_code == 302, page(signed_up)
    (verification,) = [m for m in inbox.messages if m["To"] == email]
    assert verification["Subject"] == "Confirm your e-mail address"
    link = VERIFY_LINK.search(verification.get_body(("plain",)).get_content()).group(1)
    assert learner.get(link).status_code == 302
    logged_in = conftest_login(learner, email, PASSWORD)
    assert logged_in.status_code == 302 and "/login" not in logged_in.headers["Location"]

    # 2. Apply: the steps, a proof of status, the consents.
    assert learner.post("/my/application/start").status_code == 302
    answers = {1: {"category": immigrant, "birth_date": "1991-03-14", "region": montreal},
               2: {"immigration_status": reference_id(mail_app, ImmigrationStatus, "permanent_resident"),
                   "arrival_date": "2024-08-15", "children_in_care": "0"},
               3: {"format": "part_time", "weekdays": ["2", "4"], "periods": ["evening"], "region": montreal}}
    for number, data in answers.items():
        response = learner.post(f"/my/application/step/{number}", data={**data, "proceed": "1"})
        assert response.status_code == 302, page(response)
    uploaded = learner.post("/my/application/documents", content_type="multipart/form-data", data={
        "type": "immigration_status", "upload": "1", "file": (io.BytesIO(PDF), "statut.pdf", "application/pdf")})
    assert uploaded.status_code == 302, page(uploaded)
    sent = learner.post("/my/application/step/4", data={"consent_truthful": "y", "consent_privacy": "y",
                                                       "send": "1"})
    assert sent.status_code == 302, page(sent)

    # 3. The agent finds the file in the queue, approves it and records the placement.
    agent = mail_app.test_client()
    assert conftest_login(agent, "agent", DEMO_PASSWORD).status_code == 302
    queue = page(agent.get("/agent/desk/", query_string={"status": "submitted", "region": montreal,
                                                         "agent": "unassigned"}))
    number = re.search(r'href="/agent/desk/(\d+)"[^>]*>[^<]*</a></th>\s*<td>Amina Diallo', queue)
    assert number, "the new application is not in the queue"
    application = f"/agent/desk/{number.group(1)}"
    file_page = page(agent.get(application))
    assert "statut.pdf" in file_page and re.search(r'href="/staff/documents/\d+"', file_page)
    document = agent.get(re.search(r'href="(/staff/documents/\d+)"', file_page).group(1))
    assert document.status_code == 200 and document.data == PDF
    assert agent.post(f"{application}/assign").status_code == 302  # the agent who decides holds the file
    assert agent.post(f"{application}/approve",
                      data={"approve-note": "Welcome aboard!", "approve-share": "y"}).status_code == 302
    placement = {"placement-oral_comprehension": "6", "placement-oral_production": "5",
                 "placement-written_comprehension": "6", "placement-written_production": "4"}
    assert agent.post(f"{application}/placement", data=placement).status_code == 302

    # 4. The learner sees the decision and the level; every message came in English.
    with learner.session_transaction() as session:
        session["locale"] = "en"
    status_page = page(learner.get("/my/application/"))
    assert "Approved" in status_page and "Welcome aboard!" in status_page
    results = page(learner.get("/my/file/results"))
    overall = results.split("Overall level")[1].split("</tr>")[0]
    assert re.search(r"<td>\s*5\s*</td>", overall), overall  # (6 + 5 + 6 + 4) / 4 = 5.25, rounded down
    subjects = [m["Subject"] for m in inbox.messages if m["To"] == email]
    assert subjects == ["Confirm your e-mail address", "Welcome to Guichet Francisation",
                        "We have received your application", "Your application is approved",
                        "Your French level has been assessed"]
    approved = next(m for m in inbox.messages if m["To"] == email and m["Subject"] == "Your application is approved")
    assert "Welcome aboard!" in approved.get_body(("plain",)).get_content()
    level = next(m for m in inbox.messages if m["To"] == email and m["Subject"].startswith("Your French level"))
    assert "your overall level is 5" in level.get_body(("plain",)).get_content()
