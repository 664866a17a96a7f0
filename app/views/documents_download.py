"""Staff download of the documents learners send with their application.

Only case officers and administrators may open them (``DOCUMENT_ROLES``); the help desk, partner
staff and analysts never see documents. Each download is written in the learner's access log
(Law 25), and the file comes as an attachment that no browser or shared cache keeps.
"""
from __future__ import annotations

from flask import abort, current_app, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_login import current_user

from ..extensions import db
from ..models import Document
from ..services.access import ADMIN, AGENT
from ..services.access_log import log_access
from ..services.applications import DOCUMENT_CONSULTED
from ..services.document_store import DocumentStore
from .learner.apply import document_response

DOCUMENT_ROLES = frozenset({ADMIN, AGENT})


def may_open_documents(user) -> bool:
    return user.is_authenticated and any(role.name in DOCUMENT_ROLES for role in user.roles)


class StaffDocumentsView(BaseView):
    route_base = "/staff/documents"
    default_view = "download"

    @expose("/<int:document_id>")
    def download(self, document_id: int):
        if not current_user.is_authenticated:
            return redirect(url_for(current_app.appbuilder.sm.auth_view.endpoint + ".login", next=request.full_path))
        if not may_open_documents(current_user):
            abort(403)
        document = db.session.get(Document, document_id) or abort(404)
        response = document_response(DocumentStore.from_app(current_app), document)
        log_access(db.session, document.learner, current_user, DOCUMENT_CONSULTED)
        db.session.commit()
        return response


def register(appbuilder) -> None:
    appbuilder.add_view_no_menu(StaffDocumentsView())
