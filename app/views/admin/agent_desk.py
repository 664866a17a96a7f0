"""The case officer's desk: the work queue, an application's file with its actions, case notes.

``AgentDeskView`` (Agent, Admin): ``can_list`` the queue, ``can_show`` a file, ``can_edit`` the
actions. ``LearnerNotesView`` (Agent, PartnerStaff, Admin): case notes on a learner's file and
"my follow-ups due"; partner staff reach only the learners enrolled with their organisation —
another learner answers 404, as if it did not exist. The services decide
(``app.services.agent_desk``, ``app.services.case_notes``, ``app.services.intake``); a view parses,
commits once, flashes and redirects, or shows the page again with what was typed and the reason.
"""
from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import format_date, gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from ...extensions import db
from ...models import Application, ApplicationStatus, CourseFormat, Skill
from ...models.reference import LEVELS
from ...services import access_log, agent_desk as desk, case_notes
from ...services.applications import schedule_summary
from ...services.eligibility import age_today
from ...services.intake import TransitionRefused
from ...services.service_clock import STANDARD_WORKING_DAYS, clock_status

# --- forms --------------------------------------------------------------------------------------


def level_choices():
    return [SelectChoice("", _l("Choose a level")), *(SelectChoice(str(level), str(level)) for level in LEVELS)]


class QueueFilterForm(FlaskForm):
    """The queue's filters, read from the query string."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()], choices=[
        SelectChoice("", _l("Every status needing action")),
        *(SelectChoice(status.value, status.label) for status in desk.QUEUE_STATUSES)])
    region = SelectField(_l("Region"), validators=[Optional()], choices=[])
    format = SelectField(_l("Format wanted"), validators=[Optional()], choices=[
        SelectChoice("", _l("Every format")),
        *(SelectChoice(fmt.value, fmt.label) for fmt in CourseFormat)])
    waiting_since = DateField(_l("Waiting since, on or before"), validators=[Optional()])
    agent = SelectField(_l("Assigned agent"), validators=[Optional()], choices=[
        SelectChoice("", _l("Everyone's")),
        SelectChoice(desk.MINE, _l("Assigned to me")),
        SelectChoice(desk.UNASSIGNED, _l("Not assigned yet"))])

    def fill_regions(self, regions) -> None:
        self.region.choices = [SelectChoice("", _l("Every region")), *(
            SelectChoice(str(region.id), f"{region.code} — {region.name}") for region in regions)]

    def filters(self) -> desk.QueueFilters:
        """The filters as typed; a value the form refused filters nothing."""
        def kept(field, convert=lambda value: value):
            return convert(field.data) if field.data and not field.errors else None
        return desk.QueueFilters(status=kept(self.status, ApplicationStatus), region_id=kept(self.region, int),
                                 format=kept(self.format, CourseFormat), waiting_since=kept(self.waiting_since),
                                 agent=kept(self.agent))


class ActionForm(FlaskForm):
    """A confirmed action without fields: the CSRF token."""


SHARE_LABEL = _l("Send this note to the learner (otherwise it stays internal, for staff only)")


class ApproveForm(FlaskForm):
    note = TextAreaField(_l("Note (optional)"))
    share = BooleanField(SHARE_LABEL)


class RefuseForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the refusal (required; the learner receives it)"))


class DocumentsForm(FlaskForm):
    what = TextAreaField(_l("Documents needed (required; the learner receives this text)"))


class CompleteForm(FlaskForm):
    note = TextAreaField(_l("Note (optional)"))
    share = BooleanField(SHARE_LABEL)


class CloseForm(FlaskForm):
    note = TextAreaField(_l("Note (optional)"))
    share = BooleanField(SHARE_LABEL)


class PlacementForm(FlaskForm):
    oral_comprehension = SelectField(Skill.ORAL_COMPREHENSION.label, choices=level_choices, validate_choice=False)
    oral_production = SelectField(Skill.ORAL_PRODUCTION.label, choices=level_choices, validate_choice=False)
    written_comprehension = SelectField(Skill.WRITTEN_COMPREHENSION.label, choices=level_choices,
                                        validate_choice=False)
    written_production = SelectField(Skill.WRITTEN_PRODUCTION.label, choices=level_choices, validate_choice=False)
    assessed_on = DateField(_l("Date of the placement test"), validators=[Optional()])
    mark_complete = BooleanField(_l("The file is now complete: start the 50-day service clock"))


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Note"))
    follow_up_on = DateField(_l("Follow up on (optional)"), validators=[Optional()])


ACTION_FORMS = {
    "approve": (ApproveForm, "approve"),
    "refuse": (RefuseForm, "refuse"),
    "documents": (DocumentsForm, "documents"),
    "complete": (CompleteForm, "complete"),
    "close": (CloseForm, "close"),
    "placement": (PlacementForm, "placement"),
    "note": (NoteForm, "note"),
}


def new_forms(**given) -> dict:
    """Every form of the file page, fresh, except those ``given`` (shown again as typed)."""
    forms = {name: given.get(name) or form_class(prefix=prefix) for name, (form_class, prefix) in ACTION_FORMS.items()}
    forms["action"] = ActionForm()
    return forms


# --- helpers ------------------------------------------------------------------------------------

def private(response):
    """Personal content: never kept by a browser or a shared cache."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def safe_target(target: str | None, fallback: str) -> str:
    """A path on this site to go back to; anything else gives ``fallback``."""
    if (target and target.isprintable() and target.startswith("/") and not target.startswith("//")
            and "\\" not in target):
        return target
    return fallback


