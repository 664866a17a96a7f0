"""Running one job: in the web process after commit (inline) or in an rq worker (``worker.run_job``).

A job is **claimed** by one conditional statement (``UPDATE job SET status = 'running' … WHERE
id = :id AND status = 'pending'``): of two workers handed the same job (a push repeated by the
sweeper, an rq retry racing a recovery), one changes the row and runs the task, the other changes
nothing and returns. A failure leaves the job ``pending`` with a later ``run_at`` while retries
remain (rq's ``Retry`` runs it again after the interval), then ``failed``.
"""
from __future__ import annotations

import datetime as dt
import logging
import traceback

from flask import Flask
from sqlalchemy import select, update

from ..extensions import db
from ..models import Job, JobStatus
from ..models.base import utcnow
from .progress import running

log = logging.getLogger(__name__)
_worker_app: Flask | None = None


def bind_app(app: Flask) -> None:
    """Use this application for the jobs of this worker process (the `flask worker` command)."""
    global _worker_app
    _worker_app = app


def bound_app() -> Flask | None:
    """The application bound to this worker process, if any."""
    return _worker_app


def claim(session, job_id: int, now: dt.datetime) -> bool:
    """Take a pending job for this run, atomically; False when another run has it or it is over."""
    claimed = session.execute(
        update(Job).where(Job.id == job_id, Job.status == JobStatus.PENDING)
        .values(status=JobStatus.RUNNING, attempts=Job.attempts + 1, started_at=now, finished_at=None, progress=0)
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return claimed == 1


def retry_delay(app: Flask, attempts: int) -> dt.timedelta | None:
    """How long before the next attempt after ``attempts`` failed ones; None when it was the last."""
    intervals = tuple(app.config.get("JOB_RETRY_INTERVALS") or ())
    if attempts > len(intervals):
        return None
    return dt.timedelta(seconds=intervals[attempts - 1])


def _record(session, job_id: int, attempt: int, **values) -> bool:
    """Write this run's outcome only if the job is still this run's (running, same attempt): a
    run given up for dead (recovered by the sweeper, run again elsewhere) must not overwrite it."""
    changed = session.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING,
                                                Job.attempts == attempt).values(**values)
                              .execution_options(synchronize_session=False)).rowcount
    session.commit()
    if not changed:
        log.warning("job %s: attempt %s finished after the job was taken over; its outcome is not recorded",
                    job_id, attempt)
    return changed == 1


def run_job_in(app: Flask, job_id: int, reraise: bool = False) -> None:
    """Claim the job, run its task in a fresh app context (so a fresh session), record the outcome."""
    from .registry import resolve

    with app.app_context():
        if not claim(db.session, job_id, utcnow()):
            return
        job = db.session.get(Job, job_id)
        task_name, args, attempt = job.task, dict(job.args or {}), job.attempts
        try:
            with running(job_id):
                result = resolve(task_name)(**args)
        except Exception as exc:
            db.session.rollback()
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000]
            delay = retry_delay(app, attempt)
            if delay is None:
                outcome = {"status": JobStatus.FAILED, "finished_at": utcnow(), "error": error}
                log.error("job %s (%s) failed after %s attempt(s): %s", job_id, task_name, attempt, error)
            else:
                outcome = {"status": JobStatus.PENDING, "run_at": utcnow() + delay, "error": error}
                log.warning("job %s (%s) failed (attempt %s), retried in %s s: %s", job_id, task_name,
                            attempt, int(delay.total_seconds()), error)
            _record(db.session, job_id, attempt, **outcome)
            if reraise:  # rq records the failure and, while retries remain, runs it again later
                raise
            return
        db.session.commit()  # what the task left uncommitted is part of its work (as before)
        total = db.session.scalar(select(Job.progress_total).where(Job.id == job_id))
        _record(db.session, job_id, attempt, status=JobStatus.DONE, error=None, finished_at=utcnow(),
                result=result if isinstance(result, dict) else None, **({"progress": total} if total else {}))
