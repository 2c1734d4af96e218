"""Factories for test data: plain functions that add rows and flush (the test commits if needed)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from app.accounts.models import Role, User, UserRole
from app.accounts.passwords import hash_password
from app.calls.models import Call, CallState
from app.calls.services import create_call
from app.db import utcnow
from app.extensions import db
from app.proposals.models import Proposal, ProposalRevision, ProposalState
from app.reviews.models import (
    Assignment,
    AssignmentState,
    Recommendation,
    Review,
    ReviewerProfile,
    ReviewState,
    Score,
)

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def make_user(
    *,
    email: str | None = None,
    name: str | None = None,
    roles: tuple[Role, ...] = (Role.APPLICANT,),
    password: str | None = PASSWORD,
    verified: bool = True,
    locale: str | None = None,
    active: bool = True,
) -> User:
    number = next(_counter)
    user = User(
        email=email or f"user{number}@example.org",
        name=name or f"User {number}",
        password_hash=hash_password(password) if password else None,
        email_verified_at=utcnow() if verified else None,
        locale=locale,
        active=active,
    )
    user.roles = [UserRole(role=role) for role in roles]
    db.session.add(user)
    db.session.flush()
    return user


# Administrators must use two-factor login (TWO_FACTOR_REQUIRED_ROLES): `make_admin` gives
# them this secret, so a test makes their codes with pyotp.TOTP(TEST_TOTP_SECRET).
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # a well-known example key


def make_admin(*, two_factor: bool = True, **kwargs: Any) -> User:
    """An administrator, with two-factor login on (`two_factor=False`: still to set up)."""
    user = make_user(roles=(Role.ADMINISTRATOR,), **kwargs)
    if two_factor:
        user.totp_secret = TEST_TOTP_SECRET
        user.totp_enabled_at = utcnow()
        db.session.flush()
    return user


def make_reviewer(*, profile: dict[str, Any] | None = None, **kwargs: Any) -> User:
    user = make_user(roles=(Role.REVIEWER,), **kwargs)
    db.session.add(ReviewerProfile(user_id=user.id, **(profile or {})))
    db.session.flush()
    return user


def make_call(
    *,
    state: CallState = CallState.OPEN,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    slug: str | None = None,
    title: str = "Dialogue Café — Call for Interest to Cities",
    description: str = "Host a **Dialogue Café** in your city.",
    **settings: Any,
) -> Call:
    now = utcnow()
    call = create_call(
        actor=None,
        slug=slug or f"call-{next(_counter)}",
        title=title,
        description=description,
        opens_at=opens_at or now - timedelta(days=10),
        closes_at=closes_at or now + timedelta(days=20),
        **settings,
    )
    call.state = state
    db.session.flush()
    return call


def proposal_snapshot(proposal: Proposal) -> dict[str, Any]:
    return {
        "city": proposal.city,
        "country_code": proposal.country_code,
        "region": proposal.region,
        "population": proposal.population,
        "organisation": proposal.organisation,
        "answers": proposal.answers,
    }


def make_proposal(
    *,
    call: Call,
    owner: User | None = None,
    state: ProposalState = ProposalState.DRAFT,
    city: str = "Lisbon",
    country_code: str = "PT",
    region: str = "Europe",
    continent: str = "Europe",
    answers: dict[str, Any] | None = None,
    **fields: Any,
) -> Proposal:
    owner = owner or make_user()
    proposal = Proposal(
        call_id=call.id,
        owner_id=owner.id,
        state=state,
        city=city,
        country_code=country_code,
        region=region,
        continent=continent,
        organisation=fields.pop("organisation", f"City of {city}"),
        contact_name=fields.pop("contact_name", "Ana Contact"),
        contact_email=fields.pop("contact_email", owner.email),
        answers=answers
        or {"narratives": {c.key: f"Our answer on {c.name}." for c in call.criteria}},
        **fields,
    )
    if state not in (ProposalState.DRAFT, ProposalState.WITHDRAWN):
        proposal.submitted_at = utcnow()
    if state == ProposalState.WITHDRAWN:
        proposal.withdrawn_at = utcnow()
        proposal.withdrawal_reason = "Changed plans"
    db.session.add(proposal)
    db.session.flush()
    if proposal.submitted_at:
        db.session.add(
            ProposalRevision(
                proposal_id=proposal.id,
                number=1,
                snapshot=proposal_snapshot(proposal),
                submitted_by_id=owner.id,
            )
        )
        db.session.flush()
    return proposal


def make_assignment(
    *, proposal: Proposal, reviewer: User, state: AssignmentState = AssignmentState.ASSIGNED
) -> Assignment:
    assignment = Assignment(proposal_id=proposal.id, reviewer_id=reviewer.id, state=state)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def make_review(
    *,
    assignment: Assignment,
    scores: dict[str, float] | None = None,
    submitted: bool = True,
    confidence: int = 3,
    recommendation: Recommendation = Recommendation.SUPPORT,
) -> Review:
    """A review with one score per criterion (given by key, or the scale's middle)."""
    call = db.session.get(Proposal, assignment.proposal_id).call
    review = Review(
        assignment_id=assignment.id,
        state=ReviewState.SUBMITTED if submitted else ReviewState.DRAFT,
        overall_comment="A solid proposal.",
        recommendation=recommendation if submitted else None,
        confidence=confidence,
        submitted_at=utcnow() if submitted else None,
    )
    for criterion in call.criteria:
        value = (scores or {}).get(criterion.key, (criterion.scale_min + criterion.scale_max) / 2)
        review.scores.append(
            Score(
                criterion_id=criterion.id,
                scale_min=criterion.scale_min,
                scale_max=criterion.scale_max,
                value=value,
            )
        )
    if submitted:
        assignment.state = AssignmentState.SUBMITTED
    db.session.add(review)
    db.session.flush()
    return review


def make_notification(
    *,
    recipient: User | None = None,
    template: str = "bulk_message",
    status: str = "pending",
    attempts: int = 0,
    last_error: str | None = None,
    call: Call | None = None,
    context: dict[str, Any] | None = None,
    dedup_key: str | None = None,
) -> Any:
    """An outbox row in any state (notifications domain)."""
    from app.outbox.models import Notification, NotificationStatus

    recipient = recipient or make_user()
    now = utcnow()
    notification = Notification(
        recipient_email=recipient.email,
        recipient_id=recipient.id,
        template=template,
        context=context
        if context is not None
        else {
            "recipient_name": recipient.name,
            "message_subject": "News about the call",
            "message_body": "The venue visits start next week.",
            "call_title": call.title if call else "Dialogue Café — Call for Interest to Cities",
            "call_url": "http://call.test/calls/demo",
        },
        dedup_key=dedup_key or f"test:{next(_counter)}",
        call_id=call.id if call else None,
        status=NotificationStatus(status),
        attempts=attempts,
        last_error=last_error,
        sent_at=now if status == "sent" else None,
        created_at=now,
        next_attempt_at=now,
    )
    db.session.add(notification)
    db.session.flush()
    return notification


def make_job(
    *,
    started_by: User,
    kind: str = "export",
    state: str = "queued",
    progress: int = 0,
    result_path: str | None = None,
    result_name: str | None = None,
    call: Call | None = None,
) -> Any:
    """A job row in any state (jobs domain); the result file is the test's to write."""
    from app.jobs.models import Job, JobState

    job = Job(
        kind=kind,
        started_by_id=started_by.id,
        call_id=call.id if call else None,
        state=JobState(state),
        progress=progress,
        result_path=result_path,
        result_name=result_name,
        started_at=utcnow() if state != "queued" else None,
        finished_at=utcnow() if state in ("succeeded", "failed") else None,
    )
    db.session.add(job)
    db.session.flush()
    return job
