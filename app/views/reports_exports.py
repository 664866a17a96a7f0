"""Exports of the indicator set: downloaded at once or prepared in the background.

``/reports/indicators.xlsx`` and ``/reports/indicators.csv`` take the dashboard's query
parameters (``from``, ``to``, ``region``, ``partner``, ``format``, ``level``, ``category``, and
``publication=1`` for the version meant to leave the ministry) and stream the file. Partner staff
get their own partner's figures whatever the ``partner`` parameter says, always with small cells
suppressed (their file leaves the ministry). ``POST /reports/exports`` prepares the same file as
a job; ``/reports/exports/<id>`` shows its progress bar, ``…/progress`` gives it as JSON and
``…/download`` the file — to the account that asked for it only (404 for anyone else).

FAB checks the role (``can_list`` to export, ``can_show`` to follow one's background export, on
ReportExportView: Analyst, PartnerStaff, Admin); the
dashboard page itself belongs to the reports dashboard view.
"""
from __future__ import annotations

import tempfile

from flask import Response, abort, jsonify, redirect, request, stream_with_context, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..jobs.progress import progress_payload
from ..models.base import current_language
from ..services import report_exports as exports
from ..services.access import partner_ids_for
from ..services.reports import ReportFilters, indicator_set

CHUNK = 64 * 1024


class StartForm(FlaskForm):
    format = SelectField(_l("File"), default="xlsx", choices=[
        SelectChoice("xlsx", _l("Excel workbook (XLSX)")), SelectChoice("csv", _l("CSV file"))])
    publication = BooleanField(_l("For publication (small cells suppressed)"))


def scoped_request() -> tuple[ReportFilters, bool]:
    """The filters of the query string, limited to the user's partner for partner staff, and
    whether small cells are suppressed (asked with ``publication=1``; always for partner staff)."""
    filters = ReportFilters.from_args(request.args)
    publication = request.args.get("publication") in ("1", "true", "on", "y")
    partner_ids = partner_ids_for(db.session, current_user)
    if partner_ids is not None:
        if not partner_ids:
            abort(403)
        chosen = filters.partner_id if filters.partner_id in partner_ids else min(partner_ids)
        filters, publication = filters.limited_to_partner(chosen), True
    return filters, publication


def _file_chunks(handle):
    try:
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()


def _attachment(name: str) -> dict:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


class ReportExportView(BaseView):
    """The indicator exports (the dashboard is another view)."""

    route_base = "/reports"
    default_view = "xlsx"
    # read-only roles (Analyst) export: asking for a file changes no record of the domain
    method_permission_name = {"xlsx": "list", "csv": "list", "start": "list",
                              "export": "show", "progress": "show", "download": "show"}

    @expose("/indicators.xlsx")
    @has_access
    def xlsx(self):
        filters, publication = scoped_request()
        ind = indicator_set(db.session, filters)
        handle = tempfile.TemporaryFile()
        exports.write_xlsx(handle, db.session, ind, publication, current_language())
        db.session.remove()
        handle.seek(0)
        return Response(_file_chunks(handle), mimetype=exports.XLSX_MIME,
                        headers=_attachment(exports.file_name("xlsx", ind)))

    @expose("/indicators.csv")
    @has_access
    def csv(self):
        filters, publication = scoped_request()
        ind = indicator_set(db.session, filters)
        chunks = exports.csv_chunks(db.session, ind, publication, current_language())
        db.session.remove()  # the pieces need no database: free the connection while they stream
        return Response(stream_with_context(chunks), mimetype=exports.CSV_MIME,
                        headers=_attachment(exports.file_name("csv", ind)))

    @expose("/exports", methods=["POST"])
    @has_access
    def start(self):
        form = StartForm()
        if not form.validate_on_submit():
            abort(400)
        filters, publication = scoped_request()
        run = exports.start_export(db.session, current_user.id, filters, form.format.data, current_language(),
                                   publication or form.publication.data)
        db.session.commit()
        return redirect(url_for("ReportExportView.export", pk=run.id))

    @expose("/exports/<int:pk>")
    @has_access
    def export(self, pk: int):
        run = self._own_run(pk)
        params = run.parameters or {}
        filters = ReportFilters.from_args(params.get("filters") or {})
        return self.render_template(
            "reports/export.html", payload=self._payload(run), progress_url=url_for(
                "ReportExportView.progress", pk=run.id),
            described=exports.describe_filters(db.session, filters), publication=params.get("publication"),
            threshold=exports.SUPPRESSION_THRESHOLD,
            format_label=_l("Excel workbook (XLSX)") if params.get("format") == "xlsx" else _l("CSV file"))

    @expose("/exports/<int:pk>/progress")
    @has_access
    def progress(self, pk: int):
        run = self._own_run(pk)
        response = jsonify(self._payload(run))
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/exports/<int:pk>/download")
    @has_access
    def download(self, pk: int):
        run = self._own_run(pk)
        path = exports.export_path(run)
        if path is None or not path.is_file():
            abort(404)
        fmt = (run.parameters or {}).get("format", "xlsx")
        mimetype = exports.XLSX_MIME if fmt == "xlsx" else exports.CSV_MIME
        name = f"indicateurs-{run.created_at:%Y-%m-%d}-{run.id}.{fmt}"
        return Response(_file_chunks(open(path, "rb")), mimetype=mimetype, headers=_attachment(name))

    @staticmethod
    def _own_run(pk: int):
        run = exports.run_for(db.session, pk, current_user.id)
        if run is None:
            abort(404)
        return run

    @staticmethod
    def _payload(run) -> dict:
        download = url_for("ReportExportView.download", pk=run.id) if run.output_path else None
        return progress_payload(run.job, download)


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view_no_menu(ReportExportView)
