"""The reports pages as people use them: the dashboard (Analyst, Admin; partner staff limited to
their partner), capacity planning, and the agents' follow-up list with its case-note action."""
from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Application, ApplicationStatus, AuditEvent, CaseNote, CourseFormat, Partner, PartnerMembership,
)
from tests.conftest import Auth
from tests.factories import make_learner

CHARTS = ("chart-waiting-time", "chart-waiting-region", "chart-dropout", "chart-capacity")
TABLES = ("table-waiting-time", "table-waiting-region", "table-dropout", "table-capacity")


def logged_in(app, username: str, language: str | None = None):
    client = app.test_client()
    Auth(client).login(username)
    if language:
        with client.session_transaction() as session:
            session["locale"] = language
    return client


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def figures(text: str) -> dict[str, str]:
    """The key figures and totals of a dashboard page, as shown."""
    return {name: html.unescape(value).strip()
            for name, value in re.findall(r'data-figure="([a-z-]+)">([^<]*)<', text)}


def chart_data(text: str, chart_id: str) -> dict:
    block = re.search(rf'<script type="application/json" id="{chart_id}">(.*?)</script>', text, re.S)
    assert block, f"no data block for {chart_id}"
    return json.loads(block.group(1))


@pytest.fixture(scope="module")
def people(demo_app):
    """The demo partner, another partner with figures of its own, and a learner approved but never
    enrolled (so the follow-up list has someone)."""
    with demo_app.app_context():
        sm = demo_app.appbuilder.sm
        own = db.session.scalar(select(PartnerMembership.partner_id)
                                .where(PartnerMembership.user_id == sm.find_user("partner").id))
        other = db.session.scalar(select(Partner.id).where(Partner.id != own).order_by(Partner.id))
        learner = make_learner()
        now = dt.datetime.now(dt.UTC)
        db.session.add(Application(learner=learner, format_wanted=CourseFormat.PART_TIME,
                                   status=ApplicationStatus.APPROVED, submitted_at=now, complete_at=now,
                                   decided_at=now))
        db.session.commit()
        result = {"own": own, "other": other, "learner_id": learner.id, "learner_name": learner.full_name}
        db.session.remove()
    return result


def test_an_analyst_sees_the_four_charts_each_followed_by_its_table_in_french_and_english(demo_app):
    french = page(logged_in(demo_app, "analyst").get("/reports/"))
    english = page(logged_in(demo_app, "analyst", "en").get("/reports/"))
    assert '<html lang="fr"' in french and '<html lang="en"' in english
    assert "Délai d'attente par rapport à la norme de 50 jours ouvrables" in html.unescape(french)
    assert "Waiting time against the 50-working-day standard" in english
    for text in (french, english):
        assert "vendor/chartjs/chart.umd.js" in text and "js/report_charts.js" in text
        for chart, table in zip(CHARTS, TABLES, strict=True):
            canvas, data_table = text.find(f'data-gf-chart="{chart}"'), text.find(f'id="{table}"')
            assert 0 < canvas < data_table, f"{chart} must come before its table {table}"
            assert chart_data(text, chart)["datasets"], chart
        assert "<script>" not in text  # no inline script: the CSP would refuse it
    # the same figures, written the way each language writes them
    data_fr, data_en = chart_data(french, "chart-waiting-region"), chart_data(english, "chart-waiting-region")
    assert data_fr["datasets"][0]["data"] == data_en["datasets"][0]["data"]
    assert data_en["datasets"][1]["label"] == "Waiting more than 50 working days"
    waiting_fr, waiting_en = figures(french)["waiting"], figures(english)["waiting"]
    assert waiting_fr.replace("\u202f", "").replace("\xa0", "") == waiting_en.replace(",", "")
    share_fr, share_en = figures(french)["within-standard"], figures(english)["within-standard"]
    assert share_fr == "—" or share_fr.endswith("\xa0%") or share_fr.endswith("\u202f%")
    assert share_en == "—" or (share_en.endswith("%") and not share_en.endswith(" %"))


