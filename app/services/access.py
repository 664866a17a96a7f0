"""Who may do what: the role × view × permission matrix (data) and partner scoping.

Roles are declared here and written to FAB's tables by ``flask seed-roles`` (a deploy step and
a test fixture); FAB then enforces them on every view. Admin gets every permission FAB knows.
"""
from __future__ import annotations

from flask_appbuilder import AppBuilder

ADMIN = "Admin"
PUBLIC = "Public"
LEARNER = "Learner"
ENTERPRISE_REP = "EnterpriseRep"
AGENT = "Agent"
PARTNER_STAFF = "PartnerStaff"
SUPPORT = "Support"
ANALYST = "Analyst"

ROLES = (LEARNER, ENTERPRISE_REP, AGENT, PARTNER_STAFF, SUPPORT, ANALYST, ADMIN)
STAFF_ROLES = (AGENT, PARTNER_STAFF, SUPPORT, ANALYST, ADMIN)

# Named sets of FAB permissions on a ModelView.
READ = ("can_list", "can_show")
WRITE = READ + ("can_add", "can_edit", "can_delete")
EDIT = READ + ("can_edit",)

# Every role may change its own password and see its own user info.
SELF_SERVICE = {"UserInfoEditView": ("can_this_form_get", "can_this_form_post"),
                "UserDBModelView": ("can_userinfo", "resetmypassword")}

# role -> {view class permission name -> permissions}. Menu access is derived from it.
ROLE_MATRIX: dict[str, dict[str, tuple[str, ...]]] = {
    PUBLIC: {},
    LEARNER: {},
    ENTERPRISE_REP: {},
    AGENT: {},
    PARTNER_STAFF: {},
    SUPPORT: {},
    ANALYST: {},
}


def seed_roles(appbuilder: AppBuilder) -> dict[str, int]:
    """Sync FAB's permissions with the registered views, then make each role match the matrix."""
    sm = appbuilder.sm
    sm.add_role(ADMIN)
    sm.add_role(PUBLIC)
    appbuilder.add_permissions(update_perms=True)
    counts = {}
    for role_name, grants in ROLE_MATRIX.items():
        role = sm.add_role(role_name)
        wanted = set()
        for view_name, permissions in {**(SELF_SERVICE if role_name != PUBLIC else {}), **grants}.items():
            for permission in permissions:
                pv = sm.find_permission_view_menu(permission, view_name)
                if pv is None:
                    raise LookupError(f"role {role_name}: no permission {permission} on {view_name}")
                wanted.add(pv)
        for menu_name in _menus_for(appbuilder, grants):
            pv = sm.find_permission_view_menu("menu_access", menu_name)
            if pv is not None:
                wanted.add(pv)
        for pv in list(role.permissions):
            if pv not in wanted:
                sm.del_permission_role(role, pv)
        for pv in wanted:
            if pv not in role.permissions:
                sm.add_permission_role(role, pv)
        counts[role_name] = len(wanted)
    counts[ADMIN] = len(sm.find_role(ADMIN).permissions)
    return counts


def _menus_for(appbuilder: AppBuilder, grants: dict[str, tuple[str, ...]]) -> set[str]:
    """Menu items (and their categories) whose view the role may list."""
    listed = {name for name, perms in grants.items() if "can_list" in perms or "menu_access" in perms}
    menus = set()
    for view in appbuilder.baseviews:
        if view.class_permission_name in listed:
            for category in appbuilder.menu.get_list():
                for item in category.childs or [category]:
                    if getattr(item, "baseview", None) is view:
                        menus.add(item.name)
                        if category.childs:
                            menus.add(category.name)
    return menus
