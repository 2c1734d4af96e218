"""Fault tests: a real worker, a redis-server of our own, a local SMTP server.

Redis stopped while a city submits, a worker killed in the middle of a batch, an SMTP
server that refuses, a task delivered twice: every message arrives, and exactly once, but
for a message in flight when its worker is killed, which may arrive twice (shown, with
its Message-ID, in the test's output: `pytest -rP`).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from datetime import timedelta

import pytest
from kombu.exceptions import OperationalError
from sqlalchemy import func, select

from app.db import utcnow
from app.extensions import db
from app.outbox.delivery import dispatch_pending_notifications
from app.outbox.models import Notification, NotificationStatus
from app.outbox.services import queue_notification, record_notification
from app.proposals.models import Proposal, ProposalState
from tests.client import new_login_id
from tests.factories import make_admin, make_call, make_user
from tests.integration.conftest import make_stack
from tests.integration.harness import RedisServer, wait_until
from tests.proposals.helpers import complete_proposal

pytestmark = [pytest.mark.worker, pytest.mark.redis]


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(integration_database, own_redis, smtp_sink, tmp_path_factory):
    stack = make_stack(
        database_url=integration_database,
        broker_url=own_redis.url,
        smtp=smtp_sink,
        folder=tmp_path_factory.mktemp("faults"),
    )
    stack.start_worker()
    yield stack
    stack.stop_workers()
    with stack.app.app_context():
        db.engine.dispose()


def _context(name: str) -> dict:
    return {
        "recipient_name": name,
        "message_subject": f"A message for {name}",
        "message_body": "The venue visits start next week.",
        "call_title": "Dialogue Café",
        "call_url": "http://call.test/calls/demo",
    }


def _beat_until(stack, condition, *, timeout: float, every: float = 1.0) -> bool:
    """Run the periodic dispatcher, as celery beat would, until the condition holds."""

    def tick_and_check() -> bool:
        with contextlib.suppress(OperationalError):  # the broker is still coming back
            stack.beat()
        return condition()

    return wait_until(tick_and_check, timeout=timeout, every=every)


def _status(stack, notification_id: int) -> Notification:
    with stack.app.app_context():
        notification = db.session.get(Notification, notification_id)
        db.session.expunge(notification)
        return notification


def _log_in(client, login_id: str) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = login_id
        session["_fresh"] = True


def test_the_same_task_message_delivered_twice_sends_one_email(stack, smtp_sink, quiet_outbox):
    quiet_outbox(stack)
    with stack.app.app_context():
        user = make_user(email="turin@example.org", name="Turin")
        notification_id = record_notification(
            recipient_email=user.email,
            recipient_id=user.id,
            template="bulk_message",
            dedup_key="faults:twice",
            context=_context("Turin"),
        )
        db.session.commit()
    celery_app = stack.app.extensions["celery"]
    task_id = str(uuid.uuid4())
    # The very same message twice (as a broker redelivers it), and a batch holding it too;
    # two pool processes take them at the same time.
    for _ in range(2):
        celery_app.send_task(
            "notifications.deliver", kwargs={"notification_id": notification_id}, task_id=task_id
        )
    celery_app.send_task(
        "notifications.deliver_batch", kwargs={"notification_ids": [notification_id]}
    )
    assert wait_until(lambda: smtp_sink.count() >= 1, timeout=30)
    time.sleep(2)
    assert smtp_sink.ids() == {notification_id: 1}
    row = _status(stack, notification_id)
    assert row.status == NotificationStatus.SENT and row.attempts == 1


def test_smtp_refusing_for_a_while_then_for_good(stack, smtp_sink, quiet_outbox):
    quiet_outbox(stack)
    smtp_sink.refuse_next(2)
    with stack.app.app_context():
        user = make_user(email="cardiff@example.org", name="Cardiff")
        administrator = make_admin(email="organiser@example.org")
        patient = queue_notification(
            recipient_email=user.email,
            recipient_id=user.id,
            template="bulk_message",
            dedup_key="faults:refused-for-a-while",
            context=_context("Cardiff"),
        )
        db.session.commit()
        admin_token = new_login_id(administrator)

    # Refused twice (451), retried with backoff by the periodic dispatcher, then delivered.
    assert _beat_until(stack, lambda: smtp_sink.ids().get(patient) == 1, timeout=45)
    row = _status(stack, patient)
    assert row.status == NotificationStatus.SENT
    assert row.attempts == 3 and smtp_sink.refusals == 2

    # Refused for good: after MAIL_MAX_ATTEMPTS it is failed, and administrators see it.
    smtp_sink.refuse_always(451)
    with stack.app.app_context():
        doomed = queue_notification(
            recipient_email="duisburg@example.org",
            template="bulk_message",
            dedup_key="faults:refused-for-good",
            context=_context("Duisburg"),
        )
        db.session.commit()
    assert _beat_until(
        stack, lambda: _status(stack, doomed).status == NotificationStatus.FAILED, timeout=45
    )
    failed = _status(stack, doomed)
    assert failed.attempts == 3 and "451" in failed.last_error
    assert doomed not in smtp_sink.ids()

    client = stack.app.test_client()
    _log_in(client, admin_token)
    page = client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "duisburg@example.org" in page and "451" in page

    # The server accepts again; an administrator resends it and it arrives once.
    smtp_sink.accept()
    response = client.post(f"/admin/outbox/{doomed}/resend")
    assert response.status_code == 302
    assert wait_until(lambda: smtp_sink.ids().get(doomed) == 1, timeout=30)
    _beat_until(stack, lambda: False, timeout=3)  # the dispatcher finds nothing more to send
    assert smtp_sink.ids() == {patient: 1, doomed: 1}


def test_redis_down_while_a_city_submits(stack, own_redis, smtp_sink, quiet_outbox):
    quiet_outbox(stack)
    with stack.app.app_context():
        owner = make_user(email="rio@example.org", name="Rio de Janeiro")
        proposal = complete_proposal(call=make_call(), owner=owner, city="Rio de Janeiro")
        db.session.commit()
        proposal_id, version, token = proposal.id, proposal.version, new_login_id(owner)

    own_redis.stop()
    try:
        client = stack.app.test_client()
        _log_in(client, token)
        started = time.monotonic()
        response = client.post(f"/proposals/{proposal_id}/submit", data={"version": version})
        elapsed = time.monotonic() - started
        # The city's submission succeeds, quickly, although the broker is down.
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        assert response.headers["Location"].endswith(f"/proposals/{proposal_id}/submitted")
        assert elapsed < 15
        with stack.app.app_context():
            assert db.session.get(Proposal, proposal_id).state == ProposalState.SUBMITTED
            confirmation = db.session.scalar(
                select(Notification).where(
                    Notification.dedup_key == f"proposal-submitted:{proposal_id}:1"
                )
            )
            assert confirmation.status == NotificationStatus.PENDING
            confirmation_id = confirmation.id
        time.sleep(1.5)
        assert smtp_sink.count() == 0
    finally:
        own_redis.start()

    # Redis is back: the periodic dispatcher hands the confirmation over; it arrives once.
    assert _beat_until(stack, lambda: smtp_sink.ids().get(confirmation_id) == 1, timeout=60)
    _beat_until(stack, lambda: False, timeout=4)
    assert smtp_sink.ids() == {confirmation_id: 1}
    (message,) = smtp_sink.messages
    assert message["To"] == "rio@example.org"


def test_a_worker_killed_in_the_middle_of_a_batch(stack, smtp_sink, quiet_outbox):
    quiet_outbox(stack)
    total = 300
    with stack.app.app_context():
        user = make_user(email="lagos@example.org", name="Lagos")
        ids = [
            record_notification(
                recipient_email=user.email,
                recipient_id=user.id,
                template="bulk_message",
                dedup_key=f"faults:batch:{number}",
                context=_context(f"Lagos {number}"),
            )
            for number in range(total)
        ]
        db.session.commit()
        assert dispatch_pending_notifications(now=utcnow() + timedelta(seconds=5)) == total
        db.session.commit()  # six batches of 50 go to the broker

    worker = stack.workers.pop()
    assert wait_until(lambda: smtp_sink.count() >= total // 5, timeout=60)
    worker.kill()
    delivered_when_killed = smtp_sink.count()
    assert delivered_when_killed < total, "the worker finished before it could be killed"
    # Claimed and not marked sent: what each pool process had in hand (nothing has failed
    # here, so a pending row with an attempt is one a killed process had claimed).
    in_flight = _claimed_unfinished(stack, ids)
    assert len(in_flight) <= worker.concurrency

    stack.start_worker()
    arrived = _beat_until(stack, lambda: set(smtp_sink.ids()) >= set(ids), timeout=90)
    _beat_until(stack, lambda: False, timeout=4)
    counts = smtp_sink.ids()
    repeats = sorted(notification_id for notification_id in ids if counts[notification_id] == 2)
    repeated_message_ids = sorted(
        message_id for message_id, count in smtp_sink.message_ids().items() if count > 1
    )
    print(
        f"\nkilled after {delivered_when_killed} of {total} messages, "
        f"{len(in_flight)} in flight {sorted(in_flight)}; {len(repeats)} arrived twice: "
        + (", ".join(repeated_message_ids) or "none")
    )
    # A repeat is only ever a message in flight at the kill (killed between the server's
    # reply and the commit of its "sent" mark), and it carries the first copy's Message-ID.
    odd = [
        notification_id
        for notification_id in ids
        if counts[notification_id] != 1
        and not (counts[notification_id] == 2 and notification_id in in_flight)
    ]
    assert arrived and not odd, _describe(stack, odd, counts, delivered_when_killed)
    assert len(repeated_message_ids) == len(repeats)
    assert len(smtp_sink.message_ids()) == total  # one Message-ID per message, every attempt
    assert sum(counts.values()) == total + len(repeats)
    with stack.app.app_context():
        sent = db.session.scalar(
            select(func.count()).where(
                Notification.id.in_(ids), Notification.status == NotificationStatus.SENT
            )
        )
    assert sent == total


def _claimed_unfinished(stack, notification_ids) -> set[int]:
    with stack.app.app_context():
        return set(
            db.session.scalars(
                select(Notification.id).where(
                    Notification.id.in_(notification_ids),
                    Notification.status == NotificationStatus.PENDING,
                    Notification.attempts > 0,
                )
            )
        )


def _describe(stack, notification_ids, counts, delivered_when_killed) -> str:
    """Which messages went wrong, and what the outbox says about them."""
    with stack.app.app_context():
        rows = db.session.scalars(
            select(Notification).where(Notification.id.in_(notification_ids[:20]))
        ).all()
        details = [
            f"#{row.id}: received {counts[row.id]}x, {row.status.value}, "
            f"{row.attempts} attempts, {row.last_error!r}"
            for row in rows
        ]
    return (
        f"{len(notification_ids)} messages not received exactly once, nor twice while in "
        f"flight at the kill (killed after {delivered_when_killed}):\n" + "\n".join(details)
    )
