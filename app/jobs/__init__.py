"""The job seam: ``enqueue(task, **args)`` writes a Job row in the caller's transaction.

After that transaction commits, the job runs inline (no ``REDIS_URL``: the embedded default)
or is pushed to rq. A job whose push failed stays ``pending`` and is pushed again by
``flask jobs requeue`` (the worker command does so at start). Each job runs in its own app
context with its own database session, as an rq worker would run it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Job

log = logging.getLogger(__name__)

TASKS: dict[str, Callable[..., object]] = {}
_PENDING_KEY = "guichet_pending_jobs"


def task(name: str):
    """Register a function as a job task under a stable name."""

    def register(fn):
        TASKS[name] = fn
        return fn

    return register


def enqueue(task_name: str, session: Session | None = None, **args) -> Job:
    """Record a job in the current transaction; it runs or is queued once the transaction commits."""
    if task_name not in TASKS:
        raise KeyError(f"unknown task {task_name!r}")
    session = session or db.session
    job = Job(task=task_name, args=args)
    session.add(job)
    session.flush()
    session.info.setdefault(_PENDING_KEY, []).append(job.id)
    return job


def _after_commit(session: Session) -> None:
    job_ids = session.info.pop(_PENDING_KEY, None)
    if not job_ids or not has_app_context():
        return
    app = current_app._get_current_object()
    for job_id in job_ids:
        dispatch(app, job_id)


def _after_rollback(session: Session) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING_KEY, None)


def dispatch(app: Flask, job_id: int) -> None:
    """Run a committed job inline, or push it to rq when Redis is configured."""
    if app.config.get("REDIS_URL"):
        try:
            queue(app).enqueue("app.jobs.worker.run_job", job_id, job_id=f"guichet-job-{job_id}")
        except Exception:  # the row stays pending; `flask jobs requeue` pushes it again
            log.exception("could not push job %s to Redis", job_id)
        return
    from .worker import run_job_in

    run_job_in(app, job_id)


def queue(app: Flask):
    from redis import Redis
    from rq import Queue

    return Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"]))


def init_app(app: Flask) -> None:
    from . import tasks  # noqa: F401  (registers the task functions)

    if not getattr(init_app, "_listening", False):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda s, previous: _after_rollback(s))
        init_app._listening = True
