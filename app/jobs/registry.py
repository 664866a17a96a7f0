"""The task registry: a job names its task by a string, the worker finds the function by that name.

Services never import a task: they ``enqueue("deliver_message", …)`` by name, and only
``app.jobs.tasks`` (imported by ``create_app``) registers the functions, so the domain rules and
the jobs that call them never import each other in a circle.
"""
from __future__ import annotations

from collections.abc import Callable

TASKS: dict[str, Callable[..., object]] = {}


def task(name: str):
    """Register a function as a job task under a stable name (stored in ``Job.task``)."""

    def register(fn):
        TASKS[name] = fn
        return fn

    return register


def resolve(name: str) -> Callable[..., object]:
    """The function registered under ``name``; KeyError for a name no task has."""
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}") from None
