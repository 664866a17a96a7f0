"""Re-push jobs that were committed but never reached Redis (the outbox sweep)."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from ..extensions import db
from ..models import Job, JobStatus


def requeue_pending(app: Flask) -> int:
    """Dispatch every pending job again; returns how many were pushed."""
    from . import dispatch

    with app.app_context():
        rows = db.session.execute(select(Job.id, Job.run_at).where(Job.status == JobStatus.PENDING)
                                  .order_by(Job.id)).all()
    for job_id, run_at in rows:
        dispatch(app, job_id, run_at)
    return len(rows)
