"""Proposal scores: weighted totals on 0-100, reviewer calibration, disagreement, in SQL.

How a total is made (the rule the organisers defend). Which reviews count, the 0-1 value
of a score, the weighted total and the spread are defined once, in app.reviews.numbers, and
the review dashboard uses the same definitions; this module adds the ranking's options:

1. Only counted reviews count: submitted, on a SUBMITTED assignment, of a submitted
   proposal, with no active conflict of interest between the reviewer and the proposal.
2. Each score is rescaled from its criterion's scale to 0-1: (value - min) / (max - min).
   The scale travels with the score row, so no join is needed for this.
3. Per proposal and criterion the reviews are combined by their mean, or by their median.
   With "weight by confidence", the mean is weighted by each review's confidence (1-5; a
   review without one counts as 3). Confidence does not apply to the median.
4. The total is 100 * sum(weight * value) / sum(weight) over the criteria that have a value,
   so it lies in 0-100 and proportional weights give the same totals.
5. Spread (disagreement) is the population standard deviation of the reviews' own totals;
   a proposal with one review has none.

Reviewer calibration (optional): a reviewer with at least `min_reviews_for_calibration`
submitted reviews whose scores are not all equal has each 0-1 value v replaced by
    global_mean + (v - reviewer_mean) / reviewer_sd * global_sd,
the z-score against the reviewer's own mean and spread, expressed back on the call-wide
mean and spread. The map is linear and increasing per reviewer, so every reviewer's own
ranking of proposals is unchanged. It is not clamped (clamping would reorder), so a
calibrated total may lie a little outside 0-100 for a very harsh or lenient reviewer.

Everything is aggregated by the database (GROUP BY, window functions). The median uses
PostgreSQL's percentile_cont; on SQLite, which has no percentile function, it is computed
with ROW_NUMBER() and COUNT() window functions: the mean of the middle one or two values,
which is the same number.

Ties in the ranking: (score, rounded to SCORE_DIGITS, descending), then the earlier
submission, then the lower proposal id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Float, Row, case, func, literal, or_, select
from sqlalchemy.sql import ColumnElement, Select

from app.calls.models import Call, Criterion
from app.extensions import db
from app.proposals.models import SUBMITTED_STATES, Proposal
from app.reviews import numbers
from app.reviews.models import Assignment, AssignmentState, Review, Score

# The shared definitions, under the names the shortlists domain has always used.
counted_review_conditions = numbers.counted_review_conditions
counted_scores = numbers.counted_scores
value01 = numbers.value01
standard_deviation = numbers.standard_deviation
scale_of = numbers.scale_of

METHODS = ("mean", "median")
SCORE_DIGITS = 4  # totals are compared (and tie-broken) at this precision
DEFAULT_CONFIDENCE = 3
PENDING_ASSIGNMENT_STATES = (AssignmentState.ASSIGNED, AssignmentState.IN_PROGRESS)


@dataclass(frozen=True)
class ScoringOptions:
    method: str = "mean"
    calibrate: bool = False
    min_reviews_for_calibration: int = 3
    weight_by_confidence: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}")
        if self.min_reviews_for_calibration < 1:
            raise ValueError("min_reviews_for_calibration must be at least 1")

    @classmethod
    def from_parameters(cls, parameters: dict) -> ScoringOptions:
        return cls(
            method=parameters.get("method", "mean"),
            calibrate=bool(parameters.get("calibrate", False)),
            min_reviews_for_calibration=int(parameters.get("min_reviews_for_calibration", 3)),
            weight_by_confidence=bool(parameters.get("weight_by_confidence", False)),
        )

    def as_parameters(self) -> dict:
        return {
            "method": self.method,
            "calibrate": self.calibrate,
            "min_reviews_for_calibration": self.min_reviews_for_calibration,
            "weight_by_confidence": self.weight_by_confidence,
        }


@dataclass(frozen=True)
class ReviewerCalibration:
    """v -> offset + factor * v for one reviewer's 0-1 values."""

    reviewer_id: int
    reviews: int
    mean: float  # of the reviewer's 0-1 values
    sd: float
    offset: float = 0.0
    factor: float = 1.0

    @property
    def applies(self) -> bool:
        return self.factor != 1.0 or self.offset != 0.0


