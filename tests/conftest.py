"""Shared fixtures: one migrated database per engine, real PostgreSQL and Redis.

PostgreSQL is the default engine; ``sqlite_app`` and the ``engine_app`` parameter give SQLite
too. A missing service skips the tests that need it, with the reason, except under CI=true
where it is a failure.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, text

from app import create_app
from app.extensions import db
from config import TestConfig

PG_SERVER = os.environ.get("TEST_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")


def _per_worker(redis_url: str) -> str:
    """Under pytest-xdist each worker gets its own Redis database (15, 14, …): tests flush theirs."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return redis_url
    base, _, number = redis_url.rpartition("/")
    return f"{base}/{int(number) - int(worker[2:])}"


REDIS_URL = _per_worker(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
IN_CI = os.environ.get("CI", "").lower() == "true"
DEMO_PASSWORD = TestConfig.DEMO_PASSWORD


def pytest_sessionstart(session):
    """Compile the message catalogues (the .mo files are build products, not in git); once, in the
    main process, before any pytest-xdist worker starts."""
    if hasattr(session.config, "workerinput"):
        return
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    pybabel = Path(sys.executable).with_name("pybabel")
    done = subprocess.run([str(pybabel), "compile", "-f", "-d", str(root / "translations")],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pybabel compile failed:\n{done.stderr}")


def require(available: bool, reason: str) -> None:
    """Skip with the reason, or fail under CI=true where every service must be there."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def postgres_available() -> tuple[bool, str]:
    try:
        engine = create_engine(f"{PG_SERVER}/postgres", connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True, ""
    except Exception as exc:  # any connection failure means "not available here"
        return False, f"PostgreSQL not reachable at {PG_SERVER} ({type(exc).__name__})"


def redis_available() -> tuple[bool, str]:
    try:
        from redis import Redis

        Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
        return True, ""
    except Exception as exc:
        return False, f"Redis not reachable at {REDIS_URL} ({type(exc).__name__})"


def build_app(database_url: str, **overrides):
    """A test app on a fresh database: migrated by Alembic, permissions and roles seeded."""
    from flask_migrate import upgrade

    from app.services.access import seed_roles

    import tempfile

    # each app its own mail folder: message ids of different test databases would collide
    overrides.setdefault("MAIL_FILE_DIR", tempfile.mkdtemp(prefix="guichet-test-mail-"))
    config = type("BoundTestConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})
    app = create_app(config)
    with app.app_context():
        upgrade()
        seed_roles(app.appbuilder)
        db.session.remove()
    return app


def delivered_email(app, message_id: int):
    """The e-mail as delivered (embedded mode: the ``.eml`` file of the local mail folder) of a
    stored message, or None when it was not delivered there."""
    from email import message_from_bytes
    from email.policy import default

    from app.services.messaging import mail_folder

    with app.app_context():
        files = sorted(mail_folder().glob(f"{message_id:08d}-*.eml"))
    return message_from_bytes(files[-1].read_bytes(), policy=default) if files else None


@contextmanager
def count_queries(app):
    """The SQL statements the application sends while the block runs (query-count tests)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def fresh_pg_database():
    """Create an empty PostgreSQL database; yields its URL and drops it afterwards."""
    ok, reason = postgres_available()
    require(ok, reason)
    name = f"gf_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{PG_SERVER}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_url():
    yield from fresh_pg_database()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'guichet.db'}"


@pytest.fixture(scope="session")
def app(pg_url):
    """The application on PostgreSQL (the default engine of the suite)."""
    application = build_app(pg_url)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_app(sqlite_url):
    application = build_app(sqlite_url)
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session", params=["postgresql", "sqlite"])
def engine_app(request):
    """The application on each engine in turn."""
    return request.getfixturevalue("app" if request.param == "postgresql" else "sqlite_app")


def _seeded(application):
    from app.demo import seed_demo

    with application.app_context():
        if not application.config.get("_DEMO_SEEDED"):
            seed_demo(db.session, application.appbuilder, scale=1)
            application.config["_DEMO_SEEDED"] = True
        db.session.remove()
    return application


@pytest.fixture(scope="session")
def demo_app(app):
    """PostgreSQL app with the demo data loaded once for the session."""
    return _seeded(app)


@pytest.fixture(scope="session")
def demo_sqlite_app(sqlite_app):
    return _seeded(sqlite_app)


@pytest.fixture(scope="session", params=["postgresql", "sqlite"])
def demo_engine_app(request):
    """Demo-seeded application on each engine in turn."""
    return request.getfixturevalue("demo_app" if request.param == "postgresql" else "demo_sqlite_app")


@pytest.fixture
def redis_url():
    ok, reason = redis_available()
    require(ok, reason)
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()
    yield REDIS_URL
    Redis.from_url(REDIS_URL).flushdb()


def pass_second_factor(client, username: str):
    """After a staff account's password: pass the second factor through the real pages (enrol at
    the first login, a TOTP code computed from the stored secret afterwards). Nothing happens for
    an account that needs no second factor. Returns the last response."""
    import re

    import pyotp

    probe = client.get("/mfa/verify")
    location = probe.headers.get("Location", "")
    if probe.status_code == 302 and "/mfa/setup" in location:
        page = client.get("/mfa/setup").get_data(as_text=True)
        secret = re.search(r'data-secret="([A-Z2-7]+)"', page).group(1)
        response = client.post("/mfa/setup", data={"code": pyotp.TOTP(secret).now()})
        assert response.status_code == 200 and "gf-recovery-codes" in response.get_data(as_text=True), \
            "second-factor enrolment failed"
        return response
    if probe.status_code != 200:
        return probe  # no second factor needed, or already passed
    from app.models import AccountSecurity
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import select

    with client.application.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        row = db.session.get(AccountSecurity, user_id)
        # tests log the same account in many times within one 30-second step: a code is
        # accepted once, so let this login's code count as new
        row.totp_last_step = None
        db.session.commit()
        secret = row.totp_secret
        db.session.remove()
    response = client.post("/mfa/verify", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302, "second factor refused"
    return response


def login(client, username: str, password: str = DEMO_PASSWORD, **extra):
    """Log in through the real login form, then pass the second factor when the account needs one.
    Returns the login form's response."""
    response = client.post("/login/", data={"username": username, "password": password, **extra})
    if response.status_code == 302 and "/login" not in response.headers.get("Location", ""):
        pass_second_factor(client, username)
    return response


def minted_token(app, username: str) -> dict:
    """The Authorization header of a JWT made directly for ``username``: staff accounts cannot get
    one from the API's password login (it has no second-factor step), yet a token they hold by any
    other means must still be refused where the learner API is concerned."""
    from flask_appbuilder.security.sqla.models import User
    from flask_jwt_extended import create_access_token
    from sqlalchemy import select

    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        token = create_access_token(identity=str(user_id), fresh=True)
        db.session.remove()
    return {"Authorization": f"Bearer {token}"}


class Auth:
    """Log a test client in and out through the real login form (and second factor)."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = DEMO_PASSWORD):
        response = login(self.client, username, password)
        assert response.status_code in (200, 302), response.status_code
        return response

    def logout(self):
        return self.client.get("/logout/")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture(scope="module")
def own_demo_app():
    """A demo application on a database of its own, for tests that read every row of a page and
    must see the demo data only, not the rows other test files added to the shared one."""
    databases = fresh_pg_database()
    application = _seeded(build_app(next(databases)))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    next(databases, None)
