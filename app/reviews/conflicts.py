"""Conflicts of interest: the automatic rules, and declaring, setting and lifting conflicts.

A conflict is a ConflictOfInterest row; the active ones (not lifted) are the only source
that every reviewer-facing query and the assignment solver read. Automatic detection
writes a row for each pair a rule catches, unless the pair already has a row of any kind
(an administrator who lifted a conflict has decided; we do not bring it back).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import Role, User, UserRole
from app.audit.services import record_audit
from app.calls.models import Call
from app.db import utcnow
from app.errors import Conflict, DomainError
from app.extensions import db
from app.jobs import enqueue_after_commit
from app.proposals.models import SUBMITTED_STATES, Partner, Proposal, ProposalState
from app.proposals.signals import proposal_submitted
from app.reviews.models import (
    ACTIVE_ASSIGNMENT_STATES,
    Assignment,
    AssignmentState,
    ConflictOfInterest,
    ConflictSource,
    Review,
    ReviewerProfile,
    ReviewState,
)

_SPACES = re.compile(r"\s+")


def normalise_name(value: str | None) -> str:
    """Organisations and cities compare without case, extra spaces or a trailing dot."""
    return _SPACES.sub(" ", (value or "").strip().casefold()).rstrip(".")


def email_domain(value: str | None) -> str:
    value = (value or "").strip().lower()
    domain = value.rsplit("@", 1)[-1] if "@" in value else value
    return domain.lstrip("@").rstrip(".")


@dataclass(frozen=True)
class ReviewerFacts:
    id: int
    countries: frozenset[str]
    cities: frozenset[str]
    organisations: frozenset[str]
    email_domains: frozenset[str]

    @classmethod
    def of(cls, user_id: int, profile: ReviewerProfile | None) -> ReviewerFacts:
        return cls(
            id=user_id,
            countries=frozenset(c.strip().upper() for c in (profile.countries if profile else [])),
            cities=frozenset(normalise_name(c) for c in (profile.cities if profile else [])),
            organisations=frozenset(
                normalise_name(o) for o in (profile.organisations if profile else [])
            ),
            email_domains=frozenset(
                email_domain(d) for d in (profile.email_domains if profile else [])
            ),
        )


@dataclass(frozen=True)
class ProposalFacts:
    id: int
    owner_id: int
    country: str
    city: str
    organisations: frozenset[str]  # the applicant's and every partner's
    email_domains: frozenset[str]  # the contact's and every partner's


def automatic_conflicts(
    *,
    reviewers: Iterable[ReviewerFacts],
    proposals: Iterable[ProposalFacts],
    same_country: bool,
    same_city: bool,
) -> dict[tuple[int, int], tuple[str, str]]:
    """(proposal id, reviewer id) -> (rule, value), for every pair a rule catches.

    Indexed by affiliation, so a call of thousands of proposals costs one pass, not a
    product of proposals and reviewers.
    """
    by_country: dict[str, list[int]] = defaultdict(list)
    by_city: dict[str, list[int]] = defaultdict(list)
    by_organisation: dict[str, list[int]] = defaultdict(list)
    by_domain: dict[str, list[int]] = defaultdict(list)
    reviewer_ids = set()
    for reviewer in reviewers:
        reviewer_ids.add(reviewer.id)
        for country in reviewer.countries:
            by_country[country].append(reviewer.id)
        for city in reviewer.cities:
            by_city[city].append(reviewer.id)
        for organisation in reviewer.organisations:
            by_organisation[organisation].append(reviewer.id)
        for domain in reviewer.email_domains:
            by_domain[domain].append(reviewer.id)

    found: dict[tuple[int, int], tuple[str, str]] = {}

    def catch(proposal_id: int, reviewer_ids_: Iterable[int], kind: str, value: str) -> None:
        for reviewer_id in reviewer_ids_:
            found.setdefault((proposal_id, reviewer_id), (kind, value))

    for proposal in proposals:
        if proposal.owner_id in reviewer_ids:
            catch(proposal.id, [proposal.owner_id], "own", "")
        for organisation in proposal.organisations:
            catch(proposal.id, by_organisation.get(organisation, ()), "organisation", organisation)
        for domain in proposal.email_domains:
            catch(proposal.id, by_domain.get(domain, ()), "domain", domain)
        if same_city and proposal.city:
            catch(proposal.id, by_city.get(proposal.city, ()), "city", proposal.city)
        if same_country and proposal.country:
            catch(proposal.id, by_country.get(proposal.country, ()), "country", proposal.country)
    return found


def conflict_reason(kind: str, value: str) -> str:
    """The reason recorded for an automatic conflict, in the acting user's language."""
    if kind == "own":
        return _("Their own proposal")
    if kind == "organisation":
        return _("Shared organisation: %(name)s", name=value)
    if kind == "domain":
        return _("Shared email domain: %(domain)s", domain=value)
    if kind == "city":
        return _("Same city: %(city)s", city=value)
    return _("Same country: %(country)s", country=value)