@dataclass
class ProposalScore:
    proposal_id: int
    city: str
    country_code: str | None
    region: str
    continent: str | None
    state: str
    submitted_at: datetime | None
    reviews_submitted: int = 0
    reviews_pending: int = 0
    reviews_expected: int = 0
    # criterion id -> 0-1 aggregate, raw and calibrated
    criteria: dict[int, float] = field(default_factory=dict)
    criteria_calibrated: dict[int, float] = field(default_factory=dict)
    total: float | None = None  # 0-100, raw
    total_calibrated: float | None = None
    spread: float | None = None  # sd of the reviews' own totals, 0-100 points
    score: float | None = None  # the one ranked: calibrated when asked, else raw
    rank: int = 0
    raw_rank: int = 0

    @property
    def reviews_missing(self) -> int:
        return max(self.reviews_expected - self.reviews_submitted, 0)

    @property
    def disagreement(self) -> bool:
        return numbers.disagrees(self.spread)


@dataclass
class Ranking:
    options: ScoringOptions
    criteria: list[Criterion]
    proposals: list[ProposalScore]
    calibrations: dict[int, ReviewerCalibration]

    def by_id(self) -> dict[int, ProposalScore]:
        return {proposal.proposal_id: proposal for proposal in self.proposals}


def rounded(score: float | None) -> float | None:
    return None if score is None else round(score, SCORE_DIGITS)


def ranking_key(score: float | None, submitted_at: datetime | None, proposal_id: int) -> tuple:
    """The documented order: score (rounded) descending, earlier submission, lower id."""
    return (
        score is None,
        -(rounded(score) or 0.0),
        submitted_at is None,
        submitted_at.timestamp() if submitted_at else 0.0,
        proposal_id,
    )


def _submitted_scores(call_id: int, calibration: ColumnElement[float] | None = None) -> Select:
    """One row per counted score: who, which proposal and criterion, the 0-1 value."""
    value = value01()
    return counted_scores(
        call_id,
        Assignment.proposal_id.label("proposal_id"),
        Assignment.reviewer_id.label("reviewer_id"),
        Review.id.label("review_id"),
        func.coalesce(Review.confidence, DEFAULT_CONFIDENCE).label("confidence"),
        Score.criterion_id.label("criterion_id"),
        value.label("v"),
        (calibration if calibration is not None else value).label("cv"),
    )


def reviewer_calibrations(call_id: int, *, min_reviews: int) -> dict[int, ReviewerCalibration]:
    """Each reviewer's mean and spread (one GROUP BY query) and the linear map to apply."""
    scores = _submitted_scores(call_id).subquery()
    rows = db.session.execute(
        select(
            scores.c.reviewer_id,
            func.count(func.distinct(scores.c.review_id)),
            func.count(),
            func.sum(scores.c.v),
            func.sum(scores.c.v * scores.c.v),
        ).group_by(scores.c.reviewer_id)
    ).all()
    return calibrations_from_sums(
        [(row[0], row[1], row[2], row[3], row[4]) for row in rows], min_reviews=min_reviews
    )


def calibrations_from_sums(
    rows: Sequence[tuple[int, int, int, float, float]], *, min_reviews: int
) -> dict[int, ReviewerCalibration]:
    """From (reviewer, reviews, values, sum, sum of squares) to each reviewer's linear map.

    Pure arithmetic, so that the property "a reviewer's ranking is unchanged" can be
    checked on many random panels without a database.
    """
    total_count = sum(row[2] for row in rows)
    if not total_count:
        return {}
    global_mean = sum(row[3] for row in rows) / total_count
    global_sd = standard_deviation(sum(row[4] for row in rows) / total_count, global_mean)
    result = {}
    for reviewer_id, reviews, count, total, squares in rows:
        mean = total / count
        sd = standard_deviation(squares / count, mean)
        calibration = ReviewerCalibration(
            reviewer_id=reviewer_id, reviews=reviews, mean=mean, sd=sd
        )
        if reviews >= min_reviews and sd > 1e-9 and global_sd > 1e-9:
            factor = global_sd / sd
            calibration = ReviewerCalibration(
                reviewer_id=reviewer_id,
                reviews=reviews,
                mean=mean,
                sd=sd,
                offset=global_mean - mean * factor,
                factor=factor,
            )
        result[reviewer_id] = calibration
    return result


