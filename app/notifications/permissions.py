"""Who may see the outbox and act on messages; views and templates ask the same functions."""

from __future__ import annotations

from app.accounts.models import Role, User
from app.outbox.models import Notification, NotificationStatus


def _is_administrator(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_role(Role.ADMINISTRATOR))


def can_view_outbox(user: User | None) -> bool:
    """Every message, its state and its rendering (links carrying a secret are hidden)."""
    return _is_administrator(user)


def can_resend_notification(user: User | None, notification: Notification) -> bool:
    return _is_administrator(user) and notification.status == NotificationStatus.FAILED


def can_cancel_notification(user: User | None, notification: Notification) -> bool:
    return _is_administrator(user) and notification.status == NotificationStatus.PENDING


def can_send_bulk_message(user: User | None) -> bool:
    return _is_administrator(user)