def csrf_failed(form: FlaskForm) -> bool:
    return "csrf_token" in form.errors


def staff_document_url():
    """A function giving a document's staff download URL, or None when no such route is installed."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule.startswith("/staff/documents/") and len(rule.arguments) == 1 and "GET" in rule.methods:
            (argument,) = rule.arguments
            return lambda document: url_for(rule.endpoint, **{argument: document.id})
    return None


def log_consultation(learner) -> None:
    """Law 25: write down that the current staff member opened this learner's file."""
    access_log.log_access(db.session, learner, current_user, access_log.LEARNER_FILE)
    db.session.commit()


# --- the desk -----------------------------------------------------------------------------------

class AgentDeskView(BaseView):
    """The work queue and an application's file."""

    route_base = "/agent/desk"
    default_view = "index"
    method_permission_name = {
        "index": "list", "application": "show",
        "assign": "edit", "reevaluate": "edit", "approve": "edit", "refuse": "edit", "documents": "edit",
        "complete": "edit", "close": "edit", "placement": "edit", "add_note": "edit",
    }

    # the queue ----------------------------------------------------------------------------------

    @expose("/")
    @has_access
    def index(self):
        form = QueueFilterForm(request.args)
        form.fill_regions(desk.queue_regions(db.session))
        form.validate()
        page = max(request.args.get("page", 1, type=int), 1)
        result = desk.queue(db.session, form.filters(), agent_id=current_user.id, page=page)
        if page > result.pages:
            abort(404)
        kept = {key: value for key, value in request.args.items() if key != "page" and value}
        notes_allowed = self.appbuilder.sm.has_access("can_list", LearnerNotesView.__name__)
        due = case_notes.count_due(db.session, current_user) if notes_allowed else 0
        return private(self.render_template(
            "agent/queue.html", title=_("Work queue"), form=form, result=result, kept=kept, due=due,
            standard=STANDARD_WORKING_DAYS, action_form=ActionForm()))

    @expose("/<int:application_id>/assign", methods=["POST"])
    @has_access
    def assign(self, application_id: int):
        application = self._application(application_id)
        back = safe_target(request.form.get("next"), url_for(".application", application_id=application.id))
        if not ActionForm().validate_on_submit():
            abort(400)
        try:
            desk.assign(db.session, application, current_user.id)
            db.session.commit()
        except desk.DeskRefused as refusal:
            db.session.rollback()
            flash(refusal.message, "danger")
            return redirect(back)
        flash(_("Application %(number)s is assigned to you.", number=application.id), "success")
        return redirect(back)

    # the file -----------------------------------------------------------------------------------

    def _application(self, application_id: int) -> Application:
        application = desk.application_file(db.session, application_id)
        if application is None:
            abort(404)
        return application

    def _file_page(self, application: Application, *, refusal: str | None = None, failed: str | None = None,
                   forms: dict | None = None, status: int = 200):
        learner = application.learner

        def invalid(name: str) -> dict:
            """Attributes tying the fields of the refused form to its message."""
            if failed == name and refusal:
                return {"aria-describedby": f"{name}-error", "aria-invalid": "true"}
            return {}

        return private((self.render_template(
            "agent/file.html", title=_("Application %(number)s", number=application.id), application=application,
            learner=learner, age=age_today(learner.birth_date), clock_days=desk.waiting_days(application),
            standard=STANDARD_WORKING_DAYS, rules=desk.eligibility_results(application), rule_labels=desk.RULE_LABELS,
            evaluated_at=desk.evaluated_at(application), invalid=invalid,
            placements=desk.placements_of(db.session, application),
            allowed=desk.allowed_actions(application), Status=ApplicationStatus, skills=list(Skill),
            may_decide=desk.may_decide(db.session, application, current_user.id),
            schedule=schedule_summary(db.session, application.schedule_preferences),
            notes=case_notes.notes_for(db.session, current_user, learner),
            document_url=staff_document_url(), refusal=refusal, failed=failed,
            forms=forms or new_forms(), clock_status=_clock_status), status))

    @expose("/<int:application_id>")
    @has_access
    def application(self, application_id: int):
        application = self._application(application_id)
        log_consultation(application.learner)
        return self._file_page(application)

    def _act(self, application_id: int, name: str, act):
        """Run one action of the file page: the form's CSRF token, then the service, then commit."""
        application = self._application(application_id)
        form_class, prefix = ACTION_FORMS[name]
        form = form_class(prefix=prefix)
        if not form.validate_on_submit():
            if csrf_failed(form):
                abort(400)
            db.session.rollback()
            return self._file_page(application, failed=name, forms=new_forms(**{name: form}),
                                   refusal=_("Check the form: %(problems)s", problems=_form_problems(form)))
        try:
            done = act(application, form)
            db.session.commit()
        except (TransitionRefused, desk.DeskRefused, case_notes.NoteRefused) as refused:
            db.session.rollback()
            application = self._application(application_id)
            return self._file_page(application, refusal=refused.message, failed=name,
                                   forms=new_forms(**{name: form}))
        flash(done, "success")
        return redirect(url_for(".application", application_id=application_id))

    @expose("/<int:application_id>/approve", methods=["POST"])
    @has_access
    def approve(self, application_id: int):
        def act(application, form):
            desk.approve(db.session, application, actor_id=current_user.id, note=form.note.data,
                               internal=not form.share.data)
            return _("Application %(number)s is approved; the learner is told.", number=application.id)
        return self._act(application_id, "approve", act)

    @expose("/<int:application_id>/refuse", methods=["POST"])
    @has_access
    def refuse(self, application_id: int):
        def act(application, form):
            desk.refuse(db.session, application, actor_id=current_user.id, reason=form.reason.data)
            return _("Application %(number)s is refused; the learner receives the reason.", number=application.id)
        return self._act(application_id, "refuse", act)

    @expose("/<int:application_id>/documents", methods=["POST"])
    @has_access
    def documents(self, application_id: int):
        def act(application, form):
            desk.request_documents(db.session, application, actor_id=current_user.id, what=form.what.data)
            return _("Documents are requested from the learner for application %(number)s.", number=application.id)
        return self._act(application_id, "documents", act)

    @expose("/<int:application_id>/complete", methods=["POST"])
    @has_access
    def complete(self, application_id: int):
        def act(application, form):
            desk.mark_complete(db.session, application, actor_id=current_user.id, note=form.note.data,
                                     internal=not form.share.data)
            return _("Application %(number)s is complete: the service clock runs.", number=application.id)
        return self._act(application_id, "complete", act)

    @expose("/<int:application_id>/close", methods=["POST"])
    @has_access
    def close(self, application_id: int):
        def act(application, form):
            desk.close(db.session, application, actor_id=current_user.id, note=form.note.data,
                             internal=not form.share.data)
            return _("Application %(number)s is closed.", number=application.id)
        return self._act(application_id, "close", act)

    @expose("/<int:application_id>/placement", methods=["POST"])
    @has_access
    def placement(self, application_id: int):
        def act(application, form):
            levels = {skill: getattr(form, skill.value).data for skill in Skill}
            result = desk.record_placement(
                db.session, application, levels, assessor_id=current_user.id,
                assessed_on=form.assessed_on.data, mark_complete_too=form.mark_complete.data)
            message = _("Placement recorded: overall level %(level)s; the learner is told.", level=result.overall)
            if result.completed:
                message += " " + _("The file is complete: the service clock runs.")
            return message
        return self._act(application_id, "placement", act)

    @expose("/<int:application_id>/eligibility", methods=["POST"])
    @has_access
    def reevaluate(self, application_id: int):
        def act(application, form):
            results = desk.reevaluate(db.session, application)
            failed = sum(1 for result in results if not result.passed)
            return ngettext("Eligibility evaluated again: %(num)s rule not met out of %(total)s.",
                            "Eligibility evaluated again: %(num)s rules not met out of %(total)s.",
                            failed, total=len(results))
        return self._act_plain(application_id, act)

    @expose("/<int:application_id>/notes", methods=["POST"])
    @has_access
    def add_note(self, application_id: int):
        def act(application, form):
            note = case_notes.add_note(db.session, current_user, application.learner, form.body.data,
                                       form.follow_up_on.data)
            return _note_saved(note)
        return self._act(application_id, "note", act)

    def _act_plain(self, application_id: int, act):
        application = self._application(application_id)
        if not ActionForm().validate_on_submit():
            abort(400)
        message = act(application, None)
        db.session.commit()
        flash(message, "success")
        return redirect(url_for(".application", application_id=application_id))


