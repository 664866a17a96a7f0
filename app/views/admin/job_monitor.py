"""The job monitor (Admin): the queue, jobs counted by state, failed jobs with their error, and the
retry and cancel actions. Cancelling first shows a confirmation page; both actions are POSTs with
CSRF and are audited by ``app.services.job_monitor``. A job's arguments are never shown."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from ...extensions import db
from ...models import Job, JobStatus
from ...services import job_monitor as monitor

MAX_ID = 2**31 - 1
LISTED = (JobStatus.FAILED, JobStatus.PENDING, JobStatus.RUNNING, JobStatus.CANCELLED, JobStatus.DONE)


class ActionForm(FlaskForm):
    """A retry or cancel button: only the CSRF token."""


def _page_number() -> int:
    raw = request.args.get("page", "0")
    if not raw.isdigit() or len(raw) > 6:
        return 0
    return int(raw)


class JobMonitorView(BaseView):
    route_base = "/jobs/monitor"
    default_view = "index"
    class_permission_name = "JobMonitor"
    method_permission_name = {"index": "list", "confirm_cancel": "edit", "cancel": "edit", "retry": "edit"}

    @expose("/")
    @has_access
    def index(self):
        wanted = request.args.get("state", JobStatus.FAILED.value)
        state = next((s for s in LISTED if s.value == wanted), JobStatus.FAILED)
        page = _page_number()
        jobs, total = monitor.jobs_in(db.session, state, page)
        pages = max(1, -(-total // monitor.PAGE_SIZE))
        if page >= pages and page:
            abort(404)
        return self.render_template(
            "jobs/monitor.html", counts=monitor.counts_by_state(db.session),
            queue=monitor.queue_state(current_app._get_current_object()), state=state, states=LISTED,
            jobs=jobs, total=total, page=page, pages=pages, label=monitor.task_label, form=ActionForm(),
            cancellable=monitor.CANCELLABLE, retryable=monitor.RETRYABLE)

    def _job(self, job_id: int) -> Job:
        job = db.session.get(Job, job_id) if job_id <= MAX_ID else None
        if job is None:
            abort(404)
        return job

    @expose("/cancel/<int:pk>")
    @has_access
    def confirm_cancel(self, pk: int):
        job = self._job(pk)
        return self.render_template("jobs/confirm_cancel.html", job=job, label=monitor.task_label(job.task),
                                    form=ActionForm())

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel(self, pk: int):
        self._job(pk)
        if not ActionForm().validate_on_submit():
            abort(400)
        try:
            job = monitor.cancel(db.session, pk, current_user.id)
        except monitor.JobActionRefused as refused:
            db.session.rollback()
            flash(refused.message, "warning")
            return redirect(url_for("JobMonitorView.index"))
        db.session.commit()
        flash(_("The job “%(task)s” #%(id)s is cancelled.", task=monitor.task_label(job.task), id=job.id), "info")
        return redirect(url_for("JobMonitorView.index", state=JobStatus.CANCELLED.value))

    @expose("/retry/<int:pk>", methods=["POST"])
    @has_access
    def retry(self, pk: int):
        self._job(pk)
        if not ActionForm().validate_on_submit():
            abort(400)
        try:
            job = monitor.retry(db.session, pk, current_user.id)
        except monitor.JobActionRefused as refused:
            db.session.rollback()
            flash(refused.message, "warning")
            return redirect(url_for("JobMonitorView.index"))
        label, number = monitor.task_label(job.task), job.id
        db.session.commit()
        flash(_("The job “%(task)s” #%(id)s will run again.", task=label, id=number), "info")
        return redirect(url_for("JobMonitorView.index", state=JobStatus.FAILED.value))


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(JobMonitorView, "Job monitor", label=_l("Job monitor"), icon="fa-tasks",
                        category="Compliance", category_label=_l("Compliance"), category_icon="fa-shield")
