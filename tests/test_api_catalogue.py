"""The public catalogue API: JSON search with the catalogue's filters, in FAB's OpenAPI spec."""
from __future__ import annotations

from app.extensions import db
from app.models import Section
from tests.conftest import DEMO_PASSWORD
from tests.factories import tag
from tests.test_catalogue import committed, create_offer, many_sections
from tests.conftest import login as conftest_login

URL = "/api/v1/catalogue/sections"


def get_json(client, query: str = "", status: int = 200) -> dict:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def test_anonymous_search_returns_the_matching_sections_with_both_languages(app, client):
    marker, ids = create_offer(app)
    body = get_json(client, f"q={marker}")
    assert body["count"] == 3 and body["page"] == 1 and body["pages"] == 1 and body["per_page"] == 20
    by_id = {item["id"]: item for item in body["items"]}
    assert set(by_id) == {ids["beginner"], ids["online"], ids["advanced"]}

    beginner = by_id[ids["beginner"]]
    assert beginner["course"]["title_fr"] == f"Francisation debutant {marker}"
    assert beginner["course"]["title_en"] == f"French debutant {marker}"
    assert (beginner["course"]["level_min"], beginner["course"]["level_max"]) == (1, 4)
    assert beginner["course"]["format"] == "part_time"
    assert beginner["schedule"] == [{"weekday": 2, "starts_at": "17:00", "ends_at": "20:00"}]
    assert beginner["place"]["site"] == f"Centre Alpha {marker}" and beginner["place"]["accessible"] is True
    assert beginner["place"]["region_code"] == f"RA-{marker}" and beginner["place"]["online"] is False
    assert beginner["seats_left"] == 20 and beginner["teacher"] == f"Ariane Tremblay-{marker}"
    assert beginner["term"]["registration_closes"] and beginner["starts_on"]

    online = by_id[ids["online"]]
    assert online["place"]["online"] is True and online["place"]["site"] is None
    advanced = by_id[ids["advanced"]]
    assert advanced["place"]["accessibility_notes_en"] == "Three steps at the entrance"
    assert advanced["course"]["field_fr"] == f"F-{marker} fr"


def test_query_parameters_filter_like_the_catalogue_page(app, client):
    marker, ids = create_offer(app)

    def found(query: str) -> set[int]:
        return {item["id"] for item in get_json(client, f"q={marker}&{query}")["items"]}

    assert found("level=6") == {ids["online"]}
    assert found("format=full_time") == {ids["advanced"]}
    assert found("weekday=4&time_of_day=evening") == {ids["online"]}
    assert found("time_of_day=afternoon") == {ids["advanced"]}
    with app.app_context():
        past_term = db.session.get(Section, ids["past"]).term_id
    assert found(f"term={past_term}") == {ids["past"]}
    assert {item["id"] for item in get_json(client, f"q={marker.upper()}")["items"]} == {
        ids["beginner"], ids["online"], ids["advanced"]}
    # closed sections, ended terms and another business's workplace group are never listed
    assert not found("") & {ids["closed"], ids["past"], ids["workplace"]}


def test_pages_of_results(app, client):
    with committed(app):
        marker = many_sections(5)
    first = get_json(client, f"q={marker}&per_page=2")
    third = get_json(client, f"q={marker}&per_page=2&page=3")
    assert (first["count"], first["pages"], len(first["items"])) == (5, 3, 2)
    assert (third["page"], len(third["items"])) == (3, 1)
    seen = [item["id"] for number in (1, 2, 3)
            for item in get_json(client, f"q={marker}&per_page=2&page={number}")["items"]]
    assert len(seen) == len(set(seen)) == 5


def test_invalid_parameters_are_a_400_with_the_reason(client):
    body = get_json(client, "level=13&format=evening&per_page=500", status=400)
    message = body["message"]  # a string, as the OpenAPI spec says, naming each refused parameter
    assert isinstance(message, str)
    assert all(f"{name}:" in message for name in ("level", "format", "per_page"))


def test_the_api_is_read_only(client):
    assert client.post(URL, json={}).status_code == 405
    assert client.delete(URL).status_code == 405


def test_the_endpoint_is_described_in_the_openapi_spec(app, client):
    with committed(app):
        sm = app.appbuilder.sm
        username = f"admin-{tag()}"
        sm.add_user(username, "Api", "Admin", f"{username}@example.org", sm.find_role("Admin"), password=DEMO_PASSWORD)
    assert conftest_login(client, username, DEMO_PASSWORD).status_code == 302
    response = client.get("/api/v1/_openapi")
    assert response.status_code == 200
    spec = response.get_json()
    operation = spec["paths"][URL]["get"]
    assert "security" not in operation  # public
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"q", "level", "format", "term", "weekday", "time_of_day", "region", "site", "field", "page",
            "per_page"} <= names
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] \
        == "#/components/schemas/CataloguePage"
    schemas = spec["components"]["schemas"]
    assert "seats_left" in schemas["CatalogueSection"]["properties"]
    assert {"title_fr", "title_en"} <= set(schemas["CatalogueCourse"]["properties"])
