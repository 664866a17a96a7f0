"""What every generated back-office screen shares.

* ``GuichetInterface``: FAB's SQLAInterface that eager-loads the relations a list shows (one
  query per page whatever its size), shows enums by their translated label, booleans as
  Yes/No and instants in Montréal time.
* ``GuichetModelView``: translated labels and titles, form fields for our enums and UTC
  instants, partner scoping of rows and of form choices, the acting user stamped on rows, and
  a CSV export of the list under its current filter (``csv_export``).
"""
from __future__ import annotations

import datetime as dt
import enum
from functools import reduce

from flask import abort, g, jsonify, request
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import gettext, lazy_gettext as _l, to_user_timezone, to_utc
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import Boolean, Time, asc, desc, inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased, joinedload
from wtforms import BooleanField, DateTimeLocalField, SelectField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional, ValidationError

from ...extensions import db
from ...models import (
    CapacityDeclaration, Enrolment, EnterpriseMembership, EnterpriseRequest, PartnerMembership,
)
from ...models.base import UTCDateTime, current_language
from ...models.catalogue import WEEKDAY_LABELS
from ...i18n import format_clock
from ...models.reference import LabelledEnum
from .lookups import lookup_field, lookup_matches
from ...services.access import (
    READ, WRITE, is_partner_scoped, partner_ids_for, partner_of, partner_scope_clause, role_label,
)
from .csv_export import CsvExportMixin

# Relations a model's __str__ reads: loaded with it wherever it is shown in a list.
STR_RELATIONS: dict[type, tuple[str, ...]] = {
    Enrolment: ("learner", "section"),
    PartnerMembership: ("user", "partner"),
    EnterpriseMembership: ("user", "enterprise"),
    EnterpriseRequest: ("enterprise",),
    CapacityDeclaration: ("partner", "term"),
}

YES, NO = _l("Yes"), _l("No")


class GuichetInterface(SQLAInterface):
    """SQLAInterface that joins the shown many-to-one relations into the page's one query."""

    def __init__(self, obj, session=None):
        super().__init__(obj, session)
        self.eager_paths: tuple[str, ...] = STR_RELATIONS.get(obj, ())

    def eager_load(self, columns) -> None:
        """Eager-load the relations behind ``columns`` (and what their labels read)."""
        paths = set(self.eager_paths)
        for column in columns:
            root = column.split(".")[0]
            if root in self.list_properties and (
                    self.is_relation_many_to_one(root) or self.is_relation_one_to_one(root)):
                paths.add(root)
                related = self.get_related_model(root)
                paths.update(f"{root}.{leaf}" for leaf in STR_RELATIONS.get(related, ()))
        self.eager_paths = tuple(sorted(paths))

    def _load_options(self):
        options = []
        for path in self.eager_paths:
            model, loader = self.obj, None
            for name in path.split("."):
                attribute = getattr(model, name)
                loader = joinedload(attribute) if loader is None else loader.joinedload(attribute)
                model = attribute.property.mapper.class_
            options.append(loader)
        return options

    def apply_all(self, query, *args, **kwargs):
        query = super().apply_all(query, *args, **kwargs)
        return query.options(*self._load_options()) if self.eager_paths else query

    def apply_order_by(self, query, order_column, order_direction, aliases_mapping=None,
                       bypass_many_to_many=False, add_pk=False):
        """Sort by any listed column: a column, a bilingual label (in the page's language), or a
        many-to-one relation (by the label its rows read by). Anything else keeps the default order."""
        if not order_column:
            return query
        direction = asc if order_direction == "asc" else desc
        keys = sort_columns(self.obj, order_column)
        if keys is None and order_column in self.list_properties and (
                self.is_relation_many_to_one(order_column) or self.is_relation_one_to_one(order_column)):
            related = aliased(self.get_related_model(order_column))
            query = query.outerjoin(related, getattr(self.obj, order_column).of_type(related))
            keys = label_sort_columns(related)
        if not keys:
            return query
        pk = getattr(self.obj, self.get_pk_name())
        return query.order_by(*[direction(key) for key in keys], direction(pk))

    def add(self, item, commit: bool = True) -> None:
        try:
            super().add(item, commit)
        except SQLAlchemyError as exc:
            raise RecordRefused(_l("The record was not saved: it conflicts with another record or breaks a rule "
                                   "of the data (duplicate code, value out of range).")) from exc

    def edit(self, item, commit: bool = True) -> None:
        try:
            super().edit(item, commit)
        except DatabaseException as exc:
            raise RecordRefused(_l("The changes were not saved: they conflict with another record or break a "
                                   "rule of the data (duplicate code, value out of range).")) from exc

    def delete(self, item, commit: bool = True) -> None:
        try:
            super().delete(item, commit)
        except DatabaseException as exc:
            raise RecordRefused(_l("The record was not deleted: other records still refer to it.")) from exc

    def _get_attr_value(self, item, col):
        try:
            value = reduce(getattr, col.split("."), item)
        except AttributeError:
            return ""
        if callable(value):
            value = value()
        return display_value(value)


