"""Absolute links for e-mails, PDFs and feeds, always on the configured ``PUBLIC_BASE_URL``.

A link built from the request (``url_for(..., _external=True)``) takes its host from the Host
header, which the client chooses: a password-reset request sent with ``Host: evil.example`` would
e-mail a link to evil.example. Links that leave the site are therefore built here, from the
configuration only, inside or outside a request (jobs have none).
"""
from __future__ import annotations

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    """The absolute address of ``endpoint`` on ``PUBLIC_BASE_URL`` (path of the app's URL map)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    path = current_app.url_map.bind("", script_name="/").build(endpoint, values)
    return base + path


__all__ = ["public_url"]
