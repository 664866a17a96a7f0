"""CSV export of a generated back-office list, with the filter and the order shown on screen.

``CsvExportMixin`` gives every ``GuichetModelView`` an ``export_csv`` endpoint guarded by the
list's own permission (``can_list``): whoever may list the screen may export it, nobody else.
The rows are those of the list (the view's base filters, so PartnerStaff get only their
partner's rows, plus the search filters of the URL), the columns are the list's columns with
their translated labels, the values read as on the page (labels of enums, Yes/No, local times).
Rows are read from the database in batches into a temporary file, never loaded whole.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from urllib.parse import urlencode

from flask import Flask, request, send_file, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.urltools import get_filter_args, get_order_args
from markupsafe import Markup
from werkzeug.routing import BuildError

from ...extensions import db

BATCH = 500
# A cell a spreadsheet would run as a formula starts with one of these (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Arguments of the list page that choose a page, not rows: left out of the export link.
PAGING_ARGUMENT = re.compile(r"^(page|psize)_")


def cell(value) -> str:
    """A value as text a spreadsheet shows as it is (never as a formula)."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        value = value.striptags()
    text = str(value)
    if text.startswith(FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class CsvExportMixin:
    """``/export_csv/``: the list's rows under the current filter, as a CSV file (see module doc)."""

    @expose("/export_csv/")
    @has_access
    @permission_name("list")
    def export_csv(self):
        filters = self.datamodel.get_filters(self.search_columns)
        get_filter_args(filters)
        joined = filters.get_joined_filters(self._base_filters)
        order_column, order_direction = get_order_args().get(self.__class__.__name__, ("", ""))
        if order_column not in self.order_columns:
            order_column, order_direction = self.base_order or ("", "")
        query = self.datamodel.apply_all(self.datamodel.session.query(self.datamodel.obj), joined,
                                         order_column, order_direction)
        columns = list(self.list_columns)
        headers = [cell(self.label_columns.get(name, name)) for name in columns]
        formatters = self.formatters_columns or {}

        # Rows are read in batches and written to a temporary file (in memory up to 1 MiB, then on
        # disk), which is then sent: memory stays flat, and the request ends like any other (a
        # streamed generator would keep the request context, and a connection, until collected).
        spool = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+b")
        text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(headers)
        for item in query.yield_per(BATCH):
            values = self.datamodel.get_values_item(item, columns)
            writer.writerow([cell(formatters[name](value) if name in formatters else value)
                             for name, value in zip(columns, values, strict=True)])
        text.flush()
        text.detach()
        spool.seek(0)
        db.session.close()
        filename = f"{self.__class__.__name__.removesuffix('View').lower()}-{dt.date.today().isoformat()}.csv"
        return send_file(spool, mimetype="text/csv", as_attachment=True, download_name=filename)


def list_export_url() -> str | None:
    """On a list page: the export link of that list, with the page's filter and order."""
    view_name, _, method = (request.endpoint or "").partition(".")
    if method != "list":
        return None
    try:
        url = url_for(f"{view_name}.export_csv")
    except BuildError:  # a list without an export (FAB's own security screens)
        return None
    arguments = [(key, value) for key, values in request.args.lists() for value in values
                 if not PAGING_ARGUMENT.match(key)]
    return f"{url}?{urlencode(arguments)}" if arguments else url


def init_app(app: Flask) -> None:
    app.add_template_global(list_export_url)
