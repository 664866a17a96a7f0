"""Web hardening (issue 6, ASVS 5 L2): security headers and a CSP without inline script on every
page, no cache of pages, HTTPS and secure cookies in production, redirects that stay on the site.

tests/browser/test_csp_browser.py proves in a real Chromium that the pages still work under the
policy (back-office list, search, edit and delete; the learner's timetable; Swagger).
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import select

from app.extensions import db
from app.web_security import CONTENT_SECURITY_POLICY
from tests.conftest import DEMO_PASSWORD, Auth
from tests.factories import World

STATIC_FILES = ("/static/css/guichet.css", "/static/js/record_actions.js", "/static/appbuilder/js/ab.js")


def policy_of(response) -> dict[str, set[str]]:
    """The Content-Security-Policy header as {directive: {sources}}."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request.path}: no Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def assert_hardened_headers(response, path: str) -> None:
    csp = policy_of(response)
    assert csp["script-src"] == {"'self'"}, f"{path}: script-src {csp['script-src']}"
    assert csp["object-src"] == {"'none'"} and csp["frame-ancestors"] == {"'none'"}, path
    assert csp["base-uri"] == {"'self'"} and csp["form-action"] == {"'self'"}, path
    assert csp["img-src"] == {"'self'", "data:"} and csp["default-src"] == {"'self'"}, path
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    assert response.headers.get("X-Frame-Options") == "DENY", path
    assert response.headers.get("Referrer-Policy") in ("strict-origin-when-cross-origin", "no-referrer",
                                                       "same-origin", "strict-origin"), path


