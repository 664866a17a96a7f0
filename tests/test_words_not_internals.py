"""What people read are words, not internals: a visit of every page of every role, in both languages.

Each demo account (staff pass their second factor) starts from the pages without a parameter that
its menu offers and follows the links it finds to pages with parameters (one URL per endpoint: the
show and edit pages of one row of each generated view, an application's file, a group...). Every
HTML page answered is read as a person would read it — its text and the text of its ``title``,
``aria-label``, ``alt`` and ``placeholder`` attributes, without what an element in the other
language (``lang``) says — and must show no raw enum value or internal key (``part_time``,
``site_id``), no "None", no JSON, and on a French page no English (an English sentence word, or a
catalogue message left untranslated). Proper nouns that read the same in both languages are allowed.
"""
from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po

from app.models import reference
from tests.conftest import Auth
from tests.route_policy import POLICY

ROOT = Path(__file__).resolve().parent.parent
ROLES = {"Admin": "admin", "Agent": "agent", "PartnerStaff": "partner", "Support": "support",
         "Analyst": "analyst", "Learner": "learner", "EnterpriseRep": "enterprise"}
# Policies whose GET pages a person reads (the others are redirects, tokens, APIs or actions).
READ_POLICIES = {"public", "visitor", "learner", "enterprise-rep", "fab", "staff-mfa"}
# Endpoints not visited: downloads and exports (not HTML), deletions FAB does on GET, the API docs,
# and FAB's own access-control tables (permissions, view menus, roles with their permissions, the
# account statistics chart): their names are the identifiers an administrator grants, not words.
SKIPPED = re.compile(r"\.(delete|download|action|action_post|api\w*|logout|export_\w+)$|^(SwaggerView|LocaleView|"
                     r"PermissionModelView|ViewMenuModelView|PermissionViewModelView|RoleModelView|UserGroupModelView|"
                     r"UserStatsChartView)\.")
MAX_PAGES_PER_ROLE = 400

# Words of English sentences that French does not use.
ENGLISH_WORDS = {"the", "and", "with", "your", "you", "this", "that", "from", "which", "have", "has", "are",
                 "is", "was", "were", "will", "would", "should", "not", "no", "yes", "of", "to", "for", "by",
                 "bytes", "learner", "learners", "none", "true", "false", "open", "closed", "list", "show",
                 "edit", "add", "search", "page", "record", "records", "user", "users", "role", "roles",
                 "name", "first", "last", "next", "previous", "save", "back", "home", "login", "logout",
                 "status", "date", "time", "week", "weeks", "day", "days", "hours", "level", "levels",
                 "enrolled", "waitlisted", "offered", "dropped", "completed", "failed", "draft",
                 "submitted", "approved", "refused", "withdrawn", "morning", "afternoon", "evening"}
# Words French and English share, or names: never counted as English by themselves.
SHARED = {"date", "page", "agent", "admin", "support", "total", "code", "options", "description", "minimum",
          "maximum", "format", "message", "messages", "type", "position", "note", "notes", "document",
          "documents", "session", "sessions", "section", "sections", "attestation", "statut", "courriel",
          "record"} - {"record"}
PROPER_NOUNS = ("Francisation Québec", "Guichet Francisation", "Flask-AppBuilder", "OpenAPI", "Swagger",
                "TOTP", "NEQ", "PDF", "CSV", "XLSX", "iCalendar", "Google", "Microsoft", "Outlook", "Apple")
INTERNAL_KEY = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
NONE = re.compile(r"\bNone\b")
JSON = re.compile(r"[{\[]\s*\"\w+\"\s*[:,]")


