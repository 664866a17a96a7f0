"""Security manager: FAB's database authentication, with permission checks read once per request."""
from __future__ import annotations

from flask import current_app, g, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.security.forms import ResetPasswordForm
from flask_appbuilder.security.views import AuthDBView as FabAuthDBView
from flask_appbuilder.security.views import UserDBModelView as FabUserDBModelView
from flask_appbuilder.security.views import ResetMyPasswordView as FabResetMyPasswordView
from flask_appbuilder.security.views import RoleModelView as FabRoleModelView
from flask_appbuilder.security.views import UserGroupModelView as FabUserGroupModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.sqla.models import (
    Group, Permission, PermissionView, Role, ViewMenu, assoc_permissionview_role,
)
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.security import check_password_hash
from wtforms import PasswordField
from wtforms.validators import DataRequired, ValidationError


def _api_login() -> bool:
    return has_request_context() and request.endpoint == "SecurityApi.login"


class AuthDBView(FabAuthDBView):
    """FAB's login page (same name, so the endpoints stay ``AuthDBView.login``/``logout``); a refused
    login says what the rule is, never whether the account exists."""

    @property
    def invalid_login_message(self):
        return _l("Wrong user name or password. After %(count)d failed attempts in a row, the account is "
                  "locked for %(minutes)d minutes.", count=current_app.config["LOCKOUT_THRESHOLD"],
                  minutes=current_app.config["LOCKOUT_MINUTES"])


class ChangeMyPasswordForm(ResetPasswordForm):
    """FAB's own "reset my password" form, which asks for the current password first: a session
    left open must not be enough to take the account over."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     widget=BS3PasswordFieldWidget())

    def validate_current_password(self, field) -> None:
        from .services.audit import record_password_change_refused

        user = current_user._get_current_object()
        if not check_password_hash(user.password or "", field.data or ""):
            record_password_change_refused(current_app.appbuilder.sm.session, user)
            raise ValidationError(_l("This is not your current password."))


class ResetMyPasswordView(FabResetMyPasswordView):
    """FAB's view (same name, so its permission and endpoints stay), with the current password."""

    form = ChangeMyPasswordForm
    form_fieldsets = [(_l("Password"), {"fields": ["current_password", "password", "conf_password"]})]


def role_labels(roles) -> str:
    """An account's roles as people read them ("Personne apprenante", not "Learner")."""
    from .services.access import role_label

    return ", ".join(role_label(role.name) for role in roles or ())


class UserDBModelView(FabUserDBModelView):
    """FAB's account screens (list, show, "my account"), with the roles in words (same name, so the
    endpoints and permissions stay ``UserDBModelView.*``)."""

    formatters_columns = {"roles": role_labels}

    def _init_forms(self):
        from .services.access import role_label

        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            roles = getattr(form, "roles", None)
            if roles is not None and hasattr(roles, "kwargs"):
                roles.kwargs["get_label"] = lambda role: role_label(role.name)


class AccountScreensInterface(SQLAInterface):
    """FAB's interface for its account screens, with the to-many relations a list shows (an
    account's roles and groups, a role's permissions) read in one more statement each instead of
    one per row, and no count for the unpaginated choice lists of filters and forms."""

    def __init__(self, obj, session=None, to_many: tuple[str, ...] = ()):
        super().__init__(obj, session)
        self.to_many = to_many

    def apply_all(self, query, *args, **kwargs):
        query = super().apply_all(query, *args, **kwargs)
        return query.options(*(selectinload(getattr(self.obj, name)) for name in self.to_many))

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        if page is not None or page_size is not None:
            return super().query(filters, order_column, order_direction, page, page_size, select_columns,
                                 outer_default_load)
        items = self.apply_all(self.session.query(self.obj), filters, order_column, order_direction,
                               select_columns=select_columns, outer_default_load=outer_default_load).all()
        return len(items), items


class RoleModelView(FabRoleModelView):
    """FAB's role screens (same name: endpoints and permissions stay ``RoleModelView.*``), searched
    by name: FAB's default filters would load every account and every permission for their lists."""

    search_columns = ["name"]


