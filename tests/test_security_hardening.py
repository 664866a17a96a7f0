"""Security hardening II (issue 11): no live credential readable by staff, no Host-header links,
revocable API tokens, the API login rate-limited, employer links verified, the current password on
FAB's "reset my password", TOTP secrets encrypted at rest.

E-mails go to a real SMTP server on loopback (aiosmtpd); rate limits count in the real Redis.
"""
from __future__ import annotations

import datetime as dt
import html
import re
import socket

import pyotp
import pytest
from aiosmtpd.controller import Controller
from flask_appbuilder.security.sqla.models import User
from redis import Redis
from sqlalchemy import select, text

from app.extensions import db
from app.models import (
    AccessLog, AccountSecurity, AuditEvent, ClientCategory, CourseFormat, Enterprise, EnterpriseMembership, Job,
    Learner, Message, Region,
)
from app.services.access import ADMIN, AGENT, ENTERPRISE_REP, SUPPORT
from app.services.accounts import hash_password
from tests.conftest import (
    DEMO_PASSWORD, REDIS_URL, build_app, delivered_email, login, redis_available, require,
)
from tests.factories import make_account, make_course, make_section, make_term, reference_row, tag

NEW_PASSWORD = "trois tortues traversent la rue"
RESET_LINK = re.compile(r"https?://[^/\s]+(/account/reset/[A-Za-z0-9_-]+)")
# anything in a page that could be a link's secret (token_urlsafe(32) is 43 characters)
SECRET_LIKE = re.compile(r"[A-Za-z0-9_-]{32,}")


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def account(app, role="Learner", **fields) -> dict:
    with app.app_context():
        made = make_account(app, role=role, **fields)
        db.session.commit()
        user = db.session.scalar(select(User).where(User.username == made["username"]))
        made.update(user_id=user.id, email=user.email)
        db.session.remove()
    return made


def staff_client(app, role: str):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    made = account(app, role=role)
    response = login(client, made["username"])
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    return client, made


# --- a real SMTP server ---------------------------------------------------------------------------

class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture(scope="module")
def mail_app(pg_url, smtp):
    return build_app(pg_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp[0].port)


# --- 1. no usable credential readable by staff ----------------------------------------------------

def test_an_agent_who_asks_a_reset_for_a_learner_finds_no_usable_link_anywhere(mail_app, smtp):
    inbox = smtp[1]
    learner = account(mail_app)
    agent, agent_account = staff_client(mail_app, AGENT)
    admin, _admin_account = staff_client(mail_app, ADMIN)

    # the agent asks for a new password in the learner's name (the public form, as anybody can)
    assert mail_app.test_client().post("/account/forgot", data={"email": learner["email"]}).status_code == 302
    delivered = [m for m in inbox.messages if m["To"] == learner["email"]]
    assert len(delivered) == 1
    path = RESET_LINK.search(delivered[0].get_body(("plain",)).get_content()).group(1)
    token = path.rsplit("/", 1)[1]

    with mail_app.app_context():
        message_id, subject = db.session.execute(select(Message.id, Message.subject).where(
            Message.recipient == learner["email"], Message.template == "reset_password")).one()
        job_ids = db.session.scalars(select(Job.id).where(Job.task.in_(["send_password_reset",
                                                                         "deliver_account_link"]))).all()
        db.session.remove()
    def read(client, url, **kwargs):
        """The screen's status and text, read to the end (the CSV exports are streamed)."""
        with client.get(url, **kwargs) as response:
            return response.status_code, page(response)

    screens = [read(agent, "/messageview/list/"),
               read(agent, "/messageview/list/", query_string={"_flt_0_recipient": learner["email"]}),
               read(agent, f"/messageview/show/{message_id}"), read(agent, "/messageview/export_csv/")]
    screens += [read(admin, "/jobview/list/"), read(admin, "/jobview/export_csv/")]
    screens += [read(admin, f"/jobview/show/{job_id}") for job_id in job_ids]
    assert [status for status, _text in screens] == [200] * len(screens)
    shown = "\n".join(text for _status, text in screens)
    assert subject in shown and "(lien personnel, dans le courriel seulement)" in shown
    where = shown.find(token)
    assert token not in shown, shown[max(0, where - 600):where + 100]
    # the only reset address on them is the job's recipe, with its placeholder
    assert set(re.findall(r"/account/reset/([A-Za-z0-9_-]+)", shown)) <= {"__token__"}
    # nothing on those screens opens the reset page
    visitor = mail_app.test_client()
    for candidate in set(SECRET_LIKE.findall(shown)):
        assert visitor.get(f"/account/reset/{candidate}").status_code in (404, 410)

    # who opened the message is written down, and the learner sees it among the consultations
    with mail_app.app_context():
        read = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "message.read",
                                                           AuditEvent.object_id == str(message_id))).all()
        assert [event.actor_id for event in read] == [agent_account["user_id"]]
        assert db.session.scalar(select(AccessLog.what).where(AccessLog.learner_id == learner["learner_id"],
                                                              AccessLog.viewer_id == agent_account["user_id"])) \
            == "message"
        db.session.remove()

    # the e-mail actually delivered carries a working link
    assert visitor.get(path).status_code == 200
    done = visitor.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and "/login/" in done.headers["Location"]
    assert login(mail_app.test_client(), learner["username"], NEW_PASSWORD).headers["Location"].rstrip("/") \
        != "/login"


