"""``GET /health``: JSON for a load balancer and for monitoring; 200 when the service can work,
503 when the database (or, when configured, Redis) does not answer. Public and personal-data free."""
from __future__ import annotations

from flask import Flask, current_app, jsonify

from ..services.health import check


def health():
    report, healthy = check(current_app._get_current_object())
    response = jsonify(report)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.add_url_rule("/health", "health", health, methods=["GET"])
