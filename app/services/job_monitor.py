"""The job monitor's rules: what an administrator sees of background work, and the two actions.

Never a job's arguments (they may name a person or, for older rows, carry a link): the task's
label, its state, attempts, times, progress and error only. Retry and cancel are audited.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..models import AuditEvent, Job, JobStatus
from ..models.base import utcnow
from .audit import current_ip
from .refusals import Refusal

# What each task is, in words (the monitor never shows a task's internal name alone).
TASK_LABELS = {
    "deliver_message": _l("Send an e-mail"),
    "deliver_account_link": _l("Send an account link"),
    "deliver_invitation": _l("Send an invitation to link a learner file to a business"),
    "send_password_reset": _l("Password reset request"),
    "expire_offers": _l("Expire seat offers"),
    "build_payment_batch": _l("Allowance payment batch"),
    "run_retention": _l("Law 25 retention run"),
    "send_class_start_reminders": _l("Class-start reminders"),
    "purge_expired": _l("Delete expired links, sessions and jobs"),
    "export_indicators": _l("Indicator export"),
}
RETRYABLE = (JobStatus.FAILED, JobStatus.CANCELLED)
CANCELLABLE = (JobStatus.PENDING, JobStatus.QUEUED)
PAGE_SIZE = 25


class JobActionRefused(Refusal):
    MESSAGES = {
        "not_found": _l("This job does not exist."),
        "not_retryable": _l("Only a failed or cancelled job can be run again."),
        "not_cancellable": _l("Only a job that has not started yet can be cancelled."),
    }


def task_label(task: str) -> str:
    return str(TASK_LABELS.get(task, task))


@dataclass
class QueueState:
    """rq's view of the queue; ``reachable`` False when Redis does not answer."""

    name: str
    reachable: bool
    queued: int = 0
    scheduled: int = 0
    started: int = 0
    failed: int = 0


def counts_by_state(session: Session) -> dict[JobStatus, int]:
    found = dict(session.execute(select(Job.status, func.count(Job.id)).group_by(Job.status)).all())
    return {status: found.get(status, 0) for status in JobStatus if status != JobStatus.QUEUED}


def queue_state(app: Flask) -> QueueState | None:
    """None in the embedded mode (no Redis, jobs run in the web process)."""
    if not app.config.get("REDIS_URL"):
        return None
    from ..jobs import queue

    q = queue(app)
    try:
        return QueueState(q.name, True, q.count, q.scheduled_job_registry.count, q.started_job_registry.count,
                          q.failed_job_registry.count)
    except Exception:  # noqa: BLE001 - Redis down is a state to show, not an error
        return QueueState(q.name, False)


def jobs_in(session: Session, status: JobStatus, page: int = 0) -> tuple[list[Job], int]:
    """A page of the jobs in ``status``, newest first, and how many there are."""
    total = session.scalar(select(func.count(Job.id)).where(Job.status == status))
    rows = session.scalars(select(Job).where(Job.status == status).order_by(Job.id.desc())
                           .offset(page * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return list(rows), total


def _audit(session: Session, job: Job, action: str, actor_id: int, before: JobStatus) -> None:
    session.add(AuditEvent(actor_id=actor_id, action=f"job.{action}", object_type="Job", object_id=str(job.id),
                           changes={"status": [before.value, job.status.value], "task": job.task},
                           ip=current_ip()))


def retry(session: Session, job_id: int, actor_id: int, now: dt.datetime | None = None) -> Job:
    """Run a failed or cancelled job again, with a fresh count of attempts; dispatched after commit."""
    from ..jobs import dispatch_after_commit

    job = session.get(Job, job_id)
    if job is None:
        raise JobActionRefused("not_found")
    before = job.status
    changed = session.execute(update(Job).where(Job.id == job_id, Job.status.in_(RETRYABLE)).values(
        status=JobStatus.PENDING, attempts=0, run_at=now or utcnow(), finished_at=None)
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise JobActionRefused("not_retryable")
    session.refresh(job)
    _audit(session, job, "retry", actor_id, before)
    dispatch_after_commit(session, job.id)  # pushed (or run) once committed
    return job


def cancel(session: Session, job_id: int, actor_id: int, now: dt.datetime | None = None) -> Job:
    """Cancel a job that has not started: a worker handed it later finds nothing to claim."""
    job = session.get(Job, job_id)
    if job is None:
        raise JobActionRefused("not_found")
    before = job.status
    changed = session.execute(update(Job).where(Job.id == job_id, Job.status.in_(CANCELLABLE)).values(
        status=JobStatus.CANCELLED, finished_at=now or utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise JobActionRefused("not_cancellable")
    session.refresh(job)
    _audit(session, job, "cancel", actor_id, before)
    return job