# --- 2. links never take their host from the request ----------------------------------------------

def test_a_forgot_password_request_for_a_foreign_host_is_refused(mail_app, smtp):
    learner = account(mail_app)
    client = mail_app.test_client()
    answer = client.post("/account/forgot", data={"email": learner["email"]}, headers={"Host": "evil.example"})
    assert answer.status_code == 400
    assert not [m for m in smtp[1].messages if m["To"] == learner["email"]]


def test_e_mailed_links_use_the_public_base_url_whatever_the_host(pg_url, smtp):
    """Even where a host is trusted, the link is built from PUBLIC_BASE_URL, never from Host."""
    permissive = build_app(pg_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp[0].port,
                           PUBLIC_BASE_URL="https://guichet.example", TRUSTED_HOSTS=None)
    permissive.config["TRUSTED_HOSTS"] = None  # answer any Host header
    learner = account(permissive)
    answer = permissive.test_client().post("/account/forgot", data={"email": learner["email"]},
                                           headers={"Host": "evil.example"})
    assert answer.status_code == 302
    (mail,) = [m for m in smtp[1].messages if m["To"] == learner["email"]]
    links = re.findall(r"https?://[^/\s]+", mail.get_body(("plain",)).get_content())
    assert links and set(links) == {"https://guichet.example"}


# --- 3. API tokens end with the sessions ------------------------------------------------------------

def api_tokens(client, username: str, password: str = DEMO_PASSWORD) -> tuple[str, str]:
    answer = client.post("/api/v1/security/login", json={"username": username, "password": password,
                                                         "provider": "db", "refresh": True})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json["access_token"], answer.json["refresh_token"]


def refresh(client, refresh_token: str) -> int:
    return client.post("/api/v1/security/refresh", headers={"Authorization": f"Bearer {refresh_token}"}).status_code


def my_file(client, access_token: str) -> int:
    return client.get("/api/v1/my/file/applications", headers={"Authorization": f"Bearer {access_token}"}).status_code


def change_password(app, user_id: int) -> None:
    with app.app_context():
        db.session.get(User, user_id).password = hash_password(NEW_PASSWORD)
        db.session.commit()
        db.session.remove()


def deactivate(app, user_id: int) -> None:
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
        db.session.remove()


def web_logout(app, learner: dict) -> None:
    browser = app.test_client()
    login(browser, learner["username"])
    assert browser.get("/logout/").status_code == 302


