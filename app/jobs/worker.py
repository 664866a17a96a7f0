"""rq's entry point: the function an rq worker calls by its name, ``app.jobs.worker.run_job``.

It is alone in its module because it is where a worker process gets its application: it may
build one with ``create_app``, which imports every module of the app. No module of ``app``
imports this one (``outbox.push`` names it as a string), so that is no import circle.
"""
from __future__ import annotations

from .runner import bind_app, bound_app, run_job_in


def run_job(job_id: int) -> None:
    """rq entry point: build the app once per worker process, one app context per job."""
    app = bound_app()
    if app is None:
        from app import create_app

        app = create_app()
        bind_app(app)
    run_job_in(app, job_id, reraise=True)
