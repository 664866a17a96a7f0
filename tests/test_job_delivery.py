"""Delivery guarantees with a real Redis (a test-owned redis-server) and real `flask worker` processes.

- a worker killed with kill -9 in the middle of a job: the job runs again, its e-mail arrives once;
- Redis stopped: sign-up and application submission still work, the jobs wait, and once Redis is
  back every e-mail reaches the SMTP server exactly once, without restarting anything;
- a job that always fails ends ``failed`` after its retries and runs again from the monitor.
"""
from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.extensions import db
from app.models import ClientCategory, DeliveryStatus, Job, JobStatus, Language, Message
from app.services.messaging import send_to_learner
from tests.conftest import build_app, pass_second_factor, require
from tests.test_jobs import make_learner

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))
# the worker sweeps every second; a pending job is overdue after 1 s, a running one stuck after 11 s
# (long enough for the test to kill the worker before rq's own time limit or the SMTP timeout acts)
# (the schedule stays off: it would run the retention and the allowance batch on the shared test data)
FAST = {"JOB_SWEEP_SECONDS": "1", "JOB_PENDING_GRACE_SECONDS": "1", "JOB_TIMEOUT": "10",
        "JOB_RETRY_INTERVALS": "1,1", "SCHEDULED_WORK": "false"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what, timeout: float = 40, every: float = 0.2, message: str = ""):
    """Poll ``what()`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"gave up waiting: {message or what}")


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


class OwnRedis:
    """A redis-server of the test's own, on a free port, that the test may stop and start again."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from redis import Redis

        def answers():
            try:
                return Redis.from_url(self.url, socket_connect_timeout=1).ping()
            except Exception:  # noqa: BLE001 - not up yet
                return False

        wait_for(answers, 15, message="redis-server start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


class Inbox:
    """aiosmtpd handler keeping what it accepts; the e-mail to ``hold_for`` is stalled (the client
    is killed meanwhile) and never accepted; e-mails to ``refused`` addresses are refused."""

    def __init__(self):
        self.messages = []
        self.hold_for: str | None = None
        self.holding = threading.Event()
        self.refused: set[str] = set()

    async def handle_DATA(self, server, session, envelope):
        if self.refused & set(envelope.rcpt_tos):
            return "554 5.7.1 recipient refused by the test server"
        if self.hold_for in envelope.rcpt_tos:
            self.hold_for = None
            self.holding.set()
            await asyncio.sleep(30)
            return "451 not accepted"
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


class Smtp:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()


class WorkerProcess:
    """``flask worker`` in its own process, on the test database and the test-owned Redis."""

    def __init__(self, database_url: str, redis: OwnRedis, mail_port: int, log_path: Path):
        self.env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis.url, "MAIL_SERVER": "127.0.0.1",
                    "MAIL_PORT": str(mail_port), "SMTP_TIMEOUT_SECONDS": "15", "APP_ENV": "", **FAST}
        self.redis = redis
        self.log_path = log_path
        self.process = None

    def start(self):
        from redis import Redis
        from rq import Worker

        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen([FLASK, "--app", "run", "worker"], cwd=ROOT, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        connection = Redis.from_url(self.redis.url)
        wait_for(lambda: any(w.pid == self.process.pid for w in Worker.all(connection=connection))
                 or self.process.poll() is not None, 60, message="worker start")
        assert self.process.poll() is None, self.log_path.read_text(errors="replace")[-3000:]
        return self

    def kill9(self):
        """The machine dies: SIGKILL to the worker and to its work horse (rq forks one per job)."""
        for pid in [self.process.pid, *children_of(self.process.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()  # rq's warm shutdown: finish the current job, then quit
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process:
            self.log.close()


def own_redis():
    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


redis_server = pytest.fixture(own_redis)
shared_redis = pytest.fixture(scope="module")(own_redis)


def worker_pool(database_url, directory):
    started = []

    def start(redis, mail_port):
        worker = WorkerProcess(database_url, redis, mail_port, directory / f"worker-{len(started)}.log").start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
        print(f"--- {worker.log_path.name} ---\n" + worker.log_path.read_text(errors="replace")[-4000:])


@pytest.fixture
def workers(pg_url, tmp_path):
    yield from worker_pool(pg_url, tmp_path)


@pytest.fixture(scope="module")
def stack(pg_url, shared_redis, tmp_path_factory):
    """One Redis, one SMTP server and one worker shared by the outage and the failing-job tests."""
    smtp = Smtp().start()
    pool = worker_pool(pg_url, tmp_path_factory.mktemp("workers"))
    next(pool)(shared_redis, smtp.port)
    yield shared_redis, smtp
    next(pool, None)
    smtp.stop()


def web_app(pg_url, redis):
    return build_app(pg_url, REDIS_URL=redis.url, JOB_RETRY_INTERVALS=(1, 1), JOB_TIMEOUT=10)


def job_of(app, message_id: int) -> Job:
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.task.in_(["deliver_message", "deliver_account_link"]),
                                                  Job.args["message_id"].as_integer() == message_id))
        db.session.expunge_all()
        db.session.remove()
    return job


def message_status(app, message_id: int) -> DeliveryStatus:
    with app.app_context():
        status = db.session.scalar(select(Message.status).where(Message.id == message_id))
        db.session.remove()
    return status


def test_a_worker_killed_during_a_job_the_job_runs_again_and_mails_once(pg_url, redis_server, workers):
    smtp = Smtp().start()
    try:
        app = web_app(pg_url, redis_server)
        first = workers(redis_server, smtp.port)
        with app.app_context():
            learner = make_learner(Language.EN)
            smtp.inbox.hold_for = learner.email
            message_id = send_to_learner(db.session, learner, "welcome").id
            address = learner.email
            db.session.commit()
        assert smtp.inbox.holding.wait(40), "the worker never reached the SMTP server"
        first.kill9()
        assert job_of(app, message_id).status == JobStatus.RUNNING  # left behind by the dead worker

        workers(redis_server, smtp.port)  # another worker: its sweeper finds the stuck job
        wait_for(lambda: message_status(app, message_id) == DeliveryStatus.SENT, 60, message="resend")
        time.sleep(3)  # a few more sweeps: nothing is sent twice
        assert len(smtp.inbox.to(address)) == 1
        job = job_of(app, message_id)
        assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    finally:
        smtp.stop()


def test_with_redis_down_the_site_works_and_every_mail_goes_once_when_it_is_back(demo_app, pg_url, stack):
    from tests.test_accounts import sign_up
    from tests.test_application_form import fill_steps, login, make_applicant, start, step

    redis_server, smtp = stack
    app = web_app(pg_url, redis_server)
    applicant = make_applicant(app, language=Language.EN)
    with app.app_context():
        from app.models import Learner

        category = db.session.scalar(select(ClientCategory.id).where(ClientCategory.code == "immigrant"))
        applicant["email"] = db.session.get(Learner, applicant["learner_id"]).email
        db.session.remove()

    redis_server.stop()
    records = []
    catcher = logging.Handler(logging.INFO)
    catcher.emit = records.append
    jobs_log = logging.getLogger("app.jobs")
    jobs_log.addHandler(catcher)
    newcomer = f"newcomer.{free_port()}@example.org"
    registered = sign_up(app.test_client(), category, newcomer, language="fr")
    assert registered.status_code == 302, registered.get_data(as_text=True)[:500]
    client = app.test_client()
    login(client, applicant["username"])
    start(client)
    fill_steps(app, client)
    sent = step(client, 4, {"consent_truthful": "y", "consent_privacy": "y"}, action="send")
    assert sent.status_code == 302
    with app.app_context():
        waiting = db.session.execute(select(Message.id, Message.recipient).where(
            Message.recipient.in_([newcomer, applicant["email"]]))).all()
        db.session.remove()
    assert len(waiting) == 2 and all(job_of(app, m).status == JobStatus.PENDING for m, _ in waiting)
    jobs_log.removeHandler(catcher)
    assert [r.getMessage().split(" (")[0] for r in records] == ["Redis unreachable"], records
    assert not any(r.exc_info for r in records)  # one line, no traceback

    redis_server.start()  # same port, empty: nothing of the earlier queue survived
    wait_for(lambda: all(message_status(app, m) == DeliveryStatus.SENT for m, _ in waiting), 60,
             message="delivery after the outage")
    time.sleep(3)
    for _message_id, recipient in waiting:
        assert len(smtp.inbox.to(recipient)) == 1, recipient
    assert smtp.inbox.to(newcomer)[0]["Subject"] == "Confirmez votre adresse courriel"


def test_a_job_that_always_fails_ends_failed_then_runs_again_from_the_monitor(demo_app, pg_url, stack):
    redis_server, smtp = stack
    app = web_app(pg_url, redis_server)
    with app.app_context():
        learner = make_learner(Language.FR)
        address = learner.email
        smtp.inbox.refused.add(address)  # the mail server refuses every attempt
        message_id = send_to_learner(db.session, learner, "welcome").id
        db.session.commit()
    wait_for(lambda: job_of(app, message_id).status == JobStatus.FAILED, 60, message="final failure")
    job = job_of(app, message_id)
    assert job.attempts == 3 and "refused" in job.error.lower()

    smtp.inbox.refused.discard(address)  # the mail server accepts it again
    client = app.test_client()
    from tests.conftest import login as form_login

    form_login(client, "admin", demo_app.config["DEMO_PASSWORD"])
    pass_second_factor(client, "admin")
    page = client.get("/jobs/monitor/?state=failed").get_data(as_text=True)
    assert f"<td>{job.id}</td>" in page and "refused" in page
    assert "message_id" not in page  # never the arguments
    response = client.post(f"/jobs/monitor/retry/{job.id}")
    assert response.status_code == 302
    wait_for(lambda: message_status(app, message_id) == DeliveryStatus.SENT, 40, message="retry from the monitor")
    assert len(smtp.inbox.to(address)) == 1
    with app.app_context():
        from app.models import AuditEvent

        audit = db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_type == "Job",
                                                                  AuditEvent.object_id == str(job.id)))
        db.session.remove()
    assert audit == "job.retry"
