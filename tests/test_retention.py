"""Law 25 retention: closed learner files are anonymised for good, their statistics kept."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
from decimal import Decimal

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select

from app.extensions import db
from app.jobs import enqueue
from app.models import (
    AccountToken, Allowance, AllowanceKind, AllowanceStatus, Application, ApplicationEvent, ApplicationStatus,
    Attendance, AuditEvent, CaseNote, CourseFormat, Document, DocumentType, Enrolment, EnrolmentStatus,
    ExamResult, IssuedDocument, IssuedDocumentKind, Job, JobStatus, Language, Learner, Message, Payment, Skill,
    TokenPurpose,
)
from app.models.base import utcnow
from app.services.document_store import DocumentStore
from app.services.retention import anonymise_closed_files
from tests.factories import make_learner, make_section, make_term, tag

TODAY = dt.date(2026, 11, 2)
YEARS = 7
LONG_AGO = dt.datetime(2017, 3, 14, 15, 0, tzinfo=dt.UTC)  # more than 7 years before TODAY

# The learner columns that are statistics and survive anonymisation. Every other column must be
# changed by it: a personal column added to Learner fails this test until it is classified here
# or anonymised by app.services.retention.
KEPT_LEARNER_COLUMNS = {
    "id", "user_id", "category_id", "status_id", "income_support_id", "region_id", "living_abroad",
    "preferred_language", "current_level", "children_in_care", "enterprise_id", "pending_enterprise_id", "created_at",
}

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def closed_file(app, store: DocumentStore, *, last_activity: dt.datetime = LONG_AGO,
                status: ApplicationStatus = ApplicationStatus.CLOSED) -> int:
    """A learner file with every kind of personal and statistical data, its last activity on ``last_activity``."""
    day = last_activity.date()
    with app.app_context():
        sm = app.appbuilder.sm
        username = f"ret-{tag()}"
        user = sm.add_user(username, "Marie", "Tremblay", f"{username}@example.org", sm.find_role("Learner"),
                           password="Francisation-2026!")
        learner = make_learner(level=4, language=Language.EN, phone="514-555-0199", address="12 rue Saint-Denis",
                               postal_code="H2X 1K4", arrival_date=dt.date(2015, 8, 20),
                               consent_data_sharing=True, consent_employer_progress=True,
                               calendar_token_hash=hashlib.sha256(tag().encode()).hexdigest())
        learner.user_id = user.id
        learner.birth_date = dt.date(1988, 6, 17)
        learner.created_at = last_activity - dt.timedelta(days=400)
        application = Application(learner=learner, format_wanted=CourseFormat.PART_TIME, status=status,
                                   created_at=last_activity - dt.timedelta(days=390),
                                   submitted_at=last_activity - dt.timedelta(days=390),
                                   decided_at=last_activity - dt.timedelta(days=380),
                                   decision_reason="Mme Tremblay a déménagé à Gatineau")
        db.session.add(application)
        db.session.flush()
        db.session.add(ApplicationEvent(application_id=application.id, from_status=ApplicationStatus.APPROVED,
                                        to_status=status, at=last_activity - dt.timedelta(days=380),
                                        note="Appel de Marie: enceinte, arrête ses cours"))
        term = make_term(today=day - dt.timedelta(days=200))
        section = make_section(term)
        enrolment = Enrolment(learner_id=learner.id, section_id=section.id, status=EnrolmentStatus.COMPLETED,
                              created_at=last_activity - dt.timedelta(days=200),
                              enrolled_at=last_activity - dt.timedelta(days=200),
                              ended_at=last_activity, reason="Absente pour raisons médicales")
        db.session.add(enrolment)
        db.session.flush()
        for offset, present in ((0, "3.00"), (7, "2.50"), (14, "3.00")):
            db.session.add(Attendance(enrolment_id=enrolment.id, day=term.starts_on + dt.timedelta(days=offset),
                                      hours_scheduled=Decimal("3.00"), hours_present=Decimal(present)))
        db.session.add_all([
            ExamResult(learner_id=learner.id, section_id=section.id, skill=Skill.ORAL_COMPREHENSION, level=5,
                       taken_on=day - dt.timedelta(days=10)),
            ExamResult(learner_id=learner.id, section_id=section.id, skill=Skill.WRITTEN_PRODUCTION, level=4,
                       taken_on=day - dt.timedelta(days=10)),
        ])
        payment = Payment(learner_id=learner.id, paid_on=day - dt.timedelta(days=30), amount=Decimal("215.00"),
                          reference=f"PAY-{tag()}")
        db.session.add(payment)
        db.session.flush()
        for kind, amount in ((AllowanceKind.PARTICIPATION, "190.00"), (AllowanceKind.TRANSPORT, "25.00")):
            db.session.add(Allowance(learner_id=learner.id, enrolment_id=enrolment.id, kind=kind,
                                     period_start=day - dt.timedelta(days=44), period_end=day - dt.timedelta(days=38),
                                     amount=Decimal(amount), status=AllowanceStatus.PAID, payment_id=payment.id,
                                     note="Versement à Marie Tremblay"))
        db.session.add(CaseNote(learner_id=learner.id, body="Marie vit chez sa sœur, 12 rue Saint-Denis",
                                created_at=last_activity))
        db.session.add(Message(recipient=learner.email, learner_id=learner.id, language=Language.EN,
                               template="decision", subject="Your application, Marie", body="Dear Marie Tremblay",
                               payload={"name": "Marie"}, created_at=last_activity))
        stored = store.save(io.BytesIO(PDF), "passeport-marie-tremblay.pdf", "application/pdf")
        db.session.add(Document(application_id=application.id, learner_id=learner.id, type=DocumentType.IDENTITY,
                                original_name=stored.original_name, content_type=stored.content_type,
                                storage_key=stored.key, sha256=stored.sha256, size_bytes=stored.size,
                                uploaded_at=last_activity - dt.timedelta(days=390)))
        db.session.add(IssuedDocument(code=tag() * 3, learner_id=learner.id, kind=IssuedDocumentKind.ATTESTATION,
                                      content_sha256="0" * 64, issued_at=last_activity,
                                      summary={"name": "Marie Tremblay", "levels": {"oral": 5}}))
        db.session.add(AccountToken(user_id=user.id, purpose=TokenPurpose.RESET_PASSWORD, token_hash=tag() * 6,
                                    expires_at=utcnow() + dt.timedelta(hours=1)))
        db.session.commit()
        learner_id = learner.id
        db.session.remove()
    return learner_id


def statistics(learner_id: int) -> dict:
    enrolment_ids = select(Enrolment.id).where(Enrolment.learner_id == learner_id)
    return {
        "enrolments": db.session.scalar(select(func.count()).select_from(Enrolment)
                                        .where(Enrolment.learner_id == learner_id)),
        "hours_present": db.session.scalar(select(func.sum(Attendance.hours_present))
                                           .where(Attendance.enrolment_id.in_(enrolment_ids))),
        "exam_levels": sorted(db.session.scalars(select(ExamResult.level).where(ExamResult.learner_id == learner_id))),
        "allowance_total": db.session.scalar(select(func.sum(Allowance.amount))
                                             .where(Allowance.learner_id == learner_id)),
        "payment_total": db.session.scalar(select(func.sum(Payment.amount)).where(Payment.learner_id == learner_id)),
        "enrolment_dates": sorted(db.session.execute(select(Enrolment.enrolled_at, Enrolment.ended_at)
                                                     .where(Enrolment.learner_id == learner_id)).all()),
    }


def learner_values(learner_id: int) -> dict:
    learner = db.session.get(Learner, learner_id)
    return {column.key: getattr(learner, column.key) for column in Learner.__mapper__.column_attrs}


def run(learner_ids, store, today=TODAY, dry_run=False):
    summary = anonymise_closed_files(db.session, today, YEARS, dry_run=dry_run, store=store,
                                     learner_ids=learner_ids)
    db.session.commit()
    return summary


def test_an_anonymised_learner_keeps_their_statistics_and_loses_every_personal_field(engine_app, tmp_path):
    app = engine_app
    store = DocumentStore(tmp_path)
    learner_id = closed_file(app, store)
    with app.app_context():
        before, stats_before = learner_values(learner_id), statistics(learner_id)
        user_id = before["user_id"]
        document = db.session.scalar(select(Document).where(Document.learner_id == learner_id))
        stored_path = store.path_for(document.storage_key)
        assert stored_path.exists()

        summary = run([learner_id], store)

        assert summary.anonymised == 1 and summary.learner_ids == [learner_id]
        assert summary.documents_deleted == 1
        db.session.expire_all()
        after = learner_values(learner_id)
        assert statistics(learner_id) == stats_before
        assert stats_before["enrolments"] == 1 and stats_before["hours_present"] == Decimal("8.50")
        assert stats_before["exam_levels"] == [4, 5] and stats_before["allowance_total"] == Decimal("215.00")

        # every column is either a statistic kept as it was, or changed
        for column, value in before.items():
            if column in KEPT_LEARNER_COLUMNS:
                assert after[column] == value, column
            else:
                assert after[column] != value, f"Learner.{column} is personal data left by the anonymisation"
        assert after["first_name"] == after["last_name"] == "Anonymised"
        assert after["email"] == f"anonymised-{learner_id}@invalid"
        # the audit trail of the anonymisation names the fields but keeps none of the erased values
        trail = db.session.scalars(select(AuditEvent.changes).where(
            AuditEvent.action == "learner.update", AuditEvent.object_id == str(learner_id))).all()
        assert trail and all(before["email"] not in str(changes) and before["last_name"] not in str(changes)
                             for changes in trail)
        assert after["file_number"] == f"ANON-{learner_id}"
        assert after["phone"] is after["address"] is after["postal_code"] is after["calendar_token_hash"] is None
        assert after["birth_date"] == dt.date(1988, 1, 1) and after["arrival_date"] == dt.date(2015, 1, 1)
        assert after["consent_data_sharing"] is False and after["consent_employer_progress"] is False
        assert after["anonymised_at"] is not None

        user = db.session.get(User, user_id)
        assert user.active is False
        assert user.first_name == user.last_name == "Anonymised"
        assert "example.org" not in user.email and user.username == f"anonymised-{user_id}"
        assert app.appbuilder.sm.auth_user_db(user.username, "Francisation-2026!") is None
        assert db.session.scalar(select(func.count()).select_from(AccountToken)
                                 .where(AccountToken.user_id == user_id)) == 0

        assert db.session.scalars(select(CaseNote.body).where(CaseNote.learner_id == learner_id)).all() == [
            "[anonymised]"]
        application = db.session.scalar(select(Application).where(Application.learner_id == learner_id))
        assert application.decision_reason == "[anonymised]"
        assert application.status == ApplicationStatus.CLOSED and application.decided_at is not None
        assert [event.note for event in application.events] == ["[anonymised]"]
        assert db.session.scalar(select(Enrolment.reason).where(Enrolment.learner_id == learner_id)) == "[anonymised]"
        assert set(db.session.scalars(select(Allowance.note).where(Allowance.learner_id == learner_id))) == {
            "[anonymised]"}
        message = db.session.scalar(select(Message).where(Message.learner_id == learner_id))
        assert (message.recipient, message.subject, message.body, message.payload) == ("", "", "", None)
        assert message.template == "decision" and message.language == Language.EN
        document = db.session.get(Document, document.id)
        assert document.original_name == "" and document.type == DocumentType.IDENTITY
        assert not stored_path.exists()
        issued = db.session.scalar(select(IssuedDocument).where(IssuedDocument.learner_id == learner_id))
        assert issued.summary == {"name": "Anonymised", "levels": {"oral": 5}}

        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.anonymise",
                                                           AuditEvent.object_id == str(learner_id)))
        assert event is not None and event.object_type == "Learner"
        logged = repr((event.changes, event.reason))
        for personal in ("Marie", "Tremblay", "Saint-Denis", "514-555", "1988-06-17", before["email"],
                         before["file_number"]):
            assert personal not in logged
        db.session.remove()


def test_open_or_recent_files_are_not_touched(app, tmp_path):
    store = DocumentStore(tmp_path)
    still_open = closed_file(app, store, status=ApplicationStatus.APPROVED)
    recent = closed_file(app, store, last_activity=dt.datetime(2022, 5, 1, 12, 0, tzinfo=dt.UTC))
    withdrawn = closed_file(app, store, status=ApplicationStatus.WITHDRAWN)
    with app.app_context():
        before = {lid: learner_values(lid) for lid in (still_open, recent)}
        summary = run([still_open, recent, withdrawn], store)
        assert summary.learner_ids == [withdrawn]
        db.session.expire_all()
        for lid, values in before.items():
            assert learner_values(lid) == values
            assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "retention.anonymise", AuditEvent.object_id == str(lid))) == 0
        # the same file becomes due once the period has passed since its last activity
        assert run([recent], store, today=dt.date(2029, 5, 2)).learner_ids == [recent]
        db.session.remove()


def test_a_second_run_changes_nothing_and_a_dry_run_changes_nothing(app, tmp_path):
    store = DocumentStore(tmp_path)
    learner_id = closed_file(app, store)
    with app.app_context():
        untouched = learner_values(learner_id)
        dry = run([learner_id], store, dry_run=True)
        assert (dry.anonymised, dry.documents_deleted, dry.dry_run) == (1, 1, True)
        db.session.expire_all()
        assert learner_values(learner_id) == untouched

        run([learner_id], store)
        db.session.expire_all()
        first = learner_values(learner_id)
        events = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.object_id == str(learner_id),
                                          AuditEvent.action == "retention.anonymise"))
        again = run([learner_id], store)
        assert (again.anonymised, again.documents_deleted) == (0, 0)
        db.session.expire_all()
        assert learner_values(learner_id) == first
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.object_id == str(learner_id),
                                        AuditEvent.action == "retention.anonymise")) == events == 1
        db.session.remove()


def test_the_retention_job_and_command_report_what_is_due(app, tmp_path):
    store = DocumentStore(tmp_path)
    learner_id = closed_file(app, store)
    with app.app_context():
        untouched = learner_values(learner_id)
        job = enqueue("run_retention", today=TODAY.isoformat(), dry_run=True)
        db.session.commit()
        job = db.session.get(Job, job.id)
        assert job.status == JobStatus.DONE, job.error
        assert job.result["dry_run"] is True and learner_id in job.result["learner_ids"]
        db.session.remove()

    result = app.test_cli_runner().invoke(args=["retention", "run", "--dry-run", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "would anonymise" in result.output and "7 years" in result.output
    with app.app_context():
        assert learner_values(learner_id) == untouched
        db.session.remove()


def test_an_anonymised_file_reads_in_the_pages_language(app, tmp_path):
    """The stored placeholder names nobody: staff read "Anonymisé" / "Dossier anonymisé" on a French
    page, never the English word kept in the database."""
    from tests.conftest import Auth
    from tests.factories import make_account

    store = DocumentStore(tmp_path)
    learner_id = closed_file(app, store)
    with app.app_context():
        run([learner_id], store)
        admin = make_account(app, role="Admin")
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    Auth(client).login(admin["username"])
    html = client.get(f"/learnerview/show/{learner_id}").get_data(as_text=True)
    assert "Anonymisé" in html and "Anonymised" not in html
    with app.test_request_context("/?_l_=fr"):
        assert str(db.session.get(Learner, learner_id)) == f"ANON-{learner_id} — Dossier anonymisé"
