"""Celery tasks of the reviews domain: thin shells around app.reviews services."""

from __future__ import annotations

from celery import shared_task

from app.extensions import db
from app.reviews import conflicts, reminders
from app.reviews.conflicts import DETECT_PROPOSAL_CONFLICTS_TASK


@shared_task(name="reviews.send_reminders")
def send_review_reminders() -> dict[str, int]:
    """Periodic: reminders before the review deadline and overdue notices, each once."""
    counts = reminders.send_review_reminders()
    db.session.commit()
    return counts


@shared_task(name=DETECT_PROPOSAL_CONFLICTS_TASK)
def detect_proposal_conflicts(proposal_id: int) -> int:
    """After a city submits: record the conflicts its answers create with reviewers."""
    found = conflicts.detect_conflicts_of_proposal(proposal_id)
    db.session.commit()
    return found
