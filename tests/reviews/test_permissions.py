"""Who may read and score a proposal: its assigned reviewer, while no conflict is in force."""

from __future__ import annotations

from app.db import utcnow
from app.extensions import db
from app.proposals.models import ProposalState
from app.reviews.models import AssignmentState, ConflictOfInterest, ConflictSource
from app.reviews.permissions import can_review_assignment
from tests.factories import make_admin, make_assignment, make_call, make_proposal, make_reviewer


def test_a_reviewer_reads_an_assignment_only_while_it_is_active_and_not_conflicted():
    proposal = make_proposal(call=make_call(), state=ProposalState.SUBMITTED)
    reviewer = make_reviewer()
    assignment = make_assignment(proposal=proposal, reviewer=reviewer)
    assert not can_review_assignment(make_reviewer(), assignment)
    assert can_review_assignment(reviewer, assignment)

    conflict = ConflictOfInterest(
        reviewer_id=reviewer.id,
        proposal_id=proposal.id,
        source=ConflictSource.DECLARED,
        reason="Former employer",
    )
    db.session.add(conflict)
    db.session.flush()
    assert not can_review_assignment(reviewer, assignment)

    admin = make_admin()
    conflict.lifted_at = utcnow()
    conflict.lifted_by_id = admin.id
    db.session.flush()
    assert can_review_assignment(reviewer, assignment)

    assignment.state = AssignmentState.RECUSED
    assignment.declined_reason = "Conflict"
    db.session.flush()
    assert not can_review_assignment(reviewer, assignment)
