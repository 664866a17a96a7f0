"""The audit trail: append-only, and written automatically for personal data, logins and roles.

``install()`` puts three hooks on every SQLAlchemy session:

* ``before_flush`` and ``do_orm_execute`` refuse any change to or deletion of an AuditEvent
  already written, whoever asks (no screen, service or script can rewrite the trail);
* ``after_flush`` writes one AuditEvent per inserted, updated or deleted row of a personal-data
  model (``learner.insert``, ``learner.update``, ...), in the same transaction, with the actor,
  the IP address and the changed fields as ``{field: [old, new]}`` (secrets masked); a change of
  a user's roles or of a role's permissions is written too (``user.roles``, ``role.permissions``).

Logins are recorded by ``record_login`` (called by the security manager). Services keep writing
their own business events (``enrolment.register``...) next to these.
"""
from __future__ import annotations

import datetime as dt
import decimal
from contextlib import contextmanager
import enum
import re
import uuid

from flask import g, has_request_context, request, session as flask_session
from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Delete, Update

from ..models import (
    Allowance, Application, AuditEvent, Attendance, CaseNote, Document, Enrolment, EnterpriseMembership,
    ExamResult, Learner, Payment, PartnerMembership, PlacementResult, UserPreference,
)
from ..models.base import utcnow

MASK = "***"

# Rows of these models hold personal data: each insert, update and delete is audited.
AUDITED_MODELS: dict[type, str] = {
    Learner: "learner",
    Application: "application",
    Document: "document",
    Enrolment: "enrolment",
    Attendance: "attendance",
    ExamResult: "exam_result",
    Allowance: "allowance",
    Payment: "payment",
    CaseNote: "case_note",
    PlacementResult: "placement_result",
    UserPreference: "user_preference",
    EnterpriseMembership: "enterprise_membership",
    PartnerMembership: "partner_membership",
    User: "user",
}

# Values of columns whose name matches are never written to the trail, only that they changed.
SENSITIVE = re.compile(r"password|secret|token|hash|otp|recovery", re.IGNORECASE)

# Bookkeeping columns: they change on every login or save and say nothing about the person.
IGNORED_COLUMNS = frozenset({"changed_on", "changed_by_fk", "created_on", "created_by_fk", "last_login",
                             "login_count", "fail_login_count", "updated_at"})

# Collections of FAB's association tables (ab_user_role, ab_permission_view_role).
AUDITED_COLLECTIONS: dict[type, tuple[str, str]] = {
    User: ("roles", "user.roles"),
    Role: ("permissions", "role.permissions"),
}


class AuditTrailIsAppendOnly(RuntimeError):
    """Raised when anything tries to change or delete an audit event already written."""


def install() -> None:
    """Listen on every session (once per process)."""
    if getattr(install, "_installed", False):
        return
    event.listen(Session, "before_flush", _refuse_rewrites)
    event.listen(Session, "do_orm_execute", _refuse_bulk_rewrites)
    event.listen(Session, "after_flush", _write_trail)
    event.listen(Session, "after_soft_rollback", _forget_events)
    install._installed = True


# --------------------------------------------------------------------------------------------
# Request context: who and from where.

def current_actor_id() -> int | None:
    """The signed-in user of the current request, without loading anything from the database."""
    if not has_request_context():
        return None
    for loaded in ("_login_user", "user"):  # flask-login's and FAB's, once the request has read them
        if loaded in g:
            user = g.get(loaded)
            return user.id if user is not None and getattr(user, "is_authenticated", False) else None
    raw = flask_session.get("_user_id")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def current_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


# --------------------------------------------------------------------------------------------
# Append-only guard.

