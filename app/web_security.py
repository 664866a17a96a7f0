"""Web hardening (OWASP ASVS 5, level 2): security headers on every response, a Content Security
Policy that runs no inline script, HTTPS in production, and no browser or proxy cache of pages.

* Flask-Talisman sends the headers. The policy allows scripts only from this site's own files:
  FAB's inline snippets are replaced by ``app/static/js/`` files reading ``data-*`` attributes or
  ``<script type="application/json">`` blocks (data, never executed). Styles may stay inline
  (FAB's widgets, select2 and the date picker write ``style`` attributes).
* HTTPS is forced, and Strict-Transport-Security sent, only when ``FORCE_HTTPS`` is set
  (production); the session cookie's flags come from the configuration, so development over
  plain HTTP keeps its cookie.
* Every response but a static file gets ``Cache-Control: no-store``: pages are personal as soon
  as someone is logged in, and the public ones carry a CSRF token or a secret link.
"""
from __future__ import annotations

from flask import Flask, request
from flask_talisman import Talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# The browser features no page of the application uses.
PERMISSIONS_POLICY = {"browsing-topics": "()", "camera": "()", "geolocation": "()", "microphone": "()",
                      "payment": "()", "usb": "()"}
REFERRER_POLICY = "strict-origin-when-cross-origin"
# Endpoints whose responses a browser may keep: the application's and FAB's static files.
CACHEABLE_ENDPOINTS = frozenset({"static", "appbuilder.static"})


class GuichetTalisman(Talisman):
    """Talisman, except that a page asking for a stricter referrer policy keeps it (the pages
    reached through a secret link send ``no-referrer``)."""

    def _set_referrer_policy_headers(self, headers):
        headers.setdefault("Referrer-Policy", self.referrer_policy)


def init_app(app: Flask) -> None:
    force_https = bool(app.config.get("FORCE_HTTPS"))
    GuichetTalisman().init_app(
        app,
        force_https=force_https,
        strict_transport_security=force_https,
        content_security_policy=CONTENT_SECURITY_POLICY,
        permissions_policy=PERMISSIONS_POLICY,
        frame_options="DENY",
        referrer_policy=REFERRER_POLICY,
        x_content_type_options=True,
        # Talisman writes these into the config: hand it the configuration's own values.
        session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE")),
        session_cookie_http_only=bool(app.config.get("SESSION_COOKIE_HTTPONLY", True)),
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
    )
    app.after_request(forbid_caching)


def forbid_caching(response):
    """``no-store`` on everything but static files (personal data must not stay in a cache)."""
    if request.endpoint in CACHEABLE_ENDPOINTS:
        return response
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
