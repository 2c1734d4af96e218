"""Reviewer profiles, conflicts of interest, assignments, reviews and scores."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, TimestampMixin, enum_column, utcnow
from app.proposals.models import Proposal


class ReviewerProfile(Base):
    __tablename__ = "reviewer_profiles"
    __table_args__ = (CheckConstraint("max_proposals >= 0", name="max_not_negative"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    countries: Mapped[list[str]] = mapped_column(default=list)  # ISO 3166-1 alpha-2
    cities: Mapped[list[str]] = mapped_column(default=list)
    organisations: Mapped[list[str]] = mapped_column(default=list)
    email_domains: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=lambda: ["en"])
    region: Mapped[str | None]  # the reviewer's own continent, to spread panels
    expertise: Mapped[str] = mapped_column(Text, default="")
    max_proposals: Mapped[int] = mapped_column(default=15)

    user: Mapped[User] = relationship()


class ConflictSource(enum.StrEnum):
    AUTOMATIC = "automatic"
    DECLARED = "declared"
    ADMINISTRATOR = "administrator"


class ConflictOfInterest(Base):
    __tablename__ = "conflicts_of_interest"
    __table_args__ = (
        # One active conflict per pair; lifted ones stay as history.
        Index(
            "uq_conflicts_active_pair",
            "reviewer_id",
            "proposal_id",
            unique=True,
            sqlite_where=text("lifted_at IS NULL"),
            postgresql_where=text("lifted_at IS NULL"),
        ),
        CheckConstraint("lifted_at IS NULL OR lifted_by_id IS NOT NULL", name="lift_has_author"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    source: Mapped[ConflictSource] = enum_column(ConflictSource)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AssignmentState(enum.StrEnum):
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    DECLINED = "declined"
    RECUSED = "recused"


ACTIVE_ASSIGNMENT_STATES = (
    AssignmentState.ASSIGNED,
    AssignmentState.IN_PROGRESS,
    AssignmentState.SUBMITTED,
)


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("proposal_id", "reviewer_id"),
        CheckConstraint(
            "state NOT IN ('declined', 'recused') OR declined_reason IS NOT NULL",
            name="declined_has_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[AssignmentState] = enum_column(AssignmentState, default=AssignmentState.ASSIGNED)
    due_at: Mapped[datetime | None]
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declined_reason: Mapped[str | None] = mapped_column(Text)

    proposal: Mapped[Proposal] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    review: Mapped[Review | None] = relationship(back_populates="assignment", uselist=False)


class ReviewState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Recommendation(enum.StrEnum):
    STRONGLY_SUPPORT = "strongly_support"
    SUPPORT = "support"
    NEUTRAL = "neutral"
    DO_NOT_SUPPORT = "do_not_support"


class Review(TimestampMixin, Base):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint(
            "confidence IS NULL OR (confidence >= 1 AND confidence <= 5)", name="confidence_range"
        ),
        CheckConstraint(
            "state <> 'submitted' OR (submitted_at IS NOT NULL AND recommendation IS NOT NULL)",
            name="submitted_is_complete",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), unique=True)
    state: Mapped[ReviewState] = enum_column(ReviewState, default=ReviewState.DRAFT)
    overall_comment: Mapped[str] = mapped_column(Text, default="")
    # Written for the city; shared with the decision only when the reviewer allows it.
    comment_for_applicant: Mapped[str] = mapped_column(Text, default="")
    comment_shareable: Mapped[bool] = mapped_column(default=False)
    recommendation: Mapped[Recommendation | None] = enum_column(Recommendation, nullable=True)
    confidence: Mapped[int | None]
    submitted_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    assignment: Mapped[Assignment] = relationship(back_populates="review")
    scores: Mapped[list[Score]] = relationship(
        back_populates="review", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class Score(Base):
    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("review_id", "criterion_id"),
        # The criterion's scale travels with the score through a composite key, so the
        # database itself refuses a score outside its scale (NaN and infinity included).
        ForeignKeyConstraint(
            ["criterion_id", "scale_min", "scale_max"],
            ["criteria.id", "criteria.scale_min", "criteria.scale_max"],
            onupdate="CASCADE",
            name="fk_scores_criterion_scale",
        ),
        CheckConstraint("value >= scale_min AND value <= scale_max", name="value_in_scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(index=True)
    scale_min: Mapped[float]
    scale_max: Mapped[float]
    value: Mapped[float]
    comment: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[Review] = relationship(back_populates="scores")
