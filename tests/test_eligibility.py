"""Eligibility rules: each rule's result is shown to the agent, in French and in English; blocking
failures make a file inadmissible, missing documents and allowance exclusions do not."""
from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from app.extensions import db
from app.models import (
    Application, ApplicationStatus, ClientCategory, CourseFormat, Document, DocumentType, Enterprise,
    ImmigrationStatus, IncomeSupport, Region,
)
from app.services import eligibility as rules
from app.services.eligibility import is_admissible
from tests.factories import make_learner, reference_row, tag

FRENCH_PO = Path(__file__).resolve().parent.parent / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
# Submitted at 10:00 in Montréal on 20 June 2025.
SUBMITTED = dt.datetime(2025, 6, 20, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def engine_ctx(engine_app):
    with engine_app.test_request_context():
        yield
        db.session.rollback()
        db.session.remove()


def region(name_fr: str = "Montréal", name_en: str = "Montreal") -> Region:
    row = Region(code=f"R-{tag()}", name_fr=name_fr, name_en=name_en)
    db.session.add(row)
    return row


def asylum_claimant_status() -> ImmigrationStatus:
    row = ImmigrationStatus(code=f"asylum_seeker-{tag()}", name_fr="Demande d'asile en cours d'examen",
                            name_en="Asylum claimant (claim under review)", allowance_excluded=True)
    db.session.add(row)
    return row


def employment_insurance() -> IncomeSupport:
    row = IncomeSupport(code=f"employment_insurance-{tag()}", name_fr="Assurance-emploi",
                        name_en="Employment insurance")
    db.session.add(row)
    return row


def enterprise(name: str = "Fromagerie du Lac inc.") -> Enterprise:
    row = Enterprise(neq=f"{uuid.uuid4().int % 10**10:010d}", name=name, region=region())
    db.session.add(row)
    return row


def applicant(category: str = "canadian", *, birth_date: dt.date = dt.date(1988, 3, 14), **fields):
    """A learner of ``category`` living in Québec unless told otherwise."""
    fields.setdefault("region", region())
    learner = make_learner(**fields)
    learner.birth_date = birth_date
    learner.category = reference_row(ClientCategory, category)
    db.session.flush()
    return learner


def apply(learner, fmt: CourseFormat = CourseFormat.FULL_TIME, submitted_at: dt.datetime | None = SUBMITTED):
    application = Application(learner=learner, format_wanted=fmt, status=ApplicationStatus.SUBMITTED,
                              submitted_at=submitted_at, consent_truthful=True, consent_privacy=True)
    db.session.add(application)
    db.session.flush()
    return application


def attach(application: Application, doc_type: DocumentType) -> Document:
    document = Document(application=application, learner=application.learner, type=doc_type,
                        original_name="document.pdf", content_type="application/pdf",
                        storage_key=f"test/{uuid.uuid4().hex}", sha256="0" * 64, size_bytes=2048)
    db.session.add(document)
    db.session.flush()
    return document


def result(application: Application, code: str) -> rules.RuleResult:
    return next(r for r in rules.evaluate(db.session, application) if r.code == code)


def english(rule: rules.RuleResult) -> str:
    with force_locale("en"):
        return str(rule.message)


def french(rule: rules.RuleResult) -> str:
    with force_locale("fr"):
        return str(rule.message)


# --- age ----------------------------------------------------------------------------------------

def test_sixteen_on_the_submission_day_passes_fifteen_the_day_before_does_not(ctx):
    learner = applicant(birth_date=dt.date(2009, 6, 20))

    on_birthday = result(apply(learner), rules.AGE)
    assert (on_birthday.passed, on_birthday.blocking) == (True, True)
    assert english(on_birthday) == "Aged 16 on the submission date (2025-06-20): 16 or more."

    day_before = apply(learner, submitted_at=SUBMITTED - dt.timedelta(days=1))
    too_young = result(day_before, rules.AGE)
    assert (too_young.passed, too_young.blocking) == (False, True)
    assert english(too_young) == ("Aged 15 on the submission date (2025-06-19): French courses are open "
                                  "from the age of 16.")
    assert not is_admissible(rules.evaluate(db.session, day_before))


def test_age_is_taken_on_the_montreal_day_of_submission(ctx):
    learner = applicant(birth_date=dt.date(2009, 6, 20))
    # 02:30 UTC on the 20th is still 22:30 on the 19th in Montréal: not yet 16.
    evening = apply(learner, submitted_at=dt.datetime(2025, 6, 20, 2, 30, tzinfo=dt.UTC))
    assert not result(evening, rules.AGE).passed


# --- domicile and the online-only rule ----------------------------------------------------------

@pytest.mark.parametrize("category, living_abroad", [("abroad", True), ("immigrant", True), ("abroad", False)])
def test_preparing_to_settle_from_abroad_gets_online_courses_only(ctx, category, living_abroad):
    learner = applicant(category, living_abroad=living_abroad)

    full_time = apply(learner, CourseFormat.FULL_TIME)
    domicile = result(full_time, rules.DOMICILE)
    assert domicile.passed
    assert english(domicile) == "Preparing to settle in Québec while still living abroad."
    refused = result(full_time, rules.ONLINE_ONLY_ABROAD)
    assert (refused.passed, refused.blocking) == (False, True)
    assert english(refused) == "While you live outside Québec, you can take online courses only."
    assert not is_admissible(rules.evaluate(db.session, full_time))

    online = apply(learner, CourseFormat.ONLINE)
    allowed = result(online, rules.ONLINE_ONLY_ABROAD)
    assert allowed.passed
    assert english(allowed) == "Online courses are open to people still living abroad."
    assert is_admissible(rules.evaluate(db.session, online))


def test_neither_domiciled_in_quebec_nor_preparing_to_settle_is_blocking(ctx):
    learner = applicant(region=None)
    application = apply(learner)
    outcome = result(application, rules.DOMICILE)
    assert (outcome.passed, outcome.blocking) == (False, True)
    assert english(outcome).startswith("Neither domiciled in Québec")
    assert not is_admissible(rules.evaluate(db.session, application))

    # The region given on the application itself is enough.
    application.region = region("Capitale-Nationale", "Capitale-Nationale")
    assert result(application, rules.DOMICILE).passed


# --- status documents ---------------------------------------------------------------------------

def test_immigrant_without_a_status_document_is_asked_for_documents(ctx):
    application = apply(applicant("immigrant"))
    attach(application, DocumentType.IDENTITY)  # an identity document is not a proof of status

    results = rules.evaluate(db.session, application)
    missing = next(r for r in results if r.code == rules.STATUS_DOCUMENT)
    assert (missing.passed, missing.blocking) == (False, False)
    assert english(missing) == ("Documents missing: a proof of immigration status must be attached to "
                                "the application.")
    assert rules.needs_documents(results)
    assert is_admissible(results)  # the agent requests the document; the file is not refused

    attach(application, DocumentType.IMMIGRATION_STATUS)
    results = rules.evaluate(db.session, application)
    received = next(r for r in results if r.code == rules.STATUS_DOCUMENT)
    assert received.passed
    assert english(received) == "Immigration status document received."
    assert not rules.needs_documents(results)


def test_a_status_document_of_another_application_does_not_count(ctx):
    learner = applicant("immigrant")
    attach(apply(learner), DocumentType.IMMIGRATION_STATUS)
    assert not result(apply(learner), rules.STATUS_DOCUMENT).passed


# --- workplace ----------------------------------------------------------------------------------

def test_business_employee_needs_a_linked_enterprise_for_workplace_training(ctx):
    learner = applicant("business_employee")
    workplace = apply(learner, CourseFormat.WORKPLACE)
    unlinked = result(workplace, rules.WORKPLACE_ENTERPRISE)
    assert (unlinked.passed, unlinked.blocking) == (False, True)
    assert english(unlinked) == ("Workplace training is for employees of a registered business: no business "
                                 "is linked to this file.")
    assert not is_admissible(rules.evaluate(db.session, workplace))

    part_time = result(apply(learner, CourseFormat.PART_TIME), rules.WORKPLACE_ENTERPRISE)
    assert part_time.passed
    assert english(part_time) == "Workplace training not requested."

    learner.enterprise = enterprise("Fromagerie du Lac inc.")
    db.session.flush()
    linked = result(workplace, rules.WORKPLACE_ENTERPRISE)
    assert linked.passed
    assert english(linked) == "Employee of Fromagerie du Lac inc., which may arrange workplace training."
    assert is_admissible(rules.evaluate(db.session, workplace))


# --- participation allowance --------------------------------------------------------------------

def test_income_support_means_no_participation_allowance_but_admission_stands(ctx):
    application = apply(applicant(income_support=employment_insurance()))
    results = rules.evaluate(db.session, application)
    excluded = next(r for r in results if r.code == rules.PARTICIPATION_ALLOWANCE)
    assert (excluded.passed, excluded.blocking) == (False, False)
    assert english(excluded) == "No participation allowance: receives Employment insurance."
    assert "Assurance-emploi" in french(excluded)
    assert rules.allowance_excluded(results)
    assert is_admissible(results)


def test_asylum_claimant_under_review_gets_no_participation_allowance(ctx):
    claimant = applicant("immigrant", status=asylum_claimant_status())
    excluded = result(apply(claimant), rules.PARTICIPATION_ALLOWANCE)
    assert (excluded.passed, excluded.blocking) == (False, False)
    assert english(excluded) == "No participation allowance: Asylum claimant (claim under review)."
    assert "Demande d'asile en cours d'examen" in french(excluded)

    both = applicant("immigrant", status=asylum_claimant_status(), income_support=employment_insurance())
    assert english(result(apply(both), rules.PARTICIPATION_ALLOWANCE)) == (
        "No participation allowance: receives Employment insurance; Asylum claimant (claim under review).")

    resident = ImmigrationStatus(code=f"permanent_resident-{tag()}", name_fr="Résidence permanente",
                                 name_en="Permanent resident", allowance_excluded=False)
    open_allowance = result(apply(applicant("immigrant", status=resident)), rules.PARTICIPATION_ALLOWANCE)
    assert open_allowance.passed
    assert english(open_allowance) == "No exclusion from the participation allowance."


# --- everything together ------------------------------------------------------------------------

def test_a_canadian_born_adult_in_quebec_passes_every_rule(ctx):
    application = apply(applicant("canadian", region=region("Montréal", "Montreal")))
    results = rules.evaluate(db.session, application)
    assert [r.code for r in results] == list(rules.RULES)
    assert [r.code for r in results if not r.passed] == []
    assert is_admissible(results)
    assert not rules.needs_documents(results)
    assert not rules.allowance_excluded(results)
    assert english(results[1]) == "Domiciled in Québec (Montreal)."
    assert "Montréal" in french(results[1])


def test_messages_follow_the_language_of_the_reader(ctx):
    """French goes through the French catalogue; parameters are filled in both languages."""
    with FRENCH_PO.open("rb") as fh:
        catalogue = read_po(fh)
    application = apply(applicant("immigrant", birth_date=dt.date(2009, 6, 21),
                                  status=asylum_claimant_status(), income_support=employment_insurance(),
                                  region=region("Montréal", "Montreal")))
    for rule in rules.evaluate(db.session, application):
        entry = catalogue.get(rule.msgid)
        translated = entry.string if entry is not None and entry.string else rule.msgid
        params = {k: v["fr"] if isinstance(v, dict) else v for k, v in rule.params.items()}
        assert french(rule) == (translated % params if params else translated)
        assert "%(" not in english(rule) and "%(" not in french(rule)
    age = result(application, rules.AGE)
    assert "15" in french(age) and "2025-06-20" in french(age)


# --- stored for the agent's screen --------------------------------------------------------------

def test_results_are_stored_on_the_application_and_read_back(engine_ctx):
    application = apply(applicant("abroad", living_abroad=True), CourseFormat.PART_TIME)
    evaluated_at = dt.datetime(2025, 6, 20, 14, 5, tzinfo=dt.UTC)
    results = rules.evaluate_and_store(db.session, application, now=evaluated_at)
    db.session.flush()
    db.session.expire(application)

    stored = application.eligibility
    assert stored["evaluated_at"] == "2025-06-20T14:05:00+00:00"
    assert stored["on"] == "2025-06-20"
    assert stored["admissible"] is False
    assert [(r["code"], r["passed"], r["blocking"]) for r in stored["rules"]] == [
        (r.code, r.passed, r.blocking) for r in results]
    refused = next(r for r in stored["rules"] if r["code"] == rules.ONLINE_ONLY_ABROAD)
    assert refused["msgid"] == "While you live outside Québec, you can take online courses only."
    age = next(r for r in stored["rules"] if r["code"] == rules.AGE)
    assert age["params"] == {"age": 37, "date": "2025-06-20", "minimum": 16}

    read_back = rules.stored_results(application)
    assert [english(r) for r in read_back] == [english(r) for r in results]
    assert not is_admissible(read_back)


def test_a_file_never_evaluated_has_no_stored_results(ctx):
    application = apply(applicant())
    assert rules.stored_results(application) is None
    application.eligibility = {"age_16_or_more": True}  # not written by evaluate_and_store
    assert rules.stored_results(application) is None
