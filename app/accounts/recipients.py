"""People to write to: the active accounts a message goes to, as plain values.

Every domain that announces an event picks its recipients with a query of user ids and
reads them here, so each message is addressed the same way (active accounts only, each
once, in the recipient's own language when they chose one).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select

from app.accounts.models import Role, User, UserRole
from app.extensions import db


@dataclass(frozen=True)
class Recipient:
    id: int
    email: str
    name: str
    locale: str | None


def recipients_of(user_ids: Select) -> list[Recipient]:
    """The active accounts among `user_ids` (a select of User.id), each once, by name."""
    rows = db.session.execute(
        user_ids.add_columns(User.email, User.name, User.locale)
        .where(User.active.is_(True))
        .distinct()
        .order_by(User.name, User.id)
    ).all()
    return [Recipient(id=row.id, email=row.email, name=row.name, locale=row.locale) for row in rows]


def active_administrators() -> list[Recipient]:
    return recipients_of(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMINISTRATOR)
    )


def recipients_by_id(user_ids: list[int]) -> list[Recipient]:
    return recipients_of(select(User.id).where(User.id.in_(user_ids)))
