"""CSRF: every URL rule that changes something refuses a request without a valid token.

The application is built with CSRF on (as in production). For every rule accepting POST, PUT,
PATCH or DELETE, an anonymous visitor, a learner and an administrator send the request with no
token and with a forged one: Flask-WTF must refuse it (400, logged as a CSRF failure) before the
view runs, and no row of the database may change. The only rules without the check are JSON APIs
that take no cookie (a JWT in the Authorization header, or the credentials of the token login):
a logged-in browser session sent to them is refused.
"""
from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager

import pytest
from werkzeug.routing import IntegerConverter
from sqlalchemy import inspect, select, text

from app.extensions import db
from tests.conftest import Auth, build_app
from tests.factories import World
from tests.route_policy import POLICY

MUTATING = ("POST", "PUT", "PATCH", "DELETE")
# Rules without the CSRF check: the learners' JWT API and the token login (it sets no cookie).
COOKIELESS_LOGIN = {"SecurityApi.login"}
# Written by every request of a logged-in session that reaches the views: its last activity.
ACTIVITY_TABLES = {"user_session"}


@pytest.fixture(scope="module")
def csrf_app(pg_url):
    application = build_app(pg_url, WTF_CSRF_ENABLED=True)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def csrf_off(app):
    """Log in through the shared helper (and second factor), which posts no token."""
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


@pytest.fixture(scope="module")
def clients(csrf_app):
    with World(csrf_app) as w:
        admin, learner = w.account(role="Admin"), w.account()
    result = {"anonymous": csrf_app.test_client()}
    for who, account in (("admin", admin), ("learner", learner)):
        result[who] = csrf_app.test_client()
        with csrf_off(csrf_app):
            Auth(result[who]).login(account["username"])
    assert result["admin"].get("/users/list/").status_code == 200, "the administrator is not logged in"
    assert result["learner"].get("/my/enrolments/").status_code == 200, "the learner is not logged in"
    return result


def first_pks(app) -> dict[str, str]:
    """{FAB view name: the primary key of its first row}: a missing check would hit a real row."""
    from flask_appbuilder import ModelView

    pks = {}
    with app.app_context():
        for view in app.appbuilder.baseviews:
            if isinstance(view, ModelView):
                item = db.session.scalar(select(view.datamodel.obj).limit(1))
                if item is not None:
                    pks[view.__class__.__name__] = str(view.datamodel.get_pk_value(item))
        db.session.remove()
    return pks


def mutating_requests(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL) for every mutating method of every rule, converters filled."""
    pks = first_pks(app)
    adapter = app.url_map.bind("localhost")
    requests = []
    for rule in app.url_map.iter_rules():
        view_name = rule.endpoint.split(".")[0]
        values = {}
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                values[name] = int(pks.get(view_name, 1)) if name == "pk" and pks.get(view_name, "").isdigit() else 1
            elif name == "pk":
                values[name] = pks.get(view_name, "1")
            elif name == "name":
                values[name] = "muldelete"
            else:
                values[name] = "x"
        for method in sorted(rule.methods & set(MUTATING)):
            requests.append((rule.endpoint, method, adapter.build(rule.endpoint, values, method=method)))
    return requests


def exempt(app, endpoint: str, url: str, method: str) -> bool:
    with app.test_request_context(url, method=method):
        from flask import request

        assert request.endpoint == endpoint
        return app.extensions["csrf"]._is_exempt()


def database_fingerprint(app) -> dict[str, str]:
    """{table: digest of all its rows}."""
    with app.app_context():
        digests = {}
        for table in inspect(db.engine).get_table_names():
            rows = db.session.execute(text(f'SELECT t::text FROM "{table}" AS t ORDER BY 1')).scalars()
            digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        db.session.remove()
    return digests


def test_the_rules_without_csrf_check_are_only_cookieless_apis(csrf_app):
    unchecked = sorted({endpoint for endpoint, method, url in mutating_requests(csrf_app)
                        if exempt(csrf_app, endpoint, url, method)})
    assert unchecked, "FAB's APIs should be exempt from the form check (they take no cookie)"
    wrong = [endpoint for endpoint in unchecked
             if POLICY.get(endpoint) != "api-jwt" and endpoint not in COOKIELESS_LOGIN]
    assert not wrong, "mutating rules without the CSRF check that are not JWT-only APIs:\n" + "\n".join(wrong)


@pytest.fixture
def csrf_refusals(csrf_app, monkeypatch):
    """The reasons Flask-WTF gives for each refusal, as it refuses (its log is silenced by Alembic)."""
    csrf = csrf_app.extensions["csrf"]
    refuse, reasons = csrf._error_response, []

    def recorded(reason):
        reasons.append(reason)
        refuse(reason)

    monkeypatch.setattr(csrf, "_error_response", recorded)
    return reasons


def test_every_mutating_rule_refuses_a_request_without_a_valid_token(csrf_app, clients, csrf_refusals):
    requests = mutating_requests(csrf_app)
    checked = [(endpoint, method, url) for endpoint, method, url in requests
               if not exempt(csrf_app, endpoint, url, method)]
    assert len(checked) > 200  # every FAB view's add/edit/delete/action, and the project's forms
    before = database_fingerprint(csrf_app)
    failures = []
    for who, client in clients.items():
        for token in (None, "forged-token"):
            for endpoint, method, url in checked:
                csrf_refusals.clear()
                data = {"csrf_token": token} if token else {}
                response = client.open(url, method=method, data=data, follow_redirects=False)
                if response.status_code == 404 and endpoint.endswith((".action", ".action_post")):
                    continue  # an action the view does not declare is refused even earlier (crafted_input)
                if response.status_code != 400 or not csrf_refusals:
                    failures.append(f"{who} {method} {url} ({endpoint}) token={token}: "
                                    f"{response.status_code} {csrf_refusals or 'not refused by the CSRF check'}")
    assert not failures, "requests not refused by the CSRF check:\n" + "\n".join(failures[:40])
    changed = [table for table, digest in database_fingerprint(csrf_app).items() if before.get(table) != digest]
    assert not changed, f"tables changed by refused requests: {changed}"


def test_cookieless_apis_refuse_a_logged_in_browser_session(csrf_app, clients):
    """A session cookie is no credential for the APIs that skip the CSRF check."""
    requests = [(endpoint, method, url) for endpoint, method, url in mutating_requests(csrf_app)
                if exempt(csrf_app, endpoint, url, method)]
    before = database_fingerprint(csrf_app)
    for who in ("admin", "learner"):
        for endpoint, method, url in requests:
            response = clients[who].open(url, method=method, json={})
            if endpoint in COOKIELESS_LOGIN:
                assert response.status_code == 400, (who, url, response.status_code)  # credentials needed
                assert "access_token" not in response.get_data(as_text=True)
            else:
                assert response.status_code == 401, (who, url, response.status_code)
    changed = [table for table, digest in database_fingerprint(csrf_app).items()
               if before.get(table) != digest and table not in ACTIVITY_TABLES]
    assert not changed, f"tables changed by refused API calls: {changed}"


def test_a_form_with_its_token_goes_through(csrf_app, clients):
    """The refusals above come from the token: the same learner's form with its token is accepted."""
    client = clients["learner"]
    page = client.get("/my/calendar/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/my/calendar/subscription").status_code == 400
    response = client.post("/my/calendar/subscription", data={"csrf_token": token})
    assert response.status_code in (200, 302)
    assert 'id="subscription-link"' in response.get_data(as_text=True) or response.status_code == 302
