"""The outbox's own services: recording a message once, resending and cancelling."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.errors import Conflict
from app.extensions import db
from app.notifications.models import Notification, NotificationStatus
from app.notifications.services import (
    cancel_notification,
    queue_notification,
    record_notification,
    resend_notification,
)
from tests.factories import make_admin, make_notification, make_user


def _queue(user, key="test:1", **overrides):
    values = {
        "recipient_email": user.email,
        "recipient_id": user.id,
        "template": "bulk_message",
        "dedup_key": key,
        "context": {"recipient_name": user.name, "message_subject": "S", "message_body": "B"},
    }
    values.update(overrides)
    return queue_notification(**values)


def test_queue_notification_records_a_row_and_dispatches_it_after_commit(
    app_context, dispatched_tasks
):
    user = make_user()
    notification_id = _queue(user)
    assert dispatched_tasks == []
    db.session.commit()
    assert dispatched_tasks == [("notifications.deliver", {"notification_id": notification_id})]
    row = db.session.get(Notification, notification_id)
    assert row.status == NotificationStatus.PENDING
    assert row.attempts == 0


def test_the_same_dedup_key_twice_records_one_message(app_context, dispatched_tasks):
    user = make_user()
    first = _queue(user, key="proposal-submitted:7:1")
    second = _queue(user, key="proposal-submitted:7:1")
    db.session.commit()
    assert first is not None and second is None
    count = db.session.scalar(
        select(func.count()).where(Notification.dedup_key == "proposal-submitted:7:1")
    )
    assert count == 1
    assert len(dispatched_tasks) == 1


def test_a_rolled_back_transaction_sends_nothing(app_context, dispatched_tasks):
    user = make_user()
    db.session.commit()
    _queue(user)
    db.session.rollback()
    assert dispatched_tasks == []
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_locale_defaults_to_the_recipients_own_language(app_context):
    french_user = make_user(locale="fr")
    unknown = make_user(locale="xx")
    assert db.session.get(Notification, _queue(french_user, key="a")).locale == "fr"
    assert db.session.get(Notification, _queue(unknown, key="b")).locale == "en"
    explicit = _queue(french_user, key="c", locale="es")
    assert db.session.get(Notification, explicit).locale == "es"


def test_a_missing_template_is_refused_when_queued_not_later(app_context):
    with pytest.raises(ValueError, match="no_such_message"):
        _queue(make_user(), template="no_such_message")


def test_a_recipient_address_with_a_line_break_is_refused(app_context):
    user = make_user()
    with pytest.raises(ValueError):
        record_notification(
            recipient_email="a@example.org\r\nBcc: victim@example.org",
            template="bulk_message",
            dedup_key="x",
            recipient_id=user.id,
        )


def test_resend_puts_a_failed_message_back_with_fresh_attempts_and_an_audit_entry(
    app_context, dispatched_tasks
):
    admin = make_admin()
    notification = make_notification(status="failed", attempts=8, last_error="SMTP 451")
    resend_notification(actor=admin, notification=notification)
    db.session.commit()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 0
    assert dispatched_tasks == [("notifications.deliver", {"notification_id": notification.id})]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "notification.resent"))
    assert entry.actor_id == admin.id and entry.object_id == notification.id
    assert entry.details == {"attempts": 8, "last_error": "SMTP 451"}


@pytest.mark.parametrize("status", ["pending", "sent", "cancelled"])
def test_only_a_failed_message_can_be_resent(app_context, status):
    notification = make_notification(status=status)
    with pytest.raises(Conflict) as raised:
        resend_notification(actor=make_admin(), notification=notification)
    assert raised.value.code == "notification_not_failed"


def test_cancel_stops_a_pending_message_with_an_audit_entry(app_context):
    admin = make_admin()
    notification = make_notification()
    cancel_notification(actor=admin, notification=notification)
    db.session.commit()
    assert notification.status == NotificationStatus.CANCELLED
    assert db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "notification.cancelled",
            AuditEntry.object_id == notification.id,
        )
    )


@pytest.mark.parametrize("status", ["sent", "failed", "cancelled"])
def test_only_a_pending_message_can_be_cancelled(app_context, status):
    notification = make_notification(status=status)
    with pytest.raises(Conflict) as raised:
        cancel_notification(actor=make_admin(), notification=notification)
    assert raised.value.code == "notification_not_pending"


def test_cancel_sees_a_message_a_worker_sent_meanwhile(app_context):
    notification = make_notification()
    db.session.commit()
    # A worker marks it sent behind this session's back.
    db.session.execute(
        Notification.__table__.update()
        .where(Notification.id == notification.id)
        .values(status="sent", sent_at=func.now())
    )
    with pytest.raises(Conflict):
        cancel_notification(actor=make_admin(), notification=notification)
