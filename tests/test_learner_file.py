"""My file: the learner's own training record, exam results, financial record and applications —
hours attended, progression by skill, amounts formatted for the language ("230,00 $" / "$230.00"),
totals per year, pagination, and nobody else's record, by page or by API."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import (
    Allowance, AllowanceKind, AllowanceStatus, Application, ApplicationEvent, ApplicationStatus, Attendance,
    CourseFormat, Enrolment, EnrolmentStatus, ExamResult, Payment, PlacementResult, Skill,
)
from app.models.base import utcnow
from app.services import learner_file as service
from app.services.access import AGENT
from tests.conftest import DEMO_PASSWORD, minted_token
from tests.factories import make_course, make_learner, make_section, make_term, tag
from tests.test_learner_enrolments import World, login, said, text

FILE = "/my/file/"
PAGES = ("/my/file/", "/my/file/training", "/my/file/results", "/my/file/finance", "/my/file/applications")
API = ("/api/v1/my/file/training", "/api/v1/my/file/results", "/api/v1/my/file/finance",
       "/api/v1/my/file/applications")
UTC = dt.UTC


def plain(response) -> str:
    """The page's text with no-break spaces (Babel puts them in amounts) as plain spaces."""
    return re.sub(r"[\xa0\u202f]", " ", text(response))


def rows_of(page: str, needle: str) -> list[str]:
    """The text of the table rows (<tr>…</tr>) of the page that contain ``needle``."""
    rows = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
            for row in re.findall(r"<tr.*?</tr>", page, flags=re.S) if needle in row]
    assert rows, f"no row with {needle!r}"
    return rows


def row_of(page: str, needle: str) -> str:
    """The text of the first table row of the page that contains ``needle``."""
    return rows_of(page, needle)[0]


def payment_row(page: str, reference: str) -> str:
    """The row of a payment in the payments table (the last row naming its reference)."""
    return rows_of(page, reference)[-1]


def at(year: int, month: int, day: int, hour: int = 15) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=UTC)


# --- one learner's file, built by hand --------------------------------------------------------------

