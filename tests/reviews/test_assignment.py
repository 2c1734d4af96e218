"""The automatic assignment solver, on its own: properties on random instances, optimality."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from app.reviews.assignment import (
    ProposalNeed,
    ReviewerSlot,
    build_network,
    problem_from,
    solve_assignment,
)

REGIONS = ("Africa", "Asia", "Europe", None)
LANGUAGES = ("en", "fr", "es")


@st.composite
def instances(draw, *, conflicts: bool = True, equal_limits: bool = False, small: bool = False):
    proposal_count = draw(st.integers(1, 4 if small else 14))
    reviewer_count = draw(st.integers(1, 4 if small else 9))
    k = draw(st.integers(1, 2 if small else 3))
    common_limit = draw(st.integers(0, 8))
    reviewers = [
        ReviewerSlot(
            id=100 + j,
            capacity=common_limit if equal_limits else draw(st.integers(0, 8)),
            languages=frozenset(draw(st.sets(st.sampled_from(LANGUAGES), min_size=1))),
            region=draw(st.sampled_from(REGIONS)),
        )
        for j in range(reviewer_count)
    ]
    proposals = [
        ProposalNeed(id=i, need=k, language=draw(st.sampled_from(LANGUAGES)))
        for i in range(proposal_count)
    ]
    all_pairs = [(p.id, r.id) for p in proposals for r in reviewers]
    forbidden = (
        draw(st.sets(st.sampled_from(all_pairs), max_size=len(all_pairs) // 3))
        if conflicts
        else set()
    )
    return problem_from(proposals=proposals, reviewers=reviewers, forbidden=forbidden), k


def max_flow_value(problem) -> int:
    """The most reviewer places that can be filled, by an LP (max flow is integral)."""
    network = build_network(problem)
    if not len(network.tails):
        return 0
    # Maximise the flow out of the source with every cost set to zero.
    out_of_source = (network.tails == network.source).astype(float)
    equalities = []
    for node in range(network.node_count):
        if node in (network.source, network.sink):
            continue
        row = (network.tails == node).astype(float) - (network.heads == node).astype(float)
        if row.any():
            equalities.append(row)
    result = linprog(
        -out_of_source,
        A_eq=np.array(equalities) if equalities else None,
        b_eq=np.zeros(len(equalities)) if equalities else None,
        bounds=list(zip(np.zeros(len(network.tails)), network.capacities, strict=True)),
        method="highs",
    )
    return round(-result.fun)


def check_plan(problem, solution, k) -> None:
    capacity = {r.id: r.capacity for r in problem.reviewers}
    per_proposal: dict[int, int] = {}
    per_reviewer: dict[int, int] = {}
    assert len(set(solution.pairs)) == len(solution.pairs), "a pair twice"
    for proposal_id, reviewer_id in solution.pairs:
        assert (proposal_id, reviewer_id) not in problem.forbidden, "conflicted pair assigned"
        per_proposal[proposal_id] = per_proposal.get(proposal_id, 0) + 1
        per_reviewer[reviewer_id] = per_reviewer.get(reviewer_id, 0) + 1
    for reviewer_id, load in per_reviewer.items():
        assert load <= capacity[reviewer_id], "reviewer over their limit"
    for proposal in problem.proposals:
        assert per_proposal.get(proposal.id, 0) <= k


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_plan_never_conflicts_never_exceeds_limits_and_fills_as_much_as_possible(case):
    problem, k = case
    solution = solve_assignment(problem)
    check_plan(problem, solution, k)
    # The flow is maximum: as many places filled as any plan could fill.
    assert len(solution.pairs) == max_flow_value(problem)
    short = {s.proposal_id: s.missing for s in solution.shortfalls}
    for proposal in problem.proposals:
        got = sum(1 for p, _r in solution.pairs if p == proposal.id)
        assert short.get(proposal.id, 0) == proposal.need - got


@settings(max_examples=60, deadline=None)
@given(instances(conflicts=False, equal_limits=True))
def test_every_proposal_gets_k_when_feasible_and_loads_are_within_one(case):
    problem, k = case
    solution = solve_assignment(problem)
    check_plan(problem, solution, k)
    reviewers = [r for r in problem.reviewers if r.capacity > 0]
    total_need = k * len(problem.proposals)
    feasible = len(reviewers) >= k and sum(r.capacity for r in reviewers) >= total_need
    if feasible:
        assert not solution.shortfalls
        assert len(solution.pairs) == total_need
    # Without conflicts and with one limit for all, the loads can always be within one.
    loads = [solution.loads[r.id] for r in reviewers]
    if loads:
        assert max(loads) - min(loads) <= 1


@settings(max_examples=30, deadline=None)
@given(instances(conflicts=True, small=True))
def test_loads_are_as_even_as_any_maximum_plan_allows(case):
    """Balance comes first: with conflicts and unequal limits, no plan filling as many
    places has loads closer together (brute force over every plan of tiny instances)."""
    problem, k = case
    solution = solve_assignment(problem)
    loads = [solution.loads[r.id] for r in problem.reviewers]
    assert max(loads) - min(loads) == brute_force_best_spread(problem, k, len(solution.pairs))


def brute_force_best_spread(problem, k, flow) -> int:
    """The smallest max-min load over every plan that fills `flow` places (tiny cases)."""
    allowed = [
        [r.id for r in problem.reviewers if (p.id, r.id) not in problem.forbidden]
        for p in problem.proposals
    ]
    capacity = {r.id: r.capacity for r in problem.reviewers}
    best = None
    options = [
        [c for size in range(min(k, len(a)) + 1) for c in itertools.combinations(a, size)]
        for a in allowed
    ]
    for choice in itertools.product(*options):
        if sum(len(c) for c in choice) != flow:
            continue
        loads = dict.fromkeys(capacity, 0)
        for chosen in choice:
            for reviewer_id in chosen:
                loads[reviewer_id] += 1
        if any(loads[r] > capacity[r] for r in loads):
            continue
        spread = max(loads.values()) - min(loads.values())
        best = spread if best is None else min(best, spread)
    return best if best is not None else 0


def test_language_readers_are_preferred_when_balance_allows():
    reviewers = [
        ReviewerSlot(id=1, capacity=1, languages=frozenset({"en"})),
        ReviewerSlot(id=2, capacity=1, languages=frozenset({"fr"})),
    ]
    proposals = [ProposalNeed(id=10, need=1, language="fr"), ProposalNeed(id=11, need=1)]
    solution = solve_assignment(problem_from(proposals=proposals, reviewers=reviewers))
    assert solution.pairs == [(10, 2), (11, 1)]
    assert solution.language_mismatches == 0


def test_each_proposal_reviewers_come_from_different_regions_where_possible():
    reviewers = [
        ReviewerSlot(id=j, capacity=2, region=region)
        for j, region in enumerate(["Europe", "Europe", "Asia", "Africa"], start=1)
    ]
    proposals = [ProposalNeed(id=10, need=2), ProposalNeed(id=11, need=2)]
    solution = solve_assignment(problem_from(proposals=proposals, reviewers=reviewers))
    region = {r.id: r.region for r in reviewers}
    for proposal in proposals:
        regions = [region[r] for p, r in solution.pairs if p == proposal.id]
        assert len(regions) == len(set(regions)) == 2


def test_kept_load_counts_for_balance_and_limit():
    reviewers = [
        ReviewerSlot(id=1, capacity=3, load=2),  # limit 5, two kept
        ReviewerSlot(id=2, capacity=5, load=0),
    ]
    proposals = [ProposalNeed(id=i, need=1) for i in range(4)]
    solution = solve_assignment(problem_from(proposals=proposals, reviewers=reviewers))
    assert solution.loads == {1: 3, 2: 3}


def test_existing_unstarted_pairs_are_kept_when_nothing_better_exists():
    reviewers = [ReviewerSlot(id=1, capacity=1), ReviewerSlot(id=2, capacity=1)]
    proposals = [ProposalNeed(id=10, need=1), ProposalNeed(id=11, need=1)]
    preferred = {(10, 2), (11, 1)}
    solution = solve_assignment(
        problem_from(proposals=proposals, reviewers=reviewers, preferred=preferred)
    )
    assert set(solution.pairs) == preferred


@pytest.mark.parametrize(
    ("capacities", "forbidden", "reason"),
    [
        ([3, 3], {(10, 1), (10, 2)}, "no_eligible_reviewers"),
        ([3, 3], {(10, 1)}, "too_few_eligible"),
        ([0, 3], set(), "too_few_eligible"),
    ],
)
def test_shortfalls_say_which_proposal_and_why(capacities, forbidden, reason):
    reviewers = [ReviewerSlot(id=j, capacity=c) for j, c in enumerate(capacities, start=1)]
    proposals = [ProposalNeed(id=10, need=2)]
    solution = solve_assignment(
        problem_from(proposals=proposals, reviewers=reviewers, forbidden=forbidden)
    )
    assert [(s.proposal_id, s.reason) for s in solution.shortfalls] == [(10, reason)]


def test_shortfall_when_reviewers_are_full():
    reviewers = [ReviewerSlot(id=1, capacity=1), ReviewerSlot(id=2, capacity=1)]
    proposals = [ProposalNeed(id=10, need=2), ProposalNeed(id=11, need=2)]
    solution = solve_assignment(problem_from(proposals=proposals, reviewers=reviewers))
    assert len(solution.pairs) == 2
    assert sum(s.missing for s in solution.shortfalls) == 2
    assert {s.reason for s in solution.shortfalls} == {"reviewers_full"}


def test_min_cost_flow_cost_equals_the_linear_programme_optimum():
    """Optimal for its objective: the LP relaxation (integral for flows) finds no cheaper plan."""
    rng = np.random.default_rng(3)
    reviewers = [
        ReviewerSlot(
            id=j,
            capacity=int(rng.integers(1, 6)),
            languages=frozenset(rng.choice(LANGUAGES, size=int(rng.integers(1, 3)), replace=False)),
            region=REGIONS[int(rng.integers(0, 4))],
        )
        for j in range(8)
    ]
    proposals = [
        ProposalNeed(id=100 + i, need=2, language=LANGUAGES[int(rng.integers(0, 3))])
        for i in range(10)
    ]
    problem = problem_from(proposals=proposals, reviewers=reviewers, forbidden={(100, 0), (101, 1)})
    solution = solve_assignment(problem)
    network = build_network(problem)
    flow = len(solution.pairs)
    equalities, rhs = [], []
    for node in range(network.node_count):
        row = (network.tails == node).astype(float) - (network.heads == node).astype(float)
        if not row.any():
            continue
        equalities.append(row)
        rhs.append(flow if node == network.source else -flow if node == network.sink else 0)
    result = linprog(
        network.costs.astype(float),
        A_eq=np.array(equalities),
        b_eq=np.array(rhs, dtype=float),
        bounds=list(zip(np.zeros(len(network.tails)), network.capacities, strict=True)),
        method="highs",
    )
    assert result.status == 0
    assert solution.cost == round(result.fun)


def test_empty_problem_gives_an_empty_plan():
    solution = solve_assignment(problem_from(proposals=[], reviewers=[]))
    assert solution.pairs == [] and solution.shortfalls == []
