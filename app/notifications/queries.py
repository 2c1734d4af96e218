"""Read-only queries of the notifications domain, each page in a constant number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Row, func, select

from app.accounts.models import User
from app.accounts.recipients import Recipient, recipients_of
from app.audit.models import AuditEntry
from app.calls.models import Call
from app.core.paging import OffsetPage, page_within
from app.extensions import db
from app.outbox.models import Notification, NotificationStatus
from app.proposals.models import Proposal, ProposalState
from app.reviews.models import Assignment, AssignmentState

PAGE_SIZE = 50
ERROR_PREVIEW_LENGTH = 160


@dataclass(frozen=True)
class OutboxFilters:
    recipient: str = ""
    status: NotificationStatus | None = None
    template: str | None = None
    call_id: int | None = None

    def conditions(self, *, with_status: bool = True) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.recipient:
            conditions.append(
                Notification.recipient_email.icontains(self.recipient, autoescape=True)
            )
        if self.template:
            conditions.append(Notification.template == self.template)
        if self.call_id:
            conditions.append(Notification.call_id == self.call_id)
        if with_status and self.status:
            conditions.append(Notification.status == self.status)
        return conditions


@dataclass
class OutboxPage(OffsetPage):
    counts: dict[NotificationStatus, int]


def outbox_page(filters: OutboxFilters, *, page: int = 1, page_size: int = PAGE_SIZE) -> OutboxPage:
    """One page of messages, newest first, and the count per state: two queries."""
    counted = db.session.execute(
        select(Notification.status, func.count())
        .where(*filters.conditions(with_status=False))
        .group_by(Notification.status)
    ).all()
    counts = dict.fromkeys(NotificationStatus, 0)
    counts.update({status: number for status, number in counted})
    total = counts[filters.status] if filters.status else sum(counts.values())
    page, pages = page_within(page, total, page_size)
    rows = db.session.execute(
        select(
            Notification.id,
            Notification.recipient_email,
            Notification.template,
            Notification.status,
            Notification.attempts,
            func.substr(Notification.last_error, 1, ERROR_PREVIEW_LENGTH).label("last_error"),
            Notification.created_at,
            Notification.sent_at,
            Notification.next_attempt_at,
            Notification.call_id,
            Call.title.label("call_title"),
        )
        .outerjoin(Call, Call.id == Notification.call_id)
        .where(*filters.conditions())
        .order_by(Notification.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return OutboxPage(
        rows=rows, counts=counts, total=total, page=page, pages=pages, page_size=page_size
    )


def call_choices() -> Sequence[Row]:
    """(id, title) of every call, newest first, for filters and group choices."""
    return db.session.execute(
        select(Call.id, Call.title).order_by(Call.opens_at.desc(), Call.id.desc())
    ).all()


def notification_with_call(notification_id: int) -> tuple[Notification, str | None] | None:
    row = db.session.execute(
        select(Notification, Call.title)
        .outerjoin(Call, Call.id == Notification.call_id)
        .where(Notification.id == notification_id)
    ).first()
    return (row[0], row[1]) if row else None


def notification_history(notification_id: int) -> Sequence[Row]:
    """Administrators' actions on one message, oldest first, with who did them."""
    return db.session.execute(
        select(AuditEntry.at, AuditEntry.action, AuditEntry.details, User.name.label("actor"))
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.object_type == "notification", AuditEntry.object_id == notification_id)
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()


# --- the groups of a call that an organiser writes to ----------------------------------


def applicants_of_call(call_id: int) -> list[Recipient]:
    """Everyone who owns a proposal of the call that was not withdrawn."""
    return recipients_of(
        select(User.id)
        .join(Proposal, Proposal.owner_id == User.id)
        .where(Proposal.call_id == call_id, Proposal.state != ProposalState.WITHDRAWN)
    )


def applicants_with_drafts(call_id: int) -> list[Recipient]:
    return recipients_of(
        select(User.id)
        .join(Proposal, Proposal.owner_id == User.id)
        .where(Proposal.call_id == call_id, Proposal.state == ProposalState.DRAFT)
    )


def reviewers_with_unfinished_reviews(call_id: int) -> list[Recipient]:
    return recipients_of(
        select(User.id)
        .join(Assignment, Assignment.reviewer_id == User.id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(
            Proposal.call_id == call_id,
            Proposal.state != ProposalState.WITHDRAWN,
            Assignment.state.in_((AssignmentState.ASSIGNED, AssignmentState.IN_PROGRESS)),
        )
    )
