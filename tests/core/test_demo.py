"""The demo obeys every rule of the app, and tours well: an open call to apply to, and a
closed call in review with scores, ready for a shortlist.

Seeding runs every service a person would (about 600 statements), so each test seeds once
and checks several rules, each with its own message.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from app.calls.models import Call, CallState
from app.calls.services import criteria_are_frozen, ensure_criteria_editable, is_accepting_proposals
from app.calls.texts import missing_translations, part_label, translatable_parts, value_in
from app.demo.seed import ADMIN_EMAIL, DEMO_SLUG, REVIEW_CITIES, REVIEW_SLUG, seed_demo
from app.extensions import db
from app.jobs.models import Job
from app.models import Proposal, ProposalState, Review, User
from app.proposals.models import SUBMITTED_STATES, ProposalRevision
from app.proposals.sections import all_problems
from app.reviews import conflicts
from app.reviews.models import Assignment, AssignmentState, ConflictOfInterest, ReviewState
from app.shortlists import services as shortlist_services
from app.shortlists.models import ShortlistEntry, ShortlistState
from app.shortlists.scoring import rank_proposals


def _call(slug: str) -> Call:
    return db.session.scalar(select(Call).where(Call.slug == slug))


def _proposals(call: Call, *states: ProposalState) -> list[Proposal]:
    return list(
        db.session.scalars(
            select(Proposal)
            .where(Proposal.call_id == call.id, Proposal.state.in_(states))
            .order_by(Proposal.id)
        )
    )


def _counts() -> dict[str, int]:
    models = {
        "users": User,
        "calls": Call,
        "proposals": Proposal,
        "revisions": ProposalRevision,
        "assignments": Assignment,
        "reviews": Review,
        "conflicts": ConflictOfInterest,
    }
    return {
        name: db.session.scalar(select(func.count()).select_from(model))
        for name, model in models.items()
    }


def _submitted_reviews(call: Call) -> list[tuple[Assignment, Review]]:
    return list(
        db.session.execute(
            select(Assignment, Review)
            .join(Review, Review.assignment_id == Assignment.id)
            .join(Proposal, Proposal.id == Assignment.proposal_id)
            .where(Proposal.call_id == call.id, Review.state == ReviewState.SUBMITTED)
        ).all()
    )


def _compile(call: Call, parameters) -> tuple:
    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    shortlist = shortlist_services.request_compilation(
        actor=admin, call=call, parameters=parameters
    )
    shortlist_services.compile_shortlist(job=db.session.get(Job, shortlist.job_id))
    included = db.session.scalars(
        select(ShortlistEntry).where(
            ShortlistEntry.shortlist_id == shortlist.id, ShortlistEntry.included.is_(True)
        )
    ).all()
    return shortlist, included


def test_the_demo_obeys_every_rule_of_the_app(app_context):
    created, logins = seed_demo()
    assert created
    assert {role for role, _email, _password in logins} == {"administrator", "reviewer", "city"}

    # The open call: cities can apply, and an organiser can still change its criteria.
    open_call = _call(DEMO_SLUG)
    assert open_call.state == CallState.OPEN and is_accepting_proposals(open_call)
    assert [c.key for c in open_call.criteria][:3] == [
        "diversity",
        "creativity",
        "culture_of_peace",
    ]
    assert not criteria_are_frozen(open_call.id), "the open call's criteria must be editable"
    ensure_criteria_editable(open_call)
    assert len(_proposals(open_call, ProposalState.DRAFT)) >= 2, "some cities are drafting"

    # Both calls are written in all five languages: every text the organiser wrote.
    for call in (open_call, _call(REVIEW_SLUG)):
        assert call.languages == ["en", "fr", "es", "pt", "ar"]
        assert missing_translations(call) == [], call.slug
        for part in translatable_parts(call):
            for name in part.TRANSLATABLE_FIELDS:
                values = [value_in(part, name, code) for code in call.languages]
                where = f"{call.slug} {part_label(part)} {name}"
                assert all(values) or not values[0], where
                # Arabic is really Arabic (some names are the same words in French).
                assert not values[0] or any("\u0600" <= c <= "\u06ff" for c in values[-1]), where

    # The call in review.
    review_call = _call(REVIEW_SLUG)
    assert review_call.state == CallState.IN_REVIEW
    assert not is_accepting_proposals(review_call)

    # Every proposal shown as submitted passes the app's own submit check, and has the
    # revision reviewers read.
    for call in (open_call, review_call):
        for proposal in _proposals(call, *SUBMITTED_STATES):
            assert all_problems(proposal, call) == [], f"{proposal.city} fails the submit check"
            assert proposal.revisions, f"{proposal.city} has no submitted revision"
    submitted = _proposals(review_call, *SUBMITTED_STATES)
    assert len({p.country_code for p in submitted}) >= 10, "too few countries for a shortlist"
    assert _proposals(review_call, ProposalState.WITHDRAWN), "one city withdrew"
    # Reviewing started: every proposal in review is marked so.
    assert {p.state for p in submitted} == {ProposalState.UNDER_REVIEW}

    # No submitted review by a reviewer in conflict: neither a recorded conflict (automatic
    # or declared) nor one the call's rules (same country, same city, ...) would find.
    reviews = _submitted_reviews(review_call)
    assert len(reviews) >= 15, "the ranking needs scores"
    recorded = set(
        db.session.execute(
            select(ConflictOfInterest.proposal_id, ConflictOfInterest.reviewer_id).where(
                ConflictOfInterest.lifted_at.is_(None)
            )
        ).all()
    )
    sources = set(db.session.scalars(select(ConflictOfInterest.source)))
    assert {"automatic", "declared"} <= {str(source) for source in sources}
    found = conflicts.automatic_conflicts(
        reviewers=conflicts.load_reviewer_facts(),
        proposals=conflicts.load_proposal_facts(None, call_id=review_call.id),
        same_country=review_call.conflict_same_country,
        same_city=review_call.conflict_same_city,
    )
    assert found, "the demo shows the conflict rules at work"
    for assignment, review in reviews:
        pair = (assignment.proposal_id, assignment.reviewer_id)
        assert pair not in recorded, f"a conflicted reviewer submitted review {review.id}"
        assert pair not in found, f"review {review.id} breaks the rule {found.get(pair)}"
        assert assignment.state == AssignmentState.SUBMITTED
        assert {s.criterion_id for s in review.scores} == {c.id for c in review_call.criteria}
    active = set(
        db.session.execute(
            select(Assignment.proposal_id, Assignment.reviewer_id)
            .join(Proposal, Proposal.id == Assignment.proposal_id)
            .where(
                Proposal.call_id == review_call.id,
                Assignment.state.in_(
                    (
                        AssignmentState.ASSIGNED,
                        AssignmentState.IN_PROGRESS,
                        AssignmentState.SUBMITTED,
                    )
                ),
            )
        ).all()
    )
    assert not active & (recorded | set(found)), "a conflicted reviewer is still assigned"
    pending = {
        state
        for state in db.session.scalars(
            select(Assignment.state)
            .join(Proposal, Proposal.id == Assignment.proposal_id)
            .where(Proposal.call_id == review_call.id)
        )
    }
    assert {AssignmentState.ASSIGNED, AssignmentState.IN_PROGRESS} <= pending, "a few pending"

    # The call in review ranks, and the shortlist form's rules can be met: the defaults it
    # offers for this call, and the announced ten cities, at most one per country.
    ranking = rank_proposals(review_call)
    assert len(ranking.proposals) == len(submitted)
    assert all(p.score is not None for p in ranking.proposals if p.reviews_submitted)
    announced = shortlist_services.CompileParameters()
    for parameters in (shortlist_services.default_parameters(review_call), announced):
        assert shortlist_services.rule_conflicts(call=review_call, parameters=parameters) == []
        shortlist, included = _compile(review_call, parameters)
        assert shortlist.state == ShortlistState.COMPILED, shortlist.message
        assert len(included) == parameters.size == 10

    # The decisions speak the language each city wrote in (Lisbon Portuguese, Beirut
    # French) when the app offers it, else English.
    messages = shortlist_services.decision_messages(shortlist, include_comments=False)
    locales = {message.city: message.locale for message in messages}
    offered = current_app.config["OFFERED_LANGUAGES"]
    wrote = {city.city: city.language for city in REVIEW_CITIES}
    assert locales == {city: wrote[city] if wrote[city] in offered else "en" for city in locales}
    assert locales["Beirut"] == "fr"


def test_seeding_twice_creates_nothing_twice_and_prints_the_logins(app):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        assert "Demo data created." in result.output
        assert ADMIN_EMAIL in result.output and "lisbon@demo.dialoguecafe.org" in result.output
        first = _counts()

        created, logins = seed_demo()

        assert not created
        assert _counts() == first
        assert "lisbon@demo.dialoguecafe.org" in {email for _role, email, _pw in logins}