def build_file(app, w: World) -> dict:
    """A learner with three courses (completed, dropped, upcoming), results, allowances, payments in
    2025 and 2026 and an application with its history; every visible string is unique to this file."""
    account = w.account(level=3)
    learner = w.learner(account)
    unique = tag()
    past = make_term(code=f"P-{unique}", name_fr=f"Hiver {unique}", name_en=f"Winter {unique}",
                     starts_on=dt.date(2025, 1, 6), ends_on=dt.date(2025, 3, 14),
                     registration_opens=dt.date(2024, 11, 1), registration_closes=dt.date(2025, 1, 3),
                     drop_deadline=dt.date(2025, 1, 20))
    later = make_term(code=f"L-{unique}", name_fr=f"Automne {unique}", name_en=f"Fall {unique}",
                      starts_on=dt.date(2025, 9, 1), ends_on=dt.date(2025, 11, 14),
                      registration_opens=dt.date(2025, 6, 1), registration_closes=dt.date(2025, 8, 29),
                      drop_deadline=dt.date(2025, 9, 15))
    upcoming = make_term()
    course = make_course(fmt=CourseFormat.FULL_TIME)
    course.title_fr, course.title_en = f"Cours unique {unique}", f"Unique course {unique}"
    completed = make_section(past, course, meetings=((1, "09:00", "12:00"), (3, "09:00", "12:00")))
    dropped = make_section(later, meetings=((2, "18:00", "21:00"),))
    planned = make_section(upcoming, meetings=((2, "18:00", "21:00"),))
    enrolments = {
        "completed": Enrolment(learner_id=learner.id, section=completed, status=EnrolmentStatus.COMPLETED,
                               enrolled_at=at(2024, 12, 1), ended_at=at(2025, 3, 14)),
        "dropped": Enrolment(learner_id=learner.id, section=dropped, status=EnrolmentStatus.DROPPED,
                             reason="work", enrolled_at=at(2025, 8, 1), ended_at=at(2025, 9, 10)),
        "planned": Enrolment(learner_id=learner.id, section=planned, status=EnrolmentStatus.ENROLLED,
                             enrolled_at=utcnow()),
    }
    db.session.add_all(enrolments.values())
    db.session.flush()
    # 3 + 1.5 + 0 of 9 hours in the completed course; 3 of 3 in the dropped one
    for day, present in ((dt.date(2025, 1, 6), "3.00"), (dt.date(2025, 1, 8), "1.50"), (dt.date(2025, 1, 13), "0")):
        db.session.add(Attendance(enrolment_id=enrolments["completed"].id, day=day, hours_scheduled=Decimal("3.00"),
                                  hours_present=Decimal(present), justified=False))
    db.session.add(Attendance(enrolment_id=enrolments["dropped"].id, day=dt.date(2025, 9, 2),
                              hours_scheduled=Decimal("3.00"), hours_present=Decimal("3.00")))

    db.session.add_all([
        PlacementResult(learner_id=learner.id, skill=Skill.ORAL_PRODUCTION, level=4, assessed_on=dt.date(2024, 11, 20)),
        PlacementResult(learner_id=learner.id, skill=None, level=3, assessed_on=dt.date(2024, 11, 20)),
        ExamResult(learner_id=learner.id, section_id=completed.id, skill=Skill.ORAL_COMPREHENSION, level=3,
                   taken_on=dt.date(2025, 3, 12)),
        ExamResult(learner_id=learner.id, section_id=dropped.id, skill=Skill.ORAL_COMPREHENSION, level=5,
                   taken_on=dt.date(2025, 11, 12)),
        ExamResult(learner_id=learner.id, section_id=completed.id, skill=Skill.ORAL_PRODUCTION, level=6,
                   taken_on=dt.date(2025, 3, 12)),
        ExamResult(learner_id=learner.id, section_id=completed.id, skill=Skill.WRITTEN_PRODUCTION, level=4,
                   taken_on=dt.date(2025, 3, 12)),
        ExamResult(learner_id=learner.id, section_id=dropped.id, skill=Skill.WRITTEN_PRODUCTION, level=7,
                   passed=False, taken_on=dt.date(2025, 11, 12)),
    ])

    references = [f"PAY-{unique}-{n}" for n in range(3)]
    payments = [Payment(learner_id=learner.id, paid_on=dt.date(2025, 1, 24), amount=Decimal("230.00"),
                        reference=references[0]),
                Payment(learner_id=learner.id, paid_on=dt.date(2025, 12, 5), amount=Decimal("255.00"),
                        reference=references[1]),
                Payment(learner_id=learner.id, paid_on=dt.date(2026, 1, 16), amount=Decimal("230.00"),
                        reference=references[2])]
    db.session.add_all(payments)
    db.session.flush()
    week = dt.date(2025, 1, 6)
    participation = Allowance(learner_id=learner.id, enrolment_id=enrolments["completed"].id, period_start=week,
                              period_end=week + dt.timedelta(days=6), kind=AllowanceKind.PARTICIPATION,
                              amount=Decimal("230.00"), status=AllowanceStatus.PAID, payment=payments[0])
    db.session.add(participation)
    db.session.flush()
    db.session.add_all([
        Allowance(learner_id=learner.id, enrolment_id=enrolments["dropped"].id, period_start=dt.date(2025, 9, 1),
                  period_end=dt.date(2025, 9, 7), kind=AllowanceKind.TRANSPORT, amount=Decimal("25.00"),
                  status=AllowanceStatus.PAID, payment=payments[1]),
        Allowance(learner_id=learner.id, enrolment_id=enrolments["completed"].id, period_start=week,
                  period_end=week + dt.timedelta(days=6), kind=AllowanceKind.ADJUSTMENT, sequence=1,
                  amount=Decimal("-20.00"), status=AllowanceStatus.APPROVED, adjusts_id=participation.id,
                  note=f"Absence corrected {unique}"),
        Allowance(learner_id=learner.id, enrolment_id=enrolments["planned"].id, period_start=dt.date(2026, 1, 5),
                  period_end=dt.date(2026, 1, 11), kind=AllowanceKind.TRANSPORT, amount=Decimal("25.00"),
                  status=AllowanceStatus.PENDING),
    ])

    application = Application(learner_id=learner.id, format_wanted=CourseFormat.FULL_TIME,
                              status=ApplicationStatus.COMPLETE, created_at=at(2024, 10, 1),
                              submitted_at=at(2024, 10, 2), complete_at=at(2024, 10, 9))
    db.session.add(application)
    db.session.flush()
    sm = app.appbuilder.sm
    agent = sm.add_user(f"agent-{unique}", "Case", "Officer", f"agent-{unique}@example.org", sm.find_role(AGENT),
                        password=DEMO_PASSWORD).id
    note = f"Please send a proof of residence {unique}"
    db.session.add_all([
        ApplicationEvent(application_id=application.id, from_status=None, to_status=ApplicationStatus.DRAFT,
                         actor_id=learner.user_id, at=at(2024, 10, 1)),
        ApplicationEvent(application_id=application.id, from_status=ApplicationStatus.DRAFT,
                         to_status=ApplicationStatus.SUBMITTED, actor_id=learner.user_id, at=at(2024, 10, 2)),
        ApplicationEvent(application_id=application.id, from_status=ApplicationStatus.SUBMITTED,
                         to_status=ApplicationStatus.DOCUMENTS_REQUESTED, actor_id=agent, at=at(2024, 10, 3),
                         note=note),
        ApplicationEvent(application_id=application.id, from_status=ApplicationStatus.DOCUMENTS_REQUESTED,
                         to_status=ApplicationStatus.COMPLETE, actor_id=None, at=at(2024, 10, 9)),
    ])
    db.session.flush()
    return {**account, "unique": unique, "course": course.title_fr, "course_en": course.title_en,
            "course_code": course.code, "completed": completed.code, "dropped": dropped.code,
            "planned": planned.code, "planned_id": planned.id, "references": references, "note": note}


