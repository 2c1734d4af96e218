"""Delivering the outbox: claim one message, send it, record the outcome; re-dispatch.

Why a message is not sent twice, even by two workers at once or by a task delivered
twice: a worker first *claims* the row (one conditional UPDATE that raises the attempt
counter and pushes `next_attempt_at` a lease ahead; on PostgreSQL the row lock makes a
second claimant wait and then find the row no longer due) and commits. It then hands the
whole message to the SMTP server but for the final "." that makes the server accept it.
There it marks the row sent, on the condition that its claim (the attempt number) still
holds, which keeps the row locked; a worker whose claim is gone (the message was
cancelled, or taken over after the lease) closes the connection instead, and the server
discards the message. Then the "." and the COMMIT leave one right after the other,
neither waiting for an answer (on PostgreSQL the COMMIT goes out through libpq and its
reply is read afterwards). A worker killed before the "." leaves nothing delivered and
nothing recorded: its claim runs out and the message is tried again. Killed after both,
it leaves both. Only a kill in the microseconds between the two sends, or a database
that fails the COMMIT of a row it has already locked, can make a repeat, and the repeat
carries the same Message-ID.

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
from select import select as wait_for_socket

from flask import current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, func, select, update

from app.accounts.models import User
from app.db import utcnow
from app.extensions import db
from app.jobs import enqueue_after_commit
from app.notifications.mail import DeliveryUncertain, MailerPool, open_mailer
from app.notifications.models import Notification, NotificationStatus
from app.notifications.rendering import render_notification

log = logging.getLogger(__name__)

DELIVER_TASK = "notifications.deliver"
DELIVER_BATCH_TASK = "notifications.deliver_batch"
BATCH_SIZE = 50
UNCERTAIN_NOTE = (
    "The connection broke after the whole message was handed over; the mail server "
    "most likely accepted it, so it is not sent again. "
)


class Outcome(enum.Enum):
    SENT = "sent"
    NOT_SENT = "not sent"  # failed this time, lost its claim, or could not be rendered
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
    return (
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == NotificationStatus.PENDING,
            Notification.next_attempt_at <= now,
        )
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
    zone = select(User.timezone).where(User.id == Notification.recipient_id).scalar_subquery()
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
    now = utcnow()
    statement = (
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == NotificationStatus.PENDING,
            Notification.attempts == attempt,
        )
        .values(status=NotificationStatus.SENT, sent_at=now, last_error=None)
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


def _note_uncertain(notification_id: int, error: BaseException) -> None:
    notification = db.session.get(Notification, notification_id, populate_existing=True)
    if notification is not None:
        notification.last_error = (UNCERTAIN_NOTE + describe_error(error))[:2000]


def deliver_claimed(
    notification: Notification, *, timezone: str | None, mailers: MailerPool
) -> Outcome:
    """Send one claimed message and record what happened (committing each step)."""
    notification_id, attempt = notification.id, notification.attempts
    try:
        message = render_notification(notification, recipient_timezone=timezone)
    except Exception as error:
        # A missing template or a broken context will not heal by waiting: show it now.
        log.exception("notification %s could not be rendered", notification_id)
        db.session.rollback()
        record_failed_attempt(notification_id, attempt=attempt, error=error, permanent=True)
        db.session.commit()
        return Outcome.NOT_SENT
    # End the reading transaction before the write that marks the message sent: on SQLite,
    # a transaction that read before another worker committed can no longer write
    # ("database is locked" at once, whatever the busy timeout).
    db.session.commit()
    try:
        mailer = mailers.get()
    except (smtplib.SMTPException, OSError) as error:
        record_failed_attempt(notification_id, attempt=attempt, error=error)
        db.session.commit()
        return Outcome.SERVER_DOWN

    mark = SentMark(notification_id, attempt)
    try:
        sent = mailer.send(message, confirm=mark.confirm, commit=mark.commit)
    except DeliveryUncertain as error:
        mark.settle()
        log.warning("notification %s: %s", notification_id, error)
        _note_uncertain(notification_id, error)
        db.session.commit()
        mailers.close()
        return Outcome.SENT
    except (smtplib.SMTPException, OSError) as error:
        mark.settle()  # a refusal after the "." finds the row marked sent, and undoes it
        record_failed_attempt(
            notification_id, attempt=attempt, error=error, permanent=is_permanent(error)
        )
        db.session.commit()
        return Outcome.NOT_SENT
    except BaseException:
        mark.settle()
        raise
    mark.settle()
    return Outcome.SENT if sent else Outcome.NOT_SENT


class SentMark:
    """The "sent" mark of one claimed message, made durable in step with the SMTP server."""

    def __init__(self, notification_id: int, attempt: int) -> None:
        self.notification_id = notification_id
        self.attempt = attempt
        self.committed = False
        self.commit_in_flight = False

    def confirm(self) -> bool:
        """Mark it sent in the open transaction (the row stays locked); False: claim gone."""
        if mark_sent(self.notification_id, attempt=self.attempt):
            return True
        db.session.rollback()
        return False

    def commit(self) -> None:
        """The final "." has just left: the COMMIT follows it at once."""
        self.committed = True
        self.commit_in_flight = send_commit()

    def settle(self) -> None:
        """Wait for a COMMIT in flight; a mark that was never committed is rolled back."""
        if self.commit_in_flight:
            self.commit_in_flight = False
            finish_commit()
        elif not self.committed:
            db.session.rollback()


def _driver_connection():
    """The psycopg connection under the session, when a COMMIT may be sent without waiting."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql" or connection.in_nested_transaction():
        return None  # SQLite, or a transaction inside another one (the test suite's)
    return connection.connection.driver_connection


def send_commit() -> bool:
    """Send COMMIT without waiting for its reply (True), or commit now where that is impossible."""
    driver = _driver_connection()
    if driver is None:
        db.session.commit()
        return False
    pgconn = driver.pgconn
    pgconn.send_query(b"COMMIT")
    while pgconn.flush():  # the connection is non-blocking: push it all out now
        wait_for_socket([], [pgconn.socket], [], 1.0)
    return True


def finish_commit() -> None:
    """Read the reply of the COMMIT sent by send_commit, then let SQLAlchemy close its side."""
    # Only ever on PostgreSQL, where the driver has loaded psycopg; on SQLite a web worker
    # that imports this module (to queue messages) is spared psycopg (about 9 MiB).
    from psycopg import pq

    pgconn = _driver_connection().pgconn
    while True:
        pgconn.consume_input()
        if not pgconn.is_busy():
            break
        wait_for_socket([pgconn.socket], [], [], 1.0)
    failure = None
    while (result := pgconn.get_result()) is not None:
        if result.status != pq.ExecStatus.COMMAND_OK:
            failure = (result.error_message or b"").decode(errors="replace")
    # psycopg finds the transaction already closed and sends nothing more.
    db.session.commit()
    if failure:
        log.error("a delivered message could not be recorded as sent: %s", failure)
        raise RuntimeError(f"COMMIT after delivery failed: {failure}")


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
