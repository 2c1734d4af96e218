"""Read-only queries of the calls domain: each page's data in a constant number of queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Row, bindparam, func, or_, select
from sqlalchemy.orm import selectinload

from app.calls.models import Call, CallState
from app.db import utcnow
from app.extensions import db
from app.proposals.models import Proposal, ProposalState

PAGE_SIZE = 100


def open_calls(*, now: datetime | None = None) -> list[Row]:
    """Calls taking proposals now, soonest deadline first (id, slug, title, closes_at)."""
    now = now or utcnow()
    return list(
        db.session.execute(
            select(Call.id, Call.slug, Call.title, Call.closes_at)
            .where(Call.state == CallState.OPEN, Call.opens_at <= now, Call.closes_at > now)
            .order_by(Call.closes_at, Call.id)
        )
    )


@dataclass(frozen=True, slots=True)
class CallVersion:
    """What decides whether a call's public page changed (duck-types Call for the rules)."""

    id: int
    state: CallState
    opens_at: datetime
    closes_at: datetime
    grace_minutes: int
    updated_at: datetime

    @property
    def accepts_until(self) -> datetime:
        return self.closes_at + timedelta(minutes=self.grace_minutes)


# Built once: this runs on every anonymous visit of the busiest page.
_CALL_VERSION = select(
    Call.id, Call.state, Call.opens_at, Call.closes_at, Call.grace_minutes, Call.updated_at
).where(Call.slug == bindparam("slug"))


def public_call_version(slug: str) -> CallVersion | None:
    """One light query: enough to serve a stored copy of the public page."""
    row = db.session.execute(_CALL_VERSION, {"slug": slug}).first()
    return CallVersion(*row) if row else None


def public_call(slug: str) -> Call | None:
    """The call with its criteria, for the public page: two queries."""
    return db.session.scalar(
        select(Call).where(Call.slug == slug).options(selectinload(Call.criteria))
    )


def call_for_editing(call_id: int) -> Call | None:
    """The call with its criteria and eligibility questions."""
    return db.session.scalar(
        select(Call)
        .where(Call.id == call_id)
        .options(selectinload(Call.criteria), selectinload(Call.eligibility_questions))
    )


@dataclass(frozen=True)
class CallSummary:
    call: Call
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def call_summaries() -> list[CallSummary]:
    """Every call, newest first, with its proposals counted by state (two queries)."""
    calls = db.session.scalars(select(Call).order_by(Call.opens_at.desc(), Call.id.desc())).all()
    counts: dict[int, dict[str, int]] = {call.id: {} for call in calls}
    for call_id, state, count in db.session.execute(
        select(Proposal.call_id, Proposal.state, func.count())
        .group_by(Proposal.call_id, Proposal.state)
        .order_by(Proposal.call_id)
    ):
        counts.setdefault(call_id, {})[state.value] = count
    return [CallSummary(call=call, counts=counts[call.id]) for call in calls]


@dataclass(frozen=True)
class ProposalFilters:
    state: str = ""
    country: str = ""
    region: str = ""
    search: str = ""
    after: int | None = None
    show_all: bool = False

    @property
    def active(self) -> bool:
        return bool(self.state or self.country or self.region or self.search)


@dataclass
class ProposalListPage:
    rows: list[Row]
    counts: dict[str, int]
    countries: list[str]
    regions: list[str]
    next_after: int | None = None
    filters: ProposalFilters = field(default_factory=ProposalFilters)

    @property
    def total(self) -> int:
        """Proposals matching every filter but the state (the sum of the state counts)."""
        return sum(self.counts.values())


# What the list shows: explicit columns, so a row is a tuple and nothing loads lazily.
# The template unpacks rows in this order.
PROPOSAL_LIST_COLUMNS = (
    Proposal.id,
    Proposal.state,
    Proposal.city,
    Proposal.country_code,
    Proposal.region,
    Proposal.organisation,
    Proposal.contact_name,
    Proposal.contact_email,
    Proposal.submitted_at,
)


def _matching(call_id: int, filters: ProposalFilters, *, with_state: bool):
    conditions = [Proposal.call_id == call_id]
    if with_state and filters.state:
        conditions.append(Proposal.state == ProposalState(filters.state))
    if filters.country:
        conditions.append(Proposal.country_code == filters.country)
    if filters.region:
        conditions.append(Proposal.region == filters.region)
    if filters.search:
        # icontains lower-cases both sides, on SQLite and PostgreSQL alike.
        term = filters.search.strip()
        conditions.append(
            or_(
                *(
                    column.icontains(term, autoescape=True)
                    for column in (
                        Proposal.city,
                        Proposal.organisation,
                        Proposal.contact_name,
                        Proposal.contact_email,
                    )
                )
            )
        )
    return conditions


def proposal_list(
    *, call_id: int, filters: ProposalFilters, page_size: int = PAGE_SIZE
) -> ProposalListPage:
    """One page of a call's proposals (or all of them), in three queries whatever the size:
    the counts by state (one GROUP BY), the countries and regions to filter by, the rows.

    Keyset pagination by id: `after` is the last id of the previous page.
    """
    counts = Counter(
        {
            state.value: count
            for state, count in db.session.execute(
                select(Proposal.state, func.count())
                .where(*_matching(call_id, filters, with_state=False))
                .group_by(Proposal.state)
            )
        }
    )
    places = db.session.execute(
        select(Proposal.country_code, Proposal.region).where(Proposal.call_id == call_id).distinct()
    ).all()
    countries = sorted({country for country, _region in places if country})
    regions = sorted({region for _country, region in places if region})

    query = (
        select(*PROPOSAL_LIST_COLUMNS)
        .where(*_matching(call_id, filters, with_state=True))
        .order_by(Proposal.id)
    )
    if filters.after is not None and not filters.show_all:
        query = query.where(Proposal.id > filters.after)
    if not filters.show_all:
        query = query.limit(page_size + 1)
    rows = list(db.session.execute(query))
    next_after = None
    if not filters.show_all and len(rows) > page_size:
        rows = rows[:page_size]
        next_after = rows[-1].id
    return ProposalListPage(
        rows=rows,
        counts=dict(counts),
        countries=countries,
        regions=regions,
        next_after=next_after,
        filters=filters,
    )
