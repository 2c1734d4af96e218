"""Delivering the outbox: claim one message, send it, record the outcome; re-dispatch.

Each message goes through three steps, and nothing is held open across the network:
1. *Claim* (one short transaction): a conditional UPDATE raises the attempt counter and
   pushes `next_attempt_at` a lease ahead (NOTIFICATION_CLAIM_SECONDS), so no other worker
   takes the message meanwhile. On PostgreSQL a row another transaction has locked at that
   moment is skipped (`FOR UPDATE SKIP LOCKED`), not waited for: whoever holds it either
   delivers it or makes it due again, and the dispatcher hands it over then.
2. *Send* it over SMTP, with no transaction open.
3. *Mark* it sent once the server has replied that it accepted it (its own short
   transaction), on the condition that the claim (the attempt number) still holds.

So in the normal case a message is sent once. A worker killed between the server's reply
and that commit leaves a delivered message still claimed: after the lease it is sent again,
with the same Message-ID (`rendering.message_id`), by which the receiving side recognises
the repeat. A connection lost before the server's reply is retried for the same reason: a
repeat the receiver can recognise is better than a message lost in silence.

Why a message is never lost: the row is committed with the change that caused it; the
dispatcher hands over again every pending, due row that the broker did not take or whose
worker died; failures are retried with exponential backoff and jitter, and after
MAIL_MAX_ATTEMPTS the row is marked failed, where administrators see and resend it.
"""

from __future__ import annotations

import enum
import logging
import random
import smtplib
from datetime import datetime, timedelta

from flask import current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import and_, event, func, select, update

from app.db import utcnow
from app.extensions import db
from app.jobs import enqueue_after_commit
from app.outbox.mail import MailerPool, open_mailer
from app.outbox.models import Notification, NotificationStatus, recipient_accounts
from app.outbox.rendering import render_notification

log = logging.getLogger(__name__)

DELIVER_TASK = "notifications.deliver"
DELIVER_BATCH_TASK = "notifications.deliver_batch"
BATCH_SIZE = 50


class Outcome(enum.Enum):
    SENT = "sent"  # accepted by the mail server
    NOT_SENT = "not sent"  # failed this time, or could not be rendered
    SERVER_DOWN = "server down"  # no connection: leave the rest of the batch for later


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def backoff_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: between half and all of base * 2**(attempts-1), capped."""
    config = current_app.config
    ceiling = min(
        config["MAIL_RETRY_MAX_SECONDS"],
        config["MAIL_RETRY_BASE_SECONDS"] * 2 ** max(attempts - 1, 0),
    )
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def is_permanent(error: BaseException) -> bool:
    """A refusal that trying again cannot change (5xx for this recipient or this message).

    A refused sender or login is a configuration problem of ours: retried, not failed.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return False


def _claim(notification_id: int, now: datetime | None):
    """The conditional UPDATE that takes a pending, due message for a lease."""
    now = now or utcnow()
    lease = now + timedelta(seconds=current_app.config["NOTIFICATION_CLAIM_SECONDS"])
    due = (
        Notification.id == notification_id,
        Notification.status == NotificationStatus.PENDING,
        Notification.next_attempt_at <= now,
    )
    if _is_postgresql():
        unlocked = select(Notification.id).where(*due).with_for_update(skip_locked=True)
        condition = Notification.id == unlocked.scalar_subquery()
    else:
        condition = and_(*due)
    return (
        update(Notification)
        .where(condition)
        .values(attempts=Notification.attempts + 1, next_attempt_at=lease)
        .execution_options(synchronize_session=False)
    )


def claim_notification(notification_id: int, *, now: datetime | None = None) -> int | None:
    """Take a pending, due message for this worker. Returns the claim (its attempt number).

    The caller commits at once, so that no other worker takes it during the lease.
    """
    statement = _claim(notification_id, now).returning(Notification.attempts)
    return db.session.execute(statement).scalar_one_or_none()


def claim_for_delivery(notification_id: int) -> tuple[Notification, str | None] | None:
    """Claim a message and read, in the same statement, all that sending it needs: the row
    (its `attempts` is the claim) and the recipient's time zone. The caller commits at once.

    One round trip where a claim, a read of the row and one of the recipient took three:
    a worker's throughput is mostly its round trips to the database.
    """
    zone = (
        select(recipient_accounts.c.timezone)
        .where(recipient_accounts.c.id == Notification.recipient_id)
        .scalar_subquery()
    )
    statement = _claim(notification_id, None).returning(Notification, zone)
    row = db.session.execute(statement, execution_options={"populate_existing": True}).one_or_none()
    if row is None:
        return None
    notification, timezone = row
    # Detached as claimed: the commit that follows would expire it, and reading it again
    # is the round trip this function saves. Outcomes are written by id, never through it.
    db.session.expunge(notification)
    return notification, timezone


def mark_sent(notification_id: int, *, attempt: int) -> bool:
    """Record the message as sent if this attempt's claim still holds."""
    statement = (
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == NotificationStatus.PENDING,
            Notification.attempts == attempt,
        )
        .values(status=NotificationStatus.SENT, sent_at=utcnow(), last_error=None)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(statement).scalar_one_or_none() is not None


def record_failed_attempt(
    notification_id: int, *, attempt: int, error: BaseException, permanent: bool = False
) -> None:
    """Schedule the next try with backoff, or mark the message failed for good."""
    query = select(Notification).where(Notification.id == notification_id)
    if _is_postgresql():
        query = query.with_for_update()
    notification = db.session.scalar(query.execution_options(populate_existing=True))
    if notification is None or notification.attempts != attempt:
        return  # another worker took the message over; its outcome counts
    if notification.status == NotificationStatus.CANCELLED:
        return
    notification.last_error = describe_error(error)
    notification.sent_at = None
    notification.dispatched_at = None
    if permanent or notification.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        notification.status = NotificationStatus.FAILED
        notification.next_attempt_at = utcnow()
        log.warning("notification %s failed for good: %s", notification.id, error)
    else:
        notification.status = NotificationStatus.PENDING
        notification.next_attempt_at = utcnow() + backoff_delay(notification.attempts)
        log.info("notification %s attempt %s failed: %s", notification.id, attempt, error)


