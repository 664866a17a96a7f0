"""Who may do what: the role × view × permission matrix (data) and partner scoping.

Roles are declared here and written to FAB's tables by ``flask seed-roles`` (a deploy step and
a test fixture); FAB then enforces them on every view. Admin gets every permission FAB knows.
"""
from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    Attendance, CapacityDeclaration, Enrolment, ExamResult, Learner, Meeting, Partner, PartnerMembership,
    Section, Site, Teacher,
)

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

# How people read a role (FAB knows a role by its name, which stays English in the database).
ROLE_LABELS = {
    LEARNER: _l("Learner"),
    ENTERPRISE_REP: _l("Business representative"),
    AGENT: _l("Case officer"),
    PARTNER_STAFF: _l("Staff of a partner organisation"),
    SUPPORT: _l("Help desk"),
    ANALYST: _l("Analyst"),
    ADMIN: _l("System administrator"),
    PUBLIC: _l("Public"),
}


def role_label(name: str) -> str:
    """The role as people read it, in the current language (a role of another origin: its name)."""
    return str(ROLE_LABELS.get(name, name))

def role_names(user) -> frozenset[str]:
    """Every role the account holds, directly or through one of FAB's groups (FAB grants both)."""
    return frozenset(role.name for role in [*user.roles, *(role for group in getattr(user, "groups", ()) or ()
                                                            for role in group.roles)])


# Named sets of FAB permissions on a ModelView.
READ = ("can_list", "can_show")
WRITE = READ + ("can_add", "can_edit", "can_delete")
EDIT = READ + ("can_edit",)
ADD_EDIT = READ + ("can_add", "can_edit")

# Every role may change its own password and see its own user info.
SELF_SERVICE = {"UserInfoEditView": ("can_this_form_get", "can_this_form_post"),
                "ResetMyPasswordView": ("can_this_form_get", "can_this_form_post"),
                "UserDBModelView": ("can_userinfo", "resetmypassword")}

CATALOGUE_READ = {view: READ for view in ("CourseView", "TermView", "TermClosedDateView", "SectionView",
                                          "MeetingView")}
REFERENCE_READ = {view: READ for view in ("RegionView", "ClientCategoryView", "ImmigrationStatusView", "FieldView",
                                          "IncomeSupportView")}

