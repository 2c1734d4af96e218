"""Read-only queries of the shortlists domain: each list in one statement, aggregated in SQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Row, Select, case, func, select
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.calls.models import Criterion
from app.extensions import db
from app.proposals.models import SUBMITTED_STATES, Clarification, Proposal
from app.reviews.models import Assignment, Review, Score
from app.reviews.numbers import review_total
from app.shortlists.models import Shortlist, ShortlistEntry, ShortlistState
from app.shortlists.scoring import counted_review_conditions, counted_scores, value01


def shortlists_of_call(call_id: int) -> Sequence[Row]:
    """Every shortlist of the call, newest first, with how many proposals are in it."""
    included = (
        select(ShortlistEntry.shortlist_id, func.count().label("included"))
        .where(ShortlistEntry.included.is_(True))
        .group_by(ShortlistEntry.shortlist_id)
        .subquery()
    )
    compiler = aliased(User)
    return db.session.execute(
        select(
            Shortlist,
            func.coalesce(included.c.included, 0).label("included"),
            compiler.name.label("compiled_by"),
        )
        .outerjoin(included, included.c.shortlist_id == Shortlist.id)
        .outerjoin(compiler, compiler.id == Shortlist.compiled_by_id)
        .where(Shortlist.call_id == call_id)
        .order_by(Shortlist.created_at.desc(), Shortlist.id.desc())
    ).all()


def shortlist_rows(shortlist_id: int) -> Sequence[Row]:
    """The entries of a shortlist with what the page shows of each proposal, by rank."""
    adjuster = aliased(User)
    return db.session.execute(
        select(
            ShortlistEntry.id.label("entry_id"),
            ShortlistEntry.proposal_id,
            ShortlistEntry.rank,
            ShortlistEntry.score,
            ShortlistEntry.included,
            ShortlistEntry.why,
            ShortlistEntry.adjusted_at,
            ShortlistEntry.adjustment_reason,
            adjuster.name.label("adjusted_by"),
            Proposal.city,
            Proposal.country_code,
            Proposal.continent,
            Proposal.region,
            Proposal.state,
        )
        .join(Proposal, Proposal.id == ShortlistEntry.proposal_id)
        .outerjoin(adjuster, adjuster.id == ShortlistEntry.adjusted_by_id)
        .where(ShortlistEntry.shortlist_id == shortlist_id)
        .order_by(ShortlistEntry.rank, ShortlistEntry.id)
    ).all()


def counted_score_rows(call_id: int) -> Sequence[Row]:
    """Every counted score of the call, by proposal, review and criterion: what a shortlist
    is computed from (the review's version changes whenever the review is saved again)."""
    return db.session.execute(
        counted_scores(
            call_id,
            Assignment.proposal_id,
            Review.id,
            Review.version,
            Score.criterion_id,
            Score.value,
        ).order_by(Assignment.proposal_id, Review.id, Score.criterion_id)
    ).all()


def entry_bases(shortlist_id: int) -> Sequence[Row]:
    """Each entry's proposal with the reviews it was computed from, by rank. A withdrawn
    proposal is left out: it is neither decided nor told, whatever its reviews."""
    return db.session.execute(
        select(
            ShortlistEntry.proposal_id,
            ShortlistEntry.reviews_counted,
            ShortlistEntry.reviews_digest,
            Proposal.city,
            Proposal.country_code,
        )
        .join(Proposal, Proposal.id == ShortlistEntry.proposal_id)
        .where(ShortlistEntry.shortlist_id == shortlist_id, Proposal.state.in_(SUBMITTED_STATES))
        .order_by(ShortlistEntry.rank, ShortlistEntry.id)
    ).all()


def open_clarifications(shortlist_id: int) -> Sequence[Row]:
    """The unanswered clarification questions of the shortlist's proposals, by rank."""
    return db.session.execute(
        select(
            Proposal.id.label("proposal_id"),
            Proposal.city,
            Proposal.country_code,
            Clarification.question,
            Clarification.asked_at,
        )
        .join(ShortlistEntry, ShortlistEntry.proposal_id == Proposal.id)
        .join(Clarification, Clarification.proposal_id == Proposal.id)
        .where(
            ShortlistEntry.shortlist_id == shortlist_id,
            Clarification.answered_at.is_(None),
            Proposal.state.in_(SUBMITTED_STATES),
        )
        .order_by(ShortlistEntry.rank, Clarification.asked_at, Clarification.id)
    ).all()


def scored_places(call_id: int) -> Sequence[Row]:
    """Where each proposal that can be chosen comes from (country, continent and region): a
    submitted proposal with at least one review that counts, so that it has a score."""
    scored = (
        select(Assignment.proposal_id)
        .join(Review, Review.assignment_id == Assignment.id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(*counted_review_conditions(call_id))
    )
    return db.session.execute(
        select(Proposal.id, Proposal.country_code, Proposal.continent, Proposal.region).where(
            Proposal.call_id == call_id,
            Proposal.state.in_(SUBMITTED_STATES),
            Proposal.id.in_(scored),
        )
    ).all()


def decision_recipients(shortlist_id: int) -> Sequence[Row]:
    """Who hears the decision: the account that owns each (not withdrawn) proposal."""
    return db.session.execute(
        select(
            ShortlistEntry.proposal_id,
            ShortlistEntry.included,
            Proposal.city,
            Proposal.language,
            User.id.label("owner_id"),
            User.email.label("owner_email"),
            User.name.label("owner_name"),
            User.locale.label("owner_locale"),
        )
        .join(Proposal, Proposal.id == ShortlistEntry.proposal_id)
        .join(User, User.id == Proposal.owner_id)
        .where(ShortlistEntry.shortlist_id == shortlist_id, Proposal.state.in_(SUBMITTED_STATES))
        .order_by(ShortlistEntry.rank)
    ).all()


def shareable_comments(call_id: int) -> dict[int, list[str]]:
    """Per proposal, the comments for the city that their reviewers allowed to be shared
    (of the reviews that count: a recused reviewer's comment is not passed on)."""
    rows = db.session.execute(
        select(Assignment.proposal_id, Review.comment_for_applicant)
        .join(Review, Review.assignment_id == Assignment.id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(
            *counted_review_conditions(call_id),
            Review.comment_shareable.is_(True),
            Review.comment_for_applicant != "",
        )
        .order_by(Assignment.proposal_id, Review.submitted_at, Review.id)
    ).all()
    comments: dict[int, list[str]] = defaultdict(list)
    for proposal_id, comment in rows:
        if comment.strip():
            comments[proposal_id].append(comment.strip())
    return dict(comments)


def published_shortlist(call_id: int) -> Shortlist | None:
    return db.session.scalar(
        select(Shortlist).where(
            Shortlist.call_id == call_id, Shortlist.state == ShortlistState.PUBLISHED
        )
    )


def dossier_shortlist(call_id: int) -> Shortlist | None:
    """The published shortlist, else the newest with a result."""
    return published_shortlist(call_id) or db.session.scalar(
        select(Shortlist)
        .where(
            Shortlist.call_id == call_id,
            Shortlist.state.in_((ShortlistState.COMPILED, ShortlistState.ADJUSTED)),
        )
        .order_by(Shortlist.created_at.desc(), Shortlist.id.desc())
        .limit(1)
    )


def review_export_query(call_id: int, criteria: list[Criterion]) -> Select:
    """One row per submitted review: the proposal, the reviewer, each criterion's score and
    comment side by side (pivoted in SQL), the review's own total and its comments.

    One level of GROUP BY over the joined rows (grouping by primary keys, so the other
    columns of those rows may be selected): no grouped subquery that a planner misled by
    stale statistics could run once per review inside a nested loop.
    """
    reviewer = aliased(User)
    return (
        select(
            Proposal.id.label("proposal_id"),
            Proposal.city,
            Proposal.country_code,
            Proposal.continent,
            Proposal.region,
            Proposal.state.label("proposal_state"),
            Review.id.label("review_id"),
            reviewer.id.label("reviewer_id"),
            reviewer.name.label("reviewer_name"),
            reviewer.email.label("reviewer_email"),
            Review.submitted_at,
            Review.recommendation,
            Review.confidence,
            review_total(value01()).label("review_total"),
            *[
                func.max(case((Score.criterion_id == c.id, Score.value))).label(f"score_{c.id}")
                for c in criteria
            ],
            *[
                func.max(case((Score.criterion_id == c.id, Score.comment))).label(f"comment_{c.id}")
                for c in criteria
            ],
            Review.overall_comment,
            Review.comment_for_applicant,
            Review.comment_shareable,
        )
        .select_from(Review)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .join(reviewer, reviewer.id == Assignment.reviewer_id)
        .outerjoin(Score, Score.review_id == Review.id)
        .outerjoin(Criterion, Criterion.id == Score.criterion_id)
        .where(*counted_review_conditions(call_id))
        .group_by(Review.id, Proposal.id, reviewer.id)
        .order_by(Proposal.id, Review.submitted_at, Review.id)
    )


def score_distribution(call_id: int) -> dict[int, dict[float, int]]:
    """Per criterion: how many scores of each value (one GROUP BY)."""
    rows = db.session.execute(
        counted_scores(call_id, Score.criterion_id, Score.value, func.count())
        .group_by(Score.criterion_id, Score.value)
        .order_by(Score.criterion_id, Score.value)
    ).all()
    distribution: dict[int, dict[float, int]] = defaultdict(dict)
    for criterion_id, value, count in rows:
        distribution[criterion_id][float(value)] = count
    return dict(distribution)


def reviewer_spread(call_id: int) -> Sequence[Row]:
    """Each reviewer's number of reviews, mean and mean square of their 0-1 scores."""
    value = value01()
    return db.session.execute(
        counted_scores(
            call_id,
            User.id,
            User.name,
            func.count(func.distinct(Review.id)).label("reviews"),
            func.avg(value).label("mean"),
            func.avg(value * value).label("mean_sq"),
        )
        .join(User, User.id == Assignment.reviewer_id)
        .group_by(User.id, User.name)
        .order_by(func.avg(value), User.id)
    ).all()


def proposals_by_group(call_id: int, group_by: str) -> Sequence[Row]:
    """How many proposals each continent (or region) sent, and how many are shortlisted."""
    column = getattr(Proposal, group_by)
    return db.session.execute(
        select(column.label("group"), func.count().label("proposals"))
        .where(Proposal.call_id == call_id, Proposal.state.in_(SUBMITTED_STATES))
        .group_by(column)
        .order_by(func.count().desc(), column)
    ).all()


def dossier_reviews(call_id: int, proposal_ids: list[int]) -> dict[int, list]:
    """The counted reviews of the shortlisted proposals, oldest first (one query)."""
    if not proposal_ids:
        return {}
    rows = db.session.execute(
        select(
            Assignment.proposal_id,
            Review.recommendation,
            Review.confidence,
            Review.overall_comment,
        )
        .join(Review, Review.assignment_id == Assignment.id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Assignment.proposal_id.in_(proposal_ids), *counted_review_conditions(call_id))
        .order_by(Assignment.proposal_id, Review.submitted_at, Review.id)
    ).all()
    reviews: dict[int, list] = defaultdict(list)
    for row in rows:
        reviews[row.proposal_id].append(row)
    return dict(reviews)
