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


FERNET_KEY = "6Xk1yQzq0mQe4Pj0t9xg3r5m3y0jYb2Jt3y8b1Qm2Ww="


def test_production_reads_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1/guichet")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://francisation.example/")
    monkeypatch.setenv("TOTP_ENCRYPTION_KEY", FERNET_KEY)
    monkeypatch.delenv("TRUSTED_HOSTS", raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    production = config.config_from_env()
    assert production.SECRET_KEY == "x" * 48
    assert config.normalise_database_url(production.SQLALCHEMY_DATABASE_URI) == \
        "postgresql+psycopg://postgres@127.0.0.1/guichet"
    assert production.SESSION_COOKIE_SECURE is True
    assert production.PUBLIC_BASE_URL == "https://francisation.example"
    assert production.TRUSTED_HOSTS == ["francisation.example"]
    assert production.TOTP_ENCRYPTION_KEY == FERNET_KEY


@pytest.mark.parametrize("missing", ["PUBLIC_BASE_URL", "TOTP_ENCRYPTION_KEY"])
def test_production_refuses_to_start_without_a_public_address_or_a_totp_key(monkeypatch, missing):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1/guichet")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://francisation.example")
    monkeypatch.setenv("TOTP_ENCRYPTION_KEY", FERNET_KEY)
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=missing):
        config.ProductionConfig()


def test_embedded_mode_draws_its_own_secret_key_once_and_keeps_it_private(tmp_path, sqlite_url):
    """No SECRET_KEY: a random key is written into the instance folder (mode 600) on first start and
    reused by every later start; the public development key is never used."""
    import stat

    from tests.conftest import build_app

    key_file = tmp_path / "instance" / "secret_key"
    first = build_app(sqlite_url, SECRET_KEY=None, SECRET_KEY_FILE=str(key_file))
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = first.config["SECRET_KEY"]
    assert key == key_file.read_text().strip() and len(key) >= 64 and key != config.DEV_SECRET
    second = build_app(sqlite_url, SECRET_KEY=None, SECRET_KEY_FILE=str(key_file))
    assert second.config["SECRET_KEY"] == key
    # a session signed by one start is still valid after a restart, and worthless elsewhere
    import itsdangerous

    signed = first.session_interface.get_signing_serializer(first).dumps({"locale": "en"})
    assert second.session_interface.get_signing_serializer(second).loads(signed) == {"locale": "en"}
    other = build_app(sqlite_url, SECRET_KEY=None, SECRET_KEY_FILE=str(tmp_path / "other" / "secret_key"))
    assert other.config["SECRET_KEY"] != key
    with pytest.raises(itsdangerous.BadSignature):
        other.session_interface.get_signing_serializer(other).loads(signed)
