"""The help desk console: Support sees identity and account state only, and every action on an
account is justified, audited and told to its holder in their language.

The refusals are checked on the server: a Support session (cookie or JWT) gets 403 (or 401 on the
learner API) on every results, finance, documents and case-notes URL, picked from ``app.url_map``
and ``tests/route_policy.py`` rather than listed by hand.
"""
from __future__ import annotations

import html
import re
import uuid

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AccountSecurity, AccountToken, AuditEvent, Language, Learner, Message, SessionEnd, TokenPurpose, UserSession,
)
from app.models.base import utcnow
from app.services import support as service
from app.services.access import ADMIN, AGENT, ROLE_MATRIX, SUPPORT
from tests.conftest import DEMO_PASSWORD, Auth, delivered_email, login
from tests.factories import make_learner
from tests.route_policy import POLICY

CONSOLE = "/support/"
NEW_PASSWORD = "trois tortues traversent"
LINK = re.compile(r"https?://\S+/account/(?:verify|reset)/[A-Za-z0-9_-]+")
REASON = "Caller identified by date of birth and file number on the phone."

# Back-office screens that hold grades, attendance, money, documents or case notes, and the
# learner's file itself: none is for the help desk.
FILE_VIEWS = {"ExamResultView", "AttendanceView", "AllowanceView", "AllowanceRuleView", "PaymentView",
              "PaymentBatchView", "DocumentView", "IssuedDocumentView", "CaseNoteView", "LearnerView",
              "PlacementResultView", "ApplicationView", "ApplicationEventView", "EnrolmentView", "MessageView",
              "AgentDeskView", "LearnerNotesView", "GroupRecordsView", "StaffDocumentsView"}
# Policies of the pages of a learner or a business representative (their own file).
OWN_FILE_POLICIES = {"learner", "enterprise-rep"}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def said(app, language: str, msgid: str, **params) -> str:
    with app.test_request_context(), force_locale(language):
        return gettext(msgid, **params)


def english(client):
    with client.session_transaction() as session:
        session["locale"] = "en"
    return client


def holder(app, role: str = "Learner", language: Language = Language.FR, first: str = "Test",
           last: str | None = None) -> dict:
    """An account with ``role`` (the demo password) and, for a learner, a learner file in ``language``."""
    t = uuid.uuid4().hex[:8]
    last = last or f"Holder {t}"
    with app.app_context():
        sm = app.appbuilder.sm
        username = f"{role.lower()}-{t}"
        user = sm.add_user(username, first, last, f"{username}@example.org", sm.find_role(role),
                           password=DEMO_PASSWORD)
        assert user, f"could not create {username}"
        found = {"username": username, "id": user.id, "email": user.email, "file_number": None}
        if role == "Learner":
            learner = make_learner(level=None, language=language)
            learner.user_id, learner.first_name, learner.last_name = user.id, first, last
            found["file_number"] = learner.file_number
        db.session.commit()
        db.session.remove()
    return found


@pytest.fixture(scope="module")
def staff(demo_app):
    """A help desk, an administrator and an agent of this module. The demo data is loaded first
    (``demo_app`` is ``app`` seeded): tests elsewhere take the first rows of the tables for demo rows."""
    return {role: holder(demo_app, role) for role in (SUPPORT, ADMIN, AGENT)}


@pytest.fixture
def desk(app, staff):
    """The help desk, logged in (second factor passed), reading pages in English."""
    client = app.test_client()
    Auth(client).login(staff[SUPPORT]["username"])
    return english(client)


@pytest.fixture
def admin(app, staff):
    client = app.test_client()
    Auth(client).login(staff[ADMIN]["username"])
    return english(client)


def act(client, account: dict, action: str, reason: str | None = REASON, confirmed: bool = False):
    data = {} if reason is None else {f"{action}-reason": reason}
    if confirmed:
        data[f"{action}-confirmed"] = "yes"
    return client.post(f"/support/account/{account['id']}/{action}", data=data)


def act_confirmed(client, account: dict, action: str, reason: str = REASON):
    """A destructive action through its two steps: the confirmation page, then the confirmed POST."""
    asked = act(client, account, action, reason)
    assert asked.status_code == 200, text(asked)
    assert f'name="{action}-confirmed" value="yes"' in text(asked)
    return act(client, account, action, reason, confirmed=True)


