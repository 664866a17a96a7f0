"""Crafted input on every route: no 5xx anywhere (issue 11, item 4).

Every URL rule of ``app.url_map`` (the rules of tests/route_policy.py; new routes are picked up at
run time) is called, as the roles that reach it and anonymously, with the payloads an outside
tester tries first: integers beyond the database's range in each ``int`` path parameter, ids of
every size in the string ones, NUL bytes in the path, the query string and form fields, very long
strings, huge, negative and non-numeric page numbers and page sizes, Flask-AppBuilder's list
parameters (``page_<View>``, ``psize_<View>``, ``_oc_<View>``, ``_flt_<n>_<column>``) and its
bulk-action routes with unknown action names, and JSON bodies with oversized integers on the API.

The full cartesian product (routes x roles x payloads) would take many minutes: each (rule,
method) gets a deterministic sample of the payloads (seeded by the rule), each sent as one role
chosen among those that reach the route. The answer must be below 500 and no exception may
escape (the test app propagates them).

Side effects stay off the demo data: staff accounts only ever send ids that do not exist, and
form bodies whose fields differ from one another (no password and its confirmation match).
"""
from __future__ import annotations

import json
import random
import re
import zlib

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PartnerMembership, Section
from app.services.access import ADMIN, AGENT, ANALYST, ENTERPRISE_REP, LEARNER, PARTNER_STAFF, SUPPORT
from tests.conftest import DEMO_PASSWORD, Auth
from tests.factories import make_account
from tests.route_policy import POLICY
from tests.test_security_checks import DEMO_USERS, fab_allows, fab_permission, learner_with_a_file, rules_of

ANONYMOUS = "anonymous"
STAFF = (ADMIN, AGENT, PARTNER_STAFF, SUPPORT, ANALYST)
PAYLOADS_PER_RULE = 2  # sampled from the rule's candidates, besides the crafted path values

BIG = [2**31, 2**63, 10**30]
LONG = "é" * 3000 + "x" * 3000
NUL = "a\x00b"
PAGE_VALUES = ["abc", "-1", "-99999999999", str(2**31), str(10**30), "1e9", " ", "0x10", NUL]
GENERIC_QUERY = [
    {"page": v} for v in PAGE_VALUES] + [
    {"per_page": v} for v in PAGE_VALUES] + [
    {"q": NUL}, {"q": LONG}, {"next": NUL}, {"id": str(2**63)}, {"year": "99999999"}, {"term": str(10**30)},
    {"_l_": NUL}, {"pk": str(2**31)}, {"section_id": str(2**63)}, {"group_by": NUL},
]
COMMON_FIELDS = ["name", "username", "password", "email", "code", "first_name", "last_name", "note", "text",
                 "reason", "section_id", "term", "year", "level", "q", "action", "rowid", "conf_password",
                 "token", "neq", "amount", "hours"]


@pytest.fixture(scope="module")
def fuzz(demo_app):
    """{who: logged-in client}, the learner's API header, and real ids to fill the other converters."""
    with demo_app.app_context():
        learner_name, ids = learner_with_a_file(demo_app)
        rep_name = make_account(demo_app, role=ENTERPRISE_REP)["username"]
        db.session.commit()
        sm = demo_app.appbuilder.sm
        partner_id = db.session.scalar(select(PartnerMembership.partner_id).where(
            PartnerMembership.user_id == sm.find_user("partner").id).limit(1))
        ids["section_id"] = db.session.scalar(select(Section.id).where(Section.partner_id == partner_id)
                                              .order_by(Section.id).limit(1))
        db.session.remove()
    users = {**{role: DEMO_USERS[role] for role in STAFF}, LEARNER: learner_name, ENTERPRISE_REP: rep_name}
    clients = {ANONYMOUS: demo_app.test_client()}
    for who, username in users.items():
        clients[who] = demo_app.test_client()
        assert Auth(clients[who]).login(username).status_code == 302, f"{who} could not log in"
    token = clients[ANONYMOUS].post("/api/v1/security/login", json={
        "username": learner_name, "password": DEMO_PASSWORD, "provider": "db"}).get_json()["access_token"]
    yield clients, {"Authorization": f"Bearer {token}"}, ids
    # Some answers keep a database connection checked out after the request (seen on PostgreSQL
    # after the fuzz, origin not found yet): start the next tests with a fresh pool.
    with demo_app.app_context():
        db.session.remove()
        db.engine.dispose()


def reaching_roles(app, rule) -> list[str]:
    """The roles that get past the route's guard (the ones whose requests reach the code)."""
    policy = POLICY.get(rule.endpoint)
    if policy in ("fab", "fab-api", "fab-action"):
        function = app.view_functions[rule.endpoint]
        if policy == "fab-action":
            return [ADMIN]
        roles = [role for role in STAFF if fab_allows(role, *fab_permission(app, function))]
        return roles or [ADMIN]
    if policy in ("learner", "api-jwt"):
        return [LEARNER]
    if policy == "enterprise-rep":
        return [ENTERPRISE_REP]
    if policy in ("mfa", "staff-mfa"):
        return [AGENT]
    return [ANONYMOUS, LEARNER, ADMIN]


