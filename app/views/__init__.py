"""View registration: the generated back office and the hand-written pages."""
from flask_appbuilder import AppBuilder


def register_views(appbuilder: AppBuilder) -> None:
    from .admin import register as register_admin
    from .learner import register as register_learner
    from .partner import register as register_partner

    register_admin(appbuilder)
    register_partner(appbuilder)
    register_learner(appbuilder)
    from . import mfa, reports_dashboard, reports_exports

    mfa.register(appbuilder)
    reports_exports.register(appbuilder)
    reports_dashboard.register(appbuilder)
