"""Closing a call and telling the people its proposals concern: each city with a submitted
proposal, and the administrators.

The state change itself is calls' (`app.calls.services.close_call`); the messages name
proposals, so closing by hand, the confirmation page's summary and closing at the deadline
live here, and every caller (the page, the CLI, the task, the demo) closes through them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, func, select

from app.accounts.models import User
from app.accounts.recipients import Recipient, active_administrators, recipients_of
from app.calls import services as call_services
from app.calls.models import Call, CallState
from app.calls.texts import title_in
from app.core.urls import external_url
from app.db import utcnow
from app.extensions import db
from app.outbox.services import OutboxMessage, queue_notifications
from app.proposals.models import SUBMITTED_STATES, Proposal, ProposalState


def close_call(*, actor: User | None, call: Call, now: datetime | None = None) -> Call:
    """Open -> closed, by hand (actor) or at the deadline (actor None); tells each city
    with a submitted proposal, once, and the administrators."""
    call_services.close_call(actor=actor, call=call, now=now)
    _queue_call_closed_notifications(call)
    return call


@dataclass(frozen=True)
class ClosingSummary:
    """What closing a call now would do, for the confirmation page."""

    cities: int  # emailed: each city with a submitted proposal, once
    administrators: int  # emailed too
    drafts: int  # can no longer be submitted
    early: bool  # before its closing instant: the call will show today's date as closed on
    scheduled_closes_at: datetime


def closing_summary(call: Call, *, now: datetime | None = None) -> ClosingSummary:
    now = now or utcnow()
    return ClosingSummary(
        # The same recipients as the messages, so the page says what the emails will do.
        cities=len(recipients_of(_cities_with_a_submitted_proposal(call))),
        administrators=len(active_administrators()),
        drafts=db.session.execute(
            select(func.count(Proposal.id)).where(
                Proposal.call_id == call.id, Proposal.state == ProposalState.DRAFT
            )
        ).scalar_one(),
        early=call.opens_at < now < call.closes_at,
        scheduled_closes_at=call.closes_at,
    )


def close_due_calls(*, now: datetime | None = None) -> list[Call]:
    """Close every open call whose closing instant plus grace has passed.

    Safe to run twice or in two processes at once: rows are locked on PostgreSQL, only
    calls still open are closed, and each notification has a de-duplication key.
    """
    now = now or utcnow()
    query = (
        select(Call).where(Call.state == CallState.OPEN, Call.closes_at <= now).order_by(Call.id)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    closed = []
    for call in db.session.scalars(query):
        # The grace period is in minutes per call; calls are few, so it is checked here.
        if call.accepts_until <= now:
            closed.append(close_call(actor=None, call=call, now=now))
    return closed


def _cities_with_a_submitted_proposal(call: Call) -> Select:
    return select(User.id).where(
        exists().where(
            Proposal.owner_id == User.id,
            Proposal.call_id == call.id,
            Proposal.state.in_(SUBMITTED_STATES),
        )
    )


def _queue_call_closed_notifications(call: Call) -> None:
    """One message per city with a submitted proposal, one per administrator."""
    cities = recipients_of(_cities_with_a_submitted_proposal(call))
    administrators = active_administrators()
    submitted = db.session.scalar(
        select(func.count(Proposal.id)).where(
            Proposal.call_id == call.id, Proposal.state.in_(SUBMITTED_STATES)
        )
    )
    audiences: tuple[tuple[str, list[Recipient], dict], ...] = (
        ("city", cities, {"proposals_url": external_url("proposals.my_proposals")}),
        (
            "administrator",
            administrators,
            {
                "proposals_url": external_url("proposals.admin_list", call_id=call.id),
                "submitted_count": submitted,
                "city_count": len(cities),
            },
        ),
    )
    call_url = external_url("calls.public_call", slug=call.slug)
    queue_notifications(
        OutboxMessage(
            recipient_email=user.email,
            recipient_id=user.id,
            locale=user.locale,  # None: the outbox picks the recipient's or the default
            template="call_closed",
            dedup_key=f"call-closed:{call.id}:{audience}:{user.id}",
            call_id=call.id,
            context={
                "audience": audience,
                "recipient_name": user.name,
                "call_title": title_in(call, user.locale),
                "call_url": call_url,
                **context,
            },
        )
        for audience, recipients, context in audiences
        for user in recipients
    )
