"""How the learner APIs know who calls: a JWT bearer token of an account with a learner file.

The token comes from FAB's ``POST /api/v1/security/login`` and is read from the Authorization
header only: a browser session cookie is never a credential here (hence no CSRF token, see
app/api/__init__.py). The learner is the token's, never a parameter, so no request can name
another learner.
"""
from __future__ import annotations

from functools import wraps

from flask import g
from flask_jwt_extended import current_user as token_user, verify_jwt_in_request
from sqlalchemy import select

from ..extensions import db
from ..models import Learner


def learner_token_required(f):
    """A valid JWT access token of an active account with a learner file; passes ``learner=``.

    No, a malformed or an expired token: 401 (app/api/errors.py). A token of an
    account without a learner file (staff): 403.
    """

    @wraps(f)
    def wrapper(self, *args, **kwargs):
        verify_jwt_in_request()  # headers only: a session cookie is not a credential here
        loaded = g.get("jwt_learner")  # read with the account by the security manager's JWT loader
        learner = loaded[1] if loaded and loaded[0] == token_user.id else \
            db.session.scalar(select(Learner).where(Learner.user_id == token_user.id))
        if learner is None:
            return self.response_403()
        return f(self, *args, learner=learner, **kwargs)

    return wrapper
