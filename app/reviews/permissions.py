"""Who may review what; views and templates ask the same functions."""

from __future__ import annotations

from typing import TypeGuard

from app.accounts.models import Role, User
from app.reviews.models import Assignment
from app.reviews.queries import reviewer_may_see_proposal


def _has(user: User | None, role: Role) -> TypeGuard[User]:
    return bool(user is not None and user.is_authenticated and user.has_role(role))


def can_manage_reviews(user: User | None) -> bool:
    """Assign reviewers, set and lift conflicts, watch progress, remind."""
    return _has(user, Role.ADMINISTRATOR)


def can_edit_profile(user: User | None, reviewer: User) -> bool:
    """A reviewer edits their own profile; an administrator edits anyone's."""
    if can_manage_reviews(user):
        return True
    return _has(user, Role.REVIEWER) and user.id == reviewer.id


def can_review_assignment(user: User | None, assignment: Assignment) -> bool:
    """Open the reading view and score: one's own active assignment, without conflict."""
    return (
        _has(user, Role.REVIEWER)
        and assignment.reviewer_id == user.id
        and reviewer_may_see_proposal(user.id, assignment.proposal_id)
    )
