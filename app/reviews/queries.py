"""Read-only queries of the reviews domain, each in a constant number of statements.

`visible_proposal_ids_for_reviewer` is THE rule of what a reviewer may see: an active
assignment to a submitted proposal with no active conflict of interest. Every
reviewer-facing query (queue, reading view, attachments, other reviewers' scores,
counts) filters through it, so a conflict hides a proposal everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from app.accounts.models import Role, User, UserRole
from app.calls.models import Call, CallState, Criterion, ScoreVisibility
from app.db import utcnow
from app.extensions import db
from app.proposals.models import SUBMITTED_STATES, Proposal, ProposalRevision, ProposalState
from app.reviews import numbers
from app.reviews.models import (
    ACTIVE_ASSIGNMENT_STATES,
    Assignment,
    AssignmentState,
    ConflictOfInterest,
    Review,
    ReviewerProfile,
    ReviewState,
    Score,
)
from app.reviews.numbers import has_active_conflict

# Proposals that take reviewers: submitted and not yet decided.
REVIEWABLE_STATES = (
    ProposalState.SUBMITTED,
    ProposalState.CLARIFICATION_REQUESTED,
    ProposalState.UNDER_REVIEW,
)
OPEN_ASSIGNMENT_STATES = (AssignmentState.ASSIGNED, AssignmentState.IN_PROGRESS)
# Calls whose reviewers still work (and may be reminded, and whose conflicts matter).
REVIEWING_CALL_STATES = (CallState.OPEN, CallState.CLOSED, CallState.IN_REVIEW)


def default_reviewer_limit() -> int:
    """The most proposals a reviewer takes in a call until they save a profile: a reviewer
    has no profile row until then, and every query reads the column's default instead."""
    return ReviewerProfile.__table__.c.max_proposals.default.arg


