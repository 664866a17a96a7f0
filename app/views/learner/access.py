"""Who the learner is: the Learner file of the logged-in account (and the businesses it represents),
and the guard of every learner page."""
from __future__ import annotations

from functools import wraps

from flask import abort, g, redirect, request, url_for
from flask_appbuilder.security.sqla.models import User
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...models import Learner


def current_learner() -> Learner | None:
    """The Learner file of the logged-in account, or None (staff, visitors)."""
    return _account_links()[0]


def businesses_represented() -> list[int]:
    """The ids of the businesses the logged-in account represents."""
    return _account_links()[1]


def _account_links() -> tuple[Learner | None, list[int]]:
    """The logged-in account's learner file and the businesses it represents, read in one
    statement once per request: the page and its navigation both ask."""
    from ...models import EnterpriseMembership

    if not current_user.is_authenticated:
        return None, []
    cached = g.get("_account_links")
    if cached is None or cached[0] != current_user.id:
        rows = db.session.execute(
            select(Learner, EnterpriseMembership.enterprise_id)
            .select_from(User).outerjoin(Learner, Learner.user_id == User.id)
            .outerjoin(EnterpriseMembership, EnterpriseMembership.user_id == User.id)
            .where(User.id == current_user.id)).all()
        learner = rows[0][0] if rows else None
        cached = g._account_links = (current_user.id, learner, [row[1] for row in rows if row[1] is not None])
    return cached[1], cached[2]


def learner_required(view):
    """Only a logged-in learner may open the page; visitors go to the login page, others get 403."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            # after login, come back to the page (a POST cannot be replayed: back to the form's page)
            back = request.full_path if request.method == "GET" else None
            return redirect(url_for("AuthDBView.login", next=back))
        learner = current_learner()
        if learner is None:
            abort(403)
        return view(*args, learner=learner, **kwargs)

    return wrapper
