"""What every API blueprint shares: a personal token in `Authorization: Bearer`, acting as
its owner would on the pages; a rate limit per token; JSON errors with a stable code.

The token is the only way in: a browser's session cookie is ignored (so the API needs no
CSRF token, and a page's visitor cannot be made to call it). The owner is Flask-Login's
`current_user` for the request, so every permission function and service the pages call
applies unchanged. A read-only token may only read.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException, UnprocessableEntity

from app.accounts.api_tokens import token_for
from app.accounts.models import ApiToken, User
from app.extensions import csrf, limiter

PREFIX = "/api/v1"
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def api_error(status: int, code: str, message: str, *, field: str | None = None, **extra: Any):
    """The one shape of an API error: {"error": {"code", "message", "field", ...}}."""
    body = {"code": code, "message": message, "field": field, **extra}
    return jsonify(error=body), status


def current_token() -> ApiToken:
    return g.api_token


def current_person() -> User:
    return g.api_token.user


def _rate_key() -> str:
    """Per token (the header's digest: checked before the token is read)."""
    header = request.headers.get("Authorization", "")
    return "api:" + hashlib.sha256(header.encode()).hexdigest()[:32]


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _authenticate():
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    token = token_for(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        response = api_error(
            401, "unauthorized", _("Send a valid API token: Authorization: Bearer <token>.")
        )
        return response[0], 401, {"WWW-Authenticate": 'Bearer realm="api"'}
    g.api_token = token
    g._login_user = token.user  # Flask-Login's current_user, for this request only
    if request.method not in READING_METHODS and not token.can_write:
        return api_error(403, "read_only_token", _("This token may only read."))
    return None


def _unprocessable(error: UnprocessableEntity):
    """webargs' refusal of a query or a body: each field with its messages."""
    messages = (getattr(error, "data", None) or {}).get("messages") or {}
    fields = {
        name: problems
        for location in messages.values()
        if isinstance(location, dict)
        for name, problems in location.items()
    }
    first = next(iter(fields), None)
    return api_error(
        422, "invalid_input", _("Some values were refused."), field=first, fields=fields
    )


def _too_many(error: HTTPException):
    return api_error(429, "rate_limited", _("Too many requests: wait, then try again."))


def api_blueprint(name: str, import_name: str, *, description: str) -> Blueprint:
    """A blueprint of /api/v1 whose every route needs a token (see the module's docstring)."""
    blueprint = Blueprint(name, import_name, url_prefix=PREFIX, description=description)
    blueprint.before_request(_authenticate)
    blueprint.register_error_handler(UnprocessableEntity, _unprocessable)
    blueprint.register_error_handler(429, _too_many)
    csrf.exempt(blueprint)
    limiter.limit(_rate_limit, key_func=_rate_key)(blueprint)
    return blueprint
