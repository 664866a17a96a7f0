"""My calendar: download the timetable as .ics, and a private subscription link that follows changes."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField

from ...extensions import db
from ...models.base import current_language
from ...models.catalogue import WEEKDAY_LABELS
from ...services import calendar as service
from ...services.public_links import public_url
from .access import learner_required

ICS_MIMETYPE = "text/calendar; charset=utf-8"
FILENAMES = {"fr": "horaire.ics", "en": "timetable.ics"}


class SubscriptionForm(FlaskForm):
    """Create the private link, or replace it by a new one."""

    submit = SubmitField(_l("Create my private subscription link"))


class RevokeForm(FlaskForm):
    """Revoke the link; the first post asks for confirmation, the second (confirmed) revokes."""

    confirmed = HiddenField(_l("Confirmed"))
    submit = SubmitField(_l("Revoke the link"))


def private(response):
    """Personal content: never kept by a browser or a shared cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def ics_response(body: bytes, filename: str | None = None):
    response = make_response(body)
    response.headers["Content-Type"] = ICS_MIMETYPE
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return private(response)


class MyCalendarView(BaseView):
    """The learner's own calendar page; there is no learner id in any URL."""

    route_base = "/my/calendar"
    default_view = "index"
    template = "learner/calendar.html"

    def _page(self, learner, new_link: str | None = None, status: int = 200):
        response = make_response(self.render_template(
            self.template, title=_("My calendar"), learner=learner,
            sections=service.calendar_sections(db.session, learner), weekdays=WEEKDAY_LABELS,
            has_subscription=learner.calendar_token_hash is not None, new_link=new_link,
            subscription_form=SubscriptionForm(), revoke_form=RevokeForm()), status)
        return private(response)

    @expose("/")
    @learner_required
    def index(self, learner):
        return self._page(learner)

    @expose("/timetable.ics")
    @learner_required
    def download(self, learner):
        language = current_language()
        return ics_response(service.timetable_calendar(db.session, learner, language), FILENAMES[language])

    @expose("/subscription", methods=["POST"])
    @learner_required
    def subscribe(self, learner):
        """Create (or replace) the link and show it this once, in the response to the post."""
        if not SubscriptionForm().validate_on_submit():
            abort(400)
        token = service.issue_subscription_token(db.session, learner, actor_id=current_user.id)
        db.session.commit()
        return self._page(learner, new_link=public_url("CalendarFeedView.feed", token=token))

    @expose("/revoke", methods=["POST"])
    @learner_required
    def revoke(self, learner):
        form = RevokeForm()
        if not form.validate_on_submit():
            abort(400)
        if form.confirmed.data != "yes":
            confirm = RevokeForm(formdata=None, confirmed="yes")
            return private(make_response(self.render_template(
                "learner/calendar_revoke.html", title=_("Revoke my subscription link"), form=confirm)))
        if service.revoke_subscription(db.session, learner, actor_id=current_user.id):
            db.session.commit()
            flash(_("Your subscription link has been revoked: calendars that used it no longer receive "
                    "your timetable."), "success")
        else:
            flash(_("You have no subscription link to revoke."), "info")
        return redirect(url_for("MyCalendarView.index"))


class CalendarFeedView(BaseView):
    """The subscription feed: public, the secret in the URL is the only key."""

    route_base = "/calendar"
    default_view = "feed"

    @expose("/feed/<token>.ics")
    def feed(self, token: str):
        learner = service.learner_for_token(db.session, token)
        if learner is None:
            abort(404)
        return ics_response(service.timetable_calendar(db.session, learner, learner.preferred_language.value))


def register(appbuilder) -> None:
    appbuilder.add_view_no_menu(MyCalendarView())
    appbuilder.add_view_no_menu(CalendarFeedView())
