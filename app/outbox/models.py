"""The notification outbox: every message is a row before it is an email."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, column, table
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, enum_column, utcnow


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_has_time"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_email: Mapped[str] = mapped_column(String(320), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    template: Mapped[str] = mapped_column(String(100))  # templates/emails/<template>.txt|.html
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Says what the message is about, once: a second request for the same key is a no-op.
    dedup_key: Mapped[str] = mapped_column(String(255), unique=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    status: Mapped[NotificationStatus] = enum_column(
        NotificationStatus, default=NotificationStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the row was last handed to the broker; the dispatcher retries stale ones.
    dispatched_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


# What the outbox reads of a recipient's account: their language and time zone, at the
# moment a message is queued or rendered. Named here as the foreign key above names the
# table, because accounts sit above the outbox (they send their mail through it).
recipient_accounts = table("users", column("id"), column("locale"), column("timezone"))
