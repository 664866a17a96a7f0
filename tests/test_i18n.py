"""Languages: French by default and complete, English on request, the choice kept on the account."""
from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.extensions import db
from app.models import Language, UserPreference
from app.services.access import AGENT
from tests.conftest import DEMO_PASSWORD
from tests.conftest import login as conftest_login

ROOT = Path(__file__).resolve().parent.parent
FRENCH_PO = ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po"


def read_catalogue(path: Path):
    with path.open("rb") as fh:
        return read_po(fh)


def html_lang(response) -> str:
    match = re.search(r'<html[^>]*\blang="([^"]+)"', response.get_data(as_text=True))
    assert match, "no lang attribute on <html>"
    return match.group(1)


# --- the French catalogue ---------------------------------------------------------------------

def test_french_catalogue_has_no_empty_or_fuzzy_entry():
    catalogue = read_catalogue(FRENCH_PO)
    messages = [m for m in catalogue if m.id]
    assert len(messages) > 100
    empty = [m.id for m in messages
             if not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert empty == []
    assert fuzzy == []


def test_french_translations_keep_their_placeholders():
    """A translation that drops or renames %(name)s or {name} would crash or lie at run time."""
    catalogue = read_catalogue(FRENCH_PO)
    placeholder = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}")
    wrong = [m.id for m in catalogue if m.id and isinstance(m.id, str)
             and sorted(placeholder.findall(m.id)) != sorted(placeholder.findall(m.string))]
    assert wrong == []
    assert [error for _, errors in catalogue.check() for error in errors] == []


def test_every_string_in_the_code_is_in_the_french_catalogue(tmp_path):
    """Extraction with the project's own settings finds nothing the catalogue lacks."""
    pot = tmp_path / "messages.pot"
    pybabel = str(Path(sys.executable).with_name("pybabel"))
    subprocess.run([pybabel, "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
                    "--no-location", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_catalogue(pot) if m.id}
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in read_catalogue(FRENCH_PO) if m.id}
    assert sorted(extracted - translated) == [], "run `make translations` and translate the new strings"


# --- anonymous visitors -----------------------------------------------------------------------

def test_home_page_is_french_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert html_lang(response) == "fr"
    page = response.get_data(as_text=True)
    assert "Apprendre le français au Québec" in page
    assert "Passer au contenu principal" in page
    assert 'hreflang="en"' in page and ">English</a>" in page


def test_home_page_follows_accept_language(client):
    response = client.get("/", headers={"Accept-Language": "en-CA,en;q=0.8"})
    assert html_lang(response) == "en"
    page = response.get_data(as_text=True)
    assert "Learn French in Québec" in page
    assert 'hreflang="fr"' in page and ">Français</a>" in page
    assert "Accept-Language" in response.headers.get("Vary", "")


def test_unsupported_browser_language_falls_back_to_french(client):
    response = client.get("/", headers={"Accept-Language": "de-DE,es;q=0.5"})
    assert html_lang(response) == "fr"


def test_a_visitor_choice_beats_the_browser_language(client):
    switch = client.get("/lang/en", headers={"Accept-Language": "fr"})
    assert switch.status_code == 302
    response = client.get("/login/", headers={"Accept-Language": "fr"})
    assert html_lang(response) == "en"
    assert "<title>Sign In – Guichet Francisation</title>" in response.get_data(as_text=True)


def test_unknown_language_is_refused(client):
    assert client.get("/lang/de").status_code == 404


# --- a logged-in user's choice ----------------------------------------------------------------

@pytest.fixture
def staff_user(app):
    """A fresh Agent account with no saved language; deactivated afterwards (its audit trail stays)."""
    username = f"i18n-{uuid.uuid4().hex[:8]}"
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user(username, "Camille", "Tremblay", f"{username}@example.org",
                           sm.find_role(AGENT), password=DEMO_PASSWORD)
        assert user, "could not create the test account"
        user_id = user.id
        db.session.remove()
    yield username, user_id
    with app.app_context():
        db.session.query(UserPreference).filter_by(user_id=user_id).delete()
        user = app.appbuilder.sm.get_user_by_id(user_id)
        user.active = False
        db.session.commit()
        db.session.remove()


def login(client, username):
    response = conftest_login(client, username, DEMO_PASSWORD)
    assert response.status_code == 302, "login failed"


