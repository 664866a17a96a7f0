"""The sweeper: nothing committed is ever lost, whatever happened to Redis or to a worker.

- A job left ``running`` longer than ``JOB_TIMEOUT`` (plus the grace period) belonged to a worker
  that died (``kill -9``, power loss): it goes back to ``pending`` — or ``failed`` when it has used
  all its attempts.
- A ``pending`` job whose time came more than ``JOB_PENDING_GRACE_SECONDS`` ago and that rq does
  not hold (its push failed while Redis was down, or Redis lost its data) is pushed again. The
  atomic claim (``runner.claim``) makes a push too many harmless.

``tick`` is what runs on a schedule: in the worker's maintenance step every ``JOB_SWEEP_SECONDS``,
in the embedded server's background thread, or by hand with ``flask jobs tick``.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Job, JobStatus
from ..models.base import utcnow

log = logging.getLogger(__name__)
SWEEP_BATCH = 500  # jobs pushed per sweep at most; the next sweep takes the rest
LIVE_RQ_STATES = {"queued", "scheduled", "started", "deferred"}
INTERRUPTED = "interrupted: the worker stopped during the job"
INTERRUPTED_LAST = "interrupted: the worker stopped during the last attempt"


@dataclass
class SweepResult:
    recovered: int = 0
    failed: int = 0
    pushed: int = 0
    ran: int = 0

    def as_dict(self) -> dict:
        return {"recovered": self.recovered, "failed": self.failed, "pushed": self.pushed, "ran": self.ran}


def recover_stuck(session, app: Flask, now: dt.datetime) -> tuple[list[int], int]:
    """Jobs running past their time limit go back to pending (or failed after the last attempt);
    returns the ids put back to pending and how many failed."""
    from .runner import retry_delay

    limit = now - dt.timedelta(seconds=app.config.get("JOB_TIMEOUT", 600)
                               + app.config.get("JOB_PENDING_GRACE_SECONDS", 60))
    stuck = session.execute(select(Job.id, Job.attempts).where(
        Job.status == JobStatus.RUNNING, Job.started_at < limit)).all()
    recovered, failed = [], 0
    for job_id, attempts in stuck:
        final = retry_delay(app, attempts) is None
        values = ({"status": JobStatus.FAILED, "finished_at": now, "error": INTERRUPTED_LAST} if final else
                  {"status": JobStatus.PENDING, "run_at": now, "error": INTERRUPTED})
        changed = session.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING,
                                                    Job.started_at < limit).values(**values)
                                  .execution_options(synchronize_session=False)).rowcount
        if changed:
            failed += final
            if not final:
                recovered.append(job_id)
            log.warning("job %s was left running by a stopped worker: %s", job_id, "failed" if final else "recovered")
    session.commit()
    return recovered, failed


def overdue_pending(session, app: Flask, now: dt.datetime) -> list[tuple[int, dt.datetime | None]]:
    grace = now - dt.timedelta(seconds=app.config.get("JOB_PENDING_GRACE_SECONDS", 60))
    due_at = func.coalesce(Job.run_at, Job.created_at)
    return session.execute(select(Job.id, Job.run_at).where(Job.status == JobStatus.PENDING, due_at <= grace)
                           .order_by(due_at).limit(SWEEP_BATCH)).all()


def _held_by_rq(app: Flask, job_ids: list[int]) -> set[int]:
    """The jobs that rq still has queued, scheduled or started."""
    from rq.job import Job as RqJob

    from .outbox import queue, rq_job_id

    connection = queue(app).connection
    held = set()
    found = RqJob.fetch_many([rq_job_id(i) for i in job_ids], connection=connection)
    for job_id, rq_job in zip(job_ids, found, strict=True):
        if rq_job is not None and str(rq_job.get_status(refresh=False) or "") in LIVE_RQ_STATES:
            held.add(job_id)
    return held


def sweep(app: Flask, now: dt.datetime | None = None) -> SweepResult:
    """Recover stuck jobs, then push (or, embedded, run) the pending ones that are overdue."""
    from .outbox import dispatch

    now = now or utcnow()
    result = SweepResult()
    with app.app_context():
        recovered, result.failed = recover_stuck(db.session, app, now)
        result.recovered = len(recovered)
        rows = overdue_pending(db.session, app, now)
        rows += [(job_id, None) for job_id in recovered if job_id not in {row[0] for row in rows}]
        db.session.remove()
    if not rows:
        return result
    if app.config.get("REDIS_URL"):
        from .redis_link import link

        try:
            # rq still calls a dead worker's job "started" for a while: a recovered job is pushed anyway
            held = _held_by_rq(app, [job_id for job_id, _ in rows]) - set(recovered)
        except Exception as exc:  # noqa: BLE001 - Redis down: nothing to push now
            link(app).failed(exc)
            return result
        link(app).succeeded()
        for job_id, _run_at in rows:
            if job_id not in held and dispatch(app, job_id, None):
                result.pushed += 1
    else:
        for job_id, _run_at in rows:
            dispatch(app, job_id, None)
            result.ran += 1
    if result.pushed:
        log.info("sweeper pushed %s pending job(s) again", result.pushed)
    return result


def requeue_pending(app: Flask) -> int:
    """Push every pending job now, whatever its age (``flask jobs requeue``); returns how many."""
    from .outbox import dispatch

    with app.app_context():
        rows = db.session.execute(select(Job.id, Job.run_at).where(Job.status == JobStatus.PENDING)
                                  .order_by(Job.id)).all()
        db.session.remove()
    return sum(1 for job_id, run_at in rows if dispatch(app, job_id, run_at))


def tick(app: Flask, now: dt.datetime | None = None) -> dict:
    """One round of background housekeeping: sweep, then enqueue the scheduled work that is due,
    then (embedded mode) run the delayed jobs whose time has come."""
    from .outbox import run_due_jobs
    from .schedule import enqueue_due

    now = now or utcnow()
    summary = sweep(app, now).as_dict()
    summary["scheduled"] = enqueue_due(app, now) if app.config.get("SCHEDULED_WORK", True) else 0
    if not app.config.get("REDIS_URL"):
        summary["due"] = run_due_jobs(app, now)
    return summary
