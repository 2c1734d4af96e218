"""The API's documents of proposals and reviews (marshmallow): the filters of the organisers'
lists, and what each reader may see of a proposal and of the reviews that count."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load
from marshmallow.validate import Length, OneOf, Regexp

from app.api.pagination import Cursor, PageOut, limit_field
from app.core.forms import UNSTORABLE_CHARACTERS
from app.proposals.continents import CONTINENT_LABELS
from app.proposals.models import ProposalState

# Each list's cursors begin with its own letter: one list's cursor is refused by another.
# Any text but the control characters every request is refused (app.core.forms), told to
# the document so that a program's generated requests keep to it.
STORABLE_TEXT = f"^[^{UNSTORABLE_CHARACTERS.pattern[1:-1]}]*$"
PROPOSAL_CURSOR = "p"
REVIEW_CURSOR = "r"

# --- input ----------------------------------------------------------------------------------


class ProposalListArgs(Schema):
    state = fields.List(
        fields.Enum(ProposalState, by_value=True),
        load_default=list,
        metadata={"description": "only proposals in these states (repeat the parameter)"},
    )
    country = fields.String(
        load_default="",
        validate=Regexp(r"^[A-Za-z]{2}$"),
        metadata={"description": "ISO 3166-1 alpha-2 code"},
    )
    continent = fields.String(load_default="", validate=OneOf(sorted(CONTINENT_LABELS)))
    q = fields.String(
        load_default="",
        validate=Length(max=200),
        metadata={
            "description": "in the city, organisation, contact person or contact email, "
            "as the organisers' list searches",
            "pattern": STORABLE_TEXT,
        },
    )
    limit = limit_field()
    after = Cursor(PROPOSAL_CURSOR)

    @post_load
    def _tidy(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data["country"] = data["country"].upper()
        data["q"] = data["q"].strip()
        return data


class ReviewListArgs(Schema):
    limit = limit_field()
    after = Cursor(REVIEW_CURSOR)


# --- output ---------------------------------------------------------------------------------


class RevisionOut(Schema):
    number = fields.Integer(required=True)
    submitted_at = fields.DateTime(required=True)


class SubmittedRevisionOut(RevisionOut):
    answers = fields.Dict(
        required=True,
        metadata={
            "description": "the answers as submitted, by section of the form (the narratives "
            "by criterion key); what the call hides from reviewers is left out for them"
        },
    )


class ProposalSummaryOut(Schema):
    id = fields.Integer(required=True)
    call_id = fields.Integer(required=True)
    city = fields.String(required=True)
    country_code = fields.String(required=True, allow_none=True)
    continent = fields.String(required=True, allow_none=True)
    region = fields.String(required=True)
    state = fields.String(required=True)
    language = fields.String(required=True)
    submitted_at = fields.DateTime(required=True, allow_none=True)
    updated_at = fields.DateTime(required=True)
    latest_revision = fields.Nested(RevisionOut, required=True, allow_none=True)


class ProposalPageOut(PageOut):
    items = fields.List(fields.Nested(ProposalSummaryOut), required=True)


class ProposalOut(ProposalSummaryOut):
    population = fields.Integer(required=True, allow_none=True)
    organisation = fields.String(required=True)
    contact_name = fields.String(required=True, allow_none=True)
    contact_email = fields.String(required=True, allow_none=True)
    contact_phone = fields.String(required=True, allow_none=True)
    contact_hidden = fields.Boolean(
        required=True,
        metadata={"description": "the call hides the contact person from this reviewer"},
    )
    latest_submitted_revision = fields.Nested(SubmittedRevisionOut, required=True, allow_none=True)


class DecisionOut(Schema):
    outcome = fields.String(required=True, metadata={"description": "shortlisted or declined"})
    decided_at = fields.DateTime(required=True, allow_none=True)


class ClarificationOut(Schema):
    id = fields.Integer(required=True)
    question = fields.String(required=True)
    asked_at = fields.DateTime(required=True)


class MyProposalOut(Schema):
    id = fields.Integer(required=True)
    call_id = fields.Integer(required=True)
    call_title = fields.String(required=True)
    city = fields.String(required=True)
    country_code = fields.String(required=True, allow_none=True)
    state = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    submitted_at = fields.DateTime(required=True, allow_none=True)
    withdrawn_at = fields.DateTime(required=True, allow_none=True)
    latest_revision = fields.Nested(RevisionOut, required=True, allow_none=True)
    open_clarifications = fields.List(
        fields.Nested(ClarificationOut),
        required=True,
        metadata={"description": "the organisers' questions waiting for an answer"},
    )
    decision = fields.Nested(
        DecisionOut,
        required=True,
        allow_none=True,
        metadata={"description": "once the call's shortlist is published"},
    )


class ReviewerOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class ReviewOut(Schema):
    id = fields.Integer(required=True)
    proposal_id = fields.Integer(required=True)
    reviewer = fields.Nested(ReviewerOut, required=True)
    recommendation = fields.String(required=True, allow_none=True)
    confidence = fields.Integer(required=True, allow_none=True)
    submitted_at = fields.DateTime(required=True, allow_none=True)
    total = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "the review's weighted score, 0-100"},
    )
    scores = fields.Dict(
        keys=fields.String(),
        values=fields.Float(allow_none=True),
        required=True,
        metadata={"description": "criterion key -> value on the criterion's scale"},
    )
    comments = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "criterion key -> the reviewer's comment"},
    )
    overall_comment = fields.String(required=True)


class ReviewPageOut(PageOut):
    items = fields.List(fields.Nested(ReviewOut), required=True)
