"""WCAG 2.1 A and AA in a real Chromium: axe-core (vendored, pinned) on every page each role
reaches in a bounded crawl, in French and in English — zero violations.

Each role (a visitor and the seven demo accounts) crawls from the home page, following the links
of the pages it sees. Pages are grouped by pattern (ids replaced by ``{n}``, query strings dropped):
one page per pattern is checked, for the least privileged role that reaches it; of the generated
back-office pages, a few views of each kind (list, show, edit, add) are checked, since they share
their templates and widgets. Links that change something on a GET (logout, language) or that download a
file are not followed.
"""
from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import login

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# visitor first: a pattern is checked once, for the least privileged role that reaches it
ROLES = ("visitor", "learner", "enterprise", "support", "partner", "agent", "analyst", "admin")
MAX_PAGES_PER_ROLE = 70
NOT_FOLLOWED = re.compile(
    r"/logout|/lang/|/static/|/swagger|/_openapi|/api/|/download|/delete|/action|\.(pdf|ics|csv|xlsx|json|zip|png|svg)$"
    r"|/export|/calendar\.ics|/mfa/reset|/verify/")


GENERATED = re.compile(r"^/[a-z]+/(list|show|edit|add)/")
# The generated back-office pages of one kind (list, show, edit, add) share their templates and
# widgets: a few views of each kind stand for the others, which keeps the crawl bounded.
GENERATED_PER_KIND = 5


def pattern(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/{n}", path)


def worth_checking(path: str, seen_patterns: set[str]) -> bool:
    """A new pattern, and for a generated page, one of the first few of its kind."""
    if pattern(path) in seen_patterns:
        return False
    kind = GENERATED.match(path)
    return not kind or sum(1 for p in seen_patterns if p.startswith("generated " + kind.group(1))) < GENERATED_PER_KIND


def remember(path: str, seen_patterns: set[str]) -> None:
    seen_patterns.add(pattern(path))
    kind = GENERATED.match(path)
    if kind:
        seen_patterns.add(f"generated {kind.group(1)} {pattern(path)}")


def run_axe(page) -> list[dict]:
    """The WCAG 2.1 A/AA violations axe finds on the page as it is now."""
    page.evaluate(AXE)  # evaluated through the DevTools protocol: the page's CSP does not apply
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                                    resultTypes: ["violations"]});
            return result.violations.map(v => ({id: v.id, impact: v.impact,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
                summary: v.nodes.length ? v.nodes[0].failureSummary : ""}));
        }""", WCAG_TAGS)


def crawl(page, base: str, seen_patterns: set[str]) -> list[str]:
    """Breadth-first from the home page; the first URL of each new pattern, in visiting order."""
    queue, queued, found = deque(["/"]), {"/"}, []
    while queue and len(found) < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        try:
            response = page.goto(base + path)
        except PlaywrightError:  # a link that turns out to be a file download
            continue
        if response is None or response.status != 200 or urlsplit(page.url).netloc != urlsplit(base).netloc:
            continue
        landed = urlsplit(page.url).path
        if worth_checking(landed, seen_patterns):
            remember(landed, seen_patterns)
            found.append(landed)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            url = urlsplit(urljoin(base + path, href))
            if url.netloc != urlsplit(base).netloc or NOT_FOLLOWED.search(url.path):
                continue
            if url.path not in queued and worth_checking(url.path, seen_patterns) \
                    and all(pattern(url.path) != pattern(q) for q in queue):
                queued.add(url.path)
                queue.append(url.path)
    return found


@pytest.fixture(scope="module")
def role_cookies(demo_app):
    """A logged-in session cookie for each demo account (the real login form and second factor)."""
    cookies = {}
    for role in ROLES[1:]:
        client = demo_app.test_client()
        login(client, role)
        cookies[role] = client.get_cookie("session").value
    return cookies


def test_every_page_of_every_role_has_no_wcag_violation_in_french_and_english(browser, live_server, role_cookies):
    seen_patterns: set[str] = set()
    problems, checked = [], 0
    for role in ROLES:
        context = browser.new_context(locale="fr-CA", viewport={"width": 1280, "height": 900})
        if role != "visitor":
            context.add_cookies([{"name": "session", "value": role_cookies[role], "url": live_server}])
        page = context.new_page()
        try:
            page.goto(f"{live_server}/lang/fr")
            paths = crawl(page, live_server, seen_patterns)
            for language in ("fr", "en"):
                page.goto(f"{live_server}/lang/{language}")
                for path in paths:
                    page.goto(live_server + path)
                    assert page.evaluate("document.documentElement.lang") == language, path
                    checked += 1
                    for violation in run_axe(page):
                        problems.append(f"{role} {language} {path}: {violation['id']} ({violation['impact']}) "
                                        f"{violation['targets']} {violation['summary'][:200]}")
        finally:
            page.goto(f"{live_server}/lang/fr")  # the demo accounts keep French for the other tests
            context.close()
    print(f"axe-core: {checked} pages checked ({len(seen_patterns)} patterns) as {len(ROLES)} roles, "
          "in French and English")
    assert checked >= 60, f"the crawl reached only {checked} pages"
    assert not problems, f"{len(problems)} violations on {checked} pages checked:\n" + "\n".join(problems)


def test_staff_navigation_fits_one_row_at_1280_px(browser, live_server, role_cookies):
    for role in ("admin", "agent", "partner"):
        context = browser.new_context(locale="fr-CA", viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "session", "value": role_cookies[role], "url": live_server}])
        page = context.new_page()
        page.goto(f"{live_server}/")
        tops = page.eval_on_selector_all("#gf-navbar .navbar-nav > li", "els => els.map(e => e.offsetTop)")
        context.close()
        assert len(tops) >= 3 and len(set(tops)) == 1, f"{role}: menus on {len(set(tops))} rows"


@pytest.mark.parametrize("role, path", [(None, "/catalogue/"), ("learner", "/my/timetable/availability"),
                                        ("learner", "/my/file/training"), ("agent", "/agent/desk/")])
def test_pages_are_usable_at_390_px_without_sideways_scrolling(browser, live_server, role_cookies, role, path):
    context = browser.new_context(locale="fr-CA", viewport={"width": 390, "height": 844})
    if role:
        context.add_cookies([{"name": "session", "value": role_cookies[role], "url": live_server}])
    page = context.new_page()
    try:
        page.goto(live_server + path)
        # wide tables scroll inside their own box; the page itself does not
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
        assert run_axe(page) == []
    finally:
        context.close()
