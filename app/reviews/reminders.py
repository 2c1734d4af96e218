"""Reminders to reviewers: before a review is due, once it is overdue, and an
administrator's nudge. Each is queued in the outbox at most once (by its key); the caller
commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.services import record_audit
from app.calls.models import Call
from app.calls.texts import title_in
from app.core.urls import external_url
from app.db import utcnow
from app.errors import DomainError
from app.extensions import db
from app.outbox.models import Notification
from app.outbox.services import OutboxMessage, queue_notification, queue_notifications
from app.proposals.models import SUBMITTED_STATES, Proposal
from app.reviews.models import Assignment
from app.reviews.queries import (
    OPEN_ASSIGNMENT_STATES,
    REVIEWING_CALL_STATES,
    effective_due_at,
    has_active_conflict,
)


def due_label(due: datetime | None) -> str:
    """A due date as the reviewers' emails write it (assignments and reminders alike)."""
    return due.strftime("%Y-%m-%d %H:%M UTC") if due else ""


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(
            db.session.scalars(
                select(Notification.dedup_key).where(Notification.dedup_key.in_(chunk))
            )
        )
    return found


def send_review_reminders(*, now: datetime | None = None) -> dict[str, int]:
    """Queue a reminder N days before each open assignment's due date and a notice once
    it is overdue; each once per assignment, kind and due date (safe to run twice)."""
    now = now or utcnow()
    days = int(current_app.config.get("REVIEW_REMINDER_DAYS", 3))
    due = effective_due_at()
    rows = db.session.execute(
        select(Assignment.id, due, User.id, User.email, User.name, User.locale, Call.id, Call.title)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .join(Call, Call.id == Proposal.call_id)
        .join(User, User.id == Assignment.reviewer_id)
        .where(
            Assignment.state.in_(OPEN_ASSIGNMENT_STATES),
            Call.state.in_(REVIEWING_CALL_STATES),
            Proposal.state.in_(SUBMITTED_STATES),
            ~has_active_conflict(Assignment.reviewer_id, Assignment.proposal_id),
            User.active.is_(True),
            due.is_not(None),
            due <= now + timedelta(days=days),
        )
        .order_by(Assignment.id)
    ).all()
    planned = []
    for assignment_id, due_at, user_id, email, name, locale, call_id, call_title in rows:
        kind = "overdue" if due_at <= now else "reminder"
        key = f"review-{kind}:{assignment_id}:{due_at:%Y-%m-%d}"
        planned.append(
            (key, kind, assignment_id, due_at, user_id, email, name, locale, call_id, call_title)
        )
    already = _existing_keys([p[0] for p in planned])
    kinds, messages = [], []
    for (
        key,
        kind,
        assignment_id,
        due_at,
        user_id,
        email,
        name,
        locale,
        call_id,
        call_title,
    ) in planned:
        if key in already:
            continue
        kinds.append(kind)
        messages.append(
            OutboxMessage(
                recipient_email=email,
                recipient_id=user_id,
                template=f"review_{kind}",
                dedup_key=key,
                context={
                    "reviewer_name": name,
                    "call_title": call_title,
                    "due_at": due_label(due_at),
                    "review_url": external_url("reviews.review", assignment_id=assignment_id),
                    "queue_url": external_url("reviews.queue"),
                },
                locale=locale,
                call_id=call_id,
            )
        )
    counts = {"reminder": 0, "overdue": 0}
    for kind, notification_id in zip(kinds, queue_notifications(messages), strict=True):
        counts[kind] += notification_id is not None
    return counts


def remind_reviewer(
    *, actor: User, call: Call, reviewer: User, now: datetime | None = None
) -> bool:
    """An administrator's nudge to one reviewer about their unfinished reviews in a call.

    At most one a day per reviewer and call. False when today's was already sent.
    """
    now = now or utcnow()
    open_count = db.session.scalar(
        select(func.count())
        .select_from(Assignment)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(
            Proposal.call_id == call.id,
            Assignment.reviewer_id == reviewer.id,
            Assignment.state.in_(OPEN_ASSIGNMENT_STATES),
        )
    )
    if not open_count:
        raise DomainError(
            _("%(name)s has no unfinished reviews in this call.", name=reviewer.name),
            code="nothing_to_remind",
        )
    queued = queue_notification(
        recipient_email=reviewer.email,
        recipient_id=reviewer.id,
        template="review_reminder",
        dedup_key=f"review-nudge:{call.id}:{reviewer.id}:{now:%Y-%m-%d}",
        context={
            "reviewer_name": reviewer.name,
            "call_title": title_in(call, reviewer.locale),
            "count": open_count,
            "due_at": due_label(call.review_deadline),
            "queue_url": external_url("reviews.queue"),
        },
        locale=reviewer.locale,
        call_id=call.id,
    )
    record_audit(
        actor,
        "reviewer.reminded",
        reviewer,
        details={"call_id": call.id, "queued": queued is not None},
    )
    return queued is not None
