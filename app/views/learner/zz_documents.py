"""Wires the staff download of application documents (app/views/documents_download.py) into the application."""
from __future__ import annotations

from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    from ..documents_download import StaffDocumentsView

    appbuilder.add_view_no_menu(StaffDocumentsView())
