"""Deleting what has no use any more: used or expired account links, ended sessions, old finished jobs."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from ..models import AccountToken, Job, JobStatus, UserSession


def purge_expired(session: Session, now: dt.datetime, keep_days: int) -> dict:
    """Delete account links used or expired, sessions ended or idle, and jobs done or cancelled,
    ``keep_days`` days ago or more (failed jobs stay for the monitor). Running it again deletes
    nothing more."""
    cutoff = now - dt.timedelta(days=keep_days)
    tokens = session.execute(delete(AccountToken).where(
        or_(AccountToken.expires_at < cutoff, AccountToken.used_at < cutoff))).rowcount
    sessions = session.execute(delete(UserSession).where(
        or_(UserSession.ended_at < cutoff, UserSession.last_seen_at < cutoff))).rowcount
    jobs = session.execute(delete(Job).where(
        Job.status.in_([JobStatus.DONE, JobStatus.CANCELLED]),
        Job.finished_at < cutoff)).rowcount
    return {"account_links": tokens, "sessions": sessions, "jobs": jobs}
