"""Celery tasks of the notifications domain: keyword-only ids in, one service call, commits.

Every task is safe to run twice, even at the same time: a message is claimed before it is
sent (see app/outbox/delivery.py) and every periodic message names its window.
"""

from __future__ import annotations

from celery import shared_task

from app.extensions import db
from app.jobs.models import Job
from app.notifications import bulk
from app.outbox import delivery
from app.proposals import periodic


@shared_task(name="notifications.deliver")
def deliver_notification(*, notification_id: int) -> int:
    return delivery.deliver_batch([int(notification_id)])


@shared_task(name="notifications.deliver_batch")
def deliver_notification_batch(*, notification_ids: list[int]) -> int:
    # deliver_batch commits after each message: a crash loses at most the one in flight.
    return delivery.deliver_batch([int(i) for i in notification_ids])


@shared_task(name="notifications.dispatch_pending")
def dispatch_pending_notifications() -> int:
    count = delivery.dispatch_pending_notifications()
    db.session.commit()
    return count


@shared_task(name="notifications.send_daily_digest")
def send_daily_digest() -> int:
    count = periodic.send_daily_digest()
    db.session.commit()
    return count


@shared_task(name="notifications.send_closing_soon")
def send_closing_soon() -> int:
    count = periodic.send_closing_soon()
    db.session.commit()
    return count


@shared_task(name="notifications.send_bulk_message")
def send_bulk_message(*, job_id: int) -> None:
    job = db.session.get(Job, int(job_id))
    if job is None:
        return
    try:
        # Commit after each chunk, so the starter's progress bar moves.
        for _done in bulk.send_bulk_message(job=job):
            db.session.commit()
        db.session.commit()
    except Exception:
        # The starter sees that it stopped; the messages already queued still go out.
        db.session.rollback()
        bulk.fail_bulk_message(job=db.session.get(Job, int(job_id)))
        db.session.commit()
        raise
