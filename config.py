"""Configuration classes: Default (embedded), Test, Production (read from the environment)."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEV_SECRET = "dev-only-secret-change-me"


class Config:
    """Embedded defaults: SQLite under instance/, jobs inline, e-mail kept in the outbox table."""

    APP_NAME = "Guichet Francisation"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'guichet.db'}")
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    REDIS_URL = os.environ.get("REDIS_URL")  # None: jobs run inline after commit
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "guichet")
    EMBEDDED_DUE_JOBS_EVERY = 30  # seconds; embedded mode runs due delayed jobs from requests

    MAIL_SERVER = os.environ.get("MAIL_SERVER")  # None: messages stay in the outbox table
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "false").lower() == "true"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Francisation Québec <ne-pas-repondre@francisation.example>")

    # Languages: French is the default and complete; English offered.
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "America/Montreal"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = {"fr": {"flag": "fr", "name": "Français"}, "en": {"flag": "gb", "name": "English"}}

    # Flask-AppBuilder
    FAB_BASE_TEMPLATE = "layout/base.html"
    FAB_SECURITY_MANAGER_CLASS = "app.security.GuichetSecurityManager"
    # Permissions are synced by `flask seed-roles` (a deploy step), never at process start,
    # and the schema comes only from Alembic migrations.
    FAB_UPDATE_PERMS = False
    FAB_CREATE_DB = False
    FAB_ADD_SECURITY_VIEWS = True
    FAB_API_SWAGGER_UI = True
    FAB_SAFE_REDIRECT_HOSTS = ["127.0.0.1", "localhost"]
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False
    # Login and password-reset attempts per client address (Flask-Limiter, through FAB's limiter);
    # the embedded mode counts in memory, production in Redis.
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = "10 per minute"
    RESET_RATE_LIMIT = "5 per minute"
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Lockout: this many failed logins in a row lock the account for LOCKOUT_MINUTES (support can lift it).
    LOCKOUT_THRESHOLD = 5
    LOCKOUT_MINUTES = 15
    # Staff sessions end after this much inactivity; every session ends PERMANENT_SESSION_LIFETIME after login.
    STAFF_IDLE_MINUTES = 30
    # Staff roles (app.services.access.STAFF_ROLES) must pass a TOTP code after the password.
    MFA_ISSUER = "Guichet Francisation"
    # Passwords set through FAB's screens follow the same policy as the learners' (ASVS 5: length, common list).
    FAB_PASSWORD_COMPLEXITY_ENABLED = True

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SECURE = False  # True in production (HTTPS only)
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = False
    # HTTPS: redirect plain HTTP and send Strict-Transport-Security (production only).
    FORCE_HTTPS = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    UPLOAD_DIR = str(INSTANCE_DIR / "documents")
    # Indicator exports prepared in the background (app/services/report_exports.py); shared by web and workers.
    EXPORT_DIR = str(INSTANCE_DIR / "exports")
    DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
    # Law 25: learner files closed this long are anonymised by the retention job (`flask retention run`).
    RETENTION_YEARS_AFTER_CLOSE = int(os.environ.get("RETENTION_YEARS_AFTER_CLOSE", "7"))
    # Public address printed on PDFs (verification URL); None: the address of the request.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")
    DEMO_PASSWORD = "Francisation-2026!"
    # Holidays without class besides the Québec statutory ones (app/services/class_days.py): English
    # names of the `holidays` package (CA/QC, government and optional categories), comma-separated in
    # the environment. Education observes Easter Monday as well as Good Friday.
    CLASS_FREE_HOLIDAYS = [name.strip() for name in os.environ.get("CLASS_FREE_HOLIDAYS", "Easter Monday").split(",")
                           if name.strip()]


class TestConfig(Config):
    """Used by pytest; the database URL is set by the fixtures for each engine."""

    TESTING = True
    SECRET_KEY = "test-secret-not-for-production-use-only"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    REDIS_URL = None
    MAIL_SERVER = None
    EMBEDDED_DUE_JOBS_EVERY = None
    WTF_CSRF_ENABLED = False
    # Tests log in hundreds of times from one address; the rate-limit tests turn it on.
    RATELIMIT_ENABLED = False


class ProductionConfig(Config):
    """Production: everything comes from the environment; refuses a missing or default secret."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    FORCE_HTTPS = os.environ.get("FORCE_HTTPS", "true").lower() == "true"
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")

    def __init__(self) -> None:
        secret = os.environ.get("SECRET_KEY", "")
        if not secret or secret == DEV_SECRET or len(secret) < 32:
            raise RuntimeError("SECRET_KEY must be set to a random value of at least 32 characters in production")
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("DATABASE_URL must be set in production")
        self.SECRET_KEY = secret
        self.SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]


def config_from_env():
    """The configuration named by APP_ENV ('production' or the embedded default)."""
    return ProductionConfig() if os.environ.get("APP_ENV") == "production" else Config


def normalise_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
