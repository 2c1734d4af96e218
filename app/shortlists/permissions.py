"""Who may see and change shortlists and exports: administrators only.

Cities learn their decision from their own proposal once a shortlist is published, never
from these pages; reviewers see their own reviews, never the ranking.
"""

from __future__ import annotations

from app.accounts.models import Role, User
from app.calls.models import Call
from app.shortlists.models import Shortlist, ShortlistState


def _is_administrator(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_role(Role.ADMINISTRATOR))


def can_view_scores(user: User | None, call: Call) -> bool:
    """The ranking, the pictures and every shortlist of a call."""
    return _is_administrator(user)


def can_compile_shortlist(user: User | None, call: Call) -> bool:
    return _is_administrator(user)


def can_adjust_shortlist(user: User | None, shortlist: Shortlist) -> bool:
    return _is_administrator(user) and shortlist.state in (
        ShortlistState.COMPILED,
        ShortlistState.ADJUSTED,
    )


def can_publish_shortlist(user: User | None, shortlist: Shortlist) -> bool:
    return can_adjust_shortlist(user, shortlist)


def can_export(user: User | None, call: Call) -> bool:
    """Exports hold every review and comment: administrators only."""
    return _is_administrator(user)
