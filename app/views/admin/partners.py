"""Partners: organisations that teach, their sites, staff, teachers and declared capacity."""
from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from ...models import CapacityDeclaration, Partner, PartnerMembership, Site, Teacher
from ...services.access import PARTNER_STAFF
from .base import GuichetModelView
from .interface import GuichetInterface
from .scope import users_with_roles
from .catalogue import SectionView


class SiteView(GuichetModelView):
    datamodel = GuichetInterface(Site)
    list_title = _l("Sites")
    record_name = _l("site")
    partner_scoped = True
    label_columns = {"name": _l("Site name"), "accessible": _l("Accessible")}
    list_columns = ["name", "partner", "city", "region", "accessible"]
    search_columns = ["name", "city", "region", "partner", "accessible"]
    show_columns = add_columns = edit_columns = ["name", "partner", "address", "city", "postal_code", "region",
                                                 "accessible", "accessibility_notes_fr", "accessibility_notes_en"]
    base_order = ("name", "asc")


class TeacherView(GuichetModelView):
    datamodel = GuichetInterface(Teacher)
    list_title = _l("Teachers")
    record_name = _l("teacher")
    partner_scoped = True
    list_columns = ["last_name", "first_name", "partner", "email"]
    search_columns = ["last_name", "first_name", "email", "partner"]
    show_columns = add_columns = edit_columns = ["first_name", "last_name", "partner", "email", "bio_fr", "bio_en"]
    base_order = ("last_name", "asc")


class CapacityDeclarationView(GuichetModelView):
    datamodel = GuichetInterface(CapacityDeclaration)
    list_title = _l("Declared capacity")
    record_name = _l("capacity declaration")
    partner_scoped = True
    stamp_user_columns = ("declared_by",)
    label_columns = {
        "groups_offered": _l("Groups offered"),
        "seats_offered": _l("Seats offered"),
        "declared_at": _l("Declared"),
        "declared_by": _l("Declared by"),
    }
    list_columns = ["partner", "term", "region", "site", "format", "level_min", "level_max", "groups_offered",
                    "seats_offered", "declared_at"]
    search_columns = ["partner", "term", "region", "format", "level_min", "level_max"]
    show_columns = ["partner", "term", "region", "site", "format", "level_min", "level_max", "groups_offered",
                    "seats_offered", "declared_at", "declared_by"]
    add_columns = edit_columns = ["partner", "term", "region", "site", "format", "level_min", "level_max",
                                  "groups_offered", "seats_offered"]
    base_order = ("declared_at", "desc")


class PartnerMembershipView(GuichetModelView):
    datamodel = GuichetInterface(PartnerMembership)
    list_title = _l("Partner staff")
    record_name = _l("partner staff membership")
    label_columns = {"user": _l("Staff account")}
    list_columns = ["user", "partner", "job_title"]
    search_columns = ["partner", "job_title"]
    show_columns = add_columns = edit_columns = ["user", "partner", "job_title"]
    add_form_query_rel_fields = edit_form_query_rel_fields = {"user": users_with_roles(PARTNER_STAFF)}
    base_order = ("partner_id", "asc")


class PartnerView(GuichetModelView):
    datamodel = GuichetInterface(Partner)
    list_title = _l("Partners")
    record_name = _l("partner")
    partner_scoped = True
    label_columns = {"name": _l("Organisation"), "type": _l("Type of organisation")}
    list_columns = ["name", "type", "region", "email", "phone", "active"]
    search_columns = ["name", "type", "region", "active"]
    show_columns = add_columns = edit_columns = ["name", "type", "region", "email", "phone", "active"]
    related_views = [SiteView, TeacherView, SectionView, CapacityDeclarationView, PartnerMembershipView]
    base_order = ("name", "asc")


def register(appbuilder: AppBuilder) -> None:
    category = dict(category="Partners", category_label=_l("Partners"), category_icon="fa-university")
    appbuilder.add_view(PartnerView, "Partners", label=_l("Partners"), icon="fa-university", **category)
    appbuilder.add_view(SiteView, "Sites", label=_l("Sites"), icon="fa-building", **category)
    appbuilder.add_view(PartnerMembershipView, "Partner staff", label=_l("Partner staff"), icon="fa-id-badge",
                        **category)
    appbuilder.add_view(TeacherView, "Teachers", label=_l("Teachers"), icon="fa-user", **category)
    appbuilder.add_view(CapacityDeclarationView, "Declared capacity", label=_l("Declared capacity"),
                        icon="fa-bar-chart", **category)
