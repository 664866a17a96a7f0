"""Command-line commands: roles, reference data, demo data, the job worker, translations, allowances and
payments, retention."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .extensions import db

ROOT = Path(__file__).resolve().parent.parent


def register_cli(app: Flask) -> None:
    """Attach the project's commands to ``flask``."""
    for command in (seed_roles, seed_reference, seed_demo, demo_accounts, worker, jobs, translations, allowances,
                    retention, offers, reminders, purge):
        app.cli.add_command(command)


@click.command("seed-roles")
@with_appcontext
def seed_roles() -> None:
    """Sync FAB permissions and the role matrix declared in app.services.access."""
    from .services.access import seed_roles as do_seed

    counts = do_seed(current_app.appbuilder)
    click.echo(f"roles seeded: {counts}")


@click.command("seed-reference")
@with_appcontext
def seed_reference() -> None:
    """Load the reference rows the rules read by code (regions, client categories, immigration statuses,
    income supports, course fields); running it again changes nothing."""
    from .services.reference_data import ensure_reference_data

    rows = ensure_reference_data(db.session)
    db.session.commit()
    click.echo("reference data: " + ", ".join(f"{k}={v}" for k, v in rows.counts().items()))


@click.command("seed-demo")
@click.option("--scale", default=1, show_default=True, type=click.IntRange(1, 200),
              help="Multiply learners and sections (for benchmarks).")
@click.option("--if-empty", is_flag=True,
              help="Only on a database without any partner yet (first start; reference data alone does not count).")
@with_appcontext
def seed_demo(scale: int, if_empty: bool) -> None:
    """Load realistic bilingual demo data; running it again changes nothing."""
    from .demo import seed_demo as do_seed
    from .models import Partner

    if if_empty and db.session.query(Partner.id).first() is not None:
        click.echo("demo data: already loaded")
        return

    counts = do_seed(db.session, current_app.appbuilder, scale=scale)
    click.echo("demo data: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


@click.command("demo-accounts")
@with_appcontext
def demo_accounts() -> None:
    """Print the demo accounts (one per role) and their password."""
    from .demo import DEMO_ACCOUNTS

    password = current_app.config["DEMO_PASSWORD"]
    click.echo("\nGuichet Francisation — http://127.0.0.1:5000")
    click.echo("Comptes de démonstration / demo accounts (mot de passe / password: %s)" % password)
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account['role']:<14} {account['username']}")
    click.echo("Personnel : à la première connexion, configurez le second facteur (code QR, application "
               "d'authentification).\nStaff: at the first login, set up the second factor (QR code, "
               "authenticator app).")
    click.echo("")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run an rq worker on the project's queue (needs REDIS_URL); it also sweeps and runs the schedule."""
    from .jobs.sweeper import requeue_pending
    from .jobs.rq_worker import make_worker

    if not current_app.config.get("REDIS_URL"):
        raise click.UsageError("REDIS_URL is not set: jobs already run inline after each commit.")
    import signal
    import time

    app = current_app._get_current_object()
    click.echo(f"re-queued {requeue_pending(app)} pending job(s)")
    while True:  # rq quits on some Redis errors between jobs: start again, the database keeps the work
        rq_worker = None
        # between two rq runs a stop signal ends the command at once (rq installs its own handlers)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            rq_worker = make_worker(app)
            db.engine.dispose()  # each forked work horse opens its own connections
            rq_worker.work(burst=burst, with_scheduler=True)
        except Exception as exc:  # noqa: BLE001 - Redis gone during start or teardown
            click.echo(f"worker stopped ({type(exc).__name__}); starting again when Redis answers", err=True)
        if burst or (rq_worker is not None and (rq_worker.stop_asked or rq_worker._stop_requested)):
            return
        time.sleep(2)


@click.group("jobs")
def jobs() -> None:
    """Inspect and re-queue background jobs; the schedule."""


@jobs.command("requeue")
@with_appcontext
def jobs_requeue() -> None:
    """Push again every job whose push to Redis did not happen (status pending)."""
    from .jobs.sweeper import requeue_pending

    click.echo(f"re-queued {requeue_pending(current_app._get_current_object())} pending job(s)")


@jobs.command("run-due")
@with_appcontext
def jobs_run_due() -> None:
    """Embedded mode: run the delayed jobs whose time has come (e.g. from cron every minute)."""
    from .jobs import run_due_jobs

    click.echo(f"ran {run_due_jobs(current_app._get_current_object())} due job(s)")


@jobs.command("tick")
@with_appcontext
def jobs_tick() -> None:
    """One round of what the worker does on its own: recover stuck jobs, push overdue ones, enqueue
    the scheduled work that is due (and, embedded, run the due jobs)."""
    from .jobs.sweeper import tick

    summary = tick(current_app._get_current_object())
    click.echo("tick: " + ", ".join(f"{k}={v}" for k, v in summary.items()))


@jobs.command("schedule")
@with_appcontext
def jobs_schedule() -> None:
    """List the scheduled work, its cadence and its latest occurrence."""
    from .jobs.schedule import SCHEDULE
    from .models import Job
    from .models.base import utcnow

    now = utcnow()
    for item in SCHEDULE:
        slot = item.latest_slot(now)
        job = db.session.scalar(db.select(Job).where(Job.key == item.key(slot)))
        state = job.status.value if job else "not enqueued yet"
        click.echo(f"  {item.name:<22} {item.task:<28} {item.cadence():<32} {slot:%Y-%m-%d %H:%M}Z {state}")


