"""Law 25 access log: every staff consultation of a learner's file is written down, and the learner
can see who looked — by role and organisation, with the date; never the staff member's name.

The back office calls ``log_access`` when a staff account opens a learner's file; the learner's
own pages are not consultations and write nothing.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AccessLog, Learner, Partner
from .access import ADMIN, AGENT, ANALYST, PARTNER_STAFF, SUPPORT, partner_ids_for
from .documents import ORGANISATION

# What was consulted (AccessLog.what) and how the learner reads it.
LEARNER_FILE = "learner_file"
LEARNER_FILE_EDIT = "learner_file_edit"
MESSAGE = "message"
APPLICATION = "application"
ATTENDANCE = "attendance"
WHAT_LABELS = {
    LEARNER_FILE: _l("Your file"),
    LEARNER_FILE_EDIT: _l("Your file (opened for correction)"),
    MESSAGE: _l("A message we sent you"),
    APPLICATION: _l("Your application"),
    ATTENDANCE: _l("Your attendance"),
}

ROLE_LABELS = {
    ADMIN: _l("System administrator"),
    AGENT: _l("Case officer"),
    PARTNER_STAFF: _l("Staff of a partner organisation"),
    SUPPORT: _l("Help desk"),
    ANALYST: _l("Analyst"),
}


def organisation_of(session: Session, user) -> str:
    """The organisation a staff account works for: its partners' names (PartnerStaff), else the
    ministry's program, Francisation Québec (agents, help desk, analysts, administrators)."""
    partner_ids = partner_ids_for(session, user)
    if partner_ids:
        names = session.scalars(select(Partner.name).where(Partner.id.in_(partner_ids)).order_by(Partner.name))
        return ", ".join(names)[:160]
    return ORGANISATION


def role_of(user) -> str:
    """The viewer's role names, as stored (FAB role names, comma-separated)."""
    return ", ".join(sorted(role.name for role in user.roles))[:40]


def log_access(session: Session, learner: Learner, viewer_user, what: str) -> AccessLog:
    """Write that ``viewer_user`` consulted ``what`` of ``learner``'s file now; the caller commits."""
    entry = AccessLog(learner_id=learner.id, viewer_id=viewer_user.id, role=role_of(viewer_user),
                      organisation=organisation_of(session, viewer_user), what=what)
    session.add(entry)
    session.flush()
    return entry


def log_message_read(session: Session, message, viewer_user) -> None:
    """Write that ``viewer_user`` opened a stored message in the back office: always in the audit
    trail, and in the learner's access log when it was sent to a learner; the caller commits."""
    from ..models import AuditEvent
    from .audit import current_ip

    session.add(AuditEvent(actor_id=viewer_user.id, action="message.read", object_type="Message",
                           object_id=str(message.id), changes={"template": message.template}, ip=current_ip()))
    if message.learner is not None:
        log_access(session, message.learner, viewer_user, MESSAGE)
    session.flush()


def consultations(session: Session, learner: Learner, page: int = 1, page_size: int = 20) -> tuple[list, int]:
    """One page of the consultations of the learner's file, newest first, and how many in all."""
    total = session.scalar(select(func.count(AccessLog.id)).where(AccessLog.learner_id == learner.id))
    rows = session.scalars(
        select(AccessLog).where(AccessLog.learner_id == learner.id)
        .order_by(AccessLog.at.desc(), AccessLog.id.desc()).limit(page_size).offset((page - 1) * page_size)).all()
    return list(rows), total


def role_label(stored: str) -> str:
    """How the learner reads a stored role: the translated names of the roles."""
    return ", ".join(str(ROLE_LABELS.get(name.strip(), name.strip())) for name in stored.split(","))


def what_label(what: str) -> str:
    return str(WHAT_LABELS.get(what, what))