def audits(app, account: dict, action: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.object_type == "User", AuditEvent.object_id == str(account["id"]),
                                         AuditEvent.action.like("support.%"))
        if action:
            query = query.where(AuditEvent.action == f"support.{action}")
        rows = db.session.scalars(query.order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def messages(app, account: dict, template: str | None = None) -> list[Message]:
    with app.app_context():
        query = select(Message).where(Message.recipient == account["email"])
        if template:
            query = query.where(Message.template == template)
        rows = db.session.scalars(query.order_by(Message.id)).all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def account_row(app, account: dict) -> dict:
    with app.app_context():
        user = app.appbuilder.sm.get_user_by_id(account["id"])
        security = db.session.get(AccountSecurity, account["id"])
        found = {
            "active": user.active,
            "open_sessions": db.session.scalar(select(func.count(UserSession.id)).where(
                UserSession.user_id == account["id"], UserSession.ended_at.is_(None))),
            "ended": sorted(r.value for r in db.session.scalars(select(UserSession.end_reason).where(
                UserSession.user_id == account["id"], UserSession.end_reason.is_not(None)))),
            "locked_until": security.locked_until if security else None,
            "second_factor": bool(security and security.totp_enabled_at),
        }
        db.session.remove()
    return found


def logged_in(app, account: dict):
    client = app.test_client()
    response = login(client, account["username"])
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    return client


def still_logged_in(client) -> bool:
    """Whether the client's session still counts (a page that needs a login does not send it to log in)."""
    response = client.get("/my/file/")
    return not (response.status_code == 302 and "/login/" in response.headers["Location"])


# --- server-side: identity and account state only ------------------------------------------------

def placeholder_url(rule) -> str | None:
    from werkzeug.routing.converters import IntegerConverter

    values = {name: 1 if isinstance(converter, IntegerConverter) else "x"
              for name, converter in rule._converters.items()}
    try:
        return rule.build(values, append_unknown=False)[1]
    except Exception:  # a converter refusing the placeholder
        return None


def file_rules(app):
    """URL rules of the learners' files: the back-office screens of FILE_VIEWS and the pages of a
    learner's or representative's own file."""
    for rule in app.url_map.iter_rules():
        policy = POLICY.get(rule.endpoint)
        view = rule.endpoint.split(".", 1)[0]
        if policy is not None and (view in FILE_VIEWS or policy in OWN_FILE_POLICIES):
            yield rule, policy


def test_the_help_desk_grants_stop_at_accounts():
    assert not set(ROLE_MATRIX[SUPPORT]) & FILE_VIEWS
    assert set(ROLE_MATRIX[SUPPORT]) == {"AccountView", "LoginSessionView", "AccountSecurityView",
                                         "SupportConsoleView"}


def test_support_gets_403_on_every_results_finance_documents_and_case_notes_url(app, desk):
    checked, wrong = 0, []
    for rule, policy in file_rules(app):
        url = placeholder_url(rule)
        assert url is not None, rule.rule
        # FAB's row actions are visited with GET only: a POST naming no declared action fails
        # inside FAB (AttributeError) before any permission check, and runs nothing either way
        methods = {"GET"} & rule.methods if policy == "fab-action" else rule.methods - {"HEAD", "OPTIONS"}
        for method in sorted(methods):
            response = desk.open(url, method=method)
            checked += 1
            # FAB's row actions check the action's own permission and redirect; never run
            allowed = {302, 404} if policy == "fab-action" else {403}
            if response.status_code not in allowed or response.status_code == 302 and \
                    "/login/" in response.headers.get("Location", ""):
                wrong.append(f"{method} {url} [{rule.endpoint}] -> {response.status_code}")
    assert checked > 150, checked
    assert not wrong, "\n".join(wrong)
    assert desk.get(CONSOLE).status_code == 200  # the help desk's session was alive all along


def test_support_gets_401_or_403_on_the_learner_api_with_a_cookie_or_a_token(app, staff, desk):
    api = [rule for rule in app.url_map.iter_rules() if POLICY.get(rule.endpoint) == "api-jwt"
           and rule.endpoint != "SecurityApi.refresh"]
    assert {rule.endpoint.split(".")[0] for rule in api} >= {"MyFileApi", "MyEnrolmentsApi"}
    for rule in api:
        url = placeholder_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert desk.open(url, method=method, json={}).status_code == 401, (method, url)

    # staff get no API token (the token login has no second-factor step) ...
    refused = app.test_client().post("/api/v1/security/login", json={
        "username": staff[SUPPORT]["username"], "password": DEMO_PASSWORD, "provider": "db"})
    assert refused.status_code == 401 and "access_token" not in (refused.get_json() or {})
    # ... and a token of the Support account, were one issued, opens no learner's file
    from flask_jwt_extended import create_access_token

    with app.app_context():
        bearer = {"Authorization": f"Bearer {create_access_token(identity=str(staff[SUPPORT]['id']), fresh=True)}"}
    for rule in api:
        url = placeholder_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            status = app.test_client().open(url, method=method, headers=bearer, json={}).status_code
            assert status == 403, (method, url, status)
    # the other APIs: open ones serve the catalogue and the token login only; FAB's are refused
    public = {rule.endpoint for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/") and POLICY.get(rule.endpoint) == "public"}
    assert public <= {"CatalogueApi.sections", "SecurityApi.login"}, public
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and POLICY.get(rule.endpoint) == "fab-api" \
                and not rule.endpoint.startswith("MenuApi."):
            assert desk.get(placeholder_url(rule)).status_code in (401, 403), rule.rule


def test_the_account_page_shows_identity_and_state_not_the_file(app, desk):
    learner = holder(app, first="Ophélie", last=f"Brassard {uuid.uuid4().hex[:6]}")
    with app.app_context():
        row = db.session.scalar(select(Learner).where(Learner.user_id == learner["id"]))
        row.phone, birth = "514-555-0199", row.birth_date
        db.session.commit()
        db.session.remove()
    page = text(desk.get(f"/support/account/{learner['id']}"))
    for shown in (learner["username"], learner["email"], learner["file_number"], "Ophélie", "Open sessions",
                  "Second factor", "Failed logins counted"):
        assert shown in page, shown
    assert "514-555-0199" not in page and birth.isoformat() not in page


# --- search --------------------------------------------------------------------------------------

def result_ids(response) -> list[int]:
    return [int(number) for number in re.findall(r'id="account-(\d+)"', response.get_data(as_text=True))]


def test_search_by_name_e_mail_or_file_number_ignoring_case(app, desk):
    t = uuid.uuid4().hex[:6]
    wanted = holder(app, first="Zéphyrine", last=f"Quenneville{t}")
    other = holder(app, first="Zéphyrine", last=f"Tremblay{t}")
    for query in (f"quenneville{t}", f"ZÉPHYRINE QUENNEVILLE{t}", wanted["email"].upper(),
                  wanted["file_number"].lower(), wanted["username"]):
        response = desk.get(CONSOLE, query_string={"q": query})
        assert response.status_code == 200 and result_ids(response) == [wanted["id"]], query
    both = desk.get(CONSOLE, query_string={"q": f"zéphyrine {t}"})
    assert result_ids(both) == [wanted["id"], other["id"]]  # by last name

    empty = text(desk.get(CONSOLE))
    assert "Type a name, an e-mail address or a file number" in empty and 'id="account-' not in empty
    none = text(desk.get(CONSOLE, query_string={"q": f"nobody-{t}"}))
    assert f"No account matches “nobody-{t}”" in none and 'id="account-' not in none
    # LIKE's wildcards are searched as themselves
    assert result_ids(desk.get(CONSOLE, query_string={"q": "%"})) == []
    assert desk.get(CONSOLE, query_string={"q": f"quenneville{t}", "page": 2}).status_code == 404


def test_results_are_paginated(app, desk):
    t = uuid.uuid4().hex[:6]
    made = [holder(app, first="Page", last=f"Pagination{t} {n:02d}")["id"] for n in range(service.PER_PAGE + 3)]
    first = desk.get(CONSOLE, query_string={"q": f"pagination{t}"})
    second = desk.get(CONSOLE, query_string={"q": f"pagination{t}", "page": 2})
    assert result_ids(first) + result_ids(second) == made
    assert f"{service.PER_PAGE + 3} accounts match" in text(first) and "Page 1 of 2" in text(first)
    assert 'rel="next"' in text(first) and 'rel="prev"' in text(second)


def test_a_result_page_costs_the_same_queries_for_2_accounts_and_for_12(app, desk):
    from tests.test_list_queries import count_queries

    costs = []
    for count in (2, 12):
        t = uuid.uuid4().hex[:6]
        for n in range(count):
            holder(app, role="Learner" if n % 2 else "EnterpriseRep", last=f"Costly{t} {n}")
        desk.get(CONSOLE, query_string={"q": f"costly{t}"})
        with count_queries(app) as statements:
            response = desk.get(CONSOLE, query_string={"q": f"costly{t}"})
        assert len(result_ids(response)) == count
        costs.append(len(statements))
    assert costs[0] == costs[1], costs


def test_the_search_service_alike_on_both_engines(engine_app):
    t = uuid.uuid4().hex[:6]
    found = holder(engine_app, first="Anaïs", last=f"Lévesque_{t}")
    holder(engine_app, first="Anaïs", last=f"Levesque{t}x")
    with engine_app.app_context():
        page = service.search_accounts(db.session, f"lévesque_{t}")
        assert [row.user.id for row in page.rows] == [found["id"]] and page.total == 1
        assert page.rows[0].file_number == found["file_number"] and page.rows[0].roles == ["Learner"]
        assert service.search_accounts(db.session, "   ").rows == []
        db.session.remove()


# --- actions: reason, audit, message in the holder's language ------------------------------------

def test_deactivate_asks_for_confirmation_then_ends_every_session_and_tells_the_learner(app, staff, desk):
    learner = holder(app, language=Language.FR)
    phone, laptop = logged_in(app, learner), logged_in(app, learner)
    asked = act(desk, learner, "deactivate")
    assert asked.status_code == 200 and REASON in text(asked)
    assert f"({learner['username']})?" in text(asked) and "Deactivate the account of Test Holder" in text(asked)
    assert account_row(app, learner)["active"] is True and audits(app, learner) == []  # not yet

    done = act(desk, learner, "deactivate", confirmed=True)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/support/account/{learner['id']}")
    assert "2 open sessions were ended" in text(desk.get(done.headers["Location"]))
    state = account_row(app, learner)
    assert state["active"] is False and state["open_sessions"] == 0
    assert state["ended"] == [SessionEnd.DEACTIVATED.value] * 2
    assert not still_logged_in(phone) and not still_logged_in(laptop)
    assert not logged_in_ok(app, learner)

    (event,) = audits(app, learner, "deactivate")
    assert (event.actor_id, event.reason, event.changes["reason"]) == (staff[SUPPORT]["id"], REASON, REASON)
    assert event.changes["sessions_ended"] == 2
    (message,) = messages(app, learner, "account_deactivated")
    assert message.language == Language.FR
    assert message.subject == said(app, "fr", "Your account has been deactivated")

    again = act_or_confirm(desk, learner, "deactivate")
    assert again.status_code == 409 and "already deactivated" in text(again)

    back = act(desk, learner, "reactivate")
    assert back.status_code == 302 and account_row(app, learner)["active"] is True
    assert [e.action for e in audits(app, learner)] == ["support.deactivate", "support.reactivate"]
    assert messages(app, learner, "account_reactivated")[0].language == Language.FR
    assert logged_in_ok(app, learner)


def logged_in_ok(app, account: dict) -> bool:
    response = login(app.test_client(), account["username"])
    return response.status_code == 302 and "/login" not in response.headers["Location"]


def act_or_confirm(client, account, action):
    return act(client, account, action, confirmed=True)


def test_end_all_sessions_logs_the_learner_out_everywhere_in_their_language(app, staff, desk):
    learner = holder(app, language=Language.EN)
    phone, laptop = logged_in(app, learner), logged_in(app, learner)
    response = act_confirmed(desk, learner, "end_sessions")
    assert response.status_code == 302
    state = account_row(app, learner)
    assert state["open_sessions"] == 0 and state["ended"] == [SessionEnd.ENDED_BY_SUPPORT.value] * 2
    assert state["active"] is True
    ended = phone.get("/my/file/", follow_redirects=True)
    assert ended.request.path == "/login/" and not still_logged_in(laptop)
    (event,) = audits(app, learner, "end_sessions")
    assert event.actor_id == staff[SUPPORT]["id"] and event.changes == {"reason": REASON, "sessions_ended": 2}
    (message,) = messages(app, learner, "sessions_ended")
    assert (message.language, message.subject) == (Language.EN, "You have been logged out everywhere")
    assert "/account/forgot" in message.body

    nothing = act(desk, learner, "end_sessions", confirmed=True)
    assert nothing.status_code == 409 and "no open session" in text(nothing)
    assert len(audits(app, learner)) == 1


def test_a_missing_or_short_reason_is_refused_and_nothing_changes(app, desk):
    learner = holder(app)
    client = logged_in(app, learner)
    for reason, expected in ((None, "Give the reason"), ("", "Give the reason"), ("   ", "Give the reason"),
                             ("too short", "at least 10 characters"), ("x" * 501, "at most 500 characters")):
        for confirmed in (False, True):  # skipping the confirmation page does not skip the reason
            response = act(desk, learner, "deactivate", reason, confirmed=confirmed)
            page = text(response)
            assert response.status_code == 422 and expected in page, (reason, confirmed)
            assert "Nothing was changed." in page and 'aria-invalid="true"' in page
            assert 'aria-describedby="deactivate-reason-hint deactivate-reason-error"' in page
        assert act(desk, learner, "unlock", reason).status_code in (409, 422)
    state = account_row(app, learner)
    assert state["active"] is True and state["open_sessions"] == 1 and still_logged_in(client)
    assert audits(app, learner) == [] and messages(app, learner) == []


def test_the_help_desk_cannot_act_on_a_staff_account(app, staff, desk):
    for role in (AGENT, ADMIN, SUPPORT):
        target = staff[role]
        page = text(desk.get(f"/support/account/{target['id']}"))
        assert "only an administrator can act on it" in page or "your own account" in page
        assert "-reason" not in page  # no action form
        for action in service.ACTIONS:
            response = act(desk, target, action, confirmed=True)
            assert response.status_code == 409, (role, action)
            assert "only an administrator" in text(response) or "your own account" in text(response)
        assert account_row(app, target)["active"] is True
        assert audits(app, target) == []
    assert act(desk, staff[AGENT], "bogus").status_code == 404
    assert desk.get("/support/account/999999999").status_code == 404


def test_a_staff_role_held_through_a_group_counts_too(app, desk):
    from flask_appbuilder.security.sqla.models import Group

    learner = holder(app)
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.get_user_by_id(learner["id"])
        group = Group(name=f"admins-{uuid.uuid4().hex[:8]}")
        db.session.add(group)
        group.roles.append(sm.find_role(ADMIN))
        user.groups.append(group)
        db.session.commit()
        db.session.remove()
    response = act(desk, learner, "deactivate", confirmed=True)
    assert response.status_code == 409 and "only an administrator can act on it" in text(response)
    assert account_row(app, learner)["active"] is True


def test_an_admin_resets_a_staff_second_factor_and_the_help_desk_cannot(app, staff, admin):
    agent = holder(app, AGENT)
    agent_client = logged_in(app, agent)  # the first login enrols the second factor
    assert account_row(app, agent)["second_factor"] is True

    support_client = english(logged_in(app, staff[SUPPORT]))
    refused = act(support_client, agent, "reset_second_factor", confirmed=True)
    assert refused.status_code == 409 and account_row(app, agent)["second_factor"] is True

    learner = holder(app)
    not_staff = act(admin, learner, "reset_second_factor", confirmed=True)
    assert not_staff.status_code == 409 and "only staff accounts use one" in text(not_staff)

    response = act_confirmed(admin, agent, "reset_second_factor")
    assert response.status_code == 302
    state = account_row(app, agent)
    assert state["second_factor"] is False and state["open_sessions"] == 0
    assert state["ended"] == [SessionEnd.MFA_RESET.value]
    assert not still_logged_in(agent_client)
    (event,) = audits(app, agent, "reset_second_factor")
    assert event.actor_id == staff[ADMIN]["id"] and event.reason == REASON
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.actor_id).where(
            AuditEvent.action == "mfa.reset", AuditEvent.object_id == str(agent["id"]))) == staff[ADMIN]["id"]
        db.session.remove()
    assert messages(app, agent, "second_factor_reset")[0].subject == said(app, "fr",
                                                                          "Your second factor has been reset")
    # the next login sets the second factor up again
    again = app.test_client()
    assert login(again, agent["username"]).status_code == 302
    assert account_row(app, agent)["second_factor"] is True


