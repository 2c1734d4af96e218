"""The tasks as plain functions: one service call, commits, safe to run twice."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.jobs.models import Job, JobState
from app.notifications import bulk
from app.outbox.models import Notification
from tests.factories import make_admin, make_call, make_notification, make_proposal
from workers import jobs as job_tasks
from workers import notifications as tasks


def test_deliver_task_sends_once_when_delivered_twice(app_context, sent_mail):
    notification = make_notification()
    db.session.commit()
    assert tasks.deliver_notification.run(notification_id=notification.id) == 1
    assert tasks.deliver_notification.run(notification_id=notification.id) == 0
    assert len(sent_mail) == 1


def test_the_bulk_task_queues_everything_and_finishes_the_job(app_context):
    call = make_call()
    for _ in range(3):
        make_proposal(call=call)
    admin = make_admin()
    recipients = bulk.group_recipients(call_id=call.id, group=bulk.BulkGroup.DRAFTS)
    job = bulk.start_bulk_message(
        actor=admin,
        call=call,
        group=bulk.BulkGroup.DRAFTS,
        subject="S",
        body="B",
        bulk_id="w1",
        fingerprint=bulk.preview_fingerprint(
            call_id=call.id,
            group=bulk.BulkGroup.DRAFTS,
            subject="S",
            body="B",
            recipients=recipients,
        ),
    )
    db.session.commit()
    tasks.send_bulk_message.run(job_id=job.id)
    tasks.send_bulk_message.run(job_id=job.id)
    db.session.expire_all()
    assert db.session.get(Job, job.id).state == JobState.SUCCEEDED
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 3
    tasks.send_bulk_message.run(job_id=job.id + 1000)  # gone: returns quietly


def test_a_bulk_task_that_breaks_marks_its_job_failed(app_context, monkeypatch):
    call = make_call()
    make_proposal(call=call)
    job = Job(
        kind="bulk_message",
        started_by_id=make_admin().id,
        call_id=call.id,
        parameters={"bulk_id": "x", "subject": "S", "body": "B", "recipient_ids": [1]},
    )
    db.session.add(job)
    db.session.commit()

    def broken(ids):
        raise RuntimeError("database went away")

    monkeypatch.setattr("app.notifications.bulk.recipients_by_id", broken)
    with pytest.raises(RuntimeError):
        tasks.send_bulk_message.run(job_id=job.id)
    db.session.expire_all()
    failed = db.session.get(Job, job.id)
    assert failed.state == JobState.FAILED and "error stopped" in failed.message


def test_periodic_tasks_are_safe_to_run_twice(app_context, dispatched_tasks):
    from datetime import timedelta

    from app.db import utcnow

    notification = make_notification()
    notification.created_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert tasks.dispatch_pending_notifications.run() == 1
    assert tasks.dispatch_pending_notifications.run() == 0
    assert dispatched_tasks == [
        ("notifications.deliver_batch", {"notification_ids": [notification.id]})
    ]
    assert tasks.send_daily_digest.run() == tasks.send_daily_digest.run() == 0
    assert tasks.send_closing_soon.run() == tasks.send_closing_soon.run() == 0
    assert job_tasks.redispatch_queued_jobs.run() == 0