@click.group("offers")
def offers() -> None:
    """Seat offers made from waiting lists."""


@offers.command("expire")
@with_appcontext
def offers_expire() -> None:
    """Expire the seat offers not accepted in time; each seat goes to the next person in line."""
    from .models.base import utcnow
    from .services.enrolment import expire_offers

    expired = expire_offers(db.session, now=utcnow())
    db.session.commit()
    click.echo(f"expired {expired} offer(s)")


@click.group("reminders")
def reminders() -> None:
    """Messages sent ahead of time to learners."""


@reminders.command("class-start")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day of the run (default: today in Montréal).")
@with_appcontext
def reminders_class_start(today) -> None:
    """Remind the learners whose class starts within REMINDER_DAYS_BEFORE_START days (once each)."""
    from .services.reminders import send_class_start_reminders
    from .services.service_clock import montreal_today

    sent = send_class_start_reminders(db.session, today.date() if today else montreal_today(),
                                      current_app.config["REMINDER_DAYS_BEFORE_START"])
    db.session.commit()
    click.echo(f"sent {sent} class-start reminder(s)")


@click.group("purge")
def purge() -> None:
    """Delete what has no use any more."""


@purge.command("run")
@with_appcontext
def purge_run() -> None:
    """Delete used or expired account links, old sessions and old finished jobs (SESSION_KEEP_DAYS)."""
    from .models.base import utcnow
    from .services.purge import purge_expired

    counts = purge_expired(db.session, utcnow(), current_app.config["SESSION_KEEP_DAYS"])
    db.session.commit()
    click.echo("purged: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


@click.command("translations")
def translations() -> None:
    """Extract, update and compile the message catalogues with pybabel; fails on any error."""
    pybabel = str(Path(sys.executable).with_name("pybabel"))
    steps = [
        [pybabel, "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
         "--sort-output", "-o", "translations/messages.pot", "."],
        [pybabel, "update", "-i", "translations/messages.pot", "-d", "translations", "--no-fuzzy-matching",
         "--ignore-obsolete"],
        [pybabel, "compile", "-d", "translations", "--statistics"],
    ]
    for step in steps:
        click.echo("$ " + " ".join(step[1:3]))
        if subprocess.run(step, cwd=ROOT).returncode != 0:
            raise click.ClickException(f"pybabel {step[1]} failed")


@click.group("allowances")
def allowances() -> None:
    """Allowance rules, weekly allowances and payment batches."""


def _week_option(function):
    return click.option("--week", "week", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
                        help="Any day of the week (YYYY-MM-DD); weeks run Monday to Sunday.")(function)


@allowances.command("rules")
@with_appcontext
def allowances_rules() -> None:
    """Create the standard allowance rules that are missing (running it again changes nothing)."""
    from .services.allowances import ensure_standard_rules

    rules = ensure_standard_rules(db.session)
    db.session.commit()
    for rule in rules:
        click.echo(f"  #{rule.id:<4} {rule.kind.value:<14} {rule.format.value:<10} {rule.amount:>8} "
                   f"{rule.unit.value:<10} {rule.valid_from} .. {rule.valid_to or ''}")


@allowances.command("build")
@_week_option
@with_appcontext
def allowances_build(week) -> None:
    """Compute the week's allowances from the attendance (no payment)."""
    from .services.allowances import AllowanceError, build_allowances, week_of

    monday = week_of(week.date())
    try:
        result = build_allowances(db.session, monday)
    except AllowanceError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"week of {monday}: " + ", ".join(f"{k}={v}" for k, v in result.as_dict().items()))


@allowances.command("batch")
@_week_option
@click.option("--paid-on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date of the payments (default: today); it must come after the end of the week.")
@with_appcontext
def allowances_batch(week, paid_on) -> None:
    """Run the weekly payment batch: compute the week, then pay what is owed up to its end."""
    import datetime as dt

    from .services.allowances import AllowanceError, run_weekly_batch, week_of

    try:
        result = run_weekly_batch(db.session, week_of(week.date()), paid_on.date() if paid_on else dt.date.today())
    except AllowanceError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo("payment batch: " + ", ".join(f"{k}={v}" for k, v in result.items()))


@click.group("retention")
def retention() -> None:
    """Law 25 retention: anonymise learner files closed long enough, purge expired incident entries."""


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Only count what would be anonymised and purged; change nothing.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day of the run (default: today in Montréal).")
@with_appcontext
def retention_run(dry_run: bool, today) -> None:
    """Anonymise the files closed for more than RETENTION_YEARS_AFTER_CLOSE years (irreversible)."""
    from .services.retention import anonymise_closed_files
    from .services.service_clock import montreal_today

    years = current_app.config["RETENTION_YEARS_AFTER_CLOSE"]
    summary = anonymise_closed_files(db.session, today.date() if today else montreal_today(), years,
                                     dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would anonymise" if dry_run else "anonymised"
    click.echo(f"retention ({years} years, activity before {summary.cutoff}): {verb} {summary.anonymised} "
               f"learner file(s) ({summary.documents_deleted} stored document(s)); incident register entries past "
               f"their keeping period: {summary.incidents_purged}")
