"""The embedded server's clock: without Redis there is no worker, so a daemon thread of the web
process runs ``sweeper.tick`` every ``JOB_SWEEP_SECONDS`` — scheduled work and delayed jobs happen
without waiting for a request. Only ``make run`` turns it on (``EMBEDDED_SCHEDULER=true``); tests
and the other ``flask`` commands never start it.
"""
from __future__ import annotations

import logging
import threading

from flask import Flask

log = logging.getLogger(__name__)


def start_background_ticks(app: Flask) -> threading.Thread:
    every = max(1, int(app.config.get("JOB_SWEEP_SECONDS", 30)))
    stop = threading.Event()

    def loop():
        from .sweeper import tick

        while not stop.wait(every):
            try:
                tick(app)
            except Exception:  # noqa: BLE001 - the next tick tries again
                log.exception("background job tick failed")

    thread = threading.Thread(target=loop, name="guichet-embedded-ticks", daemon=True)
    thread.start()
    app.extensions["guichet_ticks"] = stop
    return thread
