"""Shared set-up for the reviews tests: a call in review with reviewers and proposals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app.accounts.models import User
from app.calls.models import Call, CallState
from app.db import utcnow
from app.proposals.models import Proposal, ProposalState
from tests.factories import make_admin, make_call, make_proposal, make_reviewer


@dataclass
class Reviewing:
    call: Call
    admin: User
    reviewers: list[User]
    proposals: list[Proposal]


def make_reviewing(
    *, proposals: int = 3, reviewers: int = 4, deadline_days: int = 10, **call_settings
) -> Reviewing:
    now = utcnow()
    call = make_call(
        state=CallState.IN_REVIEW,
        opens_at=now - timedelta(days=40),
        closes_at=now - timedelta(days=5),
        review_deadline=now + timedelta(days=deadline_days),
        **call_settings,
    )
    cities = [("Nairobi", "KE"), ("Lima", "PE"), ("Osaka", "JP"), ("Tunis", "TN"), ("Quito", "EC")]
    made = [
        make_proposal(
            call=call,
            state=ProposalState.SUBMITTED,
            city=f"{cities[i % len(cities)][0]} {i}" if i >= len(cities) else cities[i][0],
            country_code=cities[i % len(cities)][1],
            organisation=f"City of {cities[i % len(cities)][0]} {i}",
        )
        for i in range(proposals)
    ]
    regions = ["Europe", "Asia", "Africa", "South America"]
    people = [
        make_reviewer(
            name=f"Reviewer {j}",
            profile={
                "countries": ["PT"],
                "languages": ["en"],
                "region": regions[j % len(regions)],
                "max_proposals": 10,
            },
        )
        for j in range(reviewers)
    ]
    return Reviewing(call=call, admin=make_admin(), reviewers=people, proposals=made)
