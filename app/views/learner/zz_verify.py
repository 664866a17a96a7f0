"""Wires the public document verification page (app/views/verify.py) into the application."""
from __future__ import annotations

from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    from ..verify import VerifyView

    appbuilder.add_view_no_menu(VerifyView())
