"""Security checks run by ``make test``: static analysis, current dependencies, authorisation of every route.

- bandit finds nothing of medium or high severity in ``app/`` (a false positive is marked
  ``# nosec <id>`` with its reason in the code and listed in docs/SECURITY.md);
- no package pinned in requirements*.txt is a minor release (or more) behind the index without a
  reason written in docs/SECURITY.md;
- every URL rule has a declared policy (tests/route_policy.py), the code carries the guard the
  policy names, and each GET rule answers each role as the policy says.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Application, Document, Enrolment, EnterpriseMembership, EnterpriseRequest, Learner, PartnerMembership, Plan,
    Section,
)
from app.services.access import (
    ADMIN, AGENT, ANALYST, ENTERPRISE_REP, LEARNER, PARTNER_STAFF, ROLE_MATRIX, SELF_SERVICE, SUPPORT,
)
from app.views.documents_download import DOCUMENT_ROLES
from tests.conftest import Auth
from tests.factories import make_account
from tests.route_policy import POLICIES, POLICY

ROOT = Path(__file__).resolve().parent.parent
SECURITY_DOC = ROOT / "docs" / "SECURITY.md"


# --- bandit ----------------------------------------------------------------------------------------

def test_bandit_reports_no_medium_or_high_finding():
    done = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", "app", "-q", "-f", "json", "--severity-level", "medium"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.stdout, f"bandit produced no report:\n{done.stderr}"
    report = json.loads(done.stdout)
    assert not report["errors"], f"bandit could not read some files: {report['errors']}"
    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} ({r['issue_severity']}/"
                f"{r['issue_confidence']}) {r['issue_text']}" for r in report["results"]]
    assert not findings, "bandit findings (fix them, or mark a false positive `# nosec <id>` with the " \
                         "reason and list it in docs/SECURITY.md):\n" + "\n".join(findings)


def test_every_nosec_marker_is_explained_in_security_md():
    doc = SECURITY_DOC.read_text(encoding="utf-8")
    markers = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "nosec" in line:
                marker = re.search(r"#\s*nosec\s+(B\d{3})\b\s*(.*)", line)
                where = f"{path.relative_to(ROOT)}:{number}"
                assert marker, f"{where}: a nosec marker must name the test id (# nosec B608 ...)"
                assert len(marker.group(2).strip(" -:")) > 10, f"{where}: the nosec marker needs a reason"
                markers.append((str(path.relative_to(ROOT)), marker.group(1)))
    for filename, test_id in markers:
        assert re.search(rf"{re.escape(filename)}.*{test_id}|{test_id}.*{re.escape(filename)}", doc), \
            f"{filename} {test_id}: not listed in docs/SECURITY.md"


# --- dependencies ----------------------------------------------------------------------------------

def pinned_requirements() -> dict[str, str]:
    """{canonical name: pinned version} from every requirements*.txt of the project."""
    pins = {}
    for path in sorted(ROOT.glob("requirements*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            match = re.match(r"^([A-Za-z0-9._-]+)(\[[^\]]*\])?==([^\s;]+)", line)
            if match:
                pins[canonicalize_name(match.group(1))] = match.group(3)
    return pins


def documented_reasons() -> dict[str, tuple[str, str]]:
    """{canonical name: (pinned, reason)} from the "package | pinned | why not the latest" table."""
    reasons, in_table = {}, False
    for line in SECURITY_DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if [c.lower() for c in cells[:3]] == ["package", "pinned", "why not the latest"]:
            in_table = True
        elif in_table and len(cells) >= 3 and not set(cells[0]) <= set("-: "):
            reasons[canonicalize_name(cells[0].strip("`"))] = (cells[1].strip("`"), cells[2])
        elif in_table and not cells:
            in_table = False
    return reasons


def behind_by_a_minor_release(pinned: str, latest: str) -> bool:
    try:
        return Version(latest).release[:2] > Version(pinned).release[:2]
    except InvalidVersion:
        return pinned != latest


def index_reachable() -> tuple[bool, str]:
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/").rstrip("/") + "/pip/"
    try:
        with urllib.request.urlopen(index, timeout=10):
            return True, ""
    except Exception as exc:
        return False, f"the package index {index} is not reachable ({type(exc).__name__})"


def test_pinned_packages_are_current_or_the_reason_is_written():
    """The machines reach no vulnerability service: staying on current releases is the guard."""
    reachable, reason = index_reachable()
    if not reachable:
        pytest.skip(reason + "; `pip list --outdated` needs it (see docs/SECURITY.md)")
    done = subprocess.run([sys.executable, "-m", "pip", "list", "--outdated", "--format=json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    outdated = {canonicalize_name(row["name"]): row["latest_version"] for row in json.loads(done.stdout)}
    pins, reasons = pinned_requirements(), documented_reasons()
    assert pins, "no pinned requirement found"
    behind = []
    for name, pinned in sorted(pins.items()):
        latest = outdated.get(name)
        if latest is None or not behind_by_a_minor_release(pinned, latest):
            continue
        documented = reasons.get(name)
        if documented and documented[0] == pinned and len(documented[1]) > 10:
            continue
        behind.append(f"{name}=={pinned} (latest {latest})")
    assert not behind, ("pinned packages a minor release or more behind, without a reason in docs/SECURITY.md "
                        "(update the pin, or add a row `package | pinned | why not the latest`):\n"
                        + "\n".join(behind))


def test_the_reasons_table_names_only_current_pins():
    """A reason written for an older pin does not silently cover a new one."""
    pins = pinned_requirements()
    for name, (pinned, _reason) in documented_reasons().items():
        assert pins.get(name) == pinned, \
            f"docs/SECURITY.md gives a reason for {name} {pinned}, pinned: {pins.get(name)}"


# --- authorisation of every route ------------------------------------------------------------------

def rules_of(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            and not rule.endpoint.endswith(".static")]


def test_every_route_has_a_declared_policy(app):
    endpoints = {rule.endpoint for rule in rules_of(app)}
    missing = sorted(endpoints - set(POLICY))
    assert not missing, "routes without a policy in tests/route_policy.py:\n" + "\n".join(missing)
    stale = sorted(set(POLICY) - endpoints)
    assert not stale, "tests/route_policy.py declares routes that no longer exist:\n" + "\n".join(stale)
    unknown = {endpoint: policy for endpoint, policy in POLICY.items() if policy not in POLICIES}
    assert not unknown, f"unknown policies: {unknown}"


def guards_of(view_function) -> list[str]:
    """The qualified names of the decorators wrapped around a view function, outermost first."""
    names, function = [], getattr(view_function, "__func__", view_function)
    while function is not None:
        names.append(function.__code__.co_qualname)
        function = getattr(function, "__wrapped__", None)
    return names


GUARD_NAMES = {
    "learner": ("learner_required",),
    "enterprise-rep": ("speaks_for_a_business", "representative_required"),
    "api-jwt": ("learner_token_required", "jwt_required"),
    "mfa": ("second_factor_pending",),
    "staff-mfa": ("second_factor_passed",),
}


def test_the_code_carries_the_guard_each_policy_names(app):
    from flask_appbuilder.api import BaseApi
    from flask_appbuilder.baseviews import BaseView

    wrong = []
    for rule in rules_of(app):
        policy, function = POLICY.get(rule.endpoint), app.view_functions[rule.endpoint]
        view = getattr(function, "__self__", None)
        guards = " ".join(guards_of(function))
        if policy in ("fab", "fab-api"):
            kind = BaseApi if policy == "fab-api" else BaseView
            ok = hasattr(function, "_permission_name") and isinstance(view, kind)
            ok = ok and ("has_access" in guards or "protect" in guards or policy == "fab")
        elif policy in GUARD_NAMES:
            ok = any(name in guards for name in GUARD_NAMES[policy])
        elif policy == "fab-action":
            # FAB checks each action's own permission; only Admin holds those of FAB's security views
            ok = rule.endpoint.endswith((".action", ".action_post")) and not any(
                view.get_action_permission_name(name) in grants.get(view.class_permission_name, ())
                for name in view.actions for grants in ROLE_MATRIX.values())
        elif policy == "staff-documents":
            ok = "may_open_documents" in function.__func__.__code__.co_names
        else:  # public, public-redirect, token: nothing to carry, but no FAB permission either
            ok = not hasattr(function, "_permission_name")
        if not ok:
            wrong.append(f"{rule.endpoint} ({policy}): {guards}")
    assert not wrong, "the guard in the code does not match the declared policy:\n" + "\n".join(wrong)


# The clients of the visit: anonymous, the demo accounts of each role, and a second learner and a
# second representative (to check that ids of the first ones' objects stay out of their reach).
ANONYMOUS, OTHER_LEARNER, OTHER_REP = "anonymous", "other-learner", "other-rep"
DEMO_USERS = {ADMIN: "admin", AGENT: "agent", PARTNER_STAFF: "partner", SUPPORT: "support", ANALYST: "analyst",
              LEARNER: "learner", ENTERPRISE_REP: "enterprise"}
STAFF = (ADMIN, AGENT, PARTNER_STAFF, SUPPORT, ANALYST)


def learner_with_a_file(app) -> tuple[str, dict]:
    """A learner account with an enrolment, a saved plan and an uploaded document (file stored)."""
    from app.models import ApplicationStatus, CourseFormat, DocumentType, EnrolmentStatus
    from app.services.document_store import DocumentStore
    from tests.factories import make_section, make_term

    account = make_account(app, role=LEARNER)
    learner = db.session.get(Learner, account["learner_id"])
    term = make_term()
    section = make_section(term)
    enrolment = Enrolment(learner=learner, section=section, status=EnrolmentStatus.ENROLLED,
                          enrolled_at=dt.datetime.now(dt.UTC))
    plan = Plan(learner=learner, term=term, name="Plan A")
    application = Application(learner=learner, format_wanted=CourseFormat.PART_TIME,
                              status=ApplicationStatus.DRAFT)
    stored = DocumentStore.from_app(app).save(io.BytesIO(b"%PDF-1.4\n%test\n%%EOF\n"), "identity.pdf",
                                               "application/pdf")
    document = Document(application=application, learner=learner, type=DocumentType.IDENTITY,
                        original_name=stored.original_name, content_type=stored.content_type,
                        storage_key=stored.key, sha256=stored.sha256, size_bytes=stored.size)
    db.session.add_all([enrolment, plan, application, document])
    db.session.flush()
    return account["username"], {"enrolment_id": enrolment.id, "plan_id": plan.id, "document_id": document.id,
                                 "application_id": application.id, "number": 1, "year": dt.date.today().year}


@pytest.fixture(scope="module")
def visit(demo_app):
    """{who: logged-in test client} and the ids that fill the URL converters."""
    with demo_app.app_context():
        learner_name, learner_ids = learner_with_a_file(demo_app)
        users = {**DEMO_USERS, LEARNER: learner_name,
                 OTHER_LEARNER: make_account(demo_app, role=LEARNER)["username"],
                 OTHER_REP: make_account(demo_app, role=ENTERPRISE_REP)["username"]}
        db.session.commit()
        sm = demo_app.appbuilder.sm
        first = lambda query: db.session.scalar(query.limit(1))  # noqa: E731
        enterprise_id = first(select(EnterpriseMembership.enterprise_id).where(
            EnterpriseMembership.user_id == sm.find_user("enterprise").id))
        partner_id = first(select(PartnerMembership.partner_id).where(
            PartnerMembership.user_id == sm.find_user("partner").id))
        partner_section = first(select(Section.id).where(Section.partner_id == partner_id).order_by(Section.id))
        ids = {
            "learner": learner_ids,
            "enterprise-rep": {"enterprise_id": enterprise_id, "request_id": first(
                select(EnterpriseRequest.id).where(EnterpriseRequest.enterprise_id == enterprise_id))},
            "public": {"section_id": first(select(Section.id).order_by(Section.id))},
            "staff-documents": {"document_id": learner_ids["document_id"]},
            # a learner enrolled in a group of the demo partner: every staff role that reads
            # learners may open that one (partner staff only those of their own groups)
            "fab": {"application_id": first(select(Application.id).order_by(Application.id)),
                    "learner_id": first(select(Enrolment.learner_id).where(Enrolment.section_id == partner_section)
                                        .order_by(Enrolment.id)),
                    "section_id": partner_section,
                    "enrolment_id": first(select(Enrolment.id).where(Enrolment.section_id == partner_section)),
                    "request_id": first(select(EnterpriseRequest.id).order_by(EnterpriseRequest.id))},
        }
        assert all(value is not None for values in ids.values() for value in values.values()), ids
        db.session.remove()
    clients = {ANONYMOUS: demo_app.test_client()}
    for who, username in users.items():
        clients[who] = demo_app.test_client()
        response = Auth(clients[who]).login(username)
        assert response.status_code == 302, f"{who} could not log in"
    return clients, ids


def fill(rule, values: dict) -> str | None:
    """The rule's URL with its converters filled from ``values``; None when one cannot be filled."""
    arguments = {}
    for name in rule.arguments:
        if name not in values:
            return None
        arguments[name] = values[name]
    return rule.build(arguments, append_unknown=False)[1]


