"""Crafted input answers 400 or 404, never 500 (issue 11): fixed once, at the root.

* ``int`` path parameters use a bounded converter: a value beyond PostgreSQL's ``integer``
  (2**31 - 1) matches no route, so it is a 404 before any view or query runs.
* One guard before every request refuses (400, the usual translated error page or the API's JSON):
  a NUL byte anywhere in the path, the query string, a form field or a JSON body (PostgreSQL
  cannot store one: every text column, login name or search would fail), an integer of more
  than 18 digits in the query string or a form (beyond 64 bits: no id, page or amount is that
  long), and an integer beyond 32 bits in a JSON body or the query string of the API (every
  integer of the API is one).
* Flask-AppBuilder's list parameters, which FAB passes to ``int()`` and SQL as they come:
  ``page_<View>`` and ``psize_<View>`` must be bounded natural numbers, ``_oc_<View>`` a column
  the view orders by, and ``_flt_<n>_<column>`` an existing filter with a value of the column's
  type. A bulk or row action that the view does not declare, a chart grouping that does not exist
  and a download of a file that is not there are 404s (FAB dereferences or opens them unchecked).
* The backstop, for whatever reaches the database anyway: SQLAlchemy's ``DataError`` (a value
  out of the column's range or length) rolls the transaction back and answers 400.
"""
from __future__ import annotations

import datetime as dt
import decimal
import os
import re
from typing import Any

from dateutil import parser as date_parser
from flask import Flask, abort, request
from sqlalchemy import BigInteger, Enum as SAEnum
from sqlalchemy.exc import DataError, StatementError
from werkzeug.routing import IntegerConverter, ValidationError

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
# A query-string or form value made only of digits and longer than this is no number of ours.
MAX_DIGITS = 18
# FAB's list pages: ``page_<View>`` counts from 0, ``psize_<View>`` rows per page.
MAX_FAB_PAGE = 1_000_000
MAX_FAB_PAGE_SIZE = 500

OVERSIZED = re.compile(r"[+-]?\d{%d,}" % (MAX_DIGITS + 1))
NATURAL = re.compile(r"\d{1,9}")
INTEGER = re.compile(r"[+-]?\d{1,%d}" % MAX_DIGITS)
FAB_PAGE = re.compile(r"page_(.+)")
FAB_PAGE_SIZE = re.compile(r"psize_(.+)")
FAB_ORDER = re.compile(r"_oc_(.+)")
FAB_FILTER = re.compile(r"_flt_(\d)_(.+)")


class BoundedIntegerConverter(IntegerConverter):
    """Werkzeug's ``int`` converter, bounded to PostgreSQL's ``integer`` (1 .. 2**31 - 1 by default)."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT32_MAX, signed=False):  # noqa: A002 (Werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> Any:
        if len(value.lstrip("+-0")) > len(str(self.max)):
            raise ValidationError()  # longer than the bound: no need to build a huge int
        return super().to_python(value)


class CraftedInput(Exception):
    """The request carries a value no page of the application can take (answered 400)."""


def has_nul(value: Any) -> bool:
    return isinstance(value, str) and "\x00" in value


def refuse_text(name: str, value: str) -> None:
    if has_nul(name) or has_nul(value):
        raise CraftedInput(f"NUL byte in {name!r}")
    if OVERSIZED.fullmatch(value.strip()):
        raise CraftedInput(f"oversized integer in {name!r}")


def check_json(value: Any, depth: int = 0) -> None:
    """Refuse NUL bytes and integers beyond 32 bits anywhere in a JSON document."""
    if depth > 32:
        raise CraftedInput("JSON nested too deeply")
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return
    if isinstance(value, int):
        if not -INT32_MAX - 1 <= value <= INT32_MAX:
            raise CraftedInput("integer out of range in the JSON body")
    elif isinstance(value, str):
        if has_nul(value):
            raise CraftedInput("NUL byte in the JSON body")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_json(key, depth + 1)
            check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_json(item, depth + 1)


def check_request() -> None:
    """The one guard: NUL bytes, oversized integers (raises ``CraftedInput``)."""
    if has_nul(request.path):
        raise CraftedInput("NUL byte in the path")
    api = request.path.startswith("/api/")
    for name, value in request.args.items(multi=True):
        refuse_text(name, value)
        if api and INTEGER.fullmatch(value.strip()) and abs(int(value)) > INT32_MAX:
            raise CraftedInput(f"integer out of range in {name!r}")  # every integer of the API is 32 bits
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for name, value in request.form.items(multi=True):
                refuse_text(name, value)
            for name, upload in request.files.items(multi=True):
                if has_nul(name) or has_nul(upload.filename or ""):
                    raise CraftedInput("NUL byte in a file name")
        elif request.is_json:
            body = request.get_json(silent=True)
            check_json(body)


# --- Flask-AppBuilder's list parameters and actions ------------------------------------------------

def fab_view():
    """The FAB view behind the request's endpoint (None for a plain Flask view)."""
    from flask import current_app

    function = current_app.view_functions.get(request.endpoint or "")
    view = getattr(function, "__self__", None)
    return view if hasattr(view, "datamodel") else None


def views_named(view) -> dict:
    """The view and its related views (the show page lists them), by class name."""
    views = {type(view).__name__: view}
    for related in getattr(view, "_related_views", None) or []:
        views[type(related).__name__] = related
    return views