def test_a_reset_link_sent_by_the_help_desk_works_once_and_expires(app, staff, desk):
    learner = holder(app, language=Language.EN)
    assert act(desk, learner, "send_reset_link").status_code == 302
    (event,) = audits(app, learner, "send_reset_link")
    assert event.actor_id == staff[SUPPORT]["id"] and event.reason == REASON
    (message,) = messages(app, learner, "reset_password")
    assert (message.language, message.subject) == (Language.EN, "Choose a new password")
    link = LINK.search(plain_text(delivered_email(app, message.id))).group(0).split("localhost", 1)[1]

    visitor = app.test_client()
    assert visitor.get(link).status_code == 200
    done = visitor.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and "/login/" in done.headers["Location"]
    assert login(app.test_client(), learner["username"], NEW_PASSWORD).headers["Location"].rstrip("/") != "/login"
    assert visitor.get(link).status_code == 410  # used
    assert visitor.post(link, data={"password": "encore un autre essai", "confirm": "encore un autre essai"}) \
        .status_code == 410

    assert act(desk, learner, "send_reset_link").status_code == 302
    second = messages(app, learner, "reset_password")[-1]
    link = LINK.search(plain_text(delivered_email(app, second.id))).group(0).split("localhost", 1)[1]
    with app.app_context():
        token = db.session.scalar(select(AccountToken).where(AccountToken.user_id == learner["id"],
                                                             AccountToken.used_at.is_(None)))
        assert token.purpose == TokenPurpose.RESET_PASSWORD
        token.expires_at = utcnow()
        db.session.commit()
        db.session.remove()
    expired = english(app.test_client()).get(link)
    assert expired.status_code == 410 and "has expired" in text(expired)


