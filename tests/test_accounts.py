"""Learner accounts: sign-up with e-mail verification, forgotten password, no account enumeration.

E-mails go through a real SMTP server on loopback, started by this module.
"""
from __future__ import annotations

import datetime as dt
import re
import socket
import uuid

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import (
    AccountToken, ClientCategory, DeliveryStatus, Job, Language, Learner, Message, TokenPurpose, UserPreference,
)
from app.models.base import utcnow
from app.services import accounts as service
from tests.conftest import build_app
from tests.conftest import login as conftest_login

GOOD_PASSWORD = "lentement mais sûrement"
NEW_PASSWORD = "trois tortues traversent"
LINK = re.compile(r"https?://\S+/account/(?:verify|reset)/[A-Za-z0-9_-]+")


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
def mail_app(pg_url, smtp):
    controller, _inbox = smtp
    application = build_app(pg_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    with application.app_context():
        if db.session.scalar(select(ClientCategory).where(ClientCategory.code == "test-accounts")) is None:
            db.session.add(ClientCategory(code="test-accounts", name_fr="Personne immigrante (essai)",
                                          name_en="Immigrant (test)"))
            db.session.commit()
        db.session.remove()
    return application


@pytest.fixture
def inbox(smtp):
    return smtp[1]


@pytest.fixture
def category_id(mail_app):
    with mail_app.app_context():
        return db.session.scalar(select(ClientCategory.id).where(ClientCategory.code == "test-accounts"))


def browser(mail_app, language: str = "en"):
    """A test client whose browser asks for pages in ``language``."""
    client = mail_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def new_address() -> str:
    return f"apprenant.{uuid.uuid4().hex[:10]}@example.org"


def mails_to(inbox: Inbox, address: str) -> list:
    return [m for m in inbox.messages if m["To"] == address]


def link_in(message) -> str:
    match = LINK.search(message.get_body(("plain",)).get_content())
    assert match, message.get_body(("plain",)).get_content()
    return match.group(0).split("localhost", 1)[1]


def sign_up(client, category_id, email, language="en", password=GOOD_PASSWORD, **fields):
    data = {"first_name": "Amina", "last_name": "Diallo", "email": email, "birth_date": "1990-05-31",
            "category": str(category_id), "language": language, "password": password, "confirm": password,
            "consent": "y", **fields}
    return client.post("/account/register", data=data)


def log_in(client, username, password):
    """Whether the login form let the account in."""
    response = conftest_login(client, username, password)
    return response.status_code == 302 and "/login" not in response.headers["Location"]


def page(response) -> str:
    return response.get_data(as_text=True)


def account_of(mail_app, email):
    """The account, learner file and saved preference of an address (None when there is no account)."""
    with mail_app.app_context():
        user = service.find_account(db.session, email)
        if user is None:
            return None
        learner = db.session.scalar(select(Learner).where(Learner.user_id == user.id))
        preference = db.session.get(UserPreference, user.id)
        return {"username": user.username, "active": user.active, "roles": [r.name for r in user.roles],
                "file_number": learner.file_number, "birth_date": learner.birth_date,
                "learner_language": learner.preferred_language,
                "saved_language": preference.language if preference else None}


# --- sign-up and verification -------------------------------------------------------------------

@pytest.mark.parametrize("language, subject, welcome", [
    ("en", "Confirm your e-mail address", "Welcome to Guichet Francisation"),
    ("fr", "Confirmez votre adresse courriel", "Bienvenue au Guichet Francisation"),
])
def test_sign_up_verify_then_log_in_in_the_chosen_language(mail_app, inbox, category_id, language, subject,
                                                          welcome):
    client = browser(mail_app)
    email = new_address()
    response = sign_up(client, category_id, email.upper(), language=language)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/register/sent")

    account = account_of(mail_app, email)
    assert (account["username"], account["active"], account["roles"]) == (email, False, ["Learner"])
    assert re.fullmatch(rf"FQ-{dt.date.today().year}-\d{{6}}", account["file_number"])
    assert account["birth_date"] == dt.date(1990, 5, 31)
    assert account["learner_language"] == account["saved_language"] == Language(language)
    assert not log_in(browser(mail_app), email, GOOD_PASSWORD), "an unverified account cannot log in"

    (verification,) = mails_to(inbox, email)
    assert verification["Subject"] == subject
    followed = client.get(link_in(verification), follow_redirects=True)
    assert followed.request.path == "/login/"

    fresh = browser(mail_app)
    assert log_in(fresh, email, GOOD_PASSWORD)
    assert f'<html lang="{language}"' in page(fresh.get("/"))
    assert [m["Subject"] for m in mails_to(inbox, email)] == [subject, welcome]


def test_a_verification_link_works_once_and_expires(mail_app, inbox, category_id):
    client = browser(mail_app)
    email = new_address()
    sign_up(client, category_id, email)
    link = link_in(mails_to(inbox, email)[0])
    assert client.get(link).status_code == 302
    again = client.get(link, follow_redirects=True)
    assert again.request.path == "/login/" and "already confirmed" in page(again)

    late = new_address()
    sign_up(client, category_id, late)
    with mail_app.app_context():
        user = service.find_account(db.session, late)
        db.session.execute(update(AccountToken).where(AccountToken.user_id == user.id)
                           .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()
    expired = client.get(link_in(mails_to(inbox, late)[0]))
    assert expired.status_code == 410 and "has expired" in page(expired)
    assert 'href="/account/forgot"' in page(expired)
    assert account_of(mail_app, late)["active"] is False
    assert client.get("/account/verify/not-a-token").status_code == 404


def test_a_second_sign_up_with_a_taken_address_gets_the_same_page(mail_app, inbox, category_id):
    email, other = new_address(), new_address()
    first = sign_up(browser(mail_app), category_id, email)
    duplicate = sign_up(browser(mail_app), category_id, email.title(), first_name="Mallory",
                        password="un tout autre mot de passe")
    brand_new = sign_up(browser(mail_app), category_id, other)
    assert (duplicate.status_code, duplicate.headers["Location"]) == (first.status_code, first.headers["Location"])
    assert (brand_new.status_code, brand_new.headers["Location"]) == (first.status_code, first.headers["Location"])
    client = browser(mail_app)
    assert page(client.get(duplicate.headers["Location"])) == page(client.get(brand_new.headers["Location"]))

    with mail_app.app_context():
        assert db.session.scalar(select(func.count(Learner.id)).where(Learner.email == email)) == 1
        assert db.session.scalar(select(Learner.first_name).where(Learner.email == email)) == "Amina"
    verification, attempt = mails_to(inbox, email)
    assert attempt["Subject"] == "Someone tried to create an account with your address"
    assert "/account/forgot" in plain_text(attempt) and "Mallory" not in plain_text(attempt)
    client.get(link_in(verification))
    assert log_in(browser(mail_app), email, GOOD_PASSWORD), "the first password stays"


@pytest.mark.parametrize("password, confirm, message", [
    ("elevenchars", "elevenchars", "at least 12 characters"),
    ("x" * 129, "x" * 129, "at most 128 characters"),
    ("password1234", "password1234", "too common"),
    ("QwertyUiop123", "QwertyUiop123", "too common"),
    (GOOD_PASSWORD, GOOD_PASSWORD + "!", "not the same"),
])
def test_weak_short_or_common_passwords_are_refused_and_the_rest_is_kept(mail_app, inbox, category_id,
                                                                       password, confirm, message):
    email = new_address()
    response = browser(mail_app).post("/account/register", data={
        "first_name": "Amina", "last_name": "Diallo", "email": email, "birth_date": "1990-05-31",
        "category": str(category_id), "language": "en", "password": password, "confirm": confirm,
        "consent": "y"})
    assert response.status_code == 200
    body = page(response)
    assert message in body
    assert 'value="Diallo"' in body and f'value="{email}"' in body and 'value="1990-05-31"' in body
    assert password not in body
    assert account_of(mail_app, email) is None and mails_to(inbox, email) == []


def test_a_refused_password_is_explained_in_french_by_default(mail_app, category_id):
    response = sign_up(browser(mail_app, "fr"), category_id, new_address(), password="trop court")
    assert "Votre mot de passe doit compter au moins 12 caractères." in page(response)


def test_the_password_policy_counts_characters_and_nothing_else():
    assert service.password_problem("a" * 11) is not None
    assert service.password_problem("sans chiffre") is None  # 12 characters, no composition rule
    assert service.password_problem("é" * 128) is None
    assert service.password_problem("é" * 129) is not None
    assert service.password_problem("Password1234") is not None
    assert service.password_problem("me@example.org", email="ME@example.org ") is not None


def test_sign_up_requires_consent_and_a_real_birth_date(mail_app, category_id):
    client = browser(mail_app)
    email = new_address()
    no_consent = sign_up(client, category_id, email, consent="")
    assert no_consent.status_code == 200 and "accept the privacy notice" in page(no_consent)
    future = sign_up(client, category_id, email, birth_date=(dt.date.today() + dt.timedelta(days=1)).isoformat())
    assert future.status_code == 200 and "in the past" in page(future)
    assert account_of(mail_app, email) is None


# --- forgotten password ---------------------------------------------------------------------------

def active_account(mail_app, inbox, category_id) -> str:
    email = new_address()
    client = browser(mail_app)
    sign_up(client, category_id, email)
    client.get(link_in(mails_to(inbox, email)[0]))
    return email


def ask_reset(mail_app, email):
    return browser(mail_app).post("/account/forgot", data={"email": email})


def test_an_unknown_address_gets_the_same_answer_and_no_mail(mail_app, inbox, category_id):
    known = active_account(mail_app, inbox, category_id)
    unknown = new_address()
    before = len(mails_to(inbox, known))
    for_known, for_unknown = ask_reset(mail_app, known), ask_reset(mail_app, unknown)
    assert (for_known.status_code, for_known.headers["Location"], page(for_known)) == \
        (for_unknown.status_code, for_unknown.headers["Location"], page(for_unknown))
    client = browser(mail_app)
    shown = page(client.get(for_known.headers["Location"]))
    assert "If an account exists for this address" in shown
    assert shown == page(client.get(for_unknown.headers["Location"]))
    assert [m["Subject"] for m in mails_to(inbox, known)[before:]] == ["Choose a new password"]
    assert mails_to(inbox, unknown) == []


def test_a_reset_link_works_once(mail_app, inbox, category_id):
    email = active_account(mail_app, inbox, category_id)
    ask_reset(mail_app, email)
    link = link_in(mails_to(inbox, email)[-1])
    client = browser(mail_app)
    form = client.get(link)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    assert form.headers["Referrer-Policy"] == "no-referrer"

    weak = client.post(link, data={"password": "short", "confirm": "short"})
    assert weak.status_code == 200 and "at least 12 characters" in page(weak)
    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, follow_redirects=True)
    assert done.request.path == "/login/" and "Your password has been changed" in page(done)
    assert mails_to(inbox, email)[-1]["Subject"] == "Your password has been changed"

    assert log_in(browser(mail_app), email, NEW_PASSWORD)
    assert not log_in(browser(mail_app), email, GOOD_PASSWORD)
    used = client.get(link)
    assert used.status_code == 410 and "already been used" in page(used)
    replay = client.post(link, data={"password": "encore un autre essai", "confirm": "encore un autre essai"})
    assert replay.status_code == 410
    assert log_in(browser(mail_app), email, NEW_PASSWORD)


def test_a_reset_link_expires_after_an_hour(mail_app, inbox, category_id):
    email = active_account(mail_app, inbox, category_id)
    ask_reset(mail_app, email)
    link = link_in(mails_to(inbox, email)[-1])
    token = link.rsplit("/", 1)[1]
    with mail_app.app_context():
        row = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == service.token_hash(token)))
        assert row.purpose == TokenPurpose.RESET_PASSWORD and row.token_hash != token
        assert dt.timedelta(minutes=59) < row.expires_at - row.created_at <= dt.timedelta(hours=1)
        assert service.check_token(db.session, token, TokenPurpose.RESET_PASSWORD,
                                   now=row.created_at + dt.timedelta(minutes=61)).state == "expired"
        row.expires_at = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    client = browser(mail_app)
    expired = client.get(link)
    assert expired.status_code == 410 and "has expired" in page(expired)
    assert 'href="/account/forgot"' in page(expired)
    refused = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert refused.status_code == 410
    assert log_in(browser(mail_app), email, GOOD_PASSWORD)


