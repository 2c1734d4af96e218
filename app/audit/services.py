"""Writing the audit log; every state change calls record_audit in its transaction.

Also the one deletion the log knows: entries older than AUDIT_RETENTION_DAYS.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from flask import current_app, has_request_context, request
from sqlalchemy import CursorResult, delete

from app.audit.models import AuditEntry
from app.core.people import Person
from app.db import utcnow
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


# --- retention ---------------------------------------------------------------------------

PURGED_ACTION = "audit.purged"


def purge_old_audit_entries(*, now: datetime | None = None) -> int:
    """Delete the entries recorded more than AUDIT_RETENTION_DAYS before `now` (0 or less:
    keep them forever) and say so in the log itself; the number deleted.

    Safe to run twice: the second run finds nothing older and writes nothing. The caller
    commits.
    """
    days = int(current_app.config.get("AUDIT_RETENTION_DAYS") or 0)
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    old = delete(AuditEntry).where(AuditEntry.at < cutoff)
    result = db.session.execute(old.execution_options(synchronize_session=False))
    deleted = cast(CursorResult, result).rowcount  # a DELETE's result is a cursor's
    if deleted:
        # Who reads the log later sees that a gap is the retention rule, not a hand.
        record_audit(
            None,
            PURGED_ACTION,
            ("audit_entry", None),
            {"deleted": deleted, "before": cutoff.isoformat(), "retention_days": days},
        )
    db.session.flush()
    return deleted
