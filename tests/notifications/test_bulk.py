"""Bulk messages: the right people, what was previewed, each person once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.errors import Conflict, DomainError
from app.extensions import db
from app.jobs.models import Job, JobState
from app.notifications import bulk
from app.notifications.bulk import BulkGroup
from app.outbox.mail import plain_text
from app.outbox.models import Notification
from app.proposals.models import ProposalState
from app.reviews.models import AssignmentState
from tests.factories import (
    make_admin,
    make_assignment,
    make_call,
    make_proposal,
    make_reviewer,
    make_user,
)


@pytest.fixture
def people(app_context):
    call = make_call()
    drafting = make_user(name="Drafting city")
    submitted = make_user(name="Submitted city")
    withdrawn = make_user(name="Withdrawn city")
    both = make_user(name="Two proposals")
    make_proposal(call=call, owner=drafting)
    proposal = make_proposal(call=call, owner=submitted, state=ProposalState.SUBMITTED)
    make_proposal(call=call, owner=withdrawn, state=ProposalState.WITHDRAWN)
    make_proposal(call=call, owner=both)
    make_proposal(call=call, owner=both, state=ProposalState.SUBMITTED, city="Porto")
    make_proposal(call=make_call(), owner=make_user(name="Other call"))
    busy, done, declined = make_reviewer(name="Busy"), make_reviewer(), make_reviewer()
    make_assignment(proposal=proposal, reviewer=busy, state=AssignmentState.IN_PROGRESS)
    make_assignment(proposal=proposal, reviewer=done, state=AssignmentState.SUBMITTED)
    assignment = make_assignment(proposal=proposal, reviewer=declined)
    assignment.state, assignment.declined_reason = AssignmentState.DECLINED, "Conflict"
    db.session.flush()
    return {"call": call, "drafting": drafting, "submitted": submitted, "both": both, "busy": busy}


def _names(recipients):
    return sorted(r.name for r in recipients)


def test_each_group_holds_the_right_people_once(people):
    call_id = people["call"].id
    assert _names(bulk.group_recipients(call_id=call_id, group=BulkGroup.APPLICANTS)) == [
        "Drafting city",
        "Submitted city",
        "Two proposals",
    ]
    assert _names(bulk.group_recipients(call_id=call_id, group=BulkGroup.DRAFTS)) == [
        "Drafting city",
        "Two proposals",
    ]
    assert _names(bulk.group_recipients(call_id=call_id, group=BulkGroup.REVIEWERS)) == ["Busy"]


def _start(people, admin, *, subject="Venue visits", body="We visit in May.", bulk_id="b1"):
    call = people["call"]
    recipients = bulk.group_recipients(call_id=call.id, group=BulkGroup.APPLICANTS)
    fingerprint = bulk.preview_fingerprint(
        call_id=call.id,
        group=BulkGroup.APPLICANTS,
        subject=subject,
        body=body,
        recipients=recipients,
    )
    return bulk.start_bulk_message(
        actor=admin,
        call=call,
        group=BulkGroup.APPLICANTS,
        subject=subject,
        body=body,
        bulk_id=bulk_id,
        fingerprint=fingerprint,
    )


def test_starting_a_bulk_message_records_a_job_and_an_audit_entry(people, dispatched_tasks):
    admin = make_admin()
    job = _start(people, admin)
    db.session.commit()
    assert job.kind == "bulk_message" and job.started_by_id == admin.id
    assert len(job.parameters["recipient_ids"]) == 3
    assert dispatched_tasks == [("notifications.send_bulk_message", {"job_id": job.id})]
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "notification.bulk_started")
    )
    assert entry.object_id == job.id and entry.details["recipients"] == 3


def test_the_same_preview_sent_twice_is_one_job(people):
    admin = make_admin()
    assert _start(people, admin).id == _start(people, admin).id
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1


def test_sending_refuses_when_the_group_changed_since_the_preview(people):
    call = people["call"]
    admin = make_admin()
    recipients = bulk.group_recipients(call_id=call.id, group=BulkGroup.APPLICANTS)
    fingerprint = bulk.preview_fingerprint(
        call_id=call.id, group=BulkGroup.APPLICANTS, subject="S", body="B", recipients=recipients
    )
    make_proposal(call=call, owner=make_user(name="Late newcomer"))
    with pytest.raises(Conflict) as raised:
        bulk.start_bulk_message(
            actor=admin,
            call=call,
            group=BulkGroup.APPLICANTS,
            subject="S",
            body="B",
            bulk_id="b2",
            fingerprint=fingerprint,
        )
    assert raised.value.code == "preview_outdated"


def test_sending_refuses_a_text_changed_since_the_preview(people):
    call = people["call"]
    recipients = bulk.group_recipients(call_id=call.id, group=BulkGroup.APPLICANTS)
    fingerprint = bulk.preview_fingerprint(
        call_id=call.id, group=BulkGroup.APPLICANTS, subject="S", body="B", recipients=recipients
    )
    with pytest.raises(Conflict):
        bulk.start_bulk_message(
            actor=make_admin(),
            call=call,
            group=BulkGroup.APPLICANTS,
            subject="S",
            body="B, edited",
            bulk_id="b3",
            fingerprint=fingerprint,
        )


def test_an_empty_subject_is_refused_with_its_field(people):
    with pytest.raises(DomainError) as raised:
        _start(people, make_admin(), subject="  ")
    assert raised.value.field == "subject"


def test_the_job_queues_one_message_per_recipient_and_reports_progress(people, dispatched_tasks):
    job = _start(people, make_admin())
    db.session.commit()
    dispatched_tasks.clear()
    progress = list(bulk.send_bulk_message(job=job, chunk_size=2))
    db.session.commit()
    assert progress == [2, 3]
    assert job.state == JobState.SUCCEEDED and job.progress == 100
    assert "3 messages queued" in job.message
    rows = db.session.scalars(select(Notification).order_by(Notification.recipient_id)).all()
    assert {row.dedup_key for row in rows} == {
        f"bulk:b1:{people[key].id}" for key in ("drafting", "submitted", "both")
    }
    handed = sorted(i for name, kwargs in dispatched_tasks for i in kwargs["notification_ids"])
    assert handed == sorted(row.id for row in rows)
    assert {name for name, _ in dispatched_tasks} == {"notifications.deliver_batch"}


def test_running_the_job_twice_sends_nobody_a_second_message(people):
    job = _start(people, make_admin())
    list(bulk.send_bulk_message(job=job))
    job.state = JobState.RUNNING  # as if the worker died before finishing
    list(bulk.send_bulk_message(job=job))
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 3


def test_the_preview_is_the_message_a_recipient_receives(people):
    recipient = bulk.group_recipients(call_id=people["call"].id, group=BulkGroup.DRAFTS)[0]
    message = bulk.preview_message(
        call=people["call"], subject="Venue visits", body="We visit in May.", recipient=recipient
    )
    assert message["Subject"] == "Venue visits"
    assert message["To"] == recipient.email
    text = plain_text(message)
    assert f"Hello {recipient.name}," in text and "We visit in May." in text
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
