"""A proposal's numbers, defined once: which reviews count, a review's total, a proposal's
criterion means, total and spread, and how each is written on a page or in a file.

The review dashboard, the ranking, the shortlist, the exports and the charts all read
their numbers through this module, so an organiser who compares two pages sees the same
figure on both (issue 12: "Weighted total 24.00" on one page, "Total 50.00" on the other).

- A review counts when it is submitted, its assignment is SUBMITTED (not declined or
  recused), its proposal is submitted, and there is no active (not lifted) conflict of
  interest between its reviewer and the proposal.
- A score is rescaled from its criterion's scale to 0-1: (value - min) / (max - min).
- A review's total is 100 * sum(weight * value) / sum(weight) over its scores: 0-100.
- A proposal's mean on a criterion is the mean of its counted reviews' values, shown on the
  criterion's own scale. Its total is 100 * sum(weight * mean) / sum(weight) over the
  criteria that have a mean: the weighted score on 0-100.
- A proposal's spread is the population standard deviation of its reviews' own totals, in
  points of 0-100. One review has no spread: it is shown as a dash that says it needs two.

This module sits in reviews, the lower floor, so that shortlists builds on it and the
reviews dashboard can use it without importing upwards.
"""

from __future__ import annotations

import math
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, case, cast, exists, func, select
from sqlalchemy.sql import ColumnElement, Select

from app.calls.models import Criterion
from app.extensions import db
from app.proposals.models import SUBMITTED_STATES, Proposal
from app.reviews.models import (
    Assignment,
    AssignmentState,
    ConflictOfInterest,
    Review,
    ReviewState,
    Score,
)

# A spread above this many points of 0-100 means the reviewers disagree (both pages).
DISAGREEMENT_SPREAD = 20.0
NO_VALUE = "–"
# The pages' column headers use these same words (templates/reviews/dashboard.html,
# templates/shortlists/ranking.html), so one translation serves them all.
TOTAL_LABEL = _l("Weighted score (0–100)")
SPREAD_LABEL = _l("Spread (0–100)")
NEEDS_TWO_REVIEWS = _l("needs two reviews")


# --- which reviews count ------------------------------------------------------------------


def has_active_conflict(reviewer_id, proposal_id):
    """A SQL condition: the pair has a conflict of interest that was not lifted."""
    return exists().where(
        ConflictOfInterest.reviewer_id == reviewer_id,
        ConflictOfInterest.proposal_id == proposal_id,
        ConflictOfInterest.lifted_at.is_(None),
    )


def counted_review_conditions(call_id: int) -> tuple:
    """THE rule of a review that counts (over Review, Assignment and Proposal joined)."""
    return (
        Proposal.call_id == call_id,
        Proposal.state.in_(SUBMITTED_STATES),
        Review.state == ReviewState.SUBMITTED,
        Assignment.state == AssignmentState.SUBMITTED,
        ~has_active_conflict(Assignment.reviewer_id, Assignment.proposal_id),
    )


def counted_scores(call_id: int, *columns) -> Select:
    """SELECT columns over every score of a review that counts."""
    return (
        select(*columns)
        .select_from(Score)
        .join(Review, Review.id == Score.review_id)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(*counted_review_conditions(call_id))
    )


# --- the SQL expressions ------------------------------------------------------------------


def value01() -> ColumnElement[float]:
    """A score on its criterion's scale, rescaled to 0-1 (the scale travels with the score)."""
    return cast((Score.value - Score.scale_min) / (Score.scale_max - Score.scale_min), Float)


def review_total(value: ColumnElement[float]) -> ColumnElement[float]:
    """A review's own total on 0-100, aggregated over its scores joined to their criteria."""
    return 100.0 * func.sum(Criterion.weight * value) / func.nullif(func.sum(Criterion.weight), 0)


def proposal_total(
    value: ColumnElement[float], partition: ColumnElement[Any]
) -> ColumnElement[float]:
    """A proposal's total on 0-100 over rows of (proposal, criterion, combined value) joined
    to Criterion: a window, so each row carries its proposal's total."""
    weighted = func.sum(Criterion.weight * value).over(partition_by=partition)
    weights = func.sum(case((value.is_not(None), Criterion.weight))).over(partition_by=partition)
    return 100.0 * weighted / func.nullif(weights, 0)


