"""Crafted input answers 400 or 404 with the usual page, never 500 (issue 11, item 4): one test
per control of app/crafted_input.py (the route fuzz, tests/test_route_fuzz.py, covers every route)."""
from __future__ import annotations

import pytest
from werkzeug.routing import Map, Rule

from app.services.access import LEARNER
from tests.conftest import Auth
from tests.factories import make_account


@pytest.fixture(scope="module")
def admin(demo_app):
    client = demo_app.test_client()
    Auth(client).login("admin")
    return client


@pytest.fixture(scope="module")
def learner(demo_app):
    from app.extensions import db

    with demo_app.app_context():
        username = make_account(demo_app, role=LEARNER)["username"]
        db.session.commit()
        db.session.remove()
    client = demo_app.test_client()
    Auth(client).login(username)
    return client


def test_the_int_converter_stops_at_the_databases_integer():
    from app.crafted_input import BoundedIntegerConverter

    urls = Map([Rule("/x/<int:pk>", endpoint="x")], converters={"int": BoundedIntegerConverter}).bind("h")
    assert urls.match("/x/2147483647") == ("x", {"pk": 2**31 - 1})
    for value in (2**31, 2**63, 10**30, "9" * 5000):
        with pytest.raises(Exception) as refused:
            urls.match(f"/x/{value}")
        assert getattr(refused.value, "code", None) == 404


@pytest.mark.parametrize("value", [2**31, 2**63, 10**30])
def test_an_oversized_id_in_a_path_is_a_translated_404(demo_app, value):
    response = demo_app.test_client().get(f"/catalogue/section/{value}")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_a_nul_byte_in_a_login_name_is_a_400(demo_app):
    response = demo_app.test_client().post("/login/", data={"username": "admin\x00", "password": "x"})
    assert response.status_code == 400
    assert "Requête invalide" in response.get_data(as_text=True)


def test_a_nul_byte_in_the_api_login_is_a_400_with_a_message(demo_app):
    response = demo_app.test_client().post("/api/v1/security/login",
                                           json={"username": "a\x00", "password": "x", "provider": "db"})
    assert response.status_code == 400
    assert isinstance(response.get_json()["message"], str)


@pytest.mark.parametrize("url", ["/catalogue/?q=a%00b", "/verify/?code=%00", "/catalogue/?a%00=1"])
def test_a_nul_byte_in_a_query_string_is_a_400(demo_app, url):
    assert demo_app.test_client().get(url).status_code == 400


def test_a_nul_byte_in_a_path_is_a_400(demo_app):
    assert demo_app.test_client().get("/verify/ab%00cd").status_code == 400


def test_a_nul_byte_in_a_form_field_is_a_400(demo_app):
    response = demo_app.test_client().post("/account/forgot", data={"email": "someone\x00@example.org"})
    assert response.status_code == 400


def test_an_integer_beyond_64_bits_in_a_query_string_is_a_400(admin):
    assert admin.get(f"/agent/notes/follow-ups?page={10**30}").status_code == 400
    assert admin.get(f"/catalogue/?term={10**19}").status_code == 400


def test_a_value_out_of_the_columns_range_is_a_400_not_a_500(admin):
    """The DataError backstop: 18 digits pass the guard, the offset they give overflows PostgreSQL."""
    response = admin.get(f"/agent/notes/follow-ups?page={10**18 - 1}")
    assert response.status_code == 400
    assert "Requête invalide" in response.get_data(as_text=True)
    assert admin.get("/agent/notes/follow-ups").status_code == 200  # the session was rolled back


@pytest.mark.parametrize("query", [
    "page_JobView=abc", "page_JobView=-1", f"page_JobView={2**31}", "psize_JobView=-5", "psize_JobView=0",
    f"psize_JobView={10**9}", "psize_JobView=abc", "_oc_JobView=no_such_column&_od_JobView=asc",
    "_flt_0_status=abc", "_flt_9_status=queued",
])
def test_fab_list_parameters_out_of_shape_are_a_400(admin, query):
    assert admin.get(f"/jobview/list/?{query}").status_code == 400


@pytest.mark.parametrize("query", ["_flt_0_at=2026-13-45", "_flt_1_at=abc", "_flt_0_actor_id=abc",
                                   f"_flt_0_actor_id={2**40}"])
def test_the_audit_screens_own_filters_read_any_value_without_an_error(admin, query):
    # the audit screen's filters are the project's own (an instant in Montréal time, the actor by
    # user name): they read their value themselves, and a value that fits nothing finds nothing
    assert admin.get(f"/auditeventview/list/?{query}").status_code in (200, 400)
    assert admin.get("/auditeventview/list/?_flt_0_actor_id=1&_flt_1_at=2026-01-31").status_code == 200


def test_fab_list_parameters_in_shape_still_work(admin):
    for query in ("page_JobView=0", "psize_JobView=50", "_oc_JobView=id&_od_JobView=desc", "_flt_0_status=queued"):
        assert admin.get(f"/jobview/list/?{query}").status_code == 200, query


def test_a_boolean_filter_other_than_yes_is_a_400(admin):
    assert admin.get("/users/list/?_flt_0_active=abc").status_code == 400
    assert admin.get("/users/list/?_flt_0_active=y").status_code == 200


@pytest.mark.parametrize("request_args", [
    ("post", "/roles/action_post", {"action": "no_such_action", "rowid": "1"}),
    ("get", "/users/action/no_such_action/1", None),
    ("post", "/jobview/action_post", {"action": "__init__", "rowid": "1"}),
])
def test_an_unknown_bulk_action_is_a_404(admin, request_args):
    method, url, data = request_args
    assert getattr(admin, method)(url, data=data).status_code == 404


def test_a_chart_grouping_that_does_not_exist_is_a_404(admin):
    for group_by in ("abc", str(10**40), "7"):
        assert admin.get(f"/userstatschartview/chart/{group_by}").status_code == 404


def test_fab_download_of_a_file_that_is_not_there_is_a_404(admin):
    assert admin.get("/users/download/none").status_code == 404


def test_an_invalid_choice_in_a_back_office_form_is_a_form_error(admin):
    response = admin.post("/allowanceruleview/add", data={"kind": "no_such_kind"})
    assert response.status_code == 200


@pytest.mark.parametrize("year", [2**31 - 1, 0, 10000])
def test_a_statement_for_a_year_out_of_the_calendar_is_a_404(learner, year):
    assert learner.get(f"/my/documents/statement/{year}.pdf").status_code == 404
