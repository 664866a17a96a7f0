"""My documents and data: the attestation of training, the yearly statements, "Download my data"
(Law 25) and who consulted my file.

There is no learner id and no document id in any URL: every page and download is built for the
logged-in learner, so another learner's documents cannot be asked for. Everything is personal:
``Cache-Control: no-store`` on every response.
"""
from __future__ import annotations

import re
from decimal import Decimal

from flask import abort, make_response, request
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from ...models.base import current_language
from ...services import access_log, data_export, documents
from .access import learner_required

PAGE_SIZE = 20
FILENAMES = {
    "attestation": {"fr": "attestation-de-formation.pdf", "en": "attestation-of-training.pdf"},
    "statement": {"fr": "releve-annuel-{year}.pdf", "en": "yearly-statement-{year}.pdf"},
    "export": {"fr": "mes-donnees-{file}.zip", "en": "my-data-{file}.zip"},
}


def private(response):
    """Personal content: never kept by a browser or a shared cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def download(content: bytes, mimetype: str, filename: str):
    response = make_response(content)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return private(response)


class MyDocumentsView(BaseView):
    """The learner's own documents and data."""

    route_base = "/my/documents"
    default_view = "index"

    @expose("/")
    @learner_required
    def index(self, learner):
        page = max(request.args.get("page", 1, type=int), 1)
        rows, total = access_log.consultations(db.session, learner, page, PAGE_SIZE)
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        if page > pages:
            abort(404)
        return private(make_response(self.render_template(
            "learner/documents.html", title=_("My documents and data"), learner=learner,
            can_attest=documents.can_attest(db.session, learner),
            levels=documents.levels_reached(db.session, learner),
            years=documents.payment_years(db.session, learner),
            consultations=rows, total=total, page=page, pages=pages,
            role_label=access_log.role_label, what_label=access_log.what_label)))

    @expose("/attestation.pdf")
    @learner_required
    def attestation(self, learner):
        language = current_language()
        try:
            issued = documents.attestation_pdf(db.session, learner, language)
        except documents.NothingToIssue:
            abort(404)
        db.session.commit()
        return download(issued.content, "application/pdf", FILENAMES["attestation"][language])

    @expose("/statement/<int:year>.pdf")
    @learner_required
    def statement(self, year: int, learner):
        language = current_language()
        try:
            issued = documents.yearly_statement_pdf(db.session, learner, year, language)
        except documents.NothingToIssue:
            abort(404)
        db.session.commit()
        return download(issued.content, "application/pdf", FILENAMES["statement"][language].format(year=year))

    @expose("/attestation")
    @learner_required
    def attestation_page(self, learner):
        """The attestation's facts as an accessible web page, beside the PDF download."""
        courses = documents.completed_courses(db.session, learner)
        levels = documents.levels_reached(db.session, learner)
        if not courses and not levels:
            abort(404)
        language = current_language()
        return private(make_response(self.render_template(
            "learner/documents_attestation.html", title=_("Attestation of training"), learner=learner,
            courses=courses, levels=levels, language=language,
            hours=documents.hours_text(sum((c.hours_present for c in courses), Decimal("0")), language),
            hours_text=documents.hours_text)))

    @expose("/statement/<int:year>")
    @learner_required
    def statement_page(self, year: int, learner):
        """The yearly statement's facts as an accessible web page, beside the PDF download."""
        payments = documents.payments_in(db.session, learner, year)
        if not payments:
            abort(404)
        language = current_language()
        return private(make_response(self.render_template(
            "learner/documents_statement.html", title=_("Yearly statement of amounts paid"), learner=learner,
            year=year, payments=payments, language=language, money=documents.money,
            total=documents.money(sum((p.amount for p in payments), Decimal("0.00")), language))))

    @expose("/my-data.zip")
    @learner_required
    def export(self, learner):
        content = data_export.export_learner(db.session, learner)
        data_export.record_export(db.session, learner, actor_id=current_user.id)
        db.session.commit()
        safe_number = re.sub(r"[^A-Za-z0-9-]", "", learner.file_number)
        filename = FILENAMES["export"][current_language()].format(file=safe_number)
        return download(content, "application/zip", filename)


def register(appbuilder) -> None:
    appbuilder.add_view_no_menu(MyDocumentsView())
