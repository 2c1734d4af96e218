"""Assigning reviewers to proposals: by hand, and automatically from the solver's plan.

The plan itself is computed by `app.reviews.assignment` (pure, no database); this module
loads what it needs, shows what applying would change, and applies it through the same
`assign_pairs` as an administrator's choice by hand. Each function checks the rule, changes
the data, writes the audit entry, queues the emails in the outbox and flushes; the caller
commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import exists, func, select

from app.accounts.models import Role, User, UserRole
from app.audit.services import record_audit
from app.calls.models import Call
from app.calls.texts import title_in
from app.core.urls import external_url
from app.db import utcnow
from app.errors import Conflict, DomainError
from app.extensions import db
from app.outbox.services import OutboxMessage, queue_notifications
from app.proposals import services as proposal_services
from app.proposals.models import Proposal
from app.reviews import conflicts
from app.reviews.models import (
    ACTIVE_ASSIGNMENT_STATES,
    Assignment,
    AssignmentState,
    ConflictOfInterest,
    Review,
    ReviewerProfile,
)
from app.reviews.queries import REVIEWABLE_STATES, default_reviewer_limit
from app.reviews.reminders import due_label

if TYPE_CHECKING:  # the solver's module brings numpy: imported where a plan is made
    from app.reviews.assignment import AssignmentSolution, Shortfall


# ---------------------------------------------------------------------------------------
# Assignments by hand
# ---------------------------------------------------------------------------------------


def _active_reviewers(reviewer_ids: set[int]) -> dict[int, User]:
    users = db.session.scalars(
        select(User)
        .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.REVIEWER))
        .where(User.id.in_(reviewer_ids), User.active.is_(True))
    ).all()
    return {user.id: user for user in users}


def _call_loads(call: Call) -> dict[int, int]:
    """Active assignments per reviewer in this call."""
    rows = db.session.execute(
        select(Assignment.reviewer_id, func.count())
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Proposal.call_id == call.id, Assignment.state.in_(ACTIVE_ASSIGNMENT_STATES))
        .group_by(Assignment.reviewer_id)
    ).all()
    return dict(rows)


def _limits(reviewer_ids: set[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(ReviewerProfile.user_id, ReviewerProfile.max_proposals).where(
            ReviewerProfile.user_id.in_(reviewer_ids)
        )
    ).all()
    limits = dict.fromkeys(reviewer_ids, default_reviewer_limit())
    limits.update(dict(rows))
    return limits


def _active_conflict_pairs(proposal_ids: set[int]) -> set[tuple[int, int]]:
    return {
        (proposal_id, reviewer_id)
        for proposal_id, reviewer_id in db.session.execute(
            select(ConflictOfInterest.proposal_id, ConflictOfInterest.reviewer_id).where(
                ConflictOfInterest.proposal_id.in_(proposal_ids),
                ConflictOfInterest.lifted_at.is_(None),
            )
        )
    }


def _queue_assigned_emails(
    *, call: Call, assignments: list[tuple[int, int]], reviewers: dict[int, User], at: datetime
) -> None:
    """One message per reviewer for a batch of new assignments (proposal id, reviewer id)."""
    by_reviewer: dict[int, list[int]] = defaultdict(list)
    for proposal_id, reviewer_id in assignments:
        by_reviewer[reviewer_id].append(proposal_id)
    messages = []
    for reviewer_id, proposal_ids in by_reviewer.items():
        reviewer = reviewers[reviewer_id]
        messages.append(
            OutboxMessage(
                recipient_email=reviewer.email,
                recipient_id=reviewer.id,
                template="review_assigned",
                dedup_key=(
                    f"review-assigned:{call.id}:{reviewer.id}:{at.isoformat()}:"
                    f"{min(proposal_ids)}+{len(proposal_ids)}"
                ),
                context={
                    "reviewer_name": reviewer.name,
                    "call_title": title_in(call, reviewer.locale),
                    "count": len(proposal_ids),
                    "due_at": due_label(call.review_deadline),
                    "queue_url": external_url("reviews.queue"),
                },
                locale=reviewer.locale,
                call_id=call.id,
            )
        )
    queue_notifications(messages)


def assign_pairs(
    *, actor: User | None, call: Call, pairs: list[tuple[int, int]], source: str = "manual"
) -> list[Assignment]:
    """Assign reviewers to proposals of a call: (proposal id, reviewer id) pairs.

    Refuses the whole batch, saying why, when a pair is conflicted, a proposal is not
    waiting for review, a reviewer is not an active reviewer or would go over their limit.
    A pair that ended earlier (declined or recused) is assigned again on the same row.
    A submitted proposal's first assignment puts it under review.
    """
    pairs = sorted(set(pairs))
    if not pairs:
        raise DomainError(_("Choose at least one reviewer and proposal."), code="nothing_chosen")
    proposal_ids = {p for p, _r in pairs}
    reviewer_ids = {r for _p, r in pairs}
    # Only the columns the checks read: a proposal's answers can be long.
    proposals = {
        row.id: row
        for row in db.session.execute(
            select(Proposal.id, Proposal.state, Proposal.city).where(
                Proposal.id.in_(proposal_ids), Proposal.call_id == call.id
            )
        )
    }
    reviewers = _active_reviewers(reviewer_ids)
    problems: list[str] = []
    for proposal_id in sorted(proposal_ids):
        proposal = proposals.get(proposal_id)
        if proposal is None or proposal.state not in REVIEWABLE_STATES:
            problems.append(
                _("Proposal %(id)s is not waiting for review in this call.", id=proposal_id)
            )
    for reviewer_id in sorted(reviewer_ids - set(reviewers)):
        problems.append(_("User %(id)s is not an active reviewer.", id=reviewer_id))
    if problems:
        raise DomainError(" ".join(problems), code="assignment_refused")

    conflicts.detect_conflicts(
        call=call, reviewer_ids=sorted(reviewer_ids), proposal_ids=sorted(proposal_ids)
    )
    conflicted = _active_conflict_pairs(proposal_ids)
    existing = {
        (a.proposal_id, a.reviewer_id): a
        for a in db.session.scalars(
            select(Assignment).where(
                Assignment.proposal_id.in_(proposal_ids), Assignment.reviewer_id.in_(reviewer_ids)
            )
        )
    }
    loads = _call_loads(call)
    limits = _limits(reviewer_ids)
    added: dict[int, int] = defaultdict(int)
    to_make: list[tuple[int, int]] = []
    for proposal_id, reviewer_id in pairs:
        name, city = reviewers[reviewer_id].name, proposals[proposal_id].city
        current = existing.get((proposal_id, reviewer_id))
        if (proposal_id, reviewer_id) in conflicted:
            problems.append(
                _("%(name)s has a conflict of interest with %(city)s.", name=name, city=city)
            )
        elif current is not None and current.state in ACTIVE_ASSIGNMENT_STATES:
            continue  # already assigned: nothing to do
        else:
            added[reviewer_id] += 1
            to_make.append((proposal_id, reviewer_id))
    for reviewer_id, count in sorted(added.items()):
        if loads.get(reviewer_id, 0) + count > limits[reviewer_id]:
            problems.append(
                _(
                    "%(name)s would have %(load)s proposals, over their limit of %(limit)s.",
                    name=reviewers[reviewer_id].name,
                    load=loads.get(reviewer_id, 0) + count,
                    limit=limits[reviewer_id],
                )
            )
    if problems:
        raise DomainError(" ".join(problems), code="assignment_refused")
    if not to_make:
        raise DomainError(_("These reviewers are already assigned."), code="already_assigned")

    now = utcnow()
    values = {
        "state": AssignmentState.ASSIGNED,
        "declined_reason": None,
        "assigned_at": now,
        "assigned_by_id": actor.id if actor else None,
        "due_at": call.review_deadline,
    }
    fresh = []
    for proposal_id, reviewer_id in to_make:
        assignment = existing.get((proposal_id, reviewer_id))
        if assignment is None:
            fresh.append({"proposal_id": proposal_id, "reviewer_id": reviewer_id, **values})
        else:
            for name, value in values.items():
                setattr(assignment, name, value)
    db.session.flush()
    if fresh:
        # A plan of thousands goes in as one executemany, not one ORM object per row.
        # SQLAlchemy types every mapped class's __table__ as a FromClause, which has no
        # insert(); a class declared with __tablename__, like this one, maps a Table.
        db.session.execute(Assignment.__table__.insert(), fresh)  # type: ignore[attr-defined]
    wanted = set(to_make)
    made = [
        assignment
        for assignment in db.session.scalars(
            select(Assignment).where(
                Assignment.proposal_id.in_(proposal_ids),
                Assignment.reviewer_id.in_(reviewer_ids),
                Assignment.assigned_at == now,
            )
        )
        if (assignment.proposal_id, assignment.reviewer_id) in wanted
    ]
    record_audit(
        actor, f"assignments.{source}", call, details={"pairs": [list(pair) for pair in to_make]}
    )
    _queue_assigned_emails(call=call, assignments=to_make, reviewers=reviewers, at=now)
    # A proposal is under review from its first assignment (the proposals lifecycle).
    proposal_services.mark_under_review(actor=actor, proposal_ids={p for p, _r in to_make})
    return made


def remove_assignment(*, actor: User, assignment: Assignment) -> None:
    """An administrator takes a reviewer off a proposal.

    Not started: the row goes (nothing was written). Started: it ends as declined, and
    the draft or submitted review stays as history but no longer counts.
    """
    if assignment.state not in ACTIVE_ASSIGNMENT_STATES:
        raise Conflict(_("This assignment has already ended."), code="assignment_ended")
    details = {"proposal_id": assignment.proposal_id, "reviewer_id": assignment.reviewer_id}
    if assignment.review is None:
        db.session.delete(assignment)
        details["deleted"] = True
    else:
        assignment.state = AssignmentState.DECLINED
        assignment.declined_reason = _("Removed by an administrator")
    db.session.flush()
    record_audit(actor, "assignment.removed", assignment, details=details)


# ---------------------------------------------------------------------------------------
# Automatic assignment
# ---------------------------------------------------------------------------------------


@dataclass
class AutomaticPlan:
    """What applying would do; computing it writes nothing (conflicts found are only shown)."""

    call: Call
    k: int
    new_pairs: list[tuple[int, int]]
    removals: list[int]  # ids of unstarted assignments the plan moves elsewhere
    kept: int
    shortfalls: list[Shortfall]
    solution: AssignmentSolution
    proposal_labels: dict[int, str] = field(default_factory=dict)
    reviewer_labels: dict[int, str] = field(default_factory=dict)
    loads: dict[int, tuple[int, int]] = field(default_factory=dict)  # id -> (load, limit)
    # Automatic conflicts not recorded yet: applying records them.
    new_conflicts: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    # Active assignments those conflicts end when the plan is applied.
    recusals: list[conflicts.EndingAssignment] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.shortfalls

    @property
    def submitted_recusals(self) -> list[conflicts.EndingAssignment]:
        return [ending for ending in self.recusals if ending.review_submitted]

    @property
    def changes_anything(self) -> bool:
        return bool(self.new_pairs or self.removals or self.new_conflicts)

    def conflict_rows(self) -> list[tuple[str, str, str]]:
        """(reviewer, proposal, reason) for each conflict found, by proposal then reviewer."""
        rows = (
            (
                self.reviewer_labels.get(reviewer_id, str(reviewer_id)),
                self.proposal_labels.get(proposal_id, str(proposal_id)),
                conflicts.conflict_reason(*why),
            )
            for (proposal_id, reviewer_id), why in self.new_conflicts.items()
        )
        return sorted(rows, key=lambda row: (row[1], row[0]))


@dataclass
class _CallState:
    """What the solver needs to know about a call, loaded in a few queries."""

    proposals: dict[int, tuple[str, str, str | None]]  # id -> (city, language, country)
    reviewers: dict[int, tuple[str, int, frozenset[str], str | None]]  # name, limit, langs, region
    assignments: list[tuple[int, int, int, AssignmentState, bool]]  # id, p, r, state, started
    conflicted: set[tuple[int, int]]


def _load_call_state(call: Call) -> _CallState:
    proposals = {
        row.id: (row.city, row.language, row.country_code)
        for row in db.session.execute(
            select(Proposal.id, Proposal.city, Proposal.language, Proposal.country_code).where(
                Proposal.call_id == call.id, Proposal.state.in_(REVIEWABLE_STATES)
            )
        )
    }
    default_limit = default_reviewer_limit()
    reviewers = {
        row.id: (
            row.name,
            row.max_proposals if row.max_proposals is not None else default_limit,
            frozenset(row.languages if row.languages is not None else ["en"]),
            row.region,
        )
        for row in db.session.execute(
            select(
                User.id,
                User.name,
                ReviewerProfile.max_proposals,
                ReviewerProfile.languages,
                ReviewerProfile.region,
            )
            .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.REVIEWER))
            .outerjoin(ReviewerProfile, ReviewerProfile.user_id == User.id)
            .where(User.active.is_(True))
        )
    }
    started = exists().where(Review.assignment_id == Assignment.id)
    assignments = [
        (row[0], row[1], row[2], row[3], bool(row[4]))
        for row in db.session.execute(
            select(
                Assignment.id,
                Assignment.proposal_id,
                Assignment.reviewer_id,
                Assignment.state,
                started,
            )
            .join(Proposal, Proposal.id == Assignment.proposal_id)
            .where(Proposal.call_id == call.id)
        )
    ]
    conflicted = {
        (proposal_id, reviewer_id)
        for proposal_id, reviewer_id in db.session.execute(
            select(ConflictOfInterest.proposal_id, ConflictOfInterest.reviewer_id)
            .join(Proposal, Proposal.id == ConflictOfInterest.proposal_id)
            .where(Proposal.call_id == call.id, ConflictOfInterest.lifted_at.is_(None))
        )
    }
    return _CallState(proposals, reviewers, assignments, conflicted)


def plan_automatic_assignment(
    *, actor: User | None, call: Call, replan_unstarted: bool = False
) -> AutomaticPlan:
    """The optimal assignment for the call's proposals, to show before it is applied.

    Writes nothing: the administrator is told nothing changes before they apply. The
    call's automatic conflicts not recorded yet are found in memory: the plan never
    includes one, and the active assignments they would end (named in `recusals`) count
    as ended, so their proposals get other reviewers. Applying records them.

    Assignments that have a review (draft or submitted) are otherwise always kept and
    count for the proposal's k and the reviewer's load. Assignments not started yet are
    kept too, unless `replan_unstarted`, in which case the solver may move them (it
    prefers not to).
    """
    from app.reviews.assignment import ProposalNeed, ReviewerSlot, problem_from, solve_assignment

    new_conflicts = conflicts.find_new_conflicts(call=call)
    state = _load_call_state(call)
    k = call.reviews_per_proposal or 3
    fixed_by_proposal: dict[int, list[int]] = defaultdict(list)
    fixed_load: dict[int, int] = defaultdict(int)
    forbidden = set(state.conflicted) | set(new_conflicts)
    preferred: set[tuple[int, int]] = set()
    movable: dict[tuple[int, int], int] = {}
    for assignment_id, proposal_id, reviewer_id, a_state, started in state.assignments:
        pair = (proposal_id, reviewer_id)
        if a_state not in ACTIVE_ASSIGNMENT_STATES or pair in new_conflicts:
            # Declined or recused, or recused when the plan is applied: never assigned
            # again automatically, and no longer counted.
            forbidden.add(pair)
        elif replan_unstarted and not started and a_state == AssignmentState.ASSIGNED:
            preferred.add(pair)
            movable[pair] = assignment_id
        else:
            forbidden.add(pair)  # kept as it is
            fixed_by_proposal[proposal_id].append(reviewer_id)
            fixed_load[reviewer_id] += 1
    needs = [
        ProposalNeed(
            id=proposal_id,
            need=max(k - len(fixed_by_proposal[proposal_id]), 0),
            language=language or "",
            kept_regions=tuple(
                region
                for r in fixed_by_proposal[proposal_id]
                if r in state.reviewers and (region := state.reviewers[r][3])
            ),
        )
        for proposal_id, (_city, language, _country) in sorted(state.proposals.items())
    ]
    slots = [
        ReviewerSlot(
            id=reviewer_id,
            capacity=max(limit - fixed_load[reviewer_id], 0),
            load=fixed_load[reviewer_id],
            languages=languages,
            region=region,
        )
        for reviewer_id, (_name, limit, languages, region) in sorted(state.reviewers.items())
    ]
    solution = solve_assignment(
        problem_from(proposals=needs, reviewers=slots, forbidden=forbidden, preferred=preferred)
    )
    planned = set(solution.pairs)
    kept = sum(len(v) for v in fixed_by_proposal.values())
    return AutomaticPlan(
        call=call,
        k=k,
        new_pairs=sorted(planned - set(movable)),
        removals=sorted(
            assignment_id for pair, assignment_id in movable.items() if pair not in planned
        ),
        kept=kept + len(planned & set(movable)),
        shortfalls=solution.shortfalls,
        solution=solution,
        proposal_labels={
            pid: f"{city} ({country or '—'})"
            for pid, (city, _language, country) in state.proposals.items()
        },
        reviewer_labels={rid: values[0] for rid, values in state.reviewers.items()},
        loads={
            rid: (solution.loads.get(rid, 0), values[1]) for rid, values in state.reviewers.items()
        },
        new_conflicts=new_conflicts,
        recusals=conflicts.assignments_ended_by(call_id=call.id, pairs=new_conflicts),
    )


def shortfall_message(shortfall: Shortfall, k: int) -> str:
    if shortfall.reason == "no_eligible_reviewers":
        return _("every reviewer has a conflict of interest with it or is already on it")
    if shortfall.reason == "too_few_eligible":
        return _(
            "only %(count)s reviewers without a conflict have room; it needs %(k)s",
            count=shortfall.eligible_with_room,
            k=k,
        )
    return _(
        "the %(count)s reviewers without a conflict are at their limit",
        count=shortfall.eligible_reviewers,
    )


def _named(recusals: list[conflicts.EndingAssignment]) -> str:
    return "; ".join(
        _("%(name)s on %(city)s", name=ending.reviewer_name, city=ending.city)
        for ending in recusals
    )


def apply_automatic_assignment(
    *,
    actor: User | None,
    call: Call,
    new_pairs: list[tuple[int, int]],
    removals: list[int],
    recusals: Collection[int] = (),
    confirm_recusals: bool = False,
) -> list[Assignment]:
    """Apply a plan the administrator saw, after checking it still holds.

    Records the automatic conflicts the preview only showed; the assignments they end must
    be the ones the preview named (`recusals`, assignment ids), and when a submitted review
    is among them the administrator must have confirmed it (`confirm_recusals`): a
    submitted review never ends without someone deciding so. The audit entry names them.
    """
    found = conflicts.find_new_conflicts(call=call)
    ending = conflicts.assignments_ended_by(call_id=call.id, pairs=found)
    if {e.assignment_id for e in ending} != set(recusals):
        raise Conflict(
            _(
                "The conflicts of interest found changed since the preview; "
                "check the new plan before applying it."
            ),
            code="plan_outdated",
        )
    submitted = [e for e in ending if e.review_submitted]
    if submitted and not confirm_recusals:
        raise DomainError(
            _(
                "Applying this plan ends submitted reviews because of a conflict of "
                "interest: %(names)s. Tick the box to confirm that these reviews end.",
                names=_named(submitted),
            ),
            code="recusal_not_confirmed",
            field="confirm_recusals",
        )
    removal_rows = (
        db.session.scalars(select(Assignment).where(Assignment.id.in_(removals))).all()
        if removals
        else []
    )
    for assignment in removal_rows:
        if assignment.state != AssignmentState.ASSIGNED or assignment.review is not None:
            raise Conflict(
                _("An assignment in the plan has started since the preview; preview again."),
                code="plan_outdated",
            )
        if assignment.proposal.call_id != call.id:
            raise DomainError(_("The plan does not belong to this call."), code="bad_plan")
    if len(removal_rows) != len(set(removals)):
        raise Conflict(
            _("The assignments changed since the preview; preview again."), code="plan_outdated"
        )
    recorded = conflicts.record_conflicts(call=call, found=found)
    for assignment in removal_rows:
        db.session.delete(assignment)
    db.session.flush()
    made = (
        assign_pairs(actor=actor, call=call, pairs=new_pairs, source="automatic")
        if (new_pairs)
        else []
    )
    k = call.reviews_per_proposal or 3
    over = db.session.execute(
        select(Assignment.proposal_id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Proposal.call_id == call.id, Assignment.state.in_(ACTIVE_ASSIGNMENT_STATES))
        .where(Assignment.proposal_id.in_({p for p, _r in new_pairs}))
        .group_by(Assignment.proposal_id)
        .having(func.count() > k)
    ).first()
    if over is not None:
        raise Conflict(
            _("Reviewers were assigned by hand since the preview; preview again."),
            code="plan_outdated",
        )
    record_audit(
        actor,
        "assignments.plan_applied",
        call,
        details={
            "added": len(made),
            "removed": len(removal_rows),
            "conflicts_recorded": recorded,
            "recused": [
                {
                    "assignment_id": e.assignment_id,
                    "reviewer": e.reviewer_name,
                    "city": e.city,
                    "review_submitted": e.review_submitted,
                }
                for e in ending
            ],
        },
    )
    return made
