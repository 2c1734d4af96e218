"""Building scored calls for the shortlist tests: proposals, reviewers and their scores."""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta

from app.calls.models import Call, CallState
from app.db import utcnow
from app.extensions import db
from app.proposals.models import Proposal, ProposalState
from app.reviews.models import Review
from app.shortlists.exporters import write_export
from tests.factories import make_assignment, make_call, make_proposal, make_review, make_reviewer

_numbers = itertools.count(1)


@dataclass
class Scored:
    call: Call
    proposals: list[Proposal] = field(default_factory=list)
    reviewers: list = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)


def exported(call: Call, export_format: str, **options) -> bytes:
    """One export's bytes, written as the export job and `flask export-call` write it."""
    out = io.BytesIO()
    write_export(export_format, call=call, out=out, **options)
    return out.getvalue()


def uniform(call: Call, value: float) -> dict[str, float]:
    """The same value for every criterion of the call."""
    return {criterion.key: value for criterion in call.criteria}


def scored_call(
    cities: list[tuple[str, str, str, list[float]]],
    *,
    reviewers: int = 3,
    state: CallState = CallState.CLOSED,
    **call_settings,
) -> Scored:
    """One proposal per (city, country, continent, [one uniform value per review])."""
    call = make_call(state=state, **call_settings)
    result = Scored(call=call)
    result.reviewers = [make_reviewer() for _ in range(reviewers)]
    start = utcnow() - timedelta(days=30)
    for position, (city, country, continent, values) in enumerate(cities):
        proposal = make_proposal(
            call=call,
            state=ProposalState.SUBMITTED,
            city=city,
            country_code=country,
            region=continent,
            continent=continent,
            language="en",
        )
        proposal.submitted_at = start + timedelta(minutes=position)
        result.proposals.append(proposal)
        for number, value in enumerate(values):
            reviewer = result.reviewers[number % len(result.reviewers)]
            assignment = make_assignment(proposal=proposal, reviewer=reviewer)
            result.reviews.append(make_review(assignment=assignment, scores=uniform(call, value)))
    db.session.flush()
    return result


def city(name: str, country: str, continent: str, *values: float) -> tuple:
    return (name, country, continent, list(values))


def form_posting_to(page: str, action: str) -> str:
    """The HTML of the page's POST form whose action is `action` (fails if there is none)."""
    for match in re.finditer(r"<form\b[^>]*>.*?</form>", page, re.S):
        opening = match.group(0).split(">", 1)[0]
        if f'action="{action}"' in opening and 'method="post"' in opening.lower():
            return match.group(0)
    raise AssertionError(f"no POST form to {action} on the page")


def token_of(form_html: str) -> str | None:
    """The CSRF token the form itself carries, as a browser would send it (None if none)."""
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', form_html)
    return match.group(1) if match else None
