"""Refused requests in the audit log: the app answered 403 to a person who is logged in.

app.errors (the ground floor) announces each 403 it answers; this records who was refused
which page or action. Anonymous visitors are not recorded: a refusal needs someone to
answer for it, and anyone could otherwise fill the log. A 404 is never a refusal.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask.blueprints import BlueprintSetupState
from flask_login import current_user

from app.audit.services import record_audit
from app.errors import request_refused

REFUSED_ACTION = "request.refused"


def _path() -> str:
    """The path asked for, or its rule when a part of it is a secret (a link's token)."""
    secret = any("token" in name for name in request.view_args or {})
    if secret and request.url_rule is not None:
        return request.url_rule.rule
    return request.path


def record_refusal(sender: Any, *, code: str, **extra: Any) -> None:
    if not current_user or not current_user.is_authenticated:
        return
    record_audit(
        current_user,
        REFUSED_ACTION,
        ("request", None),
        {
            "method": request.method,
            "path": _path(),
            "endpoint": request.endpoint or "",
            "code": code,
        },
    )


def listen_for_refusals(state: BlueprintSetupState) -> None:
    """Record the refusals of this app (a `record_once` of the audit trail's blueprint)."""
    request_refused.connect(record_refusal, sender=state.app)
