"""The help desk console: find an account, see its state, act on it with a reason.

``SupportConsoleView`` (Support, Admin): ``can_list`` the search, ``can_show`` an account's page,
``can_edit`` the actions. Every action is a POST with a required reason; those that cut the
account holder off (deactivate, end all sessions, reset the second factor) first show a
confirmation page, and act only on its confirmed POST. The rules — who may act on whom, what
makes sense in which state, the audit row and the e-mail — are in ``app.services.support``; the
view parses, commits once, flashes and redirects, or shows the page again with the reason typed
and why it was refused.
"""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SearchField, TextAreaField

from ...extensions import db
from ...services import support
from ..accounts import email_links

# What the console says about each action: its heading, what it does, its button, and for the
# destructive ones the question of the confirmation page.
ACTION_TEXTS = {
    "send_reset_link": {
        "title": _l("Send a password reset link"),
        "what": _l("The account holder receives, in their language, a link to choose a new password. "
                   "It works once, for one hour."),
        "button": _l("Send the link"),
    },
    "unlock": {
        "title": _l("Unlock the account"),
        "what": _l("The lock after too many failed logins is lifted now; the account holder is told."),
        "button": _l("Unlock"),
    },
    "resend_verification": {
        "title": _l("Resend the verification link"),
        "what": _l("The account holder receives a new link to confirm their e-mail address and activate "
                   "the account (valid 48 hours)."),
        "button": _l("Resend the link"),
    },
    "deactivate": {
        "title": _l("Deactivate the account"),
        "what": _l("Nobody can log in with the account any more and every open session ends; the account "
                   "holder is told. It can be reactivated later."),
        "button": _l("Deactivate…"),
        "confirm": _l("Deactivate the account"),
        "question": _l("Deactivate the account of %(name)s (%(username)s)?"),
    },
    "reactivate": {
        "title": _l("Reactivate the account"),
        "what": _l("The account can log in again; the account holder is told."),
        "button": _l("Reactivate"),
    },
    "end_sessions": {
        "title": _l("End all sessions"),
        "what": _l("The account is logged out on every device; the account holder is told."),
        "button": _l("End all sessions…"),
        "confirm": _l("End all sessions"),
        "question": _l("End every session of %(name)s (%(username)s)?"),
    },
    "reset_second_factor": {
        "title": _l("Reset the second factor"),
        "what": _l("The staff member sets up their authenticator app again at their next login; every open "
                   "session ends and they are told. Administrators only."),
        "button": _l("Reset the second factor…"),
        "confirm": _l("Reset the second factor"),
        "question": _l("Reset the second factor of %(name)s (%(username)s)?"),
    },
}

# A refused reason is a form problem (422); any other refusal is the account's state (409).
REASON_CODES = frozenset({"reason_missing", "reason_too_short", "reason_too_long"})


class SearchForm(FlaskForm):
    """The search, read from the query string."""

    class Meta:
        csrf = False

    q = SearchField(_l("Name, e-mail address, user name or file number"))


class ReasonForm(FlaskForm):
    """One action: its reason (checked by the service) and, for a destructive one, the confirmation."""

    reason = TextAreaField(_l("Reason (required; written to the audit trail)"))
    confirmed = HiddenField()


