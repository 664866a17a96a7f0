"""Every page, generated or hand-written, comes out of the accessible base layout.

The audit reads the served HTML the way a screen reader and a keyboard user meet it: the page
language, the skip link as the first thing to reach, one <main>, valid ARIA roles, unique ids,
a name for every link, button and form field, and the language switch in the navigation.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask_appbuilder import ModelView
from sqlalchemy import select

from app.extensions import db
from app.models import UserPreference
from tests.conftest import DEMO_PASSWORD
from tests.conftest import login as conftest_login

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# WAI-ARIA 1.1 roles (abstract roles excluded: they must never be used in markup).
ARIA_ROLES = set("""
alert alertdialog application article banner button cell checkbox columnheader combobox complementary
contentinfo definition dialog directory document feed figure form grid gridcell group heading img link
list listbox listitem log main marquee math menu menubar menuitem menuitemcheckbox menuitemradio
navigation none note option presentation progressbar radio radiogroup region row rowgroup rowheader
scrollbar search searchbox separator slider spinbutton status switch tab table tablist tabpanel term
textbox timer toolbar tooltip tree treegrid treeitem
""".split())
UNNAMED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}


class PageAudit(HTMLParser):
    """Collects what the layout tests check, from one HTML page."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html_lang = None
        self.title = ""
        self.mains = []
        self.roles = []
        self.ids = []
        self.label_for = set()
        self.focusables = []          # (tag, attrs) in document order
        self.controls = []            # form fields: (attrs, inside_label)
        self.named = []               # links and buttons: [tag, attrs, text]
        self.menus = []               # [attrs, has_menuitem]
        self.lang_links = []
        self._stack = []              # open elements: (tag, hidden, is_label)
        self._open_named = []         # indexes into self.named still open
        self._in_title = False
        self.feed(html)

    def _hidden(self) -> bool:
        return any(hidden for _, hidden, _ in self._stack)

    def _in_label(self) -> bool:
        return any(is_label for _, _, is_label in self._stack)

    def handle_starttag(self, tag, attr_list):
        attrs = {k: (v or "") for k, v in attr_list}
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if tag == "title":
            self._in_title = True
        if tag == "main":
            self.mains.append(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if "role" in attrs:
            self.roles.append(attrs["role"])
            if attrs["role"] in ("menu", "menubar"):
                self.menus.append([attrs, False])
            if attrs["role"].startswith("menuitem") and self.menus:
                self.menus[-1][1] = True
        if tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        if tag == "a" and attrs.get("hreflang"):
            self.lang_links.append(attrs)
        hidden = attrs.get("aria-hidden") == "true"
        if tag == "img" and not self._hidden():
            for index in self._open_named:
                self.named[index][2] += attrs.get("alt", "")
        focusable = ((tag == "a" and "href" in attrs) or tag in ("button", "select", "textarea")
                     or (tag == "input" and attrs.get("type") != "hidden"))
        if focusable and attrs.get("tabindex") != "-1" and "disabled" not in attrs:
            self.focusables.append((tag, attrs))
        if tag in ("select", "textarea") or (tag == "input" and attrs.get("type", "text") not in UNNAMED_INPUT_TYPES):
            self.controls.append((attrs, self._in_label()))
        if tag in ("a", "button") and ("href" in attrs or tag == "button"):
            self.named.append([tag, attrs, ""])
            self._open_named.append(len(self.named) - 1)
        if tag not in VOID:
            self._stack.append((tag, hidden, tag == "label"))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag in ("a", "button") and self._open_named:
            # close the innermost open link/button of this tag
            for pos in range(len(self._open_named) - 1, -1, -1):
                if self.named[self._open_named[pos]][0] == tag:
                    del self._open_named[pos]
                    break
        for pos in range(len(self._stack) - 1, -1, -1):
            if self._stack[pos][0] == tag:
                del self._stack[pos:]
                break

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if data.strip() and not self._hidden():
            for index in self._open_named:
                self.named[index][2] += data

    # --- findings ---------------------------------------------------------------------------

    def problems(self, language: str) -> list[str]:
        found = []
        if self.html_lang != language:
            found.append(f"<html lang> is {self.html_lang!r}, expected {language!r}")
        if not self.title.strip() or "Guichet Francisation" not in self.title:
            found.append(f"title {self.title!r} does not name the page and the service")
        if len(self.mains) != 1 or self.mains[0].get("id") != "main-content":
            found.append(f"expected one <main id=main-content>, found {self.mains}")
        first = self.focusables[0] if self.focusables else (None, {})
        if first[0] != "a" or first[1].get("href") != "#main-content":
            found.append(f"the first focusable element is not the skip link: {first}")
        bad_roles = sorted({r for r in self.roles if r not in ARIA_ROLES})
        if bad_roles:
            found.append(f"invalid ARIA roles {bad_roles}")
        found += [f"role={attrs['role']} without menu items" for attrs, ok in self.menus if not ok]
        duplicates = sorted({i for i in self.ids if self.ids.count(i) > 1})
        if duplicates:
            found.append(f"duplicate ids {duplicates}")
        for tag, attrs, text in self.named:
            if not (text.strip() or attrs.get("aria-label") or attrs.get("aria-labelledby")):
                found.append(f"<{tag}> without an accessible name: {attrs}")
        for attrs, inside_label in self.controls:
            if not (inside_label or attrs.get("id") in self.label_for or attrs.get("aria-label")
                    or attrs.get("aria-labelledby") or attrs.get("title")):
                found.append(f"form field without a label: {attrs}")
        other = "en" if language == "fr" else "fr"
        if not any(a.get("hreflang") == other and a.get("lang") == other and a.get("href") == f"/lang/{other}"
                   for a in self.lang_links):
            found.append(f"no language switch to {other!r} in the navigation")
        return found


def audit(response, language: str = "fr") -> list[str]:
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    problems = PageAudit(html).problems(language)
    if 'role="header"' in html:
        problems.append('role="header" is not an ARIA role')
    return problems


def login(client, username):
    response = conftest_login(client, username, DEMO_PASSWORD)
    assert response.status_code == 302, "login failed"


# --- the audit itself catches what it is meant to catch ----------------------------------------

def test_audit_flags_fab_stock_layout_faults():
    stock = ('<!DOCTYPE html><html><head><title>F</title></head><body>'
             '<header class="top" role="header"><div class="navbar"><a href="/">F</a>'
             '<a class="dropdown-toggle" href="#"><i class="flag fr"></i></a></div></header>'
             '<div class="container"><input id="q" name="q"></div></body></html>')
    problems = PageAudit(stock).problems("fr")
    text = " | ".join(problems)
    for fault in ("<html lang>", "title", "<main", "skip link", "invalid ARIA roles ['header']",
                  "without an accessible name", "form field without a label", "language switch"):
        assert fault in text, fault


# --- anonymous pages ----------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/", "/login/"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_public_pages_pass_the_audit(client, url, language):
    response = client.get(url, headers={"Accept-Language": language})
    assert audit(response, language) == []


def test_skip_link_is_first_and_reaches_main(client):
    html = client.get("/").get_data(as_text=True)
    body = html[html.index("<body"):]
    assert body.index('class="skip-link"') < body.index("<header")
    assert body.index("<header") < body.index('<main id="main-content"') < body.index("<footer")
    assert 'href="/static/css/guichet.css"' in html


def test_login_fields_declare_their_purpose(client):
    html = client.get("/login/").get_data(as_text=True)
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html
    assert "<h1" in html


def test_failed_login_message_is_announced(client):
    conftest_login(client, "nobody", "wrong-password")
    response = client.get("/login/")
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html
    assert "mot de passe incorrect" in html
    assert audit(response) == []


def test_stylesheet_and_script_are_served_by_the_app(client):
    html = client.get("/").get_data(as_text=True)
    for asset in ("/static/css/guichet.css", "/static/js/guichet.js"):
        assert asset in html
        assert client.get(asset).status_code == 200
    assert re.findall(r'(?:href|src)="((?:https?:)?//[^"]*)"', html) == [], "assets come from the app, no CDN"


def relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    light, dark = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_theme_colours_meet_wcag_aa_contrast():
    """Text colours of the theme against their backgrounds: 4.5:1 at least (WCAG 1.4.3)."""
    css = (Path(__file__).resolve().parent.parent / "app" / "static" / "css" / "guichet.css").read_text()
    variables = dict(re.findall(r"--(gf-[a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    blue, blue_dark, ink, grey = (variables[k] for k in ("gf-blue", "gf-blue-dark", "gf-ink", "gf-grey-bg"))
    pairs = {
        "navbar text, buttons, panel headings": ("#ffffff", blue),
        "navbar hover and open menus": ("#ffffff", blue_dark),
        "links": (blue, "#ffffff"),
        "footer": (ink, grey),
        "muted text": ("#595959", "#ffffff"),
        "placeholders": ("#6b6b6b", "#ffffff"),
        "required mark": ("#b3141d", "#ffffff"),
    }
    for literal in ("#595959", "#6b6b6b", "#b3141d"):
        assert literal in css
    low = {name: round(contrast(fg, bg), 2) for name, (fg, bg) in pairs.items() if contrast(fg, bg) < 4.5}
    assert low == {}
    assert contrast("#777777", "#f8f8f8") < 4.5  # Bootstrap's stock navbar grey, which we replace


# --- every back-office page, for the demo accounts ----------------------------------------------

def model_views(appbuilder):
    return [view for view in appbuilder.baseviews if isinstance(view, ModelView)]


def first_pk(view):
    model = view.datamodel.obj
    return db.session.scalar(select(getattr(model, view.datamodel.get_pk_name())).limit(1))


# Record pages differ by widget, not by model: these views cover related-view tabs, fieldsets,
# date pickers, enums, FAB's own security views and a read-only view.
RECORD_PAGE_VIEWS = ("SectionView", "LearnerView", "ApplicationView", "TermView", "AllowanceView",
                     "UserDBModelView", "RoleModelView", "AuditEventView")


def test_every_admin_page_passes_the_audit(demo_app):
    """Every list page of the back office, and the record pages (show, add, edit) of views
    standing for each kind of screen."""
    browser = demo_app.test_client()
    login(browser, "admin")
    with demo_app.app_context():
        urls = ["/", "/users/userinfo/"]
        for view in model_views(demo_app.appbuilder):
            base, permissions = view.route_base, view.base_permissions
            urls.append(f"{base}/list/")
            if type(view).__name__ not in RECORD_PAGE_VIEWS:
                continue
            pk = first_pk(view)
            for permission, url in (("can_add", f"{base}/add"), ("can_show", f"{base}/show/{pk}"),
                                    ("can_edit", f"{base}/edit/{pk}")):
                if permission in permissions and (pk is not None or permission == "can_add"):
                    urls.append(url)
        db.session.remove()
    failures = {}
    for url in urls:
        response = browser.get(url)
        if response.status_code != 200:
            failures[url] = f"HTTP {response.status_code}"
            continue
        problems = audit(response)
        if problems:
            failures[url] = problems
    assert failures == {}
    assert sum("/show/" in url for url in urls) >= 6
    assert sum(url.endswith("/list/") for url in urls) > 30


@pytest.mark.parametrize("username", ["agent", "partner", "support", "analyst", "learner", "enterprise"])
def test_each_demo_account_home_page_passes_the_audit(demo_app, username):
    browser = demo_app.test_client()
    login(browser, username)
    response = browser.get("/")
    assert audit(response) == []
    html = response.get_data(as_text=True)
    assert "Bonjour" in html
    assert "Se déconnecter" in html
    # Every door the home page shows this account opens (no dead link, no 403).
    main = html[html.index("<main"):html.index("</main>")]
    links = {href for href in re.findall(r'href="(/[^"]*)"', main) if href != "/logout/"}
    assert links
    dead = {href: code for href in sorted(links) if (code := browser.get(href).status_code) != 200}
    assert dead == {}


def test_english_back_office_page_passes_the_audit(demo_app):
    browser = demo_app.test_client()
    login(browser, "analyst")
    try:
        browser.get("/lang/en")
        response = browser.get("/")
        assert audit(response, "en") == []
    finally:
        with demo_app.app_context():  # leave the shared demo account with no saved language
            user = demo_app.appbuilder.sm.find_user(username="analyst")
            db.session.query(UserPreference).filter_by(user_id=user.id).delete()
            db.session.commit()
            db.session.remove()
