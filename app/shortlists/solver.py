"""Choosing the shortlist: the set of proposals with the highest total score under balance rules.

The choice is exact: an integer programme solved to proven optimality by OR-Tools' CP-SAT,
which works in whole numbers: scores are compared at SCORE_DIGITS decimals (as integers, so
sums are exact). Constraints: exactly `size` proposals, each at or above `min_score`; at least
`min_per_group` from every group (continent or region) that has any proposal; at most
`max_per_group` per group; at most `max_per_country` per country; at least `min_groups`
different groups. A proposal without a group or country is not counted in those rules.

Ties (documented, deterministic):
1. the highest total score;
2. among sets with that total, the smallest sum of ranks (the ranking's own order:
   score, earlier submission, lower id);
3. if several sets still tie, the lexicographically best by rank: the set holding the
   best-ranked proposal that any of them holds, then the next, and so on.

When the rules cannot all be met the answer names the rule (too few proposals above the
minimum, a continent with none, a maximum too low, ...); when only their combination fails,
it says which rule, relaxed alone, would make a shortlist possible.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from app.shortlists.scoring import SCORE_DIGITS, rounded

GROUP_BY_CHOICES = ("continent", "region")
_SCALE = 10**SCORE_DIGITS


@dataclass(frozen=True)
class Candidate:
    proposal_id: int
    rank: int
    score: float | None
    group: str | None = None
    country: str | None = None
    city: str = ""


@dataclass(frozen=True)
class Constraints:
    size: int
    min_score: float | None = None
    min_per_group: int = 0
    max_per_group: int | None = None
    max_per_country: int | None = 1
    min_groups: int = 0


@dataclass(frozen=True)
class Reason:
    """Why a proposal is in or out, or why no shortlist exists: a stable code and its facts."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"code": self.code, "params": self.params}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> Reason | None:
        if not text:
            return None
        try:
            data = json.loads(text)
            return cls(code=str(data["code"]), params=dict(data.get("params") or {}))
        except (ValueError, KeyError, TypeError):
            return cls(code="note", params={"text": text})


@dataclass
class Solution:
    feasible: bool
    selected: frozenset[int] = frozenset()
    reasons: dict[int, Reason] = field(default_factory=dict)
    problems: list[Reason] = field(default_factory=list)
    total: float = 0.0
    solves: int = 0
    seconds: float = 0.0


def is_eligible(candidate: Candidate, constraints: Constraints) -> bool:
    score = rounded(candidate.score)
    if score is None:
        return False
    return constraints.min_score is None or score >= constraints.min_score


def solve(candidates: Sequence[Candidate], constraints: Constraints) -> Solution:
    started = time.perf_counter()
    problems = diagnose(candidates, constraints)
    if problems:
        solution = Solution(feasible=False, problems=problems)
    else:
        model = _Model(candidates, constraints)
        chosen = model.best()
        if chosen is None:
            solution = Solution(feasible=False, problems=[_conflict(candidates, constraints)])
        else:
            selected = frozenset(model.eligible[i].proposal_id for i in chosen)
            solution = Solution(
                feasible=True,
                selected=selected,
                total=sum(model.eligible[i].score or 0.0 for i in chosen),
            )
        solution.solves = model.solves
    solution.reasons = explain(candidates, constraints, solution.selected, solution.feasible)
    solution.seconds = time.perf_counter() - started
    return solution


def _required_groups(candidates: Sequence[Candidate]) -> list[str]:
    """The groups the minimum per group applies to: those with a reviewed proposal. A
    continent whose only proposal has no review yet cannot be represented, whatever the
    rules say, so it does not make every shortlist fail."""
    return sorted({c.group for c in candidates if c.group and c.score is not None})


def _capacity(candidates: Sequence[Candidate], per_country: int | None) -> int:
    """How many of these can be chosen together under the country rule alone."""
    if per_country is None:
        return len(candidates)
    by_country = Counter(c.country for c in candidates if c.country)
    without_country = sum(1 for c in candidates if not c.country)
    return without_country + sum(min(per_country, n) for n in by_country.values())