def review_totals(call_id: int, calibrated: ColumnElement[float] | None = None) -> Select:
    """One row per counted review: its own total, raw and (when given) calibrated (0-100)."""
    value = value01()
    scores = counted_scores(
        call_id,
        Assignment.proposal_id.label("proposal_id"),
        Assignment.reviewer_id.label("reviewer_id"),
        Review.id.label("review_id"),
        Score.criterion_id.label("criterion_id"),
        value.label("v"),
        (calibrated if calibrated is not None else value).label("cv"),
    ).subquery()
    return (
        select(
            scores.c.proposal_id,
            scores.c.reviewer_id,
            scores.c.review_id,
            review_total(scores.c.v).label("total"),
            review_total(scores.c.cv).label("total_cal"),
        )
        .join(Criterion, Criterion.id == scores.c.criterion_id)
        .group_by(scores.c.proposal_id, scores.c.reviewer_id, scores.c.review_id)
    )


# --- a proposal's numbers -----------------------------------------------------------------


def spread(reviews: int, mean: float | None, mean_of_squares: float | None) -> float | None:
    """The population standard deviation of the reviews' totals; none for fewer than two."""
    if reviews < 2 or mean is None or mean_of_squares is None:
        return None
    return standard_deviation(float(mean_of_squares), float(mean))


def standard_deviation(mean_of_squares: float, mean: float) -> float:
    return math.sqrt(max(mean_of_squares - mean * mean, 0.0))


def disagrees(value: float | None, threshold: float = DISAGREEMENT_SPREAD) -> bool:
    return value is not None and value > threshold


def review_spreads(call_id: int) -> dict[int, tuple[int, float | None]]:
    """Per proposal: how many reviews count, and their spread (one query)."""
    totals = review_totals(call_id).subquery()
    rows = db.session.execute(
        select(
            totals.c.proposal_id,
            func.count(),
            func.avg(totals.c.total),
            func.avg(totals.c.total * totals.c.total),
        ).group_by(totals.c.proposal_id)
    ).all()
    return {row[0]: (row[1], spread(row[1], row[2], row[3])) for row in rows}


def criterion_means(call_id: int) -> dict[int, tuple[dict[int, float], float | None]]:
    """Per proposal: each criterion's mean (0-1) over the counted reviews, and the total
    (0-100) they make; one query. The ranking's default method gives the same numbers."""
    scores = counted_scores(
        call_id,
        Assignment.proposal_id.label("proposal_id"),
        Score.criterion_id.label("criterion_id"),
        value01().label("v"),
    ).subquery()
    means = (
        select(scores.c.proposal_id, scores.c.criterion_id, func.avg(scores.c.v).label("value"))
        .group_by(scores.c.proposal_id, scores.c.criterion_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            means.c.proposal_id,
            means.c.criterion_id,
            means.c.value,
            proposal_total(means.c.value, means.c.proposal_id),
        ).join(Criterion, Criterion.id == means.c.criterion_id)
    ).all()
    result: dict[int, tuple[dict[int, float], float | None]] = {}
    for proposal_id, criterion_id, value, total in rows:
        values, _total = result.setdefault(proposal_id, ({}, None))
        if value is not None:
            values[criterion_id] = float(value)
        result[proposal_id] = (values, None if total is None else float(total))
    return result


def scale_of(criterion: Criterion, value01: float | None) -> float | None:
    """A 0-1 value back on the criterion's own scale, for display."""
    if value01 is None:
        return None
    return criterion.scale_min + value01 * (criterion.scale_max - criterion.scale_min)


# --- how the numbers are written ----------------------------------------------------------


def format_score(value: float | None) -> str:
    """A mean on its criterion's scale, or a total on 0-100: two decimals, or a dash."""
    return NO_VALUE if value is None else f"{float(value):.2f}"


def format_spread(value: float | None) -> str:
    """A spread in points of 0-100: one decimal, or a dash (one review has none)."""
    return NO_VALUE if value is None else f"{float(value):.1f}"


def describe_spread(value: float | None) -> str:
    """The spread where no tooltip can say why there is none (a PDF, a chart's table)."""
    if value is None:
        return f"{NO_VALUE} ({NEEDS_TWO_REVIEWS})"
    return format_spread(value)