def _refuse_rewrites(session: Session, flush_context, instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, AuditEvent):
            raise AuditTrailIsAppendOnly(f"audit event {obj.id} cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, AuditEvent) and session.is_modified(obj, include_collections=False):
            raise AuditTrailIsAppendOnly(f"audit event {obj.id} cannot be changed")


def _refuse_bulk_rewrites(state) -> None:
    statement = state.statement
    if isinstance(statement, (Update, Delete)) and \
            getattr(getattr(statement, "table", None), "name", None) == AuditEvent.__tablename__:
        raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")


# --------------------------------------------------------------------------------------------
# Automatic trail of personal data.

_WITHHOLD_KEY = "audit_withhold_values"


@contextmanager
def values_withheld(session: Session):
    """Within the block the trail says which fields changed but masks every value.

    For a change whose whole point is that the old values disappear (Law 25 anonymisation):
    writing them to the trail would keep them.
    """
    session.info[_WITHHOLD_KEY] = session.info.get(_WITHHOLD_KEY, 0) + 1
    try:
        yield session
    finally:
        session.info[_WITHHOLD_KEY] -= 1


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return str(value)


def _shown(key: str, value, withhold: bool = False):
    if value is None:
        return None
    return MASK if withhold or SENSITIVE.search(key) else _jsonable(value)


def _column_changes(obj, kind: str, withhold: bool = False) -> dict[str, list]:
    """{attribute: [old, new]} of the object's columns for an insert, update or delete."""
    state = inspect(obj)
    changes: dict[str, list] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in IGNORED_COLUMNS:
            continue
        if kind == "update":
            history = state.attrs[key].history
            if not history.has_changes():
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old == new or (old in (None, "") and new in (None, "")):  # a blank form field
                continue
        else:
            value = state.dict.get(key)
            if value is None:
                continue
            old, new = (None, value) if kind == "insert" else (value, None)
        changes[key] = [_shown(key, old, withhold), _shown(key, new, withhold)]
    return changes


def _collection_changes(obj, attribute: str) -> dict[str, list] | None:
    history = inspect(obj).attrs[attribute].history
    removed = sorted(str(item) for item in history.deleted)
    added = sorted(str(item) for item in history.added)
    if not removed and not added:
        return None
    return {"removed": removed, "added": added}


def _object_id(obj) -> str | None:
    state = inspect(obj)
    # During the flush a new row has its primary key but not yet its identity key.
    key = state.identity or state.mapper.primary_key_from_instance(obj)
    if not key or all(part is None for part in key):
        return None
    return "-".join(str(part) for part in key)[:40]


_EVENTS_KEY = "guichet_audit_events"


def record_with_next_flush(session: Session, make_row) -> None:
    """Write a business event in the same INSERT as the trail of the next flush (one round trip).

    ``make_row()`` is called after that flush, when new rows have their ids, and returns the
    event's columns (``action``, ``object_type``, ``object_id``, ``changes``, ``actor_id``,
    ``reason``). The caller must flush after this call; a rollback forgets the event.
    """
    session.info.setdefault(_EVENTS_KEY, []).append(make_row)


def _forget_events(session: Session, previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop(_EVENTS_KEY, None)


def _write_trail(session: Session, flush_context) -> None:
    rows = []
    withhold = bool(session.info.get(_WITHHOLD_KEY))
    for kind, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            cls = type(obj)
            prefix = AUDITED_MODELS.get(cls) or next(
                (name for model, name in AUDITED_MODELS.items() if isinstance(obj, model)), None)
            if prefix is not None and (kind != "update" or session.is_modified(obj, include_collections=False)):
                changes = _column_changes(obj, kind, withhold)
                if changes or kind != "update":
                    rows.append(dict(action=f"{prefix}.{kind}", object_type=cls.__name__,
                                     object_id=_object_id(obj), changes=changes or None))
            if kind in ("insert", "update"):
                for model, (attribute, action) in AUDITED_COLLECTIONS.items():
                    if isinstance(obj, model):
                        changes = _collection_changes(obj, attribute)
                        if changes:
                            rows.append(dict(action=action, object_type=model.__name__,
                                             object_id=_object_id(obj), changes={attribute: changes}))
    actor_id, ip, at = current_actor_id(), current_ip(), utcnow()
    for row in rows:
        row.update(actor_id=actor_id, ip=ip, at=at, reason=None)
    for make_row in session.info.pop(_EVENTS_KEY, ()):
        rows.append({"actor_id": None, "ip": ip, "at": at, "reason": None, "changes": None, "object_type": None,
                     "object_id": None, **make_row()})
    if not rows:
        return
    # Core insert on the flush's own connection: same transaction, no ORM objects, no recursion.
    session.connection().execute(insert(AuditEvent.__table__), rows)


# --------------------------------------------------------------------------------------------
# Logins.

def record_password_change_refused(session: Session, user) -> None:
    """A password change refused because the current password typed was wrong."""
    session.add(AuditEvent(actor_id=user.id, action="password.change_refused", object_type="User",
                           object_id=str(user.id), ip=current_ip()))
    session.commit()


def record_login(session: Session, username: str | None, user, refused: str | None = None) -> None:
    """Write a login success (``user`` given) or failure (None), with the username typed and the IP;
    ``refused`` says why a login was refused whatever the password (``locked``)."""
    attempted = (username or "")[:120]
    changes = {"username": attempted}
    if refused:
        changes["refused"] = refused
    session.add(AuditEvent(
        actor_id=user.id if user is not None else None,
        action="login.success" if user is not None else "login.failure",
        object_type="User",
        object_id=str(user.id) if user is not None else None,
        changes=changes,
        ip=current_ip(),
    ))
    session.commit()