def test_resend_verification_only_to_an_address_never_confirmed(app, staff, desk):
    learner = holder(app, language=Language.EN)
    refused = act(desk, learner, "resend_verification")
    assert refused.status_code == 409 and "already confirmed" in text(refused)
    with app.app_context():  # as after a sign-up whose link was lost
        user = app.appbuilder.sm.get_user_by_id(learner["id"])
        user.active = False
        db.session.add(AccountToken(user_id=user.id, purpose=TokenPurpose.VERIFY_EMAIL, token_hash=uuid.uuid4().hex,
                                    created_at=utcnow(), expires_at=utcnow()))
        db.session.commit()
        db.session.remove()
    page = text(desk.get(f"/support/account/{learner['id']}"))
    assert "waiting for the e-mail address to be confirmed" in page
    assert 'action="/support/account/%d/reactivate"' % learner["id"] not in page
    assert act(desk, learner, "reactivate").status_code == 409  # would skip the verification

    assert act(desk, learner, "resend_verification").status_code == 302
    (message,) = messages(app, learner, "verify_email")
    assert (message.language, message.subject) == (Language.EN, "Confirm your e-mail address")
    link = LINK.search(plain_text(delivered_email(app, message.id))).group(0).split("localhost", 1)[1]
    assert app.test_client().get(link, follow_redirects=True).request.path == "/login/"
    assert account_row(app, learner)["active"] is True
    assert [e.action for e in audits(app, learner)] == ["support.resend_verification"]


