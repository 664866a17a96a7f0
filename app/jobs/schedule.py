"""Scheduled work: a small schedule declared here, run by ``sweeper.tick``.

Each entry has a cadence in Montréal time. At every tick, the latest occurrence ("slot") of each
entry that has come is enqueued as an ordinary job whose ``key`` is ``schedule:<name>:<slot>``;
the unique key makes each occurrence run once, however many workers tick, and the job gets the
retries, the sweeper and the monitor of every other job. A missed occurrence (nothing ran for
a while) is caught up once, with the arguments of its own slot; older ones are not replayed.

Why not rq's scheduler or rq-scheduler: rq's scheduler only runs jobs enqueued for a given time
(we use it for delayed jobs and retries), rq-scheduler's cron needs its own process and keeps
the schedule in Redis (lost with Redis' data, absent in the embedded mode). This table works the
same with and without Redis, and what ran when is in the database.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Job

MONTREAL = ZoneInfo("America/Montreal")


@dataclass(frozen=True)
class Entry:
    """One piece of recurring work: every ``minutes``, or daily/weekly at ``at`` (Montréal time)."""

    name: str
    task: str
    label: object
    args: Callable[[dt.datetime], dict]
    minutes: int | None = None
    at: dt.time | None = None
    weekday: int | None = None  # ISO: 1 = Monday

    def latest_slot(self, now: dt.datetime) -> dt.datetime:
        """The latest occurrence at or before ``now`` (aware UTC in, aware UTC out)."""
        if self.minutes:
            step = self.minutes * 60
            return dt.datetime.fromtimestamp(int(now.timestamp()) // step * step, dt.UTC)
        local = now.astimezone(MONTREAL)
        day = local.date()
        if self.weekday is not None:
            day -= dt.timedelta(days=(local.isoweekday() - self.weekday) % 7)
        slot = dt.datetime.combine(day, self.at, MONTREAL)
        if slot > local:
            slot = dt.datetime.combine(day - dt.timedelta(days=7 if self.weekday else 1), self.at, MONTREAL)
        return slot.astimezone(dt.UTC)

    def key(self, slot: dt.datetime) -> str:
        return f"schedule:{self.name}:{slot.astimezone(dt.UTC):%Y-%m-%dT%H:%MZ}"

    def cadence(self) -> str:
        if self.minutes:
            return f"every {self.minutes} min"
        days = "Mon Tue Wed Thu Fri Sat Sun".split()
        return f"{days[self.weekday - 1] + ' ' if self.weekday else 'daily '}{self.at:%H:%M} America/Montreal"


def _local_day(slot: dt.datetime) -> dt.date:
    return slot.astimezone(MONTREAL).date()


SCHEDULE: tuple[Entry, ...] = (
    Entry("expire-offers", "expire_offers", _l("Expire the seat offers not accepted in time"),
          lambda slot: {"as_of": slot.isoformat()}, minutes=15),
    Entry("class-start-reminders", "send_class_start_reminders", _l("Remind learners that their class starts soon"),
          lambda slot: {"today": _local_day(slot).isoformat()}, at=dt.time(8, 0)),
    Entry("allowance-batch", "build_payment_batch", _l("Weekly allowance payment batch"),
          lambda slot: {"week": (_local_day(slot) - dt.timedelta(days=7)).isoformat(),
                        "paid_on": _local_day(slot).isoformat()}, at=dt.time(6, 0), weekday=1),
    Entry("retention", "run_retention", _l("Law 25 retention run"),
          lambda slot: {"today": _local_day(slot).isoformat()}, at=dt.time(3, 0)),
    Entry("purge-expired", "purge_expired", _l("Delete expired account links, old sessions and old finished jobs"),
          lambda slot: {"now": slot.isoformat()}, at=dt.time(4, 0)),
)


def entry(name: str) -> Entry:
    for found in SCHEDULE:
        if found.name == name:
            return found
    raise KeyError(name)


def enqueue_due(app: Flask, now: dt.datetime) -> int:
    """Enqueue the latest due occurrence of each entry that has not been enqueued yet; how many were."""
    from .outbox import enqueue

    created = 0
    with app.app_context():
        for item in SCHEDULE:
            slot = item.latest_slot(now)
            key = item.key(slot)
            if db.session.scalar(select(Job.id).where(Job.key == key)) is not None:
                continue
            try:
                enqueue(item.task, key=key, **item.args(slot))
                db.session.commit()  # after commit: run inline (embedded) or pushed to rq
                created += 1
            except IntegrityError:  # another worker enqueued this occurrence first
                db.session.rollback()
        db.session.remove()
    return created
