"""Authentication hardening: lockout, rate limits, password policy on FAB's screens, the staff
second factor, server-side sessions (rotation, logout, password change, deactivation, idle time)."""
from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from flask_appbuilder.security.sqla.models import User
from redis import Redis
from sqlalchemy import select, update

from app.extensions import db
from app.models import AccountSecurity, AuditEvent, Language, Message, RecoveryCode, SessionEnd, UserSession
from app.models.base import utcnow
from app.services.access import ADMIN, AGENT, ANALYST, PARTNER_STAFF, STAFF_ROLES, SUPPORT
from tests.conftest import DEMO_PASSWORD, REDIS_URL, build_app, login, pass_second_factor, redis_available, require
from tests.factories import make_account, tag

WRONG = "not-the-password-at-all"


def account(app, role="Learner", **fields) -> dict:
    with app.app_context():
        made = make_account(app, role=role, **fields)
        db.session.commit()
        made["user_id"] = db.session.scalar(select(User.id).where(User.username == made["username"]))
        db.session.remove()
    return made


def security_of(app, user_id) -> AccountSecurity | None:
    with app.app_context():
        row = db.session.get(AccountSecurity, user_id)
        db.session.expunge_all()
        return row


def logged_in(client) -> bool:
    """Whether the client's session is logged in (the account's own page answers)."""
    return client.get("/users/userinfo/").status_code == 200


