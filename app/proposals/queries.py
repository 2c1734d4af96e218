"""Loading proposals and what hangs off them, in a constant number of queries per page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Row, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import Role, User, UserRole
from app.audit.models import AuditEntry
from app.calls.models import Call
from app.extensions import db
from app.proposals.models import (
    Attachment,
    Clarification,
    Proposal,
    ProposalRevision,
    ProposalState,
)


def call_by_slug(slug: str) -> Call | None:
    query = select(Call).where(Call.slug == slug).options(joinedload(Call.eligibility_questions))
    return db.session.execute(query).unique().scalar_one_or_none()


def active_proposal_for(*, call_id: int, owner_id: int) -> Proposal | None:
    """The city account's proposal for this call that is not withdrawn, if any."""
    return db.session.scalar(
        select(Proposal)
        .where(
            Proposal.call_id == call_id,
            Proposal.owner_id == owner_id,
            Proposal.state != ProposalState.WITHDRAWN,
        )
        .order_by(Proposal.id)
        .limit(1)
    )


def owned_proposal(proposal_id: int, *, owner_id: int, for_update: bool = False) -> Proposal | None:
    """The proposal if this account owns it; with its call and partners.

    `for_update` locks the row until the commit, so two writes to one proposal take turns
    and each sees the other's version.
    """
    query = (
        select(Proposal)
        .where(Proposal.id == proposal_id, Proposal.owner_id == owner_id)
        .options(
            # One statement for every page of the form: the proposal with its call and
            # partners (a handful of rows). The criteria come from sections.narrative_fields.
            joinedload(Proposal.call),
            joinedload(Proposal.partners),
        )
    )
    if for_update:
        query = query.with_for_update(of=Proposal).execution_options(populate_existing=True)
    return db.session.execute(query).unique().scalar_one_or_none()


def lock_proposal(proposal_id: int) -> Proposal | None:
    return db.session.scalar(
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .with_for_update(of=Proposal)
        .execution_options(populate_existing=True)
    )


def lock_loaded_proposal(proposal: Proposal) -> None:
    """Lock a proposal already loaded; read it again only if it changed meanwhile."""
    version = db.session.scalar(
        select(Proposal.version).where(Proposal.id == proposal.id).with_for_update()
    )
    if version != proposal.version:
        db.session.refresh(proposal)


def proposals_of_owner(owner_id: int) -> list[Proposal]:
    """The status page: every proposal of one account, newest first, with its history."""
    return list(
        db.session.scalars(
            select(Proposal)
            .where(Proposal.owner_id == owner_id)
            .order_by(Proposal.created_at.desc(), Proposal.id.desc())
            .options(
                joinedload(Proposal.call),
                selectinload(Proposal.revisions),
                selectinload(Proposal.clarifications),
            )
        )
    )


def proposal_for_admin(proposal_id: int) -> Proposal | None:
    """Everything the administrators' page shows about one proposal."""
    return db.session.scalar(
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(
            selectinload(Proposal.call).selectinload(Call.criteria),
            selectinload(Proposal.partners),
            selectinload(Proposal.attachments),
            selectinload(Proposal.revisions),
            selectinload(Proposal.clarifications),
        )
    )


def proposals_for_dossier(proposal_ids: list[int]) -> list[Proposal]:
    """The shortlisted proposals with their partners and files, for the PDF dossier."""
    if not proposal_ids:
        return []
    return list(
        db.session.scalars(
            select(Proposal)
            .where(Proposal.id.in_(proposal_ids))
            .options(selectinload(Proposal.partners), selectinload(Proposal.attachments))
        )
    )


def audit_history(proposal_id: int) -> list[tuple[AuditEntry, str | None]]:
    """The proposal's audit entries, oldest first, each with the acting person's name."""
    rows = db.session.execute(
        select(AuditEntry, User.name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.object_type == "proposal", AuditEntry.object_id == proposal_id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return [(entry, name) for entry, name in rows]


def user_names(user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def administrators() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.ADMINISTRATOR, User.active.is_(True))
            .order_by(User.id)
        )
    )


def latest_revision(proposal_id: int) -> ProposalRevision | None:
    return db.session.scalar(
        select(ProposalRevision)
        .where(ProposalRevision.proposal_id == proposal_id)
        .order_by(ProposalRevision.number.desc())
        .limit(1)
    )


def active_attachments(proposal_id: int) -> list[Attachment]:
    return list(
        db.session.scalars(
            select(Attachment)
            .where(Attachment.proposal_id == proposal_id, Attachment.deleted_at.is_(None))
            .order_by(Attachment.uploaded_at, Attachment.id)
        )
    )


def attachment_of(proposal_id: int, attachment_id: int) -> Attachment | None:
    return db.session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id, Attachment.proposal_id == proposal_id
        )
    )


def clarification_of(proposal_id: int, clarification_id: int) -> Clarification | None:
    return db.session.scalar(
        select(Clarification).where(
            Clarification.id == clarification_id, Clarification.proposal_id == proposal_id
        )
    )


def open_clarifications(proposal_id: int) -> list[Clarification]:
    return list(
        db.session.scalars(
            select(Clarification)
            .where(Clarification.proposal_id == proposal_id, Clarification.answer.is_(None))
            .order_by(Clarification.asked_at)
        )
    )


# --- what the scheduled messages tell ------------------------------------------------------


@dataclass
class CallSubmissions:
    call_id: int
    title: str
    new: list[Row] = field(default_factory=list)
    resubmitted: list[Row] = field(default_factory=list)


def submissions_between(start: datetime, end: datetime) -> list[CallSubmissions]:
    """Proposals submitted in [start, end), first submissions and resubmissions, by call."""
    rows = db.session.execute(
        select(
            Call.id.label("call_id"),
            Call.title,
            Proposal.id.label("proposal_id"),
            Proposal.city,
            Proposal.country_code,
            ProposalRevision.number,
            ProposalRevision.submitted_at,
        )
        .join(Proposal, Proposal.id == ProposalRevision.proposal_id)
        .join(Call, Call.id == Proposal.call_id)
        .where(
            ProposalRevision.submitted_at >= start,
            ProposalRevision.submitted_at < end,
            Proposal.state != ProposalState.WITHDRAWN,
        )
        .order_by(Call.title, Call.id, ProposalRevision.submitted_at, ProposalRevision.id)
    ).all()
    by_call: dict[int, CallSubmissions] = {}
    for row in rows:
        entry = by_call.setdefault(row.call_id, CallSubmissions(row.call_id, row.title))
        (entry.new if row.number == 1 else entry.resubmitted).append(row)
    return list(by_call.values())


def draft_owners(call_id: int) -> Sequence[Row]:
    """Each draft of a call with its owner (active accounts only)."""
    return db.session.execute(
        select(
            Proposal.id.label("proposal_id"),
            Proposal.city,
            User.id.label("user_id"),
            User.email,
            User.name,
            User.locale,
        )
        .join(User, User.id == Proposal.owner_id)
        .where(
            Proposal.call_id == call_id,
            Proposal.state == ProposalState.DRAFT,
            User.active.is_(True),
        )
        .order_by(Proposal.id)
    ).all()


# --- the organisers' lists: every call with its proposals, one call's proposals ----------


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


# Proposals per page of a call's proposal list.
PAGE_SIZE = 100


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


def filter_conditions(call_id: int, filters: ProposalFilters, *, with_state: bool):
    """The WHERE of a call's proposal list as the organisers filter it (the page and the API)."""
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
                .where(*filter_conditions(call_id, filters, with_state=False))
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
        .where(*filter_conditions(call_id, filters, with_state=True))
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
