"""Wires the business pages (app/views/enterprise.py) into the application: the representative's
pages under /enterprise/ and the employee's link with a business under /my/employer/."""
from __future__ import annotations

from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    from ..enterprise import MyEmployerView, MyEnterpriseView

    appbuilder.add_view_no_menu(MyEnterpriseView())
    appbuilder.add_view_no_menu(MyEmployerView())
