"""Who may see and change a proposal; views and templates ask these same functions."""

from __future__ import annotations

from app.accounts.models import Role, User
from app.calls.services import is_accepting_proposals
from app.proposals.models import Clarification, Proposal, ProposalState

# States in which the city may still change its answers (before the deadline).
EDITABLE_STATES = (
    ProposalState.DRAFT,
    ProposalState.SUBMITTED,
    ProposalState.CLARIFICATION_REQUESTED,
)
WITHDRAWABLE_STATES = EDITABLE_STATES
# A question may come while reviewers read it, too; the answer brings it back under review.
CLARIFIABLE_STATES = (
    ProposalState.SUBMITTED,
    ProposalState.CLARIFICATION_REQUESTED,
    ProposalState.UNDER_REVIEW,
)


def _is(user: User | None, role: Role) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_role(role))


def can_apply(user: User | None) -> bool:
    return _is(user, Role.APPLICANT)


def is_owner(user: User | None, proposal: Proposal) -> bool:
    return bool(user is not None and user.is_authenticated and proposal.owner_id == user.id)


def can_view_proposal(user: User | None, proposal: Proposal) -> bool:
    """The owner and the administrators. Reviewers read it through their assignment
    (reviews.permissions.can_review_assignment), where conflicts of interest are checked."""
    return is_owner(user, proposal) or _is(user, Role.ADMINISTRATOR)


def can_edit_proposal(user: User | None, proposal: Proposal) -> bool:
    return (
        is_owner(user, proposal)
        and proposal.state in EDITABLE_STATES
        and is_accepting_proposals(proposal.call)
    )


def can_withdraw_proposal(user: User | None, proposal: Proposal) -> bool:
    return (
        is_owner(user, proposal)
        and proposal.state in WITHDRAWABLE_STATES
        and is_accepting_proposals(proposal.call)
    )


def can_request_clarification(user: User | None, proposal: Proposal) -> bool:
    return _is(user, Role.ADMINISTRATOR) and proposal.state in CLARIFIABLE_STATES


def can_answer_clarification(
    user: User | None, proposal: Proposal, clarification: Clarification
) -> bool:
    """The owner answers an open question, even after the deadline."""
    return (
        is_owner(user, proposal)
        and clarification.proposal_id == proposal.id
        and clarification.answer is None
        and proposal.state != ProposalState.WITHDRAWN
    )
