"""Proposals and the reviews that count: each reader sees what the pages show them.

A city sees its own proposals; an administrator every proposal and every counted review;
a reviewer the proposals assigned to them without a conflict of interest, less what the
call hides from reviewers. Anything else does not exist for the reader (404), as on the
pages; the lists of a call are the administrators' alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask.views import MethodView
from flask_babel import gettext as _

from app.accounts.models import User
from app.api import queries_proposals as queries
from app.api.base import api_blueprint, current_person
from app.api.pagination import next_cursor
from app.api.schemas_proposals import (
    PROPOSAL_CURSOR,
    REVIEW_CURSOR,
    MyProposalOut,
    ProposalListArgs,
    ProposalOut,
    ProposalPageOut,
    ReviewListArgs,
    ReviewPageOut,
)
from app.calls.models import Call
from app.calls.permissions import can_list_proposals
from app.errors import NotAllowed, NotFound
from app.extensions import db
from app.proposals import queries as proposal_queries
from app.proposals.models import Proposal, ProposalRevision, ProposalState
from app.proposals.permissions import can_apply, can_view_proposal
from app.proposals.presenting import CONTACT_FIELDS
from app.reviews.permissions import can_review_assignment
from app.reviews.reviewing import snapshot_for_reviewer
from app.shortlists.permissions import can_export

bp = api_blueprint(
    "api_proposals", __name__, description="Proposals, as each reader may see them, and reviews."
)

DECIDED_STATES = (ProposalState.SHORTLISTED, ProposalState.DECLINED)
DESCRIBING_FIELDS = ("population", "organisation", "contact_name", "contact_email", "contact_phone")


def _call_for(call_id: int, allowed: Callable[[User, Call], bool]) -> Call:
    """The call, if the token's owner may do this with it; else 404."""
    call = db.session.get(Call, call_id)
    if call is None or not allowed(current_person(), call):
        raise NotFound(_("There is no such call."))
    return call


def _revision(row: Any) -> dict[str, Any] | None:
    return None if row is None else {"number": row.number, "submitted_at": row.submitted_at}


# --- a call's proposals ---------------------------------------------------------------------


@bp.route("/calls/<int:call_id>/proposals")
class CallProposals(MethodView):
    @bp.etag
    @bp.arguments(ProposalListArgs, location="query")
    @bp.response(200, ProposalPageOut)
    def get(self, args: dict[str, Any], call_id: int):
        """A call's proposals, filtered, by ascending id, a page at a time.

        Administrators only, as the organisers' proposal list (`can_list_proposals`); for
        anyone else the call's list does not exist (404, where the page answers 403).
        """
        call = _call_for(call_id, can_list_proposals)
        query = queries.ProposalQuery(
            states=tuple(args["state"]),
            country=args["country"],
            continent=args["continent"],
            search=args["q"],
        )
        rows, more = queries.proposal_rows(call.id, query, limit=args["limit"], after=args["after"])
        revisions = queries.latest_revisions(row.id for row in rows)
        return {
            "items": [
                {**row._asdict(), "latest_revision": _revision(revisions.get(row.id))}
                for row in rows
            ],
            "next": next_cursor(PROPOSAL_CURSOR, rows, more),
        }


# --- one proposal -----------------------------------------------------------------------------


def _reviews_it(person: User, proposal: Proposal) -> bool:
    """Assigned to it, the assignment active and no conflict of interest: the reading view's
    own rule (`can_review_assignment`)."""
    assignment = queries.assignment_of(proposal_id=proposal.id, reviewer_id=person.id)
    return assignment is not None and can_review_assignment(person, assignment)


def _answers_for_reviewer(snapshot: Mapping[str, Any], call: Call) -> dict[str, Any]:
    """The submitted answers less the contact person's role, which `present_proposal` hides
    with the contact (it is kept among the organisation section's answers)."""
    answers = dict(snapshot.get("answers") or {})
    organisation = answers.get("organisation")
    if call.hide_applicant_contact and isinstance(organisation, Mapping):
        answers["organisation"] = {
            key: value for key, value in organisation.items() if key not in CONTACT_FIELDS
        }
    return answers


