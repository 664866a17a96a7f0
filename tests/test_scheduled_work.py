"""Scheduled work at its time (injected clock), idempotent tasks, the atomic claim, retries in the
embedded mode, /health, the job monitor's cancel, the learner's messages, and every e-mail template
in the recipient's language as text and HTML."""
from __future__ import annotations

import datetime as dt
import string

import pytest
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import func, select

from app.extensions import db
from app.jobs import TASKS, enqueue, run_due_jobs
from app.jobs.schedule import SCHEDULE, entry
from app.jobs.sweeper import sweep, tick
from app.jobs.runner import claim
from app.models import (
    AccountToken, AuditEvent, DeliveryStatus, Enrolment, EnrolmentStatus, Job, JobStatus, Language, Message,
    TokenPurpose, UserSession,
)
from app.models.base import utcnow
from app.services.messaging import TEMPLATES, send_to_learner
from tests.conftest import DEMO_PASSWORD, build_app, login
from tests.factories import World, make_account, make_learner, make_section, make_term
from tests.test_jobs import smtp_server  # noqa: F401  (the fixture)

# a Monday noon, Montréal time, far from the real clock
MONDAY_NOON = dt.datetime(2031, 3, 3, 17, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    """An app on its own SQLite file: the injected clock runs the retention and the purge in 2031,
    which must not touch the data the other tests share."""
    app = build_app(f"sqlite:///{tmp_path_factory.mktemp('schedule') / 'guichet.db'}")
    with app.app_context():
        from app.services.allowances import ensure_standard_rules

        ensure_standard_rules(db.session)
        db.session.commit()
    return app


def keyed(app, key: str) -> list[tuple[str, JobStatus]]:
    with app.app_context():
        rows = db.session.execute(select(Job.task, Job.status).where(Job.key == key)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def test_the_schedule_holds_each_recurring_task(own_app):
    assert {item.task for item in SCHEDULE} == {"expire_offers", "send_class_start_reminders",
                                                "build_payment_batch", "run_retention", "purge_expired"}
    assert all(item.task in TASKS for item in SCHEDULE)


@pytest.mark.parametrize("name", [item.name for item in SCHEDULE])
def test_each_scheduled_task_runs_at_its_time_and_once(own_app, name):
    item = entry(name)
    # each entry in a later week of its own: the ticks of one test never reach the next one's slot
    weeks = 1 + [found.name for found in SCHEDULE].index(name)
    slot = item.latest_slot(MONDAY_NOON + dt.timedelta(days=7 * weeks))
    assert keyed(own_app, item.key(slot)) == []
    tick(own_app, slot - dt.timedelta(minutes=1))
    assert keyed(own_app, item.key(slot)) == []  # not before its time
    tick(own_app, slot)
    assert keyed(own_app, item.key(slot)) == [(item.task, JobStatus.DONE)]  # enqueued and run (embedded)
    tick(own_app, slot + dt.timedelta(minutes=1))
    assert keyed(own_app, item.key(slot)) == [(item.task, JobStatus.DONE)]  # once


def test_daily_and_weekly_slots_follow_montreal_time():
    reminders, batch = entry("class-start-reminders"), entry("allowance-batch")
    # 08:00 in Montréal is 12:00 UTC in summer (EDT) and 13:00 UTC in winter (EST)
    assert reminders.latest_slot(dt.datetime(2031, 7, 10, 12, 30, tzinfo=dt.UTC)) == dt.datetime(
        2031, 7, 10, 12, 0, tzinfo=dt.UTC)
    assert reminders.latest_slot(dt.datetime(2031, 1, 10, 12, 30, tzinfo=dt.UTC)) == dt.datetime(
        2031, 1, 9, 13, 0, tzinfo=dt.UTC)
    monday_six = batch.latest_slot(MONDAY_NOON + dt.timedelta(days=2))
    assert monday_six == dt.datetime(2031, 3, 3, 11, 0, tzinfo=dt.UTC)
    assert batch.args(monday_six) == {"week": "2031-02-24", "paid_on": "2031-03-03"}


def test_class_start_reminders_go_once_in_each_learners_language(own_app):
    today = dt.date(2031, 3, 3)
    with World(own_app):
        term = make_term(today=today, starts_on=today + dt.timedelta(days=2))
        soon, later = make_section(term), make_section(term)
        later.starts_on = today + dt.timedelta(days=20)
        learners = {language: make_learner(language=language) for language in Language}
        for learner in learners.values():
            for section in (soon, later):
                db.session.add(Enrolment(learner=learner, section=section, status=EnrolmentStatus.ENROLLED))
        ids = {language: learner.id for language, learner in learners.items()}
    from app.services.reminders import send_class_start_reminders

    with own_app.app_context():
        assert send_class_start_reminders(db.session, today, 3) == 2
        db.session.commit()
        assert send_class_start_reminders(db.session, today, 3) == 0  # a second run sends nothing
        db.session.commit()
        subjects = dict(db.session.execute(select(Message.learner_id, Message.subject).where(
            Message.template == "class_start", Message.learner_id.in_(ids.values()))).all())
        db.session.remove()
    assert subjects[ids[Language.EN]] == "Your class starts soon: Test French"
    assert subjects[ids[Language.FR]] == "Votre cours commence bientôt : Français d'essai"


def test_the_purge_deletes_old_links_and_sessions_only(own_app):
    now = dt.datetime(2031, 6, 1, tzinfo=dt.UTC)
    with World(own_app):
        user_id = own_app.appbuilder.sm.find_user(username=make_account(own_app)["username"]).id
        for days in (40, 5):
            then = now - dt.timedelta(days=days)
            db.session.add(AccountToken(user_id=user_id, purpose=TokenPurpose.RESET_PASSWORD,
                                        token_hash=f"{days:064d}", created_at=then,
                                        expires_at=then + dt.timedelta(hours=1)))
            db.session.add(UserSession(user_id=user_id, token_hash=f"{days:064x}", created_at=then,
                                       last_seen_at=then))
    from app.services.purge import purge_expired

    with own_app.app_context():
        counts = purge_expired(db.session, now, 30)
        db.session.commit()
        again = purge_expired(db.session, now, 30)
        left = (db.session.scalar(select(func.count(AccountToken.id)).where(AccountToken.user_id == user_id)),
                db.session.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == user_id)))
        db.session.remove()
    assert (counts["account_links"], counts["sessions"]) == (1, 1)
    assert (again["account_links"], again["sessions"]) == (0, 0)
    assert left == (1, 1)


