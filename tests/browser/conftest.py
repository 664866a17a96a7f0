"""Real-browser fixtures: the app served on loopback, Debian's Chromium driven by Playwright."""
from __future__ import annotations

import shutil
import socket
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import require

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="session")
def live_server(demo_app):
    """The demo application served by a real HTTP server on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, demo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    require(shutil.which("chromium") is not None, "Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-CA")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def log_in(demo_app, live_server):
    """``log_in(page, username)``: the login form, then the second factor for a staff account
    (enrolled from the key shown on the page the first time, a fresh TOTP code afterwards)."""
    import pyotp
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AccountSecurity
    from tests.conftest import DEMO_PASSWORD

    def log_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
        page.goto(f"{live_server}/login/")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("[type=submit]")
        page.wait_for_load_state()
        if "/mfa/setup" in page.url:
            secret = page.get_attribute(".gf-mfa-secret", "data-secret")
            page.fill("#code", pyotp.TOTP(secret).now())
            page.click("[type=submit]")
            page.wait_for_load_state()
            page.click(".gf-account a.btn-primary")  # "I have kept them, continue"
            page.wait_for_load_state()
        elif "/mfa/verify" in page.url:
            with demo_app.app_context():
                user_id = db.session.scalar(select(User.id).where(User.username == username))
                row = db.session.get(AccountSecurity, user_id)
                row.totp_last_step = None  # many logins of one account within a 30-second step
                db.session.commit()
                secret = row.totp_secret
                db.session.remove()
            page.fill("#code", pyotp.TOTP(secret).now())
            page.click("[type=submit]")
            page.wait_for_load_state()

    return log_in
