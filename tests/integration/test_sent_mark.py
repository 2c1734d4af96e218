"""On PostgreSQL, the "sent" mark is a short transaction of its own after the server's reply.

Nothing is locked or open while the message travels, and a worker never waits for a row
another transaction has locked: it skips it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text

from app.extensions import db
from app.outbox import delivery
from app.outbox.models import Notification, NotificationStatus
from app.outbox.services import record_notification
from tests.integration.conftest import make_stack

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def stack(integration_database, smtp_sink, tmp_path_factory):
    stack = make_stack(
        database_url=integration_database,
        broker_url="memory://",
        smtp=smtp_sink,
        folder=tmp_path_factory.mktemp("sent-mark"),
    )
    yield stack
    with stack.app.app_context():
        db.engine.dispose()


@pytest.fixture
def other_connection(stack):
    """A second connection to the same database, as another worker or a web request."""
    engine = create_engine(stack.database_url)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _queued(key: str) -> int:
    notification_id = record_notification(
        recipient_email="porto@example.org",
        template="bulk_message",
        dedup_key=key,
        context={"recipient_name": "Porto", "message_subject": "S", "message_body": "B"},
    )
    db.session.commit()
    return notification_id


def _lock_now(connection, notification_id: int) -> tuple[str, int]:
    """Lock the row without waiting (fails at once if anyone holds it); status and attempts."""
    row = connection.execute(
        text("SELECT status, attempts FROM notifications WHERE id = :id FOR UPDATE NOWAIT"),
        {"id": notification_id},
    ).one()
    connection.rollback()
    return row.status, row.attempts


def test_nothing_is_locked_while_the_server_has_the_message(
    stack, smtp_sink, quiet_outbox, other_connection
):
    quiet_outbox(stack)
    seen_by_others = []
    smtp_sink.while_receiving = lambda message: seen_by_others.append(
        _lock_now(other_connection, int(message["X-Dialogue-Cafe-Notification"]))
    )
    with stack.app.app_context():
        notification_id = _queued("sent-mark:unlocked")
        assert delivery.deliver_batch([notification_id]) == 1
    # Claimed (committed) and not yet marked sent, and free to lock, until the server replied.
    assert seen_by_others == [("pending", 1)]
    assert _lock_now(other_connection, notification_id) == ("sent", 1)


def test_a_row_locked_elsewhere_is_skipped_not_waited_for(stack, other_connection):
    with stack.app.app_context():
        notification_id = _queued("sent-mark:locked")
        other_connection.execute(
            select(Notification.id).where(Notification.id == notification_id).with_for_update()
        )
        # Were the claim to wait, it would wait for ever (the holder is this very test).
        db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
        assert delivery.claim_notification(notification_id) is None
        db.session.commit()
        other_connection.rollback()
        assert delivery.claim_notification(notification_id) == 1
        db.session.commit()


def test_a_mark_for_a_lost_claim_is_refused(stack):
    with stack.app.app_context():
        notification_id = _queued("sent-mark:lost")
        attempt = delivery.claim_notification(notification_id)
        db.session.commit()
        assert not delivery.mark_sent(notification_id, attempt=attempt - 1)
        assert delivery.mark_sent(notification_id, attempt=attempt)
        db.session.commit()
        row = db.session.get(Notification, notification_id)
        assert row.status == NotificationStatus.SENT and row.sent_at is not None
