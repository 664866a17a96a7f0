"""Application factory: ``create_app(config)`` builds the app in small named steps."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import csrf, db, migrate

BASE_DIR = Path(__file__).resolve().parent.parent


def create_app(config=None) -> Flask:
    """Build the Guichet Francisation application for a config class or object."""
    app = Flask(__name__, instance_path=str(BASE_DIR / "instance"))
    configure_app(app, config)
    configure_database(app)
    with app.app_context():
        configure_appbuilder(app)
        configure_i18n(app)
        configure_views(app)
        configure_api(app)
    configure_jobs(app)
    configure_audit(app)
    configure_auth(app)
    configure_web_security(app)
    configure_cli(app)
    return app


def configure_app(app: Flask, config) -> None:
    from config import config_from_env, host_of, load_or_create_secret_key, normalise_database_url

    app.config.from_object(config if config is not None else config_from_env())
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    configure_crafted_input(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        # embedded mode: a random key of this installation, kept in instance/ (never the public default)
        key_file = app.config.get("SECRET_KEY_FILE") or Path(app.instance_path) / "secret_key"
        app.config["SECRET_KEY"] = load_or_create_secret_key(Path(key_file))
    base_url = (app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if not base_url:
        raise RuntimeError("PUBLIC_BASE_URL must be set: every e-mailed link is built from it")
    app.config["PUBLIC_BASE_URL"] = base_url
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = list(dict.fromkeys([host_of(base_url), "127.0.0.1", "localhost"]))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # FAB warns, for every view at every start, that time-of-day columns have no search filter.
    logging.getLogger("flask_appbuilder.models.filters").setLevel(logging.ERROR)


def configure_crafted_input(app: Flask) -> None:
    """Bounded ``int`` converters (before any route is added) and the guard against crafted input."""
    from . import crafted_input

    crafted_input.init_app(app)


def configure_database(app: Flask) -> None:
    from . import models  # noqa: F401  (registers every table on the metadata)
    from .services import waiting_list

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    waiting_list.install()  # every path that frees a seat serves the waiting list first


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def configure_appbuilder(app: Flask) -> None:
    from .views.index import GuichetIndexView

    AppBuilder(app, db.session, indexview=GuichetIndexView, base_template=app.config["FAB_BASE_TEMPLATE"])


def configure_i18n(app: Flask) -> None:
    from . import i18n

    i18n.init_app(app)


def configure_views(app: Flask) -> None:
    """Every screen (app/views/__init__.py lists them in menu order), the error pages, ``/health``."""
    from . import crafted_input
    from .views import errors, health, register_views

    from .services.public_links import public_url

    register_views(app.appbuilder)
    errors.init_app(app)
    app.jinja_env.globals["public_url"] = public_url
    crafted_input.install_error_handlers(app)
    health.init_app(app)


def configure_api(app: Flask) -> None:
    """The REST APIs (app/api/): added, exempt from CSRF (JWT bearer tokens), errors as the spec says."""
    from . import api

    api.init_app(app)


def configure_jobs(app: Flask) -> None:
    from .jobs import init_app as init_jobs
    from .jobs import tasks  # noqa: F401  (registers the task functions by name)

    init_jobs(app)


def configure_audit(app: Flask) -> None:
    from .services import audit

    audit.install()


def configure_auth(app: Flask) -> None:
    from . import auth

    auth.init_app(app)


def configure_web_security(app: Flask) -> None:
    from . import web_security

    web_security.init_app(app)


def configure_cli(app: Flask) -> None:
    from .cli import register_cli

    register_cli(app)
