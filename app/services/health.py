"""What a load balancer and monitoring need to know: is the database there, is Redis there, how
much work waits. Counts and ages only — never a name, an address or a job's arguments."""
from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import func, select, text

from ..extensions import db
from ..models import Job, JobStatus
from ..models.base import utcnow


def check(app: Flask, now: dt.datetime | None = None) -> tuple[dict, bool]:
    """The health report and whether the service is up (database reachable, Redis too when configured)."""
    now = now or utcnow()
    report: dict = {}
    database_ok = True
    try:
        db.session.execute(text("SELECT 1"))
        due_at = func.coalesce(Job.run_at, Job.created_at)
        pending, oldest = db.session.execute(select(func.count(Job.id), func.min(due_at))
                                             .where(Job.status == JobStatus.PENDING, due_at <= now)).one()
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)
        report["database"] = "ok"
        report["jobs_pending"] = pending
        report["oldest_pending_job_seconds"] = int((now - oldest).total_seconds()) if oldest else 0
    except Exception:  # noqa: BLE001 - any database failure means "down"
        db.session.rollback()
        database_ok = False
        report["database"] = "down"
    redis_ok = True
    if app.config.get("REDIS_URL"):
        from ..jobs import queue
        from ..jobs.redis_link import link

        try:
            q = queue(app)
            q.connection.ping()
            report["redis"] = "ok"
            report["queue_depth"] = q.count
            report["queue"] = q.name
            link(app).succeeded()
        except Exception as exc:  # noqa: BLE001 - any Redis failure means "down"
            link(app).failed(exc)
            redis_ok = False
            report["redis"] = "down"
    else:
        report["redis"] = "not used (embedded mode)"
    healthy = database_ok and redis_ok
    report["status"] = "ok" if healthy else "unavailable"
    return report, healthy
