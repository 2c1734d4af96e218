"""Every route of the JSON API and of the token pages, for every role: a program calls the
API with its owner's token (tests/test_access.py), and gets what its owner gets on the
pages (404 for what they may not see); without a token, 401.

Each resource's routes are listed in the module of its own (tests/api/access_*.py)."""

from tests.access import (
    ROLES,
    RouteAccess,
    api_only,
    api_route,
    everyone,
    logged_in,
    post_route,
)
from tests.api import access_proposals, access_shortlists

WITH_A_TOKEN = [role for role in ROLES if role != "anonymous"]

ROUTES: list[RouteAccess] = [
    # The token pages, on the person's settings.
    RouteAccess("accounts.api_tokens_page", lambda w: "/settings/api-tokens", logged_in()),
    post_route(
        "accounts.create_api_token",
        lambda w: "/settings/api-tokens",
        logged_in(ok=200),
        lambda w: {"name": "Access table", "days": "30"},
    ),
    post_route(
        "accounts.revoke_api_token",
        lambda w: "/settings/api-tokens/999999/revoke",
        logged_in(ok=404),
        name="of nobody",
    ),
    # The document and its reference page: public, like the API's description.
    RouteAccess("api-docs.openapi_json", lambda w: "/api/v1/openapi.json", everyone()),
    RouteAccess("api_reference.page", lambda w: "/api/v1/docs", everyone()),
    RouteAccess("api_reference.asset", lambda w: "/api/v1/docs/assets/swagger-ui.css", everyone()),
    # Calls: every call that has left draft, for anyone with a token.
    api_route("api_calls.Calls", lambda w: "/api/v1/calls", api_only(*WITH_A_TOKEN)),
    api_route("api_calls.OneCall", lambda w: f"/api/v1/calls/{w.call}", api_only(*WITH_A_TOKEN)),
    *access_proposals.ROUTES,
    *access_shortlists.ROUTES,
]
