"""Reviewing: what a reviewer reads of a proposal, their review and scores, and what those
scores allow of a call's criteria.

Every function takes the acting reviewer explicitly, checks the rule, changes the data,
writes the audit entry and flushes; the caller commits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import User
from app.audit.services import record_audit
from app.calls.models import Call, Criterion
from app.calls.signals import criteria_frozen, criterion_removing, criterion_rescaling
from app.db import utcnow
from app.errors import Conflict, DeadlinePassed, DomainError, NotAllowed
from app.extensions import db
from app.proposals.models import Proposal, ProposalRevision
from app.reviews import conflicts
from app.reviews.models import (
    ACTIVE_ASSIGNMENT_STATES,
    Assignment,
    AssignmentState,
    Recommendation,
    Review,
    ReviewState,
    Score,
)
from app.reviews.queries import reviewer_may_see_proposal

# ---------------------------------------------------------------------------------------
# Reviews and scores
# ---------------------------------------------------------------------------------------


@dataclass
class ReviewInput:
    scores: dict[str, Any]  # criterion key -> the value as typed (str, float or None)
    comments: dict[str, str] = field(default_factory=dict)
    overall_comment: str = ""
    comment_for_applicant: str = ""
    comment_shareable: bool = False
    recommendation: str | None = None
    confidence: int | None = None
    version: int | None = None  # the review's version the reviewer started from


def parse_score(criterion: Criterion, raw: Any) -> float | None:
    """The score as a number within the criterion's scale and step, or a clear error.

    None or blank means "not scored yet". NaN and infinities are refused.
    """
    field_name = f"score_{criterion.key}"
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = float(raw.strip().replace(",", ".") if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        raise DomainError(
            _("%(name)s: give a number.", name=criterion.name),
            code="score_not_a_number",
            field=field_name,
        ) from None
    if not math.isfinite(value):
        raise DomainError(
            _("%(name)s: give a finite number.", name=criterion.name),
            code="score_not_finite",
            field=field_name,
        )
    if not criterion.scale_min <= value <= criterion.scale_max:
        raise DomainError(
            _(
                "%(name)s: give a score from %(low)s to %(high)s.",
                name=criterion.name,
                low=_number(criterion.scale_min),
                high=_number(criterion.scale_max),
            ),
            code="score_out_of_range",
            field=field_name,
        )
    steps = (value - criterion.scale_min) / criterion.scale_step
    if abs(steps - round(steps)) > 1e-9:
        raise DomainError(
            _(
                "%(name)s: scores go in steps of %(step)s.",
                name=criterion.name,
                step=_number(criterion.scale_step),
            ),
            code="score_off_step",
            field=field_name,
        )
    return value


def _number(value: float) -> str:
    return f"{value:g}"


def ensure_may_review(actor: User, assignment: Assignment) -> None:
    if assignment.reviewer_id != actor.id:
        raise NotAllowed(_("This is not your assignment."))
    if assignment.state not in ACTIVE_ASSIGNMENT_STATES or not reviewer_may_see_proposal(
        actor.id, assignment.proposal_id
    ):
        raise NotAllowed(_("You are no longer assigned to this proposal."), code="not_assigned")


def ensure_before_review_deadline(call: Call, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    if call.review_deadline is not None and now >= call.review_deadline:
        raise DeadlinePassed(
            _(
                "The review deadline passed on %(deadline)s (UTC); reviews can no longer change.",
                deadline=call.review_deadline.strftime("%Y-%m-%d %H:%M"),
            ),
            code="review_deadline_passed",
        )


def save_review(*, actor: User, assignment: Assignment, data: ReviewInput, submit: bool) -> Review:
    """Save the reviewer's scores as a draft, or submit them (also edits a submitted review).

    Until the call's review deadline. `data.version` guards against two tabs or two
    devices overwriting each other: a stale version is refused with Conflict.
    """
    ensure_may_review(actor, assignment)
    call = assignment.proposal.call
    ensure_before_review_deadline(call)
    review = assignment.review
    if review is not None and data.version is not None and data.version != review.version:
        raise Conflict(
            _("This review was changed elsewhere since you opened it. Reload to see it."),
            code="review_changed",
        )
    criteria = list(call.criteria)
    values = {c.id: parse_score(c, data.scores.get(c.key)) for c in criteria}
    recommendation = _parse_recommendation(data.recommendation)
    confidence = _parse_confidence(data.confidence)
    submitting = submit or (review is not None and review.state == ReviewState.SUBMITTED)
    if submitting:
        missing = [c.name for c in criteria if values[c.id] is None]
        if missing:
            raise DomainError(
                _("Score every criterion before submitting: %(names)s.", names=", ".join(missing)),
                code="scores_missing",
                field=f"score_{next(c.key for c in criteria if values[c.id] is None)}",
            )
        if recommendation is None:
            raise DomainError(
                _("Choose a recommendation before submitting."),
                code="recommendation_missing",
                field="recommendation",
            )
        if confidence is None:
            raise DomainError(
                _("Say how confident you are before submitting."),
                code="confidence_missing",
                field="confidence",
            )

    created = review is None
    if review is None:
        review = Review(assignment=assignment, state=ReviewState.DRAFT)
        db.session.add(review)
    # Touching the row makes every save an UPDATE, so the version moves even when only
    # scores changed, and a form opened before this save is recognised as stale.
    review.updated_at = utcnow()
    review.overall_comment = (data.overall_comment or "").strip()
    review.comment_for_applicant = (data.comment_for_applicant or "").strip()
    review.comment_shareable = bool(data.comment_shareable) and bool(review.comment_for_applicant)
    review.recommendation = recommendation
    review.confidence = confidence
    by_criterion = {score.criterion_id: score for score in ([] if created else review.scores)}
    for criterion in criteria:
        value = values[criterion.id]
        comment = (data.comments.get(criterion.key) or "").strip()
        score = by_criterion.get(criterion.id)
        if value is None:
            if score is not None:
                review.scores.remove(score)
            continue
        if score is None:
            score = Score(criterion_id=criterion.id)
            review.scores.append(score)
        score.scale_min = criterion.scale_min
        score.scale_max = criterion.scale_max
        score.value = value
        score.comment = comment
    first_submission = submitting and review.state != ReviewState.SUBMITTED
    if submitting:
        review.state = ReviewState.SUBMITTED
        review.submitted_at = review.submitted_at or utcnow()
        assignment.state = AssignmentState.SUBMITTED
    else:
        assignment.state = AssignmentState.IN_PROGRESS
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(
            _("This review was changed elsewhere at the same time. Reload to see it."),
            code="review_changed",
        ) from None
    record_audit(
        actor,
        "review.submitted"
        if first_submission
        else "review.updated"
        if submitting
        else "review.draft_saved",
        review,
        details={"assignment_id": assignment.id, "version": review.version},
    )
    return review


def _parse_recommendation(value: str | None) -> Recommendation | None:
    if not value:
        return None
    try:
        return Recommendation(value)
    except ValueError:
        raise DomainError(
            _("Choose one of the recommendations."),
            code="bad_recommendation",
            field="recommendation",
        ) from None


def _parse_confidence(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        confidence = int(value)
    except (TypeError, ValueError):
        confidence = 0
    if not 1 <= confidence <= 5:
        raise DomainError(
            _("Confidence goes from 1 to 5."), code="bad_confidence", field="confidence"
        )
    return confidence


def decline_assignment(*, actor: User, assignment: Assignment, reason: str) -> Assignment:
    """The reviewer abstains: the proposal is freed for another reviewer."""
    ensure_may_review(actor, assignment)
    if assignment.state == AssignmentState.SUBMITTED:
        raise Conflict(
            _("You have submitted this review; to step back now, declare a conflict of interest."),
            code="already_submitted",
        )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Please give a reason."), code="reason_required", field="reason")
    assignment.state = AssignmentState.DECLINED
    assignment.declined_reason = reason
    db.session.flush()
    record_audit(actor, "assignment.declined", assignment, details={"reason": reason})
    return assignment


def recuse_from_assignment(*, actor: User, assignment: Assignment, reason: str) -> Assignment:
    """The reviewer has a conflict of interest: it is recorded and the assignment ends."""
    ensure_may_review(actor, assignment)
    conflicts.declare_conflict(actor=actor, proposal=assignment.proposal, reason=reason)
    return assignment


# ---------------------------------------------------------------------------------------
# A call's criteria, as the scores given on them allow (answering app.calls.signals)
# ---------------------------------------------------------------------------------------


@criteria_frozen.connect
def _criteria_frozen_by_a_submitted_review(_sender, *, call_id: int) -> bool:
    """A submitted review freezes its call's criteria: later scores stay comparable."""
    query = select(
        exists()
        .where(Review.assignment_id == Assignment.id)
        .where(Assignment.proposal_id == Proposal.id)
        .where(Proposal.call_id == call_id)
        .where(Review.state == ReviewState.SUBMITTED)
    )
    return bool(db.session.scalar(query))


