"""Intake gates: a required document is part of a complete file (the service clock starts only
then); eligibility follows every change of the file, document uploads included, without an agent;
under 16, the sign-up warns and the submission is refused, in words."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from flask_babel import force_locale

from app.extensions import db
from app.models import ApplicationStatus, DocumentType
from app.services import applications, intake
from app.services import eligibility as rules
from app.services.document_store import DocumentStore
from app.services.intake import TransitionRefused
from tests.test_eligibility import applicant, apply

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield
        db.session.rollback()
        db.session.remove()


def status_rule(application) -> dict:
    return next(rule for rule in application.eligibility["rules"] if rule["code"] == rules.STATUS_DOCUMENT)


def test_an_immigrants_file_is_complete_only_with_the_proof_of_status(ctx, tmp_path):
    application = apply(applicant("immigrant"))
    rules.evaluate_and_store(db.session, application)
    assert status_rule(application)["passed"] is False
    for step in (ApplicationStatus.COMPLETE, ApplicationStatus.APPROVED):
        with pytest.raises(TransitionRefused) as refused:
            intake.transition(db.session, application, step, note="ok")
        assert refused.value.code == "documents_missing"
        with force_locale("fr"):
            assert refused.value.message.startswith("Le dossier n'est pas complet")
        with force_locale("en"):
            assert refused.value.message.startswith("The file is not complete")
    assert application.complete_at is None  # the service clock has not started

    # the learner uploads the proof: eligibility is re-evaluated at once, no agent involved
    store = DocumentStore(tmp_path)
    applications.add_document(db.session, store, application, DocumentType.IMMIGRATION_STATUS, io.BytesIO(PDF),
                              "statut.pdf", "application/pdf")
    assert status_rule(application)["passed"] is True
    intake.transition(db.session, application, ApplicationStatus.COMPLETE)
    assert application.status == ApplicationStatus.COMPLETE and application.complete_at is not None


def test_removing_the_proof_is_seen_by_the_eligibility_too(ctx, tmp_path):
    application = apply(applicant("immigrant"))
    application.status = ApplicationStatus.DOCUMENTS_REQUESTED
    store = DocumentStore(tmp_path)
    document = applications.add_document(db.session, store, application, DocumentType.IMMIGRATION_STATUS,
                                          io.BytesIO(PDF), "statut.pdf", "application/pdf")
    assert status_rule(application)["passed"] is True
    applications.remove_document(db.session, document)
    assert status_rule(application)["passed"] is False


def test_a_canadian_needs_no_proof_to_be_complete(ctx):
    application = apply(applicant("canadian"))
    intake.transition(db.session, application, ApplicationStatus.COMPLETE)
    assert application.complete_at is not None


def test_under_sixteen_the_application_is_refused_at_submission(ctx):
    today = rules.montreal_today()
    learner = applicant("canadian", birth_date=today.replace(year=today.year - 15))
    application = apply(learner, submitted_at=None)
    application.status = ApplicationStatus.DRAFT
    application.schedule_preferences = {"format_chosen": True}
    db.session.flush()
    with pytest.raises(applications.ApplicationRefused) as refused:
        applications.submit(db.session, application)
    assert refused.value.code == "too_young"
    with force_locale("en"):
        assert refused.value.message.startswith("French courses are open from the age of 16: you are 15 today")
        assert today.replace(year=today.year + 1).isoformat() in refused.value.message
    with force_locale("fr"):
        assert refused.value.message.startswith("Les cours de français sont offerts à partir de 16 ans")
    assert application.status == ApplicationStatus.DRAFT


def test_under_sixteen_the_sign_up_warns(app):
    from tests.conftest import DEMO_PASSWORD
    from tests.factories import reference_row, tag
    from app.models import ClientCategory

    with app.app_context():
        category_id = reference_row(ClientCategory, "canadian").id
        db.session.commit()
        db.session.remove()
    today = dt.date.today()
    client = app.test_client()
    name = f"young-{tag()}"
    response = client.post("/account/register?_l_=en", follow_redirects=True, data={
        "first_name": "Jeune", "last_name": "Personne", "email": f"{name}@example.org",
        "birth_date": today.replace(year=today.year - 14).isoformat(), "category": str(category_id),
        "language": "en", "password": DEMO_PASSWORD, "confirm": DEMO_PASSWORD, "consent": "y"})
    assert response.status_code == 200
    assert "French courses are open from the age of 16" in response.get_data(as_text=True)