def diagnose(candidates: Sequence[Candidate], constraints: Constraints) -> list[Reason]:
    """Rules that cannot be met on their own: checked before solving, named for the user."""
    size = constraints.size
    if size < 1:
        return [Reason("size_not_positive", {"size": size})]
    eligible = [c for c in candidates if is_eligible(c, constraints)]
    if len(eligible) < size:
        return [
            Reason(
                "too_few_eligible",
                {"eligible": len(eligible), "size": size, "min_score": constraints.min_score},
            )
        ]
    per_country = constraints.max_per_country
    if _capacity(eligible, per_country) < size:
        countries = len({c.country for c in eligible if c.country})
        return [
            Reason(
                "too_few_countries",
                {"countries": countries, "per_country": per_country, "size": size},
            )
        ]
    problems = []
    by_group: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in eligible:
        if candidate.group:
            by_group[candidate.group].append(candidate)
    groups = _required_groups(candidates)
    if constraints.min_per_group > 0:
        if len(groups) * constraints.min_per_group > size:
            problems.append(
                Reason(
                    "group_minimums_exceed_size",
                    {
                        "groups": len(groups),
                        "min_per_group": constraints.min_per_group,
                        "needed": len(groups) * constraints.min_per_group,
                        "size": size,
                    },
                )
            )
        for group in groups:
            available = _capacity(by_group.get(group, []), per_country)
            if constraints.max_per_group is not None:
                available = min(available, constraints.max_per_group)
            if available < constraints.min_per_group:
                problems.append(
                    Reason(
                        "group_short",
                        {
                            "group": group,
                            "available": available,
                            "required": constraints.min_per_group,
                        },
                    )
                )
    if constraints.max_per_group is not None:
        capacity = _capacity([c for c in eligible if not c.group], per_country) + sum(
            min(constraints.max_per_group, _capacity(members, per_country))
            for members in by_group.values()
        )
        if capacity < size:
            problems.append(
                Reason(
                    "group_maximum_too_low",
                    {
                        "max_per_group": constraints.max_per_group,
                        "capacity": capacity,
                        "size": size,
                    },
                )
            )
    if constraints.min_groups > 0:
        if constraints.min_groups > size:
            problems.append(
                Reason(
                    "min_groups_exceed_size", {"min_groups": constraints.min_groups, "size": size}
                )
            )
        elif len(by_group) < constraints.min_groups:
            problems.append(
                Reason(
                    "too_few_groups",
                    {"available": len(by_group), "required": constraints.min_groups},
                )
            )
    return problems


def _conflict(candidates: Sequence[Candidate], constraints: Constraints) -> Reason:
    """The rules are each possible but not together: which one, relaxed alone, would do."""
    relaxations = {
        "max_per_country": replace(constraints, max_per_country=None),
        "min_per_group": replace(constraints, min_per_group=0),
        "max_per_group": replace(constraints, max_per_group=None),
        "min_groups": replace(constraints, min_groups=0),
    }
    helpful = []
    for rule, relaxed in relaxations.items():
        if relaxed == constraints:
            continue
        if not diagnose(candidates, relaxed) and _Model(candidates, relaxed).best() is not None:
            helpful.append(rule)
    return Reason("constraints_conflict", {"relax": helpful})


# A linear row of the programme: {column: coefficient}, lowest and highest value (None: open).
_Row = tuple[dict[int, int], int | None, int | None]


