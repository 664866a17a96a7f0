"""Per-request cost of pages through the whole stack against a bare Flask app serving the same HTML.

In one process, no network: the anonymous home page and a catalogue search through the
application (session, guard, security headers, locale, FAB menu and permissions, SQL), and a bare
Flask app that renders the very HTML the application produced as its template (Jinja and WSGI
alone). Prints the median and p95 of ``PAGES_REPEAT`` requests, the ratio, and SQL statements.
Then the sections are copied (set-based SQL, with their meetings) until the database holds
``PAGES_SECTIONS`` (5,000) and the catalogue is measured again: first page, text search, and
filters by level, day and region. PostgreSQL database ``guichet_bench_pages`` (demo at
``PAGES_SCALE``), dropped at the end.
"""
from __future__ import annotations

import os
import statistics
import time

from sqlalchemy import event, select

REPEAT = int(os.environ.get("PAGES_REPEAT", 200))
SCALE = int(os.environ.get("PAGES_SCALE", 1))
SECTIONS = int(os.environ.get("PAGES_SECTIONS", 5000))
DATABASE = "guichet_bench_pages"
PG = os.environ.get("RUSH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


def timed(client, url: str) -> tuple[list[float], int]:
    for _ in range(5):
        client.get(url)  # warm: templates compiled, pools filled
    timings = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return timings, len(response.get_data())


def bare_app(html: str):
    from flask import Flask, render_template_string

    bare = Flask("bare")

    @bare.get("/page")
    def page():
        return render_template_string(html)

    return bare


def summary(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def grow_sections(session, target: int) -> int:
    """Copy every section (and its meetings) into the same term under a new code until the
    database holds at least ``target`` sections; returns how many it holds."""
    from sqlalchemy import func, select, text

    from app.models import Section

    existing = session.scalar(select(func.count()).select_from(Section))
    copies = max(0, -(-(target - existing) // existing))  # ceiling
    if copies:
        columns = [c.name for c in Section.__table__.columns if c.name not in ("id", "code", "seats_taken")]
        listed = ", ".join(columns)
        session.execute(text(f"INSERT INTO section (code, seats_taken, {listed}) "
                             f"SELECT s.code || '~' || g, 0, {', '.join('s.' + c for c in columns)} "
                             "FROM section s CROSS JOIN generate_series(1, :copies) g"), {"copies": copies})
        session.execute(text("INSERT INTO meeting (section_id, weekday, starts_at, ends_at, room) "
                             "SELECT n.id, m.weekday, m.starts_at, m.ends_at, m.room FROM section n "
                             "JOIN section o ON o.term_id = n.term_id AND o.code = split_part(n.code, '~', 1) "
                             "JOIN meeting m ON m.section_id = o.id WHERE n.code LIKE '%~%'"))
        session.commit()
        session.execute(text("ANALYZE section"))
        session.execute(text("ANALYZE meeting"))
        session.commit()  # statistics written by ANALYZE are rolled back with an open transaction
    return session.scalar(select(func.count()).select_from(Section))


def statements_of(client, engine, url: str) -> int:
    statements: list[int] = []

    def listener(*args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", listener)
    client.get(url)
    event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def run() -> None:
    import psycopg
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.access import seed_roles
    from app.demo import seed_demo
    from config import TestConfig

    admin = PG.replace("+psycopg", "") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    try:
        config = type("PagesConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"{PG}/{DATABASE}",
                                                     "WTF_CSRF_ENABLED": True})
        app = create_app(config)
        with app.app_context():
            upgrade()
            seed_roles(app.appbuilder)
            counts = seed_demo(db.session, app.appbuilder, scale=SCALE)
            engine = db.engine
        print(f"demo at scale {SCALE}: {counts['sections']} sections; {REPEAT} requests per page, in-process")
        client = app.test_client()
        for label, url in (("home page (visitor)", "/"), ("catalogue, first page (visitor)", "/catalogue/"),
                           ("catalogue, text search (visitor)", "/catalogue/?q=fran")):
            count = statements_of(client, engine, url)
            app_timings, size = timed(client, url)
            html = client.get(url).get_data(as_text=True).replace("{", "{{ '{' }}")
            bare_timings, _ = timed(bare_app(html).test_client(), "/page")
            (a50, a95), (b50, b95) = summary(app_timings), summary(bare_timings)
            print(f"{label:<34} app {a50:6.1f} ms (p95 {a95:6.1f}) {count:2d} statements | "
                  f"bare Flask, same HTML {b50:5.2f} ms (p95 {b95:5.2f}) | {a50 / b50:5.1f}x  ({size // 1024} KiB)")
        if SECTIONS:
            from app.models import Region

            with app.app_context():
                total = grow_sections(db.session, SECTIONS)
                region = db.session.scalar(select(Region.id).order_by(Region.id))
            print(f"catalogue with {total} sections in the database:")
            for label, url in (("first page", "/catalogue/"), ("text search", "/catalogue/?q=fran"),
                               ("level 5, Tuesday", "/catalogue/?level=5&weekday=2"),
                               ("one region", f"/catalogue/?region={region}"),
                               ("page 10", "/catalogue/?page=10")):
                count = statements_of(client, engine, url)
                timings, _ = timed(client, url)
                median, p95 = summary(timings)
                print(f"  {label:<32} app {median:6.1f} ms (p95 {p95:6.1f}) {count:2d} statements")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
