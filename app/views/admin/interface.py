"""FAB's data interface for our screens: eager loading, sorting by any listed column, refusals in words.

``GuichetInterface`` joins the many-to-one relations a list shows into the page's one query
(whatever its size), sorts by a column, a bilingual label in the page's language or a relation's
label, reads every cell through ``display_value`` and turns a database refusal into a sentence.
"""
from __future__ import annotations

from functools import reduce

from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import asc, desc, inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased, joinedload

from ...models import (
    CapacityDeclaration, Enrolment, EnterpriseMembership, EnterpriseRequest, PartnerMembership,
)
from ...models.base import current_language
from .columns import display_value

# Relations a model's __str__ reads: loaded with it wherever it is shown in a list.
STR_RELATIONS: dict[type, tuple[str, ...]] = {
    Enrolment: ("learner", "section"),
    PartnerMembership: ("user", "partner"),
    EnterpriseMembership: ("user", "enterprise"),
    EnterpriseRequest: ("enterprise",),
    CapacityDeclaration: ("partner", "term"),
}


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

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        """FAB's query; a list that is not paginated (the choices of a filter or a form field)
        is counted from its rows instead of by a second statement."""
        if page is not None or page_size is not None:
            return super().query(filters, order_column, order_direction, page, page_size, select_columns,
                                 outer_default_load)
        items = self.apply_all(self.session.query(self.obj), filters, order_column, order_direction,
                               select_columns=select_columns, outer_default_load=outer_default_load).all()
        return len(items), items

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