def test_the_dashboard_figures_are_the_services_for_the_filters_of_the_url(demo_app):
    from app.services import reports

    client = logged_in(demo_app, "analyst", "en")
    text = page(client.get("/reports/?format=part_time&level=beginner"))
    assert 'value="part_time" selected' in text and 'value="beginner" selected' in text
    with demo_app.test_request_context("/?_l_=en"):
        expected = reports.indicator_set(db.session, reports.ReportFilters(format=CourseFormat.PART_TIME,
                                                                           level_band="beginner"))
        db.session.remove()
    shown = figures(text)
    assert shown["waiting"] == f"{expected.waiting.size:,}"
    assert shown["received"] == f"{expected.applications.received:,}"
    assert shown["dropped-total"] == f"{expected.training.dropped:,}"
    region_chart = chart_data(text, "chart-waiting-region")
    assert sum(region_chart["datasets"][0]["data"]) + sum(region_chart["datasets"][1]["data"]) == \
        expected.waiting.size
    # nonsense in the URL is left out, never an error
    assert client.get("/reports/?from=2026-13-45&region=99999999999999&partner=abc").status_code == 200
    # a NUL byte is refused before any view (app/crafted_input.py)
    assert client.get("/reports/?partner=%00").status_code == 400


def test_partner_staff_see_only_their_partners_figures_whatever_the_url_says(demo_app, people):
    staff = logged_in(demo_app, "partner", "en")
    own = page(staff.get("/reports/"))
    asked_other = page(staff.get(f"/reports/?partner={people['other']}"))
    analyst = logged_in(demo_app, "analyst", "en")
    analyst_own = page(analyst.get(f"/reports/?partner={people['own']}"))
    analyst_other = page(analyst.get(f"/reports/?partner={people['other']}"))
    everyone = page(analyst.get("/reports/"))
    assert figures(own) == figures(asked_other) == figures(analyst_own)
    assert figures(own) != figures(everyone)
    assert figures(asked_other) != figures(analyst_other) or figures(analyst_other) == figures(analyst_own)
    # the partner choice offers their own partner only
    with demo_app.app_context():
        other_name = db.session.get(Partner, people["other"]).name
        own_name = db.session.get(Partner, people["own"]).name
    assert html.escape(other_name) not in own and html.escape(own_name) in own
    # the capacity planning page too, by typed URL and by query parameter
    plan_own = page(staff.get("/reports/capacity/"))
    plan_other = page(staff.get(f"/reports/capacity/?partner={people['other']}"))
    table = lambda text: re.search(r'<table[^>]*id="table-planning".*?</table>', text, re.S).group(0)  # noqa: E731
    assert table(plan_own) == table(plan_other)


def test_who_may_open_which_reports_page(demo_app):
    assert logged_in(demo_app, "support").get("/reports/").status_code == 403
    assert logged_in(demo_app, "learner").get("/reports/").status_code == 403
    assert logged_in(demo_app, "analyst").get("/reports/follow-up/").status_code == 403
    assert logged_in(demo_app, "partner").get("/reports/follow-up/").status_code == 403
    agent = logged_in(demo_app, "agent")
    assert agent.get("/reports/follow-up/").status_code == 200
    assert agent.get("/reports/capacity/").status_code == 403
    anonymous = demo_app.test_client().get("/reports/")
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]


def test_an_agent_works_through_the_follow_up_list_and_the_action_is_a_case_note(demo_app, people):
    agent = logged_in(demo_app, "agent", "en")
    learner_id = people["learner_id"]
    listed = page(agent.get("/reports/follow-up/never-enrolled?page=1"))
    total = int(re.search(r"(\d[\d,]*) (?:person|people) on this list", listed).group(1).replace(",", ""))
    pages = -(-total // 25)
    found = any(f'id="person-{learner_id}"' in page(agent.get(f"/reports/follow-up/never-enrolled?page={n}"))
                for n in range(1, pages + 1))
    assert found, "the approved learner without enrolment is on the list"
    assert agent.get(f"/reports/follow-up/never-enrolled?page={pages + 1}").status_code == 404

    response = agent.post(f"/reports/follow-up/never-enrolled/{learner_id}",
                          data={"body": "Appel : attend une place le soir à Laval.",
                                "follow_up_on": (dt.date.today() + dt.timedelta(days=7)).isoformat()})
    assert response.status_code == 302
    with demo_app.app_context():
        note = db.session.scalar(select(CaseNote).where(CaseNote.learner_id == learner_id)
                                 .order_by(CaseNote.id.desc()))
        assert note is not None and note.body.startswith("Appel : attend")
        assert note.author_id == demo_app.appbuilder.sm.find_user("agent").id
        assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "case_note.insert",
                                                              AuditEvent.object_id == str(note.id)))
        db.session.remove()
    # a person who is not on the list, or an empty note: nothing written
    with demo_app.app_context():
        other = make_learner()
        db.session.commit()
        other_id = other.id
        db.session.remove()
    assert agent.post(f"/reports/follow-up/dropped/{other_id}", data={"body": "x"}).status_code == 404
    refused = agent.post(f"/reports/follow-up/never-enrolled/{learner_id}", data={"body": "  "})
    assert refused.status_code == 200 and "Write the note." in refused.get_data(as_text=True)


