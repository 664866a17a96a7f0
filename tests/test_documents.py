"""Attestations and yearly statements: PDFs that hold the learner's levels, hours and amounts and a
verification code; the public page confirms a genuine code and rejects a forged one (404, in
French and in English); each learner downloads only their own documents."""
from __future__ import annotations

import datetime as dt
import html
import io
import re
from decimal import Decimal

import pytest
from flask_babel import force_locale, lazy_gettext
from pypdf import PdfReader
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Attendance, Enrolment, EnrolmentStatus, ExamResult, IssuedDocument, IssuedDocumentKind, Learner, Payment, Skill,
)
from app.services import documents
from app.services.access import AGENT
from tests.conftest import DEMO_PASSWORD
from tests.factories import make_section, make_term, tag
from tests.test_learner_enrolments import World, login, said

TODAY = dt.date.today()
LAST_YEAR = TODAY.year - 1


def flat(text: str) -> str:
    """Text with every kind of space (no-break, narrow no-break, line breaks) as one plain space."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return flat(" ".join(page.extract_text() for page in reader.pages))


def page_text(response) -> str:
    return flat(html.unescape(response.get_data(as_text=True)))


def record(learner: Learner) -> dict:
    """A learner with a completed course (5.5 hours attended), exam results and payments in two years."""
    term = make_term(today=dt.date(LAST_YEAR, 1, 5), starts_on=dt.date(LAST_YEAR, 1, 12),
                     ends_on=dt.date(LAST_YEAR, 3, 20))
    section = make_section(term)
    enrolment = Enrolment(learner=learner, section=section, status=EnrolmentStatus.COMPLETED)
    db.session.add(enrolment)
    db.session.flush()
    db.session.add_all([
        Attendance(enrolment_id=enrolment.id, day=dt.date(LAST_YEAR, 1, 13), hours_scheduled=Decimal("3"),
                   hours_present=Decimal("3")),
        Attendance(enrolment_id=enrolment.id, day=dt.date(LAST_YEAR, 1, 20), hours_scheduled=Decimal("3"),
                   hours_present=Decimal("2.5")),
        # oral comprehension: 5 then 6 (the latest passed counts)
        ExamResult(learner=learner, skill=Skill.ORAL_COMPREHENSION, level=5, taken_on=dt.date(LAST_YEAR, 2, 1)),
        ExamResult(learner=learner, skill=Skill.ORAL_COMPREHENSION, level=6, taken_on=dt.date(LAST_YEAR, 3, 18)),
        # written production: 4 passed, then 7 attempted and not passed
        ExamResult(learner=learner, skill=Skill.WRITTEN_PRODUCTION, level=4, taken_on=dt.date(LAST_YEAR, 2, 2)),
        ExamResult(learner=learner, skill=Skill.WRITTEN_PRODUCTION, level=7, passed=False,
                   taken_on=dt.date(LAST_YEAR, 3, 19)),
        Payment(learner=learner, paid_on=dt.date(LAST_YEAR, 2, 7), amount=Decimal("255.00"),
                reference=f"PAY-{tag()}"),
        Payment(learner=learner, paid_on=dt.date(LAST_YEAR, 12, 31), amount=Decimal("1000.00"),
                reference=f"PAY-{tag()}"),
        Payment(learner=learner, paid_on=dt.date(TODAY.year, 1, 1), amount=Decimal("77.00"),
                reference=f"PAY-{tag()}"),
    ])
    db.session.flush()
    references = db.session.scalars(select(Payment.reference).where(Payment.learner_id == learner.id)
                                    .order_by(Payment.paid_on)).all()
    return {"course": section.course.code, "references": references}


@pytest.fixture
def world(app):
    """Two learners with accounts, each with a record; a third learner without anything."""
    with World(app) as w:
        one, two, empty = w.account(), w.account(), w.account()
        for account in (one, two):
            learner = w.learner(account)
            learner.first_name, learner.last_name = "Zoé", f"Cœur-à-Lévesque {tag()}"
            account.update(record(learner))
            account["name"] = learner.full_name
        empty["name"] = w.learner(empty).full_name
    return {"one": one, "two": two, "empty": empty}


def issue(app, account: dict, kind: str, language: str = "fr", year: int = LAST_YEAR):
    """Issue a document through the service, as the learner's page does; returns (pdf text, code)."""
    with app.test_request_context():
        learner = db.session.get(Learner, account["learner_id"])
        if kind == "attestation":
            content, document = documents.attestation_pdf(db.session, learner, language)
        else:
            content, document = documents.yearly_statement_pdf(db.session, learner, year, language)
        code = document.code
        db.session.commit()
        db.session.remove()
    return content, code


def bilingual(msgid: str, **params) -> str:
    """How the PDF writes a label: French / English (once when the catalogue has no translation)."""
    return flat(documents.joined(documents.both(lazy_gettext(msgid, **params))))


