"""Pages of a business's representative, and the employee's side of the link with a business.

``/enterprise/…`` (``MyEnterpriseView``): sign-up of a representative, the business file, the
training requests, invitations to employees and the aggregate progress. A business's pages are
looked up together with the logged-in account's memberships: another business's page answers 404
to a representative, and any page answers 403 to an account that speaks for no business (a
learner, support staff). ``/my/employer/…`` (``MyEmployerView``): a learner accepts an invitation,
gives or withdraws consent to be counted, or unlinks their file. The rules are in
``app.services.enterprises``; a view parses, commits once, flashes and redirects.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, flash, make_response, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import format_decimal, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..extensions import db
from ..models import CourseFormat, Language, Region, RequestStatus
from ..models.base import current_language
from ..models.reference import LEVELS
from ..services import accounts
from ..services import enterprises as service
from ..services.enterprises import EnterpriseRefused
from .accounts import _email_field, _new_password_fields, _strip, email_links, external_url, language_choices
from .learner.access import learner_required


# --- forms --------------------------------------------------------------------------------------

def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def region_choices() -> list[tuple]:
    regions = db.session.scalars(select(Region).order_by(Region.code))
    return [("", _("Choose a region"))] + [(region.id, f"{region.code} — {region.name}") for region in regions]


def level_choices() -> list[tuple[int, str]]:
    return [(level, str(level)) for level in LEVELS]


class RepresentativeSignUpForm(FlaskForm):
    """The contact person of a business: name, address, language of messages, password."""

    first_name = StringField(_l("First name"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter your first name.")),
        Length(max=accounts.NAME_MAX_LENGTH, message=_l("At most %(max)d characters.", max=accounts.NAME_MAX_LENGTH))])
    last_name = StringField(_l("Last name"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter your last name.")),
        Length(max=accounts.NAME_MAX_LENGTH, message=_l("At most %(max)d characters.", max=accounts.NAME_MAX_LENGTH))])
    email = _email_field()
    language = RadioField(_l("Language of our messages"), default="fr",
                          validators=[InputRequired(message=_l("Choose a language."))])
    password, confirm = _new_password_fields()
    consent = BooleanField(_l("I have read the privacy notice and agree that my information is used to "
                              "process my business's requests."),
                           validators=[DataRequired(message=_l("You must accept the privacy notice to create "
                                                               "an account."))])

    @property
    def account_email(self) -> str | None:
        return self.email.data


class BusinessFileForm(FlaskForm):
    neq = StringField(_l("Québec enterprise number (NEQ)"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter the NEQ (Québec enterprise number) of the business.")), Length(max=20)])
    name = StringField(_l("Business name"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter the name of the business.")),
        Length(max=160, message=_l("At most %(max)d characters.", max=160))])
    address = StringField(_l("Address of the business"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter the address of the business.")),
        Length(max=250, message=_l("At most %(max)d characters.", max=250))])
    region = SelectField(_l("Region"), coerce=_int_or_none, validate_choice=False,
                         validators=[InputRequired(message=_l("Choose the region of the business."))])
    employee_count = IntegerField(_l("Number of employees"), validators=[
        Optional(), NumberRange(min=1, max=1_000_000, message=_l("A whole number of employees, 1 or more."))])
    job_title = StringField(_l("Your job title (optional)"), filters=[_strip], validators=[
        Optional(), Length(max=120, message=_l("At most %(max)d characters.", max=120))])

    def validate_region(self, field):
        if field.data not in {value for value, _label in field.choices if value}:
            raise ValidationError(_("Choose the region of the business."))


class TrainingRequestForm(FlaskForm):
    employees_count = IntegerField(_l("Number of employees to train"), validators=[
        InputRequired(message=_l("Enter the number of employees to train.")),
        NumberRange(min=1, max=10_000, message=_l("A whole number of employees, 1 or more."))])
    site_address = StringField(_l("Address where the training is given"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter the address where the training is given.")),
        Length(max=250, message=_l("At most %(max)d characters.", max=250))])
    region = SelectField(_l("Region of that address"), coerce=_int_or_none, validate_choice=False,
                         validators=[InputRequired(message=_l("Choose the region of the training site."))])
    level_min = SelectField(_l("Lowest level of the employees"), coerce=int, choices=level_choices, default=1)
    level_max = SelectField(_l("Highest level of the employees"), coerce=int, choices=level_choices, default=4)
    format = SelectField(_l("Format"), default=CourseFormat.WORKPLACE.value,
                         choices=[(fmt.value, fmt.label) for fmt in CourseFormat])
    schedule_notes = TextAreaField(_l("Schedule wishes (days, times, shifts)"), filters=[_strip], validators=[
        Optional(), Length(max=2000, message=_l("At most %(max)d characters.", max=2000))])

    def validate_region(self, field):
        if field.data not in {value for value, _label in field.choices if value}:
            raise ValidationError(_("Choose the region of the training site."))


class InviteForm(FlaskForm):
    email = _email_field()
    language = RadioField(_l("Language of the invitation"), default="fr",
                          validators=[InputRequired(message=_l("Choose a language."))])


class ActionForm(FlaskForm):
    """A confirmed action: the CSRF token."""


class JoinForm(FlaskForm):
    share_progress = BooleanField(_l("I agree that the business sees my progress counted in its totals "
                                     "(never my name or my own results)."), default=False)


def private(response):
    """Nothing on these pages is for a shared cache."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def from_an_invitation(response):
    """A page whose URL carries an invitation token: not cached, the URL not sent to other sites."""
    response = private(response)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def show_refusal(form: FlaskForm, refusal: EnterpriseRefused) -> None:
    """Put a refusal beside its field, or at the top of the form."""
    db.session.rollback()
    field = getattr(form, refusal.field, None) if refusal.field else None
    if field is not None:
        field.errors = [*field.errors, refusal.message]
    else:
        flash(refusal.message, "danger")