class ScriptAudit(HTMLParser):
    """What a CSP without 'unsafe-inline' would block in a page: inline <script> blocks (JSON data
    blocks are not run, so they are allowed), on* event attributes and javascript: URLs."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._inline_script = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            kind = (attributes.get("type") or "").lower()
            self._inline_script = "src" not in attributes and kind not in ("application/json", "application/ld+json")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in self.URL_ATTRIBUTES and re.sub(r"\s", "", value or "").lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")

    def handle_data(self, data):
        if self._inline_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._inline_script = False


def get_rules_without_arguments(app):
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and not rule.arguments and not rule.endpoint.endswith("static")
                  and not rule.endpoint.endswith(".logout"))


def record_pages(app) -> list[str]:
    """The show and edit pages of the first row of every FAB ModelView that has rows."""
    from flask_appbuilder import ModelView

    pages = []
    with app.app_context():
        for view in app.appbuilder.baseviews:
            if not isinstance(view, ModelView):
                continue
            model = view.datamodel.obj
            item = db.session.scalar(select(model).limit(1))
            if item is None:
                continue
            pk = view.datamodel.get_pk_value(item)
            base = view.route_base
            pages += [f"{base}/show/{pk}", f"{base}/edit/{pk}"]
        db.session.remove()
    return pages


@pytest.fixture(scope="module")
def people(app):
    """Logged-in clients: an administrator, a learner and an anonymous visitor."""
    with World(app) as w:
        admin, learner = w.account(role="Admin"), w.account()
    clients = {"anonymous": app.test_client(), "admin": app.test_client(), "learner": app.test_client()}
    Auth(clients["admin"]).login(admin["username"])
    Auth(clients["learner"]).login(learner["username"])
    assert clients["admin"].get("/users/list/").status_code == 200, "the administrator is not logged in"
    assert clients["learner"].get("/my/enrolments/").status_code == 200, "the learner is not logged in"
    return clients


# --- headers ---------------------------------------------------------------------------------------

def test_every_page_sends_the_security_headers_and_no_inline_script(app, people):
    """Every GET page without arguments, for each kind of visitor, and the record pages of every
    back-office view: the policy and headers are there, and nothing in the page needs inline script."""
    paths = get_rules_without_arguments(app)
    visits = [(who, path) for who in people for path in paths]
    visits += [("admin", path) for path in record_pages(app) + ["/swagger/v1"]]
    visits += [("anonymous", "/nowhere-to-be-found"), ("learner", "/users/list/")]
    problems, pages_checked = [], 0
    for who, path in visits:
        response = people[who].get(path)
        assert_hardened_headers(response, path)
        if response.mimetype == "text/html" and response.status_code == 200:
            pages_checked += 1
            audit = ScriptAudit(response.get_data(as_text=True))
            problems += [f"{who} {path}: {problem}" for problem in audit.problems]
    assert not problems, "pages that need inline script:\n" + "\n".join(problems)
    assert pages_checked > 100  # the visit reached real pages, not only redirects and refusals


def test_second_factor_pages_hold_no_inline_script(app):
    """The pages a staff account meets between its password and its code (the sweep above is made
    by an administrator who has passed them)."""
    with World(app) as w:
        account = w.account(role="Admin")
    client = app.test_client()
    client.post("/login/", data={"username": account["username"], "password": DEMO_PASSWORD})
    response = client.get("/mfa/setup")
    assert response.status_code == 200 and "data-secret" in response.get_data(as_text=True)
    assert_hardened_headers(response, "/mfa/setup")
    assert response.headers["Cache-Control"] == "no-store"
    assert not ScriptAudit(response.get_data(as_text=True)).problems


def test_the_policy_runs_no_inline_or_evaluated_script():
    assert CONTENT_SECURITY_POLICY["script-src"].split() == ["'self'"]
    for directive, sources in CONTENT_SECURITY_POLICY.items():
        assert "'unsafe-eval'" not in sources and "'strict-dynamic'" not in sources, directive
        assert "'unsafe-inline'" not in sources or directive == "style-src", directive


def test_an_audit_of_a_page_with_inline_script_finds_it():
    """The audit above must be able to fail."""
    audit = ScriptAudit('<script>alert(1)</script><script type="application/json">{"a": 1}</script>'
                        '<a href="javascript:void(0)">x</a><button onclick="go()">y</button>'
                        '<script src="/static/js/guichet.js"></script>')
    assert len(audit.problems) == 3


def test_no_hsts_and_no_https_redirect_in_development(client):
    plain = client.get("/")
    assert plain.status_code == 200 and "Strict-Transport-Security" not in plain.headers
    secure = client.get("/", base_url="https://localhost")
    assert "Strict-Transport-Security" not in secure.headers


def test_pages_the_token_links_open_keep_their_stricter_referrer_policy(client):
    response = client.get("/account/reset/not-a-real-token")
    assert response.headers["Referrer-Policy"] == "no-referrer"


# --- caching ---------------------------------------------------------------------------------------

def test_pages_are_never_stored_but_static_files_are_cacheable(app, people):
    for who, path in [("learner", "/my/enrolments/"), ("learner", "/my/timetable/"), ("learner", "/my/file/"),
                      ("learner", "/"), ("admin", "/users/list/"), ("admin", "/learnerview/list/"),
                      ("admin", "/agent/desk/"), ("anonymous", "/login/"), ("anonymous", "/account/forgot"),
                      ("anonymous", "/")]:
        response = people[who].get(path)
        assert response.status_code in (200, 302), (who, path, response.status_code)
        assert response.headers.get("Cache-Control") == "no-store", (who, path)
        assert response.headers.get("Pragma") == "no-cache", (who, path)
    for path in STATIC_FILES:
        response = people["learner"].get(path)
        assert response.status_code == 200, path
        assert "no-store" not in response.headers.get("Cache-Control", ""), path
        assert "Pragma" not in response.headers, path
        response.close()


# --- cookies and HTTPS -----------------------------------------------------------------------------

def session_cookie(response) -> str:
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    assert cookies, "no session cookie was set"
    return cookies[-1]


def test_development_keeps_its_session_cookie_over_plain_http(app):
    """Talisman would mark the cookie Secure by itself: over http the browser would drop it."""
    with World(app) as w:
        account = w.account()
    client = app.test_client()
    response = client.post("/login/", data={"username": account["username"], "password": DEMO_PASSWORD})
    cookie = session_cookie(response)
    assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert client.get("/my/enrolments/").status_code == 200


@pytest.fixture(scope="module")
def production_app(app, pg_url):
    """The application built from ProductionConfig (environment: a real secret, the test database)."""
    import os

    from app import create_app
    from config import ProductionConfig

    saved = {key: os.environ.get(key) for key in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL",
                                                  "TOTP_ENCRYPTION_KEY")}
    os.environ.update(SECRET_KEY="production-secret-for-the-hardening-tests-0123456789", DATABASE_URL=pg_url,
                      PUBLIC_BASE_URL="https://localhost",
                      TOTP_ENCRYPTION_KEY="6Xk1yQzq0mQe4Pj0t9xg3r5m3y0jYb2Jt3y8b1Qm2Ww=")
    try:
        application = create_app(ProductionConfig())
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    yield application
    with application.app_context():
        db.session.remove()


def test_production_redirects_plain_http_and_sends_hsts(production_app):
    assert production_app.config["FORCE_HTTPS"] is True
    client = production_app.test_client()
    plain = client.get("/catalogue/?q=fran%C3%A7ais")
    assert plain.status_code in (301, 302)
    assert plain.headers["Location"] == "https://localhost/catalogue/?q=fran%C3%A7ais"
    secure = client.get("/catalogue/", base_url="https://localhost")
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31556926")
    assert_hardened_headers(secure, "/catalogue/")
    # behind the reverse proxy that ends TLS
    proxied = client.get("/catalogue/", headers={"X-Forwarded-Proto": "https"})
    assert proxied.status_code == 200 and "Strict-Transport-Security" in proxied.headers


def test_production_session_cookie_is_secure_httponly_and_lax(production_app):
    with World(production_app) as w:
        account = w.account()
    client = production_app.test_client()
    page = client.get("/login/", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login/", base_url="https://localhost",
                           headers={"Referer": "https://localhost/login/"},
                           data={"username": account["username"], "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    cookie = [part.strip() for part in session_cookie(response).split(";")]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    config = production_app.config
    assert (config["REMEMBER_COOKIE_SECURE"], config["REMEMBER_COOKIE_HTTPONLY"],
            config["REMEMBER_COOKIE_SAMESITE"]) == (True, True, "Lax")


# --- redirects -------------------------------------------------------------------------------------

# What an attacker puts in a "next" parameter to leave the site; browsers read "\" as "/" and drop
# tabs and new lines in URLs.
OFF_SITE = ["//evil.example/", "/\\evil.example/", "\\\\evil.example/", "/\\/evil.example/", "/\t/evil.example/",
            " //evil.example/", "https://evil.example/", "http:evil.example", "javascript:alert(1)",
            "JaVaScRiPt:alert(1)", "///evil.example/", "http://localhost@evil.example/"]


def lands_on_the_site(location: str) -> bool:
    """Whether a browser stays on this site with this Location header, read the way browsers read
    it (tabs and new lines dropped, "\\" taken for "/", any run of slashes before a host), and
    strictly: a scheme is only accepted with this host."""
    cleaned = re.sub(r"^[\x00-\x20]+|[\x00-\x20]+$", "", re.sub(r"[\t\n\r]", "", location)).replace("\\", "/")
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", cleaned):
        target = urlsplit(cleaned)
        return target.scheme in ("http", "https") and cleaned.split(":", 1)[1].startswith("//") \
            and target.netloc == "localhost"
    return not cleaned.startswith("//")


def test_the_redirect_check_itself_catches_off_site_targets():
    assert all(not lands_on_the_site(target) for target in OFF_SITE)
    assert lands_on_the_site("/my/enrolments/?page=2") and lands_on_the_site("http://localhost/")


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_next_never_leaves_the_site(app, target):
    with World(app) as w:
        account = w.account()
    client = app.test_client()
    response = client.post(f"/login/?next={quote(target, safe='')}",
                           data={"username": account["username"], "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert lands_on_the_site(response.headers["Location"]), response.headers["Location"]


def test_login_next_keeps_a_page_of_the_site(app):
    with World(app) as w:
        account = w.account()
    client = app.test_client()
    response = client.post("/login/?next=%2Fmy%2Fenrolments%2F%3Fpage%3D1",
                           data={"username": account["username"], "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/my/enrolments/?page=1"


@pytest.mark.parametrize("target", OFF_SITE)
def test_second_factor_next_never_leaves_the_site(app, target):
    """The staff second-factor pages send back to ``next`` once the code is accepted."""
    from flask import redirect

    from app.views import mfa

    with app.test_request_context(f"/mfa/verify?next={quote(target, safe='')}"):
        response = redirect(mfa._next_url())
        location = response.get_wsgi_headers(response_environ())["Location"]
    assert lands_on_the_site(location), location


def response_environ() -> dict:
    from werkzeug.test import EnvironBuilder

    return EnvironBuilder(path="/", base_url="http://localhost").get_environ()


# "/<tab>/host" must be refused too: Werkzeug drops the tab from the Location header, which would
# become "//host" (safe_target refuses any target that is not printable).
@pytest.mark.parametrize("target", OFF_SITE)
def test_agent_desk_next_never_leaves_the_site(app, target):
    """The agent desk's forms post a hidden ``next`` (the queue page to return to)."""
    from flask import redirect

    from app.views.admin.agent_desk import safe_target

    with app.test_request_context("/agent/desk/"):
        response = redirect(safe_target(target, "/agent/desk/"))
        location = response.get_wsgi_headers(response_environ())["Location"]
    assert lands_on_the_site(location), location
