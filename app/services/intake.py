"""The life of an application (demande d'admission): every transition in one place.

``transition`` is the only way an application changes status: it checks the move is allowed,
stamps the dates the service clock needs (submitted_at, complete_at, decided_at), records an
ApplicationEvent (from, to, actor, note) and tells the learner in their language through the
job seam. Learner actions (submit, withdraw) and agent actions (approve, refuse, request
documents, close) are thin functions over it. Callers commit.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..models import Application, ApplicationEvent, ApplicationStatus as S
from ..models.base import utcnow
from .messaging import TEMPLATES, send_to_learner
from .refusals import Refusal

ALLOWED = {
    S.DRAFT: {S.SUBMITTED, S.WITHDRAWN},
    S.SUBMITTED: {S.DOCUMENTS_REQUESTED, S.COMPLETE, S.APPROVED, S.REFUSED, S.WITHDRAWN},
    S.DOCUMENTS_REQUESTED: {S.SUBMITTED, S.COMPLETE, S.REFUSED, S.WITHDRAWN, S.CLOSED},
    S.COMPLETE: {S.APPROVED, S.REFUSED, S.DOCUMENTS_REQUESTED, S.WITHDRAWN},
    S.APPROVED: {S.CLOSED, S.WITHDRAWN},
    S.REFUSED: {S.CLOSED},
    S.WITHDRAWN: set(),
    S.CLOSED: set(),
}

# The message the learner receives when their application reaches a status (messaging template).
NOTICES = {
    S.SUBMITTED: "application_submitted",
    S.DOCUMENTS_REQUESTED: "application_documents_requested",
    S.COMPLETE: "application_complete",
    S.APPROVED: "application_approved",
    S.REFUSED: "application_refused",
    S.WITHDRAWN: "application_withdrawn",
    S.CLOSED: "application_closed",
}

# Messages about applications, registered with the messaging service below.
APPLICATION_TEMPLATES = {
    "application_submitted": (
        _l("We have received your application"),
        _l("Hello {name},\n\nWe have received your application number {application}. A case officer will "
           "review it; you can follow it in your file.\n\nFrancisation Québec"),
    ),
    "application_documents_requested": (
        _l("Documents are needed for your application"),
        _l("Hello {name},\n\nTo continue processing your application number {application}, we need "
           "documents from you:\n{note}\n\nAdd them in your file.\n\nFrancisation Québec"),
    ),
    "application_complete": (
        _l("Your application is complete"),
        _l("Hello {name},\n\nYour application number {application} is complete. Our commitment: your first "
           "course within 50 working days.\n\nFrancisation Québec"),
    ),
    "application_approved": (
        _l("Your application is approved"),
        _l("Hello {name},\n\nYour application number {application} is approved. {note}\n\nYou can now "
           "choose your courses in the catalogue.\n\nFrancisation Québec"),
    ),
    "application_refused": (
        _l("Decision on your application"),
        _l("Hello {name},\n\nYour application number {application} was not accepted, for this reason:\n"
           "{note}\n\nYou may contact us about this decision.\n\nFrancisation Québec"),
    ),
    "application_withdrawn": (
        _l("Your application is withdrawn"),
        _l("Hello {name},\n\nYour application number {application} has been withdrawn.\n\n"
           "Francisation Québec"),
    ),
    "application_closed": (
        _l("Your file is closed"),
        _l("Hello {name},\n\nYour application number {application} is now closed. {note}\n\n"
           "Francisation Québec"),
    ),
}

REFUSALS = {
    "not_allowed": _l("An application cannot go from “%(from_)s” to “%(to)s”."),
    "reason_required": _l("A reason is required for this decision."),
    "documents_missing": _l("The file is not complete: a required document is missing (a proof of immigration "
                            "status for an immigrant). Ask the learner for it before this step."),
}


class TransitionRefused(Refusal):
    """A status change the rules do not allow; ``message`` is translated when rendered."""

    MESSAGES = REFUSALS


def can_transition(application: Application, to: S) -> bool:
    return to in ALLOWED[application.status]


def transition(session: Session, application: Application, to: S, *, actor_id: int | None = None,
               note: str | None = None, notify: bool = True, payload: dict | None = None,
               internal: bool = False) -> ApplicationEvent:
    """Move an application to ``to``: dates stamped, event recorded, learner told after commit.

    An ``internal`` note is kept for staff: the learner is told of the change without it, and never
    reads it in their file, export or API (``ApplicationEvent.note_for_learner``)."""
    if not can_transition(application, to):
        raise TransitionRefused("not_allowed", from_=application.status.label, to=to.label)
    if to == S.REFUSED and not (note or "").strip():
        raise TransitionRefused("reason_required")
    if to == S.COMPLETE or (to == S.APPROVED and application.complete_at is None):
        from .eligibility import required_documents_missing  # a complete file has its documents

        if required_documents_missing(session, application):
            raise TransitionRefused("documents_missing")
    now = utcnow()
    internal = bool(internal and note)
    before = application.status
    application.status = to
    if to == S.SUBMITTED and application.submitted_at is None:
        application.submitted_at = now
    if to == S.COMPLETE or (to == S.APPROVED and application.complete_at is None):
        application.complete_at = application.complete_at or now
    if to in (S.APPROVED, S.REFUSED):
        application.decided_at = now
        application.decision_reason = None if internal else note
    event = ApplicationEvent(application=application, from_status=before, to_status=to, actor_id=actor_id,
                             note=note, at=now, internal=internal)
    session.add(event)
    session.flush()
    if notify and to in NOTICES:
        send_to_learner(session, application.learner, NOTICES[to],
                        {"application": application.id, "note": event.note_for_learner or "", **(payload or {})})
    return event


TEMPLATES.update(APPLICATION_TEMPLATES)
