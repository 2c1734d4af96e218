"""The shortlist solver: exact under the rules, checked against brute force on small cases."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.shortlists.scoring import SCORE_DIGITS
from app.shortlists.solver import (
    Candidate,
    Constraints,
    Reason,
    check_selection,
    describe,
    is_eligible,
    solve,
)


def ranked(*rows) -> list[Candidate]:
    """(score, group, country) in rank order -> candidates with ids 1.."""
    return [
        Candidate(proposal_id=i, rank=i, score=score, group=group, country=country, city=f"c{i}")
        for i, (score, group, country) in enumerate(rows, start=1)
    ]


def brute_force(candidates, constraints):
    """Every subset of the right size that meets the rules, best by the documented ties."""
    eligible = [c for c in candidates if is_eligible(c, constraints)]
    best = None
    for combo in itertools.combinations(eligible, constraints.size):
        chosen = frozenset(c.proposal_id for c in combo)
        if check_selection(candidates, constraints, chosen):
            continue
        key = (
            -sum(round(c.score * 10**SCORE_DIGITS) for c in combo),
            sum(c.rank for c in combo),
            sorted(c.rank for c in combo),
        )
        if best is None or key < best[0]:
            best = (key, chosen)
    return None if best is None else best[1]


def test_takes_the_best_scores_when_nothing_binds():
    candidates = ranked((90, "Europe", "PT"), (80, "Asia", "JP"), (70, "Africa", "KE"))
    solution = solve(candidates, Constraints(size=2, max_per_country=None))
    assert solution.selected == {1, 2}
    assert solution.reasons[1].code == "top" and solution.reasons[3].code == "below_cut"


def test_at_most_one_per_country_and_a_place_for_each_continent():
    candidates = ranked(
        (95, "Europe", "PT"),
        (94, "Europe", "PT"),
        (93, "Europe", "IT"),
        (60, "Africa", "KE"),
    )
    solution = solve(candidates, Constraints(size=3, min_per_group=1, max_per_country=1))
    assert solution.selected == {1, 3, 4}
    assert solution.reasons[2] == Reason("country_taken", {"country": "PT", "cities": "c1"})
    assert solution.reasons[4].code == "needed_for_group"


def test_group_full_and_binding_balance_are_explained():
    candidates = ranked(
        (95, "Europe", "PT"),
        (94, "Europe", "IT"),
        (93, "Europe", "FR"),
        (50, "Asia", "JP"),
    )
    solution = solve(
        candidates, Constraints(size=3, max_per_group=2, min_per_group=0, max_per_country=1)
    )
    assert solution.selected == {1, 2, 4}
    assert solution.reasons[3].code == "group_full"
    assert "Europe" in describe(solution.reasons[3])


def test_below_minimum_and_unscored_proposals_stay_out():
    candidates = ranked((90, "Europe", "PT"), (40, "Asia", "JP"), (None, "Africa", "KE"))
    solution = solve(candidates, Constraints(size=1, min_score=50))
    assert solution.selected == {1}
    assert solution.reasons[2] == Reason("below_minimum", {"min_score": 50})
    assert solution.reasons[3].code == "no_score"


@pytest.mark.parametrize(
    ("constraints", "code"),
    [
        (Constraints(size=3, min_score=70), "too_few_eligible"),
        (Constraints(size=2, max_per_country=1, min_per_group=0), "too_few_countries"),
        (Constraints(size=2, min_per_group=1, min_score=80, max_per_country=None), "group_short"),
        (Constraints(size=2, max_per_group=0, max_per_country=None), "group_maximum_too_low"),
        (Constraints(size=2, min_groups=3, max_per_country=None), "min_groups_exceed_size"),
        (Constraints(size=0), "size_not_positive"),
    ],
)
def test_impossible_rules_are_named(constraints, code):
    candidates = ranked((90, "Europe", "PT"), (85, "Europe", "PT"), (60, "Asia", "PT"))
    solution = solve(candidates, constraints)
    assert not solution.feasible and solution.selected == frozenset()
    assert code in [problem.code for problem in solution.problems]
    assert all(describe(problem) for problem in solution.problems)
    assert {reason.code for reason in solution.reasons.values()} <= {
        "not_compiled",
        "below_minimum",
        "no_score",
    }


def test_a_conflict_of_rules_says_which_rule_to_relax():
    # Each rule can be met alone: one per continent needs both Portuguese cities, and one
    # per country forbids that.
    candidates = ranked((90, "Europe", "PT"), (70, None, "ES"), (60, "Asia", "PT"))
    solution = solve(candidates, Constraints(size=2, min_per_group=1, max_per_country=1))
    assert not solution.feasible
    assert solution.problems == [
        Reason("constraints_conflict", {"relax": ["max_per_country", "min_per_group"]})
    ]
    assert "at most per country" in describe(solution.problems[0])


def test_equal_totals_and_rank_sums_fall_to_the_best_ranked_set():
    # Allowed pairs: {1, 4} and {2, 3} (both total 140, rank sum 5) and {3, 4} (130);
    # 1 shares a country with 2 and a continent with 3.
    candidates = ranked(
        (80, "Europe", "PT"), (70, "Asia", "PT"), (70, "Europe", "IT"), (60, "Asia", "JP")
    )
    constraints = Constraints(size=2, min_per_group=0, max_per_group=1, max_per_country=1)
    solution = solve(candidates, constraints)
    assert solution.selected == {1, 4}
    assert solution.solves > 3  # the tie was seen and settled by the third rule
    assert brute_force(candidates, constraints) == {1, 4}


def test_equal_totals_prefer_the_smaller_rank_sum():
    candidates = ranked((80, "Europe", "PT"), (70, "Asia", "JP"), (70, "Asia", "KR"))
    solution = solve(candidates, Constraints(size=2, max_per_country=1))
    assert solution.selected == {1, 2}


def test_the_answer_does_not_depend_on_the_order_candidates_are_given_in():
    candidates = ranked(
        *[(70 + (i % 3), ["Europe", "Asia", "Africa"][i % 3], f"C{i}") for i in range(12)]
    )
    constraints = Constraints(size=4, min_per_group=1, max_per_group=2)
    forward = solve(candidates, constraints).selected
    assert solve(list(reversed(candidates)), constraints).selected == forward


groups = st.sampled_from(["Europe", "Asia", "Africa", None])
countries = st.sampled_from(["PT", "IT", "JP", "KE", None])
scores = st.one_of(st.none(), st.sampled_from([50, 55, 60, 60, 65, 70, 70, 80, 62.5]))


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(scores, groups, countries), min_size=1, max_size=9),
    size=st.integers(1, 4),
    min_score=st.sampled_from([None, 55, 60]),
    min_per_group=st.sampled_from([0, 0, 1]),
    max_per_group=st.sampled_from([None, 1, 2]),
    max_per_country=st.sampled_from([None, 1]),
    min_groups=st.sampled_from([0, 0, 2]),
)
def test_solver_matches_brute_force_on_small_random_calls(
    rows, size, min_score, min_per_group, max_per_group, max_per_country, min_groups
):
    rows = sorted(rows, key=lambda row: (row[0] is None, -(row[0] or 0)))
    candidates = ranked(*rows)
    constraints = Constraints(
        size=size,
        min_score=min_score,
        min_per_group=min_per_group,
        max_per_group=max_per_group,
        max_per_country=max_per_country,
        min_groups=min_groups,
    )
    solution = solve(candidates, constraints)
    expected = brute_force(candidates, constraints)
    if expected is None:
        assert not solution.feasible and solution.problems
    else:
        assert solution.feasible, solution.problems
        assert solution.selected == expected
        assert check_selection(candidates, constraints, solution.selected) == []
    assert set(solution.reasons) == {c.proposal_id for c in candidates}
    in_codes = {"top", "needed_for_group", "needed_for_spread", "chosen_under_constraints"}
    for candidate in candidates:
        reason = solution.reasons[candidate.proposal_id]
        assert (reason.code in in_codes) == (candidate.proposal_id in solution.selected)


@settings(max_examples=150, deadline=None)
@given(
    places=st.lists(
        st.tuples(
            st.sampled_from(["Europe", "Asia", "Africa"]), st.sampled_from(["PT", "JP", "KE"])
        ),
        min_size=2,
        max_size=8,
    ),
    size=st.integers(2, 3),
)
def test_tied_totals_are_settled_as_brute_force_settles_them(places, size):
    """Every proposal has the same score, so every set has the same total, and at most one
    per continent and per country leaves several sets with the same rank sum too: the second
    and third tie rules decide, and must pick the set brute force picks."""
    candidates = ranked(*[(70, group, country) for group, country in places])
    constraints = Constraints(size=size, max_per_group=1, max_per_country=1)
    solution = solve(candidates, constraints)
    expected = brute_force(candidates, constraints)
    assert solution.selected == (expected or frozenset())
    assert solution.feasible == (expected is not None)


def test_two_thousand_proposals_compile_well_within_the_budget():
    continents = ["Africa", "Asia", "Europe", "North America", "South America", "Oceania"]
    candidates = [
        Candidate(
            proposal_id=i,
            rank=i,
            score=round(95 - i * 0.02, 2) if i % 7 else round(95 - (i - 1) * 0.02, 2),
            group=continents[(i * 7) % 6],
            country=f"K{(i * 13) % 150}",
        )
        for i in range(1, 2001)
    ]
    constraints = Constraints(
        size=10, min_score=50, min_per_group=1, max_per_group=3, max_per_country=1, min_groups=5
    )
    solution = solve(candidates, constraints)
    assert solution.feasible
    assert check_selection(candidates, constraints, solution.selected) == []
    assert Counter(c.group for c in candidates if c.proposal_id in solution.selected).keys() == set(
        continents
    )
    # How long it takes is the benchmark's budget (shortlist compilation), not a test's.


def test_a_continent_whose_proposals_have_no_review_yet_does_not_make_the_rules_fail():
    # Porto is reviewed; Kyoto, the only proposal from Asia, has no review yet.
    candidates = ranked((0.8, "Europe", "PT"), (None, "Asia", "JP"))

    solution = solve(candidates, Constraints(size=1, min_per_group=1, max_per_country=1))

    assert solution.feasible
    assert solution.selected == {1}
