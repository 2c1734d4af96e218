"""Reading the audit log: the administrators' trail, a page in two statements, and its export.

Newest first. Who acted is read through the `users` table by name (models.actor_accounts):
the audit sits below accounts and never imports them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, or_, select

from app.audit.models import AuditEntry, actor_accounts
from app.core.paging import OffsetPage, page_within
from app.extensions import db

PAGE_SIZE = 50
# Rows fetched from the database at a time while an export streams.
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class AuditFilters:
    """Who (a part of the actor's name or email), what, when (UTC, `until` excluded), and
    which object. Empty fields filter nothing."""

    actor: str = ""
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    object_type: str | None = None
    object_id: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.actor:
            conditions.append(
                or_(
                    actor_accounts.c.name.icontains(self.actor, autoescape=True),
                    actor_accounts.c.email.icontains(self.actor, autoescape=True),
                )
            )
        if self.action:
            conditions.append(AuditEntry.action == self.action)
        if self.since is not None:
            conditions.append(AuditEntry.at >= self.since)
        if self.until is not None:
            conditions.append(AuditEntry.at < self.until)
        if self.object_type:
            conditions.append(AuditEntry.object_type == self.object_type)
        if self.object_id is not None:
            conditions.append(AuditEntry.object_id == self.object_id)
        return conditions


def _filtered(query: Select, filters: AuditFilters) -> Select:
    return query.outerjoin(actor_accounts, actor_accounts.c.id == AuditEntry.actor_id).where(
        *filters.conditions()
    )


def _entries(filters: AuditFilters) -> Select:
    return _filtered(
        select(
            AuditEntry.id,
            AuditEntry.at,
            AuditEntry.actor_id,
            actor_accounts.c.name.label("actor_name"),
            actor_accounts.c.email.label("actor_email"),
            AuditEntry.ip_address,
            AuditEntry.action,
            AuditEntry.object_type,
            AuditEntry.object_id,
            AuditEntry.details,
        ),
        filters,
    ).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def trail_page(filters: AuditFilters, *, page: int = 1, page_size: int = PAGE_SIZE) -> OffsetPage:
    """One page of the entries the filters keep, newest first, and how many there are."""
    total = db.session.scalar(_filtered(select(func.count(AuditEntry.id)), filters)) or 0
    page, pages = page_within(page, total, page_size)
    rows = db.session.execute(
        _entries(filters).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return OffsetPage(rows=rows, total=total, page=page, pages=pages, page_size=page_size)


def trail_rows(filters: AuditFilters) -> Iterator[Row[Any]]:
    """Every entry the filters keep, newest first, read in batches (one statement)."""
    result = db.session.execute(_entries(filters).execution_options(yield_per=EXPORT_BATCH))
    yield from result
