"""Writing the audit log; every state change calls record_audit in its transaction."""

from __future__ import annotations

import re
from typing import Any, Protocol

from flask import has_request_context, request

from app.audit.models import AuditEntry
from app.core.people import Person
from app.extensions import db


class Row(Protocol):
    """A model instance: the audit names it by its class and id."""

    @property
    def id(self) -> int | None: ...


# (object type, id): the subject when only its id is at hand (a bulk update, a failed login).
SubjectRef = tuple[str, int | None]


def record_audit(
    actor: Person | None,
    action: str,
    subject: Row | SubjectRef,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Who (None: the system) did what to which row, from which address, and the details.

    The subject's type is its model's name in snake case ("user", "call", "assignment").
    """
    if isinstance(subject, tuple):
        object_type, object_id = subject
    else:
        object_type, object_id = _object_type(subject), subject.id
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        ip_address=request.remote_addr if has_request_context() else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details or {},
    )
    db.session.add(entry)
    return entry


def _object_type(subject: Row) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(subject).__name__).lower()
