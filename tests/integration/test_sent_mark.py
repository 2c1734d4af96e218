"""On PostgreSQL, the "sent" mark's COMMIT leaves right behind the final "." (no waiting)."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.notifications import delivery
from app.notifications.models import Notification, NotificationStatus
from app.notifications.services import record_notification
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


def _claimed(key: str) -> tuple[int, int]:
    notification_id = record_notification(
        recipient_email="porto@example.org",
        template="bulk_message",
        dedup_key=key,
        context={"recipient_name": "Porto", "message_subject": "S", "message_body": "B"},
    )
    db.session.commit()
    attempt = delivery.claim_notification(notification_id)
    db.session.commit()
    return notification_id, attempt


def test_the_commit_is_sent_without_waiting_and_settled_afterwards(stack):
    with stack.app.app_context():
        notification_id, attempt = _claimed("sent-mark:pipelined")
        mark = delivery.SentMark(notification_id, attempt)
        assert mark.confirm()
        mark.commit()
        assert mark.commit_in_flight  # the COMMIT is on its way; its reply not read yet
        mark.settle()
        db.session.expire_all()
        row = db.session.get(Notification, notification_id)
        assert row.status == NotificationStatus.SENT and row.sent_at is not None
        # The session goes on working normally afterwards.
        assert db.session.get(Notification, notification_id).attempts == 1


def test_a_mark_never_committed_is_rolled_back(stack):
    with stack.app.app_context():
        notification_id, attempt = _claimed("sent-mark:abandoned")
        mark = delivery.SentMark(notification_id, attempt)
        assert mark.confirm()
        mark.settle()  # the "." never left
        db.session.expire_all()
        assert db.session.get(Notification, notification_id).status == NotificationStatus.PENDING


def test_a_lost_claim_is_refused(stack):
    with stack.app.app_context():
        notification_id, attempt = _claimed("sent-mark:lost")
        mark = delivery.SentMark(notification_id, attempt - 1)
        assert not mark.confirm()
