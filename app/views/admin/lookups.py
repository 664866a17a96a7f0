"""Search-as-you-type relation fields for the tables that grow with the learners.

FAB's relation fields list every row of the related table in the form (``QuerySelectField``),
and its ``/api/column`` endpoints return them all too: at registration-day scale a form for an
attendance line would load every enrolment. A relation to one of ``LARGE`` tables is instead a
``LookupField``: the form holds only the chosen row, the browser asks the view's ``lookup``
endpoint for at most ``LOOKUP_LIMIT`` matches of what is typed (``static/js/lookups.js``,
Select2's AJAX mode), and the posted id is read back with the same choice rules (partner scope,
roles) as FAB's ``*_form_query_rel_fields``.
"""
from __future__ import annotations

from flask import url_for
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import contains_eager
from wtforms.fields.choices import SelectFieldBase
from wtforms.widgets import Select
from wtforms.validators import DataRequired, Optional, StopValidation

from ...extensions import db
from ...models import Application, Enrolment, Learner, Plan, Section

LOOKUP_LIMIT = 20
MAX_ID = 2**31 - 1


def _learner_columns():
    return (Learner.file_number, Learner.last_name, Learner.first_name, Learner.email)


def _search(model, text: str):
    """The statement of the rows of ``model`` matching ``text`` (with what their labels show)."""
    stmt = select(model)
    if model is Learner:
        columns = _learner_columns()
    elif model is Section:
        columns = (Section.code,)
    elif model is User:
        columns = (User.username, User.email, User.last_name, User.first_name)
    elif model is Enrolment:
        stmt = stmt.join(Enrolment.learner).join(Enrolment.section).options(
            contains_eager(Enrolment.learner), contains_eager(Enrolment.section))
        columns = (*_learner_columns(), Section.code)
    else:  # Application, Plan: by their learner
        stmt = stmt.join(model.learner).options(contains_eager(model.learner))
        columns = _learner_columns()
    text = text.strip()
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions = [cast(column, String).ilike(pattern, escape="\\") for column in columns]
        if text.isdigit() and int(text) <= MAX_ID:
            conditions.append(model.id == int(text))
        stmt = stmt.where(or_(*conditions))
    return stmt.order_by(model.id.desc())


LARGE = (Learner, Section, Enrolment, Application, Plan, User)


def allowed(related, rules, stmt):
    """``stmt`` restricted by a view's choice rules for a field (partner scope, roles)."""
    for column_name, filter_class, value in rules or ():
        stmt = filter_class(column_name, related).apply(stmt, value)
    return stmt


def lookup_matches(related, rules, text: str) -> list:
    """At most LOOKUP_LIMIT rows of the related model that the field may take and that match ``text``."""
    stmt = allowed(related, rules, _search(related.obj, text)).limit(LOOKUP_LIMIT)
    return list(db.session.scalars(stmt).unique())


class LookupWidget(Select):
    """A ``<select>`` holding only the chosen row; lookups.js turns it into a search box."""

    def __call__(self, field, **kwargs):
        kwargs["class"] = f"form-control gf-lookup {kwargs.pop('class', '') or kwargs.pop('class_', '')}".strip()
        kwargs["data-lookup-url"] = field.lookup_url()
        kwargs["data-placeholder"] = str(_l("Type to search…"))
        kwargs["data-min-length"] = "1"
        return super().__call__(field, **kwargs)


class LookupField(SelectFieldBase):
    """A relation chosen by id among the rows ``rules`` allow (FAB filter rules on the related model)."""

    widget = LookupWidget()

    def __init__(self, label=None, validators=None, *, datamodel, endpoint: str, column: str, rules=(), **kwargs):
        super().__init__(label, validators, **kwargs)
        self.related = datamodel
        self.endpoint = endpoint
        self.column = column
        self.rules = list(rules or ())

    def lookup_url(self) -> str:
        return url_for(f"{self.endpoint}.lookup", column=self.column)

    def allowed(self, stmt):
        return allowed(self.related, self.rules, stmt)

    def matches(self, text: str) -> list:
        return lookup_matches(self.related, self.rules, text)

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "") or ""
        self.data, self.refused = None, False
        if raw in ("", "__None"):
            return
        if raw.isdigit() and int(raw) <= MAX_ID:
            model = self.related.obj
            self.data = db.session.scalars(self.allowed(select(model).where(model.id == int(raw)))).first()
        self.refused = self.data is None

    def pre_validate(self, form):
        # an id the rules do not offer (another partner's row, a crafted number): say so, and stop
        # before "required" would replace the message
        if getattr(self, "refused", False):
            raise StopValidation(str(_l("Choose one of the rows offered.")))

    def _value(self):
        return str(self.data.id) if self.data is not None else ""

    def iter_choices(self):
        """The empty choice and the chosen row: the only options the page holds."""
        yield ("", "", self.data is None, {})
        if self.data is not None:
            yield (str(self.data.id), str(self.data), True, {})


def lookup_field(view, name: str, rules):
    """A (unbound) LookupField for relation column ``name`` of ``view`` when it points to a LARGE table."""
    datamodel = view.datamodel
    if name not in datamodel.list_properties or not datamodel.is_relation_many_to_one(name):
        return None
    related = datamodel.get_related_interface(name)
    if related.obj not in LARGE:
        return None
    nullable = all(column.nullable for column in datamodel.list_properties[name].local_columns)
    return LookupField(view.label_columns.get(name, name), [Optional() if nullable else DataRequired()],
                       datamodel=related, endpoint=view.endpoint or type(view).__name__, column=name,
                       rules=rules)
