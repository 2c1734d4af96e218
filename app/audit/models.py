"""The audit log: who did what, to which object, from where, and when (UTC)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, column, table
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


# What the audit trail shows of the person who acted: their name and address. Named here as
# the foreign key above names the table, because accounts sit above the audit (they write
# to it); app/outbox/models.py reads its recipients the same way.
actor_accounts = table("users", column("id"), column("name"), column("email"))