def fab_permission(app, function) -> tuple[str, str, bool]:
    """(permission, view name, whether the view has it at all) that FAB checks for the endpoint."""
    view = function.__self__
    name = function.__func__.__name__
    permission = "can_" + (view.method_permission_name or {}).get(name, function._permission_name.removeprefix("can_"))
    return permission, view.class_permission_name, permission in view.base_permissions


def fab_allows(role: str, permission: str, view_name: str, offered: bool) -> bool:
    if not offered:
        return False
    if role == ADMIN:
        return True
    grants = ROLE_MATRIX.get(role, {}) if role not in (OTHER_LEARNER, OTHER_REP) else \
        ROLE_MATRIX[LEARNER if role == OTHER_LEARNER else ENTERPRISE_REP]
    return permission in {**SELF_SERVICE, **grants}.get(view_name, ())


# What a visit shows: an HTTP status, "login" (sent to the login page) or "redirect" (elsewhere).
LOGIN, REDIRECT = "login", "redirect"
REACHED = {200, REDIRECT}  # the page, or the page's own redirect (e.g. nothing to confirm yet)
# Converters that name an object owned by a learner or a business (not a step number or a year).
OWNED_IDS = {"enrolment_id", "plan_id", "document_id", "enterprise_id", "request_id"}
# Learner pages that answer 404 when the learner has nothing to issue (no completed course, no
# payment that year) or the invitation token is unknown.
NOTHING_TO_ISSUE = {"MyDocumentsView.attestation", "MyDocumentsView.statement", "MyDocumentsView.attestation_page",
                    "MyDocumentsView.statement_page", "MyEmployerView.join"}