def _calibrated_value(calibrations: dict[int, ReviewerCalibration]) -> ColumnElement[float] | None:
    applying = [c for c in calibrations.values() if c.applies]
    if not applying:
        return None
    offsets = {c.reviewer_id: literal(c.offset, Float) for c in applying}
    factors = {c.reviewer_id: literal(c.factor, Float) for c in applying}
    return (
        case(offsets, value=Assignment.reviewer_id, else_=literal(0.0, Float))
        + case(factors, value=Assignment.reviewer_id, else_=literal(1.0, Float)) * value01()
    )


def _criterion_aggregates(scores, options: ScoringOptions, dialect: str) -> Select:
    """Per (proposal, criterion): the combined 0-1 value, raw and calibrated."""
    keys = (scores.c.proposal_id, scores.c.criterion_id)
    reviews = func.count(func.distinct(scores.c.review_id)).label("n")
    if options.method == "mean":
        if options.weight_by_confidence:
            weight = scores.c.confidence
            raw = func.sum(scores.c.v * weight) / func.sum(weight)
            calibrated = func.sum(scores.c.cv * weight) / func.sum(weight)
        else:
            raw, calibrated = func.avg(scores.c.v), func.avg(scores.c.cv)
        return select(*keys, raw.label("value"), calibrated.label("value_cal"), reviews).group_by(
            *keys
        )
    if dialect == "postgresql":
        return select(
            *keys,
            func.percentile_cont(0.5).within_group(scores.c.v).label("value"),
            func.percentile_cont(0.5).within_group(scores.c.cv).label("value_cal"),
            reviews,
        ).group_by(*keys)
    return median_by_window(scores)


def median_by_window(scores) -> Select:
    """The median without percentile_cont (SQLite): mean of the middle one or two values."""
    keys = (scores.c.proposal_id, scores.c.criterion_id)
    ordered = select(
        *keys,
        scores.c.v,
        scores.c.cv,
        func.row_number().over(partition_by=keys, order_by=scores.c.v).label("rn"),
        func.row_number().over(partition_by=keys, order_by=scores.c.cv).label("rn_cal"),
        func.count().over(partition_by=keys).label("n"),
    ).subquery()
    middle_low, middle_high = (ordered.c.n + 1) // 2, (ordered.c.n + 2) // 2

    def middle(rank, value):
        return func.avg(case((or_(rank == middle_low, rank == middle_high), value)))

    return select(
        ordered.c.proposal_id,
        ordered.c.criterion_id,
        middle(ordered.c.rn, ordered.c.v).label("value"),
        middle(ordered.c.rn_cal, ordered.c.cv).label("value_cal"),
        func.max(ordered.c.n).label("n"),
    ).group_by(ordered.c.proposal_id, ordered.c.criterion_id)


def criterion_rows(call_id: int, options: ScoringOptions, calibrations) -> Sequence[Row]:
    """(proposal, criterion, value, value_cal, n, total, total_cal): one query."""
    dialect = db.session.get_bind().dialect.name
    scores = _submitted_scores(call_id, _calibrated_value(calibrations)).subquery()
    per_criterion = _criterion_aggregates(scores, options, dialect).subquery()
    partition = per_criterion.c.proposal_id
    query = select(
        per_criterion.c.proposal_id,
        per_criterion.c.criterion_id,
        per_criterion.c.value,
        per_criterion.c.value_cal,
        per_criterion.c.n,
        numbers.proposal_total(per_criterion.c.value, partition).label("total"),
        numbers.proposal_total(per_criterion.c.value_cal, partition).label("total_cal"),
    ).join(Criterion, Criterion.id == per_criterion.c.criterion_id)
    return db.session.execute(query).all()


