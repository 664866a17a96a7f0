"""Wires the JSON APIs (app/views/api.py) into the application; named to load after the pages."""
from __future__ import annotations

from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    from .. import api

    api.register(appbuilder)
