"""Who may do what with accounts, and the `role_required` view guard other domains reuse."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeGuard

from flask import abort
from flask_login import current_user

from app.accounts.models import Role, User
from app.extensions import login_manager


def _is_administrator(user: User | None) -> TypeGuard[User]:
    return bool(user is not None and user.is_authenticated and user.has_role(Role.ADMINISTRATOR))


def can_manage_users(user: User | None) -> bool:
    """See the list of people and invite reviewers."""
    return _is_administrator(user)


def can_deactivate_user(user: User | None, target: User) -> bool:
    # Never oneself: the last administrator could otherwise lock everybody out.
    return _is_administrator(user) and target.active and target.id != user.id


def can_reactivate_user(user: User | None, target: User) -> bool:
    return _is_administrator(user) and not target.active


def can_edit_account(user: User | None, target: User) -> bool:
    """Own name, language, time zone and password: only the person themselves."""
    return bool(user is not None and user.is_authenticated and user.id == target.id)


def role_required(*roles: Role) -> Callable:
    """A view guard: anonymous visitors are sent to log in, other roles get 403."""
    if not roles:
        raise ValueError("role_required needs at least one role")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not any(current_user.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorator
