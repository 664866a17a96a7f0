"""The API keeps its own OpenAPI contract (issue 11, item 9).

Schemathesis reads the spec FAB publishes at /api/v1/_openapi and sends each operation generated
requests (valid and invalid), through the WSGI app on PostgreSQL, anonymously and with a learner's
token: no answer is a server error and every answer matches the spec (status documented, body of
the documented schema). The examples are bounded (derandomised, a few per operation) to keep the
suite fast; the unit tests below pin the disagreements that were found.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from app.extensions import db
from tests.conftest import DEMO_PASSWORD, minted_token

EXAMPLES_PER_OPERATION = 12
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api(demo_app):
    """The spec as Schemathesis reads it, and the Authorization header of a learner with a file."""
    from tests.test_security_checks import learner_with_a_file

    with demo_app.app_context():
        username, _ids = learner_with_a_file(demo_app)
        db.session.commit()
        db.session.remove()
    token = demo_app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": DEMO_PASSWORD, "provider": "db"}).get_json()["access_token"]
    # the spec itself is for staff (FAB's permission on OpenApi): read it with the admin's token
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", demo_app, headers=minted_token(demo_app, "admin"))
    return schema, {"Authorization": f"Bearer {token}"}


def operations(schema):
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 8, [op.label for op in found]
    return found


def run_operation(operation, headers: dict, failures: list) -> int:
    calls = []

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def check(case):
        calls.append(1)
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except AssertionError as error:  # schemathesis' failures (grouped, with the curl to replay)
            failures.append(f"{operation.label}: {str(error)[:1500]}")
            raise

    try:
        check()
    except (Exception, BaseExceptionGroup) as error:  # hypothesis re-raises the (shrunk) failure once recorded
        if not failures or operation.label not in failures[-1]:
            failures.append(f"{operation.label}: {type(error).__name__}: {str(error)[:1500]}")
    return len(calls)


@pytest.mark.parametrize("who", ["anonymous", "learner"])
def test_every_api_answer_keeps_the_openapi_contract(api, who):
    schema, learner_header = api
    headers = learner_header if who == "learner" else {}
    failures, calls = [], 0
    for operation in operations(schema):
        calls += run_operation(operation, headers, failures)
    print(f"schemathesis ({who}): {calls} calls")
    assert calls > 40
    assert not failures, "\n\n".join(failures)


# --- the disagreements found, one test each ---------------------------------------------------------

def test_a_400_message_is_a_string(demo_app):
    response = demo_app.test_client().get("/api/v1/catalogue/sections?level=99&page=0")
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert isinstance(message, str) and "level" in message and "page" in message


@pytest.mark.parametrize("authorization", ["Bearer not-a-token", "Bearer a.b.c", "Bearer ", "Basic abc"])
def test_a_malformed_bearer_token_is_a_401_with_a_message(demo_app, authorization):
    response = demo_app.test_client().get("/api/v1/my/enrolments", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert isinstance(response.get_json()["message"], str)


def test_amounts_and_hours_are_decimal_strings_and_the_spec_says_so(demo_app, api):
    schema, _header = api
    components = schema.raw_schema["components"]["schemas"]
    decimal_fields = {"amount", "paid", "awaiting", "hours_planned", "hours_scheduled", "hours_attended"}
    decimals = {(name, field): spec for name, component in components.items()
                for field, spec in component.get("properties", {}).items() if field in decimal_fields}
    assert len(decimals) >= 6, decimals
    assert all(spec["type"] == "string" and spec["format"] == "decimal" for spec in decimals.values()), decimals
    with demo_app.app_context():
        from sqlalchemy import select

        from app.models import Learner, Payment
        from flask_appbuilder.security.sqla.models import User

        username = db.session.scalar(select(User.username).join(Learner, Learner.user_id == User.id)
                                     .join(Payment, Payment.learner_id == Learner.id).limit(1))
        db.session.remove()
    assert username, "the demo data has a paid learner"
    header = minted_token(demo_app, username)
    record = demo_app.test_client().get("/api/v1/my/file/finance", headers=header).get_json()
    amounts = [payment["amount"] for payment in record["payments"]["result"]]
    assert amounts and all(isinstance(amount, str) and amount.count(".") == 1 for amount in amounts)


@pytest.mark.parametrize("body", [{"section_id": 2**31}, {"section_id": 2**63}, {"section_id": -(2**40)}])
def test_an_integer_overflow_in_a_json_body_is_a_400(demo_app, api, body):
    _schema, header = api
    response = demo_app.test_client().post("/api/v1/my/enrolments", json=body, headers=header)
    assert response.status_code == 400
    assert isinstance(response.get_json()["message"], str)


def test_the_token_login_without_a_provider_uses_the_database(demo_app):
    response = demo_app.test_client().post("/api/v1/security/login", json={"username": "nobody", "password": "x"})
    assert response.status_code == 401
    response = demo_app.test_client().post("/api/v1/security/login", json={})
    assert response.status_code == 400 and isinstance(response.get_json()["message"], str)


def test_the_spec_lists_the_refusals_of_protected_operations(api):
    schema, _header = api
    menu = schema.raw_schema["paths"]["/api/v1/menu/"]["get"]["responses"]
    assert {"401", "403"} <= set(menu)


def test_an_integer_overflow_in_an_api_path_is_a_404(demo_app, api):
    _schema, header = api
    response = demo_app.test_client().post(f"/api/v1/my/enrolments/{2**63}/drop", json={}, headers=header)
    assert response.status_code == 404
    assert isinstance(response.get_json()["message"], str)


def test_a_huge_page_number_is_a_400(demo_app, api):
    _schema, header = api
    client = demo_app.test_client()
    for url in ("/api/v1/my/file/training?page=100000000000000000", "/api/v1/my/enrolments?page=10000000000000",
                "/api/v1/my/file/finance?payments_page=100000000000000", "/api/v1/catalogue/sections?page=10000000000"):
        response = client.get(url, headers=header)
        assert response.status_code == 400, url
