"""The automatic assignment solver, on its own: properties on random instances, optimality."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.linear_solver import pywraplp

from app.reviews.assignment import (
    LANGUAGE_MISMATCH,
    NEW_PAIR,
    REGION_STEP,
    ProposalNeed,
    ReviewerSlot,
    build_network,
    problem_from,
    solve_assignment,
)

REGIONS = ("Africa", "Asia", "Europe", None)
LANGUAGES = ("en", "fr", "es")


@st.composite
def instances(
    draw,
    *,
    conflicts: bool = True,
    equal_limits: bool = False,
    small: bool = False,
    kept: bool = False,
):
    """Random problems; `kept` adds what a re-run has: kept loads, the regions of the
    reviewers kept on a proposal (so it needs fewer), and unstarted pairs to prefer."""
    proposal_count = draw(st.integers(1, 4 if small else 14))
    reviewer_count = draw(st.integers(1, 4 if small else 9))
    k = draw(st.integers(1, 2 if small else 3))
    common_limit = draw(st.integers(0, 8))
    reviewers = [
        ReviewerSlot(
            id=100 + j,
            capacity=common_limit if equal_limits else draw(st.integers(0, 8)),
            load=draw(st.integers(0, 2)) if kept else 0,
            languages=frozenset(draw(st.sets(st.sampled_from(LANGUAGES), min_size=1))),
            region=draw(st.sampled_from(REGIONS)),
        )
        for j in range(reviewer_count)
    ]
    proposals = []
    for i in range(proposal_count):
        kept_regions = draw(st.lists(st.sampled_from(REGIONS[:-1]), max_size=k - 1)) if kept else []
        proposals.append(
            ProposalNeed(
                id=i,
                need=k - len(kept_regions),
                language=draw(st.sampled_from(LANGUAGES)),
                kept_regions=tuple(kept_regions),
            )
        )
    all_pairs = [(p.id, r.id) for p in proposals for r in reviewers]
    forbidden = (
        draw(st.sets(st.sampled_from(all_pairs), max_size=len(all_pairs) // 3))
        if conflicts
        else set()
    )
    preferred = draw(st.sets(st.sampled_from(all_pairs), max_size=len(all_pairs))) if kept else ()
    problem = problem_from(
        proposals=proposals, reviewers=reviewers, forbidden=forbidden, preferred=preferred
    )
    return problem, k


def network_lp_optimum(network, *, flow: int | None = None) -> float:
    """The network's flow problem as a linear programme, solved by GLOP (a simplex method,
    independent of the min-cost flow algorithm); a network's LP has an integral optimum.

    Without `flow`: the largest flow, costs ignored. With it: the cheapest flow of that value.
    """
    solver = pywraplp.Solver.CreateSolver("GLOP")
    arcs = [solver.NumVar(0, int(capacity), "") for capacity in network.capacities]
    leaving, entering = defaultdict(list), defaultdict(list)
    for arc, (tail, head) in enumerate(zip(network.tails, network.heads, strict=True)):
        leaving[int(tail)].append(arcs[arc])
        entering[int(head)].append(arcs[arc])
    out_of_source = solver.Sum(leaving[network.source])
    for node in range(network.node_count):
        if node not in (network.source, network.sink):
            solver.Add(solver.Sum(leaving[node]) == solver.Sum(entering[node]))
    if flow is None:
        solver.Maximize(out_of_source)
    else:
        solver.Add(out_of_source == flow)
        solver.Minimize(
            solver.Sum(int(cost) * arc for cost, arc in zip(network.costs, arcs, strict=True))
        )
    assert solver.Solve() == pywraplp.Solver.OPTIMAL
    return solver.Objective().Value()


def max_flow_value(problem) -> int:
    """The most reviewer places that can be filled."""
    network = build_network(problem)
    return round(network_lp_optimum(network)) if len(network.tails) else 0


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
    problem, _k = case
    solution = solve_assignment(problem)
    loads = [solution.loads[r.id] for r in problem.reviewers]
    assert max(loads) - min(loads) == brute_force_best_spread(problem, len(solution.pairs))


def every_plan(problem):
    """Every plan of a tiny problem: for each proposal, any set of allowed reviewers up to
    its need, within every reviewer's free places."""
    allowed = [
        [r.id for r in problem.reviewers if (p.id, r.id) not in problem.forbidden]
        for p in problem.proposals
    ]
    capacity = {r.id: r.capacity for r in problem.reviewers}
    options = [
        [c for size in range(min(p.need, len(a)) + 1) for c in itertools.combinations(a, size)]
        for p, a in zip(problem.proposals, allowed, strict=True)
    ]
    for choice in itertools.product(*options):
        plan = [
            (p.id, r) for p, chosen in zip(problem.proposals, choice, strict=True) for r in chosen
        ]
        places = Counter(r for _p, r in plan)
        if all(places[r] <= capacity[r] for r in places):
            yield plan


def brute_force_best_spread(problem, flow) -> int:
    """The smallest max-min load over every plan that fills `flow` places (tiny cases)."""
    kept = {r.id: r.load for r in problem.reviewers}
    spreads = []
    for plan in every_plan(problem):
        if len(plan) == flow:
            loads = kept | {r: kept[r] + n for r, n in Counter(r for _p, r in plan).items()}
            spreads.append(max(loads.values()) - min(loads.values()))
    return min(spreads, default=0)


def objective(problem, plan) -> tuple[int, int, int]:
    """What the module docstring says the plan minimises, worked out from the plan alone, in
    order: places left empty; balance (each reviewer's j-th place costs more the fuller they
    are: their kept load plus j); then language, region spread and stability together."""
    reviewer = {r.id: r for r in problem.reviewers}
    proposal = {p.id: p for p in problem.proposals}
    empty = sum(p.need for p in problem.proposals) - len(plan)
    places = Counter(r for _p, r in plan)
    balance = sum(
        sum(reviewer[r].load + j for j in range(1, count + 1)) for r, count in places.items()
    )
    rest = 0
    for p, r in plan:
        rest += LANGUAGE_MISMATCH * (proposal[p].language not in reviewer[r].languages)
        rest += NEW_PAIR * ((p, r) not in problem.preferred)
    same_region = Counter((p, reviewer[r].region) for p, r in plan if reviewer[r].region)
    for (p, region), count in same_region.items():
        kept = proposal[p].kept_regions.count(region)
        rest += REGION_STEP * sum(kept + j for j in range(count))
    return empty, balance, rest


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(small=True, kept=True))
def test_the_plan_is_the_best_of_every_possible_plan(case):
    """Optimal, checked without the network: no plan of a tiny instance (kept loads, kept
    regions and preferred pairs included) fills more places, or as many with better balance,
    or the same balance with fewer language mismatches, same-region reviewers and moves."""
    problem, _k = case
    solution = solve_assignment(problem)
    best = min(objective(problem, plan) for plan in every_plan(problem))
    assert objective(problem, solution.pairs) == best


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
    assert solution.cost == round(network_lp_optimum(network, flow=len(solution.pairs)))


def test_empty_problem_gives_an_empty_plan():
    solution = solve_assignment(problem_from(proposals=[], reviewers=[]))
    assert solution.pairs == [] and solution.shortfalls == []
