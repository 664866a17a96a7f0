"""Registers the learner's enrolment API (``/api/v1/my/...``) and keeps token endpoints out of CSRF.

CSRFProtect is global. The two blueprints below authenticate with a JWT bearer token sent in
the Authorization header and never with the session cookie, so a forged cross-site request
carries no credential and a CSRF token would protect nothing: they are exempt.
- MyEnrolmentsApi: ``verify_jwt_in_request`` reads headers only (see app/views/api_enrolments.py).
- FAB's SecurityApi: ``POST /api/v1/security/login`` exchanges a username and password (in
  the JSON body) for a token; it reads no cookie and sets none, so there is no ambient
  authority to abuse, and API clients have no CSRF token to send.
FAB already exempts the blueprints of BaseApi classes (``csrf_exempt = True``) when CSRFProtect is
bound before AppBuilder; saying it here keeps the guarantee when that ordering changes.
"""
from __future__ import annotations

from flask_appbuilder.security.api import SecurityApi

from ...extensions import csrf
from ..api_enrolments import MyEnrolmentsApi


def register(appbuilder) -> None:
    api = appbuilder.add_api(MyEnrolmentsApi)
    csrf.exempt(api.blueprint)
    for view in appbuilder.baseviews:
        if isinstance(view, SecurityApi) and view.blueprint is not None:
            csrf.exempt(view.blueprint)
