"""The outbox: record a message with the change that causes it; administrators' actions on it.

Every other domain calls `queue_notification` inside its own transaction, or
`queue_notifications` when one change tells many people at once (a call closing,
decisions published): a handful of statements whatever the number of messages. A message
leaves only after that transaction commits (see app/outbox/delivery.py for how it
is delivered once). The periodic messages this domain owns (the administrators' digest,
"call closing soon") and bulk messages live in their own modules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from jinja2 import TemplateNotFound
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.audit.services import record_audit
from app.core.people import Person
from app.db import utcnow
from app.errors import Conflict
from app.extensions import db
from app.jobs import enqueue_after_commit
from app.outbox.delivery import (
    DELIVER_TASK,
    deliver_batch,
    dispatch_pending_notifications,
    enqueue_delivery,
)
from app.outbox.models import Notification, NotificationStatus, recipient_accounts
from app.outbox.rendering import render_notification

__all__ = [
    "OutboxMessage",
    "cancel_notification",
    "deliver_batch",
    "dispatch_pending_notifications",
    "queue_notification",
    "queue_notifications",
    "record_notification",
    "record_notifications",
    "render_notification",
    "resend_notification",
]

# Rows per INSERT: 500 rows of 11 values stay far below SQLite's and PostgreSQL's limits
# on bound parameters (32,766 and 65,535).
INSERT_CHUNK_SIZE = 500


@dataclass(frozen=True, kw_only=True, slots=True)
class OutboxMessage:
    """One message to record: the keyword arguments of `queue_notification`, as a value."""

    recipient_email: str
    template: str
    dedup_key: str
    context: dict[str, Any] | None = None
    locale: str | None = None
    recipient_id: int | None = None
    call_id: int | None = None


def _check_template(template: str) -> None:
    """Fail in the caller's test, not hours later in a worker, when a template is missing."""
    for suffix in ("txt", "html"):
        try:
            current_app.jinja_env.get_template(f"emails/{template}.{suffix}")
        except TemplateNotFound:
            raise ValueError(f"no email template templates/emails/{template}.{suffix}") from None


def _check_messages(messages: list[OutboxMessage]) -> None:
    """Refuse the whole batch before anything is written: a header injection, a missing template."""
    for message in messages:
        email = message.recipient_email.strip()
        if not email or any(char in email for char in "\r\n"):
            raise ValueError("a recipient address is one line")
    for template in dict.fromkeys(message.template for message in messages):
        _check_template(template)


def _recipient_locales(messages: Iterable[OutboxMessage]) -> dict[int, str | None]:
    """The own language of each recipient whose message names none, in at most one query.

    A sender with the recipient's account at hand passes its locale and costs no statement.
    """
    wanted = {
        message.recipient_id
        for message in messages
        if message.locale is None and message.recipient_id is not None
    }
    if not wanted:
        return {}
    accounts = recipient_accounts
    return dict(
        db.session.execute(
            select(accounts.c.id, accounts.c.locale).where(accounts.c.id.in_(wanted))
        ).all()
    )


def _message_locale(message: OutboxMessage, recipient_locales: dict[int, str | None]) -> str:
    """The language asked for if we have it; none asked: the recipient's own; else the default."""
    if message.locale is None and message.recipient_id is not None:
        wanted = recipient_locales.get(message.recipient_id)
    else:
        wanted = message.locale
    if wanted is not None and wanted in current_app.config["OFFERED_LANGUAGES"]:
        return wanted
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _outbox_row(message: OutboxMessage, *, locale: str, now: datetime) -> dict[str, Any]:
    return {
        "recipient_email": message.recipient_email.strip(),
        "recipient_id": message.recipient_id,
        "template": message.template,
        "context": message.context or {},
        "locale": locale,
        "dedup_key": message.dedup_key,
        "call_id": message.call_id,
        "status": NotificationStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _insert_rows(rows: list[dict[str, Any]]) -> dict[str, int]:
    """One multi-row INSERT; a row whose key exists is skipped. The new ids by key."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Notification)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(Notification.dedup_key, Notification.id)
    )
    return dict(db.session.execute(statement).all())


def record_notifications(messages: Iterable[OutboxMessage]) -> list[int | None]:
    """Insert the outbox rows whose de-duplication keys are new; nothing is dispatched.

    Returns one entry per message, in order: the new row's id, or None when its key was
    already taken (by an existing row, a concurrent transaction, or an earlier message of
    the same batch), exactly as calling `record_notification` for each would. The
    statements do not grow with the batch: at most one reads the recipients' languages,
    then one INSERT per INSERT_CHUNK_SIZE messages.
    """
    messages = list(messages)
    _check_messages(messages)
    # The first message of a key wins, as it would one call at a time.
    unique: dict[str, OutboxMessage] = {}
    for message in messages:
        unique.setdefault(message.dedup_key, message)
    recipient_locales = _recipient_locales(unique.values())
    now = utcnow()
    rows = [
        _outbox_row(message, locale=_message_locale(message, recipient_locales), now=now)
        for message in unique.values()
    ]
    new_ids: dict[str, int] = {}
    for start in range(0, len(rows), INSERT_CHUNK_SIZE):
        new_ids.update(_insert_rows(rows[start : start + INSERT_CHUNK_SIZE]))
    # pop: a key repeated in the batch gets its id at its first message, None after.
    return [new_ids.pop(message.dedup_key, None) for message in messages]


def queue_notifications(messages: Iterable[OutboxMessage]) -> list[int | None]:
    """Record many messages in the current transaction; they are sent after the commit.

    What calling `queue_notification` for each message would do (same rows, same
    de-duplication, each new message handed to a worker once after the commit, in
    batches past the first few), in a constant number of statements. Returns one entry
    per message: the new row's id, or None when its key was already taken.
    """
    notification_ids = record_notifications(messages)
    for notification_id in notification_ids:
        if notification_id is not None:
            enqueue_delivery(notification_id)
    return notification_ids


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
    message = OutboxMessage(**locals())  # exactly the keyword arguments above
    (notification_id,) = record_notifications([message])
    return notification_id


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
    message = OutboxMessage(**locals())  # exactly the keyword arguments above
    (notification_id,) = queue_notifications([message])
    return notification_id


def _lock(notification: Notification) -> None:
    """Read the row's state again under a row lock: a worker may have just sent it."""
    db.session.refresh(notification, with_for_update=True)


def resend_notification(*, actor: Person, notification: Notification) -> Notification:
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
    record_audit(actor, "notification.resent", notification, details=previous)
    enqueue_after_commit(DELIVER_TASK, notification_id=notification.id)
    return notification


def cancel_notification(*, actor: Person, notification: Notification) -> Notification:
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
        actor, "notification.cancelled", notification, details={"attempts": notification.attempts}
    )
    return notification
