"""Every route x every role gets exactly the status the access table says."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.proposals.models import ProposalState
from tests.access import ROLES, World, collect_routes
from tests.api.helpers import bearer, token_of
from tests.client import log_in
from tests.factories import (
    make_admin,
    make_assignment,
    make_call,
    make_proposal,
    make_reviewer,
    make_user,
)

ROUTES = collect_routes()
IGNORED_ENDPOINTS = {"static"}


@pytest.fixture
def world(app_context) -> World:
    applicant = make_user(name="Applicant")
    other_applicant = make_user(name="Other applicant")
    reviewer = make_reviewer(name="Reviewer")
    other_reviewer = make_reviewer(name="Other reviewer")
    administrator = make_admin(name="Administrator")
    call = make_call()
    proposal = make_proposal(call=call, owner=applicant, state=ProposalState.SUBMITTED)
    draft = make_proposal(call=call, owner=applicant, city="Porto")
    other_proposal = make_proposal(
        call=call,
        owner=other_applicant,
        state=ProposalState.SUBMITTED,
        city="Turin",
        country_code="IT",
    )
    assignment = make_assignment(proposal=proposal, reviewer=reviewer)
    db.session.commit()
    users = {
        "anonymous": None,
        "applicant": applicant,
        "other_applicant": other_applicant,
        "reviewer": reviewer,
        "other_reviewer": other_reviewer,
        "administrator": administrator,
    }
    ids = {
        "call": call.id,
        "proposal": proposal.id,
        "draft": draft.id,
        "other_proposal": other_proposal.id,
        "assignment": assignment.id,
        "applicant_user": applicant.id,
        "reviewer_user": reviewer.id,
        "administrator_user": administrator.id,
    }
    return World(users=users, ids=ids)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=[route.id for route in ROUTES])
def test_route_answers_each_role_as_the_table_says(route, role, client, world, app):
    user = world.users[role]
    path = route.path(world)
    data = route.data(world) if route.data else None
    if route.api:
        # A program with the person's own writing token (none for anonymous).
        options = {"headers": bearer(token_of(user, can_write=True)) if user else {}}
        if data is not None:
            options["json"] = data
    else:
        if user is not None:
            log_in(client, user)
        options = {"data": data}
    # Closed as a server closes it: a file a download sends is closed with its response.
    with client.open(path, method=route.method, **options) as response:
        pass
    assert response.status_code == route.expect[role], (
        f"{route.id} as {role}: got {response.status_code}, expected {route.expect[role]}"
    )


def test_every_route_of_the_app_is_in_the_access_table(app):
    covered = {(route.endpoint, route.method) for route in ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes missing from tests/<domain>/access_table.py:\n" + "\n".join(missing)
