"""Registers the learner's file API (``/api/v1/my/file/...``) and keeps it out of CSRF.

Like the enrolment API (see zz_api_enrolments.py), it reads a JWT bearer token from the
Authorization header and never the session cookie, so a cross-site request carries no credential
and a CSRF token would protect nothing; it is read-only besides.
"""
from __future__ import annotations

from ...extensions import csrf
from ..api_record import MyFileApi


def register(appbuilder) -> None:
    api = appbuilder.add_api(MyFileApi)
    csrf.exempt(api.blueprint)