def test_a_job_is_claimed_once(app):
    with app.app_context():
        job = enqueue("expire_offers", run_at=utcnow() + dt.timedelta(days=1))
        db.session.commit()
        assert claim(db.session, job.id, utcnow()) is True
        assert claim(db.session, job.id, utcnow()) is False  # a second worker gets nothing
        db.session.refresh(job)
        assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)


def test_embedded_retries_with_backoff_then_failed(app):
    app.config["JOB_RETRY_INTERVALS"] = (60, 600)
    try:
        with app.app_context():
            job = enqueue("test_explode", reason="always")
            db.session.commit()
            db.session.refresh(job)
            assert (job.status, job.attempts) == (JobStatus.PENDING, 1)
            first_retry = job.run_at
            run_due_jobs(app, first_retry - dt.timedelta(seconds=1))
            db.session.expire_all()
            assert db.session.get(Job, job.id).attempts == 1  # not before its time
            second_run = utcnow()
            run_due_jobs(app, first_retry + dt.timedelta(seconds=1))
            db.session.expire_all()
            job = db.session.get(Job, job.id)
            assert (job.status, job.attempts) == (JobStatus.PENDING, 2)
            assert job.run_at >= second_run + dt.timedelta(seconds=600)  # the longer second interval
            run_due_jobs(app, job.run_at + dt.timedelta(seconds=1))
            db.session.expire_all()
            job = db.session.get(Job, job.id)
            assert (job.status, job.attempts) == (JobStatus.FAILED, 3) and "always" in job.error
    finally:
        app.config["JOB_RETRY_INTERVALS"] = ()


def test_a_job_left_running_by_a_dead_process_is_run_again(app):
    app.config["JOB_RETRY_INTERVALS"] = (60,)  # the interrupted attempt was not the last
    with app.app_context():
        learner = make_learner(language=Language.EN)
        message = send_to_learner(db.session, learner, "welcome")
        job_id = db.session.scalar(select(Job.id).where(Job.args["message_id"].as_integer() == message.id))
        db.session.execute(Job.__table__.update().where(Job.id == job_id).values(
            status=JobStatus.RUNNING, started_at=utcnow() - dt.timedelta(hours=2), attempts=1))
        db.session.info.pop("guichet_pending_jobs", None)  # as if the process died before running it
        db.session.commit()
        message_id = message.id
    try:
        result = sweep(app)
    finally:
        app.config["JOB_RETRY_INTERVALS"] = ()
    assert result.recovered >= 1
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert (job.status, job.attempts) == (JobStatus.DONE, 2)
        assert db.session.get(Message, message_id).status == DeliveryStatus.OUTBOX
        db.session.remove()


@pytest.fixture(scope="module")
def dead_redis_app(pg_url):
    """Redis configured but down, for the jobs and for the rate limits (as in production)."""
    dead = "redis://127.0.0.1:1/0"
    return build_app(pg_url, REDIS_URL=dead, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=dead)


def test_health_says_what_works_without_personal_data(app, dead_redis_app):
    healthy = app.test_client().get("/health")
    assert healthy.status_code == 200 and healthy.headers["Cache-Control"] == "no-store"
    report = healthy.get_json()
    assert report["database"] == "ok" and report["status"] == "ok"
    assert set(report) <= {"status", "database", "redis", "queue", "queue_depth", "jobs_pending",
                           "oldest_pending_job_seconds"}
    down = dead_redis_app.test_client().get("/health")
    assert down.status_code == 503 and down.get_json()["redis"] == "down"


