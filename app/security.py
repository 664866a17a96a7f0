"""Security manager: FAB's database authentication, with permission checks read once per request."""
from __future__ import annotations

from flask import g, has_request_context
from flask_login import current_user
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import (
    Permission, PermissionView, Role, ViewMenu, assoc_permissionview_role,
)
from sqlalchemy import select


class GuichetSecurityManager(SecurityManager):
    """The project's security manager (role matrix in ``app.services.access``).

    FAB asks the database once per permission check, and a back-office page checks dozens of
    menu items and buttons. Within a request the roles' permissions cannot change, so they are
    read in one query and the checks are answered from that set.
    """

    def has_access(self, permission_name: str, view_name: str) -> bool:
        # An error page (e.g. a refused CSRF token) can render the menu before FAB's
        # before_request has put the user on g; FAB would then fail on g.user.
        if has_request_context() and "user" not in g and current_user.is_authenticated:
            g.user = current_user._get_current_object()
        return super().has_access(permission_name, view_name)

    def auth_user_db(self, username, password):
        """FAB's database login, with every success and failure written to the audit trail."""
        from .services.audit import record_login

        user = super().auth_user_db(username, password)
        record_login(self.session, username, user)
        return user

    def exist_permission_on_roles(self, view_name: str, permission_name: str, role_ids: list[int]) -> bool:
        if not has_request_context():
            return super().exist_permission_on_roles(view_name, permission_name, role_ids)
        cache = g.setdefault("_role_permissions", {})
        key = tuple(sorted(role_ids))
        if key not in cache:
            cache[key] = self._permissions_of_roles(key)
        return (permission_name, view_name) in cache[key]

    def _permissions_of_roles(self, role_ids: tuple[int, ...]) -> frozenset[tuple[str, str]]:
        """Every (permission, view) pair held by one of the roles, in one query."""
        rows = self.session.execute(
            select(Permission.name, ViewMenu.name)
            .join(PermissionView, PermissionView.permission_id == Permission.id)
            .join(ViewMenu, PermissionView.view_menu_id == ViewMenu.id)
            .join(assoc_permissionview_role, assoc_permissionview_role.c.permission_view_id == PermissionView.id)
            .join(Role, Role.id == assoc_permissionview_role.c.role_id)
            .where(Role.id.in_(role_ids))
            .distinct()
        )
        return frozenset((permission, view) for permission, view in rows)
