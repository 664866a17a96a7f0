"""The web process's link to Redis: one client per application, and a quiet outage.

A failed push leaves the job ``pending`` in the database (the sweeper pushes it later), so an
outage is not an error of the request: it is logged once when it starts and once when it ends,
and for ``REDIS_RETRY_SECONDS`` after a failure no request waits on Redis again.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask

log = logging.getLogger("app.jobs.redis")

_EXTENSION = "guichet_redis"


class RedisLink:
    """A Redis client with short timeouts, and whether Redis answered the last time it was asked."""

    def __init__(self, url: str, retry_seconds: int):
        from redis import Redis

        self.url = url
        self.retry_seconds = retry_seconds
        self.client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self._quiet_until = 0.0

    def may_try(self) -> bool:
        """False for a short while after a failure: the request does not wait on a dead Redis."""
        return self.down_since is None or time.monotonic() >= self._quiet_until

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            first = self.down_since is None
            if first:
                self.down_since = time.monotonic()
            self._quiet_until = time.monotonic() + self.retry_seconds
        if first:
            log.warning("Redis unreachable (%s: %s); jobs stay pending in the database and are pushed "
                        "when it is back", type(exc).__name__, exc)

    def succeeded(self) -> None:
        with self._lock:
            was_down = self.down_since
            self.down_since = None
        if was_down is not None:
            log.warning("Redis reachable again after %.0f s; pending jobs are being pushed",
                        time.monotonic() - was_down)


def link(app: Flask) -> RedisLink:
    """The application's Redis link (created on first use)."""
    found = app.extensions.get(_EXTENSION)
    if found is None or found.url != app.config["REDIS_URL"]:
        found = app.extensions[_EXTENSION] = RedisLink(app.config["REDIS_URL"],
                                                       app.config.get("REDIS_RETRY_SECONDS", 10))
    return found