def test_the_monitor_cancels_after_a_confirmation_and_audits(demo_app):
    with demo_app.app_context():
        job = enqueue("expire_offers", run_at=utcnow() + dt.timedelta(days=3), as_of=None)
        db.session.commit()
        job_id = job.id
    client = demo_app.test_client()
    login(client, "admin", DEMO_PASSWORD)
    page = client.get("/jobs/monitor/?state=pending").get_data(as_text=True)
    assert f"/jobs/monitor/cancel/{job_id}" in page and "Faire expirer les offres de place" in page
    assert "as_of" not in page  # never a job's arguments
    confirm = client.get(f"/jobs/monitor/cancel/{job_id}")
    assert confirm.status_code == 200 and f'action="/jobs/monitor/cancel/{job_id}"' in confirm.get_data(as_text=True)
    assert client.post(f"/jobs/monitor/cancel/{job_id}").status_code == 302
    assert client.post(f"/jobs/monitor/cancel/{job_id}").status_code == 302  # refused politely the second time
    assert client.get("/jobs/monitor/cancel/99999999999999").status_code in (400, 404, 405)  # never 500
    assert client.get("/jobs/monitor/?state=failed&page=999999").status_code == 404
    with demo_app.app_context():
        assert db.session.get(Job, job_id).status == JobStatus.CANCELLED
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "Job",
                                                                     AuditEvent.object_id == str(job_id))).all()
        db.session.remove()
    assert actions == ["job.cancel"]
    learner_client = demo_app.test_client()
    with demo_app.app_context():
        account = make_account(demo_app)
        db.session.commit()
    login(learner_client, account["username"])
    assert learner_client.get("/jobs/monitor/").status_code in (302, 403)


def test_a_learner_sees_their_own_messages_only(demo_app):
    with demo_app.app_context():
        mine, other = make_account(demo_app), make_account(demo_app)
        from app.models import Learner

        for account, text in ((mine, "for me"), (other, "for someone else")):
            learner = db.session.get(Learner, account["learner_id"])
            send_to_learner(db.session, learner, "notice", {"text": text})
        db.session.commit()
    client = demo_app.test_client()
    login(client, mine["username"])
    page = client.get("/my/file/messages").get_data(as_text=True)
    assert "for me" in page and "for someone else" not in page
    assert client.get("/my/file/messages?page=50").status_code == 404


def placeholders(template: str) -> dict:
    subject, body = TEMPLATES[template]
    fields = {name for text in (str(subject), str(body))
              for _, name, _, _ in string.Formatter().parse(text) if name}
    return {name: f"<{name}>" for name in fields}


def test_every_template_reaches_each_learner_in_their_language_as_text_and_html(pg_url, smtp_server):  # noqa: F811
    controller, inbox = smtp_server
    mail_app = build_app(pg_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    with mail_app.app_context():
        learners = {language: make_learner(language=language) for language in Language}
        db.session.commit()
        for template in TEMPLATES:
            for learner in learners.values():
                send_to_learner(db.session, learner, template, {**placeholders(template), "name": "Amina"})
        db.session.commit()
        for template in TEMPLATES:
            subject, body = TEMPLATES[template]
            payload = {**placeholders(template), "name": "Amina"}
            expected = {}
            for language in Language:
                with force_locale(language.value):
                    expected[language] = (str(subject).format(**payload), str(body).format(**payload))
            assert expected[Language.FR] != expected[Language.EN], template
            for language, learner in learners.items():
                received = [m for m in inbox.messages if m["To"] == learner.email
                            and m["Subject"] == expected[language][0]]
                assert len(received) == 1, (template, language)
                email = received[0]
                assert email.get_content_type() == "multipart/alternative"
                assert email["Content-Language"] == language.value
                text = email.get_body(("plain",)).get_content()
                assert text.replace("\r\n", "\n").strip() == expected[language][1].strip()
                html = email.get_body(("html",)).get_content()
                assert f'lang="{language.value}"' in html and str(escape(expected[language][0])) in html, template


def test_rate_limits_counted_in_a_dead_redis_do_not_break_sign_up(dead_redis_app):
    """Production counts rate limits in Redis: while it is down, the limits count in memory."""
    from tests.test_accounts import sign_up

    limited = dead_redis_app
    with limited.app_context():
        from app.models import ClientCategory

        category = db.session.scalar(select(ClientCategory.id).limit(1))
        if category is None:
            category = ClientCategory(code="test-limits", name_fr="Essai", name_en="Test")
            db.session.add(category)
            db.session.commit()
            category = category.id
        db.session.remove()
    response = sign_up(limited.test_client(), category, f"limits.{utcnow().timestamp()}@example.org")
    assert response.status_code == 302
    assert limited.test_client().post("/login/", data={"username": "nobody", "password": "x"}).status_code in (200, 302)