class _Model:
    """The integer programme over the eligible candidates (and one switch per group)."""

    def __init__(self, candidates: Sequence[Candidate], constraints: Constraints):
        self.constraints = constraints
        self.eligible = sorted(
            (c for c in candidates if is_eligible(c, constraints)), key=lambda c: c.rank
        )
        self.solves = 0
        n = len(self.eligible)
        self.n = n
        self.points = [round((c.score or 0.0) * _SCALE) for c in self.eligible]
        self.ranks = [c.rank for c in self.eligible]
        groups = sorted({c.group for c in self.eligible if c.group})
        self.group_index = {group: n + j for j, group in enumerate(groups)}
        self.width = n + (len(groups) if constraints.min_groups else 0)
        self.rows: list[_Row] = []
        self._build(_required_groups(candidates))

    def _row(self, coefficients: dict[int, int], low: int | None, high: int | None) -> None:
        self.rows.append((coefficients, low, high))

    def _build(self, required_groups: list[str]) -> None:
        c = self.constraints
        self._row(dict.fromkeys(range(self.n), 1), c.size, c.size)
        members: dict[str, list[int]] = defaultdict(list)
        countries: dict[str, list[int]] = defaultdict(list)
        for i, candidate in enumerate(self.eligible):
            if candidate.group:
                members[candidate.group].append(i)
            if candidate.country:
                countries[candidate.country].append(i)
        if c.min_per_group:
            for group in required_groups:
                self._row(dict.fromkeys(members.get(group, []), 1), c.min_per_group, None)
        if c.max_per_group is not None:
            for indexes in members.values():
                self._row(dict.fromkeys(indexes, 1), None, c.max_per_group)
        if c.max_per_country is not None:
            for indexes in countries.values():
                if len(indexes) > c.max_per_country:
                    self._row(dict.fromkeys(indexes, 1), None, c.max_per_country)
        if c.min_groups:
            for group, switch in self.group_index.items():
                # The group counts only when one of its members is chosen.
                row = dict.fromkeys(members[group], -1)
                row[switch] = 1
                self._row(row, None, 0)
            self._row(dict.fromkeys(self.group_index.values(), 1), c.min_groups, None)

    def _solve(
        self,
        objective: list[int] | None = None,
        extra: Sequence[_Row] = (),
        fixed: dict[int, int] | None = None,
    ) -> list[int] | None:
        """A 0/1 value per column minimising `objective` (any feasible one without it), or
        None when the rows, the `extra` rows and the `fixed` columns cannot all hold."""
        # Imported here, not at the top: OR-Tools is a large library that only the compiling
        # job needs, not every web worker (docs/PERFORMANCE.md, web worker memory).
        from ortools.sat.python import cp_model

        self.solves += 1
        model = cp_model.CpModel()
        chosen = [model.new_bool_var(f"x{i}") for i in range(self.width)]
        for coefficients, low, high in [*self.rows, *extra]:
            total = cp_model.LinearExpr.weighted_sum(
                [chosen[i] for i in coefficients], list(coefficients.values())
            )
            if low is not None:
                model.add(total >= low)
            if high is not None:
                model.add(total <= high)
        for i, value in (fixed or {}).items():
            model.add(chosen[i] == value)
        if objective is not None:
            model.minimize(cp_model.LinearExpr.weighted_sum(chosen[: self.n], objective))
        solver = cp_model.CpSolver()
        # One search worker: deterministic, and no slower than several at this size.
        solver.parameters.num_workers = 1
        status = solver.solve(model)
        if status == cp_model.INFEASIBLE:
            return None
        if status != cp_model.OPTIMAL:  # no time limit is set, so this is a modelling error
            raise RuntimeError(f"the shortlist solver ended with {solver.status_name(status)}")
        return [solver.value(x) for x in chosen]

    def _total(self, weights: list[int], values: list[int]) -> int:
        return sum(w * v for w, v in zip(weights, values[: self.n], strict=True))

    def best(self) -> list[int] | None:
        """Indexes (into self.eligible) of the chosen set, by the three tie rules."""
        first = self._solve([-p for p in self.points])
        if first is None:
            return None
        keep_points = (dict(enumerate(self.points)), self._total(self.points, first), None)
        second = self._solve(self.ranks, [keep_points])
        if second is None:  # cannot happen: `first` satisfies it; kept for safety
            second = first
        keep_ranks = (dict(enumerate(self.ranks)), None, self._total(self.ranks, second))
        chosen = [i for i in range(self.n) if second[i]]
        other = self._solve(
            extra=[keep_points, keep_ranks, (dict.fromkeys(chosen, 1), None, len(chosen) - 1)]
        )
        if other is None:
            return chosen
        return self._lexicographic(second, [keep_points, keep_ranks])

    def _lexicographic(self, current: list[int], keep: list[_Row]) -> list[int]:
        fixed: dict[int, int] = {}
        taken = 0
        for i in range(self.n):  # self.eligible is in rank order
            if taken == self.constraints.size:
                fixed[i] = 0
                continue
            fixed[i] = 1
            if current[i]:
                taken += 1
                continue
            trial = self._solve(extra=keep, fixed=fixed)
            if trial is None:
                fixed[i] = 0
            else:
                current, taken = trial, taken + 1
        return [i for i in range(self.n) if fixed[i]]


