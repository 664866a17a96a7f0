"""Law 25 "Download my data": a ZIP with JSON and one CSV per table holding every table that
refers to a learner — the list derived here from the models, so a new table cannot be forgotten —
without secrets, and without anybody else's rows."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from decimal import Decimal

import pytest
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Table, func, select

from app.extensions import db
from app.models import (
    AccessLog, Allowance, AllowanceKind, Application, ApplicationEvent, ApplicationStatus, Attendance, AuditEvent,
    Availability, CaseNote, CourseFormat, Document, DocumentType, Enrolment, EnrolmentStatus, ExamResult,
    IssuedDocument, IssuedDocumentKind, Language, Learner, Message, Payment, PlacementResult, Plan, PlanItem, Skill,
    UserPreference,
)
from app.services import data_export
from tests.factories import make_section, make_term, tag
from tests.test_learner_enrolments import World, login, said



def tables_referencing_the_learner() -> set[str]:
    """From the models: every mapped table with a foreign key to learner.id, and every table with a
    foreign key to one of those (and so on)."""
    tables = {mapper.local_table for mapper in Model.registry.mappers if isinstance(mapper.local_table, Table)}
    direct = {table for table in tables
              if any(fk.column.table.name == "learner" and fk.column.name == "id" for fk in table.foreign_keys)}
    reached, grew = set(direct), True
    while grew:
        grew = False
        for table in tables - reached:
            if any(fk.column.table in reached for fk in table.foreign_keys):
                reached.add(table)
                grew = True
    assert {"enrolment", "payment", "exam_result", "access_log"} <= {table.name for table in direct}
    return {table.name for table in reached} | {"learner"}


def full_file(learner: Learner) -> dict:
    """A row in every table that refers to a learner, directly or through another row."""
    term = make_term()
    section = make_section(term)
    application = Application(learner=learner, format_wanted=CourseFormat.PART_TIME,
                              status=ApplicationStatus.SUBMITTED)
    enrolment = Enrolment(learner=learner, section=section, status=EnrolmentStatus.ENROLLED)
    plan = Plan(learner=learner, term=term, name=f"Plan {tag()}")
    payment = Payment(learner=learner, paid_on=dt.date(2025, 3, 7), amount=Decimal("255.00"),
                      reference=f"PAY-{tag()}")
    db.session.add_all([application, enrolment, plan, payment])
    db.session.flush()
    db.session.add_all([
        ApplicationEvent(application_id=application.id, to_status=ApplicationStatus.SUBMITTED, note="Soumise"),
        Document(application_id=application.id, learner_id=learner.id, type=DocumentType.IDENTITY,
                 original_name="passeport-é.pdf", content_type="application/pdf", storage_key=f"k-{tag()}",
                 sha256="a" * 64, size_bytes=1234),
        PlacementResult(learner_id=learner.id, application_id=application.id, level=4,
                        assessed_on=dt.date(2025, 1, 10)),
        Attendance(enrolment_id=enrolment.id, day=dt.date(2025, 2, 4), hours_scheduled=Decimal("3"),
                   hours_present=Decimal("2.5")),
        Availability(learner_id=learner.id, weekday=1, starts_at=dt.time(9), ends_at=dt.time(12)),
        PlanItem(plan_id=plan.id, course_id=section.course_id, section_id=section.id),
        ExamResult(learner_id=learner.id, skill=Skill.ORAL_PRODUCTION, level=5, taken_on=dt.date(2025, 2, 20)),
        IssuedDocument(code=tag().upper()[:16], learner_id=learner.id, kind=IssuedDocumentKind.ATTESTATION,
                       content_sha256="b" * 64, summary={"name": learner.full_name}),
        Allowance(learner_id=learner.id, enrolment_id=enrolment.id, period_start=dt.date(2025, 2, 3),
                  period_end=dt.date(2025, 2, 9), kind=AllowanceKind.TRANSPORT, amount=Decimal("25.00"),
                  payment_id=payment.id),
        CaseNote(learner_id=learner.id, body="Appel : la personne préfère le soir."),
        Message(recipient=learner.email, learner_id=learner.id, language=Language.FR, template="welcome",
                subject="Bienvenue", body="Bonjour"),
        AccessLog(learner_id=learner.id, role="Agent", organisation="Francisation Québec", what="learner_file"),
        UserPreference(user_id=learner.user_id, language=Language.FR),
        AuditEvent(actor_id=learner.user_id, action="enrolment.register", object_type="Enrolment",
                   object_id=str(enrolment.id), ip="192.0.2.10"),
        AuditEvent(actor_id=None, action="learner.updated", object_type="Learner", object_id=str(learner.id),
                   ip="198.51.100.7"),
    ])
    learner.calendar_token_hash = hashlib.sha256(tag().encode()).hexdigest()
    db.session.flush()
    return {"section": section.code, "application_id": application.id, "secret": learner.calendar_token_hash}


@pytest.fixture
def two_files(app):
    with World(app) as w:
        mine, other = w.account(), w.account()
        mine.update(full_file(w.learner(mine)))
        other.update(full_file(w.learner(other)))
        for account in (mine, other):
            learner = w.learner(account)
            account.update(file_number=learner.file_number, email=learner.email, user_id=learner.user_id)
    return mine, other


def export(app, learner_id: int) -> zipfile.ZipFile:
    with app.test_request_context():
        content = data_export.export_learner(db.session, db.session.get(Learner, learner_id))
        db.session.remove()
    return zipfile.ZipFile(io.BytesIO(content))


def read_csv(archive: zipfile.ZipFile, table: str) -> list[dict]:
    text = archive.read(f"csv/{table}.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_export_holds_every_table_that_refers_to_a_learner(app, two_files):
    mine, _ = two_files
    archive = export(app, mine["learner_id"])
    data = json.loads(archive.read("data.json"))
    expected = tables_referencing_the_learner()
    assert expected <= set(data["tables"])
    assert {f"csv/{table}.csv" for table in expected} <= set(archive.namelist())
    assert {"README.txt", "data.json"} <= set(archive.namelist())
    for table in expected:
        rows = data["tables"][table]
        assert rows, f"no row of {table} in the export: add one to full_file() in this test"
        assert len(read_csv(archive, table)) == len(rows), table
        if any("learner_id" in row for row in rows):
            assert {row["learner_id"] for row in rows} == {mine["learner_id"]}, table
    # reached through another row, not by a learner_id of their own
    assert data["tables"]["application_event"][0]["application_id"] == mine["application_id"]
    assert data["tables"]["attendance"][0]["hours_present"] == "2.50"
    assert data["tables"]["plan_item"][0]["section_label"] == mine["section"]
    # the account, its preferences and the audit trail of the learner's file come too
    assert [row["id"] for row in data["tables"]["ab_user"]] == [mine["user_id"]]
    assert data["tables"]["user_preference"][0]["language"] == "fr"
    actions = {row["action"] for row in data["tables"]["audit_event"]}
    assert {"enrolment.register", "learner.updated"} <= actions


def test_the_rule_is_the_models_and_not_a_list(app):
    """The service's own list of tables is the one derived from the foreign keys."""
    assert set(data_export.learner_tables()) == tables_referencing_the_learner()


