"""The outbox's own services: recording a message once, resending and cancelling."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.errors import Conflict
from app.extensions import db
from app.outbox import services
from app.outbox.delivery import BATCH_SIZE
from app.outbox.models import Notification, NotificationStatus
from app.outbox.services import (
    OutboxMessage,
    cancel_notification,
    queue_notification,
    queue_notifications,
    record_notification,
    record_notifications,
    resend_notification,
)
from tests.factories import make_admin, make_notification, make_user
from tests.notifications.helpers import handed_over
from tests.querycount import count_queries


def _values(user, key: str, **overrides) -> dict:
    """One message to `user` (a bulk message), as keyword arguments."""
    values = {
        "recipient_email": user.email,
        "recipient_id": user.id,
        "template": "bulk_message",
        "dedup_key": key,
        "context": {"recipient_name": user.name, "message_subject": "S", "message_body": "B"},
    }
    return values | overrides


def _queue(user, key="test:1", **overrides):
    return queue_notification(**_values(user, key, **overrides))


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
    explicit = _queue(make_user(locale="en"), key="c", locale="fr")
    assert db.session.get(Notification, explicit).locale == "fr"


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


# --- many messages at once ----------------------------------------------------------------


def _message(user, key, **overrides) -> OutboxMessage:
    return OutboxMessage(**_values(user, key, **overrides))


def _inserts(counted) -> list[str]:
    return [s for s in counted.statements if s.lstrip().upper().startswith("INSERT")]


def test_queueing_many_messages_takes_the_same_statements_for_5_or_50(app_context):
    users = [make_user() for _ in range(50)]
    few_messages = [_message(user, f"few:{user.id}") for user in users[:5]]
    many_messages = [_message(user, f"many:{user.id}") for user in users]
    db.session.expunge_all()  # the recipients' languages must be read from the database
    with count_queries() as few:
        queue_notifications(few_messages)
    with count_queries() as many:
        queue_notifications(many_messages)
    # One SELECT for the recipients' languages, one INSERT for the rows.
    assert few.count == many.count == 2, str(many)
    assert len(_inserts(many)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 55


def test_a_big_batch_is_inserted_in_chunks(app_context, monkeypatch):
    monkeypatch.setattr(services, "INSERT_CHUNK_SIZE", 3)
    user = make_user(locale="fr")
    with count_queries() as counted:
        ids = queue_notifications(_message(user, f"chunk:{n}", locale="fr") for n in range(7))
    assert len(_inserts(counted)) == 3 and counted.count == 3, str(counted)
    assert None not in ids and len(set(ids)) == 7


def test_queueing_many_skips_existing_keys_and_repeats_within_the_batch(
    app_context, dispatched_tasks, monkeypatch
):
    monkeypatch.setattr(services, "INSERT_CHUNK_SIZE", 2)  # a repeat lands in a later chunk
    user = make_user()
    existing = _queue(user, key="taken")
    db.session.commit()
    dispatched_tasks.clear()
    first = {"recipient_name": "first", "message_subject": "S", "message_body": "B"}
    ids = queue_notifications(
        [
            _message(user, "new:1", context=first),
            _message(user, "taken"),
            _message(user, "new:2"),
            _message(user, "new:1", context={"recipient_name": "second"}),
            _message(user, "new:3"),
        ]
    )
    db.session.commit()
    assert ids[1] is None and ids[3] is None
    assert None not in (ids[0], ids[2], ids[4]) and existing not in ids
    rows = {n.dedup_key: n for n in db.session.scalars(select(Notification))}
    assert set(rows) == {"taken", "new:1", "new:2", "new:3"}
    assert rows["new:1"].id == ids[0] and rows["new:1"].context == first
    assert handed_over(dispatched_tasks) == Counter([ids[0], ids[2], ids[4]])


def test_queueing_many_is_what_queueing_each_would_do(app_context):
    french, unknown, unset, away = (make_user(locale=code) for code in ("fr", "xx", None, "fr"))

    def messages(prefix: str) -> list[OutboxMessage]:
        return [
            _message(french, f"{prefix}:own"),
            _message(unknown, f"{prefix}:unknown"),
            _message(unset, f"{prefix}:unset"),
            _message(away, f"{prefix}:away"),
            _message(unset, f"{prefix}:asked", locale="fr"),
            _message(french, f"{prefix}:lacking", locale="de"),  # the default, not fr
            _message(french, f"{prefix}:no-account", recipient_id=None),
            _message(french, f"{prefix}:bare", context=None, call_id=None),
            _message(french, f"{prefix}:spaced", recipient_email=" spaced@example.org "),
        ]

    singles, batch = messages("one"), messages("many")
    db.session.expunge(away)  # not in the session: read from the database
    one_ids = [
        queue_notification(**{name: getattr(m, name) for name in OutboxMessage.__slots__})
        for m in singles
    ]
    many_ids = queue_notifications(batch)
    columns = ("recipient_email", "recipient_id", "template", "context", "locale", "call_id")
    for one_id, many_id in zip(one_ids, many_ids, strict=True):
        one, other = db.session.get(Notification, one_id), db.session.get(Notification, many_id)
        assert [getattr(one, c) for c in columns] == [getattr(other, c) for c in columns]
        assert (other.status, other.attempts) == (NotificationStatus.PENDING, 0)
    rows = [db.session.get(Notification, i) for i in many_ids]
    assert [row.locale for row in rows] == ["fr", "en", "en", "fr", "fr", "en", "en", "fr", "fr"]
    assert rows[-1].recipient_email == "spaced@example.org" and rows[-2].context == {}


def test_queueing_many_hands_each_new_message_over_once_after_the_commit(
    app_context, dispatched_tasks
):
    user = make_user()
    ids = queue_notifications(_message(user, f"batch:{n}") for n in range(BATCH_SIZE + 7))
    (single,) = queue_notifications([_message(user, "one-more")])
    assert dispatched_tasks == []
    db.session.commit()
    names = Counter(name for name, _ in dispatched_tasks)
    assert names == {"notifications.deliver": BATCH_SIZE, "notifications.deliver_batch": 1}
    assert handed_over(dispatched_tasks) == Counter([*ids, single])


def test_queueing_many_then_rolling_back_hands_nothing_over(app_context, dispatched_tasks):
    user = make_user()
    db.session.commit()
    queue_notifications(_message(user, f"gone:{n}") for n in range(3))
    db.session.rollback()
    assert dispatched_tasks == []
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"recipient_email": "a@example.org\nBcc: victim@example.org"},
        {"recipient_email": "   "},
        {"template": "no_such_message"},
    ],
)
def test_one_bad_message_refuses_the_whole_batch_before_anything_is_written(app_context, bad):
    user = make_user()
    batch = [_message(user, "good:1"), _message(user, "bad", **bad), _message(user, "good:2")]
    with count_queries() as counted, pytest.raises(ValueError):
        record_notifications(batch)
    assert counted.count == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_recording_many_dispatches_nothing(app_context, dispatched_tasks):
    user = make_user()
    ids = record_notifications([_message(user, "quiet:1"), _message(user, "quiet:2")])
    db.session.commit()
    assert None not in ids and dispatched_tasks == []


def test_an_empty_batch_runs_no_statement(app_context):
    with count_queries() as counted:
        assert queue_notifications([]) == []
    assert counted.count == 0


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