MENU_LINK = re.compile(r'<ul class="dropdown-menu[^"]*">(.*?)</ul>', re.S)
EMPTY_LIST = ("No records found", "Aucun enregistrement trouvé")


def menu_links(text: str) -> list[str]:
    return [html.unescape(href) for menu in MENU_LINK.findall(text)
            for href in re.findall(r'<a href="([^"#][^"]*)"', menu)]


@pytest.mark.parametrize("username", ["admin", "agent", "partner", "support", "analyst"])
def test_every_menu_link_of_each_role_leads_to_a_working_screen(demo_app, username):
    """No menu entry answers an error; the reports entries are where they belong and show their
    content; the empty report-runs list and FAB's user statistics are no longer in any menu."""
    client = logged_in(demo_app, username, "en")
    links = menu_links(page(client.get("/reports/" if username in ("admin", "analyst", "partner") else "/")))
    assert links, f"{username} has no menu"
    assert not any("userstatschartview" in link.lower() or "reportrunview" in link.lower() for link in links)
    expected = {"admin": {"/reports/", "/reports/capacity/", "/reports/follow-up/"},
                "analyst": {"/reports/", "/reports/capacity/"}, "partner": {"/reports/", "/reports/capacity/"},
                "agent": {"/reports/follow-up/"}, "support": set()}[username]
    assert {link for link in links if link.startswith("/reports/")} == expected
    dead_ends = []
    for link in links:
        response = client.get(link)
        if response.status_code == 302:
            response = client.get(response.headers["Location"])
        text = response.get_data(as_text=True)
        if response.status_code != 200:
            dead_ends.append(f"{link}: {response.status_code}")
        elif link.startswith("/reports/") and ("<h1>" not in text or "<table" not in text
                                               or any(empty in text for empty in EMPTY_LIST)):
            dead_ends.append(f"{link}: no content")
    assert not dead_ends, f"{username}: " + "; ".join(dead_ends)


def sheet_rows(workbook, name: str) -> list[tuple]:
    """The rows of a sheet's table (under its title and column headings)."""
    return [row for row in workbook[name].iter_rows(min_row=4, values_only=True) if row and row[0] is not None]


def test_the_xlsx_export_totals_equal_the_dashboards_for_the_same_filters(demo_app):
    import io

    import openpyxl

    client = logged_in(demo_app, "analyst", "en")
    for query in ("", "format=part_time", "level=beginner&category=&region="):
        text = page(client.get(f"/reports/?{query}"))
        shown = {name: int(value.replace(",", "")) for name, value in figures(text).items()
                 if value.replace(",", "").isdigit()}
        link = re.search(r'href="([^"]*/reports/indicators\.xlsx[^"]*)"', text)
        assert link, "the dashboard links the XLSX export"
        response = client.get(html.unescape(link.group(1)))
        assert response.status_code == 200
        workbook = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
        applications = dict(row[:2] for row in sheet_rows(workbook, "Applications"))
        waiting = dict(row[:2] for row in sheet_rows(workbook, "Waiting"))
        training = dict(row[:2] for row in sheet_rows(workbook, "Training"))
        assert applications["Applications received"] == shown["received"]
        assert applications["Applications withdrawn"] == shown["withdrawn"]
        assert waiting["People waiting"] == shown["waiting"] == shown["waiting-total"]
        assert training["Enrolments"] == shown["enrolments"]
        assert training["Dropped out"] == shown["dropped-total"]
        assert sum(row[1] for row in sheet_rows(workbook, "Waiting by region")) == shown["waiting-total"]
        capacity = sheet_rows(workbook, "Capacity")
        assert sum(row[3] for row in capacity) == shown["demand-total"]
        assert sum(row[5] for row in capacity) == shown["declared-total"]