# --- access -------------------------------------------------------------------------------------

def _to_login():
    back = request.full_path if request.method == "GET" else None
    return redirect(url_for("AuthDBView.login", next=back))


def speaks_for_a_business(view):
    """A logged-in representative (role EnterpriseRep, or a member of a business file); else 403."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return _to_login()
        if not (service.is_representative(current_user) or service.enterprises_of(db.session, current_user.id)):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def representative_required(view):
    """A page of one business: its representatives only. Another business's page answers 404 to a
    representative, every page 403 to an account that speaks for no business."""

    @wraps(view)
    def wrapper(*args, enterprise_id: int, **kwargs):
        if not current_user.is_authenticated:
            return _to_login()
        enterprise = service.enterprise_of(db.session, current_user.id, enterprise_id)
        if enterprise is None:
            abort(404 if service.enterprises_of(db.session, current_user.id) else 403)
        return view(*args, enterprise=enterprise, **kwargs)

    return wrapper


# --- the representative's pages -----------------------------------------------------------------

class MyEnterpriseView(BaseView):
    route_base = "/enterprise"
    default_view = "index"

    @expose("/register", methods=["GET", "POST"])
    def register(self):
        if current_user.is_authenticated:
            return redirect(url_for(".index"))
        form = RepresentativeSignUpForm()
        form.language.choices = language_choices()
        if not form.is_submitted():
            form.language.data = current_language()
        if form.validate_on_submit():
            language = Language(form.language.data)
            service.register_representative(db.session, service.RepresentativeSignUp(
                first_name=form.first_name.data, last_name=form.last_name.data, email=form.email.data,
                language=language, password=form.password.data), email_links())
            db.session.commit()
            session["locale"] = language.value
            return redirect(url_for("AccountSelfServiceView.registered"))
        return self.render_template("enterprise/register.html", form=form, title=_("Create a business account"),
                                    min_length=accounts.PASSWORD_MIN_LENGTH, max_length=accounts.PASSWORD_MAX_LENGTH)

    @expose("/")
    @speaks_for_a_business
    def index(self):
        enterprises = service.enterprises_of(db.session, current_user.id)
        if len(enterprises) == 1:
            return redirect(url_for(".enterprise", enterprise_id=enterprises[0].id))
        return private(self.render_template("enterprise/index.html", title=_("My business"),
                                            enterprises=enterprises))

    @expose("/new", methods=["GET", "POST"])
    @speaks_for_a_business
    def new(self):
        form = BusinessFileForm()
        form.region.choices = region_choices()
        if form.validate_on_submit():
            try:
                enterprise = service.create_enterprise(db.session, current_user, service.BusinessFile(
                    neq=form.neq.data, name=form.name.data, address=form.address.data, region_id=form.region.data,
                    employee_count=form.employee_count.data, job_title=form.job_title.data))
            except EnterpriseRefused as refusal:
                show_refusal(form, refusal)
            else:
                db.session.commit()
                flash(_("The business file of %(name)s is created.", name=enterprise.name), "success")
                return redirect(url_for(".enterprise", enterprise_id=enterprise.id))
        return private(self.render_template("enterprise/new.html", title=_("Create the business file"), form=form))

    @expose("/<int:enterprise_id>/")
    @representative_required
    def enterprise(self, enterprise):
        return private(self.render_template(
            "enterprise/dashboard.html", title=enterprise.name, enterprise=enterprise,
            requests=service.requests_of(db.session, enterprise.id),
            groups=service.workplace_groups(db.session, enterprise.id), Status=RequestStatus,
            action_form=ActionForm()))

    @expose("/<int:enterprise_id>/requests/new", methods=["GET", "POST"])
    @representative_required
    def new_request(self, enterprise):
        form = TrainingRequestForm()
        form.region.choices = region_choices()
        if not form.is_submitted():
            form.site_address.data = enterprise.address
            form.region.data = enterprise.region_id
        if form.validate_on_submit():
            try:
                created = service.submit_request(db.session, enterprise, current_user, service.RequestDraft(
                    employees_count=form.employees_count.data, site_address=form.site_address.data,
                    region_id=form.region.data, level_min=form.level_min.data, level_max=form.level_max.data,
                    schedule_notes=form.schedule_notes.data, format=CourseFormat(form.format.data)))
            except EnterpriseRefused as refusal:
                show_refusal(form, refusal)
            else:
                db.session.commit()
                flash(_("Your request no. %(number)s is submitted. An agent will assign it to a partner.",
                        number=created.id), "success")
                return redirect(url_for(".request_page", enterprise_id=enterprise.id, request_id=created.id))
        return private(self.render_template("enterprise/request_new.html", title=_("Request workplace training"),
                                            enterprise=enterprise, form=form))

    @expose("/<int:enterprise_id>/requests/<int:request_id>")
    @representative_required
    def request_page(self, enterprise, request_id: int):
        training_request = service.request_of(db.session, enterprise.id, request_id)
        if training_request is None:
            abort(404)
        return private(self.render_template(
            "enterprise/request.html", title=_("Request no. %(number)s", number=training_request.id),
            enterprise=enterprise, training_request=training_request, Status=RequestStatus,
            groups=service.workplace_groups(db.session, enterprise.id), action_form=ActionForm()))

    @expose("/<int:enterprise_id>/requests/<int:request_id>/cancel", methods=["POST"])
    @representative_required
    def cancel_request(self, enterprise, request_id: int):
        training_request = service.request_of(db.session, enterprise.id, request_id)
        if training_request is None:
            abort(404)
        if not ActionForm().validate_on_submit():
            abort(400)
        try:
            service.cancel_request(db.session, training_request)
        except EnterpriseRefused as refusal:
            db.session.rollback()
            flash(refusal.message, "danger")
        else:
            db.session.commit()
            flash(_("Request no. %(number)s is cancelled.", number=training_request.id), "success")
        return redirect(url_for(".request_page", enterprise_id=enterprise.id, request_id=request_id))

    @expose("/<int:enterprise_id>/employees", methods=["GET", "POST"])
    @representative_required
    def employees(self, enterprise):
        form = InviteForm()
        form.language.choices = language_choices()
        if not form.is_submitted():
            form.language.data = current_language()
        if form.validate_on_submit():
            service.invite_employee(
                db.session, enterprise, form.email.data, Language(form.language.data),
                link_template=external_url("MyEmployerView.join", token=accounts.TOKEN_PLACEHOLDER),
                register_link=external_url("AccountSelfServiceView.register"))
            db.session.commit()
            flash(_("The invitation is sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for(".employees", enterprise_id=enterprise.id))
        return private(self.render_template(
            "enterprise/employees.html", title=_("Invite employees"), enterprise=enterprise, form=form,
            days=service.INVITATION_DAYS, minimum=service.MIN_GROUP, action_form=ActionForm(),
            pending=service.pending_employees(db.session, enterprise.id)))

    @expose("/<int:enterprise_id>/employees/<int:learner_id>/decision", methods=["POST"])
    @representative_required
    def decide_employee(self, enterprise, learner_id: int):
        """Confirm or refuse that a learner who named the business works there."""
        decision = request.form.get("decision")
        if not ActionForm().validate_on_submit() or decision not in ("confirm", "refuse"):
            abort(400)
        try:
            learner = service.decide_employee(db.session, enterprise, learner_id, confirm=decision == "confirm")
        except EnterpriseRefused as refusal:
            db.session.rollback()
            flash(refusal.message, "danger")
        else:
            db.session.commit()
            if decision == "confirm":
                flash(_("%(person)s is confirmed as an employee of %(name)s.", person=learner.full_name,
                        name=enterprise.name), "success")
            else:
                flash(_("%(person)s is not linked to %(name)s.", person=learner.full_name, name=enterprise.name),
                      "success")
        return redirect(url_for(".employees", enterprise_id=enterprise.id) + "#pending")

    @expose("/<int:enterprise_id>/progress")
    @representative_required
    def progress(self, enterprise):
        return private(self.render_template(
            "enterprise/progress.html", title=_("Progress of our employees"), enterprise=enterprise,
            progress=service.aggregate_progress(db.session, enterprise.id), minimum=service.MIN_GROUP,
            number=format_decimal))


# --- the employee's side ------------------------------------------------------------------------

class MyEmployerView(BaseView):
    route_base = "/my/employer"
    default_view = "index"

    @expose("/")
    @learner_required
    def index(self, learner):
        return private(self.render_template("enterprise/employer.html", title=_("My employer"), learner=learner,
                                            enterprise=learner.enterprise, action_form=ActionForm(),
                                            minimum=service.MIN_GROUP))

    @expose("/join/<token>", methods=["GET", "POST"])
    @learner_required
    def join(self, learner, token: str):
        try:
            enterprise = service.read_invitation(db.session, token, learner)
        except EnterpriseRefused as refusal:
            status = {"invitation_expired": 410, "invitation_other_address": 403}.get(refusal.code, 404)
            return from_an_invitation((self.render_template("enterprise/invitation_problem.html", title=_("Invitation"),
                                                 message=refusal.message), status))
        form = JoinForm()
        if form.validate_on_submit():
            service.accept_invitation(db.session, learner, enterprise, form.share_progress.data)
            db.session.commit()
            if form.share_progress.data:
                flash(_("Your file is linked to %(name)s, and your progress is counted in its totals.",
                        name=enterprise.name), "success")
            else:
                flash(_("Your file is linked to %(name)s; your progress is not shared.", name=enterprise.name),
                      "success")
            return redirect(url_for(".index"))
        return from_an_invitation(self.render_template("enterprise/join.html", title=_("Invitation from %(name)s",
                                                                            name=enterprise.name),
                                            enterprise=enterprise, learner=learner, form=form,
                                            minimum=service.MIN_GROUP))

    @expose("/consent", methods=["POST"])
    @learner_required
    def consent(self, learner):
        if not ActionForm().validate_on_submit():
            abort(400)
        give = request.form.get("consent") == "1"
        try:
            service.set_progress_consent(db.session, learner, give)
        except EnterpriseRefused as refusal:
            db.session.rollback()
            flash(refusal.message, "danger")
            return redirect(url_for(".index"))
        db.session.commit()
        flash(_("Your progress is now counted in your employer's totals.") if give else
              _("Your consent is withdrawn: your progress is no longer counted in your employer's totals."),
              "success")
        return redirect(url_for(".index"))

    @expose("/leave", methods=["POST"])
    @learner_required
    def leave(self, learner):
        if not ActionForm().validate_on_submit():
            abort(400)
        try:
            service.leave_enterprise(db.session, learner)
        except EnterpriseRefused as refusal:
            db.session.rollback()
            flash(refusal.message, "danger")
            return redirect(url_for(".index"))
        db.session.commit()
        flash(_("Your file is no longer linked to a business."), "success")
        return redirect(url_for(".index"))


def register(appbuilder) -> None:
    """The representative's pages under /enterprise/, the employee's link with a business under /my/employer/."""
    appbuilder.add_view_no_menu(MyEnterpriseView())
    appbuilder.add_view_no_menu(MyEmployerView())
