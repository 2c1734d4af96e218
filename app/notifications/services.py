"""The outbox: record a message with the change that causes it; administrators' actions on it.

Every other domain calls `queue_notification` inside its own transaction; the message
leaves only after that transaction commits (see app/notifications/delivery.py for how it
is delivered once). The periodic messages this domain owns (the administrators' digest,
"call closing soon") and bulk messages live in their own modules.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from jinja2 import TemplateNotFound
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.accounts.models import User
from app.audit.services import record_audit
from app.db import utcnow
from app.errors import Conflict
from app.extensions import db
from app.jobs import enqueue_after_commit
from app.notifications.delivery import (
    DELIVER_TASK,
    deliver_batch,
    dispatch_pending_notifications,
    enqueue_delivery,
)
from app.notifications.models import Notification, NotificationStatus
from app.notifications.rendering import render_notification

__all__ = [
    "cancel_notification",
    "deliver_batch",
    "dispatch_pending_notifications",
    "queue_notification",
    "record_notification",
    "render_notification",
    "resend_notification",
]


def _recipient_locale(locale: str | None, recipient_id: int | None) -> str:
    languages = current_app.config["LANGUAGES"]
    if locale in languages:
        return locale
    if locale is None and recipient_id is not None:
        user = db.session.get(User, recipient_id)
        if user is not None and user.locale in languages:
            return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _check_template(template: str) -> None:
    """Fail in the caller's test, not hours later in a worker, when a template is missing."""
    for suffix in ("txt", "html"):
        try:
            current_app.jinja_env.get_template(f"emails/{template}.{suffix}")
        except TemplateNotFound:
            raise ValueError(f"no email template templates/emails/{template}.{suffix}") from None


def record_notification(
    *,
    recipient_email: str,
    template: str,
    dedup_key: str,
    context: dict[str, Any] | None = None,
    locale: str | None = None,
    recipient_id: int | None = None,
    call_id: int | None = None,
) -> int | None:
    """Insert the outbox row unless its de-duplication key exists; nothing is dispatched.

    Returns the new row's id, or None when the key was already taken (also by a
    concurrent transaction: the unique index decides).
    """
    email = recipient_email.strip()
    if not email or any(char in email for char in "\r\n"):
        raise ValueError("a recipient address is one line")
    _check_template(template)
    now = utcnow()
    values = {
        "recipient_email": email,
        "recipient_id": recipient_id,
        "template": template,
        "context": context or {},
        "locale": _recipient_locale(locale, recipient_id),
        "dedup_key": dedup_key,
        "call_id": call_id,
        "status": NotificationStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(Notification.id)
    )
    return db.session.execute(statement).scalar_one_or_none()


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

    `context` is JSON (store instants as ISO 8601 strings and links built with
    `external_url`). `locale` defaults to the recipient's own language. Returns the new
    row's id, or None when a message with this de-duplication key already exists (so
    asking twice sends once, even from two processes at once).
    """
    arguments = locals()  # exactly the keyword arguments above, passed on unchanged
    notification_id = record_notification(**arguments)
    if notification_id is not None:
        enqueue_delivery(notification_id)
    return notification_id


def _lock(notification: Notification) -> None:
    """Read the row's state again under a row lock: a worker may have just sent it."""
    db.session.refresh(notification, with_for_update=True)


def resend_notification(*, actor: User, notification: Notification) -> Notification:
    """A failed message goes back to pending with a fresh count of attempts."""
    _lock(notification)
    if notification.status != NotificationStatus.FAILED:
        raise Conflict(
            _("Only a message that failed can be sent again."), code="notification_not_failed"
        )
    previous = {"attempts": notification.attempts, "last_error": notification.last_error}
    notification.status = NotificationStatus.PENDING
    notification.attempts = 0
    notification.next_attempt_at = utcnow()
    notification.dispatched_at = None
    db.session.flush()
    record_audit(
        actor_id=actor.id,
        action="notification.resent",
        object_type="notification",
        object_id=notification.id,
        details=previous,
    )
    enqueue_after_commit(DELIVER_TASK, notification_id=notification.id)
    return notification


def cancel_notification(*, actor: User, notification: Notification) -> Notification:
    """A pending message is not sent. A worker holding it finds its claim gone."""
    _lock(notification)
    if notification.status != NotificationStatus.PENDING:
        raise Conflict(
            _("Only a message still waiting to be sent can be cancelled."),
            code="notification_not_pending",
        )
    notification.status = NotificationStatus.CANCELLED
    db.session.flush()
    record_audit(
        actor_id=actor.id,
        action="notification.cancelled",
        object_type="notification",
        object_id=notification.id,
        details={"attempts": notification.attempts},
    )
    return notification
