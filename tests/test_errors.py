"""Error pages use the site's layout and language and reveal nothing technical."""
import os

import pytest
from sqlalchemy import text

from app.extensions import db


def test_unknown_page_is_a_french_404_in_the_layout(client):
    response = client.get("/nowhere-to-be-found")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert '<html lang="fr"' in html and 'id="main-content"' in html
    assert "Page introuvable" in html


def test_unknown_page_in_english(client):
    response = client.get("/nowhere-to-be-found", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_api_errors_stay_json(client):
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert "<html" not in response.get_data(as_text=True)


# --- production: an unexpected error is the 500 page, never a trace or SQL ---------------------

SECRET_SQL = "SELECT secret_column FROM table_that_is_not_there"
TECHNICAL = ("Traceback", "secret_column", "table_that_is_not_there", "SELECT", "sqlalchemy", "psycopg",
             "RuntimeError", "File \"", "werkzeug")


@pytest.fixture(scope="module")
def production_app(app, pg_url):
    """ProductionConfig (a real secret, the test database), with two pages that fail."""
    from app import create_app
    from config import ProductionConfig

    saved = {key: os.environ.get(key) for key in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL",
                                                  "TOTP_ENCRYPTION_KEY")}
    os.environ.update(SECRET_KEY="production-secret-for-the-error-tests-0123456789", DATABASE_URL=pg_url,
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

    def failing_code():
        raise RuntimeError(f"internal detail: {SECRET_SQL}")

    def failing_query():
        db.session.execute(text(SECRET_SQL))
        return "unreachable"

    application.add_url_rule("/test-failing-code", "failing_code", failing_code)
    application.add_url_rule("/test-failing-query", "failing_query", failing_query)
    yield application
    with application.app_context():
        db.session.remove()


@pytest.mark.parametrize("path", ["/test-failing-code", "/test-failing-query"])
def test_production_error_is_the_500_page_without_technical_detail(production_app, path, caplog):
    assert not production_app.testing and not production_app.debug
    client = production_app.test_client()
    response = client.get(path, base_url="https://localhost")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert '<html lang="fr"' in html and 'id="main-content"' in html, "not the site's error page"
    assert "Une erreur" in html or "erreur" in html.lower()
    assert not [word for word in TECHNICAL if word in html], html
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    # the details go to the log, for the people who run the service
    assert any(record.exc_info for record in caplog.records)
    # and the next request is served normally (the failed transaction was rolled back)
    assert client.get("/catalogue/", base_url="https://localhost").status_code == 200


def test_production_api_error_is_json_without_detail(production_app):
    response = production_app.test_client().get("/api/v1/nowhere", base_url="https://localhost")
    assert response.status_code == 404 and response.is_json
    assert "Traceback" not in response.get_data(as_text=True)


def test_csrf_refusal_is_the_400_page(production_app):
    response = production_app.test_client().post("/account/forgot", base_url="https://localhost",
                                                 headers={"Referer": "https://localhost/account/forgot"},
                                                 data={"email": "someone@example.org"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<html lang="fr"' in html and "CSRF" not in html and "Traceback" not in html
