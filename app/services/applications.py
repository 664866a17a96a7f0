"""The learner's application (demande d'admission): a draft answered step by step, its documents,
submission and withdrawal.

A learner has at most one *open* application (draft, submitted, documents requested, complete or
approved); a new one can be started once the last is withdrawn, refused or closed. The answers
about the person (category, birth date, where they live, status, income support, children) are
kept on the Learner file, the answers about the course wanted on the Application. While the
application is a draft every answer may be saved incomplete; ``missing_answers`` says what must
still be given before it can be submitted.

Status changes go through ``intake.transition`` only; eligibility is evaluated on submission.
Callers commit.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    Application, ApplicationEvent, ApplicationStatus as S, ClientCategory, CourseFormat, Document, DocumentType,
    Enterprise, ImmigrationStatus, IncomeSupport, Learner, Partner, Region, Site,
)
from ..models.base import utcnow
from . import intake
from .access_log import WHAT_LABELS
from .document_store import DocumentStore
from .refusals import Refusal

# Codes of the client categories (reference rows seeded with these codes, see reference_data.py).
IMMIGRANT = "immigrant"
CANADIAN = "canadian"
PREPARING_TO_SETTLE = "abroad"
BUSINESS_EMPLOYEE = "business_employee"

OPEN = frozenset({S.DRAFT, S.SUBMITTED, S.DOCUMENTS_REQUESTED, S.COMPLETE, S.APPROVED})
# Documents can be sent until the file is complete, removed only while nobody is reviewing them.
DOCUMENTS_ADDABLE = frozenset({S.DRAFT, S.SUBMITTED, S.DOCUMENTS_REQUESTED})
DOCUMENTS_REMOVABLE = frozenset({S.DRAFT, S.DOCUMENTS_REQUESTED})
# A learner submits a draft, and submits again once the documents asked for are added.
SUBMITTABLE = frozenset({S.DRAFT, S.DOCUMENTS_REQUESTED})

WEEKDAYS = {1: _l("Monday"), 2: _l("Tuesday"), 3: _l("Wednesday"), 4: _l("Thursday"), 5: _l("Friday"),
            6: _l("Saturday"), 7: _l("Sunday")}
PERIODS = {"morning": _l("Morning"), "afternoon": _l("Afternoon"), "evening": _l("Evening"),
           # periods written by older files (demo data)
           "day": _l("Daytime"), "weekend": _l("Weekend")}
CHOSEN_PERIODS = ("morning", "afternoon", "evening")
MAX_CHILDREN = 20

STEPS = {
    1: _l("About you"),
    2: _l("Your situation"),
    3: _l("The course you want"),
    4: _l("Review and submit"),
}

# What the learner's file shows when a member of staff downloads one of their documents (Law 25).
DOCUMENT_CONSULTED = "application_document"
WHAT_LABELS.setdefault(DOCUMENT_CONSULTED, _l("A document sent with your application"))

REFUSALS = {
    "already_open": _l("You already have an application in progress: only one application can be open at a "
                       "time. Continue it, or withdraw it before starting a new one."),
    "not_editable": _l("This application has been sent: its answers can no longer be changed. Write to us if "
                       "something has changed."),
    "not_submittable": _l("This application cannot be sent in its current state (“%(status)s”)."),
    "consents": _l("To send your application, confirm that your information is true and accept the privacy "
                   "notice."),
    "incomplete": _l("Some answers are still missing; they are listed on this page."),
    "not_withdrawable": _l("This application can no longer be withdrawn (“%(status)s”)."),
    "documents_closed": _l("Documents can no longer be added to this application (“%(status)s”)."),
    "document_locked": _l("This document can no longer be deleted: your application is being reviewed."),
    "too_young": _l("French courses are open from the age of %(minimum)s: you are %(age)s today, so the "
                    "application can be sent from %(date)s."),
}

# What is still missing before submission, per step.
MISSING = {
    "region": _l("Choose the region where you live, or tick “I live outside Québec”."),
    "enterprise": _l("Give the Québec enterprise number (NEQ) of the business you work for."),
    "immigration_status": _l("Give your immigration status."),
    "arrival_date": _l("Give the date you arrived in Québec."),
    "format": _l("Choose the format of course you want."),
    "format_abroad": _l("While you live outside Québec, you can take online courses only."),
    "format_workplace": _l("Workplace training is for employees of a registered business."),
}


class ApplicationRefused(Refusal):
    """An action on an application the rules do not allow; ``message`` is translated when read."""

    MESSAGES = REFUSALS


# An answer that cannot be true, whatever the step: refused even in a draft.
ANSWER_REFUSALS = {
    "birth_date": _l("Enter a real date of birth, in the past."),
    "arrival_in_future": _l("The date you arrived cannot be in the future."),
    "arrival_before_birth": _l("The date you arrived cannot be before your date of birth."),
    "neq_digits": _l("A Québec enterprise number (NEQ) has exactly 10 digits."),
    "neq_unknown": _l("No business with the NEQ %(neq)s is registered with us. Check the number, "
                      "or ask your employer to open its business file."),
}
OLDEST_BIRTH_DATE = dt.date(1900, 1, 1)


class AnswerRefused(Refusal):
    """An answer of a step that cannot be right (a date in the future, an unknown NEQ)."""

    MESSAGES = ANSWER_REFUSALS


# --- finding the application --------------------------------------------------------------------

def open_application(session: Session, learner: Learner) -> Application | None:
    """The learner's open application, if any (there is at most one)."""
    return session.scalar(
        select(Application).where(Application.learner_id == learner.id, Application.status.in_(OPEN))
        .order_by(Application.created_at.desc(), Application.id.desc()).limit(1))