def visible_proposal_ids_for_reviewer(reviewer_id: int) -> Select:
    """The ids of the proposals this reviewer may see (a subquery for `.in_()`)."""
    return (
        select(Assignment.proposal_id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(
            Assignment.reviewer_id == reviewer_id,
            Assignment.state.in_(ACTIVE_ASSIGNMENT_STATES),
            Proposal.state.in_(SUBMITTED_STATES),
            ~has_active_conflict(reviewer_id, Assignment.proposal_id),
        )
    )


def reviewer_may_see_proposal(reviewer_id: int, proposal_id: int) -> bool:
    query = select(
        exists(
            visible_proposal_ids_for_reviewer(reviewer_id).where(
                Assignment.proposal_id == proposal_id
            )
        )
    )
    return bool(db.session.scalar(query))


def effective_due_at():
    """An assignment's due instant: its own, else the call's review deadline."""
    return func.coalesce(Assignment.due_at, Call.review_deadline)


@dataclass(frozen=True)
class QueueRow:
    assignment_id: int
    proposal_id: int
    city: str
    country_code: str | None
    call_title: str
    state: AssignmentState
    review_state: ReviewState | None
    due_at: datetime | None
    scored: int
    criteria: int

    @property
    def overdue(self) -> bool:
        return (
            self.due_at is not None
            and self.state in OPEN_ASSIGNMENT_STATES
            and self.due_at < utcnow()
        )


def reviewer_queue(reviewer_id: int) -> list[QueueRow]:
    """The reviewer's assignments they may see, with due date and progress, in one query."""
    scored = (
        select(func.count(Score.id))
        .where(Score.review_id == Review.id)
        .correlate(Review)
        .scalar_subquery()
    )
    criteria = (
        select(func.count(Criterion.id))
        .where(Criterion.call_id == Call.id)
        .correlate(Call)
        .scalar_subquery()
    )
    query = (
        select(
            Assignment.id,
            Assignment.proposal_id,
            Proposal.city,
            Proposal.country_code,
            Call.title,
            Assignment.state,
            Review.state,
            effective_due_at(),
            func.coalesce(scored, 0),
            criteria,
        )
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .join(Call, Call.id == Proposal.call_id)
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .where(
            Assignment.reviewer_id == reviewer_id,
            Assignment.proposal_id.in_(visible_proposal_ids_for_reviewer(reviewer_id)),
        )
        .order_by(effective_due_at().is_(None), effective_due_at(), Proposal.city, Assignment.id)
    )
    return [QueueRow(*row) for row in db.session.execute(query)]


def latest_revision(proposal_id: int) -> ProposalRevision | None:
    return db.session.scalar(
        select(ProposalRevision)
        .where(ProposalRevision.proposal_id == proposal_id)
        .order_by(ProposalRevision.number.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class OtherReview:
    label: str
    scores: dict[int, float]  # criterion id -> value
    recommendation: str | None
    confidence: int | None


def may_see_other_scores(*, call: Call, own_review: Review | None) -> bool:
    """The call's rule for seeing the other reviewers' scores of the same proposal."""
    if call.score_visibility == ScoreVisibility.ALWAYS:
        return True
    if call.score_visibility == ScoreVisibility.AFTER_OWN:
        return own_review is not None and own_review.state == ReviewState.SUBMITTED
    return False


def other_reviews_for(assignment: Assignment, call: Call) -> list[OtherReview]:
    """The other submitted reviews of the assignment's proposal, when the call lets the
    reviewer see them (and only while the reviewer may see the proposal); else none."""
    if not may_see_other_scores(call=call, own_review=assignment.review):
        return []
    if not reviewer_may_see_proposal(assignment.reviewer_id, assignment.proposal_id):
        return []
    rows = db.session.execute(
        select(Review.id, Review.recommendation, Review.confidence, Score.criterion_id, Score.value)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .outerjoin(Score, Score.review_id == Review.id)
        .where(
            Assignment.proposal_id == assignment.proposal_id,
            Assignment.id != assignment.id,
            *numbers.counted_review_conditions(call.id),
        )
        .order_by(Review.submitted_at, Review.id)
    ).all()
    reviews: dict[int, OtherReview] = {}
    for review_id, recommendation, confidence, criterion_id, value in rows:
        if review_id not in reviews:
            reviews[review_id] = OtherReview(
                label=str(len(reviews) + 1),
                scores={},
                recommendation=recommendation.value if recommendation else None,
                confidence=confidence,
            )
        if criterion_id is not None:
            reviews[review_id].scores[criterion_id] = value
    return list(reviews.values())


# ---------------------------------------------------------------------------------------
# The administrators' dashboard
# ---------------------------------------------------------------------------------------


@dataclass
class ProposalProgress:
    proposal_id: int
    city: str
    country_code: str | None
    state: str
    assigned: int
    submitted: int
    overdue: int
    review_count: int  # reviews that count (app.reviews.numbers)
    means: list[float | None]  # per criterion, on its own scale, in the call's order
    total: float | None  # weighted score, 0-100
    spread: float | None  # sd of the reviews' own totals, 0-100 points; none for one review
    disagreement: bool = False


@dataclass
class ReviewerProgress:
    reviewer_id: int
    name: str
    email: str
    max_proposals: int  # the default limit until the reviewer saves a profile
    assigned: int
    submitted: int
    overdue: int
    ended: int  # declined or recused


@dataclass
class OverdueAssignment:
    assignment_id: int
    reviewer_id: int
    reviewer_name: str
    proposal_id: int
    city: str
    due_at: datetime


@dataclass
class Dashboard:
    call: Call
    criteria: list[Criterion]
    proposals: list[ProposalProgress]
    reviewers: list[ReviewerProgress]
    overdue: list[OverdueAssignment]
    spread_threshold: float
    totals: dict[str, Any] = field(default_factory=dict)


DASHBOARD_SORTS = ("city", "spread", "total", "progress")


def _done_and_overdue(now: datetime) -> tuple:
    """Per group: assignments submitted, and open ones past their due instant."""
    return (
        func.sum(case((Assignment.state == AssignmentState.SUBMITTED, 1), else_=0)).label(
            "submitted"
        ),
        func.sum(
            case(
                (and_(Assignment.state.in_(OPEN_ASSIGNMENT_STATES), effective_due_at() < now), 1),
                else_=0,
            )
        ).label("overdue"),
    )


def proposal_progress(
    call: Call,
    criteria: list[Criterion],
    *,
    spread_threshold: float,
    now: datetime,
    sort: str = "city",
    only_disagreements: bool = False,
) -> list[ProposalProgress]:
    """Every proposal of the call with its review progress and its numbers.

    The means, total and spread are app.reviews.numbers', the ranking's own, over the
    reviews that count. Four queries (proposals, assignment counts, criterion means,
    spreads), merged by id here: no join between aggregates, so no planner can loop one
    inside the other, whatever its statistics say.
    """
    means = numbers.criterion_means(call.id)
    spreads = numbers.review_spreads(call.id)
    counts = {
        row[0]: row[1:]
        for row in db.session.execute(
            select(Assignment.proposal_id, func.count(), *_done_and_overdue(now))
            .join(Proposal, Proposal.id == Assignment.proposal_id)
            .join(Call, Call.id == Proposal.call_id)
            .where(Proposal.call_id == call.id, Assignment.state.in_(ACTIVE_ASSIGNMENT_STATES))
            .group_by(Assignment.proposal_id)
        )
    }
    rows = []
    for pid, city, country, state in db.session.execute(
        select(Proposal.id, Proposal.city, Proposal.country_code, Proposal.state)
        .where(Proposal.call_id == call.id, Proposal.state.in_(SUBMITTED_STATES))
        .order_by(Proposal.city, Proposal.id)
    ):
        assigned, _submitted, overdue = counts.get(pid, (0, 0, 0))
        values, total = means.get(pid, ({}, None))
        reviews, spread = spreads.get(pid, (0, None))
        disagreement = numbers.disagrees(spread, spread_threshold)
        if only_disagreements and not disagreement:
            continue
        rows.append(
            ProposalProgress(
                proposal_id=pid,
                city=city,
                country_code=country,
                state=state.value if hasattr(state, "value") else str(state),
                assigned=int(assigned),
                # The reviews that count, as the ranking counts them: a submitted review
                # of a reviewer since recused or in conflict is not one of them.
                submitted=int(reviews),
                overdue=int(overdue or 0),
                review_count=int(reviews),
                means=[numbers.scale_of(c, values.get(c.id)) for c in criteria],
                total=total,
                spread=spread,
                disagreement=disagreement,
            )
        )
    # Python's sort is stable: rows stay in city order within equal keys.
    if sort == "spread":
        rows.sort(key=lambda r: (r.spread is None, -(r.spread or 0)))
    elif sort == "total":
        rows.sort(key=lambda r: (r.total is None, -(r.total or 0)))
    elif sort == "progress":
        rows.sort(key=lambda r: r.submitted - r.assigned)
    return rows


def reviewer_progress(call: Call, *, now: datetime) -> list[ReviewerProgress]:
    """Every active reviewer with their assignments in this call, one query."""
    counts = (
        select(
            Assignment.reviewer_id.label("reviewer_id"),
            func.sum(case((Assignment.state.in_(ACTIVE_ASSIGNMENT_STATES), 1), else_=0)).label(
                "assigned"
            ),
            *_done_and_overdue(now),
            func.sum(case((Assignment.state.in_(ACTIVE_ASSIGNMENT_STATES), 0), else_=1)).label(
                "ended"
            ),
        )
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .join(Call, Call.id == Proposal.call_id)
        .where(Proposal.call_id == call.id)
        .group_by(Assignment.reviewer_id)
        .subquery()
    )
    reviewer_role = aliased(UserRole)
    query = (
        select(
            User.id,
            User.name,
            User.email,
            func.coalesce(ReviewerProfile.max_proposals, default_reviewer_limit()),
            func.coalesce(counts.c.assigned, 0),
            func.coalesce(counts.c.submitted, 0),
            func.coalesce(counts.c.overdue, 0),
            func.coalesce(counts.c.ended, 0),
        )
        .outerjoin(ReviewerProfile, ReviewerProfile.user_id == User.id)
        .outerjoin(counts, counts.c.reviewer_id == User.id)
        .where(
            or_(
                counts.c.reviewer_id.is_not(None),
                and_(
                    User.active.is_(True),
                    exists().where(
                        reviewer_role.user_id == User.id, reviewer_role.role == Role.REVIEWER
                    ),
                ),
            )
        )
        .order_by(User.name, User.id)
    )
    return [
        ReviewerProgress(
            reviewer_id=row[0],
            name=row[1],
            email=row[2],
            max_proposals=row[3],
            assigned=int(row[4]),
            submitted=int(row[5]),
            overdue=int(row[6]),
            ended=int(row[7]),
        )
        for row in db.session.execute(query)
    ]


def overdue_assignments(call: Call, *, now: datetime) -> list[OverdueAssignment]:
    due = effective_due_at()
    query = (
        select(Assignment.id, User.id, User.name, Proposal.id, Proposal.city, due)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .join(Call, Call.id == Proposal.call_id)
        .join(User, User.id == Assignment.reviewer_id)
        .where(
            Proposal.call_id == call.id,
            Assignment.state.in_(OPEN_ASSIGNMENT_STATES),
            due < now,
        )
        .order_by(due, User.name, Proposal.city)
    )
    return [OverdueAssignment(*row) for row in db.session.execute(query)]


def review_dashboard(
    call: Call,
    *,
    spread_threshold: float,
    sort: str = "city",
    only_disagreements: bool = False,
    now: datetime | None = None,
) -> Dashboard:
    """Everything the dashboard shows, in four queries whatever the size of the call."""
    now = now or utcnow()
    criteria = list(
        db.session.scalars(
            select(Criterion).where(Criterion.call_id == call.id).order_by(Criterion.position)
        )
    )
    proposals = proposal_progress(
        call,
        criteria,
        spread_threshold=spread_threshold,
        now=now,
        sort=sort,
        only_disagreements=only_disagreements,
    )
    reviewers = reviewer_progress(call, now=now)
    overdue = overdue_assignments(call, now=now)
    totals = {
        "assigned": sum(r.assigned for r in reviewers),
        "submitted": sum(r.submitted for r in reviewers),
        "overdue": len(overdue),
        "disagreements": sum(p.disagreement for p in proposals),
        "short": sum(p.assigned < call.reviews_per_proposal for p in proposals),
    }
    return Dashboard(
        call=call,
        criteria=criteria,
        proposals=proposals,
        reviewers=reviewers,
        overdue=overdue,
        spread_threshold=spread_threshold,
        totals=totals,
    )


# ---------------------------------------------------------------------------------------
# The administrators' assignment pages
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentRow:
    assignment_id: int
    reviewer_id: int
    name: str
    state: AssignmentState
    review_state: ReviewState | None
    declined_reason: str | None
    due_at: datetime | None


@dataclass(frozen=True)
class ConflictRow:
    conflict_id: int
    reviewer_id: int
    name: str
    proposal_id: int
    city: str
    source: str
    reason: str
    created_at: datetime
    lifted_at: datetime | None


@dataclass(frozen=True)
class CandidateRow:
    reviewer_id: int
    name: str
    load: int
    limit: int
    languages: list[str]
    region: str | None
    conflicted: bool
    assigned: bool


@dataclass
class ProposalAssignmentPage:
    assignments: list[AssignmentRow]
    conflicts: list[ConflictRow]
    candidates: list[CandidateRow]


def _call_loads_subquery(call_id: int):
    return (
        select(Assignment.reviewer_id.label("reviewer_id"), func.count().label("load"))
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Proposal.call_id == call_id, Assignment.state.in_(ACTIVE_ASSIGNMENT_STATES))
        .group_by(Assignment.reviewer_id)
        .subquery()
    )


def _conflict_rows(*conditions) -> list[ConflictRow]:
    query = (
        select(
            ConflictOfInterest.id,
            ConflictOfInterest.reviewer_id,
            User.name,
            ConflictOfInterest.proposal_id,
            Proposal.city,
            ConflictOfInterest.source,
            ConflictOfInterest.reason,
            ConflictOfInterest.created_at,
            ConflictOfInterest.lifted_at,
        )
        .join(User, User.id == ConflictOfInterest.reviewer_id)
        .join(Proposal, Proposal.id == ConflictOfInterest.proposal_id)
        .where(*conditions)
        .order_by(ConflictOfInterest.lifted_at.is_not(None), User.name, ConflictOfInterest.id)
    )
    return [
        ConflictRow(*row[:5], row[5].value if hasattr(row[5], "value") else row[5], *row[6:])
        for row in db.session.execute(query)
    ]


def proposal_assignment_page(proposal: Proposal) -> ProposalAssignmentPage:
    """A proposal's reviewers, its conflicts (with history) and every possible reviewer."""
    assignments = [
        AssignmentRow(*row)
        for row in db.session.execute(
            select(
                Assignment.id,
                Assignment.reviewer_id,
                User.name,
                Assignment.state,
                Review.state,
                Assignment.declined_reason,
                Assignment.due_at,
            )
            .join(User, User.id == Assignment.reviewer_id)
            .outerjoin(Review, Review.assignment_id == Assignment.id)
            .where(Assignment.proposal_id == proposal.id)
            .order_by(User.name)
        )
    ]
    loads = _call_loads_subquery(proposal.call_id)
    on_it = exists().where(
        Assignment.proposal_id == proposal.id,
        Assignment.reviewer_id == User.id,
        Assignment.state.in_(ACTIVE_ASSIGNMENT_STATES),
    )
    candidates = [
        CandidateRow(
            reviewer_id=row[0],
            name=row[1],
            load=int(row[2]),
            limit=row[3] if row[3] is not None else default_reviewer_limit(),
            languages=list(row[4] or ["en"]),
            region=row[5],
            conflicted=bool(row[6]),
            assigned=bool(row[7]),
        )
        for row in db.session.execute(
            select(
                User.id,
                User.name,
                func.coalesce(loads.c.load, 0),
                ReviewerProfile.max_proposals,
                ReviewerProfile.languages,
                ReviewerProfile.region,
                has_active_conflict(User.id, proposal.id),
                on_it,
            )
            .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.REVIEWER))
            .outerjoin(ReviewerProfile, ReviewerProfile.user_id == User.id)
            .outerjoin(loads, loads.c.reviewer_id == User.id)
            .where(User.active.is_(True))
            .order_by(User.name, User.id)
        )
    ]
    return ProposalAssignmentPage(
        assignments=assignments,
        conflicts=_conflict_rows(ConflictOfInterest.proposal_id == proposal.id),
        candidates=candidates,
    )


