"""What every generated back-office screen shares: ``GuichetModelView`` and ``ReadOnlyModelView``.

``GuichetModelView``: translated labels and titles, form fields for our enums and UTC instants
(``fields``), partner scoping of rows and of form choices (``scope``), the acting user stamped on
rows, search-as-you-type relation fields (``lookups``) and a CSV export of the list under its
current filter (``csv_export``). Its data interface is ``interface.GuichetInterface``; every cell
reads through ``columns.display_value``.
"""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.fields import QuerySelectField
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Boolean, Time
from wtforms import BooleanField, TimeField
from wtforms.validators import DataRequired, Optional

from ...models.base import UTCDateTime
from ...models.reference import LabelledEnum
from ...services.access import READ, WRITE, is_partner_scoped
from .columns import COMMON_LABELS, in_language
from .csv_export import CsvExportMixin
from .fields import LabelledEnumField, LocalDateTimeField
from .interface import GuichetInterface
from .lookups import lookup_field, lookup_matches
from .scope import SCOPE, ensure_own_partner


class GuichetModelView(CsvExportMixin, ModelView):
    """Base of every back-office screen (see the module docstring)."""

    datamodel: GuichetInterface
    list_template = "admin/list.html"
    base_permissions = list(WRITE)
    page_size = 25
    record_name = _l("record")
    # Rows restricted to the partners of a PartnerStaff user (FAB applies base filters to
    # lists, shows, edits and deletes alike, so another partner's row answers 404).
    partner_scoped = False
    # Relation columns set to the acting user on add, kept out of the forms.
    stamp_user_columns: tuple[str, ...] = ()
    database_error_message = _l("The changes were not saved: they conflict with another record or break a rule "
                                "of the data (duplicate code, value out of range).")

    def __init__(self, **kwargs):
        # the relation look-ups serve whoever may edit the view's rows
        self.method_permission_name = {"lookup": "edit", **(self.method_permission_name or {})}
        super().__init__(**kwargs)

    def _init_properties(self):
        self.label_columns = {**COMMON_LABELS, **(self.label_columns or {})}
        # content written in one language carries it, whatever the page's language (title_en...)
        self.formatters_columns = {**{column: in_language(column.rsplit("_", 1)[1])
                                      for column in self.datamodel.get_columns_list()
                                      if column.endswith(("_en", "_fr"))},
                                   **(self.formatters_columns or {})}
        if self.partner_scoped:
            self.base_filters = SCOPE + list(self.base_filters or [])
        self.add_exclude_columns = list(self.add_exclude_columns or []) + list(self.stamp_user_columns)
        self.edit_exclude_columns = list(self.edit_exclude_columns or []) + list(self.stamp_user_columns)
        super()._init_properties()
        self.datamodel.eager_load(self.list_columns)
        # every listed column can be sorted (GuichetInterface.apply_order_by knows how)
        self.order_columns = list(self.list_columns)

    def _init_titles(self):
        self.list_title = self.list_title or self.record_name
        self.show_title = self.show_title or _l("Details: %(what)s", what=self.record_name)
        self.add_title = self.add_title or _l("New: %(what)s", what=self.record_name)
        self.edit_title = self.edit_title or _l("Edit: %(what)s", what=self.record_name)
        super()._init_titles()

    def _init_forms(self):
        self.add_form_extra_fields = {**self._typed_fields(self.add_columns), **(self.add_form_extra_fields or {})}
        self.edit_form_extra_fields = {**self._typed_fields(self.edit_columns), **(self.edit_form_extra_fields or {})}
        self.search_form_extra_fields = {**self._typed_fields(self.search_columns, search=True),
                                         **(self.search_form_extra_fields or {})}
        self.add_form_query_rel_fields = {**self._scoped_choices(self.add_columns),
                                          **(self.add_form_query_rel_fields or {})}
        self.edit_form_query_rel_fields = {**self._scoped_choices(self.edit_columns),
                                           **(self.edit_form_query_rel_fields or {})}
        self.search_form_query_rel_fields = {**self._scoped_choices(self.search_columns),
                                             **(self.search_form_query_rel_fields or {})}
        # relations to tables that grow with the learners: searched as you type, never listed whole
        self._lookups = {}
        for columns, extra, rules in ((self.add_columns, self.add_form_extra_fields, self.add_form_query_rel_fields),
                                      (self.edit_columns, self.edit_form_extra_fields,
                                       self.edit_form_query_rel_fields)):
            for name in columns or ():
                if name in extra:
                    continue
                field = lookup_field(self, name, rules.get(name))
                if field is not None:
                    extra[name] = field
                    self._lookups[name] = (self.datamodel.get_related_interface(name), rules.get(name))
        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            for unbound in vars(form).values():
                # FAB's empty choice has no text, and WTForms then shows its value, "__None"
                if getattr(unbound, "field_class", None) is QuerySelectField:
                    unbound.kwargs.setdefault("blank_text", "—")

    @expose("/lookup/<column>")
    @has_access
    def lookup(self, column: str):
        """The rows a search-as-you-type relation field may take that match ``?q=`` (at most 20)."""
        if column not in self._lookups:
            abort(404)
        related, rules = self._lookups[column]
        rows = lookup_matches(related, rules, request.args.get("q", "")[:100])
        return jsonify(results=[{"id": row.id, "text": str(row)} for row in rows])

    def _typed_fields(self, columns, search=False) -> dict:
        """Form fields for our enums (translated labels), UTC instants (typed in local time),
        times of day and booleans."""
        fields = {}
        for name in columns:
            column = self.datamodel.list_columns.get(name)
            if column is None:
                continue
            required = not (search or column.nullable)
            validators = [DataRequired()] if required else [Optional()]
            label = self.label_columns.get(name, name)
            default = column.default.arg if column.default is not None and column.default.is_scalar else None
            enum_class = getattr(column.type, "enum_class", None)
            if enum_class is not None and issubclass(enum_class, LabelledEnum):
                fields[name] = LabelledEnumField(label, validators, enum_class=enum_class,
                                                 allow_blank=not required, default=default)
            elif isinstance(column.type, UTCDateTime):
                fields[name] = LocalDateTimeField(label, validators)
            elif isinstance(column.type, Time):
                fields[name] = TimeField(label, validators, format="%H:%M")
            elif isinstance(column.type, Boolean) and not search:
                # FAB marks a NOT NULL boolean required, so "unchecked" (False) could never be saved.
                fields[name] = BooleanField(label, [Optional()], default=bool(default))
        return fields

    def _scoped_choices(self, columns) -> dict:
        """Restrict the choices of relation fields to the current user's partners."""
        rules = {}
        for name in columns:
            if name in self.datamodel.list_properties and self.datamodel.is_relation(name):
                related = self.datamodel.get_related_model(name)
                if is_partner_scoped(related):
                    rules[name] = SCOPE
        return rules

    def _visible_related_views(self):
        """Related lists the current user may read (the others are not shown at all)."""
        sm = self.appbuilder.sm
        return [view for view in self._related_views if sm.has_access("can_list", view.class_permission_name)]

    def _get_related_views_widgets(self, item, orders=None, pages=None, page_sizes=None, widgets=None, **args):
        widgets = widgets or {}
        widgets["related_views"] = []
        for view in self._visible_related_views():
            name = view.__class__.__name__
            order_column, order_direction = orders.get(name) or ("", "")
            widgets["related_views"].append(self._get_related_view_widget(
                item, view, order_column, order_direction, page=pages.get(name), page_size=page_sizes.get(name)))
        return widgets

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        pk = self._deserialize_pk_if_composite(pk)
        widgets = self._show(pk)
        return self.render_template(self.show_template, pk=pk, title=self.show_title, widgets=widgets,
                                    related_views=self._visible_related_views())

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        pk = self._deserialize_pk_if_composite(pk)
        widgets = self._edit(pk)
        if not widgets:
            return self.post_edit_redirect()
        return self.render_template(self.edit_template, title=self.edit_title, widgets=widgets,
                                    related_views=self._visible_related_views())

    def pre_add(self, item):
        for name in self.stamp_user_columns:
            if getattr(item, name, None) is None and current_user.is_authenticated:
                setattr(item, name, current_user._get_current_object())
        if self.partner_scoped:
            ensure_own_partner(item)

    def pre_update(self, item):
        if self.partner_scoped:
            ensure_own_partner(item)


class ReadOnlyModelView(GuichetModelView):
    """A screen that only lists and shows (append-only records): no form at all."""

    base_permissions = list(READ)

    def _init_properties(self):
        super()._init_properties()
        self.add_columns, self.edit_columns = [], []
