"""Error pages use the site's layout and language and reveal nothing technical."""


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
