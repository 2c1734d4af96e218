"""Celery tasks of the calls domain: thin shells around app.calls services."""

from __future__ import annotations

from celery import shared_task

from app.calls import services as calls
from app.extensions import db


@shared_task(name="calls.close_due")
def close_due_calls() -> int:
    """Close every call whose deadline (plus grace) has passed; safe to run twice."""
    closed = calls.close_due_calls()
    db.session.commit()
    return len(closed)
