"""The ``flask worker`` process: rq's forking worker on the project's queue, with housekeeping."""
from __future__ import annotations

import logging

from flask import Flask
from rq import Worker

from ..extensions import db
from .outbox import queue
from .runner import bind_app, bound_app

log = logging.getLogger(__name__)


class GuichetWorker(Worker):
    """rq's forking worker whose maintenance step also sweeps stuck jobs and runs the schedule.

    The maintenance step runs in the worker's main process between jobs (never in a thread), every
    ``JOB_SWEEP_SECONDS``; the database pool is emptied afterwards so that a forked work horse
    inherits no open connection. While Redis is down the worker waits and reconnects by itself.
    """

    max_connection_wait_time = 5.0
    stop_asked = False  # a stop signal came (rq forgets it when Redis fails during its teardown)

    def request_stop(self, signum, frame):
        self.stop_asked = True
        super().request_stop(signum, frame)

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        from .sweeper import tick

        app = bound_app()
        if app is None:
            return
        try:
            tick(app)
        except Exception:  # noqa: BLE001 - a failed sweep is retried at the next one
            log.exception("the job sweep failed; it runs again in %s s", self.maintenance_interval)
        finally:
            with app.app_context():
                db.engine.dispose()


def make_worker(app: Flask) -> GuichetWorker:
    """The worker of ``flask worker``: the project's queue, maintenance every JOB_SWEEP_SECONDS."""
    bind_app(app)
    q = queue(app)
    sweep = max(1, int(app.config.get("JOB_SWEEP_SECONDS", 30)))
    # rq wakes from its blocking wait every worker_ttl - 15 s: wake often enough to sweep on time
    return GuichetWorker([q], connection=q.connection, maintenance_interval=sweep, worker_ttl=sweep + 15)
