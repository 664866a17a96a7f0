"""Keyboard-only journeys in a real Chromium, with the number of key presses counted and bounded:
a learner signs in, marks unavailable times, chooses courses, generates, saves and registers a
whole plan; a help-desk agent sends a password-reset link; an agent approves an application.

Moving from one page to the next by its address is allowed (it stands for following a link);
everything done on a page is done with the keyboard alone.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Application, ApplicationStatus, AuditEvent, Availability, CourseFormat, Enrolment
from tests.conftest import DEMO_PASSWORD, login
from tests.factories import World, make_learner, make_section, make_specialised_course, make_term

pytestmark = pytest.mark.browser


class Keyboard:
    """Key presses on a page, counted."""

    def __init__(self, page):
        self.page, self.presses = page, 0

    def press(self, key: str, times: int = 1) -> None:
        for _ in range(times):
            self.page.keyboard.press(key)
            self.presses += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.presses += len(text)

    def tab_to(self, selector: str, limit: int) -> int:
        """Tab until the focused element matches ``selector``; fails after ``limit`` presses."""
        for count in range(1, limit + 1):
            self.press("Tab")
            if self.page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
                return count
        raise AssertionError(f"{selector} not reached in {limit} Tab presses on {self.page.url}")

    def focused(self, selector: str) -> bool:
        return self.page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector)

    def enter_and_wait(self) -> None:
        with self.page.expect_navigation():
            self.press("Enter")


def test_a_learner_plans_and_registers_a_whole_timetable_with_the_keyboard_alone(demo_app, live_server, page):
    with World(demo_app) as w:
        account = w.account()
        term = make_term()
        # specialised courses: the term rules allow one general course per level
        evening, morning = make_specialised_course(), make_specialised_course()
        make_section(term, evening, capacity=5, meetings=((2, "18:00", "21:00"),))
        make_section(term, morning, capacity=5, meetings=((4, "18:00", "21:00"),))
        learner_id, term_id, codes = account["learner_id"], term.id, sorted((evening.code, morning.code))
    keys = Keyboard(page)

    # sign in
    page.goto(f"{live_server}/login/")
    keys.tab_to("#username", 15)
    keys.type(account["username"])
    keys.press("Tab")
    keys.type(DEMO_PASSWORD)
    keys.enter_and_wait()
    typed = len(account["username"]) + len(DEMO_PASSWORD)

    # unavailable times: the grid is one tab stop, moved through with the arrows
    page.goto(f"{live_server}/my/timetable/availability")
    keys.tab_to("table[data-gf-grid] input[type=checkbox]", 30)
    keys.press("ArrowDown")
    keys.press(" ")
    keys.press("ArrowRight")
    keys.press(" ")
    assert "2" in page.inner_text("#grid-summary")
    keys.press("Tab")
    assert keys.focused("button[type=submit]:not([name=clear])"), "the grid must be a single tab stop"
    keys.enter_and_wait()
    with demo_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Availability)
                                 .where(Availability.learner_id == learner_id)) >= 1
        db.session.remove()

    # choose the two courses, generate; the focus lands on the results
    page.goto(f"{live_server}/my/timetable/?term={term_id}")
    for code in codes:
        keys.tab_to(f".gf-tt-course[data-gf-text^='{code} '] input[type=checkbox]", 40)
        keys.press(" ")
    keys.tab_to("button[name=generate]", 15)
    keys.enter_and_wait()
    assert keys.focused("#results-heading"), "after Generate the focus moves to the results"

    # save the best timetable as a plan, then register that plan whole
    keys.tab_to("#plan-name-1", 15)
    keys.press("Tab")
    keys.enter_and_wait()
    assert "/my/timetable/plans/" in page.url
    keys.tab_to("form[action$='/register'] button[type=submit]", 40)
    keys.enter_and_wait()
    assert page.url.endswith("/my/enrolments/")
    with demo_app.app_context():
        enrolled = db.session.scalar(select(func.count()).select_from(Enrolment)
                                     .where(Enrolment.learner_id == learner_id))
        db.session.remove()
    assert enrolled == 2
    assert keys.presses - typed <= 120, f"{keys.presses - typed} key presses (besides typing)"


def staff_page(browser, demo_app, live_server, username: str):
    """A browser page logged in as a staff account (its second factor passed by a test client)."""
    client = demo_app.test_client()
    login(client, username)
    context = browser.new_context(locale="fr-CA")
    context.add_cookies([{"name": "session", "value": client.get_cookie("session").value, "url": live_server}])
    return context, context.new_page()


def test_the_help_desk_sends_a_reset_link_with_the_keyboard_alone(browser, demo_app, live_server):
    with World(demo_app) as w:
        account = w.account()
        from flask_appbuilder.security.sqla.models import User
        user_id = db.session.scalar(select(User.id).where(User.username == account["username"]))
    context, page = staff_page(browser, demo_app, live_server, "support")
    keys = Keyboard(page)
    try:
        page.goto(f"{live_server}/support/?q={account['username']}")
        keys.tab_to(f"a[href$='/support/account/{user_id}']", 40)
        keys.enter_and_wait()
        keys.tab_to("#send_reset_link-reason, [id^='send_reset_link'][id$='reason']", 40)
        keys.type("Demande par téléphone, identité vérifiée.")
        keys.tab_to("form[action$='/send_reset_link'] button[type=submit]", 5)
        keys.enter_and_wait()
        with demo_app.app_context():
            audited = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                        .where(AuditEvent.action == "support.send_reset_link",
                                               AuditEvent.object_id == str(user_id)))
            db.session.remove()
        assert audited == 1
        assert keys.presses <= 120
    finally:
        context.close()


def test_an_agent_approves_an_application_with_the_keyboard_alone(browser, demo_app, live_server):
    from flask_appbuilder.security.sqla.models import User

    with World(demo_app):
        agent_id = db.session.scalar(select(User.id).where(User.username == "agent"))
        application = Application(learner=make_learner(level=None), status=ApplicationStatus.COMPLETE,
                                  format_wanted=CourseFormat.PART_TIME, complete_at=func.now(),
                                  consent_truthful=True, consent_privacy=True, assigned_agent_id=agent_id)
        db.session.add(application)
        db.session.flush()
        application_id = application.id
    context, page = staff_page(browser, demo_app, live_server, "agent")
    keys = Keyboard(page)
    try:
        page.goto(f"{live_server}/agent/desk/{application_id}")
        keys.tab_to("textarea[name='approve-note']", 80)
        keys.type("Bienvenue !")
        keys.tab_to("form[action$='/approve'] button[type=submit]", 3)  # past "send this note to the learner"
        keys.enter_and_wait()
        with demo_app.app_context():
            status = db.session.get(Application, application_id).status
            db.session.remove()
        assert status == ApplicationStatus.APPROVED
        assert keys.presses <= 100
    finally:
        context.close()