@pytest.fixture(scope="module")
def files(app):
    """Two learners with a full file each (A and B), and one with an empty file."""
    with World(app) as w:
        a, b = build_file(app, w), build_file(app, w)
        empty = w.account()
    return {"a": a, "b": b, "empty": empty}


@pytest.fixture
def learner_a(app, files):
    """Learner A, logged in, reading French (the language saved by an earlier test is reset)."""
    client = app.test_client()
    login(client, files["a"]["username"])
    client.get("/lang/fr")
    return client


def learner_of(app, account):
    from app.models import Learner

    return db.session.get(Learner, account["learner_id"])


# --- training record ------------------------------------------------------------------------------

def test_training_record_shows_hours_attended_status_and_reason(app, files, learner_a):
    a = files["a"]
    with app.test_request_context():
        record = service.training_record(db.session, learner_of(app, a))
        lines = {line.section.code: line for line in record.items}
        assert [line.section.code for line in record.items] == [a["planned"], a["dropped"], a["completed"]]
        assert (lines[a["completed"]].hours_scheduled, lines[a["completed"]].hours_attended) == (Decimal("9.00"),
                                                                                               Decimal("4.50"))
        assert lines[a["dropped"]].dropout_reason == "work"
        planned = lines[a["planned"]]
        # no attendance yet: the planned hours, 3 hours every Tuesday between the section's dates
        tuesdays = service.weekday_count(planned.section.starts_on, planned.section.ends_on, 2)
        assert not planned.hours_from_attendance and planned.hours_scheduled == Decimal(3 * tuesdays)
        db.session.remove()

    page = text(learner_a.get("/my/file/training"))
    assert 'lang="fr"' in page and a["course"] in page
    completed = row_of(page, a["completed"])
    assert " 9 " in completed and " 4,5 " in completed and said(app, "fr", "Completed") in completed
    dropped = row_of(page, a["dropped"])
    assert said(app, "fr", "Dropped") in dropped and said(app, "fr", "Work") in dropped
    assert said(app, "fr", "Not recorded yet") in row_of(page, a["planned"])

    learner_a.get("/lang/en")
    page = text(learner_a.get("/my/file/training"))
    assert 'lang="en"' in page and a["course_en"] in page
    assert " 4.5 " in row_of(page, a["completed"]) and "Completed" in row_of(page, a["completed"])
    assert "Reason: Work" in row_of(page, a["dropped"])


