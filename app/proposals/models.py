"""Proposals, their submitted revisions, partners, attachments and clarifications."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.calls.models import Call
from app.db import Base, enum_column, utcnow


class ProposalState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CLARIFICATION_REQUESTED = "clarification_requested"
    UNDER_REVIEW = "under_review"
    SHORTLISTED = "shortlisted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


SUBMITTED_STATES = (
    ProposalState.SUBMITTED,
    ProposalState.CLARIFICATION_REQUESTED,
    ProposalState.UNDER_REVIEW,
    ProposalState.SHORTLISTED,
    ProposalState.DECLINED,
)


class Proposal(Base):
    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint("population IS NULL OR population >= 0", name="population_not_negative"),
        CheckConstraint(
            "(state = 'withdrawn') = (withdrawn_at IS NOT NULL)", name="withdrawn_has_time"
        ),
        CheckConstraint(
            "state IN ('draft', 'withdrawn') OR submitted_at IS NOT NULL",
            name="submitted_has_time",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_proposals_call_id_state", "call_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[ProposalState] = enum_column(ProposalState, default=ProposalState.DRAFT)

    city: Mapped[str] = mapped_column(String(200), default="")
    country_code: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    region: Mapped[str] = mapped_column(String(200), default="")
    continent: Mapped[str | None] = mapped_column(String(32))
    population: Mapped[int | None] = mapped_column(BigInteger)
    organisation: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    contact_phone: Mapped[str] = mapped_column(String(64), default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    # The draft answers, by section; narratives are keyed by criterion key.
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=1)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]

    call: Mapped[Call] = relationship()
    revisions: Mapped[list[ProposalRevision]] = relationship(
        back_populates="proposal", order_by="ProposalRevision.number"
    )
    partners: Mapped[list[Partner]] = relationship(
        back_populates="proposal", order_by="Partner.position", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="proposal", order_by="Attachment.uploaded_at"
    )
    clarifications: Mapped[list[Clarification]] = relationship(
        back_populates="proposal", order_by="Clarification.asked_at"
    )

    # Optimistic locking: an UPDATE that finds another version raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.city!r} {self.state}>"


class ProposalRevision(Base):
    """An immutable snapshot of the answers at one submission; reviewers read the latest."""

    __tablename__ = "proposal_revisions"
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    number: Mapped[int]
    snapshot: Mapped[dict[str, Any]]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    proposal: Mapped[Proposal] = relationship(back_populates="revisions")


class PartnerKind(enum.StrEnum):
    NGO = "ngo"
    UNIVERSITY = "university"
    CULTURAL = "cultural"
    BUSINESS = "business"
    PUBLIC = "public"
    OTHER = "other"


class Partner(Base):
    """An organisation that would help run the café, and what it offers."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    organisation: Mapped[str] = mapped_column(String(300))
    kind: Mapped[PartnerKind] = enum_column(PartnerKind, default=PartnerKind.OTHER)
    offers_people: Mapped[bool] = mapped_column(default=False)
    offers_space: Mapped[bool] = mapped_column(default=False)
    offers_networks: Mapped[bool] = mapped_column(default=False)
    email_domain: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")

    proposal: Mapped[Proposal] = relationship(back_populates="partners")


class AttachmentKind(enum.StrEnum):
    LETTER_OF_SUPPORT = "letter_of_support"
    VENUE_PLAN = "venue_plan"
    OTHER = "other"


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    kind: Mapped[AttachmentKind] = enum_column(AttachmentKind, default=AttachmentKind.OTHER)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    checksum_sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]

    proposal: Mapped[Proposal] = relationship(back_populates="attachments")


class Clarification(Base):
    __tablename__ = "clarifications"
    __table_args__ = (
        CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="answer_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]

    proposal: Mapped[Proposal] = relationship(back_populates="clarifications")
