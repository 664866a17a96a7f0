"""Running one job: in the web process after commit (inline) or in an rq worker."""
from __future__ import annotations

import logging
import traceback

from flask import Flask

from ..extensions import db
from ..models import Job, JobStatus
from ..models.base import utcnow

log = logging.getLogger(__name__)
_worker_app: Flask | None = None


def bind_app(app: Flask) -> None:
    """Use this application for the jobs of this worker process (the `flask worker` command)."""
    global _worker_app
    _worker_app = app


def run_job(job_id: int) -> None:
    """rq entry point: build the app once per worker process, one app context per job."""
    global _worker_app
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    run_job_in(_worker_app, job_id, reraise=True)


def run_job_in(app: Flask, job_id: int, reraise: bool = False) -> None:
    """Run the job in a fresh app context (and so a fresh session); record the outcome."""
    from . import TASKS

    with app.app_context():
        job = db.session.get(Job, job_id)
        if job is None or job.status == JobStatus.DONE:
            return
        job.status = JobStatus.RUNNING
        job.attempts += 1
        job.started_at = utcnow()
        db.session.commit()
        from .progress import running

        try:
            with running(job_id):
                result = TASKS[job.task](**job.args)
        except Exception as exc:
            db.session.rollback()
            job = db.session.get(Job, job_id)
            job.status = JobStatus.FAILED
            job.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            job.finished_at = utcnow()
            db.session.commit()
            log.exception("job %s (%s) failed", job_id, job.task)
            if reraise:
                raise
            return
        job = db.session.get(Job, job_id)
        job.status = JobStatus.DONE
        if job.progress_total:
            job.progress = job.progress_total
        job.result = result if isinstance(result, dict) else None
        job.finished_at = utcnow()
        db.session.commit()
