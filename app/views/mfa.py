"""Second-factor pages for staff: enrolment (QR code, first code, recovery codes) and the code at login.

These pages are the only ones a staff session reaches before passing its second factor
(``app.auth`` sends every other request here). The rule itself is in ``app.services.mfa``.
"""
from __future__ import annotations

from functools import wraps

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_appbuilder.utils.base import get_safe_redirect
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from ..extensions import db
from ..services import lockout, login_sessions, mfa


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[
        InputRequired(message=_l("Enter the code.")),
        Length(max=32, message=_l("This is not a code from your app or a recovery code."))])


def _next_url() -> str:
    return get_safe_redirect(request.args.get("next", "")) or "/"


def second_factor_pending(function):
    """The page is for a logged-in staff session that has not passed its second factor yet:
    visitors go to the login page, others to where they were going."""

    @wraps(function)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for(f"{current_app.appbuilder.sm.auth_view.endpoint}.login"))
        if not mfa.required(current_user):
            return redirect(current_app.appbuilder.get_url_for_index)
        row = login_sessions.current(db.session)
        if row is not None and row.mfa_passed_at is not None:
            return redirect(_next_url())
        return function(*args, **kwargs)

    return guarded


def second_factor_passed(function):
    """The page is for a logged-in staff session that has passed its second factor (the session
    guard in ``app.auth`` sends the others to the second-factor pages); others go home."""

    @wraps(function)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for(f"{current_app.appbuilder.sm.auth_view.endpoint}.login"))
        if not mfa.required(current_user) or not mfa.enrolled(db.session, current_user):
            return redirect(current_app.appbuilder.get_url_for_index)
        return function(*args, **kwargs)

    return guarded


class RegenerateForm(FlaskForm):
    """Only the CSRF token: the button asks for new codes."""


class MfaView(BaseView):
    """Reached only by a logged-in staff account whose session has not passed the second factor."""

    route_base = "/mfa"
    default_view = "verify"

    @expose("/setup", methods=["GET", "POST"])
    @second_factor_pending
    def setup(self):
        if mfa.enrolled(db.session, current_user):
            return redirect(url_for("MfaView.verify", next=request.args.get("next")))
        secret = mfa.pending_secret(db.session, current_user)
        db.session.commit()
        form = CodeForm()
        if form.validate_on_submit():
            codes = mfa.confirm_enrolment(db.session, current_user, form.code.data)
            if codes is not None:
                self._passed()
                db.session.commit()
                return self.render_template("mfa/recovery_codes.html", codes=codes, next_url=_next_url(),
                                            title=_("Your recovery codes"))
            form.code.errors.append(_("This code is not right. Check the time on your phone and type the "
                                      "code your app shows now."))
        uri = mfa.provisioning_uri(current_user, secret)
        return self.render_template("mfa/setup.html", form=form, qr=mfa.qr_svg(uri), secret=secret,
                                    title=_("Set up your second factor"))

    @expose("/verify", methods=["GET", "POST"])
    @second_factor_pending
    def verify(self):
        if not mfa.enrolled(db.session, current_user):
            return redirect(url_for("MfaView.setup", next=request.args.get("next")))
        form = CodeForm()
        if form.validate_on_submit():
            user = current_user._get_current_object()
            kind = mfa.verify(db.session, user, form.code.data)
            if kind is not None:
                self._passed()
                lockout.record_success(db.session, user)
                db.session.commit()
                if kind == "recovery":
                    flash(_("You used a recovery code; %(left)d are left. If you lost your phone, ask an "
                            "administrator to reset your second factor.",
                            left=mfa.recovery_codes_left(db.session, user)), "warning")
                return redirect(_next_url())
            if lockout.record_failure(db.session, user):
                db.session.commit()
                return redirect(url_for(f"{self.appbuilder.sm.auth_view.endpoint}.logout"))
            db.session.commit()
            form.code.errors.append(_("This code is not right, or was already used. Type the code your app "
                                      "shows now, or one of your recovery codes."))
        return self.render_template("mfa/verify.html", form=form, title=_("Second factor"))

    @expose("/recovery-codes", methods=["GET", "POST"])
    @second_factor_passed
    def recovery_codes(self):
        """How many recovery codes are left; new ones on request (the old ones stop working)."""
        user = current_user._get_current_object()
        form = RegenerateForm()
        if form.validate_on_submit():
            codes = mfa.new_recovery_codes(db.session, user)
            db.session.commit()
            return self.render_template("mfa/recovery_codes.html", codes=codes,
                                        next_url=url_for("MfaView.recovery_codes"), title=_("Your recovery codes"))
        return self.render_template("mfa/recovery_codes_left.html", form=form,
                                    left=mfa.recovery_codes_left(db.session, user), title=_("Recovery codes"))

    @staticmethod
    def _passed() -> None:
        row = login_sessions.current(db.session)
        if row is not None:
            login_sessions.mark_mfa_passed(row)


def register(appbuilder) -> None:
    appbuilder.add_view_no_menu(MfaView())
