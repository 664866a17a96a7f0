"""Secrets kept at rest encrypted with Fernet (``cryptography``): AES-128-CBC with HMAC-SHA256.

The key comes from the configuration: ``TOTP_ENCRYPTION_KEY`` (one Fernet key, or several
separated by commas, the first encrypting and all of them decrypting, to rotate keys); required in
production. The embedded mode, which has no key management, derives one from ``SECRET_KEY``
(itself random per installation, see ``config.load_or_create_secret_key``).

``EncryptedString`` is the column type: code reads and writes plain values, the database only ever
holds tokens. A database dump, a backup or a staff screen over the table shows no usable secret.
"""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import String, TypeDecorator

DERIVATION_LABEL = b"guichet-francisation:totp-secrets:"


def keys_from(config) -> list[bytes]:
    """The Fernet keys of a configuration (mapping), the encrypting one first."""
    configured = (config.get("TOTP_ENCRYPTION_KEY") or "").strip()
    if configured:
        return [part.strip().encode("ascii") for part in configured.split(",") if part.strip()]
    secret = str(config["SECRET_KEY"]).encode("utf-8")
    return [base64.urlsafe_b64encode(hashlib.sha256(DERIVATION_LABEL + secret).digest())]


def box(config=None) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys_from(config if config is not None else current_app.config)])


def encrypt(value: str, config=None) -> str:
    return box(config).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str, config=None) -> str:
    try:
        return box(config).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise RuntimeError("a stored secret cannot be decrypted with the configured TOTP_ENCRYPTION_KEY "
                           "(was the key or SECRET_KEY changed?)") from None


class EncryptedString(TypeDecorator):
    """A string column stored as a Fernet token (about 100 characters for a 32-character secret)."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


__all__ = ["EncryptedString", "encrypt", "decrypt", "keys_from"]