def test_training_record_is_paginated_without_a_query_per_row(app):
    with World(app) as w:
        account = w.account()
        learner = w.learner(account)
        codes = []
        for _ in range(23):
            section = make_section(make_term())
            db.session.add(Enrolment(learner_id=learner.id, section=section, status=EnrolmentStatus.ENROLLED,
                                     enrolled_at=utcnow()))
            db.session.flush()
            db.session.add(Attendance(enrolment_id=section.enrolments[0].id, day=section.starts_on,
                                      hours_scheduled=Decimal("3"), hours_present=Decimal("2")))
            codes.append(section.code)
    client = app.test_client()
    login(client, account["username"])
    first, second = text(client.get("/my/file/training")), text(client.get("/my/file/training?page=2"))
    assert sum(code in first for code in codes) == 20 and sum(code in second for code in codes) == 3
    assert 'href="/my/file/training?page=2"' in first
    assert client.get("/my/file/training?page=3").status_code == 404

    statements = []

    def count(*args):
        statements.append(args[2])

    with app.test_request_context():
        learner = learner_of(app, account)
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            service.training_record(db.session, learner, 1, 20)
            few = len(statements)
            statements.clear()
            service.training_record(db.session, learner, 1, 5)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(statements) == few, "the number of queries grows with the rows shown"
        db.session.remove()


# --- results --------------------------------------------------------------------------------------

def test_results_show_progression_by_skill(app, files, learner_a):
    with app.test_request_context():
        results = service.results(db.session, learner_of(app, files["a"]))
        progress = {p.skill: p for p in results.skills}
        oral, spoken = progress[Skill.ORAL_COMPREHENSION], progress[Skill.ORAL_PRODUCTION]
        assert (oral.first.level, oral.latest.level) == (3, 5)
        # the placement test is the starting point of oral production
        assert (spoken.first.level, spoken.latest.level) == (4, 6)
        # a failed exam does not raise the level reached
        assert progress[Skill.WRITTEN_PRODUCTION].latest.level == 4
        assert Skill.WRITTEN_COMPREHENSION not in progress
        assert [p.level for p in results.placements] == [4, 3]
        db.session.remove()

    page = text(learner_a.get("/my/file/results"))
    oral = said(app, "fr", "Oral comprehension")
    assert said(app, "fr", "%(skill)s: from level %(first)s to level %(latest)s", skill=oral, first=3, latest=5) in page
    assert said(app, "fr", "intermediate") in page and said(app, "fr", "Not passed") in page
    learner_a.get("/lang/en")
    page = text(learner_a.get("/my/file/results"))
    assert "Oral comprehension: from level 3 to level 5" in page
    assert "Oral production: from level 4 to level 6" in page
    assert "Written production: level 4" in page
    assert "Placement test" in page and "Overall level" in page
    overview = text(learner_a.get(FILE))
    assert "Oral comprehension: from level 3 to level 5" in overview


# --- financial record -----------------------------------------------------------------------------

def test_amounts_are_formatted_for_the_language_with_totals_per_year(app, files, learner_a):
    a = files["a"]
    with app.test_request_context():
        totals = service.yearly_totals(db.session, learner_of(app, a))
        assert [(t.year, t.paid, t.awaiting) for t in totals] == [
            (2026, Decimal("230.00"), Decimal("25.00")), (2025, Decimal("485.00"), Decimal("-20.00"))]
        db.session.remove()

    page = plain(learner_a.get("/my/file/finance"))
    assert 'lang="fr"' in page
    first_payment = payment_row(page, a["references"][0]).split()
    assert first_payment == ["24", "janvier", "2025", a["references"][0], "230,00", "$"]
    assert "485,00 $" in row_of(page, "<th scope=\"row\">2025</th>")
    assert "230,00 $" in row_of(page, "<th scope=\"row\">2026</th>")
    assert all(reference in page for reference in a["references"])

    learner_a.get("/lang/en")
    page = plain(learner_a.get("/my/file/finance"))
    assert 'lang="en"' in page
    assert payment_row(page, a["references"][0]).split() == ["January", "24,", "2025", a["references"][0], "$230.00"]
    assert "$485.00" in row_of(page, "<th scope=\"row\">2025</th>")
    assert "$255.00" in payment_row(page, a["references"][1])
    assert "-$20.00" in row_of(page, f"Absence corrected {a['unique']}")


def test_year_filter_and_adjustments(app, files, learner_a):
    a = files["a"]
    page = plain(learner_a.get("/my/file/finance?year=2025"))
    assert a["references"][0] in page and a["references"][1] in page and a["references"][2] not in page
    assert '<option value="2025" selected>' in page
    # the correction is shown as such, with what it corrects, beside the original allowance
    adjustment = row_of(page, f"Absence corrected {a['unique']}")
    assert said(app, "fr", "Adjustment") in adjustment and "230,00 $" in adjustment and "-20,00 $" in adjustment
    page = plain(learner_a.get("/my/file/finance?year=2019"))
    assert said(app, "fr", "No allowance in %(year)s.", year=2019) in page
    assert not any(reference in page for reference in a["references"])


