"""My application (demande d'admission): a four-step form, documents, submission and withdrawal.

Each step is a page of its own and works without JavaScript. "Save as draft" keeps whatever is
answered, even incomplete; "Save and continue" needs the step's answers. On a mistake the page
comes back with what was typed and a message beside each field, and nothing is saved. The
status of the file and its history are on /my/application/. Every document is looked up together
with the logged-in learner's id, so another learner's document id gives 404.
"""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, make_response, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField, DateField, IntegerField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField,
    SubmitField, TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ...extensions import db
from ...models.base import localized
from ...models import (
    Application, ApplicationStatus, ClientCategory, CourseFormat, DocumentType, ImmigrationStatus, IncomeSupport,
    Learner, Region,
)
from ...services import applications as service
from ...services.applications import ApplicationRefused
from ...services.document_store import DocumentStore, UploadRefused, human_size
from ..errors import render_error
from .access import current_learner, learner_required

LAST_STEP = len(service.STEPS)

FORMAT_HINTS = {
    CourseFormat.FULL_TIME: _l("25 to 30 hours a week, Monday to Friday, usually 10-week courses."),
    CourseFormat.PART_TIME: _l("4 to 12 hours a week, during the day, in the evening or at the weekend."),
    CourseFormat.ONLINE: _l("Levels 5 to 8, with or without a tutor; open to people still living abroad."),
    CourseFormat.WORKPLACE: _l("At your workplace, arranged with your employer (business employees)."),
}


# --- fields and validators -----------------------------------------------------------------------

def optional_int(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def optional_str(value):
    return value if value not in (None, "") else None


def blank(value) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


class Needed:
    """Required to continue or submit, but not to save a draft (a draft may be incomplete)."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not blank(field.data):
            return
        if field.process_errors or getattr(form, "saving_draft", False):
            raise StopValidation()  # a typing mistake keeps its own message; a draft may leave it empty
        raise StopValidation(self.message)


class DayField(DateField):
    """A date typed as year-month-day (a date picker where the browser has one)."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = dt.date.fromisoformat(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError(_("Write the date as year-month-day, for example 1990-05-31.")) from None
        else:
            self.data = None


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StepForm(FlaskForm):
    """A step of the application, with its two ways out."""

    draft = SubmitField(_l("Save as draft"))
    proceed = SubmitField(_l("Save and continue"))

    @property
    def saving_draft(self) -> bool:
        return bool(self.draft.data)


class AboutYouForm(StepForm):
    category = RadioField(_l("Which describes you best?"), coerce=optional_int, validate_choice=False,
                          validators=[Needed(_l("Choose the situation that fits you best."))])
    neq = StringField(_l("Québec enterprise number (NEQ) of your employer"), validators=[Length(max=20)])
    birth_date = DayField(_l("Date of birth"), validators=[Needed(_l("Enter your date of birth."))])
    region = SelectField(_l("Region where you live"), coerce=optional_int)
    living_abroad = BooleanField(_l("I live outside Québec for now"))

    @property
    def chosen_category(self) -> ClientCategory | None:
        return db.session.get(ClientCategory, self.category.data) if self.category.data else None

    def validate_category(self, field):
        if field.data is not None and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_("Choose the situation that fits you best."))

    def validate_birth_date(self, field):
        refusal = service.birth_date_refusal(field.data) if field.data is not None else None
        if refusal:
            raise ValidationError(refusal.message)

    def validate_region(self, field):
        if field.data is not None and self.living_abroad.data:
            raise ValidationError(_("Choose a region or tick “I live outside Québec”, not both."))
        category = self.chosen_category
        if field.data is None and not self.saving_draft \
                and not service.lives_abroad(category, bool(self.living_abroad.data)):
            raise ValidationError(service.missing_message("region"))

    def validate_neq(self, field):
        neq = service.normalise_neq(field.data)
        category = self.chosen_category
        if not neq:
            if service.needs_enterprise(category) and not self.saving_draft:
                raise ValidationError(service.missing_message("enterprise"))
            return
        refusal = service.neq_refusal(db.session, neq)
        if refusal:
            raise ValidationError(refusal.message)


