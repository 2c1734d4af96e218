"""Domain errors and the handlers that turn them and HTTP errors into pages or JSON."""

from __future__ import annotations

import logging
import sqlite3
from typing import TypeGuard

from blinker import Namespace
from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from app.extensions import db

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule said no. The message is for the user; the code is stable for the API."""

    status_code = 400
    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class NotAllowed(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """Someone else changed the object first (optimistic locking)."""

    status_code = 409
    code = "conflict"


class DeadlinePassed(DomainError):
    status_code = 403
    code = "deadline_passed"


class UnstorableText(DomainError):
    """A link or a request held a control character (app.core.forms says which)."""

    status_code = 400
    code = "unstorable_character"


class InvalidInput(DomainError):
    """Values no page of ours offers (a tampered choice): nothing is saved.

    `fields` maps each field's id to what is wrong with it, for the form or the JSON answer.
    """

    status_code = 422
    code = "invalid_input"

    def __init__(self, message: str, *, fields: dict[str, str], code: str | None = None):
        super().__init__(message, code=code)
        self.fields = fields


ERROR_TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You are not allowed to see this page"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    409: _l("Someone else changed this first"),
    413: _l("The file or form is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is temporarily unavailable"),
}

ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


# SQLite's primary result codes for "another connection holds the lock" (the extended codes,
# such as SQLITE_BUSY_SNAPSHOT, keep them in their low byte).
SQLITE_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
BUSY_TITLE = _l("Too many changes at the same moment")
BUSY_MESSAGE = _l(
    "Other changes were being saved at the same moment, so yours was not saved. "
    "Please go back and try again: your browser keeps what you typed."
)


def is_database_busy(error: BaseException) -> TypeGuard[OperationalError]:
    """SQLite's one writer was still busy after the busy timeout (app/db.py): the embedded
    database's form of "someone else is changing this", never a fault of ours."""
    original = getattr(error, "orig", None)
    return (
        isinstance(error, OperationalError)
        and isinstance(original, sqlite3.OperationalError)
        and (getattr(original, "sqlite_errorcode", 0) & 0xFF) in SQLITE_BUSY_CODES
    )


def wants_json() -> bool:
    if request.is_json or request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(
    status: int, message: str | None = None, code: str | None = None, title: str | None = None
):
    title = title or str(ERROR_TITLES.get(status, ERROR_TITLES[500]))
    code = code or ERROR_CODES.get(status, "error")
    if wants_json():
        return jsonify(error={"code": code, "message": message or title}), status
    template = f"errors/{status}.html" if status in ERROR_TITLES else "errors/500.html"
    try:
        return render_template(template, title=title, message=message, status=status), status
    except Exception:
        # The error page itself failed (e.g. the database is down): answer plainly.
        log.exception("could not render the error page for %s", status)
        return f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1>", status


# Sent with code=... each time the app answers 403; the audit (a floor above) records who
# was refused what (app/audit/refusals.py).
request_refused = Namespace().signal("request-refused")


def _announce_refusal(code: str) -> None:
    """Let the audit record the refusal, in a transaction of its own: what the refused
    request had begun is rolled back first, so that it is never committed with the entry."""
    sender = current_app._get_current_object()  # type: ignore[attr-defined]
    if not request_refused.has_receivers_for(sender):
        return
    try:
        db.session.rollback()
        request_refused.send(sender, code=code)
        db.session.commit()
    except Exception:
        # The person still gets their 403 page; the log says the entry is missing.
        log.exception("could not record the refusal of %s %s", request.method, request.path)
        db.session.rollback()


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        status = error.code or 500
        if status == 403:
            _announce_refusal(ERROR_CODES[403])
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response = make_response(error_response(status))
            response.headers["Allow"] = ", ".join(error.valid_methods)
            return response
        if status == 429:
            return error_response(429, str(_l("Please wait a few minutes before trying again.")))
        return error_response(status)

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        db.session.rollback()
        if error.status_code == 403:
            _announce_refusal(error.code)
        return error_response(error.status_code, error.message, error.code)

    @app.errorhandler(Exception)
    def handle_unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return handle_http_error(error)
        if is_database_busy(error):
            # Nothing was saved; the same request sent again in a moment succeeds.
            log.warning("database busy on %s %s: %s", request.method, request.path, error.orig)
            db.session.rollback()
            return error_response(409, str(BUSY_MESSAGE), "busy", title=str(BUSY_TITLE))
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return error_response(500)
