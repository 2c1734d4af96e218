"""Tasks leave a transaction only after it commits, and a broker that is down costs one try."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from app.extensions import db
from app.jobs import dispatch_now, enqueue_after_commit


@pytest.fixture
def celery_mode(app, monkeypatch):
    monkeypatch.setitem(app.config, "TASK_DISPATCH", "celery")
    sent = []

    def send_task(name, kwargs=None, **options):
        sent.append((name, kwargs))
        if app.extensions.get("broker_down"):
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(app.extensions["celery"], "send_task", send_task)
    yield sent
    app.extensions.pop("broker_down", None)


def test_tasks_are_sent_only_after_the_commit(app_context, celery_mode):
    enqueue_after_commit("notifications.deliver", notification_id=1)
    enqueue_after_commit("notifications.deliver", notification_id=2)
    assert celery_mode == []
    db.session.commit()
    assert [kwargs for _, kwargs in celery_mode] == [{"notification_id": 1}, {"notification_id": 2}]


def test_a_rolled_back_transaction_sends_no_task(app_context, celery_mode):
    enqueue_after_commit("notifications.deliver", notification_id=1)
    db.session.rollback()
    db.session.commit()
    assert celery_mode == []


def test_a_broker_that_is_down_is_tried_once_per_commit(app_context, celery_mode, caplog):
    app_context.extensions["broker_down"] = True
    for number in range(50):
        enqueue_after_commit("notifications.deliver", notification_id=number)
    db.session.commit()  # the commit itself succeeds
    assert len(celery_mode) == 1
    assert "49 more tasks left for the re-dispatchers" in caplog.text


def test_dispatch_now_says_whether_the_broker_took_the_task(app_context, celery_mode):
    assert dispatch_now("notifications.deliver", notification_id=1) is True
    app_context.extensions["broker_down"] = True
    assert dispatch_now("notifications.deliver", notification_id=2) is False
