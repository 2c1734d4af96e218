"""The outbox: record a message with the change that causes it; deliver it once."""

from __future__ import annotations

import logging
import random
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.db import utcnow
from app.extensions import db
from app.jobs import enqueue_after_commit
from app.notifications.mail import Mailer, open_mailer
from app.notifications.models import Notification, NotificationStatus

log = logging.getLogger(__name__)

DELIVER_TASK = "notifications.deliver"
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600


def queue_notification(
    *,
    recipient_email: str,
    template: str,
    dedup_key: str,
    context: dict[str, Any] | None = None,
    locale: str | None = None,
    recipient_id: int | None = None,
    call_id: int | None = None,
) -> int | None:
    """Record a message in the current transaction; it is sent after the commit.

    Returns the new row's id, or None when a message with this de-duplication key
    already exists (so asking twice sends once, even from two processes at once).
    """
    values = {
        "recipient_email": recipient_email,
        "recipient_id": recipient_id,
        "template": template,
        "context": context or {},
        "locale": locale or current_app.config["BABEL_DEFAULT_LOCALE"],
        "dedup_key": dedup_key,
        "call_id": call_id,
        "status": NotificationStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "created_at": utcnow(),
    }
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(Notification.id)
    )
    notification_id = db.session.execute(statement).scalar_one_or_none()
    if notification_id is not None:
        enqueue_after_commit(DELIVER_TASK, notification_id=notification_id)
    return notification_id


def render_notification(notification: Notification) -> EmailMessage:
    """Build the email in the recipient's language from templates/emails/<template>.*"""
    context = dict(notification.context)
    with force_locale(notification.locale):
        text = render_template(f"emails/{notification.template}.txt", **context)
        html = render_template(f"emails/{notification.template}.html", **context)
        module = current_app.jinja_env.get_template(
            f"emails/{notification.template}.txt"
        ).make_module(context)
        subject = str(getattr(module, "subject", "")).strip()
    message = EmailMessage()
    # Folding user-supplied text into one line keeps it from adding headers.
    message["Subject"] = " ".join(subject.split()) or "Dialogue Café Call"
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = notification.recipient_email
    # Stable per outbox row, so a receiving server can recognise a repeat.
    message["Message-ID"] = make_msgid(idstring=f"n{notification.id}", domain="dialoguecafe.call")
    message["X-Dialogue-Cafe-Notification"] = str(notification.id)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def backoff_delay(attempts: int) -> timedelta:
    """Exponential backoff with full jitter, bounded."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def _lock_pending(notification_id: int) -> Notification | None:
    query = select(Notification).where(Notification.id == notification_id)
    if db.session.get_bind().dialect.name == "postgresql":
        # A duplicate task waits here and then finds the row already sent.
        query = query.with_for_update()
    return db.session.scalar(query)


def deliver_notification(*, notification_id: int, mailer: Mailer) -> bool:
    """Send one pending, due message. True when it was sent now.

    The caller commits after each message so that a crash loses at most the one in flight.
    """
    notification = _lock_pending(notification_id)
    now = utcnow()
    if notification is None or notification.status != NotificationStatus.PENDING:
        return False
    if notification.next_attempt_at > now:
        return False
    message = render_notification(notification)
    notification.attempts += 1
    try:
        mailer.send(message)
    except (smtplib.SMTPException, OSError) as error:
        record_failed_attempt(notification, error)
        return False
    notification.status = NotificationStatus.SENT
    notification.sent_at = now
    notification.last_error = None
    return True


def record_failed_attempt(notification: Notification, error: BaseException) -> None:
    notification.last_error = f"{type(error).__name__}: {error}"[:2000]
    notification.dispatched_at = None
    if notification.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        notification.status = NotificationStatus.FAILED
        log.warning("notification %s failed for good: %s", notification.id, error)
    else:
        notification.next_attempt_at = utcnow() + backoff_delay(notification.attempts)


def deliver_batch(notification_ids: list[int]) -> int:
    """Deliver several messages over one connection, committing after each."""
    sent = 0
    try:
        with open_mailer() as mailer:
            for notification_id in notification_ids:
                sent += deliver_notification(notification_id=notification_id, mailer=mailer)
                db.session.commit()
    except (smtplib.SMTPException, OSError) as error:
        # Could not even connect: every message still pending counts one failed attempt.
        db.session.rollback()
        for notification_id in notification_ids:
            notification = _lock_pending(notification_id)
            if notification and notification.status == NotificationStatus.PENDING:
                notification.attempts += 1
                record_failed_attempt(notification, error)
            db.session.commit()
    return sent


def due_notification_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Pending messages that are due and not handed to the broker recently."""
    now = now or utcnow()
    stale = now - timedelta(seconds=current_app.config["NOTIFICATION_REDISPATCH_SECONDS"])
    query = (
        select(Notification.id)
        .where(
            Notification.status == NotificationStatus.PENDING,
            Notification.next_attempt_at <= now,
            func.coalesce(Notification.dispatched_at, Notification.created_at) <= stale,
        )
        .order_by(Notification.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def dispatch_pending_notifications(*, batch_size: int = 50) -> int:
    """Hand every due pending message to the broker again, in batches."""
    ids = due_notification_ids()
    if not ids:
        return 0
    now = utcnow()
    db.session.execute(
        Notification.__table__.update().where(Notification.id.in_(ids)).values(dispatched_at=now)
    )
    for start in range(0, len(ids), batch_size):
        enqueue_after_commit(
            "notifications.deliver_batch", notification_ids=ids[start : start + batch_size]
        )
    return len(ids)
