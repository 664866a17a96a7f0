"""The pages work under the Content Security Policy (no inline script), in a real Chromium: the
back office's list, search, edit and delete, record and bulk actions, the learner's timetable and
availability grid, Swagger and the reports dashboard's charts. Every CSP violation, script error and failed
load the browser reports fails the test."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Region
from tests.conftest import login
from tests.factories import World, tag

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def session_cookies(demo_app):
    """Session cookies of a new administrator and a new learner, logged in by a test client through
    the real forms (and the second factor), handed to the browser."""
    with World(demo_app) as w:
        accounts = {"admin": w.account(role="Admin"), "learner": w.account()}
    cookies = {}
    for who, account in accounts.items():
        client = demo_app.test_client()
        login(client, account["username"])
        assert client.get("/users/list/" if who == "admin" else "/my/enrolments/").status_code == 200, \
            f"{who} is not logged in"
        cookies[who] = client.get_cookie("session").value
    cookies["admin_username"] = accounts["admin"]["username"]
    return cookies


@pytest.fixture
def watched_page(browser):
    """A browser page that records CSP violations, console errors, uncaught errors and failed loads."""
    context = browser.new_context(locale="fr-CA")
    page = context.new_page()
    problems = []

    def on_console(message):
        # a failed load is reported below with its address; the browser asks for /favicon.ico itself
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def on_response(response):
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    context.add_init_script("""document.addEventListener("securitypolicyviolation", function (event) {
        console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI
                      + " in " + event.sourceFile + ":" + event.lineNumber);
    });""")
    page.problems = problems
    yield page
    context.close()


def logged_in(page, live_server, cookie: str):
    page.context.add_cookies([{"name": "session", "value": cookie, "url": live_server}])
    return page


def test_back_office_list_search_edit_and_delete(watched_page, live_server, session_cookies, demo_app):
    with World(demo_app):
        region = Region(code=f"Z{tag()[:6]}", name_fr="Région de l'essai CSP", name_en="CSP test region")
        db.session.add(region)
        db.session.flush()
        region_id, code = region.id, region.code
    page = logged_in(watched_page, live_server, session_cookies["admin"])
    page.goto(f"{live_server}/regionview/list/")
    # search: the filter rows are built by script from the page's JSON block
    page.click("a.accordion-toggle[href$='_href']")
    page.wait_for_selector("#filter_form .dropdown-toggle", state="visible")
    page.click("#filter_form .dropdown-toggle")
    page.click("#filter_form a.filter[name=code]")
    assert page.locator("#filter_form table.filters tr").count() == 1
    page.fill("#filter_form input.filter_val", code)
    page.click("#filter_form button[type=submit]")
    page.wait_for_load_state()
    assert "_flt_" in page.url
    assert page.locator("table.table-bordered tr:has(td)").count() == 1
    assert page.locator("#filter_form table.filters tr").count() == 1  # the active filter is shown again
    # edit
    page.click("a[href*='/regionview/edit/']")
    page.wait_for_load_state()
    page.fill("#name_en", "CSP test region, edited")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    with World(demo_app):
        assert db.session.get(Region, region_id).name_en == "CSP test region, edited"
    # delete: the confirmation dialog, then the hidden form posted with its CSRF token
    page.goto(f"{live_server}/regionview/list/?_flt_0_code={code}")
    page.click("[data-gf-delete]")
    page.wait_for_selector("#modal-confirm .modal-text:has-text('?')")
    page.click("#modal-confirm-ok")
    page.wait_for_load_state()
    with World(demo_app):
        assert db.session.get(Region, region_id) is None
    assert not page.problems, page.problems


def test_record_and_bulk_actions(watched_page, live_server, session_cookies, demo_app):
    """The actions FAB ran from inline script: a record's action (posted with its CSRF token) and a
    bulk action on the checked rows (refused with no row checked, confirmed before it runs)."""
    with World(demo_app):
        admin_id = demo_app.appbuilder.sm.find_user(session_cookies["admin_username"]).id
    page = logged_in(watched_page, live_server, session_cookies["admin"])
    page.goto(f"{live_server}/users/show/{admin_id}")
    page.click("[data-gf-action-url*='resetpasswords']")
    page.wait_for_url("**/resetpassword/form**")
    page.goto(f"{live_server}/roles/list/")
    page.click("button.dropdown-toggle:has-text('Actions')")
    page.click("[data-gf-bulk-action=copyrole]")
    page.wait_for_selector("#modal-alert.in")
    page.click("#modal-alert button[data-dismiss=modal]")
    page.wait_for_selector("#modal-alert", state="hidden")
    page.check(".action_check_all")
    checked = page.locator("input.action_check:checked").count()
    assert checked == page.locator("input.action_check").count() > 0
    assert page.locator("tr.success").count() == checked
    page.click("button.dropdown-toggle:has-text('Actions')")
    page.click("[data-gf-bulk-action=copyrole]")
    page.wait_for_selector("#modal-confirm.in")
    assert page.locator("#modal-confirm .modal-text").inner_text().strip()
    page.click("#modal-confirm button[data-dismiss=modal]")  # cancelled: nothing is copied
    page.wait_for_selector("#modal-confirm", state="hidden")
    assert page.url.endswith("/roles/list/")
    assert not page.problems, page.problems


def test_learner_timetable_and_availability(watched_page, live_server, session_cookies):
    page = logged_in(watched_page, live_server, session_cookies["learner"])
    page.goto(f"{live_server}/my/timetable/")
    assert page.locator("h1").count() == 1
    courses = page.locator(".gf-tt-course")
    assert courses.count() > 0, "the demo data offers no course to build a timetable with"
    first_course = courses.first.get_attribute("data-gf-text")
    # timetable.js narrows the course list as one types, and says how many are shown
    page.fill("[data-gf-course-filter]", "zzzz-no-such-course")
    page.wait_for_function("() => document.querySelectorAll('.gf-tt-course:not([hidden])').length === 0")
    assert page.locator("#course-count").inner_text().startswith("0 ")
    page.fill("[data-gf-course-filter]", first_course)
    page.wait_for_function("() => document.querySelectorAll('.gf-tt-course:not([hidden])').length > 0")
    page.locator(".gf-tt-course:not([hidden]) input[type=checkbox]").first.check()
    page.click("button[name=generate]")
    page.wait_for_load_state()
    assert "generate=" in page.url
    page.goto(f"{live_server}/my/timetable/availability")
    slot = page.locator("table[data-gf-grid] input[type=checkbox]:not(:checked)").first.get_attribute("value")
    page.check(f"table[data-gf-grid] input[value='{slot}']")
    # timetable.js shades the cell of a checked box at once
    assert "gf-tt-slot-on" in page.locator(f"td:has(input[value='{slot}'])").get_attribute("class")
    assert not page.problems, page.problems


def test_swagger(watched_page, live_server, session_cookies):
    page = logged_in(watched_page, live_server, session_cookies["admin"])
    page.goto(f"{live_server}/swagger/v1")
    page.wait_for_selector("#swagger-ui .information-container, #swagger-ui .info", timeout=20000)
    assert not page.problems, page.problems


def test_the_reports_dashboard_draws_its_charts(watched_page, live_server, session_cookies):
    """Chart.js (vendored) draws the four charts from the page's JSON blocks, under the CSP."""
    page = logged_in(watched_page, live_server, session_cookies["admin"])
    page.goto(f"{live_server}/reports/")
    page.wait_for_function("() => window.Chart && Array.from(document.querySelectorAll('canvas[data-gf-chart]'))"
                           ".every(canvas => window.Chart.getChart(canvas))", timeout=20000)
    assert page.locator("canvas[data-gf-chart]").count() == 4
    assert not page.problems, page.problems


def test_a_violation_is_reported(watched_page, live_server):
    """The watch above must be able to fail: an inline script is blocked and reported."""
    page = watched_page
    page.goto(f"{live_server}/login/")
    page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.ran = 1";
                             document.body.appendChild(s); }""")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.ran === undefined")
    assert any("CSP violation: script-src" in problem for problem in page.problems), page.problems