def test_a_new_password_retires_the_other_reset_links(mail_app, inbox, category_id):
    email = active_account(mail_app, inbox, category_id)
    ask_reset(mail_app, email)
    ask_reset(mail_app, email)
    older, newer = (link_in(m) for m in mails_to(inbox, email)[-2:])
    client = browser(mail_app)
    client.post(newer, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert client.get(older).status_code == 410


def test_a_reset_confirms_an_address_never_verified_but_not_a_deactivated_account(mail_app, inbox, category_id):
    pending = new_address()
    sign_up(browser(mail_app), category_id, pending)
    ask_reset(mail_app, pending)
    reset = mails_to(inbox, pending)[-1]
    assert reset["Subject"] == "Choose a new password"
    browser(mail_app).post(link_in(reset), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert log_in(browser(mail_app), pending, NEW_PASSWORD)

    closed = active_account(mail_app, inbox, category_id)
    with mail_app.app_context():
        service.find_account(db.session, closed).active = False  # deactivated by staff
        db.session.commit()
    before = len(mails_to(inbox, closed))
    assert ask_reset(mail_app, closed).headers["Location"].endswith("/account/forgot/sent")
    assert len(mails_to(inbox, closed)) == before


# --- pages ------------------------------------------------------------------------------------------

def test_the_login_page_links_to_sign_up_and_forgotten_password(mail_app):
    body = page(browser(mail_app).get("/login/"))
    assert 'href="/account/register"' in body and 'href="/account/forgot"' in body


def test_the_sign_up_form_labels_every_field_and_links_the_privacy_notice(mail_app):
    client = browser(mail_app)
    body = page(client.get("/account/register"))
    for name in ("first_name", "last_name", "email", "birth_date", "category", "password", "confirm", "consent"):
        assert f'for="{name}"' in body and f'id="{name}"' in body, name
    assert "<legend" in body and 'name="language"' in body
    assert 'href="/account/privacy"' in body
    assert client.get("/account/privacy").status_code == 200


# --- where the secret goes --------------------------------------------------------------------------

def test_the_secret_of_a_link_is_only_in_the_e_mail(mail_app, inbox, category_id):
    email = new_address()
    sign_up(browser(mail_app), category_id, email)
    ask_reset(mail_app, email)
    tokens = [link_in(m).rsplit("/", 1)[1] for m in mails_to(inbox, email)]
    assert len(tokens) == 2
    with mail_app.app_context():
        kept = db.session.scalars(select(Message).where(Message.recipient == email)).all()
        jobs = db.session.scalars(select(Job.args).where(Job.task.in_(
            ["deliver_account_link", "send_password_reset"]))).all()
        hashes = set(db.session.scalars(select(AccountToken.token_hash)))
    assert [m.status for m in kept] == [DeliveryStatus.SENT, DeliveryStatus.SENT]
    for token in tokens:
        assert service.token_hash(token) in hashes
        assert not any(token in m.body or token in str(m.payload) for m in kept)
        assert not any(token in str(args) for args in jobs)
    assert all("(personal link, in the e-mail only)" in m.body for m in kept)


def test_without_a_mail_server_the_mail_folder_holds_a_working_link(app, category_id):
    """The embedded mode: the e-mail is written to the local mail folder with its link; the kept
    copy, which staff can read, has none."""
    from email import message_from_bytes
    from email.policy import default

    from app.services.messaging import mail_folder

    email = new_address()
    client = browser(app)
    sign_up(client, category_id, email)
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.recipient == email))
        assert message.status == DeliveryStatus.OUTBOX
        assert LINK.search(message.body) is None
        files = sorted(mail_folder().glob(f"{message.id:08d}-*.eml"))
    assert len(files) == 1 and oct(files[0].stat().st_mode & 0o777) == "0o600"
    delivered = message_from_bytes(files[0].read_bytes(), policy=default)
    assert delivered["To"] == email
    link = link_in(delivered)
    assert client.get(link, follow_redirects=True).request.path == "/login/"
    assert log_in(browser(app), email, GOOD_PASSWORD)


def plain_text(email) -> str:
    """The text part of a (multipart) e-mail."""
    return email.get_body(("plain",)).get_content()