def load_proposal_facts(proposal_ids: list[int] | None, *, call_id: int) -> list[ProposalFacts]:
    """The conflict-relevant facts of a call's submitted proposals, in two queries."""
    query = select(
        Proposal.id,
        Proposal.owner_id,
        Proposal.country_code,
        Proposal.city,
        Proposal.organisation,
        Proposal.contact_email,
    ).where(Proposal.call_id == call_id, Proposal.state.in_(SUBMITTED_STATES))
    if proposal_ids is not None:
        query = query.where(Proposal.id.in_(proposal_ids))
    rows = db.session.execute(query).all()
    partner_query = (
        select(Partner.proposal_id, Partner.organisation, Partner.email_domain)
        .join(Proposal, Proposal.id == Partner.proposal_id)
        .where(Proposal.call_id == call_id)
    )
    if proposal_ids is not None:
        partner_query = partner_query.where(Partner.proposal_id.in_(proposal_ids))
    partner_rows = db.session.execute(partner_query).all()
    partner_organisations: dict[int, set[str]] = defaultdict(set)
    partner_domains: dict[int, set[str]] = defaultdict(set)
    for partner in partner_rows:
        if partner.organisation:
            partner_organisations[partner.proposal_id].add(normalise_name(partner.organisation))
        if partner.email_domain:
            partner_domains[partner.proposal_id].add(email_domain(partner.email_domain))
    facts = []
    for row in rows:
        organisations = partner_organisations[row.id] | {normalise_name(row.organisation)}
        domains = partner_domains[row.id] | {email_domain(row.contact_email)}
        facts.append(
            ProposalFacts(
                id=row.id,
                owner_id=row.owner_id,
                country=(row.country_code or "").upper(),
                city=normalise_name(row.city),
                organisations=frozenset(o for o in organisations if o),
                email_domains=frozenset(d for d in domains if d),
            )
        )
    return facts


def load_reviewer_facts(reviewer_ids: list[int] | None = None) -> list[ReviewerFacts]:
    """Every active reviewer's affiliations (or the given ones'), in one query."""
    query = (
        select(User.id, ReviewerProfile)
        .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.REVIEWER))
        .outerjoin(ReviewerProfile, ReviewerProfile.user_id == User.id)
        .where(User.active.is_(True))
    )
    if reviewer_ids is not None:
        query = query.where(User.id.in_(reviewer_ids))
    return [ReviewerFacts.of(user_id, profile) for user_id, profile in db.session.execute(query)]


def find_new_conflicts(
    *,
    call: Call,
    reviewer_ids: list[int] | None = None,
    proposal_ids: list[int] | None = None,
) -> dict[tuple[int, int], tuple[str, str]]:
    """The automatic conflicts of a call not recorded yet: (proposal id, reviewer id) ->
    (rule, value). Reads only, so a preview can show what recording them would do.

    Pairs that already have a conflict row, active or lifted, are left out.
    """
    found = automatic_conflicts(
        reviewers=load_reviewer_facts(reviewer_ids),
        proposals=load_proposal_facts(proposal_ids, call_id=call.id),
        same_country=call.conflict_same_country,
        same_city=call.conflict_same_city,
    )
    if not found:
        return {}
    existing_query = (
        select(ConflictOfInterest.proposal_id, ConflictOfInterest.reviewer_id)
        .join(Proposal, Proposal.id == ConflictOfInterest.proposal_id)
        .where(Proposal.call_id == call.id)
    )
    if reviewer_ids is not None:
        existing_query = existing_query.where(ConflictOfInterest.reviewer_id.in_(reviewer_ids))
    if proposal_ids is not None:
        existing_query = existing_query.where(ConflictOfInterest.proposal_id.in_(proposal_ids))
    existing = {tuple(row) for row in db.session.execute(existing_query)}
    return {pair: why for pair, why in found.items() if pair not in existing}