class UserGroupModelView(FabUserGroupModelView):
    """FAB's group screens without the list of every account: members are chosen on each account's
    form (whose group list is short), so neither a form nor a filter loads the accounts table."""

    edit_columns = ["name", "label", "description", "roles"]
    add_columns = edit_columns
    search_columns = ["name", "label", "description", "roles"]


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

    authdbview = AuthDBView
    rolemodelview = RoleModelView
    groupmodelview = UserGroupModelView

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        # FAB sets plain interfaces on its screens here; ours load what their lists show up front
        self.userdbmodelview.datamodel = AccountScreensInterface(self.user_model, to_many=("roles", "groups"))
        self.rolemodelview.datamodel = AccountScreensInterface(self.role_model, to_many=("permissions",))
        self.groupmodelview.datamodel = AccountScreensInterface(self.group_model, to_many=("roles",))
        self.permissionmodelview.datamodel = AccountScreensInterface(self.permission_model)
        self.viewmenumodelview.datamodel = AccountScreensInterface(self.viewmenu_model)
        self.permissionviewmodelview.datamodel = AccountScreensInterface(self.permissionview_model)
    # FAB's user-statistics chart loads Google's chart loader from the internet and shows raw
    # values: not installed (the reports dashboard, app/views/reports_dashboard.py, replaces it).
    userstatschartview = None
    userdbmodelview = UserDBModelView
    resetmypasswordview = ResetMyPasswordView

    def load_user_jwt(self, _jwt_header, jwt_data):
        """The token's active account and its learner file (the learner API needs both at every
        call; ``api.auth.learner_token_required`` reads the file from g), as read with the token version
        by the revocation check of this request: one statement for all three."""
        from .services import login_sessions

        holder = g.pop("_jwt_holder", None)
        if holder is None or str(holder[0].id) != str(jwt_data.get("sub")):
            holder = login_sessions.api_token_holder(self.session, jwt_data)
        if holder is None or not holder[0].is_active:
            return None
        g.user = holder[0]
        g.jwt_learner = (holder[0].id, holder[1])
        return holder[0]

    def get_user_by_id(self, pk):
        """The account with its roles and groups in one statement: every request of a logged-in
        account reads them (second factor, menu, permissions), FAB would lazy-load each."""
        return self.session.get(self.user_model, pk, options=[
            joinedload(self.user_model.roles), joinedload(self.user_model.groups).joinedload(Group.roles)])

    def auth_user_db(self, username, password):
        """FAB's database login, with the lockout (``services.lockout``) and every success and
        failure written to the audit trail. A locked account is refused like a wrong password,
        after the same password-hash work."""
        from .services import lockout, mfa
        from .services.audit import record_login

        candidate = None
        if username:
            candidate = self.find_user(username=username) or self.find_user(email=username)
        if candidate is not None and lockout.locked_until(self.session, candidate) is not None:
            check_password_hash(candidate.password or current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"],
                                password or "")
            record_login(self.session, username, None, refused="locked")
            return None
        user = super().auth_user_db(username, password)
        if user is None and candidate is not None and candidate.is_active:
            lockout.record_failure(self.session, candidate)
        elif user is not None:
            lockout.record_success(self.session, user)
            if _api_login() and mfa.required(user):
                # the REST API's token login has no second-factor step: staff use the pages
                record_login(self.session, username, None, refused="second_factor_required")
                return None
        record_login(self.session, username, user)
        return user

    def create_jwt_manager(self, app):
        """FAB's JWT manager, with revocable tokens: each token carries the account's token version
        (``tv``) and is refused once the version moved on (``services.login_sessions``)."""
        from .services import login_sessions

        jwt_manager = super().create_jwt_manager(app)

        @jwt_manager.additional_claims_loader
        def _token_version(identity):
            return {login_sessions.TOKEN_VERSION_CLAIM: login_sessions.api_token_version(self.session, identity)}

        @jwt_manager.token_in_blocklist_loader
        def _revoked(jwt_header, jwt_payload) -> bool:
            # the account and its learner file come with the version; the user loader takes them from g
            holder = g._jwt_holder = login_sessions.api_token_holder(self.session, jwt_payload)
            return login_sessions.api_token_revoked(self.session, jwt_payload, holder)

        return jwt_manager

    def exist_permission_on_roles(self, view_name: str, permission_name: str, role_ids: list[int]) -> bool:
        if not has_request_context():
            return super().exist_permission_on_roles(view_name, permission_name, role_ids)
        cache = g.setdefault("_role_permissions", {})
        key = tuple(sorted(role_ids))
        if key not in cache:
            cache[key] = self._permissions_of_roles(key)
        return (permission_name, view_name) in cache[key]

    def is_item_public(self, permission_name, view_name):
        """A visitor's permission check, answered from the public role's permissions read once per
        request (FAB reads the role and its permissions again for every menu item and link)."""
        if not has_request_context():
            return super().is_item_public(permission_name, view_name)
        if "_public_permissions" not in g:
            g._public_permissions = self._permissions_of_roles(role_names=(self.auth_role_public,))
        return (permission_name, view_name) in g._public_permissions

    def _permissions_of_roles(self, role_ids: tuple[int, ...] = (),
                              role_names: tuple[str, ...] = ()) -> frozenset[tuple[str, str]]:
        """Every (permission, view) pair held by one of the roles (by id or name), in one query."""
        rows = self.session.execute(
            select(Permission.name, ViewMenu.name)
            .join(PermissionView, PermissionView.permission_id == Permission.id)
            .join(ViewMenu, PermissionView.view_menu_id == ViewMenu.id)
            .join(assoc_permissionview_role, assoc_permissionview_role.c.permission_view_id == PermissionView.id)
            .join(Role, Role.id == assoc_permissionview_role.c.role_id)
            .where(Role.id.in_(role_ids) if role_ids else Role.name.in_(role_names))
            .distinct()
        )
        return frozenset((permission, view) for permission, view in rows)
