"""Bulk messages: an administrator writes to a group of a call, previews, then sends.

What is sent is what was previewed: the preview carries a fingerprint of the recipients
and the text, and sending refuses when either changed since. Each recipient gets the
message once: its de-duplication key is `bulk:<bulk id>:<user id>`, and the bulk id is
drawn when the preview is shown, so a form sent twice, or a job run twice, sends nothing
twice.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Iterator
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.recipients import Recipient, recipients_by_id
from app.audit.services import record_audit
from app.calls.models import Call
from app.calls.texts import title_in
from app.core.urls import external_url
from app.errors import Conflict, DomainError
from app.extensions import db
from app.jobs.models import Job
from app.jobs.services import (
    FINISHED_STATES,
    fail_job,
    finish_job,
    mark_running,
    report_progress,
    start_job,
)
from app.notifications import queries
from app.outbox.delivery import enqueue_batches
from app.outbox.models import Notification
from app.outbox.rendering import render_notification
from app.outbox.services import record_notification

BULK_KIND = "bulk_message"
SEND_BULK_TASK = "notifications.send_bulk_message"
TEMPLATE = "bulk_message"
CHUNK_SIZE = 100
SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = 20_000


class BulkGroup(enum.StrEnum):
    APPLICANTS = "applicants"
    DRAFTS = "drafts"
    REVIEWERS = "reviewers"


GROUP_LABELS = {
    BulkGroup.APPLICANTS: _l("All applicants of the call (except withdrawn proposals)"),
    BulkGroup.DRAFTS: _l("Applicants with an unfinished draft"),
    BulkGroup.REVIEWERS: _l("Reviewers with unfinished reviews"),
}

_GROUP_QUERIES = {
    BulkGroup.APPLICANTS: queries.applicants_of_call,
    BulkGroup.DRAFTS: queries.applicants_with_drafts,
    BulkGroup.REVIEWERS: queries.reviewers_with_unfinished_reviews,
}


def new_bulk_id() -> str:
    return secrets.token_hex(12)


def group_recipients(*, call_id: int, group: BulkGroup) -> list[Recipient]:
    return _GROUP_QUERIES[BulkGroup(group)](call_id)


def preview_fingerprint(
    *, call_id: int, group: BulkGroup, subject: str, body: str, recipients: list[Recipient]
) -> str:
    """Changes when the group, the text or anyone in the list changes."""
    digest = hashlib.sha256()
    for part in (str(call_id), str(group), subject, body, *sorted(str(r.id) for r in recipients)):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _check_text(subject: str, body: str) -> None:
    if not subject.strip() or len(subject) > SUBJECT_MAX_LENGTH:
        raise DomainError(
            _("Write a subject of at most %(count)s characters.", count=SUBJECT_MAX_LENGTH),
            field="subject",
            code="invalid_subject",
        )
    if not body.strip() or len(body) > BODY_MAX_LENGTH:
        raise DomainError(
            _("Write a message of at most %(count)s characters.", count=BODY_MAX_LENGTH),
            field="body",
            code="invalid_body",
        )


def _context(*, call: Call, subject: str, body: str, recipient: Recipient) -> dict:
    return {
        "recipient_name": recipient.name,
        "message_subject": subject,
        "message_body": body,
        "call_title": title_in(call, recipient.locale),
        "call_url": external_url("calls.public_call", slug=call.slug),
    }


def preview_message(*, call: Call, subject: str, body: str, recipient: Recipient) -> EmailMessage:
    """The message as this recipient will receive it (nothing is recorded)."""
    _check_text(subject, body)
    notification = Notification(
        recipient_email=recipient.email,
        recipient_id=recipient.id,
        locale=recipient.locale or current_app.config["BABEL_DEFAULT_LOCALE"],
        template=TEMPLATE,
        context=_context(call=call, subject=subject, body=body, recipient=recipient),
    )
    return render_notification(notification)


def existing_bulk_job(*, actor: User, bulk_id: str) -> Job | None:
    return db.session.scalar(
        select(Job).where(
            Job.kind == BULK_KIND,
            Job.started_by_id == actor.id,
            Job.parameters["bulk_id"].as_string() == bulk_id,
        )
    )


def start_bulk_message(
    *,
    actor: User,
    call: Call,
    group: BulkGroup,
    subject: str,
    body: str,
    bulk_id: str,
    fingerprint: str,
) -> Job:
    """Start sending what was previewed, as a job. The same bulk id gives the same job."""
    existing = existing_bulk_job(actor=actor, bulk_id=bulk_id)
    if existing is not None:
        return existing
    _check_text(subject, body)
    recipients = group_recipients(call_id=call.id, group=group)
    if not recipients:
        raise DomainError(_("Nobody is in this group."), code="no_recipients")
    current = preview_fingerprint(
        call_id=call.id, group=group, subject=subject, body=body, recipients=recipients
    )
    if current != fingerprint:
        raise Conflict(
            _(
                "The message or the people in the group changed since the preview. "
                "Please check the new preview, then send."
            ),
            code="preview_outdated",
        )
    job = start_job(
        actor=actor,
        kind=BULK_KIND,
        task_name=SEND_BULK_TASK,
        call_id=call.id,
        parameters={
            "bulk_id": bulk_id,
            "group": str(group),
            "subject": subject,
            "body": body,
            "recipient_ids": [recipient.id for recipient in recipients],
        },
    )
    record_audit(
        actor,
        "notification.bulk_started",
        job,
        details={
            "call_id": call.id,
            "group": str(group),
            "subject": subject,
            "recipients": len(recipients),
        },
    )
    return job


def send_bulk_message(*, job: Job, chunk_size: int = CHUNK_SIZE) -> Iterator[int]:
    """Queue the job's message for each recipient, a chunk at a time.

    Yields how many recipients are done after each chunk: the caller commits there, so
    the progress bar moves and a crash loses at most one chunk (which a second run
    records again without doubles).
    """
    if job.state in FINISHED_STATES:
        return
    parameters = job.parameters
    call = db.session.get(Call, job.call_id) if job.call_id is not None else None
    if call is None:
        # Every bulk job is started for a call (start_bulk_message): the worker marks it failed.
        raise LookupError(f"bulk message job {job.id} has no call (call_id={job.call_id})")
    starter = db.session.get(User, job.started_by_id) if job.started_by_id else None
    locale = (starter.locale if starter else None) or current_app.config["BABEL_DEFAULT_LOCALE"]
    recipient_ids: list[int] = parameters["recipient_ids"]
    total = len(recipient_ids)
    mark_running(job)
    for start in range(0, total, chunk_size):
        new_ids = []
        for recipient in recipients_by_id(recipient_ids[start : start + chunk_size]):
            notification_id = record_notification(
                recipient_email=recipient.email,
                recipient_id=recipient.id,
                locale=recipient.locale,
                template=TEMPLATE,
                dedup_key=f"bulk:{parameters['bulk_id']}:{recipient.id}",
                call_id=call.id,
                context=_context(
                    call=call,
                    subject=parameters["subject"],
                    body=parameters["body"],
                    recipient=recipient,
                ),
            )
            if notification_id is not None:
                new_ids.append(notification_id)
        enqueue_batches(new_ids)
        done = min(start + chunk_size, total)
        with force_locale(locale):
            report_progress(
                job,
                done=done,
                total=total,
                message=_("%(done)s of %(total)s messages queued.", done=done, total=total),
            )
        yield done
    with force_locale(locale):
        finish_job(
            job,
            message=_(
                "%(total)s messages queued. The outbox shows each one as it is delivered.",
                total=total,
            ),
        )


def fail_bulk_message(*, job: Job) -> None:
    """An error stopped the job: say so to its starter (what was queued is still sent)."""
    if job.state in FINISHED_STATES:
        return
    fail_job(
        job,
        message=_(
            "An error stopped the sending. The messages queued before it are in the outbox "
            "and will be delivered."
        ),
    )