def _clock_status(days: int | None):
    return clock_status(days) if days is not None else None


def _form_problems(form: FlaskForm) -> str:
    return " ".join(f"{form[name].label.text}: {' '.join(map(str, errors))}" for name, errors in form.errors.items()
                    if name in form._fields)


def _note_saved(note) -> str:
    if note.follow_up_on:
        return _("Note saved; follow-up on %(day)s.", day=format_date(note.follow_up_on, "long"))
    return _("Note saved.")


# --- case notes ---------------------------------------------------------------------------------

class LearnerNotesView(BaseView):
    """Case notes on a learner's file and the author's follow-ups due."""

    route_base = "/agent/notes"
    default_view = "followups"
    method_permission_name = {"followups": "list", "find": "list", "learner": "show", "add": "add",
                              "done": "edit"}

    def _learner(self, learner_id: int):
        learner = case_notes.learner_for(db.session, current_user, learner_id)
        if learner is None:
            abort(404)
        return learner

    def _notes_page(self, learner, form: NoteForm | None = None, refusal: str | None = None):
        return private(self.render_template(
            "agent/notes.html", title=_("Case notes: %(name)s", name=learner.full_name), learner=learner,
            notes=case_notes.notes_for(db.session, current_user, learner), form=form or NoteForm(prefix="note"),
            refusal=refusal))

    @expose("/learner/<int:learner_id>")
    @has_access
    def learner(self, learner_id: int):
        learner = self._learner(learner_id)
        log_consultation(learner)
        return self._notes_page(learner)

    @expose("/learner/<int:learner_id>", methods=["POST"])
    @has_access
    def add(self, learner_id: int):
        learner = self._learner(learner_id)
        form = NoteForm(prefix="note")
        if not form.validate_on_submit():
            if csrf_failed(form):
                abort(400)
            return self._notes_page(learner, form, _("Check the form: %(problems)s", problems=_form_problems(form)))
        try:
            note = case_notes.add_note(db.session, current_user, learner, form.body.data, form.follow_up_on.data)
            db.session.commit()
        except case_notes.NoteRefused as refused:
            db.session.rollback()
            return self._notes_page(self._learner(learner_id), form, refused.message)
        flash(_note_saved(note), "success")
        return redirect(url_for(".learner", learner_id=learner_id))

    @expose("/follow-ups")
    @has_access
    def followups(self):
        page = max(request.args.get("page", 1, type=int), 1)
        due = case_notes.follow_ups_due(db.session, current_user, page=page)
        if page > due.pages:
            abort(404)
        upcoming, upcoming_total = case_notes.follow_ups_upcoming(db.session, current_user)
        return private(self.render_template("agent/followups.html", title=_("My follow-ups due"), due=due,
                                            upcoming=upcoming, upcoming_total=upcoming_total,
                                            action_form=ActionForm(), file_number=""))

    @expose("/find")
    @has_access
    def find(self):
        number = request.args.get("file_number", "")
        learner = case_notes.find_learner(db.session, current_user, number)
        if learner is None:
            flash(_("No learner you follow has the file number “%(number)s”.", number=number.strip()), "warning")
            return redirect(url_for(".followups"))
        return redirect(url_for(".learner", learner_id=learner.id))

    @expose("/<int:note_id>/done", methods=["POST"])
    @has_access
    def done(self, note_id: int):
        if not ActionForm().validate_on_submit():
            abort(400)
        note = case_notes.mark_done(db.session, current_user, note_id)
        if note is None:
            abort(404)
        db.session.commit()
        flash(_("Follow-up marked done: %(name)s.", name=note.learner.full_name), "success")
        return redirect(safe_target(request.form.get("next"), url_for(".followups")))


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(AgentDeskView, "Work queue", label=_l("Work queue"), icon="fa-tasks",
                        category="Intake", category_label=_l("Intake"), category_icon="fa-inbox")
    # In "Records", beside "My groups": the one menu both agents and partner staff have.
    appbuilder.add_view(LearnerNotesView, "My follow-ups", label=_l("My follow-ups"), icon="fa-bell-o",
                        category="Records", category_label=_l("Records"), category_icon="fa-graduation-cap")
