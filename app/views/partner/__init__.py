"""Partner staff pages (attendance, results, completion) scoped to the staff member's partner."""
from __future__ import annotations

from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    from . import groups

    groups.register(appbuilder)  # "My groups", in the Records category of the back office