@criterion_rescaling.connect
def _refuse_a_scale_leaving_draft_scores_out(
    _sender, *, criterion_id: int, scale_min: float, scale_max: float
) -> None:
    # Criteria change only while no review is submitted: every score here is a draft's.
    outside = db.session.scalar(
        select(func.count(Score.id)).where(
            Score.criterion_id == criterion_id,
            (Score.value < scale_min) | (Score.value > scale_max),
        )
    )
    if outside:
        raise DomainError(
            _(
                "Some draft reviews already hold scores outside the new scale; keep the "
                "scale wide enough for them or ask the reviewers to change them first."
            ),
            code="draft_scores_outside_scale",
            field="scale_min",
        )


@criterion_removing.connect
def _remove_draft_scores_on(_sender, *, criterion_id: int) -> None:
    db.session.execute(delete(Score).where(Score.criterion_id == criterion_id))


# ---------------------------------------------------------------------------------------
# The reading view
# ---------------------------------------------------------------------------------------

CONTACT_KEYS = ("contact_name", "contact_email", "contact_phone", "contact")
PARTNER_NAME_KEYS = ("organisation", "name", "contact_name", "contact_email", "email_domain")


def snapshot_for_reviewer(revision: ProposalRevision | None, call: Call) -> dict[str, Any]:
    """The submitted answers a reviewer may read: contact details and partner names
    are taken out here, before any template sees them, when the call hides them."""
    snapshot = dict(revision.snapshot) if revision else {}
    if call.hide_applicant_contact:
        for key in CONTACT_KEYS:
            snapshot.pop(key, None)
        for section in list(snapshot):
            if section.startswith("contact"):
                snapshot.pop(section)
    if call.hide_partner_names and isinstance(snapshot.get("partners"), list):
        snapshot["partners"] = [
            {k: v for k, v in partner.items() if k not in PARTNER_NAME_KEYS}
            if isinstance(partner, dict)
            else {}
            for partner in snapshot["partners"]
        ]
    return snapshot