def private(response, status: int = 200):
    """Personal content: never kept by a browser or a shared cache."""
    response = make_response(response, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def done_message(action: str, state: support.AccountState, count: int | None) -> str:
    """What the console says once ``action`` is done."""
    name = f"{state.first_name} {state.last_name}"
    if action == "send_reset_link":
        return _("A password reset link is on its way to %(email)s.", email=state.email)
    if action == "unlock":
        return _("The account of %(name)s is unlocked; they are told.", name=name)
    if action == "resend_verification":
        return _("A new verification link is on its way to %(email)s.", email=state.email)
    if action == "deactivate":
        return ngettext("The account of %(name)s is deactivated; %(num)s open session was ended.",
                        "The account of %(name)s is deactivated; %(num)s open sessions were ended.",
                        count or 0, name=name)
    if action == "reactivate":
        return _("The account of %(name)s is active again; they are told.", name=name)
    if action == "end_sessions":
        return ngettext("%(num)s session of %(name)s was ended; they are told.",
                        "%(num)s sessions of %(name)s were ended; they are told.", count or 0, name=name)
    return _("The second factor of %(name)s is reset: they will set it up again at their next login.", name=name)


def run(action: str, target, actor, reason: str) -> int | None:
    """Do ``action`` through the service; returns the count of sessions ended where there is one."""
    session = db.session
    if action == "send_reset_link":
        return support.send_reset_link(session, target, actor, reason, email_links())
    if action == "unlock":
        return support.unlock(session, target, actor, reason)
    if action == "resend_verification":
        return support.resend_verification(session, target, actor, reason, email_links())
    if action == "deactivate":
        return support.deactivate(session, target, actor, reason)
    if action == "reactivate":
        return support.reactivate(session, target, actor, reason)
    if action == "end_sessions":
        return support.end_sessions(session, target, actor, reason, email_links())
    return support.reset_second_factor(session, target, actor, reason)


class SupportConsoleView(BaseView):
    """Search accounts, read one account's identity and state, act on it."""

    route_base = "/support"
    default_view = "search"
    method_permission_name = {"search": "list", "account": "show", "act": "edit"}

    @expose("/")
    @has_access
    def search(self):
        form = SearchForm(request.args)
        page = max(request.args.get("page", 1, type=int), 1)
        result = support.search_accounts(db.session, form.q.data, page=page)
        if page > result.pages:
            abort(404)
        return private(self.render_template("support/search.html", title=_("Help desk console"), form=form,
                                            result=result))

    def _target(self, pk: int):
        target = support.find_user(db.session, pk)
        if target is None:
            abort(404)
        return target

    def _account_page(self, target, *, failed: str | None = None, refusal=None, code: str | None = None,
                      form: ReasonForm | None = None, status: int = 200):
        actor = current_user._get_current_object()
        state = support.account_state(db.session, target)
        forms = {action: ReasonForm(prefix=action, formdata=None) for action in support.ACTIONS}
        if failed and form is not None:
            forms[failed] = form
        return private(self.render_template(
            "support/account.html", title=_("Account of %(name)s", name=" ".join((state.first_name, state.last_name))),
            state=state, actions=support.available_actions(state, actor, target), texts=ACTION_TEXTS,
            destructive=support.DESTRUCTIVE, forms=forms, failed=failed, refusal=refusal,
            who_refusal=support.may_act_on(actor, target), refusal_messages=support.REFUSALS,
            reason_refused=code in REASON_CODES, min_length=support.REASON_MIN_LENGTH,
            max_length=support.REASON_MAX_LENGTH), status)

    @expose("/account/<int:pk>")
    @has_access
    def account(self, pk: int):
        return self._account_page(self._target(pk))

    @expose("/account/<int:pk>/<action>", methods=["POST"])
    @has_access
    def act(self, pk: int, action: str):
        if action not in support.ACTIONS:
            abort(404)
        target = self._target(pk)
        actor = current_user._get_current_object()
        form = ReasonForm(prefix=action)
        if not form.validate_on_submit():  # the form has no validator of its own: only the CSRF token
            abort(400)
        try:
            reason = support.check(db.session, action, target, actor, form.reason.data)
            if action in support.DESTRUCTIVE and form.confirmed.data != "yes":
                state = support.account_state(db.session, target)
                db.session.rollback()
                return private(self.render_template(
                    "support/confirm.html", title=ACTION_TEXTS[action]["confirm"], state=state, action=action,
                    text=ACTION_TEXTS[action], form=form, reason=reason))
            state = support.account_state(db.session, target)
            count = run(action, target, actor, reason)
            db.session.commit()
        except support.SupportRefused as refused:
            db.session.rollback()
            return self._account_page(self._target(pk), failed=action, refusal=refused.message, code=refused.code,
                                      form=form, status=422 if refused.code in REASON_CODES else 409)
        flash(done_message(action, state, count), "success")
        return redirect(url_for(".account", pk=pk))


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(SupportConsoleView, "Help desk console", label=_l("Help desk console"), icon="fa-search",
                        category="Support", category_label=_l("Support"), category_icon="fa-life-ring")
