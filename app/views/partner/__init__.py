"""Partner staff pages (attendance, results, completion) scoped to the staff member's partner.

Every module of this package with a ``register(appbuilder)`` is added.
"""
from __future__ import annotations

import importlib
import pkgutil

from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        loaded = importlib.import_module(f"{__name__}.{module}")
        if hasattr(loaded, "register"):
            loaded.register(appbuilder)