def check_fab_list_parameters(view) -> None:
    """``page_``, ``psize_``, ``_oc_`` and ``_flt_`` arguments FAB would pass on unchecked."""
    named = views_named(view) if view is not None else {}
    for name, value in request.args.items(multi=True):
        if FAB_PAGE.fullmatch(name):
            if not NATURAL.fullmatch(value) or int(value) > MAX_FAB_PAGE:
                raise CraftedInput(f"page number {value!r}")
        elif FAB_PAGE_SIZE.fullmatch(name):
            if not NATURAL.fullmatch(value) or not 1 <= int(value) <= MAX_FAB_PAGE_SIZE:
                raise CraftedInput(f"page size {value!r}")
        elif match := FAB_ORDER.fullmatch(name):
            target = named.get(match.group(1))
            if target is not None and value not in (target.order_columns or ()):
                raise CraftedInput(f"order column {value!r}")
        elif (match := FAB_FILTER.fullmatch(name)) and view is not None:
            check_fab_filter(view, int(match.group(1)), match.group(2), value)


def check_fab_filter(view, index: int, column: str, value: str) -> None:
    filters = getattr(view, "_filters", None)
    search = filters.get_search_filters() if filters is not None else {}
    if column not in search:
        return  # FAB ignores a filter on a column that is not searchable
    if index >= len(search[column]):
        raise CraftedInput(f"filter {index} of {column!r}")
    datamodel = view.datamodel
    if datamodel.is_relation(column) or value == "":
        return  # a related row's id, looked up by FAB (an unknown one filters nothing)
    chosen = search[column][index]
    if not type(chosen).__module__.startswith("flask_appbuilder."):
        return  # a filter of the project's own (e.g. the audit's actor by user name) reads its value itself
    if not value_fits_column(datamodel, column, value):
        raise CraftedInput(f"filter value {value!r} for {column!r}")


def value_fits_column(datamodel, column: str, value: str) -> bool:
    """Whether FAB's filter can compare ``value`` with the column without a database error."""
    sql_column = datamodel.list_columns.get(column)
    sql_type = getattr(sql_column, "type", None)
    if isinstance(sql_type, SAEnum):
        allowed = set(sql_type.enums)
        enum_class = getattr(sql_type, "enum_class", None)
        if enum_class is not None:
            allowed |= {str(member.value) for member in enum_class} | {member.name for member in enum_class}
        return value in allowed
    try:
        if datamodel.is_integer(column):
            limit = INT64_MAX if isinstance(sql_type, BigInteger) else INT32_MAX
            return abs(int(value)) <= limit
        if datamodel.is_float(column) or datamodel.is_numeric(column):
            return decimal.Decimal(value).is_finite() and abs(decimal.Decimal(value)) < 10**15
        if datamodel.is_boolean(column):
            return value == "y"  # FAB compares anything else with the boolean column as text
        if datamodel.is_date(column) or datamodel.is_datetime(column):
            parsed = date_parser.parse(value)
            return dt.MINYEAR < parsed.year < dt.MAXYEAR
    except (ValueError, OverflowError, decimal.InvalidOperation, date_parser.ParserError):
        return False
    return True


def check_fab_action(view) -> None:
    """FAB runs ``self.actions.get(name).func``: an action the view does not declare is a 404."""
    if request.endpoint.endswith(".action"):
        name = (request.view_args or {}).get("name")
    elif request.endpoint.endswith(".action_post") and request.method == "POST":
        name = request.form.get("action")
    else:
        return
    if name not in (getattr(view, "actions", None) or {}):
        abort(404)


def may_run(view) -> bool:
    """Whether FAB's permission check lets the current user run the endpoint (those it refuses
    get FAB's usual answer: the login page, a redirect, 403)."""
    from flask import current_app

    function = current_app.view_functions[request.endpoint]
    permission = "can_" + getattr(function, "_permission_name", request.endpoint.rsplit(".", 1)[-1])
    return current_app.appbuilder.sm.has_access(permission, view.class_permission_name)


def check_fab_chart(view) -> None:
    """FAB's charts index their definitions with ``int(group_by)`` from the URL."""
    definitions = getattr(view, "definitions", None)
    group_by = (request.view_args or {}).get("group_by")
    if definitions is None or group_by in (None, "") or not may_run(view):
        return
    if not NATURAL.fullmatch(str(group_by)) or int(group_by) >= len(definitions):
        abort(404)


def check_fab_download(view) -> None:
    """FAB's download route splits the file name and opens it unchecked: a name that is not a
    stored file is a 404 for whoever may download (the others are refused by FAB as usual)."""
    from flask import current_app

    if not request.endpoint.endswith(".download") or not may_run(view):
        return
    filename = (request.view_args or {}).get("filename", "")
    folder = current_app.config.get("UPLOAD_FOLDER")
    if "_sep_" not in filename or not folder or not os.path.isfile(os.path.join(folder, filename)):
        abort(404)


def guard() -> None:
    check_request()
    view = fab_view()
    check_fab_list_parameters(view)
    if view is not None:
        check_fab_action(view)
        check_fab_chart(view)
        check_fab_download(view)


def init_app(app: Flask) -> None:
    """Install the bounded converter (before any route exists), the guard and the backstops."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(guard)


def install_error_handlers(app: Flask) -> None:
    """400 for crafted input and ``DataError`` (installed after the error pages exist)."""
    from .extensions import db
    from .views.errors import error_response

    def crafted(error: CraftedInput):
        app.logger.info("crafted input refused: %s", error)
        return error_response(400)

    def data_error(error: StatementError):
        # The statement failed: the transaction is aborted (PostgreSQL) and the error page
        # itself reads the database (menu, permissions).
        db.session.rollback()
        app.logger.info("value refused by the database: %s", str(error.orig or error)[:200])
        return error_response(400)

    app.register_error_handler(CraftedInput, crafted)
    app.register_error_handler(DataError, data_error)
