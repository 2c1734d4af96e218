"""The automatic assignment solver: a min-cost max-flow over proposals and reviewers.

Pure: it takes plain data (no ORM objects, no database) and returns pairs, so it can be
tested on random instances and measured on its own.

The network, for each proposal p needing `need` more reviewers:

    source -> p                  capacity need, cost 0
    p -> (p, region g)           `need` parallel unit arcs; the j-th costs REGION_STEP*(kept_g + j)
    (p, g) -> reviewer r         capacity 1 when r is eligible (no conflict, not already on p);
                                 costs LANGUAGE_MISMATCH when r does not read p's language,
                                 and NEW_PAIR unless the pair already exists (re-runs keep plans)
    p -> reviewer r              the same, for reviewers without a region (no spread to count)
    r -> sink                    one unit arc per free place; the j-th place (counting the
                                 reviewer's kept load) costs BALANCE*j

Per-unit costs rise along each reviewer's capacity arcs (a convex, separable cost), so the
minimum spreads loads as evenly as the limits and conflicts allow; BALANCE exceeds every
possible sum of the other costs, so balance comes first, then language, then region spread,
then stability. The solver maximises the flow first (every proposal gets k when that is
feasible) and returns a minimum-cost flow among the maximum ones, which is optimal.

The solver is OR-Tools' min-cost flow (`SimpleMinCostFlow`, cost scaling), not a general
LP: on a call of 2,000 proposals x 3 and 200 reviewers (433,000 arcs) it takes 1-3 s, where
HiGHS took 17-35 s for the same network as a linear programme (docs/PERFORMANCE.md, "One
optimisation stack"). This module imports numpy: it is imported only where a plan is made.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

LANGUAGE_MISMATCH = 10
REGION_STEP = 4
NEW_PAIR = 1


@dataclass(frozen=True)
class ReviewerSlot:
    id: int
    capacity: int  # free places: the reviewer's limit minus the assignments kept
    load: int = 0  # assignments kept (they count for balance)
    languages: frozenset[str] = frozenset()
    region: str | None = None


@dataclass(frozen=True)
class ProposalNeed:
    id: int
    need: int  # reviewers still wanted: k minus the assignments kept
    language: str = "en"
    kept_regions: tuple[str, ...] = ()  # regions of the reviewers kept on it


@dataclass(frozen=True)
class AssignmentProblem:
    proposals: tuple[ProposalNeed, ...]
    reviewers: tuple[ReviewerSlot, ...]
    # (proposal id, reviewer id) pairs that may not be made: conflicts, existing rows.
    forbidden: frozenset[tuple[int, int]] = frozenset()
    # Existing assignments not yet started that a re-run may keep or move.
    preferred: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True)
class Shortfall:
    proposal_id: int
    missing: int
    eligible_reviewers: int  # reviewers without a conflict and not already on it
    eligible_with_room: int  # ... who also have a free place
    reason: str  # "no_eligible_reviewers" | "too_few_eligible" | "reviewers_full"


@dataclass
class AssignmentSolution:
    pairs: list[tuple[int, int]]
    shortfalls: list[Shortfall]
    loads: dict[int, int]  # reviewer id -> load after the plan (kept + new)
    cost: int
    language_mismatches: int
    seconds: float
    status: str = "optimal"
    stats: dict[str, int] = field(default_factory=dict)


@dataclass
class Network:
    """The arcs of the flow network, as arrays (also used by tests to cross-check with an LP)."""

    source: int
    sink: int
    node_count: int
    tails: np.ndarray
    heads: np.ndarray
    capacities: np.ndarray
    costs: np.ndarray
    supply: int
    # For each pair arc (the ones that choose a reviewer), its index and pair.
    pair_arc_start: int
    pair_proposals: np.ndarray
    pair_reviewers: np.ndarray
    pair_language_mismatch: np.ndarray


def _normalise_language(code: str | None) -> str:
    return (code or "").strip().lower()


def build_network(problem: AssignmentProblem) -> Network:
    proposals = [p for p in problem.proposals if p.need > 0]
    reviewers = list(problem.reviewers)
    proposal_count, reviewer_count = len(proposals), len(reviewers)

    regions = sorted({r.region for r in reviewers if r.region})
    region_index = {region: i for i, region in enumerate(regions)}
    region_count = len(regions)
    reviewer_region = np.array(
        [region_index.get(r.region, -1) if r.region else -1 for r in reviewers], dtype=np.int64
    )

    # Node numbering: source, proposals, (proposal, region) nodes, reviewers, sink.
    source = 0
    proposal_node0 = 1
    group_node0 = proposal_node0 + proposal_count
    reviewer_node0 = group_node0 + proposal_count * region_count
    sink = reviewer_node0 + reviewer_count
    node_count = sink + 1

    # Eligibility matrix: True where the pair may be made.
    reviewer_position = {r.id: i for i, r in enumerate(reviewers)}
    proposal_position = {p.id: i for i, p in enumerate(proposals)}
    eligible = np.ones((proposal_count, reviewer_count), dtype=bool)
    for proposal_id, reviewer_id in problem.forbidden:
        i, j = proposal_position.get(proposal_id), reviewer_position.get(reviewer_id)
        if i is not None and j is not None:
            eligible[i, j] = False
    capacities = np.array([max(r.capacity, 0) for r in reviewers], dtype=np.int64)
    eligible &= capacities[np.newaxis, :] > 0

    pairs_i, pairs_j = np.nonzero(eligible)
    language_of = [_normalise_language(p.language) for p in proposals]
    reads = [frozenset(_normalise_language(x) for x in r.languages) for r in reviewers]
    mismatch = np.fromiter(
        (language_of[i] not in reads[j] for i, j in zip(pairs_i, pairs_j, strict=True)),
        dtype=bool,
        count=len(pairs_i),
    )
    preferred = problem.preferred
    new_pair = np.fromiter(
        (
            (proposals[i].id, reviewers[j].id) not in preferred
            for i, j in zip(pairs_i, pairs_j, strict=True)
        ),
        dtype=bool,
        count=len(pairs_i),
    )

    # The largest sum of the non-balance costs any plan can have, so BALANCE dominates it.
    needs = np.array([p.need for p in proposals], dtype=np.int64)
    max_kept_same_region = max((len(p.kept_regions) for p in proposals), default=0)
    per_unit_ceiling = (
        LANGUAGE_MISMATCH
        + NEW_PAIR
        + REGION_STEP * (max_kept_same_region + int(needs.max(initial=0)))
    )
    balance = int(needs.sum()) * per_unit_ceiling + 1

    tails: list[np.ndarray] = []
    heads: list[np.ndarray] = []
    caps: list[np.ndarray] = []
    costs: list[np.ndarray] = []

    def add(t, h, c, w) -> None:
        tails.append(np.asarray(t, dtype=np.int64))
        heads.append(np.asarray(h, dtype=np.int64))
        caps.append(np.asarray(c, dtype=np.int64))
        costs.append(np.asarray(w, dtype=np.int64))

    # source -> proposal
    add(
        np.full(proposal_count, source),
        proposal_node0 + np.arange(proposal_count),
        needs,
        np.zeros(proposal_count),
    )
    # proposal -> (proposal, region): the j-th reviewer from a region costs more.
    if region_count:
        kept = np.zeros((proposal_count, region_count), dtype=np.int64)
        for i, p in enumerate(proposals):
            for region in p.kept_regions:
                if region in region_index:
                    kept[i, region_index[region]] += 1
        has_group = np.zeros((proposal_count, region_count), dtype=bool)
        grouped = reviewer_region[pairs_j] >= 0
        has_group[pairs_i[grouped], reviewer_region[pairs_j[grouped]]] = True
        gi, gg = np.nonzero(has_group)
        for unit in range(int(needs.max(initial=0))):
            wanted = needs[gi] > unit
            add(
                proposal_node0 + gi[wanted],
                group_node0 + gi[wanted] * region_count + gg[wanted],
                np.ones(int(wanted.sum())),
                REGION_STEP * (kept[gi[wanted], gg[wanted]] + unit),
            )
    # The pair arcs.
    pair_arc_start = sum(len(t) for t in tails)
    pair_region = reviewer_region[pairs_j]
    pair_tail = np.where(
        pair_region >= 0,
        group_node0 + pairs_i * max(region_count, 1) + np.maximum(pair_region, 0),
        proposal_node0 + pairs_i,
    )
    add(
        pair_tail,
        reviewer_node0 + pairs_j,
        np.ones(len(pairs_i)),
        LANGUAGE_MISMATCH * mismatch + NEW_PAIR * new_pair,
    )
    # reviewer -> sink: one unit arc per free place, each dearer than the one before.
    loads = np.array([max(r.load, 0) for r in reviewers], dtype=np.int64)
    place_reviewer = np.repeat(np.arange(reviewer_count), capacities)
    place_rank = (
        np.arange(len(place_reviewer)) - np.repeat(np.cumsum(capacities) - capacities, capacities)
        if len(place_reviewer)
        else np.zeros(0, dtype=np.int64)
    )
    add(
        reviewer_node0 + place_reviewer,
        np.full(len(place_reviewer), sink),
        np.ones(len(place_reviewer)),
        balance * (loads[place_reviewer] + place_rank + 1),
    )

    return Network(
        source=source,
        sink=sink,
        node_count=node_count,
        tails=np.concatenate(tails),
        heads=np.concatenate(heads),
        capacities=np.concatenate(caps),
        costs=np.concatenate(costs),
        supply=int(needs.sum()),
        pair_arc_start=pair_arc_start,
        pair_proposals=np.array([proposals[i].id for i in pairs_i], dtype=np.int64),
        pair_reviewers=np.array([reviewers[j].id for j in pairs_j], dtype=np.int64),
        pair_language_mismatch=mismatch,
    )


def solve_assignment(problem: AssignmentProblem) -> AssignmentSolution:
    """The optimal plan for the problem (see the module docstring for the objective)."""
    from ortools.graph.python import min_cost_flow  # imported here: only planning needs it

    started = time.perf_counter()
    network = build_network(problem)
    solver = min_cost_flow.SimpleMinCostFlow()
    if len(network.tails):
        solver.add_arcs_with_capacity_and_unit_cost(
            network.tails, network.heads, network.capacities, network.costs
        )
    # Offer every wanted place at the source; the solver sends as much as fits, cheapest first.
    solver.set_node_supply(network.source, network.supply)
    solver.set_node_supply(network.sink, -network.supply)
    status = solver.solve_max_flow_with_min_cost() if len(network.tails) else solver.OPTIMAL
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow solver ended with status {status}")

    pair_count = len(network.pair_proposals)
    if pair_count:
        flows = solver.flows(np.arange(network.pair_arc_start, network.pair_arc_start + pair_count))
        chosen = np.nonzero(flows > 0)[0]
    else:
        chosen = np.zeros(0, dtype=np.int64)
    pairs = sorted(
        zip(
            network.pair_proposals[chosen].tolist(),
            network.pair_reviewers[chosen].tolist(),
            strict=True,
        )
    )
    loads = {r.id: max(r.load, 0) for r in problem.reviewers}
    for _proposal_id, reviewer_id in pairs:
        loads[reviewer_id] += 1
    got: dict[int, int] = {}
    for proposal_id, _reviewer_id in pairs:
        got[proposal_id] = got.get(proposal_id, 0) + 1
    shortfalls = explain_shortfalls(problem, got, loads)
    return AssignmentSolution(
        pairs=pairs,
        shortfalls=shortfalls,
        loads=loads,
        cost=int(solver.optimal_cost()) if len(network.tails) else 0,
        language_mismatches=int(network.pair_language_mismatch[chosen].sum()),
        seconds=time.perf_counter() - started,
        stats={
            "arcs": len(network.tails),
            "nodes": network.node_count,
            "eligible_pairs": pair_count,
        },
    )


def explain_shortfalls(
    problem: AssignmentProblem, got: dict[int, int], loads: dict[int, int]
) -> list[Shortfall]:
    """For each proposal left short, how many reviewers could take it and why it fell short."""
    forbidden_by_proposal: dict[int, set[int]] = {}
    for proposal_id, reviewer_id in problem.forbidden:
        forbidden_by_proposal.setdefault(proposal_id, set()).add(reviewer_id)
    shortfalls = []
    for proposal in problem.proposals:
        missing = proposal.need - got.get(proposal.id, 0)
        if missing <= 0:
            continue
        excluded = forbidden_by_proposal.get(proposal.id, set())
        eligible = [r for r in problem.reviewers if r.id not in excluded]
        with_room = [r for r in eligible if r.capacity > 0]
        if not eligible:
            reason = "no_eligible_reviewers"
        elif len(with_room) < proposal.need:
            reason = "too_few_eligible"
        else:
            reason = "reviewers_full"
        shortfalls.append(
            Shortfall(
                proposal_id=proposal.id,
                missing=missing,
                eligible_reviewers=len(eligible),
                eligible_with_room=len(with_room),
                reason=reason,
            )
        )
    return shortfalls


def problem_from(
    *,
    proposals: Iterable[ProposalNeed],
    reviewers: Iterable[ReviewerSlot],
    forbidden: Iterable[tuple[int, int]] = (),
    preferred: Iterable[tuple[int, int]] = (),
) -> AssignmentProblem:
    return AssignmentProblem(
        proposals=tuple(proposals),
        reviewers=tuple(reviewers),
        forbidden=frozenset(forbidden),
        preferred=frozenset(preferred),
    )