def explain(
    candidates: Sequence[Candidate],
    constraints: Constraints,
    selected: frozenset[int],
    feasible: bool,
) -> dict[int, Reason]:
    """For every candidate, the reason it is in or out, in the words of the rules."""
    ordered = sorted(candidates, key=lambda c: c.rank)
    chosen = [c for c in ordered if c.proposal_id in selected]
    group_counts = Counter(c.group for c in chosen if c.group)
    country_cities: dict[str, list[str]] = defaultdict(list)
    for candidate in chosen:
        if candidate.country:
            country_cities[candidate.country].append(candidate.city)
    cut = chosen[-1] if chosen else None
    required = set(_required_groups(candidates))
    reasons: dict[int, Reason] = {}
    all_better_chosen = True
    for candidate in ordered:
        eligible = is_eligible(candidate, constraints)
        if candidate.proposal_id in selected:
            reasons[candidate.proposal_id] = _why_in(
                candidate, constraints, all_better_chosen, group_counts, required
            )
            continue
        if eligible:
            all_better_chosen = False
        if candidate.score is None:
            reasons[candidate.proposal_id] = Reason("no_score")
        elif not eligible:
            reasons[candidate.proposal_id] = Reason(
                "below_minimum", {"min_score": constraints.min_score}
            )
        elif not feasible:
            reasons[candidate.proposal_id] = Reason("not_compiled")
        elif (
            constraints.max_per_country is not None
            and candidate.country
            and len(country_cities[candidate.country]) >= constraints.max_per_country
        ):
            reasons[candidate.proposal_id] = Reason(
                "country_taken",
                {
                    "country": candidate.country,
                    "cities": ", ".join(country_cities[candidate.country]),
                },
            )
        elif (
            constraints.max_per_group is not None
            and candidate.group
            and group_counts[candidate.group] >= constraints.max_per_group
        ):
            reasons[candidate.proposal_id] = Reason(
                "group_full", {"group": candidate.group, "max_per_group": constraints.max_per_group}
            )
        elif cut is not None and candidate.rank > cut.rank:
            reasons[candidate.proposal_id] = Reason(
                "below_cut", {"cut_rank": cut.rank, "cut_score": rounded(cut.score)}
            )
        else:
            reasons[candidate.proposal_id] = Reason("balance")
    return reasons


def _why_in(
    candidate: Candidate,
    constraints: Constraints,
    all_better_chosen: bool,
    group_counts: Counter,
    required: set[str],
) -> Reason:
    if all_better_chosen:
        return Reason("top")
    group = candidate.group
    if (
        group
        and constraints.min_per_group
        and group in required
        and group_counts[group] <= constraints.min_per_group
    ):
        return Reason(
            "needed_for_group", {"group": group, "min_per_group": constraints.min_per_group}
        )
    if (
        group
        and constraints.min_groups
        and group_counts[group] == 1
        and len(group_counts) <= constraints.min_groups
    ):
        return Reason("needed_for_spread", {"min_groups": constraints.min_groups})
    return Reason("chosen_under_constraints")


def check_selection(
    candidates: Sequence[Candidate], constraints: Constraints, selected: frozenset[int]
) -> list[Reason]:
    """The rules a given selection breaks (after a hand adjustment, or in tests)."""
    chosen = [c for c in candidates if c.proposal_id in selected]
    breaches = []
    if len(chosen) != constraints.size:
        breaches.append(Reason("size_differs", {"count": len(chosen), "size": constraints.size}))
    low = [c.city for c in chosen if not is_eligible(c, constraints)]
    if low:
        breaches.append(
            Reason(
                "included_below_minimum",
                {"cities": ", ".join(low), "min_score": constraints.min_score},
            )
        )
    groups = Counter(c.group for c in chosen if c.group)
    if constraints.min_per_group:
        for group in _required_groups(candidates):
            if groups[group] < constraints.min_per_group:
                breaches.append(
                    Reason(
                        "group_below_minimum",
                        {
                            "group": group,
                            "count": groups[group],
                            "min_per_group": constraints.min_per_group,
                        },
                    )
                )
    if constraints.max_per_group is not None:
        for group, count in sorted(groups.items()):
            if count > constraints.max_per_group:
                breaches.append(
                    Reason(
                        "group_over",
                        {
                            "group": group,
                            "count": count,
                            "max_per_group": constraints.max_per_group,
                        },
                    )
                )
    if constraints.max_per_country is not None:
        countries = Counter(c.country for c in chosen if c.country)
        for country, count in sorted(countries.items()):
            if count > constraints.max_per_country:
                breaches.append(
                    Reason(
                        "country_over",
                        {
                            "country": country,
                            "count": count,
                            "per_country": constraints.max_per_country,
                        },
                    )
                )
    if constraints.min_groups and len(groups) < constraints.min_groups:
        breaches.append(
            Reason(
                "too_few_groups_chosen", {"count": len(groups), "required": constraints.min_groups}
            )
        )
    return breaches