def _localized_column(entity, name: str):
    """``name`` of a bilingual pair (``name_fr``/``name_en``) in the page's language, if the pair exists."""
    columns = sa_inspect(entity).mapper.columns
    if f"{name}_fr" in columns and f"{name}_en" in columns:
        return getattr(entity, f"{name}_en" if current_language() == "en" else f"{name}_fr")
    return None


def sort_columns(entity, name: str) -> list | None:
    """What sorts a column of ``entity``: the column itself or its bilingual text; None otherwise."""
    columns = sa_inspect(entity).mapper.columns
    if name in columns:
        return [getattr(entity, name)]
    localized_column = _localized_column(entity, name)
    return [localized_column] if localized_column is not None else None


# The columns a row's label starts with, tried in this order, to sort a list by a relation.
LABEL_KEYS = (("code",), ("file_number",), ("name",), ("title",), ("reference",), ("first_name", "last_name"),
              ("username",), ("original_name",), ("day",))


def label_sort_columns(entity) -> list:
    """The columns that order rows of ``entity`` as their labels read (its key as a last resort)."""
    for names in LABEL_KEYS:
        keys = [sort_columns(entity, name) for name in names]
        if all(keys):
            return [key for found in keys for key in found]
    mapper = sa_inspect(entity).mapper
    return [getattr(entity, mapper.get_property_by_column(column).key) for column in mapper.primary_key]


class RecordRefused(Exception):
    """The database refused a change; its message is shown to the user, translated."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def display_value(value):
    """How a value reads on a list or show page."""
    if value is None:
        return ""  # never "None" on a page
    if isinstance(value, LabelledEnum):
        return value.label
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, dt.datetime):
        # Ours are aware UTC instants; FAB's account columns are naive server times.
        local = to_user_timezone(value) if value.tzinfo else value
        return f"{local.date().isoformat()} {format_clock(local.time())}"
    if isinstance(value, dt.time):
        return format_clock(value)
    if isinstance(value, Role):
        return role_label(value.name)
    if isinstance(value, list):
        return ", ".join(str(display_value(element)) for element in value)
    if isinstance(value, dict):
        # a structure has a reader of its own on its view (see intake.ApplicationInterface);
        # never JSON on a page
        return "; ".join(gettext("%(what)s: %(answer)s", what=COMMON_LABELS.get(key, str(key).replace("_", " ")),
                                 answer=display_value(item))
                         for key, item in value.items() if item not in (None, "", [], {}))
    return value


def in_language(language: str):
    """A formatter showing a text written in ``language`` marked with it (``lang``)."""
    def formatter(value):
        if value in (None, ""):
            return value
        return Markup('<span lang="{}">{}</span>').format(language, value)
    return formatter


class LabelledEnumField(SelectField):
    """A select of a LabelledEnum showing translated labels and giving back the member."""

    def __init__(self, label=None, validators=None, enum_class=None, allow_blank=False, **kwargs):
        self.enum_class = enum_class
        self.allow_blank = allow_blank
        choices = [SelectChoice(member.value, member.label) for member in enum_class]
        if allow_blank:
            choices.insert(0, SelectChoice("", "—"))
        super().__init__(label, validators, coerce=self._coerce, choices=choices, **kwargs)

    def _coerce(self, value):
        if value is None or value == "":
            return None
        return value if isinstance(value, self.enum_class) else self.enum_class(value)

    def pre_validate(self, form):
        if self.data is None and self.allow_blank:
            return
        if not isinstance(self.data, self.enum_class):
            # a ValidationError (not a bare ValueError, which WTForms 3 lets through as a 500)
            raise ValidationError(self.gettext("Not a valid choice."))


class LocalDateTimeField(DateTimeLocalField):
    """A date and time typed in Montréal time, stored as an aware UTC instant."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%dT%H:%M", **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, dt.datetime):
            local = to_user_timezone(self.data) if self.data.tzinfo else self.data
            return local.strftime(self.format[0])
        return ""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, dt.datetime) and self.data.tzinfo is None:
            self.data = to_utc(self.data).replace(tzinfo=dt.UTC)


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


