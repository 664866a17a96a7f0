"""Eligibility of an application: each rule's result for the agent; the decision stays human.

``evaluate`` runs every rule on an application and returns one :class:`RuleResult` per rule,
passed or not, so the agent sees why a file is or is not admissible. A failed *blocking* rule
makes the file inadmissible as it stands; a failed non-blocking rule asks for an action (request
documents) or informs (no participation allowance) without standing in the way of admission.

Messages are kept as an English msgid with parameters and translated when displayed, so results
stored in ``application.eligibility`` read in the language of whoever opens the file. Parameters
are plain values or ``{"fr": …, "en": …}`` pairs (names of reference rows) resolved at display time;
dates are ISO 8601.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import LazyString, gettext
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..models import Application, CourseFormat, Document, DocumentType, Learner
from ..models.base import localized, utcnow
from .service_clock import local_date, montreal_today

# Codes of the reference rows the rules look at (app/services/reference_data.py seeds these codes).
CATEGORY_IMMIGRANT = "immigrant"
CATEGORY_PREPARING_TO_SETTLE = "abroad"
STATUS_DOCUMENT_TYPE = DocumentType.IMMIGRATION_STATUS
MINIMUM_AGE = 16

# Rule codes, in the order the results are listed.
AGE = "minimum_age"
DOMICILE = "domicile"
ONLINE_ONLY_ABROAD = "online_only_abroad"
STATUS_DOCUMENT = "status_document"
WORKPLACE_ENTERPRISE = "workplace_enterprise"
PARTICIPATION_ALLOWANCE = "participation_allowance"
RULES = (AGE, DOMICILE, ONLINE_ONLY_ABROAD, STATUS_DOCUMENT, WORKPLACE_ENTERPRISE, PARTICIPATION_ALLOWANCE)


def N_(msgid: str) -> str:
    """Mark a msgid for the catalogue; it is translated when the result is displayed."""
    return msgid


MSG_AGE_OK = N_("Aged %(age)s on the submission date (%(date)s): %(minimum)s or more.")
MSG_AGE_TOO_YOUNG = N_("Aged %(age)s on the submission date (%(date)s): French courses are open "
                       "from the age of %(minimum)s.")
MSG_DOMICILED = N_("Domiciled in Québec (%(region)s).")
MSG_PREPARING_TO_SETTLE = N_("Preparing to settle in Québec while still living abroad.")
MSG_NO_DOMICILE = N_("Neither domiciled in Québec (no region of residence) nor preparing to settle "
                     "from abroad.")
MSG_ANY_FORMAT = N_("Living in Québec: every course format is open.")
MSG_ONLINE_ABROAD_OK = N_("Online courses are open to people still living abroad.")
MSG_ONLINE_ONLY_ABROAD = N_("While you live outside Québec, you can take online courses only.")
MSG_NO_STATUS_DOCUMENT_NEEDED = N_("No immigration status document is required for this client category.")
MSG_STATUS_DOCUMENT_RECEIVED = N_("Immigration status document received.")
MSG_STATUS_DOCUMENT_MISSING = N_("Documents missing: a proof of immigration status must be attached to "
                                 "the application.")
MSG_WORKPLACE_NOT_REQUESTED = N_("Workplace training not requested.")
MSG_WORKPLACE_EMPLOYEE = N_("Employee of %(enterprise)s, which may arrange workplace training.")
MSG_WORKPLACE_NO_ENTERPRISE = N_("Workplace training is for employees of a registered business: no "
                                 "business is linked to this file.")
MSG_ALLOWANCE_OPEN = N_("No exclusion from the participation allowance.")
MSG_NO_ALLOWANCE_INCOME = N_("No participation allowance: receives %(benefit)s.")
MSG_NO_ALLOWANCE_STATUS = N_("No participation allowance: %(status)s.")
MSG_NO_ALLOWANCE_BOTH = N_("No participation allowance: receives %(benefit)s; %(status)s.")


def render_message(msgid: str, params: dict) -> str:
    """The message in the active language, bilingual parameters resolved the same way."""
    values = {name: localized(value.get("fr"), value.get("en")) if isinstance(value, dict) else value
              for name, value in params.items()}
    return gettext(msgid) % values if values else gettext(msgid)


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule; ``message`` is translated each time it is turned into text."""

    code: str
    passed: bool
    message: LazyString
    blocking: bool
    msgid: str
    params: dict = field(default_factory=dict)

    @classmethod
    def of(cls, code: str, passed: bool, msgid: str, *, blocking: bool, **params) -> RuleResult:
        return cls(code=code, passed=passed, message=LazyString(render_message, msgid, params),
                   blocking=blocking, msgid=msgid, params=params)

    def as_json(self) -> dict:
        return {"code": self.code, "passed": self.passed, "blocking": self.blocking,
                "msgid": self.msgid, "params": self.params}

    @classmethod
    def from_json(cls, data: dict) -> RuleResult:
        return cls.of(data["code"], data["passed"], data["msgid"], blocking=data["blocking"],
                      **data.get("params", {}))


