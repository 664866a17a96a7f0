"""Configuration classes: Default (embedded), Test, Production (read from the environment)."""
from __future__ import annotations

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEV_SECRET = "dev-only-secret-change-me"
EMBEDDED_BASE_URL = "http://127.0.0.1:5000"


def _host_list(value: str | None) -> list[str] | None:
    """TRUSTED_HOSTS from a comma-separated environment value (None: not set)."""
    if not value:
        return None
    return [host.strip() for host in value.split(",") if host.strip()]


def host_of(base_url: str) -> str:
    """The host name of a base URL (no port), the first entry of TRUSTED_HOSTS."""
    from urllib.parse import urlsplit

    return urlsplit(base_url).hostname or ""


class Config:
    """Embedded defaults: SQLite under instance/, jobs inline, e-mails written to instance/mail/."""

    APP_NAME = "Guichet Francisation"
    # Embedded mode without SECRET_KEY: a random key is generated into SECRET_KEY_FILE (instance/
    # secret_key, mode 600) on first start and reused (``load_or_create_secret_key``).
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SECRET_KEY_FILE = None  # None: instance/secret_key
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'guichet.db'}")
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    REDIS_URL = os.environ.get("REDIS_URL")  # None: jobs run inline after commit
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "guichet")
    # Background work (docs/ARCHITECTURE.md, "Jobs"): the sweeper and the schedule run every
    # JOB_SWEEP_SECONDS in the worker (and, in the embedded server, in a background thread).
    JOB_SWEEP_SECONDS = int(os.environ.get("JOB_SWEEP_SECONDS", "30"))
    # false: this process sweeps but leaves the schedule (app/jobs/schedule.py) to other workers
    SCHEDULED_WORK = os.environ.get("SCHEDULED_WORK", "true").lower() == "true"
    # A pending job not picked up this long after its time is pushed to Redis again.
    JOB_PENDING_GRACE_SECONDS = int(os.environ.get("JOB_PENDING_GRACE_SECONDS", "60"))
    # A job running longer than this is stopped by rq; one left "running" past it (a killed worker) is recovered.
    JOB_TIMEOUT = int(os.environ.get("JOB_TIMEOUT", "600"))
    # Seconds before each retry of a failed job (rq Retry); after the last one the job ends "failed".
    JOB_RETRY_INTERVALS = tuple(int(s) for s in os.environ.get("JOB_RETRY_INTERVALS", "30,300,1800").split(",") if s)
    # After a failed push to Redis, the web process stops trying for this long (the sweeper pushes later).
    REDIS_RETRY_SECONDS = int(os.environ.get("REDIS_RETRY_SECONDS", "10"))
    # `make run` sets it: the embedded server runs the sweeper, the schedule and due jobs in a thread.
    EMBEDDED_SCHEDULER = os.environ.get("EMBEDDED_SCHEDULER", "false").lower() == "true"
    EMBEDDED_DUE_JOBS_EVERY = 30  # seconds; embedded mode also runs due delayed jobs from requests
    # Class-start reminders go this many days before the first class (once per registration).
    REMINDER_DAYS_BEFORE_START = int(os.environ.get("REMINDER_DAYS_BEFORE_START", "3"))
    # Ended or expired sessions and used or expired account links are deleted after this many days.
    SESSION_KEEP_DAYS = int(os.environ.get("SESSION_KEEP_DAYS", "30"))
    SMTP_TIMEOUT_SECONDS = int(os.environ.get("SMTP_TIMEOUT_SECONDS", "20"))

    MAIL_SERVER = os.environ.get("MAIL_SERVER")  # None: e-mails are written to MAIL_FILE_DIR
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR")  # None: instance/mail (one .eml file per e-mail)
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
    # Redis down (production counts in Redis): count in memory meanwhile instead of failing the request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
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
    # The public address of the site: every e-mailed or printed absolute link is built from it,
    # never from the request's Host header. Production refuses to start without it.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", EMBEDDED_BASE_URL)
    # Host names the application answers to (Flask refuses any other Host header with 400);
    # None: the host of PUBLIC_BASE_URL, plus localhost and 127.0.0.1 outside production.
    TRUSTED_HOSTS = _host_list(os.environ.get("TRUSTED_HOSTS"))
    # Fernet key (urlsafe base64, 32 bytes) for the TOTP secrets at rest; None in embedded mode:
    # derived from SECRET_KEY. Production requires it.
    TOTP_ENCRYPTION_KEY = os.environ.get("TOTP_ENCRYPTION_KEY")
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
    # The test client's host.
    PUBLIC_BASE_URL = "http://localhost"
    TRUSTED_HOSTS = ["localhost", "127.0.0.1"]
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    REDIS_URL = None
    MAIL_SERVER = None
    MAIL_FILE_DIR = str(Path(tempfile.gettempdir()) / f"guichet-test-mail-{os.getuid()}")
    EMBEDDED_DUE_JOBS_EVERY = None
    EMBEDDED_SCHEDULER = False
    JOB_RETRY_INTERVALS = ()  # a failing job fails at once unless a test asks for retries
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
        base_url = os.environ.get("PUBLIC_BASE_URL", "").strip()
        if not base_url.startswith(("https://", "http://")) or not host_of(base_url):
            raise RuntimeError("PUBLIC_BASE_URL must be set to the site's public address in production "
                               "(e.g. https://francisation.example)")
        totp_key = os.environ.get("TOTP_ENCRYPTION_KEY", "")
        if not totp_key:
            raise RuntimeError("TOTP_ENCRYPTION_KEY must be set in production: a Fernet key, e.g. from "
                               "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'")
        self.SECRET_KEY = secret
        self.PUBLIC_BASE_URL = base_url.rstrip("/")
        self.TRUSTED_HOSTS = _host_list(os.environ.get("TRUSTED_HOSTS")) or [host_of(base_url)]
        self.TOTP_ENCRYPTION_KEY = totp_key
        self.SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]


def config_from_env():
    """The configuration named by APP_ENV ('production' or the embedded default)."""
    return ProductionConfig() if os.environ.get("APP_ENV") == "production" else Config


def load_or_create_secret_key(path: Path) -> str:
    """The embedded mode's signing key: read from ``path``, or drawn at random and written there
    (readable by the owner only) on first start, so that it survives restarts and is never public.
    Two processes starting together (web and worker) agree: only one creates the file."""
    import time

    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the other process may still be writing it
            existing = path.read_text(encoding="ascii").strip()
            if len(existing) >= 32:
                return existing
            time.sleep(0.1)
        raise RuntimeError(f"{path} holds no usable secret key: delete it to draw a new one") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    os.chmod(path, 0o600)
    return key


def normalise_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