class Reader(HTMLParser):
    """The text a person reads on the page, in the page's language."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    ATTRIBUTES = ("title", "aria-label", "alt", "placeholder")

    def __init__(self, language: str):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[tuple[str, bool]] = []  # (tag, read)
        self.texts: list[str] = []

    @property
    def reading(self) -> bool:
        return not self.stack or self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        read = self.reading and tag not in ("script", "style", "template", "code", "pre", "textarea")
        lang = attrs.get("lang")
        if lang and not lang.lower().startswith(self.language) and tag != "html":
            read = False
        if read:
            self.texts.extend(attrs[name] for name in self.ATTRIBUTES if attrs.get(name))
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.texts.append(attrs["value"])
        if tag not in self.VOID:
            self.stack.append((tag, read))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if self.reading and data.strip():
            self.texts.append(data.strip())


def readable_texts(page: str, language: str) -> list[str]:
    reader = Reader(language)
    reader.feed(page)
    reader.close()
    return reader.texts


def untranslated_messages() -> set[str]:
    """Catalogue messages whose French differs from the English: read on a French page, English
    (unless the same words are the French of another message, as "Places")."""
    with open(ROOT / "translations/fr/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    french = {message.string for message in catalog if isinstance(message.string, str)}
    return {message.id for message in catalog
            if message.id and isinstance(message.id, str) and message.string and message.string != message.id
            and len(message.id) > 3 and not message.id.startswith("%") and message.id not in french}


ENUM_VALUES = {member.value for enum_class in vars(reference).values()
               if isinstance(enum_class, type) and issubclass(enum_class, reference.LabelledEnum)
               and enum_class is not reference.LabelledEnum for member in enum_class}


NUMBER_SIGN = re.compile(r"\b[Nn]o\s?(?=\d)")  # "no 4", "No 106": the French abbreviation of numéro


def problems_in(text: str, language: str, english_messages: set[str], names: frozenset[str] = frozenset()) -> list[str]:
    found = []
    if text in names:
        return found
    clean = NUMBER_SIGN.sub(" ", text)
    for noun in PROPER_NOUNS:
        clean = clean.replace(noun, " ")
    if NONE.search(clean):
        found.append("None")
    if JSON.search(clean):
        found.append("JSON")
    for key in INTERNAL_KEY.findall(clean):
        found.append(f"internal key {key!r}")
    for word in re.findall(r"[a-z_]+", clean):
        if word in ENUM_VALUES and word not in SHARED and (len(clean) < 40 or "_" in word):
            if clean.strip().lower() == word:
                found.append(f"raw value {word!r}")
    if language == "fr":
        if clean.strip() in english_messages:
            found.append("English message")
        else:
            words = [w.lower() for w in re.findall(r"[A-Za-zÀ-ÿ']+", clean)]
            english = [w for w in words if w in ENGLISH_WORDS and w not in SHARED]
            if english and (len(english) >= 2 or len(words) <= 2):
                found.append("English words " + ", ".join(sorted(set(english))))
    return found


def set_language(client, language: str) -> None:
    with client.session_transaction() as session:
        session["locale"] = language


def endpoint_of(app, path: str) -> tuple[str, dict] | None:
    adapter = app.url_map.bind("localhost")
    try:
        return adapter.match(path, method="GET")
    except Exception:  # noqa: BLE001 - a link that is not a page of ours (404, redirect, method)
        return None


def links_of(page: str) -> list[str]:
    return re.findall(r'href="(/[^"#?]*)(?:\?[^"#]*)?(?:#[^"]*)?"', page)


def readable(endpoint: str) -> bool:
    return POLICY.get(endpoint) in READ_POLICIES and not SKIPPED.search(endpoint)


def crawl(app, client, language: str, english_messages: set[str],
          names: frozenset[str] = frozenset()) -> tuple[int, dict[str, set[str]]]:
    """Visit every readable page ``client`` reaches: one URL per endpoint. Returns (pages, problems)."""
    set_language(client, language)
    queue = [rule.rule for rule in app.url_map.iter_rules()
             if not rule.arguments and "GET" in rule.methods and readable(rule.endpoint)]
    seen_endpoints, problems, pages = set(), defaultdict(set), 0
    while queue and pages < MAX_PAGES_PER_ROLE:
        path = queue.pop(0)
        match = endpoint_of(app, path)
        if match is None or match[0] in seen_endpoints or not readable(match[0]):
            continue
        seen_endpoints.add(match[0])
        response = client.get(path)
        page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        response.close()  # a streamed answer holds its database connection until closed
        if response.status_code != 200 or not page:
            continue
        pages += 1
        assert f'lang="{language}"' in page[:400], f"{path}: the page is not in {language}"
        for text in readable_texts(page, language):
            for problem in problems_in(text, language, english_messages, names):
                problems[f"{problem}: {text[:120]!r}"].add(path)
        queue.extend(link for link in links_of(page) if urlsplit(link).path == link)
    return pages, problems


@pytest.fixture(scope="module")
def english_messages():
    return untranslated_messages()


@pytest.fixture(scope="module")
def user_names(demo_app):
    """Login names, shown as typed (``learner``, ``partner``): names, not words to translate."""
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import select

    from app.extensions import db

    with demo_app.app_context():
        names = frozenset(db.session.scalars(select(User.username)))
        db.session.remove()
    return names


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_page_of_every_role_reads_as_words(demo_app, language, english_messages, user_names):
    report, total = [], 0
    for role, username in ROLES.items():
        client = demo_app.test_client()
        Auth(client).login(username)
        pages, problems = crawl(demo_app, client, language, english_messages, user_names)
        total += pages
        for problem, paths in sorted(problems.items()):
            report.append(f"[{role} {language}] {problem} on {', '.join(sorted(paths)[:3])}")
    anonymous = demo_app.test_client()
    pages, problems = crawl(demo_app, anonymous, language, english_messages, user_names)
    total += pages
    report.extend(f"[visitor {language}] {problem} on {', '.join(sorted(paths)[:3])}"
                  for problem, paths in sorted(problems.items()))
    assert total > 150, total
    assert not report, f"{len(report)} problems on {total} pages:\n" + "\n".join(report)


@pytest.fixture(scope="module")
def demo_app(own_demo_app):
    """The demo data alone (see own_demo_app)."""
    return own_demo_app
