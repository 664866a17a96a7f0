"""Per-request cost of pages through the whole stack against a bare Flask app serving the same HTML.

In one process, no network: the anonymous home page and a catalogue search through the
application (session, guard, security headers, locale, FAB menu and permissions, SQL), and a bare
Flask app that renders the very HTML the application produced as its template (Jinja and WSGI
alone). Prints the median and p95 of ``PAGES_REPEAT`` requests, the ratio, and SQL statements.
PostgreSQL database ``guichet_bench_pages`` (demo at ``PAGES_SCALE``), dropped at the end.
"""
from __future__ import annotations

import os
import statistics
import time

from sqlalchemy import event

REPEAT = int(os.environ.get("PAGES_REPEAT", 200))
SCALE = int(os.environ.get("PAGES_SCALE", 1))
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


def run() -> None:
    import psycopg
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.access import seed_roles
    from app.services.demo import seed_demo
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
            statements: list[int] = []

            def listener(*args, statements=statements):
                statements.append(1)

            event.listen(engine, "before_cursor_execute", listener)
            client.get(url)
            event.remove(engine, "before_cursor_execute", listener)
            app_timings, size = timed(client, url)
            html = client.get(url).get_data(as_text=True).replace("{", "{{ '{' }}")
            bare_timings, _ = timed(bare_app(html).test_client(), "/page")
            (a50, a95), (b50, b95) = summary(app_timings), summary(bare_timings)
            print(f"{label:<34} app {a50:6.1f} ms (p95 {a95:6.1f}) {len(statements):2d} statements | "
                  f"bare Flask, same HTML {b50:5.2f} ms (p95 {b95:5.2f}) | {a50 / b50:5.1f}x  ({size // 1024} KiB)")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
