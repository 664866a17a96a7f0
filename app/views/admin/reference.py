"""Reference data: regions, client categories, immigration statuses, fields, income supports."""
from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ...models import ClientCategory, Field, ImmigrationStatus, IncomeSupport, Region
from .base import GuichetModelView
from .interface import GuichetInterface

BILINGUAL = ["code", "name_fr", "name_en"]
# The lists people read show the names; the code the program knows a row by is shown on the row's
# page, marked as a code (an identifier, not a word to translate).
NAMES = ["name_fr", "name_en"]
AS_CODE = {"code": lambda value: Markup("<code>{}</code>").format(value) if value else value}
CODE_LABEL = {"code": _l("Code used by the program")}


class RegionView(GuichetModelView):
    datamodel = GuichetInterface(Region)
    list_title = _l("Administrative regions")
    record_name = _l("administrative region")
    list_columns = BILINGUAL
    search_columns = BILINGUAL
    show_columns = add_columns = edit_columns = BILINGUAL
    base_order = ("code", "asc")
    page_size = 20


class ClientCategoryView(GuichetModelView):
    datamodel = GuichetInterface(ClientCategory)
    list_title = _l("Client categories")
    record_name = _l("client category")
    label_columns = CODE_LABEL
    list_columns = NAMES
    search_columns = BILINGUAL
    show_columns = add_columns = edit_columns = BILINGUAL + ["description_fr", "description_en"]
    formatters_columns = AS_CODE
    base_order = ("code", "asc")


class ImmigrationStatusView(GuichetModelView):
    datamodel = GuichetInterface(ImmigrationStatus)
    list_title = _l("Immigration statuses")
    record_name = _l("immigration status")
    label_columns = {**CODE_LABEL, "allowance_excluded": _l("No participation allowance")}
    list_columns = NAMES + ["allowance_excluded"]
    search_columns = BILINGUAL + ["allowance_excluded"]
    show_columns = add_columns = edit_columns = BILINGUAL + ["allowance_excluded"]
    formatters_columns = AS_CODE
    base_order = ("code", "asc")


class FieldView(GuichetModelView):
    datamodel = GuichetInterface(Field)
    list_title = _l("Fields of specialised courses")
    record_name = _l("field")
    label_columns = CODE_LABEL
    list_columns = NAMES
    search_columns = BILINGUAL
    show_columns = add_columns = edit_columns = BILINGUAL
    formatters_columns = AS_CODE
    base_order = ("code", "asc")


class IncomeSupportView(GuichetModelView):
    datamodel = GuichetInterface(IncomeSupport)
    list_title = _l("Income supports")
    record_name = _l("income support")
    label_columns = CODE_LABEL
    list_columns = NAMES
    search_columns = BILINGUAL
    show_columns = add_columns = edit_columns = BILINGUAL
    formatters_columns = AS_CODE
    base_order = ("code", "asc")


def register(appbuilder: AppBuilder) -> None:
    category = dict(category="Reference data", category_label=_l("Reference data"), category_icon="fa-database")
    appbuilder.add_view(RegionView, "Regions", label=_l("Administrative regions"), icon="fa-map", **category)
    appbuilder.add_view(ClientCategoryView, "Client categories", label=_l("Client categories"),
                        icon="fa-users", **category)
    appbuilder.add_view(ImmigrationStatusView, "Immigration statuses", label=_l("Immigration statuses"),
                        icon="fa-id-card", **category)
    appbuilder.add_view(FieldView, "Fields", label=_l("Fields of specialised courses"), icon="fa-stethoscope",
                        **category)
    appbuilder.add_view(IncomeSupportView, "Income supports", label=_l("Income supports"), icon="fa-life-ring",
                        **category)