def latest_application(session: Session, learner: Learner) -> Application | None:
    """The open application, else the most recent one (withdrawn, refused or closed), else None."""
    return open_application(session, learner) or session.scalar(
        select(Application).where(Application.learner_id == learner.id)
        .order_by(Application.created_at.desc(), Application.id.desc()).limit(1))


def timeline(session: Session, application: Application) -> list[ApplicationEvent]:
    """The application's events, oldest first."""
    return list(session.scalars(select(ApplicationEvent).where(ApplicationEvent.application_id == application.id)
                                .order_by(ApplicationEvent.at, ApplicationEvent.id)))


def documents_of(session: Session, application: Application) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.application_id == application.id)
                                .order_by(Document.uploaded_at, Document.id)))


def own_document(session: Session, learner: Learner, document_id: int) -> Document | None:
    """The learner's own document with that id; None for another learner's (or no) document."""
    return session.scalar(select(Document).where(Document.id == document_id, Document.learner_id == learner.id))


# --- what the steps offer -------------------------------------------------------------------------

def client_categories(session: Session) -> list[ClientCategory]:
    return list(session.scalars(select(ClientCategory).order_by(ClientCategory.id)))


def reference_rows(session: Session, model) -> list:
    """The rows of a reference table (regions, statuses, income supports) in the order of their codes."""
    return list(session.scalars(select(model).order_by(model.code)))


def sites_to_choose(session: Session) -> list[Site]:
    """The places of study a learner may prefer: the sites of active partners, by city."""
    return list(session.scalars(select(Site).join(Site.partner).where(Partner.active.is_(True))
                                .order_by(Site.city, Site.name)))


def named_employer_neq(learner: Learner) -> str:
    """The NEQ the learner gave: of the business awaiting confirmation, else of the linked one."""
    employer = learner.pending_enterprise or learner.enterprise
    return employer.neq if employer else ""


def course_answers_given(application: Application) -> dict:
    """Step 3 as answered so far, by field (``format`` None until the learner has chosen one)."""
    preferences = application.schedule_preferences or {}
    return {"format": application.format_wanted.value if format_chosen(application) else None,
            "weekdays": preferences.get("weekdays", []), "periods": preferences.get("periods", []),
            "region": application.region_id, "site": preferences.get("site_id")}


# --- the rules the answers follow ---------------------------------------------------------------

def needs_immigration_status(category: ClientCategory | None) -> bool:
    return category is not None and category.code == IMMIGRANT


def asks_immigration_status(category: ClientCategory | None) -> bool:
    """Whether step 2 asks about immigration (everyone but Canadian-born people and citizens)."""
    return category is None or category.code != CANADIAN


def needs_enterprise(category: ClientCategory | None) -> bool:
    return category is not None and category.code == BUSINESS_EMPLOYEE


def lives_abroad(category: ClientCategory | None, living_abroad: bool) -> bool:
    return living_abroad or (category is not None and category.code == PREPARING_TO_SETTLE)


def format_problem(fmt: CourseFormat, *, abroad: bool, has_enterprise: bool) -> str | None:
    """Why a format cannot be asked for (a MISSING code), or None when it can."""
    if abroad and fmt != CourseFormat.ONLINE:
        return "format_abroad"
    if fmt == CourseFormat.WORKPLACE and not has_enterprise:
        return "format_workplace"
    return None