@dataclass(frozen=True)
class EndingAssignment:
    """An active assignment that recording a conflict would end, named for the people who
    decide: the reviewer and the city, and whether its review was submitted."""

    assignment_id: int
    proposal_id: int
    reviewer_id: int
    reviewer_name: str
    city: str
    review_submitted: bool


def assignments_ended_by(
    *, call_id: int, pairs: Iterable[tuple[int, int]]
) -> list[EndingAssignment]:
    """The call's active assignments on these (proposal id, reviewer id) pairs, by city and
    reviewer; reads only."""
    pair_set = set(pairs)
    if not pair_set:
        return []
    rows = db.session.execute(
        select(
            Assignment.id,
            Assignment.proposal_id,
            Assignment.reviewer_id,
            Assignment.state,
            User.name,
            Proposal.city,
            Review.state,
        )
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .join(User, User.id == Assignment.reviewer_id)
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .where(Proposal.call_id == call_id, Assignment.state.in_(ACTIVE_ASSIGNMENT_STATES))
    ).all()
    ending = [
        EndingAssignment(
            assignment_id=assignment_id,
            proposal_id=proposal_id,
            reviewer_id=reviewer_id,
            reviewer_name=name,
            city=city,
            review_submitted=(
                state == AssignmentState.SUBMITTED or review_state == ReviewState.SUBMITTED
            ),
        )
        for assignment_id, proposal_id, reviewer_id, state, name, city, review_state in rows
        if (proposal_id, reviewer_id) in pair_set
    ]
    return sorted(ending, key=lambda e: (e.city, e.reviewer_name, e.assignment_id))


def record_conflicts(*, call: Call, found: dict[tuple[int, int], tuple[str, str]]) -> int:
    """Record automatic conflicts found by `find_new_conflicts`; their pairs' active
    assignments end. Returns how many were recorded."""
    if not found:
        return 0
    now = utcnow()
    reasons: dict[tuple[str, str], str] = {}
    rows = [
        {
            "proposal_id": proposal_id,
            "reviewer_id": reviewer_id,
            "source": ConflictSource.AUTOMATIC.value,
            "reason": reasons.get(why) or reasons.setdefault(why, conflict_reason(*why)),
            "created_at": now,
        }
        for (proposal_id, reviewer_id), why in sorted(found.items())
    ]
    # One executemany (batched by the driver), not one ORM object per conflict. SQLAlchemy
    # types __table__ as a FromClause, which has no insert(); this class's is a Table.
    db.session.execute(ConflictOfInterest.__table__.insert(), rows)  # type: ignore[attr-defined]
    end_conflicted_assignments(pairs=list(found), reason=_("Conflict of interest found"))
    record_audit(None, "conflicts.detected", call, details={"count": len(found)})
    return len(found)


def detect_conflicts(
    *,
    call: Call,
    reviewer_ids: list[int] | None = None,
    proposal_ids: list[int] | None = None,
) -> int:
    """Record the automatic conflicts of a call (optionally only some reviewers or proposals).

    Pairs that already have a conflict row, active or lifted, are left as they are. A new
    conflict ends the pair's active assignment. Returns how many conflicts were recorded.
    """
    return record_conflicts(
        call=call,
        found=find_new_conflicts(call=call, reviewer_ids=reviewer_ids, proposal_ids=proposal_ids),
    )


DETECT_PROPOSAL_CONFLICTS_TASK = "reviews.detect_proposal_conflicts"  # workers/reviews.py


@proposal_submitted.connect
def _check_submission_for_conflicts(_proposal, *, proposal_id: int) -> None:
    """New partners or a new contact may conflict with reviewers already assigned."""
    enqueue_after_commit(DETECT_PROPOSAL_CONFLICTS_TASK, proposal_id=proposal_id)


