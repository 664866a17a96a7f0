"""How far a running job is: ``report_progress(done, total)`` from inside any task.

Generic to every task: the figures go to ``Job.progress`` (units done) and ``Job.progress_total``
(units in all, None when unknown); ``Job.percent`` reads them. They are written at once in a
short transaction of their own, so a page polling the job sees them while the task still works in
its own (uncommitted) transaction. Call it while the task has not written yet, or between its
commits: on SQLite a second writer waits for the first.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import update

from ..extensions import db
from ..models import Job

_current_job: ContextVar[int | None] = ContextVar("guichet_current_job", default=None)


def current_job_id() -> int | None:
    """The id of the job this code runs in (None outside a job)."""
    return _current_job.get()


@contextmanager
def running(job_id: int):
    """Mark the code inside as running for ``job_id`` (the worker wraps each task with it)."""
    token = _current_job.set(job_id)
    try:
        yield
    finally:
        _current_job.reset(token)


def report_progress(done: int, total: int | None = None) -> None:
    """Record that the running job has done ``done`` of ``total`` units; nothing outside a job."""
    job_id = _current_job.get()
    if job_id is None:
        return
    done = max(int(done), 0)
    total = max(int(total), done) if total is not None else None
    with db.engine.begin() as connection:
        connection.execute(update(Job).where(Job.id == job_id).values(progress=done, progress_total=total))


def progress_payload(job: Job | None, download_url: str | None = None) -> dict:
    """What a page polling a job needs, in words (JSON-ready): the status code and its label, the
    percent (None while unknown), whether it is over, and the download address once it is done."""
    from ..models import JobStatus

    if job is None:
        return {"status": "pending", "label": str(JobStatus.PENDING.label), "percent": None,
                "finished": False, "failed": False, "download_url": None}
    done = job.status == JobStatus.DONE
    failed = job.status not in (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE)
    return {"status": job.status.value, "label": str(job.status.label), "percent": job.percent,
            "finished": done or failed, "failed": failed, "download_url": download_url if done else None}
