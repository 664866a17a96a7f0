"""My file: the logged-in learner's training record, results, financial record and applications.

Read-only pages of one's own file: the learner comes from the session (``learner_required``),
never from the URL, so no typed address can open another learner's record. Money is shown in
Canadian dollars and dates in the page's language; personal pages are never cached.
"""
from __future__ import annotations

from babel.numbers import format_currency
from flask import abort, current_app, make_response, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import format_decimal, gettext as _, lazy_gettext as _l

from ...extensions import db
from ...models import Learner
from ...models.base import current_language
from ...models.reference import stage_of
from ...services import learner_file as service
from ...services.enrolment import DROP_REASONS
from .catalogue import STAGE_LABELS
from .enrolments import offer_deadline as date_and_time
from .access import learner_required

PER_PAGE = 20

# The parts of the file, in the order of the in-page navigation: (endpoint, label).
SECTIONS = (
    ("MyFileView.index", _l("Overview")),
    ("MyFileView.training", _l("Training record")),
    ("MyFileView.results", _l("Exam results")),
    ("MyFileView.finance", _l("Financial record")),
    ("MyFileView.applications", _l("Applications")),
    ("MyFileView.messages", _l("Messages")),
)

# A message's delivery, in the learner's words.
DELIVERY_LABELS = {
    "queued": _l("Being sent"),
    "sent": _l("Sent by e-mail"),
    "outbox": _l("Kept here (not sent by e-mail)"),
    "failed": _l("Not delivered yet: we will try again"),
}

# Why an enrolment ended, for the codes the application itself writes; other reasons are shown as written.
REASON_LABELS = {code: label for code, label in DROP_REASONS if code} | {
    "swap": _l("Moved to another section of the course"),
    "offer expired": _l("The seat offer expired"),
}


def money(amount) -> str:
    """An amount in Canadian dollars for the page's language: 230,00 $ in French, $230.00 in English."""
    return format_currency(amount, "CAD", locale=f"{current_language()}_CA")


def hours(value) -> str:
    """A number of hours without useless decimals (7.5, 30; 7,5 in French)."""
    return format_decimal(value, "#,##0.##")


def dropout_reason(reason: str | None) -> str | None:
    if not reason:
        return None
    return str(REASON_LABELS.get(reason, reason))


def stage_label(level: int) -> str:
    return str(STAGE_LABELS[stage_of(level)])


def progression_summary(progress: service.SkillProgress) -> str:
    """"Oral comprehension: from level 3 to level 5" ("level 5" when the level has not changed yet)."""
    first, latest = progress.first, progress.latest
    if first is None:
        return _("%(skill)s: no level reached yet", skill=progress.skill.label)
    if first.level == latest.level:
        return _("%(skill)s: level %(level)s", skill=progress.skill.label, level=latest.level)
    return _("%(skill)s: from level %(first)s to level %(latest)s",
             skill=progress.skill.label, first=first.level, latest=latest.level)


def private(response):
    """Personal content: never kept by a browser or a shared cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def page_argument(name: str = "page") -> int:
    """A page number from the query string (1 when absent; 404 for nonsense)."""
    value = request.args.get(name, 1, type=int)
    if value < 1:
        abort(404)
    return value


class MyFileView(BaseView):
    """The learner's own file, in five parts; there is no learner id in any URL."""

    route_base = "/my/file"
    default_view = "index"

    def _render(self, template: str, learner: Learner, title: str, **context):
        documents = "MyDocumentsView.index" in current_app.view_functions
        return private(make_response(self.render_template(
            template, title=title, learner=learner, sections=SECTIONS, money=money, hours=hours,
            stage_label=stage_label, date_and_time=date_and_time, dropout_reason=dropout_reason,
            progression_summary=progression_summary,
            documents_url=url_for("MyDocumentsView.index") if documents else None, **context)))

    @expose("/")
    @learner_required
    def index(self, learner):
        return self._render(
            "learner/record.html", learner, _("My file"),
            training=service.training_totals(db.session, learner),
            results=service.results(db.session, learner),
            totals=service.yearly_totals(db.session, learner),
            latest_application=next(iter(service.application_history(db.session, learner)), None))

    @expose("/training")
    @learner_required
    def training(self, learner):
        record = service.training_record(db.session, learner, page_argument(), PER_PAGE)
        if record.page > record.pages:
            abort(404)
        return self._render("learner/record_training.html", learner, _("My training record"), record=record)

    @expose("/results")
    @learner_required
    def results(self, learner):
        return self._render("learner/record_results.html", learner, _("My exam results"),
                            results=service.results(db.session, learner))

    @expose("/finance")
    @learner_required
    def finance(self, learner):
        year = request.args.get("year", type=int)
        record = service.financial_record(db.session, learner, year=year, page=page_argument(), per_page=PER_PAGE,
                                          payments_page=page_argument("payments_page"))
        if record.allowances.page > record.allowances.pages or record.payments.page > record.payments.pages:
            abort(404)
        return self._render("learner/record_finance.html", learner, _("My financial record"), record=record,
                            is_adjustment=service.is_adjustment)

    @expose("/applications")
    @learner_required
    def applications(self, learner):
        return self._render("learner/record_applications.html", learner, _("My applications"),
                            applications=service.application_history(db.session, learner))

    @expose("/messages")
    @learner_required
    def messages(self, learner):
        record = service.messages(db.session, learner, page_argument(), PER_PAGE)
        if record.page > record.pages:
            abort(404)
        return self._render("learner/record_messages.html", learner, _("My messages"), record=record,
                            delivery=lambda message: str(DELIVERY_LABELS[message.status.value]))


def register(appbuilder) -> None:
    appbuilder.add_view_no_menu(MyFileView())