def help_desk_ends_sessions(app, learner: dict) -> None:
    login(app.test_client(), learner["username"])  # the console ends sessions when one is open
    desk, _support = staff_client(app, SUPPORT)
    answer = desk.post(f"/support/account/{learner['user_id']}/end_sessions",
                       data={"end_sessions-reason": "Demande de la personne", "end_sessions-confirmed": "yes"})
    assert answer.status_code == 302


@pytest.mark.parametrize("revoke", [web_logout, help_desk_ends_sessions,
                                    lambda app, learner: change_password(app, learner["user_id"]),
                                    lambda app, learner: deactivate(app, learner["user_id"])],
                         ids=["logout", "end-all-sessions", "password-change", "deactivation"])
def test_api_tokens_are_refused_once_the_sessions_end(app, revoke):
    learner = account(app)
    client = app.test_client()
    access, refresh_token = api_tokens(client, learner["username"])
    assert refresh(client, refresh_token) == 200 and my_file(client, access) == 200
    revoke(app, learner)
    assert refresh(client, refresh_token) == 401
    assert my_file(client, access) == 401


def test_a_new_login_after_a_revocation_gets_working_tokens(app):
    learner = account(app)
    client = app.test_client()
    _access, old_refresh = api_tokens(client, learner["username"])
    web_logout(app, learner)
    access, new_refresh = api_tokens(client, learner["username"])
    assert refresh(client, old_refresh) == 401
    assert refresh(client, new_refresh) == 200 and my_file(client, access) == 200


# --- 5. the API's token login is rate-limited like the login form -----------------------------------

def test_the_api_token_login_is_rate_limited_per_address(pg_url):
    ok, reason = redis_available()
    require(ok, reason)
    prefix = f"gf-test-{tag()}"
    limited = build_app(pg_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URL,
                        RATELIMIT_KEY_PREFIX=prefix, AUTH_RATE_LIMIT="3 per minute")
    try:
        client = limited.test_client()
        body = {"username": f"x-{tag()}", "password": "not-the-password", "provider": "db"}
        statuses = [client.post("/api/v1/security/login", json=body).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        other = limited.test_client()
        other.environ_base["REMOTE_ADDR"] = "198.51.100.78"
        assert other.post("/api/v1/security/login", json=body).status_code == 401
        assert any(Redis.from_url(REDIS_URL).scan_iter(f"*{prefix}*"))
    finally:
        redis = Redis.from_url(REDIS_URL)
        for key in redis.scan_iter(f"*{prefix}*"):
            redis.delete(key)


# --- 6. employer links verified ---------------------------------------------------------------------

def business(app) -> dict:
    with app.app_context():
        sm = app.appbuilder.sm
        name = f"rep-{tag()}"
        rep = sm.add_user(name, "Rep", name, f"{name}@example.org", sm.find_role(ENTERPRISE_REP),
                          password=DEMO_PASSWORD)
        region = reference_row(Region, "T-REG")
        enterprise = Enterprise(neq=f"{int(tag(), 16) % 10**10:010d}", name=f"Usinage {tag()}",
                                address="10 rue du Port, Québec", region_id=region.id, employee_count=40)
        db.session.add(enterprise)
        db.session.flush()
        db.session.add(EnterpriseMembership(user_id=rep.id, enterprise_id=enterprise.id))
        term = make_term()
        section = make_section(term, make_course(fmt=CourseFormat.WORKPLACE))
        section.enterprise_id = enterprise.id
        db.session.commit()
        made = {"id": enterprise.id, "neq": enterprise.neq, "name": enterprise.name, "rep": rep.username,
                "section_id": section.id}
        db.session.remove()
    return made


def logged_in(app, username: str):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert login(client, username).status_code == 302
    return client


def linked_to(app, learner_id: int) -> tuple[int | None, int | None]:
    with app.app_context():
        learner = db.session.get(Learner, learner_id)
        found = (learner.enterprise_id, learner.pending_enterprise_id)
        db.session.remove()
    return found


def test_an_invitation_works_only_for_the_address_it_was_sent_to(app):
    enterprise = business(app)
    invited, other = account(app), account(app)
    rep = logged_in(app, enterprise["rep"])
    assert rep.post(f"/enterprise/{enterprise['id']}/employees",
                    data={"email": invited["email"].upper(), "language": "en"}).status_code == 302
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.recipient == invited["email"],
                                                          Message.template == "enterprise_invitation"))
        kept, message_id = message.body, message.id
        db.session.remove()
    assert "/my/employer/join/" not in kept  # the kept copy holds no link
    join = re.search(r"https?://[^/\s]+(/my/employer/join/\S+)", plain_text(delivered_email(app, message_id)))
    join = join.group(1)

    holder = logged_in(app, other["username"])
    refused = holder.post(join, data={"share_progress": "y"})
    assert refused.status_code == 403
    assert "This invitation was sent to another e-mail address than the one of your account" in page(refused)
    assert linked_to(app, other["learner_id"]) == (None, None)

    holder_fr = logged_in(app, other["username"])
    holder_fr.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    with holder_fr.session_transaction() as session:
        session["locale"] = "fr"
    assert "Cette invitation a été envoyée à une autre adresse" in page(holder_fr.get(join))

    employee = logged_in(app, invited["username"])
    assert employee.post(join, data={}).status_code == 302
    assert linked_to(app, invited["learner_id"]) == (enterprise["id"], None)