def normalise_neq(value: str | None) -> str:
    return "".join((value or "").split())


def enterprise_by_neq(session: Session, neq: str) -> Enterprise | None:
    return session.scalar(select(Enterprise).where(Enterprise.neq == normalise_neq(neq)))


def neq_refusal(session: Session, neq: str) -> AnswerRefused | None:
    """Why a NEQ given (normalised, not empty) cannot be taken: not 10 digits, or no such business."""
    if not (len(neq) == 10 and neq.isdigit()):
        return AnswerRefused("neq_digits")
    if enterprise_by_neq(session, neq) is None:
        return AnswerRefused("neq_unknown", neq=neq)
    return None


def birth_date_refusal(birth_date: dt.date, today: dt.date | None = None) -> AnswerRefused | None:
    if not (OLDEST_BIRTH_DATE <= birth_date <= (today or dt.date.today())):
        return AnswerRefused("birth_date")
    return None


def arrival_date_refusal(arrival_date: dt.date, birth_date: dt.date | None,
                         today: dt.date | None = None) -> AnswerRefused | None:
    if arrival_date > (today or dt.date.today()):
        return AnswerRefused("arrival_in_future")
    if birth_date is not None and arrival_date < birth_date:
        return AnswerRefused("arrival_before_birth")
    return None


def format_chosen(application: Application) -> bool:
    """Whether the learner has chosen the format (a new draft carries a provisional one)."""
    return bool((application.schedule_preferences or {}).get("format_chosen"))


def names_an_employer(learner) -> bool:
    """The learner's file names a business: linked to it, or waiting for its confirmation."""
    return learner.enterprise_id is not None or learner.pending_enterprise_id is not None


def missing_answers(application: Application) -> dict[int, list[str]]:
    """What must still be answered before submission: step number -> MISSING codes."""
    learner = application.learner
    missing: dict[int, list[str]] = {}
    abroad = lives_abroad(learner.category, learner.living_abroad)
    if learner.region_id is None and not abroad:
        missing.setdefault(1, []).append("region")
    if needs_enterprise(learner.category) and not names_an_employer(learner):
        missing.setdefault(1, []).append("enterprise")
    if needs_immigration_status(learner.category):
        if learner.status_id is None:
            missing.setdefault(2, []).append("immigration_status")
        if learner.arrival_date is None:
            missing.setdefault(2, []).append("arrival_date")
    if not format_chosen(application):
        missing.setdefault(3, []).append("format")
    else:
        problem = format_problem(application.format_wanted, abroad=abroad,
                                 has_enterprise=names_an_employer(learner))
        if problem:
            missing.setdefault(3, []).append(problem)
    return missing


def missing_message(code: str) -> str:
    return str(MISSING[code])


# --- the draft ------------------------------------------------------------------------------------

def start_application(session: Session, learner: Learner, *, actor_id: int | None = None) -> Application:
    """A new draft for the learner; refused while another application is open."""
    # Two clicks at once: the second waits for the first on the learner's row, then sees its draft.
    session.execute(select(Learner.id).where(Learner.id == learner.id).with_for_update())
    if open_application(session, learner) is not None:
        raise ApplicationRefused("already_open")
    # format_wanted cannot be empty: the draft carries a provisional format until step 3 is answered.
    provisional = CourseFormat.ONLINE if lives_abroad(learner.category, learner.living_abroad) \
        else CourseFormat.FULL_TIME
    now = utcnow()
    application = Application(learner=learner, format_wanted=provisional, status=S.DRAFT, created_at=now,
                              region_id=learner.region_id)
    session.add(application)
    # The file's history starts with its creation (from no status to draft).
    session.add(ApplicationEvent(application=application, from_status=None, to_status=S.DRAFT, actor_id=actor_id,
                                 at=now))
    session.flush()
    return application


def _editable(application: Application) -> None:
    if application.status != S.DRAFT:
        raise ApplicationRefused("not_editable")


@dataclass
class AboutYou:
    """Step 1. ``None`` for category or birth date means "not answered in this draft": kept as is."""

    category: ClientCategory | None
    birth_date: dt.date | None
    region: Region | None
    living_abroad: bool
    enterprise: Enterprise | None