def skill_label(skill: Skill) -> str:
    return flat(documents.joined(documents.both(skill.label)))


# --- the PDFs -----------------------------------------------------------------------------------

def test_the_attestation_holds_the_levels_reached_the_hours_and_the_verification_code(app, world):
    content, code = issue(app, world["one"], "attestation")
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    with app.test_request_context():
        assert world["one"]["name"] in text
        assert world["one"]["course"] in text
        assert f"{skill_label(Skill.ORAL_COMPREHENSION)} 6 " in text
        assert f"{skill_label(Skill.WRITTEN_PRODUCTION)} 4 " in text  # the level 7 exam was not passed
        assert f"{skill_label(Skill.WRITTEN_PRODUCTION)} 7 " not in text
        assert skill_label(Skill.ORAL_PRODUCTION) not in text  # no result in that skill
        assert f"{bilingual('Total hours attended')} 5,5" in text
        assert documents.display_code(code) in text
        assert f"http://localhost/verify/{code}" in text
    # French comes out as written (a Unicode font is embedded): é, à, œ, and the dash of the course line
    assert world["one"]["name"].startswith("Zoé Cœur-à-Lévesque") and "Québec" in text
    assert f"{world['one']['course']} — " in text


def test_the_yearly_statement_holds_the_payments_of_that_year_and_their_total(app, world):
    french, code = issue(app, world["one"], "statement", "fr")
    text = pdf_text(french)
    first, second, next_year = world["one"]["references"]
    assert first in text and second in text and next_year not in text
    assert "255,00 $" in text and "1 000,00 $" in text and "77,00 $" not in text
    with app.test_request_context():
        assert f"{bilingual('Total paid in %(year)s', year=LAST_YEAR)} 1 255,00 $" in text
    assert documents.display_code(code) in text

    english, _ = issue(app, world["one"], "statement", "en")
    text = pdf_text(english)
    assert "$255.00" in text and "$1,255.00" in text and "December 31" in text


def test_the_same_facts_give_back_the_same_document_and_new_facts_a_new_code(app, world):
    account = world["two"]
    first, code = issue(app, account, "statement")
    again, same_code = issue(app, account, "statement")
    assert (same_code, again) == (code, first)
    with app.app_context():
        learner = db.session.get(Learner, account["learner_id"])
        assert db.session.scalar(select(func.count(IssuedDocument.id)).where(
            IssuedDocument.learner_id == learner.id)) == 1
        db.session.add(Payment(learner=learner, paid_on=dt.date(LAST_YEAR, 6, 1), amount=Decimal("25.00"),
                               reference=f"PAY-{tag()}"))
        db.session.commit()
        db.session.remove()
    changed, new_code = issue(app, account, "statement")
    assert new_code != code and "1 280,00 $" in pdf_text(changed)
    with app.app_context():
        old = documents.verify(db.session, code)
        new = documents.verify(db.session, new_code)
        assert (old.summary["total"], new.summary["total"]) == ("1255.00", "1280.00")
        assert new.content_sha256 == documents.sha256(changed)
        db.session.remove()


def test_nothing_to_attest_issues_nothing(app, world):
    with app.test_request_context():
        learner = db.session.get(Learner, world["empty"]["learner_id"])
        with pytest.raises(documents.NothingToIssue):
            documents.attestation_pdf(db.session, learner, "fr")
        with pytest.raises(documents.NothingToIssue):
            documents.yearly_statement_pdf(db.session, learner, LAST_YEAR, "fr")
        assert db.session.scalar(select(func.count(IssuedDocument.id)).where(
            IssuedDocument.learner_id == learner.id)) == 0
        db.session.remove()


# --- the public verification page --------------------------------------------------------------

@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_verification_page_confirms_a_genuine_code(app, world, language):
    _, code = issue(app, world["one"], "attestation")
    client = app.test_client()
    response = client.get(f"/verify/{code}", headers={"Accept-Language": language})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = page_text(response)
    assert f'lang="{language}"' in response.get_data(as_text=True)
    with app.test_request_context():
        document = documents.verify(db.session, code)
        issued_on = documents.date_text(document.issued_at, language)
        db.session.remove()
    assert flat(said(app, language, "This attestation of training was issued by %(organisation)s on %(date)s to "
                                    "%(name)s.", organisation="Francisation Québec", date=issued_on,
                     name=world["one"]["name"])) in text
    assert flat(said(app, language, "%(skill)s: level %(level)s",
                     skill=said(app, language, "Oral comprehension"), level=6)) in text
    assert flat(said(app, language, "%(skill)s: level %(level)s",
                     skill=said(app, language, "Written production"), level=4)) in text
    # the summary only: no file number, no link to the PDF
    assert world["one"]["learner_id"] and ".pdf" not in text
    with app.app_context():
        file_number = db.session.get(Learner, world["one"]["learner_id"]).file_number
        db.session.remove()
    assert file_number not in text

    typed = "-".join(code[i:i + 4] for i in range(0, 16, 4)).lower()
    form = client.get("/verify/", query_string={"code": f" {typed} "}, headers={"Accept-Language": language})
    assert form.status_code == 200 and world["one"]["name"] in page_text(form)


