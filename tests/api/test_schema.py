"""Schemathesis runs the API's own OpenAPI document against the app: for every operation,
with the tokens of a city, a reviewer and an administrator (and with none), generated
requests never get a 500 and every answer matches what the document says it answers
(its status, its content type, its body's schema, its headers). A new route is tried by
itself, being in the document.

One check of schemathesis is left out: that every request the document allows is accepted.
Some refusals depend on more than one field or on the data (a median cannot be weighted by
confidence; a shortlist cannot ask for more cities than were reviewed; a cursor must be one
the API gave): they answer a documented 4xx with the field at fault, which the other checks
verify.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.extensions import db
from app.proposals.models import ProposalState
from tests.api.helpers import bearer, token_of
from tests.factories import (
    make_admin,
    make_assignment,
    make_call,
    make_proposal,
    make_reviewer,
    make_user,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def tokens(app_context) -> dict[str, str | None]:
    """A small call and one writing token per role (anonymous: none)."""
    call = make_call()
    city, reviewer, admin = make_user(), make_reviewer(), make_admin()
    proposal = make_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    make_assignment(proposal=proposal, reviewer=reviewer)
    db.session.commit()
    return {
        "anonymous": None,
        "city": token_of(city, can_write=True),
        "reviewer": token_of(reviewer, can_write=True),
        "administrator": token_of(admin, can_write=True),
    }


EXAMPLES_PER_OPERATION = 15


def test_the_api_answers_as_its_document_says(app, tokens):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 2

    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def each_role_sends(case) -> None:
            for secret in tokens.values():  # the same request from each role's program
                case.call_and_validate(
                    headers=bearer(secret) if secret else {},
                    excluded_checks=[positive_data_acceptance],
                )

        each_role_sends()