@dataclass(frozen=True)
class ProposalChoice:
    proposal_id: int
    city: str
    country_code: str | None
    language: str
    assigned: int
    state: AssignmentState | None  # this reviewer's assignment, if any
    assignment_id: int | None
    conflicted: bool


@dataclass
class ReviewerAssignmentPage:
    profile: ReviewerProfile | None
    load: int
    proposals: list[ProposalChoice]
    conflicts: list[ConflictRow]


def reviewer_assignment_page(call: Call, reviewer: User) -> ReviewerAssignmentPage:
    """The call's proposals as seen for assigning one reviewer in bulk."""
    counts = (
        select(Assignment.proposal_id.label("proposal_id"), func.count().label("assigned"))
        .where(Assignment.state.in_(ACTIVE_ASSIGNMENT_STATES))
        .group_by(Assignment.proposal_id)
        .subquery()
    )
    own = aliased(Assignment)
    rows = db.session.execute(
        select(
            Proposal.id,
            Proposal.city,
            Proposal.country_code,
            Proposal.language,
            func.coalesce(counts.c.assigned, 0),
            own.state,
            own.id,
            has_active_conflict(reviewer.id, Proposal.id),
        )
        .outerjoin(counts, counts.c.proposal_id == Proposal.id)
        .outerjoin(own, and_(own.proposal_id == Proposal.id, own.reviewer_id == reviewer.id))
        .where(Proposal.call_id == call.id, Proposal.state.in_(REVIEWABLE_STATES))
        .order_by(Proposal.city, Proposal.id)
    ).all()
    proposals = [
        ProposalChoice(
            proposal_id=row[0],
            city=row[1],
            country_code=row[2],
            language=row[3],
            assigned=int(row[4]),
            state=row[5],
            assignment_id=row[6],
            conflicted=bool(row[7]),
        )
        for row in rows
    ]
    return ReviewerAssignmentPage(
        profile=db.session.get(ReviewerProfile, reviewer.id),
        load=sum(1 for p in proposals if p.state in ACTIVE_ASSIGNMENT_STATES),
        proposals=proposals,
        conflicts=_conflict_rows(
            ConflictOfInterest.reviewer_id == reviewer.id, Proposal.call_id == call.id
        ),
    )
