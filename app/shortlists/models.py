"""Shortlists and their entries; a proposal's decision follows from the published one."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_column, utcnow


class ShortlistState(enum.StrEnum):
    COMPILING = "compiling"
    COMPILED = "compiled"
    ADJUSTED = "adjusted"
    PUBLISHED = "published"
    FAILED = "failed"


class Shortlist(Base):
    __tablename__ = "shortlists"
    __table_args__ = (
        # At most one published shortlist per call.
        Index(
            "uq_shortlists_published_call",
            "call_id",
            unique=True,
            sqlite_where=text("state = 'published'"),
            postgresql_where=text("state = 'published'"),
        ),
        CheckConstraint(
            "state <> 'published' OR published_at IS NOT NULL", name="published_has_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[ShortlistState] = enum_column(ShortlistState, default=ShortlistState.COMPILING)
    message: Mapped[str] = mapped_column(Text, default="")  # e.g. why constraints cannot be met
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    compiled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    compiled_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    entries: Mapped[list[ShortlistEntry]] = relationship(
        back_populates="shortlist", order_by="ShortlistEntry.rank", cascade="all, delete-orphan"
    )


class ShortlistEntry(Base):
    __tablename__ = "shortlist_entries"
    __table_args__ = (
        UniqueConstraint("shortlist_id", "proposal_id"),
        CheckConstraint("rank >= 1", name="rank_positive"),
        CheckConstraint(
            "adjusted_by_id IS NULL OR adjustment_reason IS NOT NULL", name="adjustment_has_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shortlist_id: Mapped[int] = mapped_column(ForeignKey("shortlists.id", ondelete="CASCADE"))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    rank: Mapped[int]
    score: Mapped[float | None]
    included: Mapped[bool] = mapped_column(default=False)
    why: Mapped[str] = mapped_column(Text, default="")
    adjusted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    adjusted_at: Mapped[datetime | None]
    adjustment_reason: Mapped[str | None] = mapped_column(Text)
    # What the entry was computed from: the proposal's counted reviews and a digest of their
    # scores at compile time, so that publishing can tell which reviews changed since.
    # NULL for entries compiled before this was recorded.
    reviews_counted: Mapped[int | None]
    reviews_digest: Mapped[str | None] = mapped_column(String(16))

    shortlist: Mapped[Shortlist] = relationship(back_populates="entries")
