"""Celery tasks of the audit log: its retention, a thin shell around app.audit.services."""

from __future__ import annotations

from celery import shared_task

from app.audit import services
from app.extensions import db


@shared_task(name="audit.purge_old_entries")
def purge_old_audit_entries() -> int:
    """Periodic (each night): delete the entries older than AUDIT_RETENTION_DAYS."""
    deleted = services.purge_old_audit_entries()
    db.session.commit()
    return deleted
