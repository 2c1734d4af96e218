"""Access rows of this resource's API routes (gathered by tests/api/access_table.py).

A call's lists (proposals, reviews) are the administrators'; a proposal is read by its
city, the administrators and its assigned reviewer (a draft is never assigned reading);
"my proposals" is a city's account's own (403 for other accounts, as the page)."""

from tests.access import RouteAccess, api_only, api_route

ROUTES: list[RouteAccess] = [
    api_route(
        "api_proposals.CallProposals",
        lambda w: f"/api/v1/calls/{w.call}/proposals",
        api_only("administrator"),
    ),
    api_route(
        "api_proposals.OneProposal",
        lambda w: f"/api/v1/proposals/{w.proposal}",
        api_only("applicant", "reviewer", "administrator"),
        name="submitted, assigned",
    ),
    api_route(
        "api_proposals.OneProposal",
        lambda w: f"/api/v1/proposals/{w.draft}",
        api_only("applicant", "administrator"),
        name="a draft",
    ),
    api_route(
        "api_proposals.OneProposal",
        lambda w: f"/api/v1/proposals/{w.other_proposal}",
        api_only("other_applicant", "administrator"),
        name="another city's",
    ),
    api_route(
        "api_proposals.MyProposals",
        lambda w: "/api/v1/my/proposals",
        api_only("applicant", "other_applicant", others=403),
    ),
    api_route(
        "api_proposals.CallReviews",
        lambda w: f"/api/v1/calls/{w.call}/reviews",
        api_only("administrator"),
    ),
]
