"""Every screen of the application, registered in one visible order (the REST APIs are in app/api/).

Only the order of views added with ``add_view`` matters: FAB shows them in the menu in the order
they are added, category by category (a category appears where its first view is added). Pages
added with ``add_view_no_menu`` may come in any order: each is a blueprint of its own, named after
its class (Flask refuses a name twice), and no two URL rules overlap.
"""
from flask_appbuilder import AppBuilder


def register_views(appbuilder: AppBuilder) -> None:
    from . import (
        accounts, admin, documents_download, enterprise, learner, mfa, partner, reports_dashboard, reports_exports,
        verify,
    )

    # The menu: the back office's categories first (the daily work, then reference data and
    # compliance) ...
    admin.register(appbuilder)
    # ... then "My groups" of partner staff, which joins the Records category the back office opened.
    partner.register(appbuilder)
    # Pages without a menu entry (the learner area has its own navigation: learner/navigation.py).
    learner.register(appbuilder)
    accounts.register(appbuilder)  # sign up, e-mail verification, forgotten password
    documents_download.register(appbuilder)  # staff download of application documents
    enterprise.register(appbuilder)  # the representative's business pages and the employee's employer
    verify.register(appbuilder)  # public verification of an issued document
    mfa.register(appbuilder)  # staff second factor
    reports_exports.register(appbuilder)
    # The Reports category, last in the menu.
    reports_dashboard.register(appbuilder)