def weekday_label(weekday: int):
    return WEEKDAY_LABELS.get(weekday, weekday)


def weekday_field(label=_l("Day of the week")) -> SelectField:
    return SelectField(label, [DataRequired()], coerce=int,
                       choices=[SelectChoice(day, name) for day, name in WEEKDAY_LABELS.items()])


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


# Labels of columns whose name means the same thing on every model; views override the rest.
COMMON_LABELS = {
    "id": _l("Number"),
    "courses": _l("Courses"),
    "hours": _l("Hours"),
    "levels": _l("Levels"),
    "year": _l("Year"),
    "payments": _l("Payments"),
    "total": _l("Total"),
    "code": _l("Code"),
    "name": _l("Name"),
    "name_fr": _l("Name (French)"),
    "name_en": _l("Name (English)"),
    "title_fr": _l("Title (French)"),
    "title_en": _l("Title (English)"),
    "description_fr": _l("Description (French)"),
    "description_en": _l("Description (English)"),
    "notes_fr": _l("Notes (French)"),
    "notes_en": _l("Notes (English)"),
    "note_fr": _l("Note (French)"),
    "note_en": _l("Note (English)"),
    "reason_fr": _l("Reason (French)"),
    "reason_en": _l("Reason (English)"),
    "bio_fr": _l("Biography (French)"),
    "bio_en": _l("Biography (English)"),
    "accessibility_notes_fr": _l("Accessibility notes (French)"),
    "accessibility_notes_en": _l("Accessibility notes (English)"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "email": _l("E-mail"),
    "phone": _l("Telephone"),
    "address": _l("Address"),
    "city": _l("City"),
    "postal_code": _l("Postal code"),
    "region": _l("Region"),
    "partner": _l("Partner"),
    "site": _l("Site"),
    "teacher": _l("Teacher"),
    "course": _l("Course"),
    "term": _l("Term"),
    "section": _l("Group"),
    "learner": _l("Learner"),
    "enrolment": _l("Enrolment"),
    "enterprise": _l("Enterprise"),
    "application": _l("Application"),
    "user": _l("Account"),
    "field": _l("Field"),
    "format": _l("Format"),
    "level": _l("Level"),
    "level_min": _l("Lowest level"),
    "level_max": _l("Highest level"),
    "skill": _l("Skill"),
    "status": _l("Status"),
    "active": _l("Active"),
    "created_at": _l("Created"),
    "starts_on": _l("Starts on"),
    "ends_on": _l("Ends on"),
    "starts_at": _l("Starts at"),
    "ends_at": _l("Ends at"),
    "weekday": _l("Day of the week"),
    "job_title": _l("Job title"),
    "amount": _l("Amount ($)"),
    "reason": _l("Reason"),
    "note": _l("Note"),
    "body": _l("Text"),
    "language": _l("Language"),
    "at": _l("When"),
    "type": _l("Type"),
}


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
