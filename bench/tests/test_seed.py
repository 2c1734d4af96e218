"""`python -m bench seed` creates exactly the workload it announces, the same every time."""

from __future__ import annotations

import hashlib
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.accounts.models import Role, User, UserRole
from app.audit.models import AuditEntry
from app.calls.defaults import DEFAULT_CRITERIA
from app.calls.models import Call, CallState, Criterion
from app.calls.services import is_accepting_proposals
from app.extensions import db
from app.proposals.continents import ANTARCTICA, CONTINENT_LABELS
from app.proposals.models import Proposal, ProposalRevision, ProposalState
from app.reviews.models import (
    Assignment,
    AssignmentState,
    ConflictOfInterest,
    Review,
    ReviewerProfile,
    ReviewState,
    Score,
)
from bench.__main__ import cli
from bench.seed import BENCH_EMAIL_DOMAIN, BENCH_SLUG, CITIES, bench_call, seed_bench

TINY = {"proposals": 8, "reviewers": 6, "reviews_per_proposal": 2}


def count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def bench_proposals() -> list[Proposal]:
    return list(
        db.session.scalars(
            select(Proposal).join(Call).where(Call.slug == BENCH_SLUG).order_by(Proposal.id)
        )
    )


def workload_digest() -> str:
    """Everything the seed decides (text, places, scores, who reviews what), without ids."""
    email_of = dict(db.session.execute(select(User.id, User.email)).all())
    rows = []
    for proposal in bench_proposals():
        reviews = db.session.execute(
            select(Assignment.reviewer_id, Review.overall_comment, Review.recommendation)
            .join(Review, Review.assignment_id == Assignment.id)
            .where(Assignment.proposal_id == proposal.id)
            .order_by(Assignment.reviewer_id)
        ).all()
        scores = db.session.execute(
            select(Criterion.key, Score.value, Score.comment)
            .join(Review, Review.id == Score.review_id)
            .join(Assignment, Assignment.id == Review.assignment_id)
            .join(Criterion, Criterion.id == Score.criterion_id)
            .where(Assignment.proposal_id == proposal.id)
            .order_by(Assignment.reviewer_id, Criterion.position)
        ).all()
        rows.append(
            [
                email_of[proposal.owner_id],
                proposal.city,
                proposal.country_code,
                proposal.continent,
                proposal.answers,
                [[email_of[r], comment, str(rec)] for r, comment, rec in reviews],
                [list(score) for score in scores],
            ]
        )
    profiles = db.session.execute(
        select(User.email, ReviewerProfile.countries, ReviewerProfile.max_proposals)
        .join(ReviewerProfile, ReviewerProfile.user_id == User.id)
        .order_by(User.email)
    ).all()
    rows.append([list(profile) for profile in profiles])
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def test_seed_bench_creates_exactly_the_announced_workload(app_context):
    summary = seed_bench(**TINY)

    assert summary.created
    assert (summary.proposals, summary.reviewers, summary.reviews) == (8, 6, 16)
    assert summary.scores == 16 * 7
    call = bench_call()
    assert call.state == CallState.OPEN and is_accepting_proposals(call)
    assert [c.key for c in call.criteria] == [c.key for c in DEFAULT_CRITERIA]
    assert len(call.criteria) == 7
    proposals = bench_proposals()
    assert len(proposals) == 8
    assert {p.state for p in proposals} == {ProposalState.SUBMITTED}
    assert all(p.submitted_at is not None for p in proposals)
    assert count(ProposalRevision, ProposalRevision.proposal_id.in_([p.id for p in proposals])) == 8
    for proposal in proposals:
        narratives = proposal.answers["narratives"]
        assert set(narratives) == {c.key for c in call.criteria}
        assert all(150 <= len(text.split()) <= 430 for text in narratives.values())
    reviews = db.session.scalars(
        select(Review).join(Assignment).where(Assignment.proposal_id.in_([p.id for p in proposals]))
    ).all()
    assert len(reviews) == 16
    assert {r.state for r in reviews} == {ReviewState.SUBMITTED}
    assert all(len(r.scores) == 7 and all(s.comment for s in r.scores) for r in reviews)
    assert count(Assignment, Assignment.state == AssignmentState.SUBMITTED) == 16
    assert count(UserRole, UserRole.role == Role.APPLICANT) == 8
    assert count(UserRole, UserRole.role == Role.REVIEWER) == 6
    assert count(ReviewerProfile) == 6
    assert count(ConflictOfInterest) == summary.conflicts > 0


def test_seed_bench_assigns_no_conflicted_or_overloaded_reviewer(app_context):
    seed_bench(**TINY)

    profiles = {p.user_id: p for p in db.session.scalars(select(ReviewerProfile))}
    conflicts = set(
        db.session.execute(select(ConflictOfInterest.reviewer_id, ConflictOfInterest.proposal_id))
    )
    pairs = db.session.execute(
        select(Assignment.reviewer_id, Assignment.proposal_id, Proposal.country_code).join(Proposal)
    ).all()
    load: dict[int, int] = {}
    for reviewer_id, proposal_id, country in pairs:
        assert (reviewer_id, proposal_id) not in conflicts
        assert country not in profiles[reviewer_id].countries
        load[reviewer_id] = load.get(reviewer_id, 0) + 1
    assert all(load[r] <= profiles[r].max_proposals for r in load)


def test_seed_bench_is_deterministic_across_a_reset(app_context):
    seed_bench(**TINY)
    first = workload_digest()

    seed_bench(**TINY, reset=True)

    assert workload_digest() == first
    assert count(Call, Call.slug == BENCH_SLUG) == 1
    assert count(Proposal) == 8


def test_seed_bench_twice_without_reset_changes_nothing(app_context):
    seed_bench(**TINY)
    users = count(User)

    again = seed_bench(**TINY)

    assert not again.created
    assert again.proposals == 8
    assert count(User) == users


def test_reset_clears_references_from_rows_it_did_not_create(app_context):
    seed_bench(**TINY)
    admin = db.session.scalar(select(User).where(User.email == f"admin@{BENCH_EMAIL_DOMAIN}"))
    db.session.add(
        AuditEntry(actor_id=admin.id, action="bench.looked", object_type="call", object_id=1)
    )
    db.session.flush()

    seed_bench(**TINY, reset=True)

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "bench.looked"))
    assert entry is not None and entry.actor_id is None


def test_seed_bench_refuses_more_reviews_per_proposal_than_reviewers(app_context):
    with pytest.raises(ValueError):
        seed_bench(proposals=2, reviewers=2, reviews_per_proposal=3)


def test_cities_cover_every_inhabited_continent():
    assert {city.continent for city in CITIES} == set(CONTINENT_LABELS) - {ANTARCTICA}


def test_seed_command_reports_what_it_created(app_context):
    result = CliRunner().invoke(
        cli, args=["seed", "--proposals", "3", "--reviewers", "4", "--reviews-per-proposal", "2"]
    )

    assert result.exit_code == 0, result.output
    assert "3 proposals, 4 reviewers, 6 submitted reviews, 42 scores" in result.output