def test_lockout_then_unlock_by_the_help_desk(app, staff, desk):
    learner = holder(app, language=Language.EN)
    threshold = app.config["LOCKOUT_THRESHOLD"]
    assert act(desk, learner, "unlock").status_code == 409  # not locked yet
    for _ in range(threshold):
        assert not logged_in_ok_with(app, learner, "not the password at all")
    assert account_row(app, learner)["locked_until"] is not None
    assert not logged_in_ok(app, learner)  # the right password is refused while locked
    page = text(desk.get(f"/support/account/{learner['id']}"))
    assert "Until " in page and 'action="/support/account/%d/unlock"' % learner["id"] in page

    response = act(desk, learner, "unlock")
    assert response.status_code == 302
    assert "is unlocked" in text(desk.get(response.headers["Location"]))
    assert account_row(app, learner)["locked_until"] is None
    assert logged_in_ok(app, learner)
    (event,) = audits(app, learner, "unlock")
    assert event.actor_id == staff[SUPPORT]["id"] and event.reason == REASON and event.changes["locked_until"]
    (message,) = messages(app, learner, "account_unlocked")
    assert (message.language, message.subject) == (Language.EN, "Your account is unlocked")
    assert [m.template for m in messages(app, learner)] == ["account_locked", "account_unlocked"]


def logged_in_ok_with(app, account: dict, password: str) -> bool:
    response = login(app.test_client(), account["username"], password)
    return response.status_code == 302 and "/login" not in response.headers["Location"]


def test_the_console_is_in_the_support_menu_and_closed_to_other_roles(app, staff, desk):
    assert "Help desk console" in text(desk.get("/"))
    agent = english(logged_in(app, holder(app, AGENT)))
    assert agent.get(CONSOLE).status_code == 403
    assert agent.get(f"/support/account/{staff[SUPPORT]['id']}").status_code == 403
    learner = holder(app)
    assert act(agent, learner, "deactivate", confirmed=True).status_code == 403
    assert logged_in(app, learner).get(CONSOLE).status_code == 403
    assert account_row(app, learner)["active"] is True
    anonymous = app.test_client().get(CONSOLE)
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]


def plain_text(email) -> str:
    """The text part of a (multipart) e-mail."""
    return email.get_body(("plain",)).get_content()