def _bilingual(row) -> dict:
    return {"fr": row.name_fr, "en": row.name_en}


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day`` (one more year on each birthday)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def age_today(birth_date: dt.date) -> int:
    """Age in whole years today, in Montréal."""
    return age_on(birth_date, montreal_today())


def birthday_of_age(birth_date: dt.date, age: int) -> dt.date:
    """The day a person born on ``birth_date`` turns ``age`` (1 March for a 29 February birth)."""
    try:
        return birth_date.replace(year=birth_date.year + age)
    except ValueError:
        return dt.date(birth_date.year + age, 3, 1)


def under_minimum_age(birth_date: dt.date | None, today: dt.date | None = None) -> bool:
    return birth_date is not None and age_on(birth_date, today or montreal_today()) < MINIMUM_AGE


def required_documents_missing(session: Session, application: Application) -> bool:
    """True while a document the file needs is missing (a proof of status for an immigrant):
    such a file is not complete, so the service clock does not start."""
    return not _status_document_rule(session, application.learner, application).passed


def submission_date(application: Application) -> dt.date:
    """The Montréal day the application was submitted (today for one not yet submitted)."""
    if application.submitted_at is not None:
        return local_date(application.submitted_at)
    return montreal_today()


def is_preparing_to_settle(learner: Learner) -> bool:
    return learner.living_abroad or learner.category.code == CATEGORY_PREPARING_TO_SETTLE


def _age_rule(learner: Learner, on: dt.date) -> RuleResult:
    age = age_on(learner.birth_date, on)
    passed = age >= MINIMUM_AGE
    return RuleResult.of(AGE, passed, MSG_AGE_OK if passed else MSG_AGE_TOO_YOUNG, blocking=True,
                         age=age, date=on.isoformat(), minimum=MINIMUM_AGE)


def _domicile_rule(learner: Learner, application: Application) -> RuleResult:
    if is_preparing_to_settle(learner):
        return RuleResult.of(DOMICILE, True, MSG_PREPARING_TO_SETTLE, blocking=True)
    region = learner.region or application.region
    if region is None:
        return RuleResult.of(DOMICILE, False, MSG_NO_DOMICILE, blocking=True)
    return RuleResult.of(DOMICILE, True, MSG_DOMICILED, blocking=True, region=_bilingual(region))


def _online_only_abroad_rule(learner: Learner, application: Application) -> RuleResult:
    if not is_preparing_to_settle(learner):
        return RuleResult.of(ONLINE_ONLY_ABROAD, True, MSG_ANY_FORMAT, blocking=True)
    if application.format_wanted == CourseFormat.ONLINE:
        return RuleResult.of(ONLINE_ONLY_ABROAD, True, MSG_ONLINE_ABROAD_OK, blocking=True)
    return RuleResult.of(ONLINE_ONLY_ABROAD, False, MSG_ONLINE_ONLY_ABROAD, blocking=True)