def outcome(response):
    if response.status_code in (301, 302, 303):
        return LOGIN if "/login/" in response.headers.get("Location", "") else REDIRECT
    return response.status_code


def expected_outcomes(app, rule, who: str, filled: bool) -> set | None:
    """The outcomes the policy allows for ``who`` on the GET rule; None: not visited as ``who``."""
    policy = POLICY[rule.endpoint]
    function = app.view_functions[rule.endpoint]
    owned = bool(set(rule.arguments) & OWNED_IDS)
    if policy == "public":
        return {200}
    if policy == "visitor":
        return {200} if who == ANONYMOUS else {REDIRECT}
    if policy == "public-redirect":
        return {REDIRECT} if who == ANONYMOUS else None  # logout would end the session of the client
    if policy in ("learner", "enterprise-rep"):
        owner, other = (LEARNER, OTHER_LEARNER) if policy == "learner" else (ENTERPRISE_REP, OTHER_REP)
        if who == ANONYMOUS:
            return {LOGIN}
        if who in (owner, other):
            reached = REACHED | {404} if rule.endpoint in NOTHING_TO_ISSUE else REACHED
            return {403, 404} if who == other and owned else reached
        return {403}
    if policy == "api-jwt":
        return {401}  # a session cookie is no credential for the learner API
    if policy == "mfa":
        return {LOGIN} if who == ANONYMOUS else {REDIRECT}  # every visiting staff session passed it
    if policy == "staff-mfa":
        return {LOGIN} if who == ANONYMOUS else ({200} if who in STAFF else {REDIRECT})
    if policy == "staff-documents":
        if who == ANONYMOUS:
            return {LOGIN}
        return {200} if who in DOCUMENT_ROLES else {403}
    if policy in ("fab", "fab-api"):
        if who == ANONYMOUS:
            return {401} if policy == "fab-api" else {LOGIN}
        if who in (ENTERPRISE_REP, OTHER_LEARNER, OTHER_REP):
            return None  # the same (empty) back-office grants as the learner, who is visited
        if not filled and who != SUPPORT:
            # FAB's generic row pages with a placeholder id (show, edit, delete, download): the
            # matrix per role is covered on the list and add pages; here the visitor and the help
            # desk (the least trusted staff) check that the row pages refuse them.
            return None
        allowed = fab_allows(who, *fab_permission(app, function))
        if allowed and not filled:
            return None  # a placeholder id: whether the row exists is not the question here
        return REACHED if allowed else {403}
    if policy == "fab-action":
        # refused (redirect) or no such action (404); never run. Admin may run FAB's own actions
        # (copy a role...), which would change data: not visited.
        return None if who == ADMIN else {LOGIN, REDIRECT, 404}
    return None  # token: the secret is the credential; tested where each token is issued