# role -> {view class permission name -> permissions}. Menu access is derived from it.
# Admin is not listed: FAB gives the admin role every permission.
ROLE_MATRIX: dict[str, dict[str, tuple[str, ...]]] = {
    PUBLIC: {},
    # Learners and enterprise representatives use their own pages, never the back office.
    LEARNER: {},
    ENTERPRISE_REP: {},
    # Case officers: intake, learners' files, waiting lists (read; seats move only through the
    # enrolment service), case notes, enterprise requests; the offer and the partners read-only.
    AGENT: {
        **CATALOGUE_READ,
        "LearnerView": ADD_EDIT,
        "AvailabilityView": WRITE,
        "PlanView": READ,
        "PlanItemView": READ,
        "ApplicationView": ADD_EDIT,
        "ApplicationEventView": READ,
        "DocumentView": READ,
        "PlacementResultView": ADD_EDIT,
        "EnrolmentView": READ,
        "AttendanceView": READ,
        "ExamResultView": READ,
        "IssuedDocumentView": READ,
        "PartnerView": READ,
        "SiteView": READ,
        "CapacityDeclarationView": READ,
        "EnterpriseView": ADD_EDIT,
        "EnterpriseRequestView": ADD_EDIT,
        "CaseNoteView": ADD_EDIT,
        "MessageView": READ,
        # the partners' group records (attendance, results, completion, dropout), read-only
        "GroupRecordsView": READ,
        # the desk: work queue (list), an application's file (show), its actions (edit)
        "AgentDeskView": ("can_list", "can_show", "can_edit"),
        # case notes on a learner's file (show, add) and "my follow-ups due" (list, mark done: edit)
        "LearnerNotesView": ("can_list", "can_show", "can_add", "can_edit"),
        # workplace-training requests: the queue (list), a request (show), assign it to a partner (edit)
        "EnterpriseRequestDeskView": ("can_list", "can_show", "can_edit"),
        # the people approved but never enrolled or dropped out (list), a follow-up note (add)
        "FollowUpView": ("can_list", "can_add"),
    },
    # Partner staff: their own organisation's groups, sites, teachers, capacity, attendance and
    # results (rows of other partners are filtered out, see partner_ids_for).
    PARTNER_STAFF: {
        "CourseView": READ,
        "TermView": READ,
        "SectionView": WRITE,
        "MeetingView": WRITE,
        "PartnerView": READ,
        "SiteView": WRITE,
        "TeacherView": WRITE,
        "CapacityDeclarationView": WRITE,
        "EnrolmentView": READ,
        "AttendanceView": WRITE,
        "ExamResultView": WRITE,
        # their groups' attendance sheets, exam results, completion and dropout (app/views/partner)
        "GroupRecordsView": EDIT,
        # case notes on the learners enrolled with their partner, and their own follow-ups due
        "LearnerNotesView": ("can_list", "can_show", "can_add", "can_edit"),
        # workplace-training requests assigned to their partner; creating the group schedules one (add)
        "WorkplaceRequestsView": ("can_list", "can_show", "can_add"),
        # their own partner's indicators as XLSX/CSV, small cells suppressed (app/views/reports_exports.py)
        "ReportExportView": READ,
        # the reports dashboard and capacity planning, limited to their own partner
        "ReportsDashboardView": ("can_list",),
        "CapacityPlanningView": ("can_list",),
    },
    # Help desk: identity and account state only (account actions live on the support pages).
    SUPPORT: {
        "AccountView": READ,
        "LoginSessionView": READ,
        "AccountSecurityView": READ,
        # the console: search (list), an account's page (show), its actions with a reason (edit)
        "SupportConsoleView": ("can_list", "can_show", "can_edit"),
    },
    # Accountability: the offer, capacity and reference data; nothing nominative.
    ANALYST: {
        **CATALOGUE_READ,
        **REFERENCE_READ,
        "PartnerView": READ,
        "SiteView": READ,
        "CapacityDeclarationView": READ,
        "AllowanceRuleView": READ,
        "EnterpriseView": READ,
        "EnterpriseRequestView": READ,
        "ReportRunView": READ,
        # the indicator exports (XLSX/CSV, at once or prepared in the background)
        "ReportExportView": READ,
        # the reports dashboard and capacity planning (aggregates only: no follow-up list)
        "ReportsDashboardView": ("can_list",),
        "CapacityPlanningView": ("can_list",),
    },
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


# ---------------------------------------------------------------------------------------------
# Partner scoping: a PartnerStaff account acts for the partners of its PartnerMembership rows
# and sees nothing else; ministry roles see every partner.

UNSCOPED_ROLES = frozenset({ADMIN, AGENT, ANALYST})

# The relation path from a row to the partner that owns it.
PARTNER_PATHS: dict[type, str] = {
    Partner: "",
    Section: "partner",
    Site: "partner",
    Teacher: "partner",
    CapacityDeclaration: "partner",
    Meeting: "section.partner",
    Enrolment: "section.partner",
    ExamResult: "section.partner",
    Attendance: "enrolment.section.partner",
}


def partner_ids_for(session: Session, user) -> frozenset[int] | None:
    """The partners whose rows ``user`` may see and change; None means every partner.

    Admin, Agent and Analyst work across partners. Anyone else (PartnerStaff) acts only for
    the partners it is a member of; an anonymous visitor or a user without membership, none.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    if any(role.name in UNSCOPED_ROLES for role in user.roles):
        return None
    return frozenset(session.scalars(
        select(PartnerMembership.partner_id).where(PartnerMembership.user_id == user.id)))


def is_partner_scoped(model: type) -> bool:
    """Whether rows of ``model`` belong to a partner (and so are restricted for PartnerStaff)."""
    return model in PARTNER_PATHS or model is Learner


def partner_scope_clause(model: type, partner_ids: frozenset[int]):
    """SQL condition keeping the rows of ``model`` that belong to one of ``partner_ids``.

    Learners belong to the partners of the groups they are enrolled in.
    """
    if model is Learner:
        return Learner.id.in_(select(Enrolment.learner_id).where(
            partner_scope_clause(Enrolment, partner_ids)))
    return _path_clause(model, PARTNER_PATHS[model], partner_ids)


def _path_clause(model: type, path: str, partner_ids: frozenset[int]):
    if not path:
        return model.id.in_(partner_ids)
    first, _, rest = path.partition(".")
    relation = getattr(model, first).property
    (foreign_key,) = relation.local_columns
    if not rest:
        return foreign_key.in_(partner_ids)
    target = relation.mapper.class_
    return foreign_key.in_(select(target.id).where(_path_clause(target, rest, partner_ids)))


def partner_of(row) -> int | None:
    """The id of the partner that owns ``row`` (None when it has none yet)."""
    obj = row
    for name in filter(None, PARTNER_PATHS[type(row)].split(".")):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj.id