def test_the_verification_page_confirms_a_statement_with_its_total(app, world):
    _, code = issue(app, world["two"], "statement", "fr")
    response = app.test_client().get(f"/verify/{code}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    text = page_text(response)
    assert "$1,255.00" in text and world["two"]["name"] in text and str(LAST_YEAR) in text


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_forged_or_malformed_code_is_rejected_with_the_same_clear_message(app, world, language):
    _, code = issue(app, world["one"], "attestation")
    forged = code[:-1] + ("A" if code[-1] != "A" else "B")
    message = flat(said(app, language, "This code does not match any document issued by %(organisation)s. Check "
                                       "that you typed it exactly as printed; if it is right, the document is not "
                                       "genuine.", organisation="Francisation Québec"))
    client = app.test_client()
    for url in (f"/verify/{forged}", "/verify/not-a-code", f"/verify/?code={forged}", "/verify/?code=%3Cscript%3E"):
        response = client.get(url, headers={"Accept-Language": language})
        assert response.status_code == 404, url
        text = page_text(response)
        assert message in text, url
        assert world["one"]["name"] not in text
        assert f'lang="{language}"' in response.get_data(as_text=True)


def test_the_verification_form_asks_for_a_code_when_none_is_typed(app):
    client = app.test_client()
    empty = client.get("/verify/")
    assert empty.status_code == 200 and 'name="code"' in empty.get_data(as_text=True)
    blank = client.get("/verify/?code=++")
    assert blank.status_code == 200
    assert flat(said(app, "fr", "Enter the verification code printed on the document.")) in page_text(blank)


# --- the learner's page ------------------------------------------------------------------------

def test_a_learner_downloads_only_their_own_documents(app, world):
    one, two = world["one"], world["two"]
    client = app.test_client()
    login(client, one["username"])

    page = client.get("/my/documents/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    body = page.get_data(as_text=True)
    assert "/my/documents/attestation.pdf" in body
    assert f"/my/documents/statement/{LAST_YEAR}.pdf" in body and f"/my/documents/statement/{TODAY.year}.pdf" in body
    main = body[body.index("<main"):body.index("</main>")]
    links = set(re.findall(r'href="(/my/documents/[^"]*)"', main))
    assert links == {"/my/documents/attestation.pdf", "/my/documents/my-data.zip",
                     f"/my/documents/statement/{LAST_YEAR}.pdf", f"/my/documents/statement/{TODAY.year}.pdf",
                     # each PDF has its equivalent web page beside it
                     "/my/documents/attestation", f"/my/documents/statement/{LAST_YEAR}",
                     f"/my/documents/statement/{TODAY.year}"}

    pdf = client.get("/my/documents/attestation.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    assert pdf.headers["Cache-Control"] == "no-store"
    text = pdf_text(pdf.data)
    assert one["name"] in text and two["name"] not in text

    statement = client.get(f"/my/documents/statement/{LAST_YEAR}.pdf")
    assert statement.status_code == 200 and one["references"][0] in pdf_text(statement.data)
    assert two["references"][0] not in pdf_text(statement.data)
    assert client.get("/my/documents/statement/1999.pdf").status_code == 404

    # the other learner's document: its code shows the summary only, there is no URL to its PDF
    _, code = issue(app, two, "attestation")
    assert ".pdf" not in client.get(f"/verify/{code}").get_data(as_text=True)


def test_a_learner_with_nothing_to_attest_is_told_so(app, world):
    client = app.test_client()
    login(client, world["empty"]["username"])
    page = page_text(client.get("/my/documents/"))
    assert flat(said(app, "fr", "You can download an attestation once you have completed a course or passed an "
                                "exam.")) in page
    assert flat(said(app, "fr", "No amount has been paid to you yet: there is no statement to download.")) in page
    assert client.get("/my/documents/attestation.pdf").status_code == 404


def test_visitors_and_staff_have_no_documents_page(app):
    visitor = app.test_client()
    response = visitor.get("/my/documents/attestation.pdf")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    with app.app_context():
        sm = app.appbuilder.sm
        username = f"agent-{tag()}"
        assert sm.add_user(username, "Test", "Agent", f"{username}@example.org", sm.find_role(AGENT),
                           password=DEMO_PASSWORD)
        db.session.remove()
    staff = app.test_client()
    login(staff, username)
    assert staff.get("/my/documents/").status_code == 403
    assert staff.get("/my/documents/attestation.pdf").status_code == 403


def test_the_attestation_kind_and_year_are_recorded(app, world):
    _, attestation = issue(app, world["one"], "attestation")
    _, statement = issue(app, world["one"], "statement")
    with app.app_context():
        a, s = documents.verify(db.session, attestation), documents.verify(db.session, statement)
        assert (a.kind, a.year) == (IssuedDocumentKind.ATTESTATION, None)
        assert (s.kind, s.year) == (IssuedDocumentKind.YEARLY_STATEMENT, LAST_YEAR)
        assert a.summary["levels"] == {"oral_comprehension": 6, "written_production": 4}
        assert Decimal(a.summary["hours"]) == Decimal("5.5")
        assert set(a.summary) == {"name", "courses", "hours", "levels"}  # nothing more than the page confirms
        assert re.fullmatch(r"[A-Z2-7]{16}", attestation)
        db.session.remove()


def test_the_documents_and_verification_pages_pass_the_accessibility_audit(app, world):
    from tests.test_layout import PageAudit, audit

    _, code = issue(app, world["one"], "attestation")
    client = app.test_client()
    login(client, world["one"]["username"])
    assert audit(client.get("/my/documents/")) == []
    visitor = app.test_client()
    assert audit(visitor.get("/verify/")) == []
    assert audit(visitor.get(f"/verify/{code}")) == []
    assert audit(visitor.get("/verify/?code=")) == []
    forged = visitor.get("/verify/AAAAAAAAAAAAAAAA")
    assert forged.status_code == 404 and PageAudit(forged.get_data(as_text=True)).problems("fr") == []


def test_the_verification_page_is_rate_limited_when_limits_are_on(tmp_path):
    """Codes cannot be tried in bulk: past the limit, the page answers 429."""
    from app import create_app
    from config import TestConfig

    config = type("Limited", (TestConfig,), {"RATELIMIT_ENABLED": True,
                                             "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'limits.db'}"})
    limited = create_app(config)
    with limited.app_context():
        db.create_all()
    client = limited.test_client()
    answers = [client.get(f"/verify/not-a-code-{attempt}").status_code for attempt in range(32)]
    assert answers[:30] == [404] * 30 and answers[30:] == [429, 429]
    with limited.app_context():
        db.engine.dispose()


# --- the same documents as web pages (accessible: the PDFs are not tagged) -----------------------

def test_the_attestation_and_the_statement_are_also_web_pages_with_the_same_facts(app, world):
    client = app.test_client()
    login(client, world["one"]["username"])
    documents_page = client.get("/my/documents/")
    assert 'href="/my/documents/attestation"' in documents_page.get_data(as_text=True)
    assert f'href="/my/documents/statement/{LAST_YEAR}"' in documents_page.get_data(as_text=True)

    attestation = client.get("/my/documents/attestation")
    assert attestation.status_code == 200 and attestation.headers["Cache-Control"] == "no-store"
    page = page_text(attestation)
    assert world["one"]["name"] in page and world["one"]["course"] in page
    assert re.search(re.escape(said(app, "fr", "Total hours attended")) + r"</th>\s*<td[^>]*>5,5</td>", page)
    with app.test_request_context(), force_locale("fr"):
        oral, written = str(Skill.ORAL_COMPREHENSION.label), str(Skill.WRITTEN_PRODUCTION.label)
    assert said(app, "fr", "%(skill)s: level %(level)s", skill=oral, level=6) in page
    assert said(app, "fr", "%(skill)s: level %(level)s", skill=written, level=4) in page

    statement = page_text(client.get(f"/my/documents/statement/{LAST_YEAR}"))
    assert all(reference in statement for reference in world["one"]["references"][:2])
    assert world["one"]["references"][2] not in statement  # paid this year, not last year
    assert flat(documents.money(Decimal("1255.00"), "fr")) in statement
    with client.session_transaction() as session:
        session["locale"] = "en"
    english = page_text(client.get(f"/my/documents/statement/{LAST_YEAR}"))
    assert flat(documents.money(Decimal("1255.00"), "en")) in english


def test_the_web_documents_are_only_the_learners_own_and_only_when_there_is_something(app, world):
    empty, one = app.test_client(), app.test_client()
    login(empty, world["empty"]["username"])
    login(one, world["one"]["username"])
    assert empty.get("/my/documents/attestation").status_code == 404
    assert empty.get(f"/my/documents/statement/{LAST_YEAR}").status_code == 404
    assert one.get("/my/documents/statement/1999").status_code == 404
    visitor = app.test_client().get("/my/documents/attestation")
    assert visitor.status_code == 302 and "/login" in visitor.headers["Location"]
