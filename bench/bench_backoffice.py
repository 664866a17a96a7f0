"""Back office at scale: seed-demo time by scale, the sections list at 10 vs 100 rows per page, and
every generated list and add form at ``BACKOFFICE_SCALE`` on PostgreSQL.

The last part builds its own PostgreSQL database ``guichet_bench_backoffice_<scale>``, seeds the
demo at ``BACKOFFICE_SCALE`` (20 by default: 6,000 learners; the issue's scale 200 — 60,000
learners, 600,000 attendance rows — takes the demo generator 15 to 50 minutes here, so keep it
with ``BACKOFFICE_KEEP_DB=1`` and measure it again without seeding) and opens, as the Admin, the
first page of every generated list and every add form ``BACKOFFICE_REPEAT`` (10) times: median,
p95 and SQL statements of each, the slowest first. ``BACKOFFICE_SCALE=0`` skips it.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import os

from sqlalchemy import event

from app.extensions import db
from config import TestConfig

SCALES = (1, 3)
REPEAT = 7
PG_SCALE = int(os.environ.get("BACKOFFICE_SCALE", 20))
KEEP_DB = bool(os.environ.get("BACKOFFICE_KEEP_DB"))
PG_REPEAT = int(os.environ.get("BACKOFFICE_REPEAT", 10))
PG = os.environ.get("RUSH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
DATABASE = f"guichet_bench_backoffice_{PG_SCALE}"


def build(url: str):
    from flask_migrate import upgrade

    from app import create_app
    from app.services.access import seed_roles

    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    app = create_app(config)
    with app.app_context():
        upgrade()
        seed_roles(app.appbuilder)
    return app


def seed_seconds(app, scale: int) -> float:
    from app.demo import seed_demo

    with app.app_context():
        started = time.perf_counter()
        seed_demo(db.session, app.appbuilder, scale=scale)
        return time.perf_counter() - started


_ADMIN_CLIENTS: dict = {}


def admin_client(app):
    """A test client logged in as the demo admin, second factor enrolled through the pages (once per app)."""
    import re

    import pyotp

    if id(app) not in _ADMIN_CLIENTS:
        client = app.test_client()
        client.post("/login/", data={"username": "admin", "password": app.config["DEMO_PASSWORD"]})
        page = client.get("/mfa/setup").get_data(as_text=True)
        secret = re.search(r'data-secret="([A-Z2-7]+)"', page).group(1)
        client.post("/mfa/setup", data={"code": pyotp.TOTP(secret).now()})
        _ADMIN_CLIENTS[id(app)] = client
    return _ADMIN_CLIENTS[id(app)]


def list_page(app, rows: int) -> tuple[float, int]:
    """Median milliseconds and SQL statements for the sections list as Admin."""
    client = admin_client(app)
    url = f"/sectionview/list/?psize_SectionView={rows}"
    with app.app_context():
        engine = db.engine
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    timings = []
    for _ in range(REPEAT):
        statements.clear()
        event.listen(engine, "before_cursor_execute", listener)
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        event.remove(engine, "before_cursor_execute", listener)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings), len(statements)


def run() -> None:
    if PG_SCALE:
        run_postgresql()
    with tempfile.TemporaryDirectory() as tmp:
        for scale in SCALES:
            app = build(f"sqlite:///{Path(tmp) / f'bench_{scale}.db'}")
            seconds = seed_seconds(app, scale)
            print(f"sqlite  seed-demo --scale {scale}: {seconds:6.2f} s")
            again = seed_seconds(app, scale)
            print(f"sqlite  seed-demo --scale {scale} again (idempotent, no change): {again:6.2f} s")
            small_ms, small_q = list_page(app, 10)
            large_ms, large_q = list_page(app, 100)
            print(f"sqlite  sections list, scale {scale}:  10 rows {small_ms:7.1f} ms {small_q:3d} queries | "
                  f"100 rows {large_ms:7.1f} ms {large_q:3d} queries | time ratio {large_ms / small_ms:4.2f}, "
                  f"query ratio {large_q / small_q:4.2f}")


def generated_pages(app) -> list[str]:
    """The first page of every generated list and every add form the Admin may open."""
    from flask_appbuilder import ModelView

    urls = []
    with app.test_request_context():
        from flask import url_for

        for view in app.appbuilder.baseviews:
            if not isinstance(view, ModelView):
                continue
            for action in ("list", "add"):
                if action in view.base_permissions or f"can_{action}" in view.base_permissions:
                    try:
                        urls.append(url_for(f"{view.endpoint}.{action}"))
                    except Exception:  # noqa: BLE001  (a view without that route)
                        continue
    return sorted(set(urls))


def measure(app, url: str, repeat: int) -> tuple[float, float, int, int]:
    """Median and p95 milliseconds, statements and status of ``url`` as the Admin."""
    client = admin_client(app)
    with app.app_context():
        engine = db.engine
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    status = client.get(url).status_code
    event.remove(engine, "before_cursor_execute", listener)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)], len(statements), status


def run_postgresql() -> None:
    import psycopg

    admin = PG.replace("+psycopg", "") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        reuse = KEEP_DB and exists is not None
        if not reuse:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    try:
        app = build(f"{PG}/{DATABASE}")
        if reuse:
            seconds = 0.0
            with app.app_context():  # the Admin enrols a new second factor through the pages
                from app.models import AccountSecurity

                db.session.query(AccountSecurity).delete()
                db.session.commit()
        else:
            seconds = seed_seconds(app, PG_SCALE)
        with app.app_context():
            from sqlalchemy import func, select

            from app.models import Enrolment, Learner, Section

            counts = {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                      for model in (Learner, Section, Enrolment)}
            db.session.remove()
        seeded = "kept from an earlier run" if reuse else f"seeded in {seconds:6.1f} s"
        print(f"postgresql demo at scale {PG_SCALE}, {seeded} ({counts['Learner']} learners, "
              f"{counts['Section']} sections, {counts['Enrolment']} enrolments); {PG_REPEAT} requests per page")
        rows = [(url, *measure(app, url, PG_REPEAT)) for url in generated_pages(app)]
        rows.sort(key=lambda row: -row[2])
        over = [row for row in rows if row[3] > 10 or row[2] > 150]
        for url, median, p95, statements, status in rows:
            print(f"  {url:<44} {median:7.1f} ms (p95 {p95:7.1f}) {statements:3d} statements  {status}")
        print(f"  {len(rows)} pages; most statements {max(row[3] for row in rows)}; slowest p95 "
              f"{max(row[2] for row in rows):.1f} ms; over 10 statements or 150 ms p95: {len(over)}")
        with app.app_context():
            db.engine.dispose()
    finally:
        if not KEEP_DB:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
