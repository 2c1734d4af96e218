"""Scores: weighted totals on 0-100, mean and median, confidence, calibration, spread."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.proposals.models import ProposalState
from app.reviews.models import AssignmentState, ConflictOfInterest, ConflictSource
from app.shortlists.scoring import (
    ScoringOptions,
    calibrations_from_sums,
    median_by_window,
    rank_proposals,
    review_totals,
)
from tests.factories import make_assignment, make_proposal, make_review, make_reviewer
from tests.querycount import count_queries
from tests.shortlists.helpers import city, scored_call, uniform


def _by_city(ranking):
    return {p.city: p for p in ranking.proposals}


def test_total_is_the_weighted_mean_rescaled_to_0_100(app_context):
    scored = scored_call([city("Lisbon", "PT", "Europe", 5, 1), city("Turin", "IT", "Europe", 4)])
    ranking = rank_proposals(scored.call)
    lisbon, turin = _by_city(ranking)["Lisbon"], _by_city(ranking)["Turin"]
    assert lisbon.total == pytest.approx(50.0)  # mean 3 on a 1-5 scale
    assert turin.total == pytest.approx(75.0)
    assert [p.city for p in ranking.proposals] == ["Turin", "Lisbon"]
    assert (turin.rank, lisbon.rank) == (1, 2)


def test_criterion_weights_count_in_proportion(app_context):
    scored = scored_call([city("Lisbon", "PT", "Europe", 3)])
    call = scored.call
    diversity = next(c for c in call.criteria if c.key == "diversity")
    assignment = make_assignment(proposal=scored.proposals[0], reviewer=scored.reviewers[1])
    # Second review: 5 on diversity, 1 elsewhere.
    make_review(assignment=assignment, scores={**uniform(call, 1), "diversity": 5})
    ranking = rank_proposals(call)
    weights = {c.id: c.weight for c in call.criteria}
    means = {c.id: (0.5 + (1.0 if c.id == diversity.id else 0.0)) / 2 for c in call.criteria}
    expected = 100 * sum(weights[k] * means[k] for k in weights) / sum(weights.values())
    assert ranking.proposals[0].total == pytest.approx(expected)


def test_only_submitted_reviews_of_submitted_proposals_count(app_context):
    scored = scored_call([city("Lisbon", "PT", "Europe", 3)])
    call = scored.call
    draft_review = make_review(
        assignment=make_assignment(proposal=scored.proposals[0], reviewer=scored.reviewers[1]),
        scores=uniform(call, 5),
        submitted=False,
    )
    assert draft_review.state.value == "draft"
    withdrawn = make_proposal(call=call, state=ProposalState.WITHDRAWN, city="Gone")
    draft = make_proposal(call=call, city="Unfinished")
    ranking = rank_proposals(call)
    assert [p.city for p in ranking.proposals] == ["Lisbon"]
    assert ranking.proposals[0].total == pytest.approx(50.0)
    assert ranking.proposals[0].reviews_submitted == 1
    assert withdrawn.id not in ranking.by_id() and draft.id not in ranking.by_id()


def test_a_review_counts_only_while_its_assignment_is_submitted_and_no_conflict_is_active(
    app_context,
):
    scored = scored_call([city("Lisbon", "PT", "Europe", 5, 1)])
    lisbon, harsh = scored.proposals[0], scored.reviews[1]
    conflict = ConflictOfInterest(
        reviewer_id=scored.reviewers[1].id,
        proposal_id=lisbon.id,
        source=ConflictSource.AUTOMATIC,
        reason="Same country",
    )
    db.session.add(conflict)
    db.session.flush()
    alone = rank_proposals(scored.call).proposals[0]
    assert (alone.total, alone.reviews_submitted, alone.spread) == (100.0, 1, None)
    conflict.lifted_at, conflict.lifted_by_id = harsh.submitted_at, scored.reviewers[0].id
    db.session.flush()
    assert rank_proposals(scored.call).proposals[0].total == pytest.approx(50.0)
    harsh.assignment.state, harsh.assignment.declined_reason = AssignmentState.RECUSED, "Advises"
    db.session.flush()
    assert rank_proposals(scored.call).proposals[0].total == pytest.approx(100.0)


def test_median_takes_the_middle_review(app_context):
    scored = scored_call([city("Lisbon", "PT", "Europe", 1, 2, 5)])
    mean = rank_proposals(scored.call).proposals[0]
    median = rank_proposals(scored.call, ScoringOptions(method="median")).proposals[0]
    assert mean.total == pytest.approx(100 * (0 + 0.25 + 1) / 3)
    assert median.total == pytest.approx(25.0)


def test_median_fallback_for_sqlite_agrees_with_percentile_cont(app_context):
    scored = scored_call(
        [city("Lisbon", "PT", "Europe", 1, 2, 5, 4), city("Turin", "IT", "Europe", 3, 1, 2)],
        reviewers=4,
    )
    from app.shortlists.scoring import _submitted_scores

    scores = _submitted_scores(scored.call.id).subquery()
    fallback = {
        (row.proposal_id, row.criterion_id): row.value
        for row in db.session.execute(median_by_window(scores))
    }
    lisbon, turin = scored.proposals
    any_criterion = scored.call.criteria[0].id
    assert fallback[(lisbon.id, any_criterion)] == pytest.approx((0.25 + 0.75) / 2)
    assert fallback[(turin.id, any_criterion)] == pytest.approx(0.25)
    median = rank_proposals(scored.call, ScoringOptions(method="median")).by_id()
    assert median[lisbon.id].criteria[any_criterion] == pytest.approx(0.5)


def test_confidence_weights_the_mean(app_context):
    scored = scored_call([city("Lisbon", "PT", "Europe")])
    call, proposal = scored.call, scored.proposals[0]
    for reviewer, value, confidence in zip(scored.reviewers[:2], (5, 1), (4, 1), strict=True):
        make_review(
            assignment=make_assignment(proposal=proposal, reviewer=reviewer),
            scores=uniform(call, value),
            confidence=confidence,
        )
    plain = rank_proposals(call).proposals[0]
    weighted = rank_proposals(call, ScoringOptions(weight_by_confidence=True)).proposals[0]
    assert plain.total == pytest.approx(50.0)
    assert weighted.total == pytest.approx(100 * (4 * 1.0 + 1 * 0.0) / 5)


def test_spread_and_missing_reviews_are_shown_for_every_proposal(app_context):
    scored = scored_call(
        [city("Lisbon", "PT", "Europe", 1, 5), city("Turin", "IT", "Europe", 3)],
        reviews_per_proposal=3,
    )
    make_assignment(proposal=scored.proposals[1], reviewer=scored.reviewers[1])
    make_proposal(call=scored.call, state=ProposalState.SUBMITTED, city="Quiet", country_code="FR")
    ranking = _by_city(rank_proposals(scored.call))
    assert ranking["Lisbon"].spread == pytest.approx(50.0)
    assert ranking["Lisbon"].reviews_missing == 1
    assert ranking["Turin"].spread is None  # one review: no disagreement to measure
    assert (ranking["Turin"].reviews_pending, ranking["Turin"].reviews_missing) == (1, 2)
    quiet = ranking["Quiet"]
    assert (quiet.total, quiet.reviews_submitted, quiet.reviews_missing) == (None, 0, 3)
    assert quiet.rank == 3  # unscored proposals come last


def test_ties_are_broken_by_earlier_submission_then_id(app_context):
    scored = scored_call(
        [city("Later", "PT", "Europe", 4), city("Earlier", "IT", "Europe", 4)],
    )
    later, earlier = scored.proposals
    later.submitted_at, earlier.submitted_at = earlier.submitted_at, later.submitted_at
    db.session.flush()
    assert later.submitted_at > earlier.submitted_at and later.id < earlier.id
    assert [p.city for p in rank_proposals(scored.call).proposals] == ["Earlier", "Later"]
    earlier.submitted_at = later.submitted_at
    db.session.flush()
    assert [p.city for p in rank_proposals(scored.call).proposals] == ["Later", "Earlier"]


def test_calibration_lifts_a_harsh_reviewer_and_keeps_raw_beside_it(app_context):
    scored = scored_call([], reviewers=0)
    call = scored.call
    harsh, fair = make_reviewer(), make_reviewer()
    proposals = [
        make_proposal(call=call, state=ProposalState.SUBMITTED, city=f"C{i}", country_code="PT")
        for i in range(4)
    ]
    # The harsh reviewer scores proposal 0 and 1; the fair one 2 and 3; same relative quality.
    for reviewer, pair, values in ((harsh, proposals[:2], (1, 2)), (fair, proposals[2:], (3, 5))):
        for proposal, value in zip(pair, values, strict=True):
            make_review(
                assignment=make_assignment(proposal=proposal, reviewer=reviewer),
                scores=uniform(call, value),
            )
    raw = rank_proposals(call).by_id()
    calibrated = rank_proposals(
        call, ScoringOptions(calibrate=True, min_reviews_for_calibration=2)
    ).by_id()
    best_of_harsh, best_of_fair = proposals[1].id, proposals[3].id
    assert raw[best_of_harsh].total < raw[best_of_fair].total
    assert calibrated[best_of_harsh].total_calibrated == pytest.approx(
        calibrated[best_of_fair].total_calibrated
    )
    assert calibrated[best_of_harsh].total == raw[best_of_harsh].total  # raw kept beside it


def test_calibration_waits_for_the_minimum_number_of_reviews(app_context):
    scored = scored_call([city("A", "PT", "Europe", 1), city("B", "IT", "Europe", 2)], reviewers=1)
    ranking = rank_proposals(
        scored.call, ScoringOptions(calibrate=True, min_reviews_for_calibration=3)
    )
    assert not any(c.applies for c in ranking.calibrations.values())
    for proposal in ranking.proposals:
        assert proposal.total_calibrated == pytest.approx(proposal.total)


# --- properties -----------------------------------------------------------------------------

review_vectors = st.lists(
    st.lists(st.floats(0, 1, allow_nan=False), min_size=3, max_size=3), min_size=1, max_size=6
)


@given(panel=st.lists(review_vectors, min_size=1, max_size=5), min_reviews=st.integers(1, 4))
def test_calibration_keeps_each_reviewers_own_ranking(panel, min_reviews):
    rows = []
    for reviewer_id, reviews in enumerate(panel):
        values = [v for review in reviews for v in review]
        rows.append(
            (reviewer_id, len(reviews), len(values), sum(values), sum(v * v for v in values))
        )
    calibrations = calibrations_from_sums(rows, min_reviews=min_reviews)
    for reviewer_id, reviews in enumerate(panel):
        c = calibrations[reviewer_id]
        assert c.factor > 0
        raw = [sum(review) / 3 for review in reviews]
        calibrated = [sum(c.offset + c.factor * v for v in review) / 3 for review in reviews]
        for i in range(len(reviews)):
            for j in range(len(reviews)):
                if raw[i] < raw[j] - 1e-9:
                    assert calibrated[i] < calibrated[j] + 1e-9


_db_settings = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_db_settings
@given(values=st.lists(st.lists(st.integers(1, 5), min_size=2, max_size=2), min_size=3, max_size=5))
def test_calibrated_review_totals_keep_each_reviewers_order_in_sql(app_context, values):
    nested = db.session.begin_nested()
    try:
        scored = scored_call(
            [city(f"C{i}", "PT", "Europe", *pair) for i, pair in enumerate(values)], reviewers=2
        )
        ranking = rank_proposals(
            scored.call, ScoringOptions(calibrate=True, min_reviews_for_calibration=2)
        )
        rows = db.session.execute(review_totals(scored.call.id, ranking.calibrations)).all()
        by_reviewer: dict[int, list] = {}
        for row in rows:
            by_reviewer.setdefault(row.reviewer_id, []).append((row.total, row.total_cal))
        for totals in by_reviewer.values():
            for raw_a, cal_a in totals:
                for raw_b, cal_b in totals:
                    if raw_a < raw_b - 1e-9:
                        assert cal_a < cal_b + 1e-9
    finally:
        nested.rollback()


@_db_settings
@given(
    factor=st.sampled_from([0.5, 2.0, 3.0, 10.0]),
    values=st.lists(st.integers(1, 5), min_size=2, max_size=6),
)
def test_proportional_weights_give_the_same_totals_and_ranking(app_context, factor, values):
    nested = db.session.begin_nested()
    try:
        scored = scored_call([city(f"C{i}", "PT", "Europe", v) for i, v in enumerate(values)])
        for index, criterion in enumerate(scored.call.criteria):
            # Uneven scores per criterion, so that weights matter at all.
            criterion.scale_step = 1.0
            for review in scored.reviews:
                for score in review.scores:
                    if score.criterion_id == criterion.id:
                        score.value = max(1.0, min(5.0, score.value - (index % 3) + 1))
        db.session.flush()
        before = rank_proposals(scored.call)
        for criterion in scored.call.criteria:
            criterion.weight *= factor
        db.session.flush()
        after = rank_proposals(scored.call)
        assert [p.proposal_id for p in after.proposals] == [p.proposal_id for p in before.proposals]
        for a, b in zip(before.proposals, after.proposals, strict=True):
            assert a.total == pytest.approx(b.total)
    finally:
        nested.rollback()


@pytest.mark.parametrize(
    "options", [ScoringOptions(), ScoringOptions(method="median", calibrate=True)]
)
def test_ranking_runs_a_constant_number_of_queries(app_context, options):
    small = scored_call([city(f"S{i}", "PT", "Europe", 3, 4) for i in range(3)])
    with count_queries() as few:
        rank_proposals(small.call, options)
    large = scored_call([city(f"L{i}", "PT", "Europe", 3, 4) for i in range(30)])
    with count_queries() as many:
        rank_proposals(large.call, options)
    assert few.count == many.count <= 6, str(many)


def test_assignment_states_other_than_pending_do_not_count_as_missing(app_context):
    scored = scored_call([city("Lisbon", "PT", "Europe", 3)], reviews_per_proposal=1)
    declined = make_assignment(proposal=scored.proposals[0], reviewer=scored.reviewers[1])
    declined.state, declined.declined_reason = AssignmentState.DECLINED, "Too busy"
    db.session.flush()
    proposal = rank_proposals(scored.call).proposals[0]
    assert (proposal.reviews_pending, proposal.reviews_missing) == (0, 0)
