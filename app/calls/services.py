"""Calls: creating them with the default criteria, and the deadline rule every write obeys."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import exists, select

from app.accounts.models import User
from app.audit.services import record_audit
from app.calls.defaults import DEFAULT_CRITERIA
from app.calls.models import Call, CallState, Criterion
from app.db import utcnow
from app.errors import DeadlinePassed
from app.extensions import db


def create_call(
    *,
    actor: User | None,
    slug: str,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    description: str = "",
    **settings,
) -> Call:
    """A new call in draft, with the seven default criteria of DOMAIN.md."""
    call = Call(
        slug=slug,
        title=title,
        description=description,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by_id=actor.id if actor else None,
        **settings,
    )
    call.criteria = [
        Criterion(
            key=default.key,
            name=default.name,
            guidance=default.guidance,
            rubric_low=default.rubric_low,
            rubric_middle=default.rubric_middle,
            rubric_high=default.rubric_high,
            weight=default.weight,
            position=position,
        )
        for position, default in enumerate(DEFAULT_CRITERIA)
    ]
    db.session.add(call)
    db.session.flush()
    record_audit(
        actor_id=actor.id if actor else None,
        action="call.created",
        object_type="call",
        object_id=call.id,
        details={"slug": slug},
    )
    return call


def is_accepting_proposals(call: Call, *, at: datetime | None = None) -> bool:
    """Open, and before the closing instant plus grace (the instant itself is refused)."""
    at = at or utcnow()
    return call.state == CallState.OPEN and call.opens_at <= at < call.accepts_until


def ensure_accepting_proposals(call: Call, *, at: datetime | None = None) -> None:
    """Raise DeadlinePassed unless the call takes writes now (enforced on every write)."""
    if not is_accepting_proposals(call, at=at):
        raise DeadlinePassed(
            _(
                "This call is not accepting changes: it closed on %(closed)s (UTC).",
                closed=call.closes_at.strftime("%Y-%m-%d %H:%M"),
            )
            if (at or utcnow()) >= call.opens_at
            else _("This call is not open yet."),
            code="call_not_accepting",
        )


def criteria_are_frozen(call_id: int) -> bool:
    """Criteria are frozen once any review of this call is submitted (scores stay comparable)."""
    from app.proposals.models import Proposal
    from app.reviews.models import Assignment, Review, ReviewState

    query = select(
        exists()
        .where(Review.assignment_id == Assignment.id)
        .where(Assignment.proposal_id == Proposal.id)
        .where(Proposal.call_id == call_id)
        .where(Review.state == ReviewState.SUBMITTED)
    )
    return bool(db.session.scalar(query))
