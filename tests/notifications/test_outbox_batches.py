"""A transaction that queues thousands of messages hands them to workers in batches.

Per message, a task costs a broker round trip and a task's set-up in the worker; for
5,000 messages that overhead, not SMTP, limited the outbox (docs/PERFORMANCE.md).
"""

from __future__ import annotations

from collections import Counter

from app.extensions import db
from app.outbox.delivery import BATCH_SIZE
from app.outbox.services import queue_notification
from tests.notifications.helpers import handed_over

CONTEXT = {"name": "Ana", "link": "https://call.test/verify", "valid_seconds": 3600}


def queue(count: int, prefix: str) -> list[int]:
    return [
        queue_notification(
            recipient_email=f"city{number}@example.org",
            template="verify_email",
            dedup_key=f"{prefix}:{number}",
            context=CONTEXT,
        )
        for number in range(count)
    ]


def test_a_big_transaction_hands_over_each_message_once_mostly_in_batches(
    app_context, dispatched_tasks
):
    ids = queue(BATCH_SIZE * 3 + 7, "big")
    db.session.commit()

    names = Counter(name for name, _ in dispatched_tasks)
    assert names == {"notifications.deliver": BATCH_SIZE, "notifications.deliver_batch": 3}
    assert handed_over(dispatched_tasks) == Counter(ids)
    batches = [kwargs["notification_ids"] for name, kwargs in dispatched_tasks if "batch" in name]
    assert [len(batch) for batch in batches] == [BATCH_SIZE, BATCH_SIZE, 7]


def test_each_transaction_starts_with_single_tasks_again(app_context, dispatched_tasks):
    queue(BATCH_SIZE + 1, "first")
    db.session.commit()
    dispatched_tasks.clear()

    (only,) = queue(1, "second")
    db.session.commit()

    assert dispatched_tasks == [("notifications.deliver", {"notification_id": only})]


def test_messages_of_a_rolled_back_transaction_are_nothanded_over(app_context, dispatched_tasks):
    queue(BATCH_SIZE + 5, "rolled-back")
    db.session.rollback()
    (kept,) = queue(1, "kept")
    db.session.commit()

    assert dispatched_tasks == [("notifications.deliver", {"notification_id": kept})]
