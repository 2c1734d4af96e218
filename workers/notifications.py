"""Celery tasks: keyword-only ids in, one service call, one commit. Safe to run twice."""

from __future__ import annotations

from celery import shared_task

from app.extensions import db
from app.notifications import services as notifications


@shared_task(name="notifications.deliver")
def deliver_notification(*, notification_id: int) -> int:
    return notifications.deliver_batch([notification_id])


@shared_task(name="notifications.deliver_batch")
def deliver_notification_batch(*, notification_ids: list[int]) -> int:
    return notifications.deliver_batch([int(i) for i in notification_ids])


@shared_task(name="notifications.dispatch_pending")
def dispatch_pending_notifications() -> int:
    count = notifications.dispatch_pending_notifications()
    db.session.commit()
    return count
