"""A notification reaches a real SMTP server exactly once through a real worker and Redis.

This one runs on the machine's shared Redis (its own database number and queue); the
fault tests in test_faults.py run their own redis-server, which they may stop.
"""

from __future__ import annotations

import time

import pytest
import redis

from app.extensions import db
from app.outbox.models import Notification, NotificationStatus
from app.outbox.services import queue_notification
from tests.factories import make_user
from tests.integration.conftest import machine_redis_url, make_stack
from tests.integration.harness import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.redis]


@pytest.fixture(scope="module")
def stack(integration_database, smtp_sink, tmp_path_factory):
    stack = make_stack(
        database_url=integration_database,
        broker_url=machine_redis_url(),
        smtp=smtp_sink,
        folder=tmp_path_factory.mktemp("machine-redis"),
    )
    stack.start_worker()
    yield stack
    stack.stop_workers()
    # Only our own keys: the machine's Redis is shared and never flushed.
    client = redis.Redis.from_url(stack.broker_url)
    for key in client.scan_iter(match=f"*{stack.queue}*"):
        client.delete(key)
    client.close()
    with stack.app.app_context():
        db.engine.dispose()


def test_a_notification_reaches_the_smtp_server_exactly_once(stack, smtp_sink, quiet_outbox):
    quiet_outbox(stack)
    with stack.app.app_context():
        user = make_user(email="lisbon@example.org", name="Lisbon")
        notification_id = queue_notification(
            recipient_email=user.email,
            recipient_id=user.id,
            template="bulk_message",
            dedup_key="integration:first-message",
            context={
                "recipient_name": user.name,
                "message_subject": "Welcome to the call",
                "message_body": "Your account works.",
                "call_title": "Dialogue Café",
                "call_url": "http://call.test/calls/demo",
            },
        )
        db.session.commit()  # handed to Celery by the after-commit hook

    assert wait_until(lambda: smtp_sink.count() >= 1, timeout=30), stack.workers[0].log()[-3000:]
    # A second hand-over (as the periodic dispatcher might do) sends nothing more.
    stack.app.extensions["celery"].send_task(
        "notifications.deliver", kwargs={"notification_id": notification_id}
    )
    time.sleep(2)
    assert smtp_sink.ids() == {notification_id: 1}
    (message,) = smtp_sink.messages
    assert message["To"] == "lisbon@example.org"
    # What a receiver recognises a repeat by: the same on every attempt of this row.
    assert message["Message-ID"].startswith(f"<notification-{notification_id}.")
    assert message["Message-ID"].endswith("@call.test>")
    assert message["Subject"] == "Welcome to the call"
    assert "Your account works." in message.get_body(preferencelist=("plain",)).get_content()
    with stack.app.app_context():
        row = db.session.get(Notification, notification_id)
        assert row.status == NotificationStatus.SENT and row.attempts == 1
