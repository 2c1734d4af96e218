"""Celery tasks of the reviews domain: thin shells around app.reviews services."""

from __future__ import annotations

from celery import shared_task

from app.extensions import db
from app.reviews import services


@shared_task(name="reviews.send_reminders")
def send_review_reminders() -> dict[str, int]:
    """Periodic: reminders before the review deadline and overdue notices, each once."""
    counts = services.send_review_reminders()
    db.session.commit()
    return counts