def review_totals(call_id: int, calibrations=None) -> Select:
    """One row per counted review: its own weighted total, raw and calibrated (0-100)."""
    return numbers.review_totals(call_id, _calibrated_value(calibrations or {}))


def _proposal_rows(call_id: int) -> Sequence[Row]:
    """Every ranked proposal (one query)."""
    return db.session.execute(
        select(
            Proposal.id,
            Proposal.city,
            Proposal.country_code,
            Proposal.region,
            Proposal.continent,
            Proposal.state,
            Proposal.submitted_at,
        ).where(Proposal.call_id == call_id, Proposal.state.in_(SUBMITTED_STATES))
    ).all()


# The review counts and spreads (numbers.review_spreads) are read on their own, not joined
# to the proposals: joined to a grouped subquery, a planner with stale statistics (right
# after a bulk import) may run the aggregate once per proposal; apart, each is one pass.


def _pending_reviews(call_id: int) -> dict[int, int]:
    """Per proposal: assignments not yet submitted (one query)."""
    rows = db.session.execute(
        select(Assignment.proposal_id, func.count())
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Proposal.call_id == call_id, Assignment.state.in_(PENDING_ASSIGNMENT_STATES))
        .group_by(Assignment.proposal_id)
    ).all()
    return dict(rows)


def call_criteria(call_id: int) -> list[Criterion]:
    return list(
        db.session.scalars(
            select(Criterion).where(Criterion.call_id == call_id).order_by(Criterion.position)
        )
    )


def rank_proposals(call: Call, options: ScoringOptions | None = None) -> Ranking:
    """Every submitted proposal of the call, scored and ranked, in a constant number of queries."""
    options = options or ScoringOptions()
    criteria = call_criteria(call.id)
    calibrations = (
        reviewer_calibrations(call.id, min_reviews=options.min_reviews_for_calibration)
        if options.calibrate
        else {}
    )
    proposals: dict[int, ProposalScore] = {}
    spreads, pending_reviews = numbers.review_spreads(call.id), _pending_reviews(call.id)
    for row in _proposal_rows(call.id):
        submitted, spread = spreads.get(row[0], (0, None))
        pending = pending_reviews.get(row[0], 0)
        proposals[row[0]] = ProposalScore(
            proposal_id=row[0],
            city=row[1],
            country_code=row[2],
            region=row[3],
            continent=row[4],
            state=str(row[5]),
            submitted_at=row[6],
            reviews_submitted=submitted,
            reviews_pending=pending,
            reviews_expected=max(call.reviews_per_proposal, submitted + pending),
            spread=spread,
        )
    for proposal_id, criterion_id, value, value_cal, _n, total, total_cal in criterion_rows(
        call.id, options, calibrations
    ):
        proposal = proposals.get(proposal_id)
        if proposal is None:
            continue
        if value is not None:
            proposal.criteria[criterion_id] = float(value)
            proposal.criteria_calibrated[criterion_id] = float(value_cal)
        proposal.total = None if total is None else float(total)
        proposal.total_calibrated = None if total_cal is None else float(total_cal)
    for proposal in proposals.values():
        proposal.score = proposal.total_calibrated if options.calibrate else proposal.total
    _assign_ranks(proposals.values(), lambda p: p.total, "raw_rank")
    ordered = _assign_ranks(proposals.values(), lambda p: p.score, "rank")
    return Ranking(options=options, criteria=criteria, proposals=ordered, calibrations=calibrations)


def _assign_ranks(proposals, score_of, attribute: str) -> list[ProposalScore]:
    ordered = sorted(
        proposals, key=lambda p: ranking_key(score_of(p), p.submitted_at, p.proposal_id)
    )
    for position, proposal in enumerate(ordered, start=1):
        setattr(proposal, attribute, position)
    return ordered