class SituationForm(StepForm):
    immigration_status = SelectField(_l("Immigration status"), coerce=optional_int)
    arrival_date = DayField(_l("Date you arrived in Québec"))
    income_support = SelectField(_l("Income support"), coerce=optional_int)
    children_in_care = IntegerField(
        _l("Number of your children in childcare while you take your courses"), default=0,
        validators=[Optional(), NumberRange(min=0, max=service.MAX_CHILDREN,
                                            message=_l("Enter a number from 0 to %(max)s.", max=service.MAX_CHILDREN))])

    def __init__(self, *args, learner: Learner, **kwargs):
        super().__init__(*args, **kwargs)
        self.learner = learner

    def validate_immigration_status(self, field):
        if field.data is None and not self.saving_draft and service.needs_immigration_status(self.learner.category):
            raise ValidationError(service.missing_message("immigration_status"))

    def validate_arrival_date(self, field):
        if field.process_errors:
            return
        if field.data is None:
            if not self.saving_draft and service.needs_immigration_status(self.learner.category):
                raise ValidationError(service.missing_message("arrival_date"))
            return
        refusal = service.arrival_date_refusal(field.data, self.learner.birth_date)
        if refusal:
            raise ValidationError(refusal.message)


class CourseForm(StepForm):
    format = RadioField(_l("Format of course"), coerce=optional_str, validate_choice=False,
                        choices=[SelectChoice(fmt.value, fmt.label) for fmt in CourseFormat],
                        validators=[Needed(service.MISSING["format"])])
    weekdays = CheckboxesField(_l("Days that suit you"), coerce=int,
                               choices=[(day, label) for day, label in service.WEEKDAYS.items()])
    periods = CheckboxesField(_l("Times of day that suit you"),
                              choices=[(period, service.PERIODS[period]) for period in service.CHOSEN_PERIODS])
    region = SelectField(_l("Region where you want to take your courses"), coerce=optional_int)
    site = SelectField(_l("Preferred place of study"), coerce=optional_int)

    def __init__(self, *args, learner: Learner, **kwargs):
        super().__init__(*args, **kwargs)
        self.learner = learner

    @property
    def chosen_format(self) -> CourseFormat | None:
        try:
            return CourseFormat(self.format.data)
        except ValueError:
            return None

    def validate_format(self, field):
        if field.data is None:
            return
        chosen = self.chosen_format
        if chosen is None:
            raise ValidationError(service.missing_message("format"))
        learner = self.learner
        problem = service.format_problem(chosen, abroad=service.lives_abroad(learner.category, learner.living_abroad),
                                         has_enterprise=service.names_an_employer(learner))
        if problem:
            raise ValidationError(service.missing_message(problem))


class ReviewForm(FlaskForm):
    consent_truthful = BooleanField(_l("I declare that the information I give is true and complete, and I will tell "
                                       "Francisation Québec if it changes."))
    consent_privacy = BooleanField(_l("I have read the privacy notice and agree that my information is used to "
                                      "process my application."))
    draft = SubmitField(_l("Save as draft"))
    send = SubmitField(_l("Send my application"))

    def validate_consent_truthful(self, field):
        if self.send.data and not field.data:
            raise ValidationError(_("You must confirm that your information is true to send your application."))

    def validate_consent_privacy(self, field):
        if self.send.data and not field.data:
            raise ValidationError(_("You must accept the privacy notice to send your application."))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why are you withdrawing your application? (optional)"),
                           validators=[Optional(), Length(max=1000, message=_l("At most %(max)d characters.",
                                                                               max=1000))])
    confirm = SubmitField(_l("Withdraw my application"))


class ActionForm(FlaskForm):
    """A confirmed action without fields (start, send back, delete a document): only the CSRF token."""


class UploadForm(FlaskForm):
    type = SelectField(_l("Type of document"), choices=[(kind.value, kind.label) for kind in DocumentType])
    file = FileField(_l("File (PDF, JPEG or PNG)"))
    upload = SubmitField(_l("Send the file"))


