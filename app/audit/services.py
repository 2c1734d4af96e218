"""Writing the audit log; every state change calls record_audit in its transaction."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from app.audit.models import AuditEntry
from app.extensions import db


def record_audit(
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor_id,
        ip_address=request.remote_addr if has_request_context() else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details or {},
    )
    db.session.add(entry)
    return entry