def view_of(app, rule):
    return getattr(app.view_functions[rule.endpoint], "__self__", None)


def fab_list_queries(view) -> list[dict]:
    """FAB's list parameters for the view (and its related lists on the show page)."""
    names = [view.__class__.__name__] + [v.__class__.__name__ for v in getattr(view, "_related_views", [])]
    queries = []
    for name in names:
        queries += [{f"page_{name}": v} for v in ("abc", "-1", str(2**31), str(10**30), "99999999")]
        queries += [{f"psize_{name}": v} for v in ("-5", "0", "abc", str(10**9), str(10**30))]
        queries += [{f"_oc_{name}": "no_such_column", f"_od_{name}": "asc"},
                    {f"_oc_{name}": "password", f"_od_{name}": "desc"},
                    {f"_oc_{name}": NUL, f"_od_{name}": "asc"}]
    for column in (getattr(view, "search_columns", None) or [])[:6]:
        queries += [{f"_flt_0_{column}": "abc"}, {f"_flt_1_{column}": str(10**30)},
                    {f"_flt_2_{column}": NUL}, {f"_flt_0_{column}": "2026-13-45"}]
    queries += [{"_flt_9_no_such_column": "x"}]
    return queries


def form_fields(view, rule) -> list[str]:
    names = list(COMMON_FIELDS)
    for attribute in ("add_columns", "edit_columns", "search_columns"):
        names += [n for n in (getattr(view, attribute, None) or []) if isinstance(n, str)]
    form = getattr(view, "form", None)
    if form is not None and hasattr(form, "_unbound_fields") and form._unbound_fields:
        names += [name for name, _field in form._unbound_fields]
    return sorted(set(names))


def form_bodies(fields: list[str]) -> list[dict]:
    """Bodies whose values differ per field (no password confirmation ever matches)."""
    bodies = []
    bodies.append({name: f"{name}\x00" for name in fields})
    bodies.append({name: LONG + name for name in fields})
    bodies.append({name: str(2**63 + i) for i, name in enumerate(fields)})
    bodies.append({name: str(-(10**30) - i) for i, name in enumerate(fields)})
    bodies.append({name: ("abc" if i % 2 else str(2**31)) + name for i, name in enumerate(fields)})
    return bodies


INT_CRAFTED = [*BIG]
STRING_CRAFTED = [str(2**31), "9" * 40, NUL, str(2**63), "-1", "abc", "x" * 3000, "1.5"]
FAB_GENERIC = (".action", ".action_post", ".add", ".delete", ".download", ".edit", ".list", ".show")


def is_int(converter) -> bool:
    return "int" in type(converter).__name__.lower()


def path_variants(rule, ids: dict, chooser: random.Random) -> tuple[list[dict], list[dict]]:
    """(always, optional) values for the rule's converters: in each, one argument crafted, the
    others real ids (or 1). Always: one oversized value per argument (rotating through the list,
    seeded by the rule); optional: the others."""
    def base():
        values = {}
        for name in rule.arguments:
            if name in ids:
                values[name] = ids[name]
            elif is_int(rule._converters[name]):
                values[name] = 1
            else:
                values[name] = "v1" if name == "version" else "none"
        return values

    always, optional = [], []
    for name in sorted(rule.arguments):
        crafted = list(INT_CRAFTED if is_int(rule._converters[name]) else STRING_CRAFTED)
        chooser.shuffle(crafted)
        always.append({**base(), name: crafted[0]})
        optional += [{**base(), name: value} for value in crafted[1:]]
        if is_int(rule._converters[name]):
            optional.append({**base(), name: 2**31 - 1})
    return always, optional


def build(rule, values: dict) -> str | None:
    try:
        return rule.build(values, append_unknown=False)[1]
    except Exception:  # a value the converter refuses to build (e.g. a negative int)
        return None


