"""Who may see and change a proposal: the owner and administrators."""

from __future__ import annotations

from flask_login import AnonymousUserMixin

from app.accounts.models import User
from app.extensions import db
from app.proposals.models import ProposalState
from app.proposals.permissions import (
    can_edit_proposal,
    can_view_proposal,
    can_withdraw_proposal,
)
from tests.factories import (
    make_admin,
    make_assignment,
    make_call,
    make_proposal,
    make_reviewer,
    make_user,
)


def test_the_owner_and_administrators_see_a_proposal_other_cities_do_not():
    proposal = make_proposal(call=make_call(), state=ProposalState.SUBMITTED)
    owner = db.session.get(User, proposal.owner_id)
    assert can_view_proposal(owner, proposal)
    assert can_view_proposal(make_admin(), proposal)
    assert not can_view_proposal(make_user(), proposal)
    assert not can_view_proposal(AnonymousUserMixin(), proposal)
    assert not can_view_proposal(None, proposal)


def test_a_reviewer_does_not_read_a_proposal_here_even_when_assigned():
    """Reviewers read through their assignment (tests/reviews/test_permissions.py)."""
    proposal = make_proposal(call=make_call(), state=ProposalState.SUBMITTED)
    reviewer = make_reviewer()
    make_assignment(proposal=proposal, reviewer=reviewer)
    assert not can_view_proposal(reviewer, proposal)


def test_editing_and_withdrawing_stop_at_the_deadline_and_after_review(time_machine):
    call = make_call()
    owner = make_user()
    proposal = make_proposal(call=call, owner=owner)
    assert can_edit_proposal(owner, proposal) and can_withdraw_proposal(owner, proposal)
    assert not can_edit_proposal(make_user(), proposal)
    proposal.state = ProposalState.UNDER_REVIEW
    assert not can_edit_proposal(owner, proposal) and not can_withdraw_proposal(owner, proposal)
    proposal.state = ProposalState.SUBMITTED
    time_machine.move_to(call.accepts_until, tick=False)
    assert not can_edit_proposal(owner, proposal) and not can_withdraw_proposal(owner, proposal)