def _proposal_out(
    proposal: Proposal, revision: ProposalRevision | None, *, for_reviewer: bool
) -> dict[str, Any]:
    call = proposal.call
    if for_reviewer:
        # A reviewer reads the submitted version, as the reading view shows it.
        snapshot = snapshot_for_reviewer(revision, call)
        described = {name: snapshot.get(name) for name in DESCRIBING_FIELDS}
        answers = _answers_for_reviewer(snapshot, call)
    else:
        described = {name: getattr(proposal, name) for name in DESCRIBING_FIELDS}
        answers = ((revision.snapshot or {}).get("answers") or {}) if revision else {}
    submitted = None
    if revision is not None:
        submitted = {
            "number": revision.number,
            "submitted_at": revision.submitted_at,
            "answers": answers,
        }
    return {
        "id": proposal.id,
        "call_id": proposal.call_id,
        "city": proposal.city,
        "country_code": proposal.country_code,
        "continent": proposal.continent,
        "region": proposal.region,
        "state": proposal.state,
        "language": proposal.language,
        "submitted_at": proposal.submitted_at,
        "updated_at": proposal.updated_at,
        "latest_revision": _revision(revision),
        **described,
        "organisation": described["organisation"] or "",
        "contact_hidden": for_reviewer and call.hide_applicant_contact,
        "latest_submitted_revision": submitted,
    }


@bp.route("/proposals/<int:proposal_id>")
class OneProposal(MethodView):
    @bp.etag
    @bp.response(200, ProposalOut)
    def get(self, proposal_id: int):
        """A proposal as its reader may see it, with its latest submitted answers.

        The city that owns it and the administrators see it in full (`can_view_proposal`);
        a reviewer assigned to it without a conflict of interest sees the submitted version,
        less what the call hides from reviewers (the contact person). Anyone else: 404.
        """
        person = current_person()
        proposal = queries.proposal_with_call(proposal_id)
        if proposal is None:
            raise NotFound(_("There is no such proposal."))
        if can_view_proposal(person, proposal):
            for_reviewer = False
        elif _reviews_it(person, proposal):
            for_reviewer = True
        else:
            raise NotFound(_("There is no such proposal."))
        revision = proposal_queries.latest_revision(proposal.id)
        return _proposal_out(proposal, revision, for_reviewer=for_reviewer)


# --- the city's own proposals -----------------------------------------------------------------


def _my_proposal(proposal: Proposal) -> dict[str, Any]:
    decided = proposal.state in DECIDED_STATES
    return {
        "id": proposal.id,
        "call_id": proposal.call_id,
        "call_title": proposal.call.title,
        "city": proposal.city,
        "country_code": proposal.country_code,
        "state": proposal.state,
        "created_at": proposal.created_at,
        "submitted_at": proposal.submitted_at,
        "withdrawn_at": proposal.withdrawn_at,
        "latest_revision": _revision(proposal.revisions[-1] if proposal.revisions else None),
        "open_clarifications": [item for item in proposal.clarifications if item.answer is None],
        # Only publishing a shortlist moves a proposal to either state.
        "decision": {"outcome": proposal.state, "decided_at": proposal.decided_at}
        if decided
        else None,
    }


@bp.route("/my/proposals")
class MyProposals(MethodView):
    @bp.etag
    @bp.response(200, MyProposalOut(many=True))
    def get(self):
        """The token owner's own proposals, newest first, each with its decision once the
        call's shortlist is published: the city's "My proposals" page. A city's account
        only (403 for anyone else, as the page)."""
        person = current_person()
        if not can_apply(person):
            raise NotAllowed(_("Only a city's account has proposals."))
        return [
            _my_proposal(proposal) for proposal in proposal_queries.proposals_of_owner(person.id)
        ]


# --- a call's reviews -------------------------------------------------------------------------


@bp.route("/calls/<int:call_id>/reviews")
class CallReviews(MethodView):
    @bp.etag
    @bp.arguments(ReviewListArgs, location="query")
    @bp.response(200, ReviewPageOut)
    def get(self, args: dict[str, Any], call_id: int):
        """Every review of a call that counts (submitted, its reviewer without a conflict of
        interest: the exports' reviews), by ascending id, a page at a time.

        Administrators only, as the exports (`can_export`); anyone else: 404.
        """
        call = _call_for(call_id, can_export)
        rows, more = queries.review_rows(call, limit=args["limit"], after=args["after"])
        criteria = list(call.criteria)
        items = [
            {
                "id": row.review_id,
                "proposal_id": row.proposal_id,
                "reviewer": {"id": row.reviewer_id, "name": row.reviewer_name},
                "recommendation": row.recommendation,
                "confidence": row.confidence,
                "submitted_at": row.submitted_at,
                "total": row.review_total,
                "scores": {c.key: row._mapping[f"score_{c.id}"] for c in criteria},
                "comments": {c.key: row._mapping[f"comment_{c.id}"] or "" for c in criteria},
                "overall_comment": row.overall_comment,
            }
            for row in rows
        ]
        return {
            "items": items,
            "next": next_cursor(REVIEW_CURSOR, rows, more, id_of=lambda row: row.review_id),
        }