def candidates(app, rule, method: str, ids: dict, chooser: random.Random) -> tuple[list, list]:
    """(always, optional) requests (url, query, form, json) for the rule and method."""
    view = view_of(app, rule)
    always_values, optional_values = path_variants(rule, ids, chooser)
    if rule.endpoint.endswith(".action"):
        always_values = [{"name": chooser.choice(ACTION_NAMES), "pk": 1}]
        optional_values += [{"name": name, "pk": str(2**63)} for name in ACTION_NAMES]
    always = [(url, {}, None, None) for url in map(lambda v: build(rule, v), always_values) if url]
    optional = [(url, {}, None, None) for url in map(lambda v: build(rule, v), optional_values) if url]
    plain = build(rule, {name: ids.get(name) or (1 if is_int(rule._converters[name]) else "none")
                         for name in rule.arguments})
    if not plain:
        return always, optional
    queries = list(GENERIC_QUERY)
    if view is not None and hasattr(view, "datamodel") and rule.endpoint.endswith((".list", ".show")):
        queries = fab_list_queries(view)
        if rule.endpoint.endswith(".list"):  # a FAB list: its parameters always
            always.append((plain, chooser.choice(queries), None, None))
    if method == "GET":
        optional += [(plain, query, None, None) for query in queries]
    else:
        fields = form_fields(view, rule) if view is not None else COMMON_FIELDS
        optional += [(plain, {}, body, None) for body in form_bodies(fields)]
        optional += [(plain, query, {}, None) for query in GENERIC_QUERY[:4]]
        if rule.rule.startswith("/api/"):
            for number in [*BIG, -(2**63)]:
                optional.append((plain, {}, None, {"section_id": number, "reason": NUL, "username": NUL,
                                                   "password": "x", "provider": "db", "refresh": True}))
            optional += [(plain, {}, None, {"section_id": "1\x00"}), (plain, {}, None, [1, 2**64])]
            always.append(chooser.choice(optional[-6:]))
        if rule.endpoint.endswith(".action_post"):
            always = [(plain, {}, {"action": chooser.choice(ACTION_NAMES), "rowid": "1"}, None)]
            optional += [(plain, {}, {"action": name, "rowid": pk}, None)
                         for name in ACTION_NAMES for pk in (str(2**63), NUL)]
    return always, optional


ACTION_NAMES = ["no_such_action", NUL, "x" * 300, "__init__", "datamodel"]


def planned_requests(app, ids: dict) -> list[tuple]:
    """Every request of the fuzz: (rule, method, who, url, query, form, json), deterministic."""
    plan = []
    for rule in sorted(rules_of(app), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint not in POLICY or rule.endpoint in ("AuthDBView.logout",):
            continue
        roles = reaching_roles(app, rule)
        for method in sorted(rule.methods & {"GET", "POST"}):
            chooser = random.Random(zlib.crc32(f"{rule.rule} {method} {rule.endpoint}".encode()))
            always, optional = candidates(app, rule, method, ids, chooser)
            # FAB's generated screens run the same code for every model: fewer extra payloads there
            extra = PAYLOADS_PER_RULE
            if rule.endpoint.endswith(FAB_GENERIC):
                extra = 1 if rule.endpoint.endswith(".list") or not always else 0
            requests = always + chooser.sample(optional, min(extra, len(optional)))
            for index, (url, query, form, body) in enumerate(requests):
                who = chooser.choice([ANONYMOUS, *roles]) if index == len(requests) - 1 else \
                    roles[index % len(roles)]
                plan.append((rule, method, who, url, query, form, body))
    return plan


def test_no_route_answers_5xx_to_crafted_input(demo_app, fuzz):
    clients, api_header, ids = fuzz
    failures, plan = [], planned_requests(demo_app, ids)
    for rule, method, who, url, query, form, body in plan:
        headers = api_header if POLICY[rule.endpoint] == "api-jwt" and who != ANONYMOUS else {}
        kwargs = {"query_string": query, "headers": headers}
        if method == "POST":
            if body is not None:
                kwargs.update(data=json.dumps(body), content_type="application/json")
            else:
                kwargs["data"] = form or {}
        described = f"{who:10} {method} {url[:120]} query={str(query)[:80]} form={str(form)[:60]} " \
                    f"json={str(body)[:60]}"
        try:
            response = clients[who].open(url, method=method, **kwargs)
        except Exception as error:  # the test app propagates what would be a 500
            failures.append(f"{described} -> {type(error).__name__}: {str(error)[:160]}")
            continue
        # read and close the body: a streamed answer (CSV exports) holds its database connection
        # until its generator is closed
        response.get_data()
        response.close()
        if response.status_code >= 500:
            failures.append(f"{described} -> {response.status_code}")
    print(f"route fuzz: {len(plan)} requests")
    assert not failures, f"{len(failures)} of {len(plan)} crafted requests failed:\n" + "\n".join(failures)


def test_the_fuzz_plan_covers_every_route_and_every_int_argument(app):
    """The fuzz is only as good as what it sends: every (rule, method) of the policy gets requests,
    each int argument of each rule an oversized value, each FAB list its parameters."""
    ids = {"section_id": 1}
    plan = planned_requests(app, ids)
    covered = {(rule.endpoint, method) for rule, method, *_ in plan}
    expected = {(rule.endpoint, method) for rule in rules_of(app) if rule.endpoint in POLICY
                and rule.endpoint != "AuthDBView.logout" for method in rule.methods & {"GET", "POST"}}
    assert covered == expected
    for rule in rules_of(app):
        if rule.endpoint in POLICY and any(is_int(converter) for converter in rule._converters.values()):
            sent = [url for r, _m, _w, url, *_ in plan if r is rule]
            assert any(re.search(rf"/({'|'.join(map(str, BIG))})(/|\.|$)", url) for url in sent), rule.rule
    lists = [url + str(query) for rule, _m, _w, url, query, *_ in plan if rule.endpoint.endswith(".list")]
    assert all(re.search(r"page_|psize_|_oc_|_flt_", entry) for entry in lists)
    assert len(plan) < 1400  # the budget of the suite (about a minute)