def english(app):
    """A test client whose browser asks for English pages."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def text(response) -> str:
    import html

    return html.unescape(response.get_data(as_text=True))


# --- lockout ---------------------------------------------------------------------------------------

def test_five_failures_lock_the_account_and_the_owner_is_told_in_their_language(app):
    learner = account(app, language=Language.EN)
    client = english(app)
    threshold = app.config["LOCKOUT_THRESHOLD"]
    for _ in range(threshold - 1):
        login(client, learner["username"], WRONG)
    assert security_of(app, learner["user_id"]).locked_until is None
    login(client, learner["username"], WRONG)
    row = security_of(app, learner["user_id"])
    assert row.locked_until is not None and row.locked_until > utcnow() + dt.timedelta(minutes=14)

    # the right password is refused now, with the same message as a wrong one
    refused = client.post("/login/", data={"username": learner["username"], "password": DEMO_PASSWORD},
                          follow_redirects=True)
    assert "Wrong user name or password" in text(refused) and not logged_in(client)
    with app.app_context():
        [locked] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.locked",
                                                               AuditEvent.object_id == str(learner["user_id"]))).all()
        assert locked.changes["attempts"] == threshold
        refusals = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failure")).all()
        assert any(e.changes.get("refused") == "locked" and e.changes["username"] == learner["username"]
                   for e in refusals)
        email = db.session.get(User, learner["user_id"]).email
        [mail] = db.session.scalars(select(Message).where(Message.template == "account_locked",
                                                          Message.recipient == email)).all()
        assert mail.language == Language.EN and mail.subject == "Your account is locked for a while"
        assert f"After {threshold} failed attempts" in mail.body

        # time passes: the lock lifts by itself
        db.session.execute(update(AccountSecurity).where(AccountSecurity.user_id == learner["user_id"])
                           .values(locked_until=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()
        db.session.remove()
    login(client, learner["username"])
    assert logged_in(client)


def test_a_success_resets_the_count(app):
    learner = account(app)
    client = english(app)
    for _ in range(app.config["LOCKOUT_THRESHOLD"] - 1):
        login(client, learner["username"], WRONG)
    login(client, learner["username"])
    assert logged_in(client)
    client.get("/logout/")
    login(client, learner["username"], WRONG)
    row = security_of(app, learner["user_id"])
    assert row.failed_logins == 1 and row.locked_until is None


def test_an_unknown_user_name_locks_nothing_and_says_the_same(app):
    client = english(app)
    answer = client.post("/login/", data={"username": f"nobody-{tag()}", "password": WRONG}, follow_redirects=True)
    assert "Wrong user name or password" in text(answer)


# --- rate limits (Flask-Limiter, counted in the real Redis) ----------------------------------------

@pytest.fixture
def limited_app(pg_url):
    ok, reason = redis_available()
    require(ok, reason)
    prefix = f"gf-test-{tag()}"
    application = build_app(pg_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URL,
                            RATELIMIT_KEY_PREFIX=prefix, AUTH_RATE_LIMIT="3 per minute",
                            RESET_RATE_LIMIT="2 per minute")
    yield application
    redis = Redis.from_url(REDIS_URL)
    for key in redis.scan_iter(f"*{prefix}*"):
        redis.delete(key)


def test_login_attempts_are_rate_limited_per_address(limited_app):
    client = limited_app.test_client()
    statuses = [client.post("/login/", data={"username": f"x-{tag()}", "password": WRONG}).status_code
                for _ in range(4)]
    assert statuses[:3] == [302, 302, 302] and statuses[3] == 429
    page = client.post("/login/", data={"username": "x", "password": WRONG}, headers={"Accept-Language": "fr"})
    assert page.status_code == 429 and "Trop de tentatives" in text(page)
    # another address is not held back
    other = limited_app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.77"
    assert other.post("/login/", data={"username": "x", "password": WRONG}).status_code == 302
    # reading the page is not limited
    assert client.get("/login/").status_code == 200


def test_password_reset_requests_are_rate_limited(limited_app):
    client = limited_app.test_client()
    statuses = [client.post("/account/forgot", data={"email": f"a{i}@example.org"}).status_code for i in range(3)]
    assert statuses == [302, 302, 429]
    assert client.get("/account/forgot").status_code == 200


# --- password policy on FAB's screens --------------------------------------------------------------

@pytest.mark.parametrize("password, accepted", [
    ("court", False), ("password1234", False), ("x" * 129, False),
    ("quatre chats gris dorment", True), ("x" * 128, True), ("Z" * 12, True),
])
def test_fab_user_screens_follow_the_password_policy(app, password, accepted):
    admin = account(app, role=ADMIN)
    client = english(app)
    login(client, admin["username"])
    username = f"new-{tag()}"
    with app.app_context():
        role_id = app.appbuilder.sm.find_role(AGENT).id
        db.session.remove()
    response = client.post("/users/add", data={
        "first_name": "Nouvelle", "last_name": "Agente", "username": username, "email": f"{username}@example.org",
        "active": "y", "roles": [str(role_id)], "password": password, "conf_password": password},
        headers={"Accept-Language": "en"})
    with app.app_context():
        created = db.session.scalar(select(User).where(User.username == username))
        db.session.remove()
    assert (created is not None) == accepted, text(response)[:0]
    if not accepted:
        assert response.status_code == 200
        page = text(response)
        assert any(message in page for message in ("at least 12 characters", "at most 128 characters",
                                                    "too common"))


# --- second factor for staff -----------------------------------------------------------------------

@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_must_pass_the_second_factor_before_any_back_office_page(app, role):
    staff = account(app, role=role)
    client = english(app)
    response = client.post("/login/", data={"username": staff["username"], "password": DEMO_PASSWORD})
    assert response.status_code == 302
    for url in ("/", "/users/userinfo/", "/accountview/list/", "/learnerview/list/", "/api/v1/menu/"):
        blocked = client.get(url)
        if url.startswith("/api/"):
            assert blocked.status_code == 401, url
        else:
            assert blocked.status_code == 302 and "/mfa/setup" in blocked.headers["Location"], url
    # enrolment: a QR code and the key, then a first code gives ten recovery codes
    page = text(client.get("/mfa/setup"))
    assert "<svg" in page and "mfa-qr" in page
    secret = re.search(r'data-secret="([A-Z2-7]+)"', page).group(1)
    wrong = client.post("/mfa/setup", data={"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 200 and "not right" in text(wrong)
    done = client.post("/mfa/setup", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", text(done))
    assert len(codes) == 10
    assert client.get("/users/userinfo/").status_code == 200
    with app.app_context():
        assert len(db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == staff["user_id"])).all()) == 10
        row = db.session.get(AccountSecurity, staff["user_id"])
        assert row.totp_enabled_at is not None and row.totp_secret == secret
        db.session.remove()


def test_a_code_works_once_and_recovery_codes_work_once(app):
    staff = account(app, role=AGENT)
    first = english(app)
    login(first, staff["username"])  # enrols through the pages
    secret = security_of(app, staff["user_id"]).totp_secret

    second = english(app)
    second.post("/login/", data={"username": staff["username"], "password": DEMO_PASSWORD})
    assert "/mfa/verify" in second.get("/learnerview/list/").headers["Location"]
    # the code that enrolled (same 30-second step) was used: refused
    reused = second.post("/mfa/verify", data={"code": pyotp.TOTP(secret).now()})
    assert reused.status_code == 200 and "already used" in text(reused)
    # a recovery code: once
    codes = _new_recovery_codes(app, staff["user_id"])
    assert second.post("/mfa/verify", data={"code": codes[0]}).status_code == 302
    assert second.get("/learnerview/list/").status_code == 200
    third = english(app)
    third.post("/login/", data={"username": staff["username"], "password": DEMO_PASSWORD})
    again = third.post("/mfa/verify", data={"code": codes[0]})
    assert again.status_code == 200 and third.get("/learnerview/list/").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mfa.recovery_code_used",
                                                           AuditEvent.actor_id == staff["user_id"])).first()
        db.session.remove()


def _new_recovery_codes(app, user_id) -> list[str]:
    from app.services import mfa

    with app.app_context():
        user = db.session.get(User, user_id)
        codes = mfa.new_recovery_codes(db.session, user)
        db.session.commit()
        db.session.remove()
    return codes


def test_wrong_codes_count_towards_the_lockout(app):
    staff = account(app, role=SUPPORT)
    login(english(app), staff["username"])
    client = english(app)
    client.post("/login/", data={"username": staff["username"], "password": DEMO_PASSWORD})
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        last = client.post("/mfa/verify", data={"code": "12345"})
    assert last.status_code == 302 and "/logout/" in last.headers["Location"]
    assert security_of(app, staff["user_id"]).locked_until is not None
    # locked: even the password and a good code do not get in
    fresh = english(app)
    fresh.post("/login/", data={"username": staff["username"], "password": DEMO_PASSWORD})
    assert fresh.get("/mfa/verify").status_code == 302 and not logged_in(fresh)


def test_learners_have_no_second_factor(app):
    learner = account(app)
    client = english(app)
    client.post("/login/", data={"username": learner["username"], "password": DEMO_PASSWORD})
    assert client.get("/my/documents/").status_code == 200
    assert client.get("/mfa/verify").status_code == 302
    assert logged_in(client)


# --- sessions --------------------------------------------------------------------------------------

def session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_the_session_is_rotated_at_login_and_dropped_at_logout(app):
    learner = account(app)
    client = english(app)
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    login(client, learner["username"])
    with client.session_transaction() as during:
        assert "planted" not in during and during.get("sid")
        first_sid = during["sid"]
    old_cookie = session_cookie(client)
    client.get("/logout/")
    assert not logged_in(client)
    # the cookie of the logged-out session, replayed, is not a login
    replay = english(app)
    replay.set_cookie("session", old_cookie)
    assert not logged_in(replay)
    login(client, learner["username"])
    with client.session_transaction() as again:
        assert again["sid"] != first_sid
    with app.app_context():
        rows = db.session.scalars(select(UserSession).where(UserSession.user_id == learner["user_id"])
                                  .order_by(UserSession.id)).all()
        assert [r.end_reason for r in rows] == [SessionEnd.LOGOUT, None]
        db.session.remove()


def test_a_password_change_ends_the_other_sessions(app):
    staff = account(app, role=ANALYST)
    here, elsewhere = english(app), english(app)
    login(here, staff["username"])
    login(elsewhere, staff["username"])
    new = "une phrase de passe toute neuve"
    changed = here.post("/resetmypassword/form", data={"current_password": DEMO_PASSWORD, "password": new,
                                                       "conf_password": new})
    assert changed.status_code == 302
    assert logged_in(here)
    gone = elsewhere.get("/users/userinfo/", follow_redirects=True, headers={"Accept-Language": "en"})
    assert "Your password was changed" in text(gone) and not logged_in(elsewhere)


def test_deactivating_an_account_ends_its_sessions(app):
    learner = account(app)
    client = english(app)
    login(client, learner["username"])
    with app.app_context():
        user = db.session.get(User, learner["user_id"])
        user.active = False
        db.session.commit()
        [row] = db.session.scalars(select(UserSession).where(UserSession.user_id == learner["user_id"])).all()
        assert row.end_reason == SessionEnd.DEACTIVATED
        db.session.remove()
    assert not logged_in(client)


def test_staff_sessions_end_after_idle_time_and_learners_do_not(app):
    staff, learner = account(app, role=PARTNER_STAFF), account(app)
    office, home = english(app), english(app)
    login(office, staff["username"])
    login(home, learner["username"])
    idle = app.config["STAFF_IDLE_MINUTES"]
    with app.app_context():
        db.session.execute(update(UserSession).where(UserSession.user_id.in_([staff["user_id"], learner["user_id"]]))
                           .values(last_seen_at=utcnow() - dt.timedelta(minutes=idle + 1)))
        db.session.commit()
        db.session.remove()
    answer = office.get("/users/userinfo/", headers={"Accept-Language": "fr"})
    assert answer.status_code == 302 and "/login/" in answer.headers["Location"]
    assert "inactivité" in text(office.get(answer.headers["Location"], headers={"Accept-Language": "fr"}))
    assert logged_in(home)
    with app.app_context():
        [row] = db.session.scalars(select(UserSession).where(UserSession.user_id == staff["user_id"])).all()
        assert row.end_reason == SessionEnd.IDLE
        db.session.remove()


def test_a_second_factor_reset_ends_sessions_and_asks_for_enrolment_again(app):
    from app.services import mfa

    staff = account(app, role=AGENT)
    client = english(app)
    login(client, staff["username"])
    with app.app_context():
        mfa.reset(db.session, db.session.get(User, staff["user_id"]), actor_id=None)
        db.session.commit()
        db.session.remove()
    assert not logged_in(client)
    client.post("/login/", data={"username": staff["username"], "password": DEMO_PASSWORD})
    assert "/mfa/setup" in client.get("/").headers["Location"]
    pass_second_factor(client, staff["username"])
    assert logged_in(client)


def test_staff_get_no_api_token_with_a_password_alone(app):
    staff, learner = account(app, role=AGENT), account(app)
    client = english(app)
    body = {"username": staff["username"], "password": DEMO_PASSWORD, "provider": "db"}
    assert client.post("/api/v1/security/login", json=body).status_code == 401
    body["username"] = learner["username"]
    answer = client.post("/api/v1/security/login", json=body)
    assert answer.status_code == 200 and answer.get_json()["access_token"]
    with app.app_context():
        refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failure")).all()
        assert any(e.changes.get("refused") == "second_factor_required" and e.changes["username"] == staff["username"]
                   for e in refused)
        db.session.remove()


def test_staff_renew_their_recovery_codes_and_the_old_ones_stop_working(app):
    staff, learner = account(app, role=ANALYST), account(app)
    client = english(app)
    login(client, staff["username"])
    assert "Recovery codes" in text(client.get("/users/userinfo/"))  # in the account menu
    page = client.get("/mfa/recovery-codes")
    assert page.status_code == 200 and "You have 10 unused recovery codes." in text(page)
    old = _new_recovery_codes(app, staff["user_id"])
    renewed = client.post("/mfa/recovery-codes")
    new = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", text(renewed))
    assert len(new) == 10 and not set(new) & set(old)
    other = english(app)
    other.post("/login/", data={"username": staff["username"], "password": DEMO_PASSWORD})
    assert other.post("/mfa/verify", data={"code": old[0]}).status_code == 200  # refused: stays on the page
    assert other.post("/mfa/verify", data={"code": new[0]}).status_code == 302
    with app.app_context():
        renewals = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mfa.recovery_codes_renewed",
                                                               AuditEvent.actor_id == staff["user_id"])).all()
        assert len(renewals) == 2  # the test's own renewal above, then the page's
        db.session.remove()
    # a learner has no second factor: no menu entry, the page sends them home
    home = english(app)
    login(home, learner["username"])
    assert "Recovery codes" not in text(home.get("/users/userinfo/"))
    assert home.get("/mfa/recovery-codes").status_code == 302
