"""Wires the self-service account pages (app/views/accounts.py): sign up, verify, forgotten password."""
from __future__ import annotations

from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    from .. import accounts

    accounts.register(appbuilder)
