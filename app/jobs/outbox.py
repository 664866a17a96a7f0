"""The outbox: ``enqueue(task, **args)`` writes a Job row in the caller's transaction.

After that transaction commits, the job runs inline (no ``REDIS_URL``: the embedded default)
or is pushed to rq. A job whose push failed stays ``pending`` and the sweeper
(``app.jobs.sweeper``, run by the worker on a schedule) pushes it again. Each job runs in its
own app context with its own database session, as an rq worker would run it, and is claimed by
one conditional UPDATE so that it never runs twice at once.
"""
from __future__ import annotations

import datetime as dt
import logging
from flask import Flask, current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Job, JobStatus
from ..models.base import utcnow
from .registry import TASKS

log = logging.getLogger(__name__)

_PENDING_KEY = "guichet_pending_jobs"


def enqueue(task_name: str, session: Session | None = None, run_at: dt.datetime | None = None,
            key: str | None = None, **args) -> Job:
    """Record a job in the current transaction; it runs or is queued once the transaction commits.

    With ``run_at`` the job waits until then: rq schedules it (workers run with the scheduler);
    in the embedded mode it stays pending until ``run_due_jobs`` finds it due.
    """
    if task_name not in TASKS:
        raise KeyError(f"unknown task {task_name!r}")
    session = session or db.session
    job = Job(task=task_name, args=args, run_at=run_at, key=key)
    session.add(job)
    session.flush()
    dispatch_after_commit(session, job.id, run_at)
    return job


def dispatch_after_commit(session: Session, job_id: int, run_at: dt.datetime | None = None) -> None:
    """Dispatch this (flushed) job once ``session`` commits; forget it if the session rolls back."""
    session.info.setdefault(_PENDING_KEY, []).append((job_id, run_at))


def _after_commit(session: Session) -> None:
    job_ids = session.info.pop(_PENDING_KEY, None)
    if not job_ids or not has_app_context():
        return
    app = current_app._get_current_object()
    for job_id, run_at in job_ids:
        dispatch(app, job_id, run_at)


def _after_rollback(session: Session) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING_KEY, None)


def rq_job_id(job_id: int) -> str:
    return f"guichet-job-{job_id}"


def dispatch(app: Flask, job_id: int, run_at: dt.datetime | None = None) -> bool:
    """Run a committed job inline, or push it to rq when Redis is configured; True when done.

    A job due later is scheduled in rq, or left pending for ``run_due_jobs`` in embedded mode.
    When Redis is down the job stays pending (the sweeper pushes it later) and the outage is
    logged once, not once per request.
    """
    if app.config.get("REDIS_URL"):
        from .redis_link import link

        redis = link(app)
        if not redis.may_try():
            return False
        try:
            push(app, job_id, run_at)
        except Exception as exc:  # noqa: BLE001 - any failure to reach Redis leaves the job pending
            redis.failed(exc)
            return False
        redis.succeeded()
        return True
    if run_at is not None and run_at > utcnow():
        return False
    from .runner import run_job_in

    run_job_in(app, job_id)
    return True


def push(app: Flask, job_id: int, run_at: dt.datetime | None = None) -> None:
    """Put the job on the rq queue (at ``run_at`` if later), with rq's retries and time limit."""
    from rq import Retry

    q = queue(app)
    intervals = list(app.config.get("JOB_RETRY_INTERVALS") or ())
    options = {"job_id": rq_job_id(job_id), "job_timeout": app.config.get("JOB_TIMEOUT", 600),
               "retry": Retry(max=len(intervals), interval=intervals) if intervals else None,
               "result_ttl": 3600, "failure_ttl": 7 * 24 * 3600}
    if run_at is not None and run_at > utcnow():
        q.enqueue_at(run_at, "app.jobs.worker.run_job", job_id, **options)
    else:
        q.enqueue("app.jobs.worker.run_job", job_id, **options)


def run_due_jobs(app: Flask, now: dt.datetime | None = None) -> int:
    """Embedded mode: run every pending job whose time has come; returns how many ran."""
    from .runner import run_job_in

    now = now or utcnow()
    with app.app_context():
        due = db.session.scalars(select(Job.id).where(
            Job.status == JobStatus.PENDING, Job.run_at.is_not(None), Job.run_at <= now).order_by(Job.run_at)).all()
    for job_id in due:
        run_job_in(app, job_id)
    return len(due)


def redis_connection(app: Flask):
    """The process's one Redis client for ``REDIS_URL`` (``redis_link``): its connection pool is
    reused by every request (redis-py's pool opens new sockets in a forked worker by itself)."""
    from .redis_link import link

    return link(app).client


def queue(app: Flask):
    """The project's rq queue, on the process's Redis client."""
    from rq import Queue

    return Queue(app.config["RQ_QUEUE"], connection=redis_connection(app))