def test_payments_and_allowances_are_paginated(app):
    with World(app) as w:
        account = w.account()
        learner = w.learner(account)
        unique = tag()
        for n in range(23):
            day = dt.date(2024, 1, 1) + dt.timedelta(days=7 * n)
            payment = Payment(learner_id=learner.id, paid_on=day, amount=Decimal("10.00"),
                              reference=f"R{unique}-{n:02d}")
            db.session.add(payment)
            db.session.add(Allowance(learner_id=learner.id, period_start=day, period_end=day + dt.timedelta(days=6),
                                     kind=AllowanceKind.TRANSPORT, amount=Decimal("10.00"),
                                     status=AllowanceStatus.PAID, payment=payment))
    client = app.test_client()
    login(client, account["username"])
    first = plain(client.get("/my/file/finance"))
    assert len(set(re.findall(rf"R{unique}-\d\d", first))) == 20
    assert "230,00 $" in row_of(first, "<th scope=\"row\">2024</th>")  # 23 payments of 10 $
    second = plain(client.get("/my/file/finance?page=2&payments_page=2"))
    assert len(set(re.findall(rf"R{unique}-\d\d", second))) == 3
    assert "payments_page=2" in first and client.get("/my/file/finance?payments_page=3").status_code == 404


def test_empty_file_says_so_in_both_languages(app, files):
    client = app.test_client()
    login(client, files["empty"]["username"])
    client.get("/lang/fr")
    assert said(app, "fr", "No allowance yet.") in text(client.get("/my/file/finance"))
    assert said(app, "fr", "No course in your training record yet.") in text(client.get("/my/file/training"))
    client.get("/lang/en")
    assert "No allowance yet." in text(client.get("/my/file/finance"))
    assert "No exam result yet." in text(client.get("/my/file/results"))
    assert "You have no application yet." in text(client.get("/my/file/applications"))
    overview = text(client.get(FILE))
    assert "No allowance yet." in overview and "No course in your training record yet." in overview


# --- applications ---------------------------------------------------------------------------------

def test_application_history_shows_each_status_change_with_its_note(app, files, learner_a):
    a = files["a"]
    learner_a.get("/lang/en")
    page = text(learner_a.get("/my/file/applications"))
    assert a["note"] in page
    assert "from “Submitted” to “Documents requested”" in page
    assert "by you" in page and "by Francisation Québec staff" in page and "automatically" in page
    assert page.index("from “Draft” to “Submitted”") < page.index("from “Documents requested” to “Complete”")
    assert "Full-time" in page and "October 9, 2024" in page


# --- one's own file only --------------------------------------------------------------------------

def test_every_page_answers_in_both_languages_and_is_not_cached(app, files, learner_a):
    for path in PAGES:
        response = learner_a.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store"
        assert 'lang="fr"' in text(response) and 'aria-current="page"' in text(response)
    learner_a.get("/lang/en")
    for path in PAGES:
        assert 'lang="en"' in text(learner_a.get(path)), path
    documents = "MyDocumentsView.index" in app.view_functions
    assert ('href="/my/documents' in text(learner_a.get(FILE))) == documents


def test_a_learner_never_sees_another_learners_record(app, files):
    a, b = files["a"], files["b"]
    client = app.test_client()
    login(client, b["username"])
    secrets = [a["course"], a["course_en"], a["completed"], a["dropped"], a["note"], *a["references"]]
    for path in PAGES:
        # a learner id in the query string is ignored: the file is the logged-in learner's
        for url in (path, f"{path}?learner_id={a['learner_id']}&id={a['learner_id']}"):
            page = text(client.get(url))
            assert not [secret for secret in secrets if secret in page], url
    assert b["references"][0] in text(client.get("/my/file/finance"))
    assert b["course"] in text(client.get("/my/file/training"))


def test_no_address_of_my_file_takes_an_id(app):
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/my/file") or rule.rule.startswith("/api/v1/my/file")]
    assert len(rules) >= len(PAGES) + len(API)
    assert all(not rule.arguments for rule in rules), [rule.rule for rule in rules if rule.arguments]


