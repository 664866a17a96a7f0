"""Which rows a generated screen shows and accepts: a partner user's own organisation, accounts by role."""
from __future__ import annotations

from flask import g
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user

from ...extensions import db
from ...services.access import partner_ids_for, partner_of, partner_scope_clause

def current_partner_ids():
    """The partners the logged-in user acts for (None: every partner), once per request."""
    if "partner_scope" not in g:
        g.partner_scope = partner_ids_for(db.session, current_user)
    return g.partner_scope


class FilterPartnerScope(BaseFilter):
    """Keeps the rows of the partners the current user acts for (all rows for ministry staff)."""

    name = _l("Own organisation")

    def apply(self, query, value):
        partner_ids = current_partner_ids()
        if partner_ids is None:
            return query
        return query.filter(partner_scope_clause(self.model, partner_ids))


SCOPE = [["id", FilterPartnerScope, None]]


class FilterUsersWithRoles(BaseFilter):
    """Keeps the accounts holding one of the given roles (e.g. agents for an assignment)."""

    name = _l("Has role")

    def apply(self, query, role_names):
        return query.filter(User.roles.any(Role.name.in_(role_names)))


def users_with_roles(*role_names: str) -> list:
    """A form-choice rule offering only the accounts that hold one of ``role_names``."""
    return [["id", FilterUsersWithRoles, role_names]]



class OtherPartnerError(ValueError):
    """A partner user tried to attach a row to a partner it does not act for."""


def ensure_own_partner(item) -> None:
    """Refuse a row that belongs to a partner the current user does not act for."""
    partner_ids = current_partner_ids()
    if partner_ids is None:
        return
    if partner_of(item) not in partner_ids:
        db.session.rollback()
        raise OtherPartnerError(gettext("You can only manage the rows of your own organisation."))
