"""Screenshots of the key pages at 1280 and 390 px wide, for docs/screenshots/ and the README.

Run by ``make screenshots``: a fresh SQLite database under a temporary folder is migrated and
loaded with the demo data, the app is served on a free loopback port, Debian's Chromium (through
Playwright) opens each page as the role that uses it, and a PNG is written per page and width.
"""
from __future__ import annotations

import socket
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"
WIDTHS = (1280, 390)
# (file name, role or None for a visitor, path, what to do before the picture)
PAGES = [
    ("home", None, "/", None),
    ("catalogue", None, "/catalogue/", None),
    ("timetable-availability", "learner", "/my/timetable/availability", None),
    ("timetable-builder", "learner", "/my/timetable/", "generate"),
    ("my-courses", "learner", "/my/enrolments/", None),
    ("training-record", "learner", "/my/file/training", None),
    ("agent-queue", "agent", "/agent/desk/", None),
    ("partner-groups", "partner", "/partner/groups/", None),
    ("help-desk", "support", "/support/?q=a", None),
    ("reports", "analyst", "/reports/", None),
    ("back-office-list", "admin", "/sectionview/list/", None),
]


def serve(app) -> tuple[str, object]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}", server


def build_app(folder: Path):
    from app.extensions import db
    from app.demo import seed_demo
    from tests.conftest import build_app as migrated_app

    app = migrated_app(f"sqlite:///{folder / 'screenshots.db'}", RATELIMIT_ENABLED=False)
    with app.app_context():
        seed_demo(db.session, app.appbuilder, scale=1)
        db.session.remove()
    return app


def session_cookie(app, role: str) -> str:
    from tests.conftest import login

    client = app.test_client()
    login(client, role)
    return client.get_cookie("session").value


def generate(page) -> None:
    """Generate the timetables of one course offered (the first that gives some) and show them."""
    start = page.url
    for index in range(page.locator(".gf-tt-course input[type=checkbox]").count()):
        if index:
            page.goto(start)
        page.locator(".gf-tt-course input[type=checkbox]").nth(index).check()
        with page.expect_navigation():
            page.click("button[name=generate]")
        if page.locator(".gf-tt-schedule").count():
            return


def main() -> int:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(Path(folder))
        base, server = serve(app)
        cookies = {role: session_cookie(app, role) for role in {p[1] for p in PAGES if p[1]}}
        written = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            for name, role, path, before in PAGES:
                for width in WIDTHS:
                    context = browser.new_context(locale="fr-CA", viewport={"width": width, "height": 900})
                    if role:
                        context.add_cookies([{"name": "session", "value": cookies[role], "url": base}])
                    page = context.new_page()
                    response = page.goto(base + path)
                    if response is None or response.status != 200:
                        print(f"skipped {name}: {path} answered {response.status if response else 'nothing'}")
                        context.close()
                        break
                    if before == "generate":
                        generate(page)
                    target = OUT / f"{name}-{width}.png"
                    page.screenshot(path=str(target), full_page=False)
                    written.append(target.relative_to(ROOT))
                    context.close()
            browser.close()
        server.shutdown()
    print("\n".join(str(path) for path in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
