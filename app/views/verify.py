"""The public verification page: anyone holding an attestation or a statement checks its code here,
without logging in.

A genuine code confirms only the summary stored when the document was issued (kind, date of
issue, name, levels and hours or year and total) — never the PDF itself, which only its owner
downloads from "My documents". An unknown code and a code that cannot be one get the same answer
and the same 404 status, so the page tells nothing about which codes exist; codes carry 80
random bits, and the view is rate-limited where rate limits are enabled (RATELIMIT_ENABLED).
"""
from __future__ import annotations

from decimal import Decimal

from flask import make_response, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.utils.limit import Limit
from flask_limiter.util import get_remote_address
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from ..extensions import db
from ..models import IssuedDocumentKind, Skill
from ..models.base import current_language
from ..services import documents

RATE = "30 per minute"


class VerifyForm(FlaskForm):
    """The code as printed on the document (dashes and spaces allowed); a GET form, no CSRF."""

    class Meta:
        csrf = False

    code = StringField(_l("Verification code"), validators=[
        DataRequired(message=_l("Enter the verification code printed on the document."))])


def confirmed_facts(document, language: str) -> dict:
    """What the page confirms of a genuine document, formatted for the page's language."""
    summary = document.summary or {}
    facts = {"name": summary.get("name", ""), "issued_on": documents.date_text(document.issued_at, language)}
    if document.kind == IssuedDocumentKind.ATTESTATION:
        levels = {Skill(skill): level for skill, level in (summary.get("levels") or {}).items()}
        facts["levels"] = [(skill.label, levels[skill]) for skill in Skill if skill in levels]
        facts["hours"] = documents.hours_text(Decimal(summary.get("hours", "0")), language)
        facts["courses"] = summary.get("courses", 0)
    else:
        facts["year"] = document.year
        facts["total"] = documents.money(Decimal(summary.get("total", "0")), language)
        facts["payments"] = summary.get("payments", 0)
    return facts


class VerifyView(BaseView):
    """GET /verify/ (the form) and GET /verify/<code> (the answer), public."""

    route_base = "/verify"
    default_view = "index"
    limits = [Limit(RATE, key_func=get_remote_address, cost=1)]

    def _page(self, form, code: str | None = None, status: int = 200):
        document = documents.verify(db.session, code) if code is not None else None
        if code is not None and document is None:
            status = 404
        language = current_language()
        response = make_response(self.render_template(
            "verify.html", title=_("Check a document"), form=form, checked=code is not None, document=document,
            facts=confirmed_facts(document, language) if document else None, Kind=IssuedDocumentKind,
            display_code=documents.display_code(document.code) if document else None), status)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @expose("/")
    def index(self):
        if "code" not in request.args:
            return self._page(VerifyForm(formdata=None))
        form = VerifyForm(formdata=request.args)
        if not form.validate():  # nothing typed: the form again, with the message
            return self._page(form)
        return self._page(form, form.code.data.strip())

    @expose("/<code>")
    def check(self, code: str):
        return self._page(VerifyForm(formdata=None, code=code), code)


def register(appbuilder) -> None:
    appbuilder.add_view_no_menu(VerifyView())