# --- choices and answers -------------------------------------------------------------------------

def reference_choices(model, empty_label) -> list[SelectChoice]:
    rows = service.reference_rows(db.session, model)
    return [SelectChoice("", empty_label)] + [SelectChoice(row.id, row.name) for row in rows]


def site_choices() -> list[SelectChoice]:
    sites = service.sites_to_choose(db.session)
    return [SelectChoice("", _l("No preference"))] + [SelectChoice(site.id, str(site)) for site in sites]


def about_you_form(learner: Learner) -> AboutYouForm:
    prefill = None if request.method == "POST" else {
        "category": learner.category_id, "birth_date": learner.birth_date, "region": learner.region_id,
        "living_abroad": learner.living_abroad, "neq": service.named_employer_neq(learner)}
    form = AboutYouForm(data=prefill)
    categories = service.client_categories(db.session)
    form.category.choices = [SelectChoice(category.id, category.name) for category in categories]
    form.category_hints = {category.id: localized(category.description_fr, category.description_en)
                           for category in categories}
    form.region.choices = reference_choices(Region, _l("Choose a region"))
    return form


def about_you_answers(form: AboutYouForm) -> service.AboutYou:
    return service.about_you_answers(
        db.session, category_id=form.category.data, birth_date=form.birth_date.data, region_id=form.region.data,
        living_abroad=bool(form.living_abroad.data), neq=form.neq.data)


def situation_form(learner: Learner) -> SituationForm:
    prefill = None if request.method == "POST" else {
        "immigration_status": learner.status_id, "arrival_date": learner.arrival_date,
        "income_support": learner.income_support_id, "children_in_care": learner.children_in_care}
    form = SituationForm(data=prefill, learner=learner)
    form.immigration_status.choices = reference_choices(ImmigrationStatus, _l("Choose your status"))
    form.income_support.choices = reference_choices(IncomeSupport, _l("I receive none of these benefits"))
    return form


def situation_answers(form: SituationForm) -> service.Situation:
    return service.situation_answers(
        db.session, form.learner, status_id=form.immigration_status.data, arrival_date=form.arrival_date.data,
        income_support_id=form.income_support.data, children_in_care=form.children_in_care.data)


def course_form(application: Application) -> CourseForm:
    prefill = None if request.method == "POST" else service.course_answers_given(application)
    form = CourseForm(data=prefill, learner=application.learner)
    form.region.choices = reference_choices(Region, _l("No preference"))
    form.site.choices = site_choices()
    return form


def course_answers(form: CourseForm) -> service.CourseWanted:
    return service.course_answers(db.session, format=form.chosen_format, weekdays=form.weekdays.data,
                                  periods=form.periods.data, region_id=form.region.data, site_id=form.site.data)


STEP_FORMS = {
    1: (lambda application: about_you_form(application.learner), about_you_answers, service.save_about_you),
    2: (lambda application: situation_form(application.learner), situation_answers, service.save_situation),
    3: (course_form, course_answers, service.save_course),
}


def answers_context(application: Application) -> dict:
    """What the summary of the answers and documents needs."""
    return dict(documents=service.documents_of(db.session, application), missing_message=service.missing_message,
                site=service.preferred_site(db.session, application), weekdays=service.WEEKDAYS,
                periods=service.PERIODS, format_chosen=service.format_chosen(application))


