"""The reads behind the API's proposals and reviews, each in a constant number of statements.

They lean on the pages' own queries: the organisers' list filters a call's proposals as
`app.proposals.queries` does, the reviews are the exports' rows
(`app.shortlists.queries.review_export_query`: the reviews that count, nothing else).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Row, and_, func, select
from sqlalchemy.orm import joinedload

from app.api.pagination import keyset_page
from app.calls.models import Call
from app.extensions import db
from app.proposals import queries as proposal_queries
from app.proposals.models import Proposal, ProposalRevision, ProposalState
from app.reviews.models import Assignment, Review
from app.shortlists.queries import review_export_query

# What an item of a call's proposal list holds: explicit columns, nothing loads lazily.
PROPOSAL_LIST_COLUMNS = (
    Proposal.id,
    Proposal.call_id,
    Proposal.city,
    Proposal.country_code,
    Proposal.continent,
    Proposal.region,
    Proposal.state,
    Proposal.language,
    Proposal.submitted_at,
    Proposal.updated_at,
)


@dataclass(frozen=True)
class ProposalQuery:
    """The API's filters of a call's proposals (any of several states, a continent) on top
    of the page's own (country, and the search of the page's search box)."""

    states: tuple[ProposalState, ...] = ()
    country: str = ""
    continent: str = ""
    search: str = ""


def proposal_rows(
    call_id: int, query: ProposalQuery, *, limit: int, after: int | None
) -> tuple[Sequence[Row], bool]:
    """A page of a call's proposals by ascending id, and whether more follow."""
    page_filters = proposal_queries.ProposalFilters(country=query.country, search=query.search)
    conditions = proposal_queries.filter_conditions(call_id, page_filters, with_state=False)
    if query.states:
        conditions.append(Proposal.state.in_(query.states))
    if query.continent:
        conditions.append(Proposal.continent == query.continent)
    return keyset_page(
        select(*PROPOSAL_LIST_COLUMNS).where(*conditions), Proposal.id, limit=limit, after=after
    )


def latest_revisions(proposal_ids: Iterable[int]) -> dict[int, Row]:
    """Each proposal's newest submission, its number and time (one statement; none for no
    proposal): not the snapshot, which a list does not show."""
    ids = sorted(set(proposal_ids))
    if not ids:
        return {}
    newest = (
        select(ProposalRevision.proposal_id, func.max(ProposalRevision.number).label("number"))
        .where(ProposalRevision.proposal_id.in_(ids))
        .group_by(ProposalRevision.proposal_id)
        .subquery()
    )
    revisions = db.session.execute(
        select(
            ProposalRevision.proposal_id, ProposalRevision.number, ProposalRevision.submitted_at
        ).join(
            newest,
            and_(
                newest.c.proposal_id == ProposalRevision.proposal_id,
                newest.c.number == ProposalRevision.number,
            ),
        )
    )
    return {revision.proposal_id: revision for revision in revisions}


def proposal_with_call(proposal_id: int) -> Proposal | None:
    return db.session.scalar(
        select(Proposal).where(Proposal.id == proposal_id).options(joinedload(Proposal.call))
    )


def assignment_of(*, proposal_id: int, reviewer_id: int) -> Assignment | None:
    """The reviewer's assignment to the proposal, if any (one per pair)."""
    return db.session.scalar(
        select(Assignment).where(
            Assignment.proposal_id == proposal_id, Assignment.reviewer_id == reviewer_id
        )
    )


def review_rows(call: Call, *, limit: int, after: int | None) -> tuple[Sequence[Row], bool]:
    """A page of the call's counted reviews by ascending review id (the exports' rows, each
    criterion's score and comment as `score_<criterion id>`, `comment_<criterion id>`)."""
    query = review_export_query(call.id, list(call.criteria))
    return keyset_page(query, Review.id, limit=limit, after=after)
