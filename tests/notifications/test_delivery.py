"""Delivery: each message once, failures retried with backoff, then failed and visible."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
import time_machine

from app.db import utcnow
from app.extensions import db
from app.outbox import delivery
from app.outbox.models import Notification, NotificationStatus
from tests.factories import make_notification


def _reload(notification: Notification) -> Notification:
    db.session.expire_all()
    return db.session.get(Notification, notification.id)


def test_a_message_is_sent_once_even_when_its_task_runs_twice(app_context, sent_mail):
    notification = make_notification()
    db.session.commit()
    assert delivery.deliver_batch([notification.id]) == 1
    assert delivery.deliver_batch([notification.id]) == 0
    assert len(sent_mail) == 1
    row = _reload(notification)
    assert row.status == NotificationStatus.SENT
    assert row.sent_at is not None
    assert row.attempts == 1


def test_a_batch_sends_each_message_and_skips_the_others(app_context, sent_mail):
    pending = [make_notification() for _ in range(3)]
    cancelled = make_notification(status="cancelled")
    failed = make_notification(status="failed", attempts=8)
    db.session.commit()
    ids = [n.id for n in pending] + [cancelled.id, failed.id, 999_999]
    assert delivery.deliver_batch(ids) == 3
    assert sorted(int(m["X-Dialogue-Cafe-Notification"]) for m in sent_mail) == sorted(
        n.id for n in pending
    )


def test_a_claimed_message_cannot_be_claimed_again_during_its_lease(app_context):
    notification = make_notification()
    db.session.commit()
    assert delivery.claim_notification(notification.id) == 1
    assert delivery.claim_notification(notification.id) is None
    later = utcnow() + timedelta(seconds=app_context.config["NOTIFICATION_CLAIM_SECONDS"] + 1)
    # The worker holding it died: after the lease, another worker takes it over.
    assert delivery.claim_notification(notification.id, now=later) == 2


def test_a_worker_claims_a_message_and_reads_what_it_sends_in_one_statement(app_context):
    from tests.factories import make_user
    from tests.querycount import count_queries

    recipient = make_user()
    recipient.timezone = "Asia/Tokyo"
    notification = make_notification(recipient=recipient, template="bulk_message")
    db.session.commit()
    notification_id = notification.id
    with count_queries() as counted:
        claimed, timezone = delivery.claim_for_delivery(notification_id)
        db.session.commit()
        # Detached as claimed: nothing is read again to render it after the commit.
        assert (claimed.attempts, claimed.template) == (1, "bulk_message")
    assert counted.count == 1, str(counted)
    assert timezone == "Asia/Tokyo"
    assert delivery.claim_for_delivery(notification_id) is None  # within the lease


def test_a_message_is_marked_sent_only_after_the_server_accepted_it(app_context, flaky_mailer):
    notification = make_notification()
    db.session.commit()
    seen_while_sending = []

    def server_has_it():
        # Nothing is open (no lock, no transaction) while the message travels.
        seen_while_sending.append((db.session().in_transaction(), _reload(notification).status))
        db.session.rollback()

    flaky_mailer.while_sending = server_has_it
    assert delivery.deliver_batch([notification.id]) == 1
    assert seen_while_sending == [(False, NotificationStatus.PENDING)]
    assert _reload(notification).status == NotificationStatus.SENT


def test_a_worker_killed_after_the_servers_reply_repeats_the_message_with_its_message_id(
    app_context, sent_mail, monkeypatch
):
    notification = make_notification()
    db.session.commit()

    class WorkerKilled(BaseException):
        pass

    def killed(notification_id, *, attempt):
        raise WorkerKilled

    with monkeypatch.context() as patched:
        patched.setattr(delivery, "mark_sent", killed)
        with pytest.raises(WorkerKilled):
            delivery.deliver_batch([notification.id])
    db.session.rollback()
    assert len(sent_mail) == 1
    assert _reload(notification).status == NotificationStatus.PENDING  # still claimed
    after_lease = utcnow() + timedelta(seconds=app_context.config["NOTIFICATION_CLAIM_SECONDS"])
    with time_machine.travel(after_lease, tick=False):
        assert delivery.deliver_batch([notification.id]) == 1
    first, repeat = sent_mail
    assert first["Message-ID"] == repeat["Message-ID"]
    assert first["Message-ID"].startswith(f"<notification-{notification.id}.")
    row = _reload(notification)
    assert row.status == NotificationStatus.SENT and row.attempts == 2


def test_a_message_taken_over_while_the_server_had_it_is_left_to_the_new_claim(
    app_context, flaky_mailer, caplog
):
    notification = make_notification()
    db.session.commit()

    def another_worker_takes_over():
        later = utcnow() + timedelta(seconds=app_context.config["NOTIFICATION_CLAIM_SECONDS"] + 1)
        delivery.claim_notification(notification.id, now=later)
        db.session.commit()

    flaky_mailer.while_sending = another_worker_takes_over
    assert delivery.deliver_batch([notification.id]) == 1  # the server accepted it
    row = _reload(notification)
    assert row.status == NotificationStatus.PENDING and row.attempts == 2  # the new claim's
    (message,) = flaky_mailer.sent
    assert f"{message['Message-ID']} was delivered, but its claim was gone" in caplog.text


def test_a_message_cancelled_while_the_server_had_it_stays_cancelled_and_is_logged(
    app_context, flaky_mailer, caplog
):
    notification = make_notification()
    db.session.commit()

    def administrator_cancels():
        db.session.execute(
            Notification.__table__.update()
            .where(Notification.id == notification.id)
            .values(status="cancelled")
        )
        db.session.commit()

    flaky_mailer.while_sending = administrator_cancels
    delivery.deliver_batch([notification.id])
    assert _reload(notification).status == NotificationStatus.CANCELLED
    assert "claim was gone" in caplog.text


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        TimeoutError("timed out"),
        smtplib.SMTPDataError(452, b"4.3.1 insufficient storage"),
    ],
    ids=["disconnected", "no reply", "data refused for now"],
)
def test_a_message_the_server_did_not_confirm_is_retried(app_context, flaky_mailer, error):
    # Lost before the server's reply, it may have arrived: a repeat the receiver recognises
    # by its Message-ID is better than a loss nobody sees.
    notification = make_notification()
    db.session.commit()
    flaky_mailer.failures = 1
    flaky_mailer.error = error
    assert delivery.deliver_batch([notification.id]) == 0
    row = _reload(notification)
    assert row.status == NotificationStatus.PENDING and row.sent_at is None
    assert row.attempts == 1 and type(error).__name__ in row.last_error
    assert row.next_attempt_at > utcnow()


def test_a_temporary_refusal_is_retried_later_with_backoff(app_context, flaky_mailer):
    app_context.config["MAIL_RETRY_BASE_SECONDS"] = 30
    notification = make_notification()
    db.session.commit()
    flaky_mailer.failures = 1
    before = utcnow()
    assert delivery.deliver_batch([notification.id]) == 0
    row = _reload(notification)
    assert row.status == NotificationStatus.PENDING
    assert row.attempts == 1
    assert "451" in row.last_error
    assert before + timedelta(seconds=15) <= row.next_attempt_at
    assert row.next_attempt_at <= utcnow() + timedelta(seconds=30)
    # Not due yet: a repeated task does nothing.
    assert delivery.deliver_batch([notification.id]) == 0
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1), tick=False):
        assert delivery.deliver_batch([notification.id]) == 1
    row = _reload(notification)
    assert row.status == NotificationStatus.SENT
    assert row.last_error is None
    assert len(flaky_mailer.sent) == 1


@pytest.mark.parametrize("attempts", [1, 2, 3, 6, 20])
def test_backoff_grows_exponentially_with_jitter_and_a_ceiling(app_context, attempts):
    app_context.config["MAIL_RETRY_BASE_SECONDS"] = 30
    app_context.config["MAIL_RETRY_MAX_SECONDS"] = 3600
    ceiling = min(3600, 30 * 2 ** (attempts - 1))
    delays = {delivery.backoff_delay(attempts).total_seconds() for _ in range(20)}
    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
    assert len(delays) > 1  # jitter: two workers retrying together drift apart


def test_after_the_last_attempt_the_message_is_failed_and_kept(app_context, flaky_mailer):
    app_context.config["MAIL_MAX_ATTEMPTS"] = 3
    notification = make_notification()
    db.session.commit()
    flaky_mailer.failures = 10
    for _ in range(3):
        with time_machine.travel(_reload(notification).next_attempt_at, tick=False):
            delivery.deliver_batch([notification.id])
    row = _reload(notification)
    assert row.status == NotificationStatus.FAILED
    assert row.attempts == 3
    assert "451" in row.last_error
    assert flaky_mailer.sent == []


def test_a_permanent_refusal_fails_at_once(app_context, flaky_mailer):
    notification = make_notification()
    db.session.commit()
    flaky_mailer.failures = 1
    flaky_mailer.error = smtplib.SMTPRecipientsRefused(
        {notification.recipient_email: (550, b"5.1.1 no such user")}
    )
    delivery.deliver_batch([notification.id])
    row = _reload(notification)
    assert row.status == NotificationStatus.FAILED
    assert row.attempts == 1
    assert "550" in row.last_error


def test_a_refused_sender_is_a_configuration_problem_and_is_retried(app_context, flaky_mailer):
    notification = make_notification()
    db.session.commit()
    flaky_mailer.failures = 1
    flaky_mailer.error = smtplib.SMTPSenderRefused(553, b"not allowed", "no-reply@x")
    delivery.deliver_batch([notification.id])
    assert _reload(notification).status == NotificationStatus.PENDING


def test_when_the_server_cannot_be_reached_the_rest_of_the_batch_waits(app_context, flaky_mailer):
    first, second = make_notification(), make_notification()
    db.session.commit()
    flaky_mailer.connect_error = ConnectionRefusedError(111, "Connection refused")
    assert delivery.deliver_batch([first.id, second.id]) == 0
    first, second = _reload(first), _reload(second)
    assert first.attempts == 1 and "Connection refused" in first.last_error
    # Not tried, so not counted: the dispatcher hands it over again later.
    assert second.attempts == 0 and second.status == NotificationStatus.PENDING


def test_a_message_that_cannot_be_rendered_fails_at_once_and_says_why(app_context, sent_mail):
    notification = make_notification(template="no_such_template")
    db.session.commit()
    delivery.deliver_batch([notification.id])
    row = _reload(notification)
    assert row.status == NotificationStatus.FAILED
    assert "no_such_template" in row.last_error
    assert sent_mail == []


def test_dispatch_pending_hands_over_due_messages_in_batches_once_per_window(
    app_context, dispatched_tasks
):
    app_context.config["NOTIFICATION_REDISPATCH_SECONDS"] = 120
    old = [make_notification() for _ in range(5)]
    fresh = make_notification()
    sent = make_notification(status="sent")
    db.session.commit()
    later = utcnow() + timedelta(seconds=10)
    for notification in old:
        notification.created_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    dispatched_tasks.clear()
    assert delivery.dispatch_pending_notifications(now=later, batch_size=2) == 5
    db.session.commit()
    handed = [ids for name, kwargs in dispatched_tasks for ids in kwargs.values()]
    assert [len(batch) for batch in handed] == [2, 2, 1]
    handed_ids = [i for batch in handed for i in batch]
    assert sorted(handed_ids) == sorted(n.id for n in old)
    assert fresh.id not in handed_ids and sent.id not in handed_ids
    # Running it again in the same window hands nothing over twice.
    dispatched_tasks.clear()
    assert delivery.dispatch_pending_notifications(now=later + timedelta(seconds=5)) == 0
    db.session.commit()
    assert dispatched_tasks == []
    # After the window, what is still pending is handed over again.
    assert delivery.dispatch_pending_notifications(now=later + timedelta(seconds=200)) == 6


def test_dispatch_pending_picks_up_a_message_whose_worker_died(app_context, dispatched_tasks):
    app_context.config["NOTIFICATION_REDISPATCH_SECONDS"] = 60
    notification = make_notification()
    notification.created_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    delivery.claim_notification(notification.id)  # ... and the worker is killed here
    db.session.commit()
    assert delivery.dispatch_pending_notifications() == 0
    after_lease = utcnow() + timedelta(seconds=app_context.config["NOTIFICATION_CLAIM_SECONDS"])
    assert delivery.dispatch_pending_notifications(now=after_lease) == 1


def test_a_message_due_for_retry_is_dispatched_as_soon_as_it_is_due(app_context, flaky_mailer):
    notification = make_notification()
    notification.created_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    flaky_mailer.failures = 1
    delivery.deliver_batch([notification.id])
    row = _reload(notification)
    assert delivery.dispatch_pending_notifications() == 0
    assert delivery.dispatch_pending_notifications(now=row.next_attempt_at) == 1