PLACEHOLDERS = {"pk": 1, "filename": "none", "column": "none", "group_by": "username", "version": "v1", "locale": "en",
                "kind": "never-enrolled",
                "name": "none", "token": "none", "code": "none"}


def test_each_role_gets_what_the_route_policy_says(demo_app, visit):
    clients, ids = visit
    mismatches, visited = [], 0
    for rule in sorted(rules_of(demo_app), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint not in POLICY:
            continue
        policy = POLICY[rule.endpoint]
        view = getattr(demo_app.view_functions[rule.endpoint], "__self__", None)
        actions = {"name": next(iter(view.actions))} if policy == "fab-action" and view.actions else {}
        url = fill(rule, {**ids.get(policy, {}), **actions}) if rule.arguments else rule.rule
        filled = url is not None
        if url is None:
            url = fill(rule, PLACEHOLDERS)
        if url is None:
            mismatches.append(f"{rule.rule}: no value for its converters {sorted(rule.arguments)}")
            continue
        for who, client in clients.items():
            expected = expected_outcomes(demo_app, rule, who, filled)
            if expected is None:
                continue
            response = client.get(url)
            got = outcome(response)
            # a streamed answer (CSV, XLSX) keeps its request context, and a database connection,
            # until it is closed: as a WSGI server does, close every answer once read
            response.close()
            visited += 1
            if got not in expected:
                mismatches.append(f"{who:14} GET {url} [{rule.endpoint}: {policy}] -> {got}, "
                                  f"expected {sorted(map(str, expected))}")
    assert visited > 300
    assert ROLE_MATRIX[ENTERPRISE_REP] == ROLE_MATRIX[LEARNER] == {}, "visit the representative's FAB pages too"
    assert not mismatches, "\n".join(mismatches)


def test_partner_staff_cannot_reach_another_partners_groups_learners_or_requests(demo_app, visit):
    """The partner's pages take ids: those of another partner's rows answer 403 or 404."""
    clients, _ids = visit
    with demo_app.app_context():
        sm = demo_app.appbuilder.sm
        own = set(db.session.scalars(select(PartnerMembership.partner_id).where(
            PartnerMembership.user_id == sm.find_user("partner").id)))
        section = db.session.scalar(select(Section).where(Section.partner_id.not_in(own)).order_by(Section.id))
        enrolled_with_us = select(Enrolment.learner_id).join(Section).where(Section.partner_id.in_(own))
        stranger = db.session.scalar(select(Learner.id).where(Learner.id.not_in(enrolled_with_us)).order_by(Learner.id))
        request_id = db.session.scalar(select(EnterpriseRequest.id).where(
            (EnterpriseRequest.partner_id.is_(None)) | EnterpriseRequest.partner_id.not_in(own)))
        assert section is not None and stranger is not None
        urls = [f"/partner/groups/{section.id}/", f"/partner/groups/{section.id}/attendance",
                f"/partner/groups/{section.id}/results", f"/agent/notes/learner/{stranger}"]
        if section.enrolments:
            urls.append(f"/partner/groups/{section.id}/learners/{section.enrolments[0].id}/dropout")
        if request_id is not None:
            urls.append(f"/partner/workplace-requests/{request_id}")
        db.session.remove()
    for url in urls:
        status = clients[PARTNER_STAFF].get(url).status_code
        assert status in (403, 404), f"PartnerStaff GET {url} -> {status}"