def _fail_attempt(
    notification_id: int, *, attempt: int, error: BaseException, permanent: bool = False
) -> None:
    """Record a failed attempt in its own transaction."""
    db.session.rollback()
    record_failed_attempt(notification_id, attempt=attempt, error=error, permanent=permanent)
    db.session.commit()


def deliver_claimed(
    notification: Notification, *, timezone: str | None, mailers: MailerPool
) -> Outcome:
    """Send one claimed message, then record what happened in a transaction of its own."""
    notification_id, attempt = notification.id, notification.attempts
    try:
        message = render_notification(notification, recipient_timezone=timezone)
    except Exception as error:
        # A missing template or a broken context will not heal by waiting: show it now.
        log.exception("notification %s could not be rendered", notification_id)
        _fail_attempt(notification_id, attempt=attempt, error=error, permanent=True)
        return Outcome.NOT_SENT
    # Nothing stays open while the message travels: no lock, and no snapshot (on SQLite, a
    # transaction that read before another worker committed can no longer write).
    db.session.commit()
    try:
        mailer = mailers.get()
    except (smtplib.SMTPException, OSError) as error:
        _fail_attempt(notification_id, attempt=attempt, error=error)
        return Outcome.SERVER_DOWN
    try:
        mailer.send(message)
    except (smtplib.SMTPException, OSError) as error:
        _fail_attempt(notification_id, attempt=attempt, error=error, permanent=is_permanent(error))
        return Outcome.NOT_SENT
    marked = mark_sent(notification_id, attempt=attempt)
    db.session.commit()
    if not marked:
        # Cancelled, or taken over after the lease, while the server had it: it is out all
        # the same, and a second copy would carry the same Message-ID.
        log.warning(
            "notification %s %s was delivered, but its claim was gone by then",
            notification_id,
            message["Message-ID"],
        )
    return Outcome.SENT


def deliver_batch(notification_ids: list[int]) -> int:
    """Deliver several messages over one connection. Returns how many were sent now.

    Messages that are not pending or not due are skipped (a repeated task sends nothing).
    When the server cannot be reached, the rest stay pending for the dispatcher.
    """
    sent = 0
    with open_mailer() as mailers:
        for notification_id in notification_ids:
            claimed = claim_for_delivery(notification_id)
            db.session.commit()
            if claimed is None:
                continue
            notification, timezone = claimed
            outcome = deliver_claimed(notification, timezone=timezone, mailers=mailers)
            if outcome is Outcome.SERVER_DOWN:
                break
            sent += outcome is Outcome.SENT
    return sent


def due_notification_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Pending, due messages not handed to the broker recently (locked for this dispatcher)."""
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
    if _is_postgresql():
        # A second dispatcher running at the same time skips these rows.
        query = query.with_for_update(skip_locked=True)
    return list(db.session.scalars(query))


def dispatch_pending_notifications(
    *, now: datetime | None = None, batch_size: int = BATCH_SIZE, limit: int = 500
) -> int:
    """Hand every due pending message to the broker again, in batches, after the commit.

    Safe to run twice: a handed-over row is not due again before
    NOTIFICATION_REDISPATCH_SECONDS, and delivering it twice sends it once.
    """
    now = now or utcnow()
    ids = due_notification_ids(now=now, limit=limit)
    if not ids:
        return 0
    db.session.execute(
        update(Notification)
        .where(Notification.id.in_(ids))
        .values(dispatched_at=now)
        .execution_options(synchronize_session=False)
    )
    enqueue_batches(ids, batch_size=batch_size)
    return len(ids)


def enqueue_batches(ids: list[int], *, batch_size: int = BATCH_SIZE) -> None:
    for start in range(0, len(ids), batch_size):
        enqueue_after_commit(DELIVER_BATCH_TASK, notification_ids=ids[start : start + batch_size])


_QUEUED_KEY = "notifications_queued"
_OPEN_BATCH_KEY = "notifications_open_batch"


def enqueue_delivery(notification_id: int) -> None:
    """Hand a message queued in this transaction to a worker once the transaction commits.

    The first BATCH_SIZE messages of a transaction get a task each (they leave at once, in
    parallel); the rest go BATCH_SIZE to a task, so that a transaction queueing thousands
    (a call closing, decisions published) does not pay a broker round trip and a task's
    set-up per message: 5,000 messages went 2.3x faster (docs/PERFORMANCE.md).
    """
    info = db.session.info
    queued = info.get(_QUEUED_KEY, 0)
    info[_QUEUED_KEY] = queued + 1
    if queued < BATCH_SIZE:
        enqueue_after_commit(DELIVER_TASK, notification_id=notification_id)
        return
    batch = info.get(_OPEN_BATCH_KEY)
    if batch is None or len(batch) >= BATCH_SIZE:
        # The task holds this very list: ids added until the commit leave with it.
        batch = info[_OPEN_BATCH_KEY] = []
        enqueue_after_commit(DELIVER_BATCH_TASK, notification_ids=batch)
    batch.append(notification_id)


@event.listens_for(FlaskSession, "after_commit")
@event.listens_for(FlaskSession, "after_soft_rollback")
def _start_counting_again(session, *args) -> None:
    session.info.pop(_QUEUED_KEY, None)
    session.info.pop(_OPEN_BATCH_KEY, None)