def test_the_export_holds_no_secret_and_nobody_else(app, two_files):
    mine, other = two_files
    archive = export(app, mine["learner_id"])
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode("utf-8")
    with app.app_context():
        password_hash = db.session.get(User, mine["user_id"]).password
        db.session.remove()
    assert mine["secret"] not in everything and password_hash not in everything
    assert "calendar_token_hash" not in read_csv(archive, "learner")[0]
    assert "password" not in read_csv(archive, "ab_user")[0]
    assert other["file_number"] not in everything and other["email"] not in everything
    data = json.loads(archive.read("data.json"))
    assert data["columns_left_out"]["learner"] == ["calendar_token_hash"]
    assert data["columns_left_out"]["ab_user"] == ["password"]
    # a staff member's address is theirs; the learner's own is theirs
    ips = {row["action"]: row["ip"] for row in data["tables"]["audit_event"]}
    assert ips["enrolment.register"] == "192.0.2.10" and ips["learner.updated"] is None
    readme = archive.read("README.txt").decode("utf-8")
    assert "learner.calendar_token_hash" in readme and "ab_user.password" in readme
    assert "FRANÇAIS" in readme
    assert said(app, "fr", "Dates and times are in ISO 8601 (times in UTC), amounts in Canadian dollars, statuses "
                           "as codes. A column ending in _label gives the name of what an identifier refers to "
                           "(course, group, region); identifiers of staff accounts are given without their "
                           "names.") in readme


def test_a_learner_without_rows_still_gets_every_table(app):
    with World(app) as w:
        account = w.account()
    archive = export(app, account["learner_id"])
    for table in tables_referencing_the_learner() - {"learner"}:
        text = archive.read(f"csv/{table}.csv").decode("utf-8-sig")
        assert text.count("\r\n") == 1 and text.startswith("id,"), table  # the header only
    assert len(read_csv(archive, "learner")) == 1


def test_download_my_data_from_the_page(app, two_files):
    mine, other = two_files
    client = app.test_client()
    login(client, mine["username"])
    response = client.get("/my/documents/my-data.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    learner_rows = json.loads(archive.read("data.json"))["tables"]["learner"]
    assert [row["file_number"] for row in learner_rows] == [mine["file_number"]]
    with app.app_context():
        exported = db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "learner.data_exported", AuditEvent.object_id == str(mine["learner_id"])))
        db.session.remove()
    assert exported == 1
