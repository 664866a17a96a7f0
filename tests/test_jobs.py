"""The job seam: jobs leave the transaction through an outbox row, then run inline or in rq."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.extensions import db
from app.jobs import TASKS, enqueue, task
from app.jobs.sweeper import requeue_pending
from app.models import (
    ClientCategory, DeliveryStatus, Job, JobStatus, Language, Learner, Message,
)
from app.services.job_monitor import TASK_LABELS
from app.services.messaging import send_to_learner

from tests.conftest import build_app


@task("test_explode")
def _explode(reason: str) -> None:
    raise RuntimeError(reason)


# like every task, the test's own has a name in words on the staff screens
TASK_LABELS["test_explode"] = "Tâche d'essai qui échoue toujours"


def make_learner(language: Language = Language.FR) -> Learner:
    """A learner with a unique e-mail, committed."""
    category = db.session.scalar(select(ClientCategory).where(ClientCategory.code == "test-jobs"))
    if category is None:
        category = ClientCategory(code="test-jobs", name_fr="Essai", name_en="Test")
        db.session.add(category)
    tag = uuid.uuid4().hex[:10]
    learner = Learner(file_number=f"T-{tag}", first_name="Amina", last_name="Diallo",
                      email=f"amina.{tag}@example.org", birth_date=dt.date(1990, 5, 1),
                      category=category, preferred_language=language)
    db.session.add(learner)
    db.session.commit()
    return learner


def test_job_runs_inline_after_commit_only(app):
    with app.app_context():
        learner = make_learner()
        message = send_to_learner(db.session, learner, "welcome")
        job = db.session.scalar(select(Job).order_by(Job.id.desc()))
        assert (job.task, job.status, message.status) == ("deliver_message", JobStatus.PENDING, DeliveryStatus.QUEUED)
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Job, job.id).status == JobStatus.DONE
        assert db.session.get(Message, message.id).status == DeliveryStatus.OUTBOX


def test_rolled_back_transaction_runs_no_job(app):
    with app.app_context():
        learner = make_learner()
        before = db.session.scalar(select(db.func.count(Job.id)))
        send_to_learner(db.session, learner, "welcome")
        db.session.rollback()
        assert db.session.scalar(select(db.func.count(Job.id))) == before
        assert db.session.scalar(select(Message).where(Message.learner_id == learner.id)) is None


def test_failing_job_is_recorded_and_does_not_undo_the_commit(app):
    with app.app_context():
        learner = make_learner()
        job = enqueue("test_explode", reason="boom")
        db.session.commit()
        db.session.expire_all()
        failed = db.session.get(Job, job.id)
        assert failed.status == JobStatus.FAILED and "boom" in failed.error
        assert db.session.get(Learner, learner.id) is not None


def test_unknown_task_is_refused(app):
    with app.app_context(), pytest.raises(KeyError):
        enqueue("no_such_task")
    assert "deliver_message" in TASKS


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp_server():
    import socket

    with socket.socket() as probe:  # a free loopback port for the server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, inbox
    controller.stop()


def test_email_goes_through_a_real_smtp_server_in_the_learners_language(pg_url, smtp_server):
    controller, inbox = smtp_server
    mail_app = build_app(pg_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    with mail_app.app_context():
        french, english = make_learner(Language.FR), make_learner(Language.EN)
        send_to_learner(db.session, french, "welcome")
        send_to_learner(db.session, english, "welcome")
        db.session.commit()
        received = {m["To"]: m for m in inbox.messages}
        assert received[english.email]["Subject"] == "Welcome to Guichet Francisation"
        assert received[french.email]["Subject"] == "Bienvenue au Guichet Francisation"
        assert "Amina" in received[french.email].get_body(preferencelist=("plain",)).get_content()
        assert (received[french.email]["Content-Language"], received[english.email]["Content-Language"]) == ("fr", "en")
        statuses = db.session.scalars(select(Message.status).where(
            Message.learner_id.in_([french.id, english.id]))).all()
        assert statuses == [DeliveryStatus.SENT, DeliveryStatus.SENT]


def test_jobs_go_through_redis_and_an_rq_worker(pg_url, redis_url):
    from rq import SimpleWorker

    from app.jobs import queue
    from app.jobs.runner import bind_app

    rq_app = build_app(pg_url, REDIS_URL=redis_url)
    with rq_app.app_context():
        learner = make_learner()
        message = send_to_learner(db.session, learner, "welcome")
        db.session.commit()
        q = queue(rq_app)
        assert q.count == 1
        assert db.session.get(Message, message.id).status == DeliveryStatus.QUEUED
    bind_app(rq_app)
    SimpleWorker([q], connection=q.connection).work(burst=True)
    with rq_app.app_context():
        assert db.session.get(Message, message.id).status == DeliveryStatus.OUTBOX
        last_job = db.session.scalar(select(Job).order_by(Job.id.desc()))
        assert (last_job.task, last_job.status) == ("deliver_message", JobStatus.DONE)


def test_a_job_that_could_not_reach_redis_is_pushed_again(pg_url, redis_url):
    dead_app = build_app(pg_url, REDIS_URL="redis://127.0.0.1:1/0")
    with dead_app.app_context():
        learner = make_learner()
        send_to_learner(db.session, learner, "welcome")
        db.session.commit()
        job = db.session.scalar(select(Job).order_by(Job.id.desc()))
        assert job.status == JobStatus.PENDING
    live_app = build_app(pg_url, REDIS_URL=redis_url)
    assert requeue_pending(live_app) >= 1
    from app.jobs import queue

    assert f"guichet-job-{job.id}" in queue(live_app).job_ids