@dataclass
class Situation:
    """Step 2."""

    immigration_status: ImmigrationStatus | None
    arrival_date: dt.date | None
    income_support: IncomeSupport | None
    children_in_care: int | None


@dataclass
class CourseWanted:
    """Step 3. ``format`` None means "not chosen yet" (only in a draft)."""

    format: CourseFormat | None
    weekdays: list[int]
    periods: list[str]
    region: Region | None
    site: Site | None


def about_you_answers(session: Session, *, category_id: int | None, birth_date: dt.date | None,
                      region_id: int | None, living_abroad: bool, neq: str | None) -> AboutYou:
    """Step 1 from the ids and text a form gives (an unknown NEQ names no business)."""
    neq = normalise_neq(neq)
    return AboutYou(category=session.get(ClientCategory, category_id) if category_id else None,
                    birth_date=birth_date, region=session.get(Region, region_id) if region_id else None,
                    living_abroad=living_abroad, enterprise=enterprise_by_neq(session, neq) if neq else None)


def situation_answers(session: Session, learner: Learner, *, status_id: int | None, arrival_date: dt.date | None,
                      income_support_id: int | None, children_in_care: int | None) -> Situation:
    """Step 2 from the ids a form gives; immigration is kept only where the learner's category asks it."""
    asks = asks_immigration_status(learner.category)
    return Situation(
        immigration_status=session.get(ImmigrationStatus, status_id) if asks and status_id else None,
        arrival_date=arrival_date if asks else None,
        income_support=session.get(IncomeSupport, income_support_id) if income_support_id else None,
        children_in_care=children_in_care)


def course_answers(session: Session, *, format: CourseFormat | None, weekdays: list[int] | None,
                   periods: list[str] | None, region_id: int | None, site_id: int | None) -> CourseWanted:
    """Step 3 from the ids a form gives."""
    return CourseWanted(format=format, weekdays=weekdays or [], periods=periods or [],
                        region=session.get(Region, region_id) if region_id else None,
                        site=session.get(Site, site_id) if site_id else None)


def save_about_you(session: Session, application: Application, answers: AboutYou) -> None:
    _editable(application)
    learner = application.learner
    if answers.category is not None:
        learner.category = answers.category
    if answers.birth_date is not None:
        learner.birth_date = answers.birth_date
    learner.living_abroad = answers.living_abroad
    learner.region = None if answers.living_abroad else answers.region
    if needs_enterprise(learner.category) and answers.enterprise is not None:
        # linked only once a representative confirms it (``enterprises.decide_employee``)
        from .enterprises import claim_employer

        claim_employer(learner, answers.enterprise)
    else:
        learner.enterprise = None
        learner.pending_enterprise = None
    if not asks_immigration_status(learner.category):
        learner.status = None
        learner.arrival_date = None
    if application.region_id is None:
        application.region = learner.region
    session.flush()
    file_changed(session, application)


def save_situation(session: Session, application: Application, answers: Situation) -> None:
    _editable(application)
    learner = application.learner
    learner.status = answers.immigration_status
    learner.arrival_date = answers.arrival_date
    learner.income_support = answers.income_support
    learner.children_in_care = answers.children_in_care or 0
    session.flush()
    file_changed(session, application)


def save_course(session: Session, application: Application, answers: CourseWanted) -> None:
    _editable(application)
    preferences = {
        "weekdays": sorted(set(answers.weekdays)),
        "periods": [p for p in CHOSEN_PERIODS if p in answers.periods],
        "site_id": answers.site.id if answers.site is not None else None,
        "format_chosen": answers.format is not None or format_chosen(application),
    }
    if answers.format is not None:
        application.format_wanted = answers.format
    application.schedule_preferences = preferences
    application.region = answers.region
    session.flush()
    file_changed(session, application)


def save_consents(session: Session, application: Application, *, truthful: bool, privacy: bool) -> None:
    _editable(application)
    application.consent_truthful = truthful
    application.consent_privacy = privacy
    session.flush()
    file_changed(session, application)


SCHEDULE_LABELS = {
    "weekdays": _l("Days"),
    "periods": _l("Times of day"),
    "site_id": _l("Preferred site"),
    "online": _l("Online courses"),
    "at_work": _l("At the workplace"),
}