def _status_document_rule(session: Session, learner: Learner, application: Application) -> RuleResult:
    if learner.category.code != CATEGORY_IMMIGRANT:
        return RuleResult.of(STATUS_DOCUMENT, True, MSG_NO_STATUS_DOCUMENT_NEEDED, blocking=False)
    received = session.scalar(select(exists().where(Document.application_id == application.id,
                                                    Document.type == STATUS_DOCUMENT_TYPE)))
    if received:
        return RuleResult.of(STATUS_DOCUMENT, True, MSG_STATUS_DOCUMENT_RECEIVED, blocking=False)
    # Not blocking: the agent asks for the document rather than refusing the file.
    return RuleResult.of(STATUS_DOCUMENT, False, MSG_STATUS_DOCUMENT_MISSING, blocking=False)


def _workplace_rule(learner: Learner, application: Application) -> RuleResult:
    if application.format_wanted != CourseFormat.WORKPLACE:
        return RuleResult.of(WORKPLACE_ENTERPRISE, True, MSG_WORKPLACE_NOT_REQUESTED, blocking=True)
    if learner.enterprise is None:
        return RuleResult.of(WORKPLACE_ENTERPRISE, False, MSG_WORKPLACE_NO_ENTERPRISE, blocking=True)
    return RuleResult.of(WORKPLACE_ENTERPRISE, True, MSG_WORKPLACE_EMPLOYEE, blocking=True,
                         enterprise=learner.enterprise.name)


def _allowance_rule(learner: Learner) -> RuleResult:
    # Informational: an exclusion from the allowance never stands in the way of admission.
    support = learner.income_support
    status = learner.status if learner.status is not None and learner.status.allowance_excluded else None
    if support is not None and status is not None:
        return RuleResult.of(PARTICIPATION_ALLOWANCE, False, MSG_NO_ALLOWANCE_BOTH, blocking=False,
                             benefit=_bilingual(support), status=_bilingual(status))
    if support is not None:
        return RuleResult.of(PARTICIPATION_ALLOWANCE, False, MSG_NO_ALLOWANCE_INCOME, blocking=False,
                             benefit=_bilingual(support))
    if status is not None:
        return RuleResult.of(PARTICIPATION_ALLOWANCE, False, MSG_NO_ALLOWANCE_STATUS, blocking=False,
                             status=_bilingual(status))
    return RuleResult.of(PARTICIPATION_ALLOWANCE, True, MSG_ALLOWANCE_OPEN, blocking=False)


def evaluate(session: Session, application: Application, *, on: dt.date | None = None) -> list[RuleResult]:
    """Every rule's result for ``application``, age taken on ``on`` (default: the submission day)."""
    if application.id is None:
        session.flush()
    learner = application.learner
    on = on or submission_date(application)
    return [
        _age_rule(learner, on),
        _domicile_rule(learner, application),
        _online_only_abroad_rule(learner, application),
        _status_document_rule(session, learner, application),
        _workplace_rule(learner, application),
        _allowance_rule(learner),
    ]


def is_admissible(results: list[RuleResult]) -> bool:
    """True when no blocking rule failed (documents may still be missing: see ``needs_documents``)."""
    return all(result.passed or not result.blocking for result in results)


def needs_documents(results: list[RuleResult]) -> bool:
    return any(result.code == STATUS_DOCUMENT and not result.passed for result in results)


def allowance_excluded(results: list[RuleResult]) -> bool:
    return any(result.code == PARTICIPATION_ALLOWANCE and not result.passed for result in results)


def evaluate_and_store(session: Session, application: Application, *, on: dt.date | None = None,
                       now: dt.datetime | None = None) -> list[RuleResult]:
    """Evaluate and keep the results on the application for the agent's screen (no commit)."""
    on = on or submission_date(application)
    results = evaluate(session, application, on=on)
    application.eligibility = {
        "evaluated_at": (now or utcnow()).isoformat(),
        "on": on.isoformat(),
        "admissible": is_admissible(results),
        "rules": [result.as_json() for result in results],
    }
    return results


def stored_results(application: Application) -> list[RuleResult] | None:
    """The results last stored by ``evaluate_and_store``; None when the file holds none."""
    stored = application.eligibility
    if not isinstance(stored, dict) or not isinstance(stored.get("rules"), list):
        return None
    return [RuleResult.from_json(rule) for rule in stored["rules"]]
