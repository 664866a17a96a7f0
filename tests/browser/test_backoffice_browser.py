"""A staff member logs in, works in French, switches to English — in a real Chromium."""
import pytest


pytestmark = pytest.mark.browser


@pytest.fixture
def login(log_in):
    return lambda page, live_server, username: log_in(page, username)


def test_agent_works_in_french_then_switches_to_english(page, live_server, login):
    page.goto(live_server + "/")
    assert page.get_attribute("html", "lang") == "fr"
    login(page, live_server, "agent")
    assert page.get_attribute("html", "lang") == "fr"
    assert page.locator("text=Se déconnecter").count() >= 1
    page.click("a[hreflang=en]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("text=Logout").count() >= 1
    # the choice is saved on the account: it survives a new login
    page.goto(f"{live_server}/logout/")
    login(page, live_server, "agent")
    assert page.get_attribute("html", "lang") == "en"
    page.goto(f"{live_server}/lang/fr")


BACK_OFFICE_MENUS = "nav ul.navbar-nav:not(.navbar-right) .dropdown-toggle"


def test_learner_sees_her_pages_and_no_back_office_menu(page, live_server, login):
    login(page, live_server, "agent")
    assert page.locator(BACK_OFFICE_MENUS).count() >= 3
    page.goto(f"{live_server}/logout/")
    login(page, live_server, "learner")
    assert page.get_attribute("html", "lang") == "fr"
    assert page.locator(BACK_OFFICE_MENUS).count() == 0
    page.click("nav >> text=Mes cours")
    page.wait_for_load_state()
    assert page.url.endswith("/my/enrolments/")
