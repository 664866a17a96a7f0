"""Self-service account pages: sign up, confirm the address, forgotten password, privacy notice.

Every answer that follows a typed address is the same whether the address has an account or not;
the pages reached through an e-mailed link are neither cached nor referred to other sites.
"""
from __future__ import annotations


from flask import current_app, flash, make_response, redirect, session, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, ValidationError

from ..extensions import db
from ..models import ClientCategory, Language, TokenPurpose
from ..models.base import current_language
from ..services import accounts as service
from ..services.applications import birth_date_refusal
from ..services.eligibility import MINIMUM_AGE, under_minimum_age
from ..services.public_links import public_url

def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _int_or_none(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _check_password(form, field) -> None:
    problem = service.password_problem(field.data or "", getattr(form, "account_email", None))
    if problem:
        raise ValidationError(problem)


def _email_field():
    return EmailField(_l("E-mail address"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter your e-mail address.")),
        Length(max=service.EMAIL_MAX_LENGTH,
               message=_l("The address may have at most %(max)d characters.", max=service.EMAIL_MAX_LENGTH)),
        Email(message=_l("Enter a valid e-mail address, like name@example.org.")),
    ])


def _new_password_fields():
    password = PasswordField(_l("Password"), validators=[InputRequired(message=_l("Choose a password.")),
                                                          _check_password])
    confirm = PasswordField(_l("Password again"), validators=[
        InputRequired(message=_l("Type the password a second time.")),
        EqualTo("password", message=_l("The two passwords are not the same.")),
    ])
    return password, confirm


class SignUpForm(FlaskForm):
    """Who the visitor is, how to reach them, in which language, and a password."""

    first_name = StringField(_l("First name"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter your first name.")),
        Length(max=service.NAME_MAX_LENGTH,
               message=_l("At most %(max)d characters.", max=service.NAME_MAX_LENGTH))])
    last_name = StringField(_l("Last name"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter your last name.")),
        Length(max=service.NAME_MAX_LENGTH,
               message=_l("At most %(max)d characters.", max=service.NAME_MAX_LENGTH))])
    email = _email_field()
    birth_date = DateField(_l("Date of birth"), validators=[InputRequired(message=_l("Enter your date of birth."))])
    category = SelectField(_l("Your situation"), coerce=_int_or_none, validate_choice=False,
                           validators=[InputRequired(message=_l("Choose the situation that fits you best."))])
    language = RadioField(_l("Language of our messages"), default="fr",
                          validators=[InputRequired(message=_l("Choose a language."))])
    password, confirm = _new_password_fields()
    consent = BooleanField(_l("I have read the privacy notice and agree that my information is used to "
                              "process my file."),
                           validators=[DataRequired(message=_l("You must accept the privacy notice to create "
                                                               "an account."))])

    @property
    def account_email(self) -> str | None:
        return self.email.data

    def validate_category(self, field) -> None:
        if field.data not in {value for value, _label in field.choices if value}:
            raise ValidationError(_("Choose the situation that fits you best."))

    def validate_birth_date(self, field) -> None:
        refusal = birth_date_refusal(field.data) if field.data is not None else None
        if refusal:
            raise ValidationError(refusal.message)


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class NewPasswordForm(FlaskForm):
    password, confirm = _new_password_fields()

    def __init__(self, *args, account_email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email


def category_choices() -> list[tuple[int | str, str]]:
    categories = db.session.scalars(select(ClientCategory).order_by(ClientCategory.id))
    return [("", _("Choose…"))] + [(c.id, c.name) for c in categories]


def language_choices() -> list[tuple[str, str]]:
    """Each language named in itself, as language choosers do."""
    return [(code, spec["name"]) for code, spec in current_app.config["LANGUAGES"].items()]


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an e-mail, on PUBLIC_BASE_URL (never the request's Host header)."""
    return public_url(endpoint, **values)


def email_links() -> service.Links:
    placeholder = service.TOKEN_PLACEHOLDER
    return service.Links(
        verify=external_url("AccountSelfServiceView.verify", token=placeholder),
        reset=external_url("AccountSelfServiceView.reset", token=placeholder),
        login=external_url(login_endpoint()),
        forgot=external_url("AccountSelfServiceView.forgot"),
    )


def login_endpoint() -> str:
    return f"{current_app.appbuilder.sm.auth_view.endpoint}.login"


def from_a_link(response):
    """A page reached through an e-mailed secret: not kept by caches, its URL not sent elsewhere."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# The status of the page shown for a link that no longer works, by the token's state.
PROBLEM_STATUS = {"expired": 410, "used": 410, "unknown": 404}


class AccountSelfServiceView(BaseView):
    """Public pages; none of them reveals whether an address has an account."""

    route_base = "/account"
    default_view = "register"

    @expose("/register", methods=["GET", "POST"])
    def register(self):
        if current_user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_index)
        form = SignUpForm()
        form.category.choices = category_choices()
        form.language.choices = language_choices()
        if not form.is_submitted():
            form.language.data = current_language()
        if form.validate_on_submit():
            language = Language(form.language.data)
            service.register(db.session, service.SignUp(
                first_name=form.first_name.data, last_name=form.last_name.data, email=form.email.data,
                birth_date=form.birth_date.data, category_id=form.category.data, language=language,
                password=form.password.data), email_links())
            db.session.commit()
            session["locale"] = language.value
            if under_minimum_age(form.birth_date.data):
                flash(_("French courses are open from the age of %(minimum)s. Your account is created, but an "
                        "application for courses can be sent only from your %(minimum)sth birthday.",
                        minimum=MINIMUM_AGE), "warning")
            return redirect(url_for("AccountSelfServiceView.registered"))
        return self.render_template("accounts/register.html", form=form, title=_("Create an account"),
                                    min_length=service.PASSWORD_MIN_LENGTH, max_length=service.PASSWORD_MAX_LENGTH)

    @expose("/register/sent")
    def registered(self):
        return self.render_template("accounts/sent.html", title=_("Check your e-mail"), kind="register",
                                    hours=int(service.VERIFY_TTL.total_seconds() // 3600))

    @expose("/verify/<token>")
    def verify(self, token: str):
        outcome = service.verify_email(db.session, token)
        db.session.commit()
        if outcome.state == "verified":
            flash(_("Your e-mail address is confirmed and your account is active. You can now log in."), "success")
            return redirect(url_for(login_endpoint()))
        if outcome.state == "already":
            flash(_("Your e-mail address was already confirmed. You can log in."), "info")
            return redirect(url_for(login_endpoint()))
        return self._link_problem("verify", outcome.state)

    @expose("/forgot", methods=["GET", "POST"])
    def forgot(self):
        form = ForgotPasswordForm()
        if form.validate_on_submit():
            service.request_password_reset(db.session, form.email.data, email_links(), Language(current_language()))
            db.session.commit()
            return redirect(url_for("AccountSelfServiceView.forgot_sent"))
        return self.render_template("accounts/forgot.html", form=form, title=_("Forgot your password?"))

    @expose("/forgot/sent")
    def forgot_sent(self):
        return self.render_template("accounts/sent.html", title=_("Check your e-mail"), kind="forgot",
                                    minutes=int(service.RESET_TTL.total_seconds() // 60))

    @expose("/reset/<token>", methods=["GET", "POST"])
    def reset(self, token: str):
        check = service.check_token(db.session, token, TokenPurpose.RESET_PASSWORD)
        if not check.valid:
            return self._link_problem("reset", check.state)
        form = NewPasswordForm(account_email=check.token.user.email)
        if form.validate_on_submit():
            outcome = service.reset_password(db.session, token, form.password.data, email_links())
            if not outcome.valid:
                db.session.rollback()
                return self._link_problem("reset", outcome.state)
            db.session.commit()
            flash(_("Your password has been changed. You can now log in with it."), "success")
            return redirect(url_for(login_endpoint()))
        return from_a_link(make_response(self.render_template(
            "accounts/reset.html", form=form, title=_("Choose a new password"),
            min_length=service.PASSWORD_MIN_LENGTH, max_length=service.PASSWORD_MAX_LENGTH)))

    @expose("/privacy")
    def privacy(self):
        return self.render_template("accounts/privacy.html", title=_("Privacy notice"))

    def _link_problem(self, kind: str, state: str):
        return from_a_link(make_response(self.render_template(
            "accounts/link_problem.html", title=_("This link no longer works"), kind=kind, state=state),
            PROBLEM_STATUS.get(state, 404)))


def register(appbuilder) -> None:
    appbuilder.add_view_no_menu(AccountSelfServiceView())
