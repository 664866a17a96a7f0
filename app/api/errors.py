"""The API's error answers keep the shape its OpenAPI spec gives them (issue 11, item 9).

FAB's spec describes every 4xx as ``{"message": string}``. marshmallow's validation errors are
an object per field: they are written into one sentence. flask-jwt-extended answers a malformed
token with 422 and ``{"msg": ...}``: every refused token is a 401 with ``message`` here. FAB's
own endpoints (token login, menu, the spec itself) answer the same way, and the spec they
publish lists the 401 and 403 that FAB's ``@protect`` gives.
"""
from __future__ import annotations

import json
import re

from flask import Flask, current_app, jsonify, request
from flask_babel import gettext as _

# Page numbers of the API's lists: beyond this no list has rows (and the offset stays in range).
MAX_PAGE_NUMBER = 100_000


def validation_message(messages) -> str:
    """marshmallow's ``{field: [messages]}`` (possibly nested) as one readable string."""
    if isinstance(messages, dict):
        parts = []
        for field, inner in messages.items():
            text = validation_message(inner)
            parts.append(f"{field}: {text}" if field != "_schema" else text)
        return "; ".join(parts)
    if isinstance(messages, (list, tuple)):
        return " ".join(validation_message(item) for item in messages)
    return str(messages)


def message_as_text(response):
    """An API error whose ``message`` is not a string (FAB's token login sends marshmallow's
    object) gets it as one sentence."""
    if response.status_code < 400 or not request.path.startswith("/api/") or not response.is_json:
        return response
    body = response.get_json(silent=True)
    if isinstance(body, dict) and "message" in body and not isinstance(body["message"], str):
        body["message"] = validation_message(body["message"])
        response.set_data(json.dumps(body))
    return response


def protected_paths(app: Flask) -> set[str]:
    """The URL rules of FAB's ``@protect``-ed endpoints, written as the spec writes its paths."""
    paths = set()
    for rule in app.url_map.iter_rules():
        function = app.view_functions.get(rule.endpoint)
        if rule.rule.startswith("/api/") and hasattr(function, "_permission_name"):
            paths.add(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule))
    return paths


def complete_spec(response):
    """The published spec lists, on each ``@protect``-ed operation, the 401 (no or a bad token)
    and the 403 (no permission) FAB answers there."""
    if request.endpoint != "OpenApi.get" or response.status_code != 200:
        return response
    spec = response.get_json()
    protected = protected_paths(current_app)
    for path, operations in spec.get("paths", {}).items():
        if path not in protected:
            continue
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                for status in ("401", "403"):
                    operation["responses"].setdefault(status, {"$ref": f"#/components/responses/{status}"})
    response.set_data(json.dumps(spec))
    return response


def default_login_provider() -> None:
    """FAB's token login documents ``provider`` as optional but reads it unconditionally (500
    without it): the application's one provider, the database, is the default."""
    if request.endpoint == "SecurityApi.login" and request.is_json:
        body = request.get_json(silent=True)  # cached: FAB's ``request.json`` reads this dict
        if isinstance(body, dict):
            body.setdefault("provider", "db")


def init_app(app: Flask) -> None:
    """Every token refusal of flask-jwt-extended: 401 ``{"message": ...}``; API errors and the
    spec made to agree."""
    app.config["JWT_ERROR_MESSAGE_KEY"] = "message"
    app.before_request(default_login_provider)
    app.after_request(message_as_text)
    app.after_request(complete_spec)
    jwt = app.extensions["flask-jwt-extended"]

    def refused(reason: str):
        return jsonify(message=reason), 401

    @jwt.invalid_token_loader
    def invalid_token(reason: str):
        # PyJWT's reason (e.g. "Not enough segments") is for developers; the client needs no more
        return refused(_("The token is not valid."))

    @jwt.unauthorized_loader
    def missing_token(reason: str):
        return refused(_("A bearer token is required."))

    @jwt.expired_token_loader
    def expired_token(header: dict, payload: dict):
        return refused(_("The token has expired."))
