"""Every model, imported once so that Alembic and the mappers see the whole schema."""

from app.accounts.models import Role, User, UserRole
from app.audit.models import AuditEntry
from app.calls.models import Call, CallState, Criterion, EligibilityQuestion, ScoreVisibility
from app.jobs.models import Job, JobState
from app.outbox.models import Notification, NotificationStatus
from app.proposals.models import (
    Attachment,
    AttachmentKind,
    Clarification,
    Partner,
    PartnerKind,
    Proposal,
    ProposalRevision,
    ProposalState,
)
from app.reviews.models import (
    Assignment,
    AssignmentState,
    ConflictOfInterest,
    ConflictSource,
    Recommendation,
    Review,
    ReviewerProfile,
    ReviewState,
    Score,
)
from app.shortlists.models import Shortlist, ShortlistEntry, ShortlistState

__all__ = [
    "Assignment",
    "AssignmentState",
    "Attachment",
    "AttachmentKind",
    "AuditEntry",
    "Call",
    "CallState",
    "Clarification",
    "ConflictOfInterest",
    "ConflictSource",
    "Criterion",
    "EligibilityQuestion",
    "Job",
    "JobState",
    "Notification",
    "NotificationStatus",
    "Partner",
    "PartnerKind",
    "Proposal",
    "ProposalRevision",
    "ProposalState",
    "Recommendation",
    "Review",
    "ReviewState",
    "ReviewerProfile",
    "Role",
    "Score",
    "ScoreVisibility",
    "Shortlist",
    "ShortlistEntry",
    "ShortlistState",
    "User",
    "UserRole",
]