def rule_labels() -> dict[str, str]:
    return {
        "max_per_country": _("at most per country"),
        "min_per_group": _("at least per region"),
        "max_per_group": _("at most per region"),
        "min_groups": _("number of different regions"),
    }


def describe(reason: Reason | None, group_label=None) -> str:
    """The reason in the reader's language."""
    if reason is None:
        return ""
    p = dict(reason.params)
    if "group" in p and group_label is not None:
        p["group"] = group_label(p["group"])
    texts = {
        "top": lambda: _("In: among the highest scores."),
        "needed_for_group": lambda: _(
            "In: needed so that %(group)s has at least %(min_per_group)s.", **p
        ),
        "needed_for_spread": lambda: _(
            "In: needed to reach %(min_groups)s different regions.", **p
        ),
        "chosen_under_constraints": lambda: _(
            "In: the best remaining choice under the balance rules."
        ),
        "no_score": lambda: _("Out: no submitted review yet."),
        "below_minimum": lambda: _("Out: score below the minimum of %(min_score)s.", **p),
        "not_compiled": lambda: _("Out: no shortlist could be compiled."),
        "country_taken": lambda: _("Out: %(country)s already has its place (%(cities)s).", **p),
        "group_full": lambda: _("Out: %(group)s is full (at most %(max_per_group)s).", **p),
        "below_cut": lambda: _(
            "Out: below the cut (last place: rank %(cut_rank)s, score %(cut_score)s).", **p
        ),
        "balance": lambda: _(
            "Out: a balance rule is binding; a lower-ranked proposal was needed elsewhere."
        ),
        "size_not_positive": lambda: _("The number of cities must be at least 1."),
        "too_few_eligible": lambda: ngettext(
            "Only %(eligible)s proposal can be chosen (reviewed, and at the minimum score "
            "if one is set), fewer than the %(size)s cities asked for. Lower the minimum "
            "score or the number of cities.",
            "Only %(eligible)s proposals can be chosen (reviewed, and at the minimum score "
            "if one is set), fewer than the %(size)s cities asked for. Lower the minimum "
            "score or the number of cities.",
            p["eligible"],
            **p,
        ),
        "too_few_countries": lambda: _(
            "The proposals that qualify come from only %(countries)s countries; with at most "
            "%(per_country)s per country, %(size)s cities cannot be chosen.",
            **p,
        ),
        "group_minimums_exceed_size": lambda: _(
            "At least %(min_per_group)s from each of %(groups)s regions needs %(needed)s cities, "
            "more than the %(size)s asked for.",
            **p,
        ),
        "group_short": lambda: _(
            "%(group)s has %(available)s qualifying proposals that can be chosen together, "
            "fewer than the %(required)s required.",
            **p,
        ),
        "group_maximum_too_low": lambda: _(
            "With at most %(max_per_group)s per region, only %(capacity)s cities can be chosen, "
            "fewer than %(size)s.",
            **p,
        ),
        "min_groups_exceed_size": lambda: _(
            "%(min_groups)s different regions cannot be reached with %(size)s cities.", **p
        ),
        "too_few_groups": lambda: _(
            "Qualifying proposals come from only %(available)s regions; %(required)s are required.",
            **p,
        ),
        "constraints_conflict": lambda: _(
            "The rules can each be met, but not all together. Relaxing one of these would "
            "help: %(rules)s.",
            rules=", ".join(str(rule_labels()[rule]) for rule in p.get("relax") or [])
            or _("none alone"),
        ),
    }
    texts.update(
        {
            "size_differs": lambda: _(
                "%(count)s cities are in the shortlist; %(size)s were asked for.", **p
            ),
            "included_below_minimum": lambda: _(
                "Below the minimum score but included: %(cities)s.", **p
            ),
            "group_below_minimum": lambda: _(
                "%(group)s has %(count)s, fewer than the %(min_per_group)s required.", **p
            ),
            "group_over": lambda: _(
                "%(group)s has %(count)s, more than the %(max_per_group)s allowed.", **p
            ),
            "country_over": lambda: _(
                "%(country)s has %(count)s, more than the %(per_country)s allowed.", **p
            ),
            "too_few_groups_chosen": lambda: _(
                "Only %(count)s different regions; %(required)s are required.", **p
            ),
            "error": lambda: _("The compilation stopped on an unexpected error."),
        }
    )
    text = texts.get(reason.code)
    if text is None:
        return str(p.get("text", reason.code))
    return text()
