"""The job seam: ``enqueue(task, **args)`` records a job by its task's name; it runs after commit.

What lives where (no module of this package imports this ``__init__``, and none imports a
service, so ``services → jobs`` is never a circle):

- ``registry`` — task names to functions; ``tasks`` registers them (imported by ``create_app``);
- ``outbox`` — ``enqueue`` and the dispatch after commit: inline, or pushed to rq;
- ``runner`` — claims and runs one job in its own app context;
- ``worker`` — rq's entry point (``app.jobs.worker.run_job``), ``rq_worker`` — the ``flask worker``
  process; ``sweeper``, ``schedule`` and ``embedded`` — housekeeping and scheduled work.
"""
from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from .outbox import (  # noqa: F401  (the seam's public names)
    dispatch, dispatch_after_commit, enqueue, push, queue, redis_connection, rq_job_id, run_due_jobs,
)
from .registry import TASKS, resolve, task  # noqa: F401


def _run_due_jobs_now_and_then(app: Flask):
    """Embedded mode without the background thread (a server other than `make run`): a request runs
    the due delayed jobs, at most every N seconds."""
    every = app.config.get("EMBEDDED_DUE_JOBS_EVERY")
    last = {"at": 0.0}

    def hook():
        import time

        if time.monotonic() - last["at"] >= every:
            last["at"] = time.monotonic()
            run_due_jobs(app)

    return hook


def init_app(app: Flask) -> None:
    """Dispatch jobs after each commit; in embedded mode, run the housekeeping without a worker.
    The task functions are registered by importing ``app.jobs.tasks`` (``create_app`` does)."""
    if not app.config.get("REDIS_URL") and app.config.get("EMBEDDED_SCHEDULER"):
        from .embedded import start_background_ticks

        start_background_ticks(app)
    elif not app.config.get("REDIS_URL") and app.config.get("EMBEDDED_DUE_JOBS_EVERY"):
        app.before_request(_run_due_jobs_now_and_then(app))

    if not getattr(init_app, "_listening", False):
        from .outbox import _after_commit, _after_rollback

        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda s, previous: _after_rollback(s))
        init_app._listening = True
