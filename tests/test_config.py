"""Configuration: embedded defaults, and a production config that refuses weak settings."""
import pytest

import config


def test_production_refuses_a_missing_or_default_secret(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/x")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.ProductionConfig()
    monkeypatch.setenv("SECRET_KEY", config.DEV_SECRET)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.ProductionConfig()
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.ProductionConfig()


def test_production_reads_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1/guichet")
    monkeypatch.setenv("APP_ENV", "production")
    production = config.config_from_env()
    assert production.SECRET_KEY == "x" * 48
    assert config.normalise_database_url(production.SQLALCHEMY_DATABASE_URI) == \
        "postgresql+psycopg://postgres@127.0.0.1/guichet"
    assert production.SESSION_COOKIE_SECURE is True


def test_embedded_default_is_sqlite_inline_jobs_and_outbox(monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "APP_ENV"):
        monkeypatch.delenv(name, raising=False)
    assert config.config_from_env() is config.Config
    assert config.Config.BABEL_DEFAULT_LOCALE == "fr"
