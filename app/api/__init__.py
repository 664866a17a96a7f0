"""The REST APIs: FAB ``BaseApi`` classes described in FAB's OpenAPI spec (``/api/v1/_openapi``).

One module per resource, and what they share:

- ``catalogue.py``     ``/api/v1/catalogue/sections``: public, read-only search of the open sections
- ``enrolments.py``    ``/api/v1/my/enrolments``: the learner's enrolments (list, register, drop)
- ``learner_file.py``  ``/api/v1/my/file/...``: the learner's own file, read-only
- ``schemas.py``       the fields they share: a section, its meetings, money, a page
- ``auth.py``          ``learner_token_required``: a JWT bearer token of an account with a learner file
- ``errors.py``        error answers in the shape the spec gives them

FAB adds its own APIs when AppBuilder is built: the token login (``SecurityApi``,
``/api/v1/security/login`` and ``/refresh``), ``MenuApi`` and ``OpenApi`` (the spec itself).
"""
from __future__ import annotations

from flask import Flask
from flask_appbuilder import AppBuilder
from flask_appbuilder.api import BaseApi

from ..extensions import csrf
from . import errors
from .catalogue import CatalogueApi
from .enrolments import MyEnrolmentsApi
from .learner_file import MyFileApi

# Any order would do: each API is a blueprint of its own, named after its class (Flask refuses a
# name twice), and their rules are all under /api/, where no page has one. MyEnrolmentsApi and
# MyFileApi share the prefix /api/v1/my/ (resource_name "my") but no rule.
APIS = (CatalogueApi, MyEnrolmentsApi, MyFileApi)


def init_app(app: Flask) -> None:
    """Add the APIs, exempt them from the CSRF check, and make their error answers match the spec."""
    for api in APIS:
        app.appbuilder.add_api(api)
    exempt_from_csrf(app.appbuilder)
    errors.init_app(app)


def exempt_from_csrf(appbuilder: AppBuilder) -> None:
    """The one CSRF rule of the APIs: every API blueprint is exempt from the form-token check.

    Why: a CSRF token protects a credential the browser sends by itself (the session cookie). The
    APIs' credential is a JWT bearer token the client writes into the Authorization header
    (``learner_token_required``; FAB's ``@protect``), which no cross-site request carries, and FAB's
    token login (``SecurityApi``) takes a username and password in the JSON body and neither reads
    nor sets a cookie. No mutating API accepts a browser login: FAB's ``allow_browser_login`` is on
    only for its read-only ``MenuApi`` and ``OpenApi`` (never set it on an API that changes data),
    and tests/test_csrf.py fails on any exempt mutating rule that is not a JWT-only API.

    FAB already exempts each ``BaseApi`` blueprint (``csrf_exempt = True``) when CSRFProtect is
    bound before AppBuilder, as app/__init__.py does; saying it here keeps the rule if that changes.
    Called once every API is added (FAB's own ones exist since AppBuilder was built).
    """
    for view in appbuilder.baseviews:
        if isinstance(view, BaseApi) and view.blueprint is not None:
            csrf.exempt(view.blueprint)
