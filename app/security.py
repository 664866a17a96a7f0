"""Security manager: FAB's database authentication plus our role seeding hooks."""
from __future__ import annotations

from flask_appbuilder.security.sqla.manager import SecurityManager


class GuichetSecurityManager(SecurityManager):
    """The project's security manager (role matrix in ``app.services.access``)."""