def private(response):
    """Personal content: never kept by a browser or a shared cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def document_response(store: DocumentStore, document):
    """The stored file as an attachment under its (cleaned) original name; never shown inline."""
    path = store.path_for(document.storage_key)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=document.content_type, as_attachment=True,
                         download_name=document.original_name, conditional=False, etag=False, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def privacy_notice_url() -> str | None:
    endpoint = "AccountSelfServiceView.privacy"
    return url_for(endpoint) if endpoint in current_app.view_functions else None


# --- the pages ----------------------------------------------------------------------------------

class MyApplicationView(BaseView):
    """The logged-in learner's application; no learner id in any URL."""

    route_base = "/my/application"
    default_view = "index"

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint=endpoint, static_folder=static_folder)
        # A body over MAX_CONTENT_LENGTH is refused before any view runs: say so on the documents page.
        blueprint.register_error_handler(413, self._request_too_large)
        return blueprint

    def _render(self, template: str, status: int = 200, **context):
        context.setdefault("steps", service.STEPS)
        context.setdefault("human_size", human_size)
        return private(make_response(self.render_template(template, **context), status))

    def _store(self) -> DocumentStore:
        return DocumentStore.from_app(current_app)

    def _open(self, learner: Learner) -> Application:
        application = service.open_application(db.session, learner)
        if application is None:
            flash(_("You have no application in progress. Start one here."), "info")
            abort(make_response(redirect(url_for(".index"))))
        return application

    def _refused(self, error: ApplicationRefused, target: str):
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(target)

    @expose("/")
    @learner_required
    def index(self, learner):
        application = service.latest_application(db.session, learner)
        context = {}
        if application is not None:
            missing = service.missing_answers(application) if application.status == ApplicationStatus.DRAFT else {}
            context = dict(answers_context(application), events=service.timeline(db.session, application),
                           missing=missing, can_withdraw=service.can_withdraw(application))
        return self._render("learner/apply.html", title=_("My application"), application=application,
                            learner=learner, is_open=application is not None and application.status in service.OPEN,
                            action_form=ActionForm(), Status=ApplicationStatus, **context)

    @expose("/start", methods=["POST"])
    @learner_required
    def start(self, learner):
        if not ActionForm().validate_on_submit():
            abort(400)
        try:
            service.start_application(db.session, learner, actor_id=current_user.id)
            db.session.commit()
        except ApplicationRefused as error:
            return self._refused(error, url_for(".index"))
        return redirect(url_for(".step", number=1))

    @expose("/step/<int:number>", methods=["GET", "POST"])
    @learner_required
    def step(self, number: int, learner):
        if number == LAST_STEP:
            return self.review(learner=learner)
        if number not in STEP_FORMS:
            abort(404)
        application = self._open(learner)
        if application.status != ApplicationStatus.DRAFT:
            return self._refused(ApplicationRefused("not_editable"), url_for(".index"))
        make_form, answers_of, save = STEP_FORMS[number]
        form = make_form(application)
        if form.validate_on_submit():
            save(db.session, application, answers_of(form))
            db.session.commit()
            if form.saving_draft:
                flash(_("Your draft is saved. You can come back to it at any time."), "success")
                return redirect(url_for(".index"))
            return redirect(url_for(".step", number=number + 1))
        return self._render(f"learner/apply_step{number}.html", title=service.STEPS[number], form=form,
                            number=number, application=application, learner=learner,
                            asks_status=service.asks_immigration_status(learner.category),
                            format_hints={fmt.value: FORMAT_HINTS[fmt] for fmt in CourseFormat})

    def review(self, learner):
        application = self._open(learner)
        if application.status != ApplicationStatus.DRAFT:
            return self._refused(ApplicationRefused("not_editable"), url_for(".index"))
        form = ReviewForm(data=None if request.method == "POST" else {
            "consent_truthful": application.consent_truthful, "consent_privacy": application.consent_privacy})
        problem = None
        if form.validate_on_submit():
            service.save_consents(db.session, application, truthful=form.consent_truthful.data,
                                  privacy=form.consent_privacy.data)
            if form.draft.data:
                db.session.commit()
                flash(_("Your draft is saved. You can come back to it at any time."), "success")
                return redirect(url_for(".index"))
            try:
                service.submit(db.session, application, actor_id=current_user.id)
                db.session.commit()
            except ApplicationRefused as error:
                db.session.commit()  # the consents just given are kept with the draft
                problem = error.message
            else:
                flash(_("Your application is sent. We have sent you a confirmation; follow its progress here."),
                      "success")
                return redirect(url_for(".index"))
        return self._render(
            "learner/apply_step4.html", title=service.STEPS[LAST_STEP], form=form, number=LAST_STEP,
            application=application, learner=learner, problem=problem, missing=service.missing_answers(application),
            privacy_url=privacy_notice_url(), **answers_context(application))

    @expose("/send", methods=["POST"])
    @learner_required
    def send_back(self, learner):
        """Send the application back once the documents asked for are added."""
        application = self._open(learner)
        if not ActionForm().validate_on_submit():
            abort(400)
        try:
            service.submit(db.session, application, actor_id=current_user.id)
            db.session.commit()
        except ApplicationRefused as error:
            return self._refused(error, url_for(".index"))
        flash(_("Your application is sent back with its documents. We will let you know what comes next."),
              "success")
        return redirect(url_for(".index"))

    @expose("/withdraw", methods=["GET", "POST"])
    @learner_required
    def withdraw(self, learner):
        application = self._open(learner)
        if not service.can_withdraw(application):
            return self._refused(ApplicationRefused("not_withdrawable", status=application.status.label),
                                 url_for(".index"))
        form = WithdrawForm()
        if form.validate_on_submit():
            service.withdraw(db.session, application, actor_id=current_user.id, reason=form.reason.data)
            db.session.commit()
            flash(_("Your application is withdrawn. You can start a new one whenever you wish."), "success")
            return redirect(url_for(".index"))
        return self._render("learner/apply_withdraw.html", title=_("Withdraw my application"), form=form,
                            application=application)

    # --- documents ---

    def _documents_page(self, application, form=None, error=None, status=200):
        # formdata=None: the page is also drawn when the request body itself was refused (413)
        return self._render(
            "learner/apply_documents.html", status, title=_("Documents of my application"), application=application,
            documents=service.documents_of(db.session, application), form=form or UploadForm(formdata=None),
            error=error, action_form=ActionForm(formdata=None), limit=self._store().limit_label,
            can_add=service.can_add_documents(application), can_remove=service.can_remove_documents(application))

    @expose("/documents", methods=["GET", "POST"])
    @learner_required
    def documents(self, learner):
        application = service.latest_application(db.session, learner)
        if application is None:
            flash(_("You have no application in progress. Start one here."), "info")
            return redirect(url_for(".index"))
        if request.method == "GET":
            return self._documents_page(application)
        form = UploadForm()
        if not form.validate_on_submit():
            abort(400)
        store = self._store()
        upload = form.file.data
        try:
            document = service.add_document(
                db.session, store, application, DocumentType(form.type.data), upload.stream if upload else None,
                upload.filename if upload else None, upload.mimetype if upload else None)
        except UploadRefused as error:
            db.session.rollback()
            return self._documents_page(application, form, error.message,
                                        413 if error.code == "too_large" else 400)
        except ApplicationRefused as error:
            return self._refused(error, url_for(".documents"))
        try:
            db.session.commit()
        except Exception:
            db.session.rollback()
            store.discard(document.storage_key)
            raise
        flash(_("The file “%(name)s” is saved with your application.", name=document.original_name), "success")
        return redirect(url_for(".documents"))

    def _request_too_large(self, error):
        learner = current_learner()
        application = service.latest_application(db.session, learner) if learner else None
        if application is None:
            return render_error(413)
        message = _("The file sent is larger than %(limit)s, the largest size accepted: nothing was saved.",
                    limit=self._store().limit_label)
        return self._documents_page(application, error=message, status=413)

    @expose("/documents/<int:document_id>")
    @learner_required
    def download(self, document_id: int, learner):
        document = service.own_document(db.session, learner, document_id) or abort(404)
        return document_response(self._store(), document)

    @expose("/documents/<int:document_id>/delete", methods=["POST"])
    @learner_required
    def delete_document(self, document_id: int, learner):
        document = service.own_document(db.session, learner, document_id) or abort(404)
        if not ActionForm().validate_on_submit():
            abort(400)
        name = document.original_name
        try:
            key = service.remove_document(db.session, document)
            db.session.commit()
        except ApplicationRefused as error:
            return self._refused(error, url_for(".documents"))
        self._store().discard(key)
        flash(_("The file “%(name)s” is deleted.", name=name), "success")
        return redirect(url_for(".documents"))


def register(appbuilder) -> None:
    appbuilder.add_view_no_menu(MyApplicationView())

