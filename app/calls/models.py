"""Calls for interest, their eligibility questions and their criteria."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TimestampMixin, enum_column


class CallState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    IN_REVIEW = "in_review"
    DECIDED = "decided"
    ARCHIVED = "archived"


class ScoreVisibility(enum.StrEnum):
    """When a reviewer may see the other reviewers' scores."""

    NEVER = "never"
    AFTER_OWN = "after_own"
    ALWAYS = "always"


class TranslatableMixin:
    """Texts an organiser writes, with a value per language of the call.

    The columns named in TRANSLATABLE_FIELDS hold the call's main language (its first);
    `translations` holds the others, locale -> field -> text. A text a call defines later is
    one more column and one more entry in its model's TRANSLATABLE_FIELDS (app/calls/texts.py
    reads, checks and shows them).
    """

    TRANSLATABLE_FIELDS: ClassVar[tuple[str, ...]] = ()

    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )


class Call(TranslatableMixin, TimestampMixin, Base):
    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        CheckConstraint("grace_minutes >= 0", name="grace_not_negative"),
        CheckConstraint("max_attachment_bytes > 0", name="attachment_limit_positive"),
        CheckConstraint(
            "max_attachments_total_bytes >= max_attachment_bytes", name="total_limit_covers_file"
        ),
    )

    TRANSLATABLE_FIELDS = ("title", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised on display
    state: Mapped[CallState] = enum_column(CallState, default=CallState.DRAFT)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    grace_minutes: Mapped[int] = mapped_column(default=0)
    review_deadline: Mapped[datetime | None]
    languages: Mapped[list[str]] = mapped_column(default=lambda: ["en"])
    max_attachment_bytes: Mapped[int] = mapped_column(default=5 * 1024 * 1024)
    max_attachments_total_bytes: Mapped[int] = mapped_column(default=20 * 1024 * 1024)
    max_attachments: Mapped[int] = mapped_column(default=10)
    score_visibility: Mapped[ScoreVisibility] = enum_column(
        ScoreVisibility, default=ScoreVisibility.AFTER_OWN
    )
    hide_applicant_contact: Mapped[bool] = mapped_column(default=False)
    hide_partner_names: Mapped[bool] = mapped_column(default=False)
    conflict_same_country: Mapped[bool] = mapped_column(default=True)
    conflict_same_city: Mapped[bool] = mapped_column(default=True)
    reviews_per_proposal: Mapped[int] = mapped_column(default=3)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="call", order_by="Criterion.position", cascade="all, delete-orphan"
    )
    eligibility_questions: Mapped[list[EligibilityQuestion]] = relationship(
        back_populates="call", order_by="EligibilityQuestion.position", cascade="all, delete-orphan"
    )

    @property
    def accepts_until(self) -> datetime:
        """The last instant a write is accepted: the closing instant plus the grace period."""
        return self.closes_at + timedelta(minutes=self.grace_minutes)

    def __repr__(self) -> str:
        return f"<Call {self.slug}>"


class EligibilityQuestion(TranslatableMixin, Base):
    __tablename__ = "eligibility_questions"
    TRANSLATABLE_FIELDS = ("text", "explanation")

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    qualifying_answer: Mapped[bool] = mapped_column(default=True)
    # Shown to an applicant whose answer does not qualify.
    explanation: Mapped[str] = mapped_column(Text, default="")

    call: Mapped[Call] = relationship(back_populates="eligibility_questions")


class Criterion(TranslatableMixin, Base):
    __tablename__ = "criteria"
    __table_args__ = (
        CheckConstraint("scale_max > scale_min", name="scale_ordered"),
        CheckConstraint("scale_step > 0", name="step_positive"),
        CheckConstraint("weight >= 0", name="weight_not_negative"),
        CheckConstraint("max_length > 0", name="max_length_positive"),
        UniqueConstraint("call_id", "name"),
        # The target of scores' composite key, which keeps every score inside its scale.
        UniqueConstraint("id", "scale_min", "scale_max", name="uq_criteria_id_scale"),
    )

    TRANSLATABLE_FIELDS = ("name", "guidance", "rubric_low", "rubric_middle", "rubric_high")

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    key: Mapped[str] = mapped_column(String(64))  # stable, for form field names and exports
    name: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str] = mapped_column(Text, default="")
    rubric_low: Mapped[str] = mapped_column(Text, default="")
    rubric_middle: Mapped[str] = mapped_column(Text, default="")
    rubric_high: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[float] = mapped_column(default=1.0)
    scale_min: Mapped[float] = mapped_column(default=1.0)
    scale_max: Mapped[float] = mapped_column(default=5.0)
    scale_step: Mapped[float] = mapped_column(default=1.0)
    max_length: Mapped[int] = mapped_column(default=3000)

    call: Mapped[Call] = relationship(back_populates="criteria")
