"""Celery tasks about calls: thin shells around app services."""

from __future__ import annotations

from celery import shared_task

from app.extensions import db
from app.proposals import closing


@shared_task(name="calls.close_due")
def close_due_calls() -> int:
    """Close every call whose deadline (plus grace) has passed and tell the cities and the
    administrators; safe to run twice."""
    closed = closing.close_due_calls()
    db.session.commit()
    return len(closed)