def apply_naming(app, client, neq: str):
    """Step 1 of the application as a business employee naming the business by its NEQ."""
    with app.app_context():
        category = db.session.scalar(select(ClientCategory.id).where(ClientCategory.code == "business_employee"))
        region = db.session.scalar(select(Region.id).order_by(Region.id))
        db.session.remove()
    assert client.post("/my/application/start").status_code == 302
    answer = client.post("/my/application/step/1", data={"category": category, "birth_date": "1985-02-02",
                                                         "region": region, "neq": neq, "proceed": "1"})
    assert answer.status_code == 302, page(answer)


@pytest.mark.parametrize("decision", ["confirm", "refuse"])
def test_a_business_named_in_the_application_is_linked_only_once_its_representative_confirms(demo_app, decision):
    enterprise = business(demo_app)
    learner = account(demo_app)
    client = logged_in(demo_app, learner["username"])
    apply_naming(demo_app, client, enterprise["neq"])

    # pending: the workplace group stays closed, the learner is told why
    assert linked_to(demo_app, learner["learner_id"]) == (None, enterprise["id"])
    assert client.get(f"/catalogue/section/{enterprise['section_id']}").status_code == 404
    assert f"{enterprise['name']} has not yet confirmed that you work there" in page(client.get("/my/employer/"))

    rep = logged_in(demo_app, enterprise["rep"])
    listed = page(rep.get(f"/enterprise/{enterprise['id']}/employees"))
    assert "Employees awaiting your confirmation" in listed and "Test Learner" in listed
    # another business's representative cannot decide for this one
    stranger = business(demo_app)
    assert logged_in(demo_app, stranger["rep"]).post(
        f"/enterprise/{stranger['id']}/employees/{learner['learner_id']}/decision",
        data={"decision": "confirm"}).status_code == 302
    assert linked_to(demo_app, learner["learner_id"]) == (None, enterprise["id"])

    decided = rep.post(f"/enterprise/{enterprise['id']}/employees/{learner['learner_id']}/decision",
                       data={"decision": decision}, follow_redirects=True)
    assert decided.status_code == 200
    if decision == "confirm":
        assert "is confirmed as an employee of" in page(decided)
        assert linked_to(demo_app, learner["learner_id"]) == (enterprise["id"], None)
        assert client.get(f"/catalogue/section/{enterprise['section_id']}").status_code == 200
    else:
        assert "is not linked to" in page(decided)
        assert linked_to(demo_app, learner["learner_id"]) == (None, None)
        assert client.get(f"/catalogue/section/{enterprise['section_id']}").status_code == 404
    assert "Nobody is waiting for your confirmation." in page(rep.get(f"/enterprise/{enterprise['id']}/employees"))