def saved_preference(app, user_id):
    with app.app_context():
        pref = db.session.get(UserPreference, user_id)
        value = pref.language if pref else None
        db.session.remove()
    return value


def test_language_switch_is_saved_on_the_account_and_survives_logout(app, staff_user):
    username, user_id = staff_user
    first = app.test_client()
    login(first, username)
    assert html_lang(first.get("/")) == "fr"
    assert saved_preference(app, user_id) is None

    assert first.get("/lang/en").status_code == 302
    assert saved_preference(app, user_id) == Language.EN
    home = first.get("/")
    assert html_lang(home) == "en"
    assert "Hello, Camille" in home.get_data(as_text=True)
    first.get("/logout/")

    # Another browser that asks for French: the account's choice wins after login.
    second = app.test_client()
    assert html_lang(second.get("/", headers={"Accept-Language": "fr"})) == "fr"
    login(second, username)
    home = second.get("/", headers={"Accept-Language": "fr"})
    assert html_lang(home) == "en"
    assert ">Français</a>" in home.get_data(as_text=True)

    assert second.get("/lang/fr").status_code == 302
    assert saved_preference(app, user_id) == Language.FR
    assert "Bonjour Camille" in second.get("/").get_data(as_text=True)


def test_a_choice_made_before_login_is_saved_on_an_account_without_one(app, staff_user):
    username, user_id = staff_user
    browser = app.test_client()
    browser.get("/lang/en")
    login(browser, username)
    assert saved_preference(app, user_id) == Language.EN
    assert html_lang(browser.get("/")) == "en"


# --- the demo accounts' back office -----------------------------------------------------------

FAB_ENGLISH = ("Record Count", "Add a new record", "Show record", "Edit record", "Delete record",
               ">Search<", "No records found", "Page size", "Order by", ">Logout<", ">Profile<",
               "Skip to main content", "User confirmation needed", ">Cancel<")


def section_view(app):
    return next(view for view in app.appbuilder.baseviews if type(view).__name__ == "SectionView")


def menu_label(app, view):
    return next(item.label for category in app.appbuilder.menu.get_list()
                for item in (category.childs or [category]) if getattr(item, "baseview", None) is view)


def in_both_languages(app, lazy_text) -> tuple[str, str]:
    """A lazily translated label rendered in French, then in English."""
    rendered = []
    for language in ("fr", "en"):
        with app.test_request_context(headers={"Accept-Language": language}):
            rendered.append(str(lazy_text))
    return rendered[0], rendered[1]


def test_agent_back_office_is_in_french(demo_app):
    view = section_view(demo_app)
    french_title, english_title = in_both_languages(demo_app, view.list_title)
    assert french_title != english_title
    browser = demo_app.test_client()
    login(browser, "agent")
    home = browser.get("/").get_data(as_text=True)
    assert "Vos secteurs de travail" in home
    french_menu, _ = in_both_languages(demo_app, menu_label(demo_app, view))
    assert f">{french_menu}</a>" in home

    listing = browser.get(f"{view.route_base}/list/")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert html_lang(listing) == "fr"
    assert f'<h1 class="panel-title">{french_title}</h1>' in page
    for french in ("Nombre de fiches", "Rechercher", "Se déconnecter", "Afficher la fiche"):
        assert french in page, french
    leftovers = [english for english in FAB_ENGLISH if english in page]
    assert leftovers == []


def test_agent_back_office_in_english_after_switch(demo_app):
    view = section_view(demo_app)
    _, english_title = in_both_languages(demo_app, view.list_title)
    browser = demo_app.test_client()
    login(browser, "agent")
    try:
        browser.get("/lang/en")
        page = browser.get(f"{view.route_base}/list/").get_data(as_text=True)
        assert '<html lang="en">' in page
        assert "Record Count" in page
        assert f'<h1 class="panel-title">{english_title}</h1>' in page
    finally:
        reset_saved_language(demo_app, "agent")


def reset_saved_language(app, username):
    """Leave the shared demo account as it was: no saved language."""
    with app.app_context():
        user = app.appbuilder.sm.find_user(username=username)
        db.session.query(UserPreference).filter_by(user_id=user.id).delete()
        db.session.commit()
        db.session.remove()