def test_visitors_go_to_login_and_staff_without_a_learner_file_are_forbidden(app):
    anonymous = app.test_client()
    response = anonymous.get("/my/file/finance")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    with World(app):
        sm = app.appbuilder.sm
        username = f"agent-{tag()}"
        assert sm.add_user(username, "Staff", username, f"{username}@example.org", sm.find_role(AGENT),
                           password=DEMO_PASSWORD)
    staff = app.test_client()
    login(staff, username)
    for path in PAGES:
        assert staff.get(path).status_code == 403, path


# --- the API --------------------------------------------------------------------------------------

def token_for(client, username: str) -> dict:
    response = client.post("/api/v1/security/login",
                           json={"username": username, "password": DEMO_PASSWORD, "provider": "db"})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_api_needs_a_token_and_gives_only_the_tokens_learner(app, files, learner_a):
    a, b = files["a"], files["b"]
    anonymous = app.test_client()
    for path in API:
        assert anonymous.get(path).status_code == 401, path
    # a browser session is not a credential for the API
    assert learner_a.get(API[0]).status_code == 401

    client = app.test_client()
    headers = token_for(client, b["username"])
    response = client.get(API[0], headers=headers)
    assert response.headers["Cache-Control"] == "no-store"
    training = response.get_json()
    assert {line["section_code"] for line in training["result"]} == {b["completed"], b["dropped"], b["planned"]}
    finance = client.get(f"{API[2]}?learner_id={a['learner_id']}", headers=headers).get_json()
    references = {payment["reference"] for payment in finance["payments"]["result"]}
    assert references == set(b["references"])
    assert {(t["year"], t["paid"]) for t in finance["totals"]} == {(2026, "230.00"), (2025, "485.00")}
    results = client.get(f"{API[1]}?_l_=en", headers=headers).get_json()
    oral = next(s for s in results["skills"] if s["skill"] == "oral_comprehension")
    assert (oral["first_level"], oral["latest_level"], oral["skill_label"]) == (3, 5, "Oral comprehension")
    applications = client.get(API[3], headers=headers).get_json()["result"]
    assert [e["note"] for e in applications[0]["events"] if e["note"]] == [b["note"]]
    body = str([training, finance, results, applications])
    assert not [secret for secret in (a["completed"], a["note"], *a["references"]) if secret in body]

    assert client.get(f"{API[0]}?page=0", headers=headers).status_code == 400


def test_api_refuses_staff_without_a_learner_file(app):
    with World(app):
        sm = app.appbuilder.sm
        username = f"agent-{tag()}"
        assert sm.add_user(username, "Staff", username, f"{username}@example.org", sm.find_role(AGENT),
                           password=DEMO_PASSWORD)
    client = app.test_client()
    headers = minted_token(app, username)
    for path in API:
        assert client.get(path, headers=headers).status_code == 403, path


def test_the_file_api_is_described_in_the_openapi_spec(app):
    from app.services.access import ADMIN

    with World(app):
        sm = app.appbuilder.sm
        username = f"admin-{tag()}"
        assert sm.add_user(username, "Staff", username, f"{username}@example.org", sm.find_role(ADMIN),
                           password=DEMO_PASSWORD)
    client = app.test_client()
    spec = client.get("/api/v1/_openapi", headers=minted_token(app, username)).get_json()
    for path in API:
        operation = spec["paths"][path]["get"]
        assert operation["security"] == [{"jwt": []}] and "401" in operation["responses"], path
    assert {"page", "page_size", "year"} <= {p["name"] for p in spec["paths"][API[2]]["get"]["parameters"]}
    assert spec["paths"][API[2]]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/MyFinancialRecord"}


# --- both engines ---------------------------------------------------------------------------------

def test_totals_per_year_are_computed_on_both_engines(engine_app):
    with engine_app.test_request_context():
        learner = make_learner()
        for day, amount in ((dt.date(2024, 12, 31), "100.10"), (dt.date(2025, 1, 1), "0.20"),
                            (dt.date(2025, 6, 30), "0.10")):
            db.session.add(Payment(learner_id=learner.id, paid_on=day, amount=Decimal(amount),
                                   reference=f"E-{tag()}"))
        db.session.flush()
        totals = service.yearly_totals(db.session, learner)
        assert [(t.year, t.paid) for t in totals] == [(2025, Decimal("0.30")), (2024, Decimal("100.10"))]
        assert all(isinstance(t.paid, Decimal) for t in totals)
        record = service.financial_record(db.session, learner, year=2025)
        assert record.years == [2025, 2024] and record.payments.total == 2
        db.session.rollback()
        db.session.remove()