# --- 7. FAB's "reset my password" asks for the current password -------------------------------------

def test_changing_ones_password_requires_the_current_one(app):
    staff = account(app, role=ADMIN)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(client, staff["username"])
    form = page(client.get("/resetmypassword/form"))
    assert 'name="current_password"' in form

    wrong = client.post("/resetmypassword/form", data={"current_password": "not-my-password-at-all",
                                                       "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert wrong.status_code == 200 and "This is not your current password." in page(wrong)
    missing = client.post("/resetmypassword/form", data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert missing.status_code == 200
    with app.app_context():
        refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "password.change_refused",
                                                              AuditEvent.actor_id == staff["user_id"])).all()
        assert len(refused) == 1
        db.session.remove()
    assert "/login" in login(app.test_client(), staff["username"], NEW_PASSWORD).headers["Location"]

    right = client.post("/resetmypassword/form", data={"current_password": DEMO_PASSWORD,
                                                       "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert right.status_code == 302
    assert "/login" not in login(app.test_client(), staff["username"], NEW_PASSWORD).headers["Location"]


# --- 10. TOTP secrets encrypted at rest ---------------------------------------------------------------

def test_totp_secrets_are_encrypted_at_rest_and_the_second_factor_still_works(app):
    staff = account(app, role=AGENT)
    first = app.test_client()
    login(first, staff["username"])  # enrols the second factor through the real pages
    with app.app_context():
        secret = db.session.get(AccountSecurity, staff["user_id"]).totp_secret
        stored = db.session.execute(text("SELECT totp_secret FROM account_security WHERE user_id = :id"),
                                    {"id": staff["user_id"]}).scalar_one()
        db.session.remove()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert stored and secret not in stored and stored.startswith("gAAAAA")  # a Fernet token

    # a later login passes the second factor with a code from the same secret
    again = app.test_client()
    assert again.post("/login/", data={"username": staff["username"], "password": DEMO_PASSWORD}).status_code == 302
    assert again.get("/messageview/list/").status_code == 302  # not before the second factor
    with app.app_context():
        db.session.get(AccountSecurity, staff["user_id"]).totp_last_step = None
        db.session.commit()
        db.session.remove()
    assert again.post("/mfa/verify", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert again.get("/messageview/list/").status_code == 200


def test_the_migration_encrypts_the_secrets_stored_in_clear(sqlite_url, tmp_path):
    """A database at the previous revision with a clear secret: the upgrade encrypts it."""
    from flask_migrate import downgrade, upgrade

    database = f"sqlite:///{tmp_path / 'old.db'}"
    application = build_app(database)
    with application.app_context():
        downgrade(revision="0009_security_hardening")  # whatever came after, then this one
        downgrade(revision="-1")
        user_id = db.session.execute(text(
            "INSERT INTO ab_user (first_name, last_name, username, email, active, created_on, changed_on) "
            "VALUES ('Ana', 'Old', 'old-staff', 'old@example.org', 1, :now, :now) RETURNING id"),
            {"now": dt.datetime(2026, 1, 1)}).scalar_one()
        db.session.execute(text("INSERT INTO account_security (user_id, failed_logins, totp_secret) "
                                "VALUES (:id, 0, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP')"), {"id": user_id})
        db.session.commit()
        upgrade()
        stored = db.session.execute(text("SELECT totp_secret FROM account_security WHERE user_id = :id"),
                                    {"id": user_id}).scalar_one()
        assert stored.startswith("gAAAAA") and "JBSWY3DP" not in stored
        assert db.session.get(AccountSecurity, user_id).totp_secret == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        db.session.remove()
        db.engine.dispose()


def plain_text(email) -> str:
    """The text part of a (multipart) e-mail."""
    return email.get_body(("plain",)).get_content()
