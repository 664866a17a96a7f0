"""Back office at scale: seed-demo time by scale, and the sections list at 10 vs 100 rows per page."""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from app.extensions import db
from config import TestConfig

SCALES = (1, 3)
REPEAT = 7


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