def schedule_summary(session: Session, preferences: dict | None) -> list[tuple[str, str]]:
    """The schedule preferences as a person reads them: (what, answer) pairs in the current language.

    Days are named, periods labelled, the site given by its name; the bookkeeping keys of the form
    (``format_chosen``) and keys this version does not know are left out.
    """
    from flask_babel import gettext

    preferences = preferences if isinstance(preferences, dict) else {}
    summary = []
    for key, label in SCHEDULE_LABELS.items():
        value = preferences.get(key)
        if value in (None, [], ""):
            continue
        if key == "weekdays":
            text = ", ".join(str(WEEKDAYS[day]) for day in value if day in WEEKDAYS)
        elif key == "periods":
            text = ", ".join(str(PERIODS[period]) for period in value if period in PERIODS)
        elif key == "site_id":
            site = session.get(Site, value) if isinstance(value, int) else None
            text = site.name if site is not None else ""
        elif value is True:
            text = gettext("Yes")
        elif value is False:
            text = gettext("No")
        else:
            continue
        if text:
            summary.append((str(label), text))
    return summary


def preferred_site(session: Session, application: Application) -> Site | None:
    site_id = (application.schedule_preferences or {}).get("site_id")
    return session.get(Site, site_id) if site_id else None


# --- submission and withdrawal --------------------------------------------------------------------

def submit(session: Session, application: Application, *, actor_id: int | None = None) -> ApplicationEvent:
    """Send the application (or send it back once documents are added) and evaluate eligibility."""
    if application.status not in SUBMITTABLE:
        raise ApplicationRefused("not_submittable", status=application.status.label)
    if not (application.consent_truthful and application.consent_privacy):
        raise ApplicationRefused("consents")
    if missing_answers(application):
        raise ApplicationRefused("incomplete")
    from . import eligibility  # evaluated on each submission, with the documents sent so far

    today = eligibility.montreal_today()
    age = eligibility.age_on(application.learner.birth_date, today)
    if age < eligibility.MINIMUM_AGE:
        raise ApplicationRefused("too_young", minimum=eligibility.MINIMUM_AGE, age=age,
                                 date=eligibility.birthday_of_age(application.learner.birth_date,
                                                                  eligibility.MINIMUM_AGE).isoformat())
    event = intake.transition(session, application, S.SUBMITTED, actor_id=actor_id)
    eligibility.evaluate_and_store(session, application)
    session.flush()
    return event


def file_changed(session: Session, application: Application | None) -> None:
    """Re-evaluate the eligibility of a sent application after any change of its file (answers,
    documents), so the agent never reads a verdict older than the file."""
    if application is None or application.status == S.DRAFT:
        return
    from . import eligibility

    session.flush()
    eligibility.evaluate_and_store(session, application)
    session.flush()


def can_withdraw(application: Application) -> bool:
    return intake.can_transition(application, S.WITHDRAWN)


def withdraw(session: Session, application: Application, *, actor_id: int | None = None,
             reason: str | None = None) -> ApplicationEvent:
    if not can_withdraw(application):
        raise ApplicationRefused("not_withdrawable", status=application.status.label)
    return intake.transition(session, application, S.WITHDRAWN, actor_id=actor_id,
                             note=(reason or "").strip() or None)


# --- documents ----------------------------------------------------------------------------------

def can_add_documents(application: Application) -> bool:
    return application.status in DOCUMENTS_ADDABLE


def can_remove_documents(application: Application) -> bool:
    return application.status in DOCUMENTS_REMOVABLE


def add_document(session: Session, store: DocumentStore, application: Application, doc_type: DocumentType,
                 stream: BinaryIO, filename: str | None, declared_type: str | None) -> Document:
    """Check and store an uploaded file, and record it. Nothing is stored when it is refused
    (``UploadRefused``); if the caller's commit fails it must ``store.discard(document.storage_key)``."""
    if not can_add_documents(application):
        raise ApplicationRefused("documents_closed", status=application.status.label)
    stored = store.save(stream, filename, declared_type)
    document = Document(application=application, learner_id=application.learner_id, type=doc_type,
                        original_name=stored.original_name, content_type=stored.content_type,
                        storage_key=stored.key, sha256=stored.sha256, size_bytes=stored.size)
    session.add(document)
    try:
        session.flush()
    except Exception:
        store.discard(stored.key)
        raise
    file_changed(session, application)
    return document


def remove_document(session: Session, document: Document) -> str:
    """Delete the record; returns the storage key, to discard the file once the caller commits."""
    if not can_remove_documents(document.application):
        raise ApplicationRefused("document_locked")
    key = document.storage_key
    application = document.application
    session.delete(document)
    session.flush()
    file_changed(session, application)
    return key
