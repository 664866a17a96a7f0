"""Job tasks: thin wrappers that call a service with the job's own session."""
from __future__ import annotations

from ..extensions import db
from ..services import messaging
from . import task


@task("deliver_message")
def deliver_message(message_id: int) -> dict:
    status = messaging.deliver(db.session, message_id)
    return {"status": status.value}
