"""Who may see and change calls; views and templates ask the same functions."""

from __future__ import annotations

from app.accounts.models import Role, User
from app.calls.models import Call, CallState


def _is_administrator(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_role(Role.ADMINISTRATOR))


def can_manage_calls(user: User | None) -> bool:
    """Create calls, change their settings, criteria, questions and states."""
    return _is_administrator(user)


def can_view_call(user: User | None, call: Call) -> bool:
    """Everyone sees a call once it has left draft; a draft only administrators."""
    return call.state != CallState.DRAFT or _is_administrator(user)


def can_list_proposals(user: User | None, call: Call) -> bool:
    return _is_administrator(user)
