"""Error pages in the site's layout and language; never a stack trace or SQL."""
from __future__ import annotations

from flask import Flask, jsonify, render_template
from flask_babel import force_locale, gettext, lazy_gettext as _l
from markupsafe import escape
from werkzeug.exceptions import HTTPException, SecurityError

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back, check the form and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("This page does not exist or is no longer available.")),
    405: (_l("Action not allowed"), _l("This action is not allowed on this page.")),
    413: (_l("File too large"), _l("The file you sent is larger than allowed.")),
    429: (_l("Too many attempts"), _l("Please wait a moment before trying again.")),
    500: (_l("Something went wrong"),
          _l("An unexpected error occurred. It has been recorded; please try again later.")),
}


def render_error(status: int):
    title, text = MESSAGES.get(status, MESSAGES[500])
    from flask import current_app

    appbuilder = current_app.appbuilder
    return render_template("errors/error.html", status=status, title=title, text=text,
                           appbuilder=appbuilder, base_template=appbuilder.base_template), status


def foreign_host(error: SecurityError):
    """A Host header outside TRUSTED_HOSTS: nothing of the site can be built for that host (no URL
    of it, no layout), so a short page in both languages, French first."""
    if _is_api():
        return jsonify(message=error.description or error.name), 400
    texts = []
    for language in ("fr", "en"):
        with force_locale(language):
            texts.append((language, gettext("Bad request"),
                          gettext("This address is not one of this site's. Use the site's own address.")))
    body = "".join(f'<section lang="{lang}"><h1>{escape(title)}</h1><p>{escape(text)}</p></section>'
                   for lang, title, text in texts)
    page = (f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{escape(texts[0][1])}</title>'
            f"</head><body>{body}</body></html>")
    return page, 400, {"Content-Type": "text/html; charset=utf-8"}


def error_response(status: int, message: str | None = None):
    """The error in the form the client reads: JSON ``{"message": "..."}`` on the API (the shape
    of its OpenAPI spec), the translated page elsewhere."""
    if _is_api():
        title, _text = MESSAGES.get(status, MESSAGES[500])
        return jsonify(message=str(message or title)), status
    return render_error(status)


def init_app(app: Flask) -> None:
    def handle_http(error: HTTPException):
        if _is_api():
            return jsonify(message=error.description or error.name), error.code
        if error.code in MESSAGES:
            return render_error(error.code)
        return error

    def handle_unexpected(error: Exception):
        app.logger.exception("unhandled error")
        # A failed statement leaves the transaction aborted (PostgreSQL): the page itself queries
        # (menu, permissions), so roll back first, or the error page fails too.
        from ..extensions import db

        db.session.rollback()
        return render_error(500)

    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(SecurityError, foreign_host)
    if not app.config.get("TESTING"):
        app.register_error_handler(Exception, handle_unexpected)


def _is_api() -> bool:
    from flask import request

    return request.path.startswith("/api/")