def detect_conflicts_of_proposal(proposal_id: int) -> int:
    """A (re)submission may name a new partner, contact or city: check it against reviewers.

    Runs as a task after the city submits; a draft or a withdrawn proposal has nothing to
    check. Returns how many conflicts were recorded.
    """
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.state in (ProposalState.DRAFT, ProposalState.WITHDRAWN):
        return 0
    return detect_conflicts(call=proposal.call, proposal_ids=[proposal.id])


def end_conflicted_assignments(*, pairs: list[tuple[int, int]], reason: str) -> int:
    """A conflicted reviewer is never assigned: their active assignments become recused."""
    if not pairs:
        return 0
    pair_set = set(pairs)
    candidates = db.session.scalars(
        select(Assignment).where(
            Assignment.proposal_id.in_({p for p, _r in pair_set}),
            Assignment.reviewer_id.in_({r for _p, r in pair_set}),
            Assignment.state.in_(ACTIVE_ASSIGNMENT_STATES),
        )
    ).all()
    ended = 0
    for assignment in candidates:
        if (assignment.proposal_id, assignment.reviewer_id) in pair_set:
            assignment.state = AssignmentState.RECUSED
            assignment.declined_reason = reason
            ended += 1
    db.session.flush()
    return ended


def active_conflict(*, reviewer_id: int, proposal_id: int) -> ConflictOfInterest | None:
    return db.session.scalar(
        select(ConflictOfInterest).where(
            ConflictOfInterest.reviewer_id == reviewer_id,
            ConflictOfInterest.proposal_id == proposal_id,
            ConflictOfInterest.lifted_at.is_(None),
        )
    )


def _record_conflict(
    *, actor: User, reviewer: User, proposal: Proposal, source: ConflictSource, reason: str
) -> ConflictOfInterest:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Please give a reason."), code="reason_required", field="reason")
    if active_conflict(reviewer_id=reviewer.id, proposal_id=proposal.id):
        raise Conflict(_("This conflict of interest is already recorded."), code="conflict_exists")
    conflict = ConflictOfInterest(
        reviewer_id=reviewer.id,
        proposal_id=proposal.id,
        source=source,
        reason=reason,
        created_by_id=actor.id,
    )
    db.session.add(conflict)
    db.session.flush()
    end_conflicted_assignments(pairs=[(proposal.id, reviewer.id)], reason=reason)
    record_audit(
        actor,
        f"conflict.{source.value}",
        proposal,
        details={"reviewer_id": reviewer.id, "reason": reason},
    )
    return conflict


def declare_conflict(*, actor: User, proposal: Proposal, reason: str) -> ConflictOfInterest:
    """A reviewer declares a conflict with any proposal; their assignment to it ends."""
    if not actor.has_role(Role.REVIEWER):
        raise DomainError(_("Only reviewers declare conflicts of interest."), code="not_reviewer")
    return _record_conflict(
        actor=actor,
        reviewer=actor,
        proposal=proposal,
        source=ConflictSource.DECLARED,
        reason=reason,
    )


def set_conflict(
    *, actor: User, proposal: Proposal, reviewer: User, reason: str
) -> ConflictOfInterest:
    """An administrator records a conflict between a reviewer and a proposal."""
    return _record_conflict(
        actor=actor,
        reviewer=reviewer,
        proposal=proposal,
        source=ConflictSource.ADMINISTRATOR,
        reason=reason,
    )


def lift_conflict(*, actor: User, conflict: ConflictOfInterest) -> ConflictOfInterest:
    """An administrator lifts a conflict; the row stays, as history."""
    if conflict.lifted_at is not None:
        raise Conflict(_("This conflict was already lifted."), code="conflict_lifted")
    # Read the id first: loading an expired actor would flush a half-lifted row.
    actor_id = actor.id
    conflict.lifted_by_id = actor_id
    conflict.lifted_at = utcnow()
    db.session.flush()
    record_audit(
        actor,
        "conflict.lifted",
        ("proposal", conflict.proposal_id),
        details={"reviewer_id": conflict.reviewer_id, "conflict_id": conflict.id},
    )
    return conflict
