"""A proposal is under review from its first assignment: counted so, still reviewable and
rankable, and a clarification asked meanwhile brings it back under review once answered."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.extensions import db
from app.proposals import services as proposal_services
from app.proposals.models import ProposalState
from app.proposals.permissions import can_request_clarification
from app.reviews import assigning, queries
from app.shortlists.scoring import rank_proposals
from tests.client import log_in
from tests.factories import make_review
from tests.reviews.helpers import make_reviewing


@pytest.fixture
def setting(app_context):
    return make_reviewing(proposals=3, reviewers=4)


def assign(setting, proposal, reviewer):
    return assigning.assign_pairs(
        actor=setting.admin, call=setting.call, pairs=[(proposal.id, reviewer.id)]
    )[0]


def ask_and_answer(setting, proposal):
    clarification = proposal_services.request_clarification(
        actor=setting.admin, proposal=proposal, question="Who runs the venue on Sundays?"
    )
    assert proposal.state == ProposalState.CLARIFICATION_REQUESTED
    proposal_services.answer_clarification(
        actor=db.session.get(User, proposal.owner_id),
        proposal=proposal,
        clarification=clarification,
        answer="The library's staff.",
    )


def test_the_first_assignment_puts_a_submitted_proposal_under_review(setting):
    nairobi, lima = setting.proposals[:2]
    assign(setting, nairobi, setting.reviewers[0])
    assign(setting, nairobi, setting.reviewers[1])
    assert nairobi.state == ProposalState.UNDER_REVIEW
    assert lima.state == ProposalState.SUBMITTED
    recorded = db.session.scalar(
        select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "proposal.under_review", AuditEntry.object_id == nairobi.id
        )
    )
    assert recorded == 1


def test_an_automatic_plan_puts_every_proposal_it_assigns_under_review(setting):
    plan = assigning.plan_automatic_assignment(actor=setting.admin, call=setting.call)
    assigning.apply_automatic_assignment(
        actor=setting.admin, call=setting.call, new_pairs=plan.new_pairs, removals=plan.removals
    )
    db.session.expire_all()
    assert {p.state for p in setting.proposals} == {ProposalState.UNDER_REVIEW}
    # Under review stays reviewable: planning again keeps every assignment.
    again = assigning.plan_automatic_assignment(actor=setting.admin, call=setting.call)
    assert again.new_pairs == [] and again.kept == 9


def test_an_under_review_proposal_is_read_scored_and_ranked(setting):
    nairobi = setting.proposals[0]
    assignment = assign(setting, nairobi, setting.reviewers[0])
    assert nairobi.state == ProposalState.UNDER_REVIEW
    assert queries.reviewer_may_see_proposal(setting.reviewers[0].id, nairobi.id)
    assert [row.assignment_id for row in queries.reviewer_queue(setting.reviewers[0].id)] == [
        assignment.id
    ]
    make_review(assignment=assignment, submitted=True)
    ranked = rank_proposals(setting.call).by_id()
    assert ranked[nairobi.id].reviews_submitted == 1
    assert ranked[nairobi.id].total is not None


def test_the_organisers_count_proposals_under_review(client, setting):
    assign(setting, setting.proposals[0], setting.reviewers[0])
    db.session.commit()
    log_in(client, setting.admin)
    page = client.get(f"/admin/calls/{setting.call.id}/proposals").get_data(as_text=True)
    assert "Under review: 1" in page
    assert "Submitted: 2" in page


def test_a_clarification_on_a_proposal_under_review_brings_it_back_under_review(setting):
    nairobi = setting.proposals[0]
    assign(setting, nairobi, setting.reviewers[0])
    assert can_request_clarification(setting.admin, nairobi)
    ask_and_answer(setting, nairobi)
    assert nairobi.state == ProposalState.UNDER_REVIEW


def test_a_clarification_before_any_review_goes_back_to_submitted(setting):
    lima = setting.proposals[1]
    ask_and_answer(setting, lima)
    assert lima.state == ProposalState.SUBMITTED


def test_a_proposal_assigned_while_waiting_for_an_answer_is_under_review_once_answered(setting):
    osaka = setting.proposals[2]
    clarification = proposal_services.request_clarification(
        actor=setting.admin, proposal=osaka, question="How many seats?"
    )
    assign(setting, osaka, setting.reviewers[0])
    assert osaka.state == ProposalState.CLARIFICATION_REQUESTED
    proposal_services.answer_clarification(
        actor=db.session.get(User, osaka.owner_id),
        proposal=osaka,
        clarification=clarification,
        answer="Forty.",
    )
    assert osaka.state == ProposalState.UNDER_REVIEW
